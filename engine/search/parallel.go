package search

import (
	"context"
	"errors"
	"sync"

	"github.com/sluicehq/sluice/engine/cputime"
	"github.com/sluicehq/sluice/engine/store"
	"github.com/sluicehq/sluice/wire"
)

// ParallelSource is a Source that can also scan with several goroutines at once:
// *store.Store implements it. ScanUnordered calls fn concurrently from up to workers
// goroutines, worker being the caller's number in [0, workers); batches come in no order
// across calls, entries within a batch in time order. Batch memory is valid only during fn.
type ParallelSource interface {
	Source
	ScanUnordered(ctx context.Context, q store.ScanQuery, workers int, fn func(worker int, batch []wire.Entry) error) error
}

// Run strategies, chosen by Query.Run:
//
//   - condensing: when the first condensing module merges (count, sum, mean, min, max, stddev,
//     variance, stats, sort) and every module before it is per-entry (perEntry), each worker
//     scans and decodes its own blocks (ParallelSource.ScanUnordered) into its own Partial,
//     recording into its own stats-ring shard; the Partials merge and the merged one emits
//     through the rest of the pipeline on one goroutine.
//   - fan-out: otherwise, when the pipeline starts with per-entry modules, the store scans in
//     time order on one goroutine and every batch is split between the workers for those
//     modules, then reassembled in order for the rest of the pipeline, so ordered renderers and
//     order-sensitive modules (unique, limit) see exactly the single-worker sequence.
//   - sequential: one goroutine, as with Workers = 1.
//   - remote (before all others, whatever Workers): when the source is a PartialSource and the
//     query is mergeable, the holders of the data run the condensing strategy on their own data
//     and send their Partials, which merge here (partial_remote.go).

// perEntry reports whether impl's stage decides every entry on its own and keeps no state
// between batches, so any worker may run it on any batch.
func perEntry(impl moduleImpl) bool {
	switch impl.(type) {
	case *grepSpec, *jsonSpec, *kvSpec, *syslogSpec, *regexSpec, *columnsSpec, *lengthSpec, *srcSpec, passThrough:
		return true
	}
	return false
}

// merger is a condensing stage that can fold in the state of another worker's stage of the
// same module (same spec and RunOptions), as if it had seen that worker's entries too.
type merger interface {
	merge(other stage) error
}

// perEntryPrefix returns how many leading modules of q are per-entry, and whether any of them
// does work (the implicit sort by time only forwards).
func (q *Query) perEntryPrefix() (int, bool) {
	k, work := 0, false
	for k < len(q.Modules) && perEntry(q.Modules[k].impl) {
		if _, pass := q.Modules[k].impl.(passThrough); !pass {
			work = true
		}
		k++
	}
	return k, work
}

// Mergeable reports whether q's pipeline splits into Partials: it has a condensing module, the
// stage of the first one merges, and every module before it is per-entry.
func (q *Query) Mergeable() bool {
	ci := q.CollapsingIndex
	if k, _ := q.perEntryPrefix(); ci >= len(q.Modules) || k < ci {
		return false
	}
	st := q.Modules[ci].impl.newStage(&runCtx{ar: new(arena), opt: &RunOptions{}})
	_, ok := st.(merger)
	return ok
}

// Partial is one share of a mergeable query (see Query.Mergeable): the pipeline's modules up
// to and including the first condensing one, fed with part of the entries. Partials of the same
// query and RunOptions (except Shard) merge into one, which then emits its results through the
// rest of the pipeline exactly as one pipeline that had seen every entry would, up to float
// rounding in sums, means and deviations (the order of additions differs). This is the merge
// the parallel workers use; it is also meant for a cluster merging the shares of indexers.
//
// A Partial is used by one goroutine at a time; different Partials of one query may be fed
// concurrently.
type Partial struct {
	p *pipeline
}

// NewPartial returns an empty Partial of q, which must be Mergeable. Its statistics go to rec
// (nil records nothing) in shard opt.Shard.
func (q *Query) NewPartial(rec StatsRecorder, opt RunOptions) (*Partial, error) {
	if !q.Mergeable() {
		return nil, errors.New("search: query " + q.Raw + " does not split into partial aggregates")
	}
	return &Partial{p: newPipeline(q, nil, rec, opt)}, nil
}

// Add runs batch through the Partial's modules. The batch's headers are copied, so batch is
// left as it was; its memory need only be valid during the call.
func (pt *Partial) Add(batch []wire.Entry) error {
	p := pt.p
	if len(batch) == 0 {
		return nil
	}
	p.ar.reset()
	p.work = append(p.work[:0], batch...)
	_, err := p.runs(0, p.ci+1, p.work)
	return err
}

// Merge folds o into pt. o must be a Partial of the same query and must not be used afterwards.
func (pt *Partial) Merge(o *Partial) error {
	if pt.p.q != o.p.q {
		return errors.New("search: cannot merge partials of different queries")
	}
	m, ok := pt.p.stages[pt.p.ci].(merger)
	if !ok {
		panic("BUG: partial of a query whose condensing stage does not merge")
	}
	return m.merge(o.p.stages[o.p.ci])
}

// Finish lets the merged condensing module emit its results through the rest of the pipeline
// into sink. It returns ctx.Err() when cancelled.
func (pt *Partial) Finish(ctx context.Context, sink Sink) error {
	pt.p.sink = sink
	return pt.p.finish(ctx)
}

// runCondensing is the condensing strategy: one Partial per worker over ScanUnordered.
func (q *Query) runCondensing(ctx context.Context, src ParallelSource, sink Sink, rec StatsRecorder, opt RunOptions) error {
	pr := progress{sink: sink, pos: opt.End}
	dr := damageReport{sink: sink}
	sq := q.scanQuery(&opt)
	sq.OnDamage = dr.add
	pt, err := q.scanPartial(ctx, src, sq, rec, opt, pr.report)
	if err != nil {
		return err
	}
	if err := pt.Finish(ctx, sink); err != nil {
		return err
	}
	sink.Progress(opt.Start)
	return nil
}

// scanPartial scans sq on opt.Workers goroutines, each into its own Partial (worker w records
// in shard opt.Shard+w), and returns their merge. onBatch, when not nil, gets the newest
// timestamp of every batch scanned, from one worker at a time or concurrently.
func (q *Query) scanPartial(ctx context.Context, src ParallelSource, sq store.ScanQuery, rec StatsRecorder, opt RunOptions, onBatch func(ts int64)) (*Partial, error) {
	parts := make([]*Partial, opt.Workers)
	for w := range parts {
		o := opt
		o.Shard = opt.Shard + w
		parts[w] = &Partial{p: newPipeline(q, nil, rec, o)}
	}
	sq.Meta = parts[0].p.metaQuery(true, func(w int) *pipeline { return parts[w].p })
	err := src.ScanUnordered(ctx, sq, opt.Workers,
		func(w int, batch []wire.Entry) error {
			if err := parts[w].Add(batch); err != nil {
				return err
			}
			if onBatch != nil {
				onBatch(batch[len(batch)-1].TS)
			}
			return nil
		})
	for _, pt := range parts {
		pt.p.dense.flush()
	}
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, o := range parts[1:] {
		if err := parts[0].Merge(o); err != nil {
			return nil, err
		}
	}
	return parts[0], nil
}

// progress reports the scan position of concurrent workers to a sink, from one goroutine at a
// time and only moving forward (the scan runs newest first).
type progress struct {
	mu   sync.Mutex
	sink Sink
	pos  int64
}

func (pr *progress) report(ts int64) {
	pr.mu.Lock()
	if ts < pr.pos {
		pr.pos = ts
		pr.sink.Progress(ts)
	}
	pr.mu.Unlock()
}

// fanout is the fan-out strategy's state: the coordinator's pipeline runs the whole query and
// lends the per-entry prefix of each batch to the workers' pipelines.
type fanout struct {
	p       *pipeline    // coordinator: runs modules [prefix, end) and the sink
	prefix  int          // leading per-entry modules
	workers []*fanWorker // workers[0] runs on the coordinator's goroutine
	wg      sync.WaitGroup
	minPart int
	parts   int            // workers given a part of the current batch
	cpu     *cputime.Meter // the run's CPU account (cputime.go); nil: not measured
}

// fanWorker is one worker of a fan-out: its own pipeline (stages, arena, stats shard).
type fanWorker struct {
	p      *pipeline
	prefix int
	lo     int // offset of part in the batch
	part   []wire.Entry
	n      int
	err    error
	in     chan []wire.Entry
}

// minFanPart is the fewest entries worth handing to another goroutine.
const minFanPart = 64

func (q *Query) runFanout(ctx context.Context, src Source, sink Sink, rec StatsRecorder, opt RunOptions, prefix int) error {
	f := &fanout{p: newPipeline(q, sink, rec, opt), prefix: prefix, minPart: minFanPart, cpu: meterFrom(ctx)}
	if ms, ok := src.(selfMeterer); ok {
		src = ms.selfMetered() // f.batch measures its own units
	}
	f.workers = make([]*fanWorker, opt.Workers)
	for w := range f.workers {
		o := opt
		o.Shard = opt.Shard + w
		fw := &fanWorker{p: newPipeline(q, nil, rec, o), prefix: prefix}
		f.workers[w] = fw
		if w > 0 {
			fw.in = make(chan []wire.Entry, 1)
			go fw.loop(f)
		}
	}
	defer func() {
		for _, fw := range f.workers[1:] {
			close(fw.in)
		}
	}()
	return f.p.scan(ctx, src, f.batch)
}

// loop runs the parts handed to fw. Each part is one unit of CPU accounting: the goroutine is
// locked to its thread only while it runs one, never while it waits for the next.
func (fw *fanWorker) loop(f *fanout) {
	for part := range fw.in {
		sp := f.cpu.Begin()
		fw.run(part)
		sp.End()
		f.wg.Done()
	}
}

// run pushes part through the per-entry prefix on fw's pipeline.
func (fw *fanWorker) run(part []wire.Entry) {
	fw.p.ar.reset()
	fw.n, fw.err = fw.p.runs(0, fw.prefix, part)
}

// batch is the Scan callback of a fan-out: the batch is split into contiguous parts, one per
// worker, the parts run through the per-entry prefix concurrently, the survivors are compacted
// in order, and the coordinator runs them through the rest of the pipeline. It measures its
// own CPU (runFanout's source does not): two units, before and after waiting for the workers,
// so the coordinator never waits locked to its thread.
func (f *fanout) batch(batch []wire.Entry) error {
	if len(batch) == 0 {
		return nil
	}
	sp := f.cpu.Begin()
	f.split(batch)
	sp.End()
	f.wg.Wait()
	sp = f.cpu.Begin()
	err := f.merge(batch)
	sp.End()
	return err
}

// split hands the workers their parts of batch and runs the first part itself.
func (f *fanout) split(batch []wire.Entry) {
	p := f.p
	p.ar.reset()
	p.work = append(p.work[:0], batch...)
	ents := p.work
	nw := min(len(f.workers), max(1, len(ents)/f.minPart))
	size := (len(ents) + nw - 1) / nw
	for w := 1; w < nw; w++ {
		lo := min(w*size, len(ents))
		hi := min(lo+size, len(ents))
		fw := f.workers[w]
		fw.lo, fw.part = lo, ents[lo:hi]
		f.wg.Add(1)
		fw.in <- fw.part
	}
	w0 := f.workers[0]
	w0.lo, w0.part = 0, ents[:min(size, len(ents))]
	w0.run(w0.part)
	f.parts = nw
}

// merge compacts the workers' survivors in order and runs them through the rest of the
// pipeline and the sink.
func (f *fanout) merge(batch []wire.Entry) error {
	p := f.p
	ents := p.work
	nw := f.parts
	out := 0
	for w := 0; w < nw; w++ {
		fw := f.workers[w]
		if fw.err != nil {
			return fw.err
		}
		if out != fw.lo {
			copy(ents[out:], fw.part[:fw.n])
		}
		out += fw.n
		fw.part = nil
	}
	if out > 0 && f.prefix < len(p.stages) {
		var err error
		out, err = p.runs(f.prefix, len(p.stages), ents[:out])
		if err != nil {
			return err
		}
	}
	if out > 0 {
		p.sink.Add(ents[:out])
	}
	p.sink.Progress(batch[len(batch)-1].TS)
	if p.rc.stop {
		return errStop
	}
	return nil
}
