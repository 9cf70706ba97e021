package search

import (
	"context"
	"strconv"
	"time"
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

// runLimits returns the context a search runs under, bounded by MaxSearchDuration and
// MaxSearchCPU, and the function that turns the run's error into the one to report: the
// LimitError (with a note that the results are partial) when a limit stopped it.
func (m *Manager) runLimits(parent context.Context) (context.Context, func(error) error) {
	ctx, cancel := context.WithCancelCause(parent)
	var timer *time.Timer
	if d := m.cfg.MaxSearchDuration; d > 0 {
		timer = time.AfterFunc(d, func() { cancel(&LimitError{Field: "MaxSearchDuration", Limit: int64(d)}) })
	}
	var cpu *runCPU
	if d := m.cfg.MaxSearchCPU; d > 0 {
		cpu = startCPU(d, cancel)
		ctx = context.WithValue(ctx, cpuKey{}, cpu)
	}
	return ctx, func(err error) error {
		if timer != nil {
			timer.Stop()
		}
		cpu.end()
		le, stopped := context.Cause(ctx).(*LimitError)
		cancel(nil)
		if stopped && err != nil {
			return &stoppedError{le, cpu.m.Used()}
		}
		return err
	}
}

// stoppedError reports a search stopped by a run limit, with the CPU time it had used; the
// results found so far are kept.
type stoppedError struct {
	*LimitError
	cpu time.Duration
}

func (e *stoppedError) Error() string {
	d := time.Duration(e.Limit).String()
	used := ""
	if e.Field == "MaxSearchCPU" {
		used = " (" + e.cpu.Round(time.Millisecond).String() + " of CPU used)"
	}
	return "search: stopped at limit " + e.Field + "=" + d + used + "; the results are partial"
}

func (e *stoppedError) Unwrap() error { return e.LimitError }
