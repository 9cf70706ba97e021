package store

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/sluicehq/sluice/engine/cputime"
	"github.com/sluicehq/sluice/wire"
)

// ScanQuery selects entries for Scan.
type ScanQuery struct {
	// Tags are the tag IDs to return. An empty Tags selects nothing (use MatchTags with "*"
	// for every tag).
	Tags []uint16
	// Start and End bound the timestamps, in Unix nanoseconds: [Start, End). End <= Start
	// selects nothing.
	Start, End int64
	// Ascending returns oldest entries first; the default is newest first.
	Ascending bool
	// OnDamage, when not nil, is called (from the goroutine running Scan, before the batch
	// holding entries past the damage) for every damaged range that may hold selected entries:
	// ranges quarantined earlier, and blocks this scan finds damaged (which it quarantines).
	// The scan skips them and goes on. d.Well and d.Reason are valid after the call.
	OnDamage func(d Damage)
	// Filter, when not nil, lets the scan skip blocks whose accelerator shows they hold no
	// entry the Filter selects. Skipped blocks are never read; entries of blocks that are read
	// are delivered whether or not they match (the caller still applies its own test).
	Filter *Filter
	// Counts, when not nil, receives how many blocks the scan considered and skipped.
	Counts *ScanCounts
	// Meta, when not nil, lets the scan answer blocks from their summaries instead of
	// decoding them (see MetaQuery): the caller needs only counts.
	Meta *MetaQuery
	// Decoders is the number of goroutines that read and decode blocks, the scan's own
	// included: above 1, Decoders-1 more goroutines decode the next blocks ahead of the merge
	// (scan_prefetch.go). 0 or 1 decodes on the scan goroutine only.
	Decoders int
	// CPU, when not nil, is charged with the CPU time of checking and decoding every block the
	// scan decodes, on whichever goroutine does it (scan_cpu.go), and for ScanUnordered with
	// that of the callbacks on each block's entries too (one unit per block). Scan's callbacks
	// are the caller's to account, as is its merge (a few ns per entry).
	CPU *cputime.Meter
}

// Scan calls fn with batches of the entries selected by q, in time order across the whole
// scan (newest first unless q.Ascending; entries with equal timestamps come in any order).
// Batches hold at most Config.ScanBatch entries. The batch and everything its entries point
// to is pooled memory, valid only until fn returns; fn may modify it but must copy what it
// keeps. A non-nil error from fn stops the scan and is returned; so is ctx's error when ctx is
// done. Scan sees every entry acknowledged before it started. Shards and blocks outside the
// time range or without the tags are skipped by their in-memory bounds without being read.
// A block that fails its checksum or does not decode, or cannot be read, is skipped: its
// entries are never delivered, it is reported to q.OnDamage and quarantined (recorded in the
// shard's sidecar so later scans skip it unread), and the scan goes on. Damaged ranges found
// earlier that may hold selected entries are reported at the start. Scan returns an error only
// when it cannot go on: fn's error, ctx's error, or ErrClosed. In steady state Scan allocates
// nothing.
func (s *Store) Scan(ctx context.Context, q ScanQuery, fn func(batch []wire.Entry) error) error {
	if len(q.Tags) == 0 || q.End <= q.Start {
		return nil
	}
	s.life.RLock()
	if s.closed {
		s.life.RUnlock()
		return ErrClosed
	}
	sc := scannerPool.Get().(*scanner)
	sc.init(s, ctx, &q, fn)
	s.snapshot(sc, &q)
	s.life.RUnlock()
	err := sc.run()
	sc.reset(&q)
	scannerPool.Put(sc)
	return err
}

// scanShard is a shard taken into a scan: the prefix of its blocks published at the start.
type scanShard struct {
	sh     *shard
	blocks []blockMeta
	bad    []badRange // quarantined ranges, published at the start
	key    int64      // earliest key (in scan order) of any entry in range
}

// pendBlock is a block waiting to be decoded.
type pendBlock struct {
	sh  *shard
	b   *blockMeta
	key int64
}

// cursor is a decoded block being merged.
type cursor struct {
	sh   *shard
	raw  []byte
	ents []wire.Entry // backing array
	cur  []wire.Entry // entries not yet delivered, in scan order
}

// scanner is the pooled state of one Scan.
type scanner struct {
	s      *Store
	ctx    context.Context
	fn     func([]wire.Entry) error
	asc    bool
	start  int64
	end    int64
	mask   uint64
	limit  int
	filter recordFilter
	bf     *Filter
	counts ScanCounts
	tags   [1024]uint64

	shards []scanShard
	si     int
	pend   []pendBlock // heap by key
	act    []*cursor   // heap by head key
	batch  []wire.Entry
	retire []*cursor // exhausted cursors whose entries may still sit in batch
	free   []*cursor
	comp   []byte
	onDmg  func(Damage)
	dmg    []Damage   // damage found while taking the snapshot, reported by run
	pf     prefetcher // decodes blocks ahead when ScanQuery.Decoders > 1
	meta   *MetaQuery
	ma     metaAnswer
	err    error // of meta.Add, returned by fill
	cpu    *cputime.Meter
}

var scannerPool = sync.Pool{New: func() any { return new(scanner) }}

// maxFreeCursors bounds the decoded blocks a pooled scanner keeps for reuse.
const maxFreeCursors = 8

func (sc *scanner) init(s *Store, ctx context.Context, q *ScanQuery, fn func([]wire.Entry) error) {
	sc.s, sc.ctx, sc.fn, sc.onDmg = s, ctx, fn, q.OnDamage
	sc.cpu = q.CPU
	sc.asc, sc.start, sc.end = q.Ascending, q.Start, q.End
	sc.limit = s.cfg.ScanBatch
	sc.mask = 0
	for _, t := range q.Tags {
		sc.tags[t>>6] |= 1 << (t & 63)
		sc.mask |= tagBit(t)
	}
	sc.filter = recordFilter{start: q.Start, end: q.End, tags: &sc.tags, descending: !q.Ascending}
	sc.si = 0
	sc.bf, sc.counts = q.Filter, ScanCounts{}
	sc.meta, sc.err = q.Meta, nil
	if q.Decoders > 1 {
		sc.pf.start(q.Decoders-1, q.Decoders, q.CPU)
	}
	if cap(sc.batch) < sc.limit {
		sc.batch = make([]wire.Entry, 0, sc.limit)
	}
}

// reset releases shards and cursors and clears references so the pool holds no user data.
func (sc *scanner) reset(q *ScanQuery) {
	sc.pf.stop(sc) // before the shards, tags and filter its jobs read are released
	for _, t := range q.Tags {
		sc.tags[t>>6] = 0
	}
	for i := range sc.shards {
		sc.shards[i].sh.release()
	}
	clear(sc.shards)
	sc.shards = sc.shards[:0]
	for _, c := range sc.act {
		sc.recycle(c)
	}
	sc.act = sc.act[:0]
	for _, c := range sc.retire {
		sc.recycle(c)
	}
	sc.retire = sc.retire[:0]
	clear(sc.pend)
	sc.pend = sc.pend[:0]
	clear(sc.batch[:cap(sc.batch)])
	sc.batch = sc.batch[:0]
	clear(sc.dmg)
	sc.dmg = sc.dmg[:0]
	if q.Counts != nil {
		*q.Counts = sc.counts
	}
	sc.s, sc.ctx, sc.fn, sc.onDmg, sc.bf, sc.meta, sc.err = nil, nil, nil, nil, nil, nil, nil
	sc.cpu = nil
	sc.ma.release()
}

// snapshot takes every shard that may hold selected entries, with the blocks published now.
func (s *Store) snapshot(sc *scanner, q *ScanQuery) {
	s.mu.RLock()
	for _, w := range s.wells {
		for _, sh := range w.shards {
			for i := range sh.bad {
				if r := &sh.bad[i]; r.overlaps(sh, sc.mask, q.Start, q.End) {
					sc.dmg = append(sc.dmg, r.damage(sh))
				}
			}
			if len(sh.blocks) == 0 || sh.mask&sc.mask == 0 || sh.maxTS < q.Start || sh.minTS >= q.End {
				continue
			}
			sh.refs.Add(1)
			sc.shards = append(sc.shards, scanShard{sh: sh, blocks: sh.blocks, bad: sh.bad, key: sc.key(sh.minTS, sh.maxTS)})
		}
	}
	s.mu.RUnlock()
	if sc.asc {
		slices.SortFunc(sc.shards, cmpShardKeyAsc)
	} else {
		slices.SortFunc(sc.shards, cmpShardKeyDesc)
	}
}

func cmpShardKeyAsc(a, b scanShard) int  { return cmp.Compare(a.key, b.key) }
func cmpShardKeyDesc(a, b scanShard) int { return cmp.Compare(b.key, a.key) }

// key returns the first key in scan order of entries in [minTS, maxTS] within the range.
func (sc *scanner) key(minTS, maxTS int64) int64 {
	if sc.asc {
		return max(minTS, sc.start)
	}
	return min(maxTS, sc.end-1)
}

// before reports whether key a comes strictly before key b in scan order.
func (sc *scanner) before(a, b int64) bool {
	if sc.asc {
		return a < b
	}
	return a > b
}

func (sc *scanner) run() error {
	for i := range sc.dmg {
		sc.report(&sc.dmg[i])
	}
	for {
		if err := sc.fill(); err != nil {
			return err
		}
		if len(sc.act) == 0 {
			return sc.flush()
		}
		// Entries up to bound can go out: nothing unread comes before it.
		bound, bounded := int64(0), false
		if len(sc.pend) > 0 {
			bound, bounded = sc.pend[0].key, true
		}
		if sc.si < len(sc.shards) && (!bounded || sc.before(sc.shards[sc.si].key, bound)) {
			bound, bounded = sc.shards[sc.si].key, true
		}
		if len(sc.act) == 1 {
			c := sc.act[0]
			n := len(c.cur)
			if bounded {
				n = sc.cut(c.cur, bound)
			}
			if err := sc.emit(c.cur[:n]); err != nil {
				return err
			}
			c.cur = c.cur[n:]
			if len(c.cur) == 0 {
				sc.act = sc.act[:0]
				sc.recycle(c)
			}
			continue
		}
		for len(sc.act) > 1 {
			c := sc.act[0]
			if bounded && sc.before(bound, c.cur[0].TS) {
				break
			}
			sc.batch = append(sc.batch, c.cur[0])
			c.cur = c.cur[1:]
			if len(c.cur) == 0 {
				sc.popAct()
				sc.retire = append(sc.retire, c)
			} else {
				sc.downAct(0)
			}
			if len(sc.batch) == sc.limit {
				if err := sc.flush(); err != nil {
					return err
				}
			}
		}
	}
}

// fill expands shards and decodes blocks until every entry not yet decoded comes after the
// earliest active head, so the heads can be merged.
func (sc *scanner) fill() error {
	for {
		if sc.si < len(sc.shards) {
			k := sc.shards[sc.si].key
			front, ok := sc.frontier()
			if !ok || !sc.before(front, k) {
				sc.expand()
				if sc.err != nil {
					return sc.err
				}
				continue
			}
		}
		if len(sc.pend) > 0 && (len(sc.act) == 0 || !sc.before(sc.act[0].cur[0].TS, sc.pend[0].key)) {
			if err := sc.activate(); err != nil {
				return err
			}
			continue
		}
		return nil
	}
}

// frontier returns the earliest key among active heads and pending blocks.
func (sc *scanner) frontier() (int64, bool) {
	switch {
	case len(sc.act) > 0 && len(sc.pend) > 0:
		a, p := sc.act[0].cur[0].TS, sc.pend[0].key
		if sc.before(p, a) {
			return p, true
		}
		return a, true
	case len(sc.act) > 0:
		return sc.act[0].cur[0].TS, true
	case len(sc.pend) > 0:
		return sc.pend[0].key, true
	}
	return 0, false
}

// cut returns how many leading entries of ents (in scan order) are not after bound.
func (sc *scanner) cut(ents []wire.Entry, bound int64) int {
	lo, hi := 0, len(ents)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if sc.before(bound, ents[m].TS) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// expand queues the next shard's blocks that may hold selected entries.
func (sc *scanner) expand() {
	ss := &sc.shards[sc.si]
	sc.si++
	for i := range ss.blocks {
		b := &ss.blocks[i]
		if b.tagMask&sc.mask == 0 || b.maxTS < sc.start || b.minTS >= sc.end {
			continue
		}
		if len(ss.bad) > 0 && skippedIn(ss.bad, b.off) {
			continue // reported when the scan started
		}
		sc.counts.Blocks++
		if !sc.bf.mayMatch(b.acc) {
			sc.counts.Skipped++
			continue
		}
		if sc.meta != nil && sc.ma.answer(b, &sc.filter, sc.meta) {
			sc.counts.Summarised++
			if sc.err = sc.ma.add(sc.meta, 0); sc.err != nil {
				return
			}
			continue
		}
		sc.pend = append(sc.pend, pendBlock{sh: ss.sh, b: b, key: sc.key(b.minTS, b.maxTS)})
		sc.upPend(len(sc.pend) - 1)
	}
}

// activate reads, checks and decodes the first pending block.
func (sc *scanner) activate() error {
	p := sc.pend[0]
	last := len(sc.pend) - 1
	sc.pend[0] = sc.pend[last]
	sc.pend[last] = pendBlock{}
	sc.pend = sc.pend[:last]
	sc.downPend(0)

	c, err := sc.decode(&p)
	if err != nil {
		sc.recycle(c)
		d := sc.s.damaged(p.sh, p.b, err)
		sc.report(&d)
		return nil
	}
	if len(c.cur) == 0 {
		sc.recycle(c)
		return nil
	}
	c.sh = p.sh
	sc.act = append(sc.act, c)
	sc.upAct(len(sc.act) - 1)
	return nil
}

// report hands one damaged range to the scan's OnDamage and counts it.
func (sc *scanner) report(d *Damage) {
	sc.s.damage.skips.Add(1)
	if sc.onDmg != nil {
		sc.onDmg(*d)
	}
}

// skippedIn reports whether the block at off is a quarantined (skipped) range of bad.
func skippedIn(bad []badRange, off int64) bool {
	for i := range bad {
		if bad[i].off == off && bad[i].action == actionSkipped {
			return true
		}
	}
	return false
}

// emit delivers ents (in order, after any batched entries) in chunks of at most limit.
func (sc *scanner) emit(ents []wire.Entry) error {
	if err := sc.flush(); err != nil {
		return err
	}
	for len(ents) > 0 {
		k := min(len(ents), sc.limit)
		if err := sc.ctx.Err(); err != nil {
			return err
		}
		if err := sc.fn(ents[:k:k]); err != nil {
			return err
		}
		ents = ents[k:]
	}
	return nil
}

// flush delivers the batched entries and recycles cursors they pointed into.
func (sc *scanner) flush() error {
	if len(sc.batch) > 0 {
		if err := sc.ctx.Err(); err != nil {
			return err
		}
		err := sc.fn(sc.batch)
		sc.batch = sc.batch[:0]
		if err != nil {
			return err
		}
	}
	for _, c := range sc.retire {
		sc.recycle(c)
	}
	clear(sc.retire)
	sc.retire = sc.retire[:0]
	return nil
}

func (sc *scanner) cursor() *cursor {
	if n := len(sc.free); n > 0 {
		c := sc.free[n-1]
		sc.free = sc.free[:n-1]
		return c
	}
	return new(cursor)
}

func (sc *scanner) recycle(c *cursor) {
	c.sh, c.cur = nil, nil
	clear(c.ents) // drop references into the raw buffer
	if len(sc.free) < maxFreeCursors && cap(c.raw) <= maxPooledBlock {
		sc.free = append(sc.free, c)
	}
}

// maxPooledBlock is the largest decoded block buffer a cursor keeps for reuse; blocks holding
// huge entries are decoded into fresh memory.
const maxPooledBlock = 8 << 20

// Heaps: pend is ordered by key, act by head key, both in scan order.

func (sc *scanner) upPend(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !sc.before(sc.pend[i].key, sc.pend[p].key) {
			return
		}
		sc.pend[i], sc.pend[p] = sc.pend[p], sc.pend[i]
		i = p
	}
}

func (sc *scanner) downPend(i int) {
	n := len(sc.pend)
	for {
		m := i
		if l := 2*i + 1; l < n && sc.before(sc.pend[l].key, sc.pend[m].key) {
			m = l
		}
		if r := 2*i + 2; r < n && sc.before(sc.pend[r].key, sc.pend[m].key) {
			m = r
		}
		if m == i {
			return
		}
		sc.pend[i], sc.pend[m] = sc.pend[m], sc.pend[i]
		i = m
	}
}

func (sc *scanner) upAct(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !sc.before(sc.act[i].cur[0].TS, sc.act[p].cur[0].TS) {
			return
		}
		sc.act[i], sc.act[p] = sc.act[p], sc.act[i]
		i = p
	}
}

func (sc *scanner) downAct(i int) {
	n := len(sc.act)
	for {
		m := i
		if l := 2*i + 1; l < n && sc.before(sc.act[l].cur[0].TS, sc.act[m].cur[0].TS) {
			m = l
		}
		if r := 2*i + 2; r < n && sc.before(sc.act[r].cur[0].TS, sc.act[m].cur[0].TS) {
			m = r
		}
		if m == i {
			return
		}
		sc.act[i], sc.act[m] = sc.act[m], sc.act[i]
		i = m
	}
}

func (sc *scanner) popAct() {
	last := len(sc.act) - 1
	sc.act[0] = sc.act[last]
	sc.act[last] = nil
	sc.act = sc.act[:last]
	sc.downAct(0)
}
