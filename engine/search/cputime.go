package search

import (
	"context"
	"time"

	"github.com/sluicehq/sluice/engine/cputime"
	"github.com/sluicehq/sluice/engine/store"
	"github.com/sluicehq/sluice/wire"
)

// A search's CPU time (MaxSearchCPU) is measured with the kernel's per-thread CPU clocks
// (engine/cputime): every goroutine that works for the search is locked to its OS thread and
// reads its thread's clock after each batch or block, and the differences are summed into one
// cputime.Meter per search. The goroutines are:
//
//   - the run goroutine (the Manager's, which calls Query.Run): the ordered scan's merge and
//     inline decoding, the pipeline on every batch, the sink, the condensing stages' final
//     emit, and ScanUnordered's worker 0. Its Span begins in runLimits, ticks in the source's
//     batch callbacks (which a Source calls on the goroutine that called Scan) and ends when
//     the run ends.
//   - the store's goroutines: ScanUnordered's other workers and an ordered scan's decoders
//     (store.ScanQuery.CPU), ticking after every block;
//   - the fan-out workers (parallel.go), ticking after every part.
//
// Time a goroutine spends blocked (waiting for a slow source, a full channel, a lock) is not
// CPU time and is not counted. The cost is one clock read (a system call, ~0.1–0.5 µs) per
// batch or block and goroutine, and locked-thread hand-offs when those goroutines block:
// BenchmarkRunCPUMeter measures it.

// cpuKey carries a search's *runCPU in the run's context.
type cpuKey struct{}

// runCPU is the CPU account of one search run.
type runCPU struct {
	m   *cputime.Meter
	run cputime.Span // the run goroutine's: used only on it
}

// startCPU begins accounting the calling (run) goroutine's CPU time to a new Meter that
// cancels the run with a MaxSearchCPU LimitError once it passes limit.
func startCPU(limit time.Duration, cancel context.CancelCauseFunc) *runCPU {
	c := &runCPU{}
	c.m = cputime.NewMeter(limit, func() {
		cancel(&LimitError{Field: "MaxSearchCPU", Limit: int64(limit)})
	})
	c.run = c.m.Begin()
	return c
}

// end charges the run goroutine's last stretch (the final emit) and unlocks it. It must be
// called on the goroutine that called startCPU. A nil c does nothing.
func (c *runCPU) end() {
	if c != nil {
		c.run.End()
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

// meter returns src with its batch callbacks ticking the run goroutine's Span and its scans
// charging the store's goroutines to the run's Meter, keeping src's ParallelSource-ness; src
// itself when ctx has no CPU account or src is nil. Query.Run calls Scan and ScanUnordered on
// the run goroutine.
func meter(ctx context.Context, src Source) Source {
	c := cpuFrom(ctx)
	if c == nil || src == nil {
		return src
	}
	if ps, ok := src.(PartialSource); ok {
		return &meteredPartials{meteredSource{src, c}, ps}
	}
	if ps, ok := src.(ParallelSource); ok {
		return &meteredParallel{meteredSource{src, c}, ps}
	}
	return &meteredSource{src, c}
}

type meteredSource struct {
	Source
	c *runCPU
}

func (s *meteredSource) Scan(ctx context.Context, q store.ScanQuery, fn func([]wire.Entry) error) error {
	q.CPU = s.c.m
	return s.Source.Scan(ctx, q, func(b []wire.Entry) error {
		err := fn(b)
		s.c.run.Tick()
		return err
	})
}

type meteredParallel struct {
	meteredSource
	ps ParallelSource
}

func (s *meteredParallel) ScanUnordered(ctx context.Context, q store.ScanQuery, workers int, fn func(int, []wire.Entry) error) error {
	q.CPU = s.c.m
	return s.ps.ScanUnordered(ctx, q, workers, func(w int, b []wire.Entry) error {
		err := fn(w, b)
		if w == 0 { // the run goroutine; the store's own workers tick their Spans per block
			s.c.run.Tick()
		}
		return err
	})
}

// CPU returns the CPU time the search's run used, once it has ended (0 before, for embedded
// searches, and when MaxSearchCPU is off).
func (s *Search) CPU() time.Duration { return time.Duration(s.cpu.Load()) }
