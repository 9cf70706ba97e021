package render

import (
	"context"
	"sync"

	"github.com/sluicehq/sluice/wire"
)

// Record is one stored result as Read hands it out: an entry of an entry renderer (raw, text,
// hex, pcap) or a row of a table.
type Record struct {
	// Index is the result's position in the render store; positions never change, so an
	// index is a cursor that resumes a read exactly.
	Index int64
	// TS is the result's timestamp in Unix nanoseconds.
	TS int64
	// Tag is the entry's tag name (tables: the tag of the entry the row came from).
	Tag string
	// JSON is the result as it is stored and served: a SearchEntry object
	// {"TS":…,"SRC":…,"Tag":N,"Data":…,"Enumerated":[…]} (PROTOCOL.md §5.2) for entry
	// renderers, {"TS":…,"Row":[…]} for tables. It is valid only during the callback.
	JSON []byte
	// Cells is the number of cells of a table row; rows stored before a later column appeared
	// hold fewer cells than Columns (the missing ones are empty).
	Cells int
	// Binary is true for a raw-renderer entry whose data is not printable text.
	Binary bool
}

// Readable reports whether the renderer's results can be read one by one with Read: entry
// renderers and tables. Charts and gauges are read with Handle.
func (r *Result) Readable() bool { return r.kind == kindEntries || r.kind == kindTable }

// Stored returns the number of results Read can hand out now.
func (r *Result) Stored() int64 {
	if !r.Readable() {
		return 0
	}
	return r.arena.count.Load()
}

// Columns returns the table's columns (nil for other renderers). The slice is shared and must
// not be modified.
func (r *Result) Columns() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.columns
}

// readChunk is the most bytes Read fetches from the render store file at once.
const readChunk = 256 << 10

var readPool = sync.Pool{New: func() any { b := make([]byte, 0, readChunk); return &b }}

// Read calls fn for the stored results from index first on, in store order, at most limit of
// them (limit <= 0: every one stored now), and returns the index after the last one handed
// out. It stops early with fn's error, or ErrReleased when the search is deleted. Read fetches
// the render store a chunk of about 256 KiB at a time (one pread of contiguous fragments), so
// its memory does not grow with the result. The Record and its JSON are valid only during fn.
func (r *Result) Read(first, limit int64, fn func(rec *Record) error) (int64, error) {
	if r.released.Load() {
		return first, ErrReleased
	}
	if !r.Readable() {
		return first, nil
	}
	v := r.arena.snapshot()
	end := v.n
	if limit > 0 && first+limit < end {
		end = first + limit
	}
	bp := readPool.Get().(*[]byte)
	defer readPool.Put(bp)
	var rec Record
	for i := first; i < end; {
		base := v.start(i)
		j := i + 1
		for j < end && v.item(j).next()-base <= readChunk {
			j++
		}
		b, err := v.appendJoined((*bp)[:0], i, j)
		if cap(b) <= 4*readChunk {
			*bp = b[:0]
		}
		if err != nil {
			if r.released.Load() {
				return i, ErrReleased
			}
			return i, err
		}
		for k := i; k < j; k++ {
			it := v.item(k)
			rec = Record{Index: k, TS: it.ts, JSON: b[v.start(k)-base : it.next()-1-base], Binary: it.flags()&flagBinary != 0}
			if r.kind == kindEntries {
				rec.Tag = r.tagName(it.aux())
			} else {
				rec.Cells = int(it.aux())
			}
			if err := fn(&rec); err != nil {
				return k, err
			}
		}
		i = j
	}
	return max(end, first), nil
}

// WaitMore blocks until more than n results are stored, the search finishes or is deleted, or
// ctx ends; it returns ctx's error in the last case, ErrReleased when deleted, nil otherwise.
// Entries and table rows can be read while the search runs; charts and gauges only once it
// has finished.
func (r *Result) WaitMore(ctx context.Context, n int64) error {
	for {
		if r.released.Load() {
			return ErrReleased
		}
		if r.finished.Load() || (r.Readable() && r.arena.count.Load() > n) {
			return nil
		}
		wait := r.waitChan()
		if r.released.Load() || r.finished.Load() || (r.Readable() && r.arena.count.Load() > n) {
			continue
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Truncation describes what the render store's limit dropped (PROTOCOL.md §5.12): OverLimit
// and the time range of the dropped results, with the warning the replies carry.
type Truncation struct {
	OverLimit                bool
	DroppedStart, DroppedEnd int64
	Warning                  string
}

// Truncation returns what the render store's limit has dropped so far.
func (r *Result) Truncation() Truncation {
	var req wire.Request
	b := r.base(&req)
	return Truncation{OverLimit: b.OverLimit, DroppedStart: b.DroppedStart, DroppedEnd: b.DroppedEnd, Warning: b.Warning}
}
