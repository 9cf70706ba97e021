package search

import (
	"context"
	"time"

	"github.com/sluicehq/sluice/engine/cputime"
	"github.com/sluicehq/sluice/engine/store"
	"github.com/sluicehq/sluice/wire"
)

// A search's CPU time (MaxSearchCPU) is measured with the kernel's per-thread CPU clocks
// (engine/cputime) around each unit of its work, whatever goroutine does it: the goroutine is
// locked to its OS thread for the unit, its thread's clock is read before and after, and the
// differences are summed into one cputime.Meter per search. The units are:
//
//   - every block the store checks and decodes for the search, on the scan goroutine or an
//     ordered scan's decoders (store.ScanQuery.CPU);
//   - every batch callback of an ordered scan: the pipeline on the batch and the sink
//     (meteredSource);
//   - every block of ScanUnordered, its decoding and its batch callbacks together (the
//     store's workers, store.ScanQuery.CPU);
//   - every part a fan-out worker runs, and the fan-out coordinator's batch in two units,
//     before and after it waits for the workers (parallel.go: never locked while waiting);
//   - the end of the run, from the scan's return: merging the workers' partials, the
//     condensing stages' final emit (runCPU.finish).
//
// Not counted: reading blocks from their files (pread; the page-cache copy), the ordered scan's
// merge of decoded blocks (a few ns per entry), and time spent blocked (waiting for a slow
// source, a full socket, a lock), which is not CPU time. Locking per unit rather than for a
// goroutine's life keeps the goroutines free to block and wake between units without
// locked-thread hand-offs. The cost is two clock reads per unit: system calls, 0.25 µs each
// on an idle machine but several µs on a loaded VM; BenchmarkRunCPUMeter measures it.

// cpuKey carries a search's *runCPU in the run's context.
type cpuKey struct{}

// runCPU is the CPU account of one search run.
type runCPU struct {
	m *cputime.Meter
	// finish measures the run goroutine from the scan's return to the run's end; it is used
	// only on that goroutine.
	finish cputime.Span
}

// startCPU returns the CPU account of a run: a Meter that cancels the run with a
// MaxSearchCPU LimitError once it passes limit.
func startCPU(limit time.Duration, cancel context.CancelCauseFunc) *runCPU {
	c := &runCPU{}
	c.m = cputime.NewMeter(limit, func() {
		cancel(&LimitError{Field: "MaxSearchCPU", Limit: int64(limit)})
	})
	return c
}

// scanned starts measuring the end of the run, on the run goroutine, once its scan returned.
func (c *runCPU) scanned() {
	c.finish.End() // a second scan: the first one's end is charged
	c.finish = c.m.Begin()
}

// end charges the end of the run and unlocks the run goroutine. It must be called on the
// goroutine that ran the scan. A nil c does nothing.
func (c *runCPU) end() {
	if c != nil {
		c.finish.End()
	}
}

// cpuFrom returns the run's CPU account in ctx, or nil.
func cpuFrom(ctx context.Context) *runCPU {
	c, _ := ctx.Value(cpuKey{}).(*runCPU)
	return c
}

// meterFrom returns the Meter of the run in ctx, or nil (which measures nothing).
func meterFrom(ctx context.Context) *cputime.Meter {
	if c := cpuFrom(ctx); c != nil {
		return c.m
	}
	return nil
}

// CPUUsed returns the CPU time the run in ctx has used so far (0 when it is not measured).
func CPUUsed(ctx context.Context) time.Duration { return meterFrom(ctx).Used() }

// meter returns src with its batch callbacks and its block decoding measured into the run's
// Meter and the end of the run measured from the scan's return, keeping src's
// ParallelSource-ness; src itself when ctx has no CPU account or src is nil. Query.Run calls
// Scan and ScanUnordered on the run goroutine, which runs the end of the run too.
func meter(ctx context.Context, src Source) Source {
	c := cpuFrom(ctx)
	if c == nil || src == nil {
		return src
	}
	if ps, ok := src.(PartialSource); ok {
		return &meteredPartials{meteredSource{Source: src, c: c}, ps}
	}
	if ps, ok := src.(ParallelSource); ok {
		return &meteredParallel{meteredSource{Source: src, c: c}, ps}
	}
	return &meteredSource{Source: src, c: c}
}

type meteredSource struct {
	Source
	c   *runCPU
	own bool // the callback measures itself (selfMetered): only decoding and the end are
}

// selfMeterer is a metered source whose batch callbacks can measure themselves.
type selfMeterer interface{ selfMetered() Source }

// selfMetered returns the source with its block decoding and the end of the run measured but
// not its batch callbacks, for a callback that measures its own units (the fan-out's, which
// waits for its workers between two units).
func (s *meteredSource) selfMetered() Source {
	return &meteredSource{Source: s.Source, c: s.c, own: true}
}

func (s *meteredSource) Scan(ctx context.Context, q store.ScanQuery, fn func([]wire.Entry) error) error {
	q.CPU = s.c.m
	defer s.c.scanned()
	if s.own {
		return s.Source.Scan(ctx, q, fn)
	}
	return s.Source.Scan(ctx, q, func(b []wire.Entry) error {
		sp := s.c.m.Begin()
		err := fn(b)
		sp.End()
		return err
	})
}

type meteredParallel struct {
	meteredSource
	ps ParallelSource
}

func (s *meteredParallel) ScanUnordered(ctx context.Context, q store.ScanQuery, workers int, fn func(int, []wire.Entry) error) error {
	q.CPU = s.c.m // measures each block with its callbacks
	defer s.c.scanned()
	return s.ps.ScanUnordered(ctx, q, workers, fn)
}

// CPU returns the CPU time the search's run used, once it has ended (0 before, for embedded
// searches, and when MaxSearchCPU is off).
func (s *Search) CPU() time.Duration { return time.Duration(s.cpu.Load()) }
