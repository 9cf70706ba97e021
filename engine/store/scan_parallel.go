package store

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/sluicehq/sluice/engine/cputime"
	"github.com/sluicehq/sluice/wire"
)

// ScanUnordered calls fn with batches of the entries selected by q from up to workers
// goroutines at once (workers <= 0 means 1). Each goroutine reads, checks and decodes whole
// blocks, so block decoding runs on every worker, and hands each block's entries to fn in
// batches of at most Config.ScanBatch; worker is the calling goroutine's number in
// [0, workers), so fn can keep per-worker state without locks. Within a batch entries are in
// q's time order; across batches there is no order, though blocks are taken in scan order so
// the position moves roughly monotonically. fn runs concurrently with itself for different
// workers. Batch memory, errors, cancellation and damage are as for Scan: the first error (or
// ctx's) stops every worker and is returned; damaged blocks are skipped and reported to
// q.OnDamage, which any worker may call (one call at a time).
func (s *Store) ScanUnordered(ctx context.Context, q ScanQuery, workers int, fn func(worker int, batch []wire.Entry) error) error {
	if len(q.Tags) == 0 || q.End <= q.Start {
		return nil
	}
	workers = max(workers, 1)
	s.life.RLock()
	if s.closed {
		s.life.RUnlock()
		return ErrClosed
	}
	ps := parScanPool.Get().(*parScan)
	ps.init(s, &q)
	s.life.RUnlock()
	defer func() {
		ps.reset(&q)
		parScanPool.Put(ps)
	}()
	for i := range ps.dmg {
		ps.report(s, &q, &ps.dmg[i])
	}
	if len(ps.blocks) == 0 {
		return nil
	}
	workers = min(workers, len(ps.blocks))
	var (
		next atomic.Int64
		stop atomic.Bool
		once sync.Once
		ferr error
		wg   sync.WaitGroup
	)
	fail := func(err error) {
		once.Do(func() { ferr = err })
		stop.Store(true)
	}
	run := func(w int) {
		bw := blockWorkerPool.Get().(*blockWorker)
		defer func() {
			bw.release()
			blockWorkerPool.Put(bw)
		}()
		for !stop.Load() {
			i := int(next.Add(1) - 1)
			if i >= len(ps.blocks) {
				return
			}
			if err := ctx.Err(); err != nil {
				fail(err)
				return
			}
			pb := &ps.blocks[i]
			if q.Meta != nil && bw.ma.answer(pb.b, &ps.filter, q.Meta) {
				ps.summarised.Add(1)
				if err := bw.ma.add(q.Meta, w); err != nil {
					fail(err)
					return
				}
				continue
			}
			ents, err := bw.decode(q.CPU, pb.sh, pb.b, &ps.filter) // opens the block's CPU unit
			if err != nil {
				bw.cpu.End()
				d := s.damaged(pb.sh, pb.b, err)
				ps.report(s, &q, &d)
				continue
			}
			for len(ents) > 0 && !stop.Load() {
				k := min(len(ents), s.cfg.ScanBatch)
				if err := fn(w, ents[:k:k]); err != nil {
					bw.cpu.End()
					fail(err)
					return
				}
				ents = ents[k:]
			}
			bw.cpu.End() // the block's decoding and callbacks: one unit
		}
	}
	for w := 1; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(w)
		}()
	}
	run(0)
	wg.Wait()
	if q.Counts != nil {
		q.Counts.Summarised = ps.summarised.Load()
	}
	return ferr
}

// parScan is the pooled snapshot of one ScanUnordered: the selected blocks in scan order.
type parScan struct {
	dmg    []Damage   // damage found while taking the snapshot
	dmgMu  sync.Mutex // serialises ScanQuery.OnDamage calls from the workers
	shards []*shard
	blocks []pendBlock
	filter recordFilter
	tags   [1024]uint64
	asc    bool
	// summarised counts the blocks answered from summaries (ScanCounts.Summarised).
	summarised atomic.Int64
}

var parScanPool = sync.Pool{New: func() any { return new(parScan) }}

// init takes every block that may hold entries selected by q, with a reference on its shard.
func (ps *parScan) init(s *Store, q *ScanQuery) {
	var mask uint64
	for _, t := range q.Tags {
		ps.tags[t>>6] |= 1 << (t & 63)
		mask |= tagBit(t)
	}
	ps.asc = q.Ascending
	ps.filter = recordFilter{start: q.Start, end: q.End, tags: &ps.tags, descending: !q.Ascending}
	var counts ScanCounts
	s.mu.RLock()
	for _, w := range s.wells {
		for _, sh := range w.shards {
			for i := range sh.bad {
				if r := &sh.bad[i]; r.overlaps(sh, mask, q.Start, q.End) {
					ps.dmg = append(ps.dmg, r.damage(sh))
				}
			}
			if len(sh.blocks) == 0 || sh.mask&mask == 0 || sh.maxTS < q.Start || sh.minTS >= q.End {
				continue
			}
			sh.refs.Add(1)
			ps.shards = append(ps.shards, sh)
			for i := range sh.blocks {
				b := &sh.blocks[i]
				if b.tagMask&mask == 0 || b.maxTS < q.Start || b.minTS >= q.End {
					continue
				}
				if len(sh.bad) > 0 && sh.isBad(b.off) {
					continue // reported through ps.dmg
				}
				counts.Blocks++
				if !q.Filter.mayMatch(b.acc) {
					counts.Skipped++
					continue
				}
				key := min(b.maxTS, q.End-1)
				if q.Ascending {
					key = max(b.minTS, q.Start)
				}
				ps.blocks = append(ps.blocks, pendBlock{sh: sh, b: b, key: key})
			}
		}
	}
	s.mu.RUnlock()
	if q.Counts != nil {
		*q.Counts = counts
	}
	if ps.asc {
		slices.SortFunc(ps.blocks, func(a, b pendBlock) int { return cmp.Compare(a.key, b.key) })
	} else {
		slices.SortFunc(ps.blocks, func(a, b pendBlock) int { return cmp.Compare(b.key, a.key) })
	}
}

func (ps *parScan) reset(q *ScanQuery) {
	for _, t := range q.Tags {
		ps.tags[t>>6] = 0
	}
	for _, sh := range ps.shards {
		sh.release()
	}
	clear(ps.shards)
	ps.shards = ps.shards[:0]
	clear(ps.blocks)
	ps.blocks = ps.blocks[:0]
	clear(ps.dmg)
	ps.dmg = ps.dmg[:0]
	ps.summarised.Store(0)
}

// report hands damage to q.OnDamage (one call at a time) and counts it.
func (ps *parScan) report(s *Store, q *ScanQuery, d *Damage) {
	s.damage.skips.Add(1)
	if q.OnDamage != nil {
		ps.dmgMu.Lock()
		q.OnDamage(*d)
		ps.dmgMu.Unlock()
	}
}

// blockWorker is the pooled decode state of one scanning goroutine.
type blockWorker struct {
	comp []byte
	c    cursor
	ma   metaAnswer
	cpu  cputime.Span // the current block's CPU unit (ScanQuery.CPU)
}

var blockWorkerPool = sync.Pool{New: func() any { return new(blockWorker) }}

// decode reads, checks and decodes block b of sh and returns its entries selected by f, in
// f's order. They point into the worker's buffers and stay valid until the next decode. With
// cpu set it opens bw.cpu after the read, for the caller to End once the block's callbacks
// are done too (one CPU unit per block, scan_cpu.go).
func (bw *blockWorker) decode(cpu *cputime.Meter, sh *shard, b *blockMeta, f *recordFilter) ([]wire.Entry, error) {
	body, err := readBlockBody(sh, b, &bw.comp)
	if err != nil {
		return nil, err
	}
	bw.cpu = cpu.Begin()
	return decodeBlock(b, body, &bw.c, f)
}

// release drops references into decoded data and oversized buffers.
func (bw *blockWorker) release() {
	clear(bw.c.ents)
	bw.c.cur = nil
	bw.ma.release()
	if cap(bw.c.raw) > maxPooledBlock {
		bw.c.raw, bw.c.ents = nil, nil
	}
	if cap(bw.comp) > maxPooledBlock {
		bw.comp = nil
	}
}

// readBlock reads block b of sh into *comp, checks and decodes it into c.raw and c.ents, and
// returns the entries selected by f (also left in c.cur). Its errors are *blockError.
func readBlock(sh *shard, b *blockMeta, comp *[]byte, c *cursor, f *recordFilter) ([]wire.Entry, error) {
	body, err := readBlockBody(sh, b, comp)
	if err != nil {
		return nil, err
	}
	return decodeBlock(b, body, c, f)
}

// readBlockBody reads block b's body into *comp and returns it.
func readBlockBody(sh *shard, b *blockMeta, comp *[]byte) ([]byte, error) {
	n := int(b.bodyLen)
	if cap(*comp) < n {
		*comp = make([]byte, n)
	}
	body := (*comp)[:n]
	if _, err := sh.f.ReadAt(body, b.off+blockHeaderSize); err != nil {
		return nil, &blockError{read: true, err: err}
	}
	return body, nil
}

// decodeBlock checks and decodes the body of block b into c.raw and c.ents and returns the
// entries selected by f (also left in c.cur).
func decodeBlock(b *blockMeta, body []byte, c *cursor, f *recordFilter) ([]wire.Entry, error) {
	var err error
	c.raw, err = decodeBody(&b.blockHeader, body, c.raw)
	if err == nil {
		c.ents, c.cur, err = decodeRecords(&b.blockHeader, c.raw, c.ents, f)
	}
	if err != nil {
		return nil, &blockError{err: err}
	}
	return c.cur, nil
}
