package search

import (
	"github.com/sluicehq/sluice/engine/stats"
	"github.com/sluicehq/sluice/engine/store"
	"github.com/sluicehq/sluice/wire"
)

// Answers from block metadata. A pipeline whose first condensing module is a plain count or a
// count by TAG, with nothing before it but the implicit sort by time, needs of each entry only
// its tag, its stats-ring bucket and its data length (InputBytes), and of each group the
// newest entry's timestamp and tag. The store's block summaries hold exactly that per tag and
// one-second granule (store.MetaQuery), so such a run asks the scan to answer whole blocks
// from their summaries: the module's counters are recorded per bucket as if the entries had
// passed, and the count grows as countAll or the by-TAG groups would have grown it. Blocks the
// summaries cannot answer exactly (a granule cut by the range or by a bucket edge, no intact
// summary, or a Source without summaries, such as a cluster's remote one) are decoded and run
// through the pipeline as usual, so the results are the same either way; only the modules'
// Duration differs (answered blocks take no pipeline time). RunOptions.NoMeta turns it off.

// metaStage returns the condensing stage a run can feed from block summaries, or nil.
//
// A count over windows (count over D, or any count feeding the chart renderer) is fed too when
// the run selects one tag and the window is a whole number of stats buckets: the windows are
// then unions of buckets (both start at the range start), and each window holds one group of
// that tag, whose row takes the window's start and the tag. (With several tags, the order of a
// window's groups and its row's tag follow the newest entry of each tag in the window, which
// the summaries do not give.)
func (p *pipeline) metaStage() *aggStage {
	if p.opt.NoMeta || p.ci >= len(p.stages) {
		return nil
	}
	for _, m := range p.q.Modules[:p.ci] {
		if _, ok := m.impl.(passThrough); !ok {
			return nil
		}
	}
	g, ok := p.stages[p.ci].(*aggStage)
	if !ok || g.window != 0 && (len(p.opt.Tags) != 1 || g.window%p.width != 0) || !g.s.single || len(g.s.ops) != 1 || g.s.ops[0].kind != aggCount || g.s.ops[0].field != "" {
		return nil
	}
	if len(g.s.by) > 1 || len(g.s.by) == 1 && g.s.by[0] != fieldTAG {
		return nil
	}
	return g
}

// metaQuery returns the ScanQuery.Meta of a run whose worker w runs pipeline part(w) (p is
// one of them; they share the query and options), or nil when the pipeline needs more than
// block summaries give. With dense, the answered buckets' counters are summed per worker and
// recorded a window of buckets at a time (metaDense), when the recorder allows it; the caller
// must then flush every part's dense once the scan has returned.
func (p *pipeline) metaQuery(dense bool, part func(worker int) *pipeline) *store.MetaQuery {
	if p.metaStage() == nil {
		return nil
	}
	if dense {
		for w := range p.opt.Workers {
			part(w).dense.init(part(w))
		}
	}
	return &store.MetaQuery{Origin: p.opt.Start, Width: p.width, Add: func(w int, b *store.MetaBlock) error {
		return part(w).addMeta(b)
	}}
}

// addMeta runs an answered block through the pipeline up to its count: every module's
// counters per bucket, then the count.
func (p *pipeline) addMeta(b *store.MetaBlock) error {
	g := p.stages[p.ci].(*aggStage)
	c := &p.c
	for i := range b.Tags {
		t := &b.Tags[i]
		for _, bk := range t.Buckets {
			if p.dense.rec != nil {
				p.dense.add(bk.TS, bk.Count, bk.Bytes)
			}
			for j := 0; p.dense.rec == nil && j <= p.ci; j++ {
				*c = wire.Counters{InputCount: bk.Count, InputBytes: bk.Bytes}
				if j < p.ci { // the implicit sort by time forwards everything
					c.OutputCount, c.OutputBytes = bk.Count, bk.Bytes
				}
				p.record(j, bk.TS, c)
			}
			if g.window > 0 {
				// one tag: a group per window, whose newest entry matters to nothing (see
				// metaStage), so the bucket's time stands for it
				if err := g.addMeta(t.Tag, bk.TS, int64(bk.Count)); err != nil {
					return err
				}
			}
		}
		if g.window > 0 {
			continue
		}
		if err := g.addMeta(t.Tag, t.Newest, int64(t.Count)); err != nil {
			return err
		}
	}
	return nil
}

// addMeta counts n entries of tag, the newest at timestamp newest, exactly as process (a count
// by TAG, or over windows) or countAll (a plain count) counts them.
func (g *aggStage) addMeta(tag uint16, newest int64, n int64) error {
	e := wire.Entry{TS: newest, Tag: tag}
	g.key = g.key[:0]
	if g.window > 0 {
		g.key = appendWindowKey(g.key, g.rc.windowStart(newest, g.window))
	}
	if len(g.s.by) > 0 {
		v, _ := lookup(&e, fieldTAG, g.rc.ar)
		g.vals[0] = v
		g.key = appendKey(g.key, v)
	}
	idx, err := g.group(&e, len(g.s.by) > 0)
	if err != nil {
		return err
	}
	grp := &g.groups[idx]
	if newest > grp.first {
		grp.first, grp.tag = newest, tag
		if g.window == 0 {
			grp.ts = newest
		}
	}
	g.accs[grp.acc].n += n
	// groups no longer come in scan order: flush orders them by newest entry, as after a
	// merge of workers
	g.merged = true
	return nil
}

// Meta returns the store.ScanQuery.Meta that feeds pt from block summaries when its query
// allows it (see above), or nil. It is for a caller that scans into a Partial itself (a
// cluster's indexer): Add feeds pt, so the scan must call it from one goroutine at a time, as
// Store.Scan does.
func (pt *Partial) Meta() *store.MetaQuery {
	return pt.p.metaQuery(false, func(int) *pipeline { return pt.p })
}

// DenseRecorder is a StatsRecorder that also takes a run of buckets' counters in one call
// (stats.Ring.RecordDense); Range is the recorder's [Start, End], its buckets starting at Start.
type DenseRecorder interface {
	StatsRecorder
	RecordDense(shard, mods int, ts int64, cs []wire.Counters)
	Range() (start, end int64)
}

// metaDense sums the counters of buckets answered from block summaries, for modules 0…mods-1
// of one pipeline, over a window of stats.DenseAlign buckets aligned on the recorder's grid,
// and records the window with one RecordDense when a bucket falls outside it (blocks arrive
// roughly in time order) and at the end of the scan. It replaces one Record per bucket and
// module (several atomic adds each) with plain adds, and lets the ring fill blocks of buckets
// no shard has touched without atomics. Its memory is one window (stats.DenseAlign·mods
// counters) per worker, whatever the range.
type metaDense struct {
	rec    DenseRecorder // nil: record bucket by bucket
	p      *pipeline
	mods   int
	base   int64 // bucket index of cs's first row, a multiple of stats.DenseAlign
	cs     []wire.Counters
	lo, hi int // rows [lo, hi) may be non-zero
}

// init sets d up for pipeline p when p's recorder takes dense runs on p's own grid.
func (d *metaDense) init(p *pipeline) {
	r, ok := p.rec.(DenseRecorder)
	if !ok || p.width <= 0 || p.opt.End <= p.opt.Start {
		return
	}
	if start, _ := r.Range(); start != p.opt.Start || r.Width() != p.width {
		return
	}
	d.rec, d.p, d.mods = r, p, p.ci+1
	if len(d.cs) != stats.DenseAlign*d.mods {
		d.cs = make([]wire.Counters, stats.DenseAlign*d.mods)
	}
	d.lo, d.hi = stats.DenseAlign, 0
}

// add counts n entries of size bytes in the bucket holding ts (clamped into the range as
// pipeline.record clamps it) through modules 0…mods-1: the implicit sort before the count
// forwards them, the count takes them in.
func (d *metaDense) add(ts int64, n, bytes uint64) {
	o := d.p.opt
	ts = min(max(ts, o.Start), o.End-1)
	k := (ts - o.Start) / d.p.width
	if k < d.base || k >= d.base+stats.DenseAlign {
		d.flush()
		d.base = k - k%stats.DenseAlign
	}
	i := int(k - d.base)
	d.lo, d.hi = min(d.lo, i), max(d.hi, i+1)
	row := d.cs[i*d.mods : (i+1)*d.mods]
	for j := range row {
		c := &row[j]
		c.InputCount += n
		c.InputBytes += bytes
		if j < d.mods-1 {
			c.OutputCount += n
			c.OutputBytes += bytes
		}
	}
}

// flush records the window's non-zero rows and clears them.
func (d *metaDense) flush() {
	if d.rec == nil || d.lo >= d.hi {
		return
	}
	rows := d.cs[d.lo*d.mods : d.hi*d.mods]
	d.rec.RecordDense(d.p.shard, d.mods, d.p.opt.Start+(d.base+int64(d.lo))*d.p.width, rows)
	clear(rows)
	d.lo, d.hi = stats.DenseAlign, 0
}
