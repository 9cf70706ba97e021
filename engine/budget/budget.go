// Package budget is sluice's process-wide accounting of memory and render-store disk: one
// Budget per resource, from which every consumer that grows with data reserves before it grows
// and to which it gives back when it shrinks. A reservation that would pass the limit fails, so
// the sum of what is held never exceeds the limit, however many searches or sockets ask at once.
package budget

import (
	"fmt"
	"strconv"
	"sync/atomic"
)

// Budget is a limit on one resource and the amount of it currently reserved. It is safe for
// concurrent use; a nil *Budget is unlimited and reserves nothing.
type Budget struct {
	field string // the config field that sets the limit, e.g. "memory_budget_mb"
	limit int64
	used  atomic.Int64
	peak  atomic.Int64
	fails atomic.Int64
}

// New returns a Budget of limit bytes; field names the configuration field that sets it, for
// error messages. limit <= 0 means unlimited (reservations are still counted).
func New(field string, limit int64) *Budget {
	return &Budget{field: field, limit: limit}
}

// Field returns the name of the configuration field that sets the limit.
func (b *Budget) Field() string {
	if b == nil {
		return ""
	}
	return b.field
}

// Limit returns the limit in bytes; 0 means unlimited.
func (b *Budget) Limit() int64 {
	if b == nil || b.limit <= 0 {
		return 0
	}
	return b.limit
}

// Used returns the bytes currently reserved.
func (b *Budget) Used() int64 {
	if b == nil {
		return 0
	}
	return b.used.Load()
}

// Peak returns the most bytes ever reserved at once.
func (b *Budget) Peak() int64 {
	if b == nil {
		return 0
	}
	return b.peak.Load()
}

// Refusals returns how many reservations failed.
func (b *Budget) Refusals() int64 {
	if b == nil {
		return 0
	}
	return b.fails.Load()
}

// Reserve takes n bytes from the budget and reports whether it could: false, with nothing
// taken, when n more would pass the limit.
func (b *Budget) Reserve(n int64) bool {
	if b == nil || n <= 0 {
		return true
	}
	for {
		u := b.used.Load()
		if b.limit > 0 && u+n > b.limit {
			b.fails.Add(1)
			return false
		}
		if b.used.CompareAndSwap(u, u+n) {
			b.notePeak(u + n)
			return true
		}
	}
}

// ReserveUpTo takes between min and want bytes, as many as remain, and returns how many it
// took; 0 when not even min remain.
func (b *Budget) ReserveUpTo(min, want int64) int64 {
	if b == nil || want <= 0 {
		return want
	}
	for {
		u := b.used.Load()
		n := want
		if b.limit > 0 && u+n > b.limit {
			n = b.limit - u
		}
		if n < min || n <= 0 {
			b.fails.Add(1)
			return 0
		}
		if b.used.CompareAndSwap(u, u+n) {
			b.notePeak(u + n)
			return n
		}
	}
}

// Release gives back n bytes taken by Reserve.
func (b *Budget) Release(n int64) {
	if b == nil || n <= 0 {
		return
	}
	if b.used.Add(-n) < 0 {
		panic("budget: " + b.field + ": released more than was reserved")
	}
}

func (b *Budget) notePeak(u int64) {
	for {
		p := b.peak.Load()
		if u <= p || b.peak.CompareAndSwap(p, u) {
			return
		}
	}
}

// Error returns the error for a reservation of n bytes that failed: it names the field, the
// limit and what is in use.
func (b *Budget) Error(what string, n int64) *Error {
	return &Error{Field: b.Field(), Limit: b.Limit(), Used: b.Used(), Need: n, What: what}
}

// Error reports a reservation the budget refused.
type Error struct {
	Field string // configuration field, e.g. "memory_budget_mb"
	Limit int64  // bytes
	Used  int64  // bytes reserved when it was refused
	Need  int64  // bytes asked for
	What  string // what needed them, e.g. "search launch minimum"
}

// Error names the field and the figures.
func (e *Error) Error() string {
	return fmt.Sprintf("%s reached: %s needs %s, %s of %s in use", e.Field, e.What,
		bytes(e.Need), bytes(e.Used), bytes(e.Limit))
}

func bytes(n int64) string {
	if n >= 1<<20 {
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	}
	if n >= 1<<10 {
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " B"
}
