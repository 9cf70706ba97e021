// Package cputime measures the CPU time goroutines spend, with the kernel's per-thread CPU
// clocks (clock_gettime(CLOCK_THREAD_CPUTIME_ID) on Linux).
//
// A thread's clock advances only while the kernel runs that thread, so it does not count time
// a goroutine spends blocked (on a channel, a lock, a slow socket, disk I/O waits). A goroutine
// can move between threads at any point, so a Span locks the goroutine to its thread
// (runtime.LockOSThread) from Begin to End; the thread then runs nothing else, and the
// difference of two readings is exactly the CPU the goroutine used in between (user and system
// time, its GC assists included).
//
// The clock is a system call (no vDSO path): about 0.25 µs on an idle machine, several µs on
// a loaded VM, where it is also a preemption point. Read it per batch or per block, never per
// entry.
package cputime

import (
	"runtime"
	"sync/atomic"
	"time"
)

// Meter sums the CPU time of the goroutines doing one piece of work (a search) and calls its
// over function once when the sum passes its limit. A nil *Meter measures nothing; its Begin
// returns a Span that does nothing. Safe for concurrent use.
type Meter struct {
	used  atomic.Int64 // nanoseconds
	limit int64
	over  func()
	fired atomic.Bool
}

// NewMeter returns a Meter that calls over (from the goroutine whose Span tick passes it) the
// first time the CPU time it has summed exceeds limit. limit <= 0 or a nil over: no limit.
func NewMeter(limit time.Duration, over func()) *Meter {
	return &Meter{limit: int64(limit), over: over}
}

// Used returns the CPU time summed so far.
func (m *Meter) Used() time.Duration {
	if m == nil {
		return 0
	}
	return time.Duration(m.used.Load())
}

// Add counts d more CPU time (and calls the over function if the limit is now passed).
func (m *Meter) Add(d time.Duration) {
	if m == nil || d <= 0 {
		return
	}
	if m.used.Add(int64(d)) > m.limit && m.limit > 0 && m.over != nil && !m.fired.Swap(true) {
		m.over()
	}
}

// Span is one goroutine's running account on a Meter, from Begin to End. It must be used only
// by the goroutine that called Begin.
type Span struct {
	m    *Meter
	last int64
}

// Begin locks the calling goroutine to its OS thread and starts accounting its CPU time to m.
// Every Begin must be paired with an End on the same goroutine (LockOSThread nests, so a
// goroutine locked for another reason stays locked after End). On a nil Meter it does nothing.
func (m *Meter) Begin() Span {
	if m == nil {
		return Span{}
	}
	runtime.LockOSThread()
	return Span{m: m, last: threadNanos()}
}

// Tick adds the CPU time the goroutine used since Begin or the last Tick to the Meter.
func (s *Span) Tick() {
	if s.m == nil {
		return
	}
	now := threadNanos()
	d := now - s.last
	s.last = now
	s.m.Add(time.Duration(d))
}

// End ticks a last time and unlocks the goroutine from its thread. The Span does nothing after.
func (s *Span) End() {
	if s.m == nil {
		return
	}
	s.Tick()
	s.m = nil
	runtime.UnlockOSThread()
}

// Thread returns the CPU time used so far by the calling goroutine's OS thread. It is only
// meaningful between two calls while the goroutine is locked to its thread.
func Thread() time.Duration { return time.Duration(threadNanos()) }

// Exact reports whether this platform has per-thread CPU clocks; without them (not Linux)
// spans measure wall-clock time, which also counts time spent blocked.
const Exact = exact
