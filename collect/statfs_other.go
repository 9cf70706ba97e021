//go:build !linux

package collect

import (
	"errors"
)

// statfs is the default Config.Statfs. Disk figures are read only on Linux.
func statfs(path string) (FSUsage, error) {
	return FSUsage{}, errors.New("collect: cannot statfs " + path + ": disk figures are only collected on Linux")
}
