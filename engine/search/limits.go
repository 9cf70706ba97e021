package search

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/engine/store"
	"github.com/sluicehq/sluice/wire"
)

// Parse is the package Parse held to the manager's bounds: a query longer than MaxQueryBytes
// is refused before it is parsed, one with more than MaxQueryPatterns patterns after. Both
// are *ParseError naming the field, so the parse channel and a launch report them alike.
func (m *Manager) Parse(text string) (*Query, error) {
	if len(text) > m.cfg.MaxQueryBytes {
		return nil, &ParseError{Offset: m.cfg.MaxQueryBytes, Msg: "query is " + strconv.Itoa(len(text)) +
			" bytes: limit MaxQueryBytes=" + strconv.Itoa(m.cfg.MaxQueryBytes) + " reached"}
	}
	q, err := Parse(text)
	if err != nil {
		return nil, err
	}
	if n := q.Patterns(); n > m.cfg.MaxQueryPatterns {
		return nil, &ParseError{Msg: "query has " + strconv.Itoa(n) + " patterns: limit MaxQueryPatterns=" +
			strconv.Itoa(m.cfg.MaxQueryPatterns) + " reached"}
	}
	return q, nil
}

// Patterns returns how many match patterns q holds: every grep pattern and every regex.
func (q *Query) Patterns() int {
	n := 0
	for i := range q.Modules {
		switch impl := q.Modules[i].impl.(type) {
		case *grepSpec:
			n += len(impl.pats)
		case *regexSpec:
			n++
		}
	}
	return n
}

// cpuMeterKey carries a search's *cpuMeter in the run's context.
type cpuMeterKey struct{}

// cpuMeter sums the time workers spend in the pipeline's batch callbacks and cancels the run
// once it passes the limit.
type cpuMeter struct {
	used   atomic.Int64
	limit  int64
	cancel context.CancelCauseFunc
}

func (c *cpuMeter) charge(d time.Duration) {
	if c.used.Add(int64(d)) > c.limit && c.limit > 0 {
		c.cancel(&LimitError{Field: "MaxSearchCPU", Limit: c.limit})
	}
}

// runLimits returns the context a search runs under, bounded by MaxSearchDuration and
// MaxSearchCPU, and the function that turns the run's error into the one to report: the
// LimitError (with a note that the results are partial) when a limit stopped it.
func (m *Manager) runLimits(parent context.Context) (context.Context, func(error) error) {
	ctx, cancel := context.WithCancelCause(parent)
	var timer *time.Timer
	if d := m.cfg.MaxSearchDuration; d > 0 {
		timer = time.AfterFunc(d, func() { cancel(&LimitError{Field: "MaxSearchDuration", Limit: int64(d)}) })
	}
	if d := m.cfg.MaxSearchCPU; d > 0 {
		ctx = context.WithValue(ctx, cpuMeterKey{}, &cpuMeter{limit: int64(d), cancel: cancel})
	}
	return ctx, func(err error) error {
		if timer != nil {
			timer.Stop()
		}
		le, stopped := context.Cause(ctx).(*LimitError)
		cancel(nil)
		if stopped && err != nil {
			return &stoppedError{le}
		}
		return err
	}
}

// stoppedError reports a search stopped by a run limit; the results found so far are kept.
type stoppedError struct{ *LimitError }

func (e *stoppedError) Error() string {
	d := time.Duration(e.Limit).String()
	return "search: stopped at limit " + e.Field + "=" + d + "; the results are partial"
}

func (e *stoppedError) Unwrap() error { return e.LimitError }

// meter returns src with its batch callbacks timed into the context's cpuMeter, keeping
// src's ParallelSource-ness; src itself when ctx has no meter or src is nil.
func meter(ctx context.Context, src Source) Source {
	c, _ := ctx.Value(cpuMeterKey{}).(*cpuMeter)
	if c == nil || src == nil {
		return src
	}
	if ps, ok := src.(ParallelSource); ok {
		return &meteredParallel{meteredSource{src, c}, ps}
	}
	return &meteredSource{src, c}
}

type meteredSource struct {
	Source
	c *cpuMeter
}

func (s *meteredSource) Scan(ctx context.Context, q store.ScanQuery, fn func([]wire.Entry) error) error {
	return s.Source.Scan(ctx, q, func(b []wire.Entry) error {
		t := time.Now()
		err := fn(b)
		s.c.charge(time.Since(t))
		return err
	})
}

type meteredParallel struct {
	meteredSource
	ps ParallelSource
}

func (s *meteredParallel) ScanUnordered(ctx context.Context, q store.ScanQuery, workers int, fn func(int, []wire.Entry) error) error {
	return s.ps.ScanUnordered(ctx, q, workers, func(w int, b []wire.Entry) error {
		t := time.Now()
		err := fn(w, b)
		s.c.charge(time.Since(t))
		return err
	})
}
