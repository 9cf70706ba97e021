package stats

import (
	"math"
	"runtime"
	"sync/atomic"
	"unsafe"

	"github.com/sluicehq/sluice/engine/budget"
	"github.com/sluicehq/sluice/wire"
)

// Layout constants. A chunk holds chunkSlots consecutive base buckets for every module and is
// allocated, per shard, the first time a Record touches it. Chunks are found through a
// two-level directory of pages so that an unlimited ring over a long range costs one pointer
// per page up front, not one per chunk.
const (
	chunkSlots = 256 // base buckets per chunk
	chunkWords = chunkSlots / 64
	pageChunks = 512 // chunk pointers per directory page

	second = int64(1e9)
)

// RingConfig configures a Ring. The zero value works: a one-bucket ring at time 0 with one
// module and one shard per GOMAXPROCS.
type RingConfig struct {
	// Start and End are the search range in Unix nanoseconds. End before Start is treated as
	// End == Start.
	Start, End int64

	// Modules is the number of pipeline modules recorded per bucket (PROTOCOL.md §5.11: every
	// module including implicit ones, the renderer excluded). Values below 1 mean 1.
	Modules int

	// MaxBuckets caps the number of base buckets over [Start, End): the base width W is
	// max(1 s, ceil((End-Start)/MaxBuckets)) in whole seconds. 0 means wire.MaxStatsBuckets
	// (65 536); a negative value means unlimited (W = 1 s, the spec's full-resolution stats).
	MaxBuckets int

	// MinWidth is the query's own time bucket in nanoseconds (e.g. "stats … over 33s"). When
	// it is larger than the computed W, W is raised to it, rounded up to whole seconds.
	MinWidth int64

	// Shards is the number of writer shards. 0 or less means runtime.GOMAXPROCS(0).
	Shards int

	// Memory, when not nil, is the process-wide memory budget: every directory page, chunk and
	// block is reserved from it before it is allocated, and Release gives them back. A Record
	// whose bucket memory cannot be reserved is dropped and counted (Refused).
	Memory *budget.Budget
}

// Ring holds one search's module statistics in base buckets of Width nanoseconds, sharded per
// writer.
//
// Bucket k starts at Start + k·W and holds every Record whose ts lies in [Start+k·W,
// Start+(k+1)·W). The ring accepts timestamps in [Start, End], End included (PROTOCOL.md §5.11
// chunks are inclusive at the end): when End-Start is a whole multiple of W, a timestamp exactly
// at End gets its own bucket starting at End, which Aggregate adds to the last chunk of a range
// ending at End. Records outside [Start, End] are dropped and counted (Dropped): their bucket
// would start outside the range, where no chunk can report it.
//
// Concurrency: Record, Aggregate, Size and the other readers are safe to call from any number
// of goroutines at once. Give each writer goroutine its own shard number: writers on distinct
// shards touch distinct memory and never contend. Two goroutines recording on the same shard at
// the same time still produce exact totals (every update is atomic), but they bounce the same
// cache lines and lose the point of sharding.
type Ring struct {
	start, end int64
	width      uint64 // W in nanoseconds, a whole number of seconds
	slots      uint64 // number of base buckets: (End-Start)/W + 1
	modules    int
	shards     int

	dir []atomic.Pointer[page]

	size     atomic.Int64  // buckets holding data, all shards merged
	dropped  atomic.Uint64 // Records outside [Start, End]
	blocks   atomic.Int64  // per-shard chunk blocks allocated
	bytes    atomic.Int64  // approximate bytes allocated for buckets and directory
	mem      *budget.Budget
	refused  atomic.Uint64 // Records dropped because Memory was used up
	released atomic.Bool
}

// NOTE: publication and per-field atomics, no seqlock.
//
// Chunks, their per-shard blocks and directory pages are published with atomic pointers (CAS on
// first touch, so two writers racing to create one keep the same). Each counter cell is six
// atomic fields; a writer adds to the fields that are non-zero in its update (LOCK XADD on
// amd64, one per field, on a cache line only its own shard writes) and raises Duration with a
// CAS loop only when its value is larger. Readers use atomic loads, which are plain MOVs on
// amd64 and arm64, so Aggregate costs what a non-atomic sum would.
//
// A seqlock would make each cell's six fields change together for a reader, at the price of two
// more atomic writes per Record and a retry loop in Aggregate. The counters only grow, so the
// only thing a concurrent reader can see is a Record whose InputCount has landed and whose
// OutputCount has not yet: one batch of skew in a live view that is re-polled anyway. Once the
// writers have stopped (the search finished, with the happens-before edge the caller's own
// synchronisation provides), every read is exact. Making every update atomic also means a
// caller that shares a shard between goroutines gets contention, never lost counts.
//
// Occupancy ("bucket holds data") is a bitmap per chunk shared by all shards. A writer loads the
// word first and only ORs when its bit is clear, so the shared line is written once per bucket
// per shard at most, and the Or's old value tells exactly one writer to bump Size.

// page is one directory page: pointers to up to pageChunks chunks.
type page struct {
	chunks [pageChunks]atomic.Pointer[chunk]
}

// chunk is chunkSlots consecutive base buckets: the shared occupancy bitmap and one block of
// cells per shard, allocated when that shard first records into the chunk.
type chunk struct {
	bits   [chunkWords]atomic.Uint64
	blocks []atomic.Pointer[block] // len = shards
	slots  int                     // buckets in this chunk (the last chunk may be short)
}

// block is one shard's cells for one chunk: slots × modules, row-major by bucket.
type block struct {
	cells []cell
}

// cell is one module's counters for one bucket (wire.Counters, atomically).
type cell struct {
	inCount  atomic.Uint64
	outCount atomic.Uint64
	inBytes  atomic.Uint64
	outBytes atomic.Uint64
	scratch  atomic.Uint64
	duration atomic.Int64
}

// NewRing returns an empty ring for cfg. It allocates only the top level of the chunk directory
// (one pointer per 131 072 buckets); buckets are allocated as they are touched.
func NewRing(cfg RingConfig) *Ring {
	r := &Ring{start: cfg.Start, end: cfg.End, modules: cfg.Modules, shards: cfg.Shards, mem: cfg.Memory}
	if r.end < r.start {
		r.end = r.start
	}
	if r.modules < 1 {
		r.modules = 1
	}
	if r.shards < 1 {
		r.shards = runtime.GOMAXPROCS(0)
	}
	maxBuckets := cfg.MaxBuckets
	if maxBuckets == 0 {
		maxBuckets = wire.MaxStatsBuckets
	}
	r.width = baseWidth(r.span(), maxBuckets, cfg.MinWidth)
	r.slots = r.span()/r.width + 1
	nchunks := (r.slots + chunkSlots - 1) / chunkSlots
	r.dir = make([]atomic.Pointer[page], (nchunks+pageChunks-1)/pageChunks)
	if n := int64(len(r.dir)) * 8; r.mem.Reserve(n) {
		r.bytes.Add(n) // a few bytes per 131 072 buckets, left out of Bytes when the budget is full
	}
	return r
}

// Release gives the ring's memory back to RingConfig.Memory; call it once, when the search is
// deleted. The ring stays readable (the memory is the garbage collector's to free).
func (r *Ring) Release() {
	r.released.Store(true)
	r.mem.Release(r.bytes.Swap(0))
}

// account adds n reserved bytes to the ring's total; after Release they go straight back.
func (r *Ring) account(n int64) {
	r.bytes.Add(n)
	if r.released.Load() {
		r.mem.Release(r.bytes.Swap(0))
	}
}

// Refused returns the number of Records dropped because RingConfig.Memory was used up.
func (r *Ring) Refused() uint64 { return r.refused.Load() }

// baseWidth returns W in nanoseconds for a range of span nanoseconds (PROTOCOL.md §5.11):
// max(1, ceil(span/maxBuckets)) whole seconds (1 s when maxBuckets < 0), raised to minWidth
// rounded up to whole seconds.
func baseWidth(span uint64, maxBuckets int, minWidth int64) uint64 {
	const maxSec = uint64(math.MaxInt64 / second) // keeps W within int64 nanoseconds
	sec := uint64(1)
	if maxBuckets > 0 {
		// ceil(ceil(span/1e9)/m) == ceil(span/(1e9·m)) for integer m, without overflow.
		spanSec := span/uint64(second) + boolU64(span%uint64(second) != 0)
		sec = max(1, spanSec/uint64(maxBuckets)+boolU64(spanSec%uint64(maxBuckets) != 0))
	}
	if minWidth > 0 {
		msec := uint64(minWidth/second) + boolU64(minWidth%second != 0)
		sec = max(sec, msec)
	}
	return min(sec, maxSec) * uint64(second)
}

func boolU64(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// span returns End-Start in nanoseconds without overflow.
func (r *Ring) span() uint64 { return uint64(r.end) - uint64(r.start) }

// Width returns the base bucket width W in nanoseconds, a whole number of seconds
// (SearchInfo.MinZoomWindow is Width()/1e9).
func (r *Ring) Width() int64 { return int64(r.width) }

// Size returns the number of base buckets holding data, all shards merged (REQ_STATS_SIZE).
// A bucket holds data once any Record has landed in it, even with all-zero counters.
func (r *Ring) Size() int { return int(r.size.Load()) }

// Range returns the search range the ring covers, as configured (End raised to Start if it was
// before it).
func (r *Ring) Range() (start, end int64) { return r.start, r.end }

// Buckets returns the number of base buckets the range spans: (End-Start)/W + 1, the last one
// starting at or before End. Size never exceeds it.
func (r *Ring) Buckets() int { return int(min(r.slots, math.MaxInt)) }

// Modules returns the number of modules per bucket.
func (r *Ring) Modules() int { return r.modules }

// Shards returns the number of writer shards; Record reduces its shard argument modulo it.
func (r *Ring) Shards() int { return r.shards }

// Dropped returns the number of Records dropped because their timestamp was outside
// [Start, End].
func (r *Ring) Dropped() uint64 { return r.dropped.Load() }

// Bytes returns the approximate memory the ring has allocated for buckets and its directory,
// for accounting against a process-wide memory budget.
func (r *Ring) Bytes() int64 { return r.bytes.Load() }

// Record adds c to module's counters in the bucket holding ts, on the given writer shard.
// Counts, bytes and ScratchWritten are summed; Duration keeps the maximum (wire.Counters.Merge).
//
// shard should be owned by the calling goroutine (see Ring); it is reduced modulo Shards().
// module must be in [0, Modules()); anything else is a caller bug and panics. A ts outside
// [Start, End] is dropped and counted. Record allocates only the first time a shard touches a
// chunk of buckets; c is read, never kept.
func (r *Ring) Record(shard, module int, ts int64, c *wire.Counters) {
	if uint(module) >= uint(r.modules) {
		panic("BUG: stats: Record module index out of range")
	}
	if ts < r.start || ts > r.end {
		r.dropped.Add(1)
		return
	}
	slot := (uint64(ts) - uint64(r.start)) / r.width
	ch := r.chunkAt(slot / chunkSlots)
	if ch == nil {
		r.refused.Add(1)
		return
	}
	s := uint(shard)
	if s >= uint(r.shards) {
		s %= uint(r.shards)
	}
	blk := ch.blocks[s].Load()
	if blk == nil {
		if blk = r.newBlock(ch, s); blk == nil {
			r.refused.Add(1)
			return
		}
	}
	off := int(slot % chunkSlots)
	blk.cells[off*r.modules+module].add(c)
	// Mark occupancy after the counters so that a reader who sees the bit also sees this data.
	w := &ch.bits[off>>6]
	m := uint64(1) << (off & 63)
	if w.Load()&m == 0 && w.Or(m)&m == 0 {
		r.size.Add(1)
	}
}

// chunkAt returns chunk ci, creating it (and its page) on first touch.
func (r *Ring) chunkAt(ci uint64) *chunk {
	pp := &r.dir[ci/pageChunks]
	p := pp.Load()
	if p == nil {
		if p = r.newPage(pp); p == nil {
			return nil
		}
	}
	cp := &p.chunks[ci%pageChunks]
	ch := cp.Load()
	if ch == nil {
		ch = r.newChunk(cp, ci)
	}
	return ch
}

// loadChunk returns chunk ci or nil when nothing has touched it.
func (r *Ring) loadChunk(ci uint64) *chunk {
	p := r.dir[ci/pageChunks].Load()
	if p == nil {
		return nil
	}
	return p.chunks[ci%pageChunks].Load()
}

func (r *Ring) newPage(pp *atomic.Pointer[page]) *page {
	n := int64(unsafe.Sizeof(page{}))
	if !r.mem.Reserve(n) {
		return nil
	}
	p := new(page)
	if pp.CompareAndSwap(nil, p) {
		r.account(n)
		return p
	}
	r.mem.Release(n)
	return pp.Load()
}

func (r *Ring) newChunk(cp *atomic.Pointer[chunk], ci uint64) *chunk {
	n := int64(unsafe.Sizeof(chunk{})) + int64(r.shards)*8
	if !r.mem.Reserve(n) {
		return nil
	}
	ch := &chunk{
		blocks: make([]atomic.Pointer[block], r.shards),
		slots:  int(min(chunkSlots, r.slots-ci*chunkSlots)),
	}
	if cp.CompareAndSwap(nil, ch) {
		r.account(n)
		return ch
	}
	r.mem.Release(n)
	return cp.Load()
}

func (r *Ring) newBlock(ch *chunk, s uint) *block {
	cells := ch.slots * r.modules
	n := int64(cells) * int64(unsafe.Sizeof(cell{}))
	if !r.mem.Reserve(n) {
		return nil
	}
	b := &block{cells: make([]cell, cells)}
	if ch.blocks[s].CompareAndSwap(nil, b) {
		r.blocks.Add(1)
		r.account(n)
		return b
	}
	r.mem.Release(n)
	return ch.blocks[s].Load()
}
