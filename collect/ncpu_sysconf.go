//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd || solaris

package collect

import "github.com/tklauser/go-sysconf"

// sysconfCPUs returns sysconf(_SC_NPROCESSORS_ONLN).
func sysconfCPUs() (int64, error) { return sysconf.Sysconf(sysconf.SC_NPROCESSORS_ONLN) }
