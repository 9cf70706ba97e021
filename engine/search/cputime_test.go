//go:build linux

package search

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine/store"
	"github.com/sluicehq/sluice/wire"
)

// cpuStore opens a real store holding n benchmark kv lines under one tag.
func cpuStore(t testing.TB, n int) (*store.Store, uint16) {
	t.Helper()
	st, err := store.Open(store.Config{Dir: t.TempDir(), ScanBatch: 256})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tag, err := st.TagID("kv")
	if err != nil {
		t.Fatal(err)
	}
	ents := benchLines(n, "kv")
	for i := range ents {
		ents[i].Tag = tag
	}
	if err := st.Ingest(ents); err != nil {
		t.Fatal(err)
	}
	return st, tag
}

// runMetered runs query as the Manager does: under runLimits with maxCPU, over the metered
// source; it returns the reported error and the CPU the run used.
func runMetered(t *testing.T, src Source, sink Sink, query string, tag uint16, workers int, maxCPU time.Duration) (error, time.Duration) {
	t.Helper()
	q, err := Parse(query)
	if err != nil {
		t.Fatal(err)
	}
	m := &Manager{cfg: ManagerConfig{MaxSearchCPU: maxCPU}}
	ctx, stop := m.runLimits(context.Background())
	err = q.Run(ctx, meter(ctx, src), sink, &arrayRec{}, RunOptions{Tags: []uint16{tag}, Start: tStart, End: tEnd, Workers: workers})
	err = stop(err)
	return err, CPUUsed(ctx)
}

func processCPU(t testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuHeavy keeps every entry after trying it against 200 wildcard patterns; cpuHeavyNone
// drops every entry after the same work (a pipeline the fan-out strategy runs).
var (
	cpuHeavy     = "tag=x grep -v" + strings.Repeat(" *q*u*x*z*", 200)
	cpuHeavyNone = "tag=x grep" + strings.Repeat(" *q*u*x*z*", 200)
)

// TestSearchCPUAccountsEveryGoroutine runs a CPU-heavy query with each run strategy
// (sequential, fan-out, condensing) and compares the search's measured CPU with the process's
// own CPU time (getrusage) over the run: nearly all of it must be counted, which it would not
// be if the store's workers, the decoders or the fan-out workers were missed.
func TestSearchCPUAccountsEveryGoroutine(t *testing.T) {
	st, tag := cpuStore(t, 20000)
	for _, tc := range []struct {
		name    string
		query   string
		workers int
	}{
		{"sequential", cpuHeavy, 1},
		{"fan-out", cpuHeavyNone, 2},
		{"condensing", cpuHeavy + " | count", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := processCPU(t)
			err, used := runMetered(t, st, &countSink{}, tc.query, tag, tc.workers, time.Hour)
			total := processCPU(t) - before
			if err != nil {
				t.Fatal(err)
			}
			ratio := float64(used) / float64(total)
			t.Logf("search CPU %v, process CPU %v (%.2f)", used, total, ratio)
			// The process also spends CPU outside the search (GC workers, the runtime, the
			// test); the search's own share of a CPU-heavy run is most of it.
			if ratio < 0.6 || ratio > 1.02 {
				t.Errorf("the search counted %v of the process's %v CPU (%.2f), want 0.6–1.02", used, total, ratio)
			}
		})
	}
}

// TestSearchCPULimitStops: a CPU-heavy query past MaxSearchCPU stops, keeps what it found and
// names the field and the CPU used, with every run strategy.
func TestSearchCPULimitStops(t *testing.T) {
	st, tag := cpuStore(t, 50000)
	for _, tc := range []struct {
		query   string
		workers int
	}{
		{cpuHeavy, 1},
		{cpuHeavyNone, 2},
		{cpuHeavy + " | count", 2},
	} {
		t.Run(fmt.Sprintf("workers=%d/%s", tc.workers, tc.query[len(tc.query)-8:]), func(t *testing.T) {
			sink := &countSink{}
			start := time.Now()
			err, used := runMetered(t, st, sink, tc.query, tag, tc.workers, 20*time.Millisecond)
			var se *stoppedError
			if !errors.As(err, &se) || se.Field != "MaxSearchCPU" {
				t.Fatalf("error %v, want the MaxSearchCPU stop", err)
			}
			if !strings.HasPrefix(err.Error(), "search: stopped at limit MaxSearchCPU=20ms (") ||
				!strings.HasSuffix(err.Error(), " of CPU used); the results are partial") {
				t.Errorf("message %q", err)
			}
			if used < 20*time.Millisecond {
				t.Errorf("stopped after %v of CPU, before the limit", used)
			}
			t.Logf("stopped after %v CPU, %v wall: %v", used, time.Since(start), err)
		})
	}
}

// slowConn is a sink that writes every entry to a loopback TCP connection whose reader takes
// 16 KiB every 20 ms: a slow client. Its Add blocks while the socket buffers are full.
type slowConn struct {
	c       net.Conn
	blocked time.Duration // wall time spent in Add
	n       int
}

func (s *slowConn) Add(b []wire.Entry) {
	t := time.Now()
	for i := range b {
		s.c.Write(b[i].Data)
		s.n++
	}
	s.blocked += time.Since(t)
}

func (s *slowConn) Progress(int64) {}

// TestSearchCPULimitIgnoresSlowClient: a query whose output waits on a slow client spends
// seconds blocked but little CPU, and is not stopped by a MaxSearchCPU far below its wall time
// (a meter of time spent in the batch callbacks would have stopped it).
func TestSearchCPULimitIgnoresSlowClient(t *testing.T) {
	st, tag := cpuStore(t, 8000)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var read atomic.Int64
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.(*net.TCPConn).SetReadBuffer(4096)
		buf := make([]byte, 16<<10)
		for {
			n, err := io.ReadFull(c, buf)
			read.Add(int64(n))
			if err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).SetWriteBuffer(4096)
	sink := &slowConn{c: c}
	limit := 300 * time.Millisecond
	start := time.Now()
	err, used := runMetered(t, st, sink, "tag=x", tag, 1, limit)
	wall := time.Since(start)
	c.Close()
	t.Logf("wall %v, blocked in the sink %v, CPU %v, %d entries", wall, sink.blocked, used, sink.n)
	if err != nil {
		t.Fatalf("a search blocked on a slow client was stopped: %v", err)
	}
	if sink.n != 8000 {
		t.Errorf("%d entries written, want 8000", sink.n)
	}
	if sink.blocked < 2*limit {
		t.Fatalf("the sink was blocked only %v: the client was not slow enough to test anything", sink.blocked)
	}
	if used >= limit {
		t.Errorf("blocked run counted %v of CPU", used)
	}
}

// BenchmarkRunCPUMeter measures what CPU accounting costs a whole query over the real store,
// with 1 and 2 workers: every iteration runs the query with MaxSearchCPU off and on, in
// alternating order, and the process's CPU time (getrusage) of each run is summed apart, so
// drift in a shared machine's load falls on both alike. It reports both per run and the
// overhead in percent.
func BenchmarkRunCPUMeter(b *testing.B) {
	st, tag := cpuStore(b, 200_000)
	for _, query := range []string{"tag=x grep alice | limit 100000000", "tag=x kv srcip action | count by action"} {
		q, err := Parse(query)
		if err != nil {
			b.Fatal(err)
		}
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/workers=%d", query, workers), func(b *testing.B) {
				run := func(on bool) time.Duration {
					m := &Manager{cfg: ManagerConfig{MaxSearchCPU: -1}}
					if on {
						m.cfg.MaxSearchCPU = time.Hour
					}
					cpu0 := processCPU(b)
					ctx, stop := m.runLimits(context.Background())
					err := q.Run(ctx, meter(ctx, st), &countSink{}, &arrayRec{}, RunOptions{Tags: []uint16{tag}, Start: tStart, End: tEnd, Workers: workers})
					if err = stop(err); err != nil {
						b.Fatal(err)
					}
					return processCPU(b) - cpu0
				}
				var off, on time.Duration
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if i%2 == 0 {
						off += run(false)
						on += run(true)
					} else {
						on += run(true)
						off += run(false)
					}
					i++
				}
				b.ReportMetric(float64(off)/float64(b.N)/1e6, "off-cpu-ms/op")
				b.ReportMetric(float64(on)/float64(b.N)/1e6, "on-cpu-ms/op")
				b.ReportMetric(100*(float64(on)/float64(off)-1), "overhead-%")
			})
		}
	}
}
