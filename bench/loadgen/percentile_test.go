package loadgen

import (
	"slices"
	"testing"
	"time"
)

func ms(v ...int) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, x := range v {
		out[i] = time.Duration(x) * time.Millisecond
	}
	return out
}

func TestPercentile(t *testing.T) {
	f := func(sample []time.Duration, p float64, want time.Duration) {
		t.Helper()
		if got := Percentile(sample, p); got != want {
			t.Fatalf("Percentile(%d values, %v) = %v, want %v", len(sample), p, got, want)
		}
	}
	ten := ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	f(ten, 50, 5*time.Millisecond) // nearest rank: ceil(0.5·10) = 5th
	f(ten, 51, 6*time.Millisecond)
	f(ten, 90, 9*time.Millisecond)
	f(ten, 99, 10*time.Millisecond)
	f(ten, 100, 10*time.Millisecond)
	f(ten, 0, time.Millisecond)
	f(ten, -5, time.Millisecond)
	f(ten, 150, 10*time.Millisecond)
	f(ms(7), 50, 7*time.Millisecond)
	f(ms(7), 99, 7*time.Millisecond)
	f(nil, 50, 0)
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i + 1)
	}
	f(hundred, 99, 99)
	f(hundred, 99.5, 100)
	f(hundred, 1, 1)
	thousand := make([]time.Duration, 1000)
	for i := range thousand {
		thousand[i] = time.Duration(i + 1)
	}
	f(thousand, 99, 990)
	f(thousand, 99.9, 999)
}

func TestSummarize(t *testing.T) {
	s := Summarize(ms(9, 1, 5, 3, 7))
	want := Summary{N: 5, Min: ms(1)[0], P50: ms(5)[0], P90: ms(9)[0], P99: ms(9)[0], Max: ms(9)[0], Mean: ms(5)[0]}
	if s != want {
		t.Fatalf("Summarize = %+v, want %+v", s, want)
	}
	if (Summarize(nil) != Summary{}) {
		t.Fatal("empty summary not zero")
	}
	if got := s.String(); got != "n=5 min=1ms p50=5ms p90=9ms p99=9ms max=9ms" {
		t.Fatalf("String() = %q", got)
	}
}

func TestSampler(t *testing.T) {
	var all Sampler
	for i := range 500 {
		all.Add(time.Duration(i))
	}
	if all.Seen() != 500 || all.Summary().N != 500 || all.Summary().Max != 499 {
		t.Fatalf("unbounded sampler lost values: %+v", all.Summary())
	}
	s := Sampler{Max: 100}
	for i := range 100_000 {
		s.Add(time.Duration(i))
	}
	sum := s.Summary()
	if s.Seen() != 100_000 || sum.N != 100 {
		t.Fatalf("seen %d kept %d", s.Seen(), sum.N)
	}
	// A uniform sample of 0..99 999 has its median near 50 000, far from the first 100 values.
	if sum.P50 < 30_000 || sum.P50 > 70_000 {
		t.Fatalf("sample median %v: not uniform", sum.P50)
	}
	var m Sampler
	m.Merge(&all)
	m.Merge(&s)
	if m.Seen() != 100_500 || m.Summary().N != 600 {
		t.Fatalf("merge: seen %d kept %d", m.Seen(), m.Summary().N)
	}
}

func TestBroadcastSpreads(t *testing.T) {
	const gap = int64(10 * time.Millisecond)
	msv := func(v float64) int64 { return int64(v * float64(time.Millisecond)) }
	var times []int64
	add := func(at ...float64) {
		for _, a := range at {
			times = append(times, msv(a))
		}
	}
	add(5, 6, 7)            // too close to the window start: could be cut, skipped
	add(100, 101, 103)      // complete: spread 3 ms
	add(200, 200.5, 201)    // complete: spread 1 ms
	add(300, 302)           // one subscriber missed it: incomplete
	add(400, 401, 402, 415) // 415 is 13 ms after 402: a separate, incomplete cluster
	add(990, 991, 992)      // too close to the window end, skipped
	spreads, complete, incomplete := broadcastSpreads(times, gap, 0, msv(1000), 3)
	if complete != 3 || incomplete != 2 {
		t.Fatalf("complete %d incomplete %d, want 3 and 2", complete, incomplete)
	}
	want := []time.Duration{3 * time.Millisecond, time.Millisecond, 2 * time.Millisecond}
	for i, w := range want {
		if spreads[i] != w {
			t.Fatalf("spreads %v, want %v", spreads, want)
		}
	}
	if c := clusterArrivals([]int64{30, 10, 20, 100}, 10); len(c) != 2 || c[0] != (cluster{10, 30, 3}) || c[1] != (cluster{100, 100, 1}) {
		t.Fatalf("clusters %+v", c)
	}
}

func TestBroadcastsBegun(t *testing.T) {
	f := func(times []int64, from, to int64, want int) {
		t.Helper()
		if got := broadcastsBegun(slices.Clone(times), 10, from, to); got != want {
			t.Fatalf("broadcastsBegun(%v, [%d, %d)) = %d, want %d", times, from, to, got, want)
		}
	}
	// Broadcasts at 0-5, 100-104, 200-203 and 300.
	times := []int64{0, 5, 3, 100, 104, 200, 203, 300}
	f(times, 0, 400, 4)
	f(times, 2, 400, 3)   // the first began before the window, though two of its arrivals are in it
	f(times, 0, 300, 3)   // [from, to): the last begins at to
	f(times, 101, 199, 0) // inside one broadcast's tail and the gap after it
	f(nil, 0, 400, 0)
}

func TestPerBroadcast(t *testing.T) {
	r := &IdleResult{ServerCPU: 300 * time.Millisecond, Begun: 4, BroadcastsByType: map[string]int{"sysStats": 4, "ping": 5, "idxStats": 1}}
	perBroadcast(r)
	if r.ServerCPUPerBroadcast != float64(75*time.Millisecond) || r.ServerCPUPerAnyBroadcast != float64(30*time.Millisecond) || len(r.Notes) != 1 {
		t.Fatalf("per broadcast %v, of any type %v, notes %q", r.ServerCPUPerBroadcast, r.ServerCPUPerAnyBroadcast, r.Notes)
	}
	if got := countIn(map[string][]int64{"a": {1, 5, 10}, "b": {20}}, 5, 20); len(got) != 1 || got["a"] != 2 {
		t.Fatalf("countIn = %v, want a:2", got)
	}
	for _, r := range []*IdleResult{{ServerCPU: time.Second}, {Begun: 3}} {
		perBroadcast(r)
		if r.ServerCPUPerBroadcast != 0 || len(r.Notes) != 0 {
			t.Fatalf("figure without CPU or broadcasts: %+v", r)
		}
	}
}

func TestRhythm(t *testing.T) {
	iv, jit := rhythm(ms(1000, 1010, 990, 1000, 1100))
	if iv.P50 != time.Second || jit.Max != 100*time.Millisecond || jit.Min != 0 || jit.P50 != 10*time.Millisecond {
		t.Fatalf("interval %v jitter %v", iv, jit)
	}
	if iv, jit := rhythm(nil); iv.N != 0 || jit.N != 0 {
		t.Fatal("empty rhythm")
	}
	if autoGap(0) != 200*time.Millisecond || autoGap(5*time.Second) != 5*time.Second/3 || autoGap(time.Millisecond) != 10*time.Millisecond {
		t.Fatal("autoGap")
	}
}
