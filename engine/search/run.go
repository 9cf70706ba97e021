package search

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/engine/budget"
	"github.com/sluicehq/sluice/engine/store"
	"github.com/sluicehq/sluice/wire"
)

// Source is where a query reads entries: *store.Store implements it. Scan calls fn with batches
// in time order (newest first unless q.Ascending); batch memory is valid only during fn. An
// error returned by fn stops the scan and is returned by Scan.
type Source interface {
	Scan(ctx context.Context, q store.ScanQuery, fn func(batch []wire.Entry) error) error
}

// Warner is implemented by a Sink that shows a warning with the results (render.Result puts
// it in every response's Warning). Run calls Warn with a summary of the damaged store data
// the scan skipped, each time it grows.
type Warner interface {
	Warn(msg string)
}

// Sink receives a query's results: *render.Result implements it. Add gets the entries that
// came out of the pipeline; they, their Data and their EVs are valid only during the call, so
// the sink copies what it keeps. Progress reports the scan position (an entry timestamp) after
// every batch. Add and Progress are called from one goroutine at a time per Run (not always
// the same one when the query runs on several workers).
type Sink interface {
	Add(batch []wire.Entry)
	Progress(ts int64)
}

// StatsRecorder receives the per-module statistics: *stats.Ring implements it. Record adds c to
// module's counters in the time bucket of ts; Width is the bucket width in nanoseconds. When a
// query runs on several workers, Record is called concurrently, each worker with its own shard.
type StatsRecorder interface {
	Record(shard, module int, ts int64, c *wire.Counters)
	Width() int64
}

// RunOptions are the parameters of one Run. The zero value of every limit selects its default.
type RunOptions struct {
	Tags       []uint16 // store tag IDs to scan
	Start, End int64    // search range, Unix nanoseconds, [Start, End)
	Shard      int      // stats ring shard of the goroutine that runs the query

	// ChartWindow is the window of condensing modules without "over" when the renderer is
	// chart, in nanoseconds. Default: (End-Start)/ChartPoints rounded up to a multiple of the
	// stats bucket width and to whole seconds.
	ChartWindow int64
	ChartPoints int // default 1000

	// MaxGroups bounds the groups one aggregation module (count, stats, unique, ...) tracks;
	// default 10 000 000. Past it the search fails with a *LimitExceededError.
	MaxGroups int
	// MaxSortBytes bounds the entry bytes the sort module buffers; default 1 GiB.
	MaxSortBytes int64
	// FlushBatch is the number of entries a condensing module hands downstream at a time when
	// the scan ends; default 1024.
	FlushBatch int
	// Workers is the number of goroutines that scan and run the pipeline; default
	// runtime.GOMAXPROCS(0), 1 runs everything on the calling goroutine. Worker w records its
	// statistics in stats-ring shard Shard+w. See ParallelSource for how work is split.
	Workers int
	// NoAccel scans every block of the range, ignoring the wells' accelerators (which skip
	// blocks a query's literal constraints rule out). Results are the same either way.
	NoAccel bool
	// NoMeta decodes every block a count reads, instead of answering blocks from the store's
	// block summaries (meta.go). Results are the same either way.
	NoMeta bool
	// Counts, when not nil, receives how many blocks the scan considered and skipped.
	Counts *store.ScanCounts
	// Memory, when not nil, is the process-wide memory budget (memory_budget_mb): the buffers
	// that grow with data (sort's entries, aggregation groups, unique's keys) reserve from it
	// as they grow, beyond the launch's fixed reserve, and Run gives them back when it
	// returns. A module that cannot reserve fails with a *budget.Error naming the field and the
	// figures.
	Memory *budget.Budget

	mem *memTally // what this Run's modules reserved from Memory; shared by its workers
}

// memTally counts what one Run reserved from a budget, so that Run can give it all back.
type memTally struct {
	b *budget.Budget
	n atomic.Int64
}

// grow reserves n more bytes; false when the budget refuses them.
func (t *memTally) grow(n int64) bool {
	if t == nil || t.b == nil {
		return true
	}
	if !t.b.Reserve(n) {
		return false
	}
	t.n.Add(n)
	return true
}

// memHold is what one stage holds from the budget: used is its estimate of its own memory,
// held what it reserved for it, grown memReserveStep at a time.
type memHold struct{ used, held int64 }

// memReserveStep is how much a stage reserves from the memory budget at a time.
const memReserveStep = 1 << 20

// add counts n more bytes of a stage's memory, reserving from RunOptions.Memory when they pass
// what is held; what names the memory in the error.
func (h *memHold) add(rc *runCtx, n int64, what string) error {
	if h.used += n; h.used <= h.held {
		return nil
	}
	need := max(memReserveStep, h.used-h.held)
	if !rc.opt.mem.grow(need) {
		return rc.opt.Memory.Error(what, need)
	}
	h.held += need
	return nil
}

// merge takes over another worker's stage's memory (already reserved).
func (h *memHold) merge(o memHold) { h.used += o.used; h.held += o.held }

// release gives back everything reserved.
func (t *memTally) release() {
	if t != nil && t.b != nil {
		t.b.Release(t.n.Swap(0))
	}
}

func (o *RunOptions) defaults() {
	if o.ChartPoints <= 0 {
		o.ChartPoints = 1000
	}
	if o.MaxGroups <= 0 {
		o.MaxGroups = 10_000_000
	}
	if o.MaxSortBytes <= 0 {
		o.MaxSortBytes = 1 << 30
	}
	if o.FlushBatch <= 0 {
		o.FlushBatch = 1024
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
}

// LimitExceededError reports that a query hit a RunOptions limit; Field names it.
type LimitExceededError struct {
	Module string // the module that hit it
	Field  string // the RunOptions field, e.g. "MaxGroups"
	Limit  int64
}

func (e *LimitExceededError) Error() string {
	return "search: " + e.Module + ": limit RunOptions." + e.Field + "=" + strconv.FormatInt(e.Limit, 10) + " exceeded"
}

// moduleImpl is a compiled module: it creates the per-run state.
type moduleImpl interface {
	newStage(rc *runCtx) stage
}

// stage is one module's state during one Run.
type stage interface {
	// process filters and annotates ents in place, moves the survivors to the front and returns
	// how many there are. Condensing stages absorb everything and return 0.
	process(ents []wire.Entry) (int, error)
	// flush returns what a condensing stage emits at the end of the scan, in batches: it is
	// called until it returns no entries. The entries stay valid until the next call.
	flush() ([]wire.Entry, error)
}

// entryKeeper is the per-entry body of a filtering stage (grep, json, kv, csv/fields, syslog,
// regex, length): keep reads data, the bytes the module reads (the entry data or -e FIELD's
// text), annotates e and reports whether e survives.
type entryKeeper interface {
	keep(e *wire.Entry, data []byte) bool
}

// keepEntries is the per-entry stage loop those stages share (source, module, compact): it
// calls k.keep for every entry of ents that has the field the module reads (see source;
// entries without it are dropped), moves the survivors to the front of ents in order and
// returns how many there are.
func keepEntries(ents []wire.Entry, field string, ar *arena, k entryKeeper) int {
	n := 0
	for i := range ents {
		e := &ents[i]
		data, ok := source(e, field, ar)
		if !ok || !k.keep(e, data) {
			continue
		}
		if n != i {
			ents[n] = ents[i]
		}
		n++
	}
	return n
}

// runCtx is shared by the stages of one Run.
type runCtx struct {
	ar        *arena
	opt       *RunOptions
	window    int64 // window for condensing modules without "over" (chart), 0 for totals
	stop      bool  // set by limit when nothing more can pass
	streaming bool  // set while stages run on scanned batches (before the collapsing index)
}

// windowStart aligns ts to the start of its window (windows are aligned to the range start).
func (rc *runCtx) windowStart(ts, w int64) int64 {
	d := ts - rc.opt.Start
	k := d / w
	if d < 0 && d%w != 0 {
		k--
	}
	return rc.opt.Start + k*w
}

// passThrough is the implicit "sort by time" before raw/text/hex/pcap: the store already scans
// in time order, so it forwards every entry (and still records its statistics).
type passThrough struct{}

func (passThrough) newStage(*runCtx) stage               { return passStage{} }
func (passStage) process(ents []wire.Entry) (int, error) { return len(ents), nil }
func (passStage) flush() ([]wire.Entry, error)           { return nil, nil }

type passStage struct{}

// errStop ends a scan early once limit lets nothing more through.
var errStop = errors.New("search: limit reached")

// Run executes the query over the store range opt.Start..opt.End of opt.Tags: it scans src in
// batches, runs every module over each batch, records each module's counters in rec by the time
// bucket of the entries it processed, hands surviving entries to sink.Add, reports progress
// after each batch, and at the end lets condensing modules emit their results downstream. It
// returns ctx.Err() when cancelled. A nil rec records nothing.
//
// Steady-state allocation: none per entry for grep, json, kv, syslog, fields, csv, length,
// limit and the aggregations (new groups excepted); regex allocates per matching entry (Go's
// regexp has no allocation-free submatch API); sort copies every entry it buffers.
func (q *Query) Run(ctx context.Context, src Source, sink Sink, rec StatsRecorder, opt RunOptions) error {
	opt.defaults()
	if opt.Memory != nil {
		opt.mem = &memTally{b: opt.Memory}
		defer opt.mem.release()
	}
	if ps, ok := src.(PartialSource); ok && q.Mergeable() {
		return q.runPartials(ctx, ps, sink, rec, opt)
	}
	if opt.Workers > 1 {
		if ps, ok := src.(ParallelSource); ok && q.Mergeable() {
			return q.runCondensing(ctx, ps, sink, rec, opt)
		}
		if k, work := q.perEntryPrefix(); work {
			return q.runFanout(ctx, src, sink, rec, opt, k)
		}
	}
	p := newPipeline(q, sink, rec, opt)
	return p.scan(ctx, src, p.batch)
}

// scan runs an ordered scan of p's range with fn as the callback, then lets the condensing
// stages emit and reports the end of the range.
func (p *pipeline) scan(ctx context.Context, src Source, fn func([]wire.Entry) error) error {
	p.rc.streaming = true
	dr := damageReport{sink: p.sink}
	sq := p.q.scanQuery(p.opt)
	sq.OnDamage = dr.add
	sq.Meta = p.metaQuery(true, func(int) *pipeline { return p })
	err := src.Scan(ctx, sq, fn)
	p.dense.flush()
	p.rc.streaming = false
	if err != nil && !errors.Is(err, errStop) {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := p.finish(ctx); err != nil {
		return err
	}
	p.sink.Progress(p.opt.Start)
	return nil
}

// newPipeline creates the per-run state of q.
func newPipeline(q *Query, sink Sink, rec StatsRecorder, opt RunOptions) *pipeline {
	opt.defaults()
	p := &pipeline{q: q, sink: sink, rec: rec, shard: opt.Shard, opt: &opt}
	p.rc = runCtx{ar: &p.ar, opt: &opt}
	p.width = int64(time.Second)
	if rec != nil && rec.Width() > 0 {
		p.width = rec.Width()
	}
	if q.Renderer == "chart" {
		p.rc.window = chartWindow(&opt, p.width)
	}
	p.stages = make([]stage, len(q.Modules))
	for i := range q.Modules {
		p.stages[i] = q.Modules[i].impl.newStage(&p.rc)
	}
	p.ci = q.CollapsingIndex
	return p
}

func chartWindow(opt *RunOptions, width int64) int64 {
	if opt.ChartWindow > 0 {
		return opt.ChartWindow
	}
	w := (opt.End - opt.Start + int64(opt.ChartPoints) - 1) / int64(opt.ChartPoints)
	if w < width {
		w = width
	}
	if r := w % width; r != 0 {
		w += width - r
	}
	if r := w % int64(time.Second); r != 0 {
		w += int64(time.Second) - r
	}
	return w
}

type pipeline struct {
	q      *Query
	stages []stage
	ci     int
	sink   Sink
	rec    StatsRecorder
	shard  int
	opt    *RunOptions
	width  int64
	rc     runCtx
	ar     arena
	work   []wire.Entry
	c      wire.Counters // handed to the recorder (a local would escape through the interface)
	dense  metaDense     // per-bucket sums of blocks answered from summaries (meta.go)
}

// damageReport collects the damaged ranges a scan skipped and keeps the sink's warning
// current, so a search over damaged data finishes and says what it could not read. add is
// safe for concurrent use (ScanUnordered calls it from its workers).
type damageReport struct {
	mu   sync.Mutex
	ds   []store.Damage
	sink Sink
}

func (r *damageReport) add(d store.Damage) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ds = append(r.ds, d)
	if w, ok := r.sink.(Warner); ok {
		w.Warn(store.FormatDamage(r.ds))
	}
}

// bucket returns the stats bucket number of ts.
func (p *pipeline) bucket(ts int64) int64 {
	d := ts - p.opt.Start
	if d < 0 {
		return -1
	}
	return d / p.width
}

// batch is the Scan callback: it copies the entry headers (the store's batch is not ours to
// reorder), runs them through the pipeline in runs of one stats bucket, and hands the
// survivors to the sink.
func (p *pipeline) batch(batch []wire.Entry) error {
	if len(batch) == 0 {
		return nil
	}
	p.ar.reset()
	p.work = append(p.work[:0], batch...)
	out, err := p.runs(0, len(p.stages), p.work)
	if err != nil {
		return err
	}
	if out > 0 {
		p.sink.Add(p.work[:out])
	}
	p.sink.Progress(batch[len(batch)-1].TS)
	if p.rc.stop {
		return errStop
	}
	return nil
}

// runs pushes ents through stages [from, to) in runs of entries of one stats bucket and
// compacts the survivors at the front of ents.
func (p *pipeline) runs(from, to int, ents []wire.Entry) (int, error) {
	out := 0
	for i := 0; i < len(ents); {
		b := p.bucket(ents[i].TS)
		j := i + 1
		for j < len(ents) && p.bucket(ents[j].TS) == b {
			j++
		}
		n, err := p.push(from, to, ents[i:j])
		if err != nil {
			return 0, err
		}
		if out != i {
			copy(ents[out:], ents[i:i+n])
		}
		out += n
		i = j
	}
	return out, nil
}

func dataBytes(ents []wire.Entry) uint64 {
	var n uint64
	for i := range ents {
		n += uint64(len(ents[i].Data))
	}
	return n
}

// push runs ents (one stats bucket) through stages [from, to), recording every stage's
// counters, and returns how many survive (at the front of ents).
func (p *pipeline) push(from, to int, ents []wire.Entry) (int, error) {
	ts := ents[0].TS
	n := len(ents)
	c := &p.c
	for j := from; j < to && n > 0; j++ {
		*c = wire.Counters{InputCount: uint64(n), InputBytes: dataBytes(ents[:n])}
		t0 := time.Now()
		m, err := p.stages[j].process(ents[:n])
		c.Duration = int64(time.Since(t0))
		if err != nil {
			return 0, err
		}
		n = m
		c.OutputCount, c.OutputBytes = uint64(n), dataBytes(ents[:n])
		p.record(j, ts, c)
	}
	return n, nil
}

func (p *pipeline) record(module int, ts int64, c *wire.Counters) {
	if p.rec == nil {
		return
	}
	if ts < p.opt.Start {
		ts = p.opt.Start
	} else if ts >= p.opt.End && p.opt.End > p.opt.Start {
		ts = p.opt.End - 1
	}
	p.rec.Record(p.shard, module, ts, c)
}

// finish lets every condensing stage, in order, emit its results through the stages after it.
func (p *pipeline) finish(ctx context.Context) error {
	for i := p.ci; i < len(p.stages); i++ {
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			p.ar.reset()
			t0 := time.Now()
			ents, err := p.stages[i].flush()
			dur := int64(time.Since(t0))
			if err != nil {
				return err
			}
			if len(ents) == 0 {
				break
			}
			// the emitting stage's output counters, per bucket
			for a := 0; a < len(ents); {
				b := p.bucket(ents[a].TS)
				z := a + 1
				for z < len(ents) && p.bucket(ents[z].TS) == b {
					z++
				}
				p.c = wire.Counters{OutputCount: uint64(z - a), OutputBytes: dataBytes(ents[a:z]), Duration: dur}
				dur = 0
				p.record(i, ents[a].TS, &p.c)
				a = z
			}
			p.work = append(p.work[:0], ents...)
			out, err := p.runs(i+1, len(p.stages), p.work)
			if err != nil {
				return err
			}
			if out > 0 {
				p.sink.Add(p.work[:out])
			}
		}
	}
	return nil
}
