package search

import (
	"context"
	"errors"
	"slices"

	"github.com/sluicehq/sluice/engine/store"
	"github.com/sluicehq/sluice/wire"
)

// PartialSource is a Source whose data lives with other processes (a cluster's indexers), each
// of which can run its share of a mergeable query (Query.Mergeable) on its own data with its
// own cores (RunPartial) and send back the encoded Partial. Run uses it for mergeable queries:
// it merges the shares in holder-name order, so results are the same run to run, and finishes
// the merged Partial itself.
type PartialSource interface {
	Source
	// ScanPartials sends req and sq (tags, range and block filter) to every holder of data
	// and calls fn, from one goroutine at a time, with the holder's name and each chunk it
	// sends (Partial.Encode, StatsTally.EncodeStats), then once with a nil chunk when the
	// holder has sent its whole share. A holder that fails, dies or goes silent must be
	// reported through sq.OnDamage (naming it and the time range it held) and never gets the
	// nil chunk: Run then leaves out what it sent. An error from fn ends the scan with it.
	ScanPartials(ctx context.Context, sq store.ScanQuery, req *PartialRequest, fn func(holder string, chunk []byte) error) error
}

// PartialRequest is what a holder needs besides the scan to run its share of a query exactly
// as the requester would: the query text and every option the Partial's state depends on.
type PartialRequest struct {
	Query        string // the text the requester parsed
	Start, End   int64  // the search range, Unix ns
	ChartWindow  int64  // the window of condensing modules without "over" (chart), 0 for none
	StatsWidth   int64  // the requester's stats bucket width; 0 when it records no statistics
	MaxGroups    int    // the requester's RunOptions.MaxGroups, which the share must keep to
	MaxSortBytes int64  // the requester's RunOptions.MaxSortBytes, likewise
}

// RunPartial is a holder's side of PartialSource.ScanPartials: it parses req.Query, scans src
// with sq on opt.Workers goroutines (each into its own Partial, recording module statistics
// in a StatsTally when req.StatsWidth is set), merges the workers' Partials and sends the
// result as chunks of about maxChunk bytes, the statistics last. Of opt only Workers and
// Memory are used; the rest comes from req.
//
// sq.Tags are the holder's tag IDs; tagOf maps each to the requester's ID of the same tag
// name, so that everything the share keeps (a group's tag, TAG values, sort by tag) is in the
// requester's IDs. A nil tagOf keeps the IDs.
func RunPartial(ctx context.Context, src ParallelSource, sq store.ScanQuery, req *PartialRequest, tagOf map[uint16]uint16, opt RunOptions, maxChunk int, send func(chunk []byte) error) error {
	q, err := Parse(req.Query)
	if err != nil {
		return err
	}
	if !q.Mergeable() {
		return errors.New("search: query " + req.Query + " does not split into partial aggregates")
	}
	opt = RunOptions{Tags: sq.Tags, Start: req.Start, End: req.End, ChartWindow: req.ChartWindow,
		MaxGroups: req.MaxGroups, MaxSortBytes: req.MaxSortBytes, Workers: opt.Workers, Memory: opt.Memory}
	opt.defaults()
	if opt.Memory != nil {
		opt.mem = &memTally{b: opt.Memory}
		defer opt.mem.release()
	}
	var tally *StatsTally
	var rec StatsRecorder
	if req.StatsWidth > 0 {
		tally = NewStatsTally(req.Start, req.StatsWidth, opt.Workers)
		rec = tally
	}
	if tagOf != nil {
		src = &retagSource{ParallelSource: src, tagOf: tagOf, bufs: make([][]wire.Entry, opt.Workers)}
	}
	pt, err := q.scanPartial(ctx, src, sq, rec, opt, nil)
	if err != nil {
		return err
	}
	if err := pt.Encode(maxChunk, send); err != nil {
		return err
	}
	if tally != nil {
		return tally.EncodeStats(maxChunk, send)
	}
	return nil
}

// share is one holder's part of a remote run: its Partial and statistics, kept until it says
// it is complete.
type share struct {
	pt    *Partial
	stats []StatsRecord
	done  bool
}

// runPartials is the remote strategy: every holder runs the query's share on its data, and
// the complete shares merge, in holder-name order, into the Partial that finishes into sink.
func (q *Query) runPartials(ctx context.Context, src PartialSource, sink Sink, rec StatsRecorder, opt RunOptions) error {
	final := &Partial{p: newPipeline(q, nil, rec, opt)}
	p := final.p
	req := &PartialRequest{Query: q.text, Start: opt.Start, End: opt.End, ChartWindow: p.rc.window,
		MaxGroups: opt.MaxGroups, MaxSortBytes: opt.MaxSortBytes}
	if rec != nil {
		req.StatsWidth = p.width
	}
	dr := damageReport{sink: sink}
	sq := q.scanQuery(&opt)
	sq.OnDamage = dr.add
	shares := map[string]*share{}
	err := src.ScanPartials(ctx, sq, req, func(holder string, chunk []byte) error {
		sh := shares[holder]
		if sh == nil {
			sh = &share{pt: &Partial{p: newPipeline(q, nil, nil, opt)}}
			shares[holder] = sh
		}
		switch {
		case chunk == nil:
			sh.done = true
			return nil
		case IsStatsChunk(chunk):
			if rec == nil {
				return nil
			}
			var err error
			sh.stats, err = q.DecodeStats(sh.stats, chunk, opt.Start, opt.End, p.width)
			return err
		}
		return sh.pt.AddWire(chunk)
	})
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	names := make([]string, 0, len(shares))
	for name, sh := range shares {
		if sh.done {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		sh := shares[name]
		if err := final.Merge(sh.pt); err != nil {
			return err
		}
		for i := range sh.stats {
			r := &sh.stats[i]
			rec.Record(opt.Shard, r.Module, r.TS, &r.C)
		}
	}
	if err := final.Finish(ctx, sink); err != nil {
		return err
	}
	sink.Progress(opt.Start)
	return nil
}

// retagSource hands out a ParallelSource's batches, and the blocks it answers from summaries
// (store.MetaQuery), with their tags mapped (RunPartial's tagOf), copying the headers into
// buffers per worker.
type retagSource struct {
	ParallelSource
	tagOf map[uint16]uint16
	bufs  [][]wire.Entry
	metas []store.MetaBlock
}

func (s *retagSource) ScanUnordered(ctx context.Context, q store.ScanQuery, workers int, fn func(int, []wire.Entry) error) error {
	if m := q.Meta; m != nil {
		s.metas = make([]store.MetaBlock, workers)
		mq := *m
		mq.Add = func(w int, b *store.MetaBlock) error {
			mb := &s.metas[w]
			mb.Tags = append(mb.Tags[:0], b.Tags...)
			for i := range mb.Tags {
				mb.Tags[i].Tag = s.tagOf[mb.Tags[i].Tag]
			}
			return m.Add(w, mb)
		}
		q.Meta = &mq
	}
	return s.ParallelSource.ScanUnordered(ctx, q, workers, func(w int, batch []wire.Entry) error {
		buf := append(s.bufs[w][:0], batch...)
		s.bufs[w] = buf
		for i := range buf {
			buf[i].Tag = s.tagOf[buf[i].Tag]
		}
		return fn(w, buf)
	})
}

// meteredPartials measures every chunk the run goroutine decodes and merges as a CPU unit
// (cputime.go), and the end of the run from the scan's return; the holders' CPU is their own.
type meteredPartials struct {
	meteredSource
	ps PartialSource
}

func (s *meteredPartials) ScanPartials(ctx context.Context, sq store.ScanQuery, req *PartialRequest, fn func(string, []byte) error) error {
	defer s.c.scanned()
	return s.ps.ScanPartials(ctx, sq, req, func(holder string, chunk []byte) error {
		sp := s.c.m.Begin()
		err := fn(holder, chunk)
		sp.End()
		return err
	})
}
