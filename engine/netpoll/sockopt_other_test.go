//go:build !unix

package netpoll

// setSmallRcvBuf is a no-op where SO_RCVBUF is not set through syscall: tests then rely on
// the default buffer sizes.
func setSmallRcvBuf(fd uintptr) {}
