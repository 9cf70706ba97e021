//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd || solaris)

package collect

import "errors"

// sysconfCPUs is unavailable here; the collector counts the processors of proc/cpuinfo.
func sysconfCPUs() (int64, error) { return 0, errors.New("collect: no sysconf on this system") }
