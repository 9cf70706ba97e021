package cputime

import "golang.org/x/sys/unix"

const exact = true

// threadNanos reads the calling thread's CPU clock. The call cannot fail for this clock on
// Linux (it exists since 2.6.12); a failure would be a bug, and panics.
func threadNanos() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		panic("BUG: cputime: clock_gettime(CLOCK_THREAD_CPUTIME_ID): " + err.Error())
	}
	return ts.Nano()
}
