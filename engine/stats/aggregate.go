package stats

import (
	"math"
	"math/bits"

	"github.com/sluicehq/sluice/wire"
)

// Aggregate is the result of Ring.Aggregate: N chunks of Modules counters each. Reuse one
// Aggregate across calls; it grows to the largest N·Modules seen and is not reallocated after.
type Aggregate struct {
	N       int             // number of chunks
	Modules int             // counters per chunk
	TS      []int64         // TS[i] is chunk i's start in Unix nanoseconds (StatSet.TS)
	Has     []bool          // Has[i] reports whether any bucket with data fell into chunk i
	C       []wire.Counters // N*Modules counters, row-major by chunk: chunk i is C[i*Modules:(i+1)*Modules]
}

// Row returns chunk i's counters, one per module. The slice aliases a.C.
func (a *Aggregate) Row(i int) []wire.Counters {
	return a.C[i*a.Modules : (i+1)*a.Modules : (i+1)*a.Modules]
}

// reset sizes a for n chunks of m modules and zeroes it, growing only when needed.
func (a *Aggregate) reset(n, m int) {
	a.N, a.Modules = n, m
	if cap(a.TS) < n {
		a.TS = make([]int64, n)
		a.Has = make([]bool, n)
	} else {
		a.TS = a.TS[:n]
		a.Has = a.Has[:n]
		clear(a.Has)
	}
	if cap(a.C) < n*m {
		a.C = make([]wire.Counters, n*m)
	} else {
		a.C = a.C[:n*m]
		clear(a.C)
	}
}

// Aggregate cuts [start, end] into n chunks and sums the ring's buckets into dst, exactly as
// PROTOCOL.md §5.11 "Chunking" says:
//
//  1. C = (end-start)/n nanoseconds (integer division, not rounded to W; 1 ns if that is 0).
//  2. Chunk i starts at TS[i] = start + i·C.
//  3. A base bucket starting at b goes to chunk floor((b-start)/C), clamped to n-1; a bucket
//     starting exactly at end goes to the last chunk (the range is inclusive at the end).
//     Buckets starting before start or after end are left out, even when they overlap the
//     range.
//  4. Counts, bytes and ScratchWritten are summed per module, Duration takes the maximum.
//
// All n chunks are produced, in time order; Has[i] is false for a chunk no bucket with data fell
// into. n below 1 means 1. When end < start every chunk is empty. Choosing n (SetCount rules,
// §4.5.13) and dropping chunks outside the search range (REQ_STATS_GET_RANGE) is the caller's
// job.
//
// Aggregate may run concurrently with Record (see Ring); it allocates only when dst must grow.
// Its cost is proportional to the buckets holding data in the range plus n.
func (r *Ring) Aggregate(start, end int64, n int, dst *Aggregate) {
	if n < 1 {
		n = 1
	}
	m := r.modules
	dst.reset(n, m)

	var span uint64
	if end >= start {
		span = uint64(end) - uint64(start)
	}
	c := max(span/uint64(n), 1)
	for i := range dst.TS {
		dst.TS[i] = int64(uint64(start) + uint64(i)*c)
	}
	if end < start || end < r.start || start > r.end {
		return
	}

	// Buckets of the ring whose start lies in [start, end]: k0 = ceil((lo-Start)/W),
	// k1 = floor((hi-Start)/W), with lo/hi the range clipped to the ring.
	lo, hi := max(start, r.start), min(end, r.end)
	d0 := uint64(lo) - uint64(r.start)
	k0 := d0/r.width + boolU64(d0%r.width != 0)
	k1 := (uint64(hi) - uint64(r.start)) / r.width
	if k0 > k1 {
		return
	}

	last := uint64(n - 1)
	ci, next := uint64(0), uint64(0) // current chunk and the offset where chunk ci+1 starts
	for g := k0 / chunkSlots; g <= k1/chunkSlots; g++ {
		ch := r.loadChunk(g)
		if ch == nil {
			continue
		}
		base := g * chunkSlots
		for w := range chunkWords {
			word := ch.bits[w].Load()
			for word != 0 {
				tz := bits.TrailingZeros64(word)
				word &= word - 1
				k := base + uint64(w*64+tz)
				if k < k0 {
					continue
				}
				if k > k1 {
					return
				}
				// b - start, where b = Start + k·W >= start.
				off := uint64(r.start) + k*r.width - uint64(start)
				if off >= next {
					ci = min(off/c, last)
					if off == span { // b == end: the last chunk even when C was rounded up to 1 ns
						ci = last
					}
					next = math.MaxUint64
					if ci < last {
						next = (ci + 1) * c
					}
				}
				dst.Has[ci] = true
				r.addBucket(ch, int(k-base), dst.C[int(ci)*m:int(ci)*m+m])
			}
		}
	}
}

// addBucket merges bucket o of chunk ch, all shards, into row.
func (r *Ring) addBucket(ch *chunk, o int, row []wire.Counters) {
	m := len(row)
	for s := range ch.blocks {
		blk := ch.blocks[s].Load()
		if blk == nil {
			continue
		}
		cells := blk.cells[o*m : o*m+m]
		for i := range cells {
			cl, d := &cells[i], &row[i]
			d.InputCount += cl.inCount.Load()
			d.OutputCount += cl.outCount.Load()
			d.InputBytes += cl.inBytes.Load()
			d.OutputBytes += cl.outBytes.Load()
			d.ScratchWritten += cl.scratch.Load()
			if v := cl.duration.Load(); v > d.Duration {
				d.Duration = v
			}
		}
	}
}
