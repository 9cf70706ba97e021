//go:build unix

package netpoll

import "syscall"

// setSmallRcvBuf sets a 4 KiB receive buffer on the socket fd.
func setSmallRcvBuf(fd uintptr) {
	syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
}
