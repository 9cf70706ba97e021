package render

import (
	"context"
	"errors"

	"github.com/sluicehq/sluice/wire"
)

// ErrReleased is returned by Stream when the search is deleted while it streams.
var ErrReleased = errors.New("render: search has been deleted")

// streamBlock is the block Stream is about to emit; the emit closure reads it.
type streamBlock struct {
	first, last int64
	final       bool
	addendum    []byte
	err         error // a read of the block failed: the stream ends after it
}

// Stream sends the results as REQ_STREAMING replies (PROTOCOL.md §6): blocks of up to
// Spec.StreamBlock results with ID 17, EntryRange.First/Last giving the block's indexes,
// EntryCount the block size and Finished false, then one empty block with Finished true.
//
// For each block Stream calls emit with a function that appends the block's data object to a
// buffer; emit frames and sends it (waiting for the connection to drain: Stream never encodes
// ahead of emit) and returns an error to stop the stream. While the search runs, Stream sends
// entries as they arrive and waits for more (woken by Add and Finish, no polling). Condensing
// renderers wait for the search to finish, then send their rows (tables repeat Columns), time
// slices or gauges in blocks. Stream returns nil after the terminator, emit's error, ctx's
// error, or ErrReleased. The data function is valid only during the emit call.
//
// A stream allocates one closure in total; encoding a block allocates nothing.
func (r *Result) Stream(ctx context.Context, emit func(data func(dst []byte) []byte) error) error {
	return r.stream(ctx, nil, emit)
}

// StreamRequest is Stream for a decoded request: every block echoes req's Addendum.
func (r *Result) StreamRequest(ctx context.Context, req *wire.Request, emit func(data func(dst []byte) []byte) error) error {
	var add []byte
	if len(req.Addendum) > 0 {
		add = append([]byte(nil), req.Addendum...)
	}
	return r.stream(ctx, add, emit)
}

func (r *Result) stream(ctx context.Context, addendum []byte, emit func(data func(dst []byte) []byte) error) error {
	blk := &streamBlock{addendum: addendum}
	data := func(dst []byte) []byte { return r.appendBlock(dst, blk) }
	block := int64(r.spec.StreamBlock)
	var pos int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if r.released.Load() {
			return ErrReleased
		}
		fin := r.finished.Load() // before counting, so that a finished search shows everything
		if n := r.streamCount(fin); pos < n {
			blk.first, blk.last, blk.final = pos, min(pos+block, n), false
			if err := emit(data); err != nil {
				return err
			}
			if blk.err != nil {
				if r.released.Load() {
					return ErrReleased
				}
				return blk.err
			}
			pos = blk.last
			continue
		}
		if fin {
			blk.first, blk.last, blk.final = pos, pos, true
			return emit(data)
		}
		// Register, then look again: an Add between the check above and the registration
		// must not be missed.
		wait := r.waitChan()
		if r.released.Load() || r.finished.Load() || r.streamCount(false) > pos {
			continue
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// streamCount returns the number of results that can be streamed now: stored entries or rows,
// and, for charts and gauges, nothing until the search has finished.
func (r *Result) streamCount(fin bool) int64 {
	switch r.kind {
	case kindEntries:
		return r.arena.count.Load()
	case kindTable:
		if !fin {
			return 0
		}
		return r.arena.count.Load()
	}
	if !fin {
		return 0
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.kind == kindChart {
		return int64(len(r.chart.order))
	}
	return int64(len(r.gauge.seen))
}

// appendBlock appends one REQ_STREAMING reply for blk.
func (r *Result) appendBlock(dst []byte, blk *streamBlock) []byte {
	req := wire.Request{ID: wire.ReqStreaming, Addendum: blk.addendum}
	b := r.base(&req)
	b.Finished = blk.final
	b.EntryCount = uint64(blk.last - blk.first)
	er := wire.EntryRange{First: uint64(blk.first), Last: uint64(blk.last)}
	if s, e, ok := r.searchRange(); ok {
		er.StartTS, er.EndTS, er.HasStartTS, er.HasEndTS = s, e, true, true
	}
	b.EntryRange = &er
	start := len(dst)
	dst = wire.AppendResponseHead(dst, &b)
	blk.err = nil
	switch r.kind {
	case kindEntries:
		dst = append(dst, `,"Tags":`...)
		dst = append(dst, r.tags.Load().json...)
		dst = wire.AppendResponseStatus(dst, &b)
		v := r.arena.snapshot()
		dst = append(dst, `,"Entries":[`...)
		if dst, blk.err = v.appendJoined(dst, blk.first, min(blk.last, v.n)); blk.err != nil {
			return r.readError(dst[:start], &b, blk.err)
		}
		dst = append(dst, ']')
		if r.raw {
			bin := false
			for i := blk.first; i < min(blk.last, v.n) && !bin; i++ {
				bin = v.item(i).flags()&flagBinary != 0
			}
			dst = append(dst, `,"ContainsBinaryEntries":`...)
			dst = wire.AppendBool(dst, bin)
		}
	case kindTable:
		dst = wire.AppendResponseStatus(dst, &b)
		v := r.arena.snapshot()
		r.mu.RLock()
		cols := r.columns
		r.mu.RUnlock()
		sel := selection{lo: blk.first, hi: min(blk.last, v.n)}
		dst = append(dst, `,"Entries":{"Columns":`...)
		dst = appendStringArray(dst, cols)
		dst = append(dst, `,"Rows":[`...)
		if dst, blk.err = appendRows(dst, &v, &sel, len(cols)); blk.err != nil {
			return r.readError(dst[:start], &b, blk.err)
		}
		dst = append(dst, "]}"...)
	case kindChart:
		dst = wire.AppendResponseStatus(dst, &b)
		dst = append(dst, `,"Entries":`...)
		r.mu.RLock()
		dst = r.appendChart(dst, int(blk.first), int(min(blk.last, int64(len(r.chart.order)))))
		r.mu.RUnlock()
	case kindGauge:
		dst = wire.AppendResponseStatus(dst, &b)
		dst = append(dst, `,"Entries":`...)
		r.mu.RLock()
		dst = r.appendGauges(dst, int(blk.first), int(min(blk.last, int64(len(r.gauge.seen)))))
		r.mu.RUnlock()
	}
	return append(dst, '}')
}
