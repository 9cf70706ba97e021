package render

import (
	"sort"
	"sync"

	"github.com/sluicehq/sluice/wire"
)

// selection is the set of stored items one request returns, in index order: the range
// [lo, hi), or, for a time window over results that are not in time order, the explicit
// positions pos. more is the request's AdditionalEntries.
type selection struct {
	lo, hi   int64
	pos      []int64
	buf      *[]int64 // pooled backing of pos
	explicit bool
	more     bool
}

var posPool = sync.Pool{New: func() any { s := make([]int64, 0, 256); return &s }}

// each calls fn for every maximal run [from, to) of consecutive selected items.
func (s *selection) each(_ *view, fn func(from, to int64)) {
	if !s.explicit {
		if s.hi > s.lo {
			fn(s.lo, s.hi)
		}
		return
	}
	for i := 0; i < len(s.pos); {
		j := i + 1
		for j < len(s.pos) && s.pos[j] == s.pos[j-1]+1 {
			j++
		}
		fn(s.pos[i], s.pos[j-1]+1)
		i = j
	}
}

// release returns an explicit selection's buffer to the pool.
func (s *selection) release() {
	if s.explicit {
		*s.buf = s.pos[:0]
		posPool.Put(s.buf)
		s.pos, s.buf, s.explicit = nil, nil, false
	}
}

// selectItems selects indexes [er.First, er.Last) of the stored items, or of those whose
// timestamp lies in [StartTS, EndTS) when window is true (unset sides are unbounded).
// Results in time order are windowed by binary search; others by a scan.
func (r *Result) selectItems(v *view, er *wire.EntryRange, window bool, sel *selection) {
	n := v.n
	first, last := clampIdx(er.First, n), clampIdx(er.Last, n)
	if !window || r.noZoom || (!er.HasStartTS && !er.HasEndTS) {
		sel.lo, sel.hi = first, max(first, last)
		sel.more = er.Last < uint64(n)
		return
	}
	ws, we := er.StartTS, er.EndTS
	in := func(ts int64) bool {
		return (!er.HasStartTS || ts >= ws) && (!er.HasEndTS || ts < we)
	}
	order := r.order.Load()
	if order != 0 {
		item := func(i int) int64 { return v.item(int64(i)).ts }
		a, b := 0, int(n)
		if order&orderDesc != 0 {
			// Newest first: the window starts at the first item older than EndTS and ends at
			// the first item older than StartTS.
			if er.HasEndTS {
				a = sort.Search(int(n), func(i int) bool { return item(i) < we })
			}
			if er.HasStartTS {
				b = sort.Search(int(n), func(i int) bool { return item(i) < ws })
			}
		} else {
			if er.HasStartTS {
				a = sort.Search(int(n), func(i int) bool { return item(i) >= ws })
			}
			if er.HasEndTS {
				b = sort.Search(int(n), func(i int) bool { return item(i) >= we })
			}
		}
		b = max(a, b)
		size := int64(b - a)
		f, l := clampIdx(er.First, size), clampIdx(er.Last, size)
		sel.lo, sel.hi = int64(a)+f, int64(a)+max(f, l)
		sel.more = er.Last < uint64(size)
		return
	}
	sel.buf = posPool.Get().(*[]int64)
	sel.pos, sel.explicit = (*sel.buf)[:0], true
	var k uint64
	for i := int64(0); i < n; i++ {
		if !in(v.item(i).ts) {
			continue
		}
		if k >= er.Last {
			sel.more = true
			break
		}
		if k >= er.First {
			sel.pos = append(sel.pos, i)
		}
		k++
	}
}

func clampIdx(i uint64, n int64) int64 {
	if i > uint64(n) {
		return n
	}
	return int64(i)
}
