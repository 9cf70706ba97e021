//go:build linux

package collect

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// statfs is the default Config.Statfs: statfs(2) on path.
func statfs(path string) (FSUsage, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return FSUsage{}, fmt.Errorf("collect: cannot statfs %s: %w", path, err)
	}
	bs := uint64(st.Bsize)
	return FSUsage{Total: st.Blocks * bs, Free: st.Bfree * bs, Avail: st.Bavail * bs}, nil
}
