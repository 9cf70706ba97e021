package cputime

import (
	"sync"
	"testing"
	"time"
)

// spin burns CPU on the calling goroutine for about d of wall-clock time.
func spin(d time.Duration) int {
	x := 0
	for t := time.Now(); time.Since(t) < d; {
		for i := range 10000 {
			x += i * i
		}
	}
	return x
}

// TestSpanCountsCPUNotBlocking: a Span over a busy loop counts its CPU (and no more than the
// wall time it took); one over a sleep (a blocked goroutine) counts next to nothing.
func TestSpanCountsCPUNotBlocking(t *testing.T) {
	if !Exact {
		t.Skip("no per-thread CPU clock on this platform")
	}
	busy := NewMeter(0, nil)
	start := time.Now()
	sp := busy.Begin()
	// Spin until the thread has used 20 ms of CPU, however long a loaded machine takes.
	for t0 := Thread(); Thread()-t0 < 20*time.Millisecond; {
		spin(time.Millisecond)
	}
	sp.End()
	wall := time.Since(start)
	if u := busy.Used(); u < 20*time.Millisecond || u > wall {
		t.Errorf("a busy loop of 20 ms CPU counted %v (wall %v)", u, wall)
	}

	idle := NewMeter(0, nil)
	sp = idle.Begin()
	time.Sleep(100 * time.Millisecond)
	ch := make(chan int)
	go func() { time.Sleep(50 * time.Millisecond); ch <- 1 }()
	<-ch
	sp.End()
	if u := idle.Used(); u > 5*time.Millisecond {
		t.Errorf("150 ms asleep or blocked counted %v of CPU", u)
	}
}

// TestMeterLimit: the over function runs once, when the sum over goroutines passes the limit.
func TestMeterLimit(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	m := NewMeter(20*time.Millisecond, func() {
		mu.Lock()
		calls++
		mu.Unlock()
	})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			sp := m.Begin()
			defer sp.End()
			for m.Used() < 40*time.Millisecond { // CPU, however long a loaded machine takes
				spin(time.Millisecond)
				sp.Tick()
			}
		})
	}
	wg.Wait()
	if calls != 1 {
		t.Errorf("over called %d times, want 1 (used %v)", calls, m.Used())
	}
	if m.Used() < 20*time.Millisecond && Exact {
		t.Errorf("used %v, below the limit that fired", m.Used())
	}
	m.Add(-time.Second) // ignored
	if m.Used() < 0 {
		t.Error("a negative Add was counted")
	}
}

// TestNilMeter: a nil Meter measures nothing and does not lock the goroutine.
func TestNilMeter(t *testing.T) {
	var m *Meter
	sp := m.Begin()
	sp.Tick()
	sp.End()
	m.Add(time.Second)
	if m.Used() != 0 {
		t.Error("nil Meter counted")
	}
}

// BenchmarkSpanTick is the cost of one Tick: a thread CPU clock read and an atomic add.
func BenchmarkSpanTick(b *testing.B) {
	m := NewMeter(0, nil)
	sp := m.Begin()
	defer sp.End()
	b.ReportAllocs()
	for b.Loop() {
		sp.Tick()
	}
}

// BenchmarkBeginEnd is the cost of locking a goroutine to its thread and back, with two clock
// reads: what a goroutine pays once per search.
func BenchmarkBeginEnd(b *testing.B) {
	m := NewMeter(0, nil)
	b.ReportAllocs()
	for b.Loop() {
		sp := m.Begin()
		sp.End()
	}
}

// BenchmarkSpanTickParallel is Tick's cost with every P ticking at once, as a search's
// workers do.
func BenchmarkSpanTickParallel(b *testing.B) {
	m := NewMeter(0, nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		sp := m.Begin()
		defer sp.End()
		for pb.Next() {
			sp.Tick()
		}
	})
}
