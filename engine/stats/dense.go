package stats

import (
	"math/bits"
	"sync/atomic"
	"unsafe"

	"github.com/sluicehq/sluice/wire"
)

// DenseAlign is the bucket alignment at which RecordDense is cheapest: a run that starts at a
// bucket index (counted from the ring's Start) that is a multiple of DenseAlign and covers
// DenseAlign buckets fills one shard's block of buckets in one go.
const DenseAlign = chunkSlots

// RecordDense adds a run of consecutive buckets' counters on the given writer shard, as one
// Record per module of every bucket in the run that holds a non-zero counter would: row k of cs
// (cs[k·mods : (k+1)·mods]) goes to modules 0…mods-1 of the k-th bucket after the one holding
// ts. A bucket whose mods counters are all zero is skipped: it is neither recorded nor marked
// as holding data. Dropped and Refused count one per skipped-for-cause bucket that held data,
// not one per module.
//
// It is the bulk twin of Record for callers that already hold per-bucket sums (a count
// answered from block summaries): where the shard has not yet touched a block of buckets, the
// block is filled with plain stores before it is published, so a run costs no atomic
// instruction per counter; elsewhere it adds atomically, as Record does. The same concurrency
// rules as Record apply. mods must be in [1, Modules()] and len(cs) a multiple of mods;
// anything else is a caller bug and panics. cs is read, never kept.
func (r *Ring) RecordDense(shard, mods int, ts int64, cs []wire.Counters) {
	if mods < 1 || mods > r.modules || len(cs)%mods != 0 {
		panic("BUG: stats: RecordDense module count out of range")
	}
	n := len(cs) / mods
	if ts < r.start || ts > r.end {
		r.dropped.Add(uint64(held(cs, mods)))
		return
	}
	s := uint(shard)
	if s >= uint(r.shards) {
		s %= uint(r.shards)
	}
	slot := (uint64(ts) - uint64(r.start)) / r.width
	for k := 0; k < n; {
		if slot >= r.slots {
			r.dropped.Add(uint64(held(cs[k*mods:], mods)))
			return
		}
		off := int(slot % chunkSlots)
		cnt := int(min(uint64(n-k), uint64(chunkSlots-off), r.slots-slot))
		run := cs[k*mods : (k+cnt)*mods]
		k += cnt
		slot += uint64(cnt)
		occ := occupancy(run, mods)
		if occ == [chunkWords]uint64{} {
			continue
		}
		ch := r.chunkAt((slot - uint64(cnt)) / chunkSlots)
		if ch == nil {
			r.refused.Add(uint64(popcount(&occ)))
			continue
		}
		blk := ch.blocks[s].Load()
		if blk == nil && r.fillBlock(ch, s, off, mods, run, &occ) {
			r.mark(ch, off, &occ)
			continue
		}
		if blk == nil {
			if blk = ch.blocks[s].Load(); blk == nil {
				r.refused.Add(uint64(popcount(&occ)))
				continue
			}
		}
		for b := 0; b < cnt; b++ {
			if occ[b>>6]&(1<<(b&63)) == 0 {
				continue
			}
			cells := blk.cells[(off+b)*r.modules:]
			for m, c := range run[b*mods : (b+1)*mods] {
				cells[m].add(&c)
			}
		}
		r.mark(ch, off, &occ)
	}
}

// held returns the number of buckets of cs (rows of mods counters) holding a non-zero counter.
func held(cs []wire.Counters, mods int) int {
	n := 0
	for k := 0; k+mods <= len(cs); k += mods {
		if !zero(cs[k : k+mods]) {
			n++
		}
	}
	return n
}

// occupancy returns a bitmap of the rows of run (at most chunkSlots rows of mods counters)
// holding a non-zero counter.
func occupancy(run []wire.Counters, mods int) (occ [chunkWords]uint64) {
	for b := 0; b*mods < len(run); b++ {
		if !zero(run[b*mods : (b+1)*mods]) {
			occ[b>>6] |= 1 << (b & 63)
		}
	}
	return occ
}

func zero(row []wire.Counters) bool {
	for i := range row {
		if row[i] != (wire.Counters{}) {
			return false
		}
	}
	return true
}

func popcount(occ *[chunkWords]uint64) int {
	n := 0
	for _, w := range occ {
		n += bits.OnesCount64(w)
	}
	return n
}

// fillBlock creates shard s's block of ch with run's rows (occ marks the non-zero ones)
// written at bucket offset off, and publishes it. It reports false, having written nothing,
// when another writer published the block first or the memory budget refused it.
//
// NOTE: the cells are written with plain stores before the block is published by the CAS
// (which orders them before any reader's Load of the block pointer), so they need no atomic
// instructions. atomic.Uint64 and atomic.Int64 hold only their value (the other fields are
// zero-sized), so a pointer to one is a pointer to its value.
func (r *Ring) fillBlock(ch *chunk, s uint, off, mods int, run []wire.Counters, occ *[chunkWords]uint64) bool {
	cells := ch.slots * r.modules
	n := int64(cells) * int64(unsafe.Sizeof(cell{}))
	if !r.mem.Reserve(n) {
		return false
	}
	b := &block{cells: make([]cell, cells)}
	for k := 0; k*mods < len(run); k++ {
		if occ[k>>6]&(1<<(k&63)) == 0 {
			continue
		}
		row := b.cells[(off+k)*r.modules:]
		for m := range mods {
			c, cl := &run[k*mods+m], &row[m]
			*plain(&cl.inCount) = c.InputCount
			*plain(&cl.outCount) = c.OutputCount
			*plain(&cl.inBytes) = c.InputBytes
			*plain(&cl.outBytes) = c.OutputBytes
			*plain(&cl.scratch) = c.ScratchWritten
			*(*int64)(unsafe.Pointer(&cl.duration)) = c.Duration
		}
	}
	if !ch.blocks[s].CompareAndSwap(nil, b) {
		r.mem.Release(n)
		return false
	}
	r.blocks.Add(1)
	r.account(n)
	return true
}

// plain returns the value of an atomic.Uint64 nobody else can see yet, for a plain store.
func plain(a *atomic.Uint64) *uint64 { return (*uint64)(unsafe.Pointer(a)) }

// add adds c to the cell as Record does.
func (cl *cell) add(c *wire.Counters) {
	if v := c.InputCount; v != 0 {
		cl.inCount.Add(v)
	}
	if v := c.OutputCount; v != 0 {
		cl.outCount.Add(v)
	}
	if v := c.InputBytes; v != 0 {
		cl.inBytes.Add(v)
	}
	if v := c.OutputBytes; v != 0 {
		cl.outBytes.Add(v)
	}
	if v := c.ScratchWritten; v != 0 {
		cl.scratch.Add(v)
	}
	if d := c.Duration; d > cl.duration.Load() {
		for {
			old := cl.duration.Load()
			if d <= old || cl.duration.CompareAndSwap(old, d) {
				break
			}
		}
	}
}

// mark sets the occupancy bits of the buckets occ marks, from bucket offset off of ch, after
// their counters, and counts the newly occupied ones in Size.
func (r *Ring) mark(ch *chunk, off int, occ *[chunkWords]uint64) {
	// shift occ (bits relative to off) to chunk positions
	var abs [chunkWords + 1]uint64
	wo, bo := off>>6, uint(off&63)
	for i, w := range occ {
		if w == 0 {
			continue
		}
		abs[wo+i] |= w << bo
		if bo != 0 {
			abs[wo+i+1] |= w >> (64 - bo)
		}
	}
	for i := range chunkWords {
		m := abs[i]
		if m == 0 {
			continue
		}
		w := &ch.bits[i]
		if w.Load()&m != m {
			if n := bits.OnesCount64(m &^ w.Or(m)); n != 0 {
				r.size.Add(int64(n))
			}
		}
	}
}
