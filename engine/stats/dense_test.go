package stats

import (
	"math/rand/v2"
	"testing"

	"github.com/sluicehq/sluice/engine/budget"
	"github.com/sluicehq/sluice/wire"
)

// TestRecordDenseEqualsRecord checks RecordDense against one Record per module of every
// bucket holding data: runs at random offsets (across chunk edges, past the last bucket, before
// Start), sparse and dense rows, fewer modules than the ring's, on blocks that exist already
// (atomic path) and on fresh ones (plain path), on several shards. Every bucket's counters,
// Size and the number of blocks must agree.
func TestRecordDenseEqualsRecord(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		mods := 1 + rng.IntN(3)
		width := int64(1+rng.IntN(3)) * sec
		buckets := 1 + rng.IntN(1200)
		cfg := RingConfig{Start: t0, End: t0 + int64(buckets-1)*width, Modules: mods, Shards: 1 + rng.IntN(3), MinWidth: width, MaxBuckets: -1}
		dense, ref := NewRing(cfg), NewRing(cfg)
		if dense.Width() != width {
			t.Fatalf("seed %d: width %d, want %d", seed, dense.Width(), width)
		}
		for range 1 + rng.IntN(12) {
			shard := rng.IntN(4)
			used := 1 + rng.IntN(mods)
			n := 1 + rng.IntN(2*DenseAlign)
			first := rng.IntN(buckets+20) - 10
			if rng.IntN(3) == 0 {
				first = rng.IntN(buckets/DenseAlign+1) * DenseAlign
			}
			ts := t0 + int64(first)*width + rng.Int64N(width)
			cs := make([]wire.Counters, n*used)
			fill := rng.Float64()
			for k := range n {
				if rng.Float64() > fill {
					continue
				}
				for m := range used {
					if rng.IntN(4) == 0 {
						continue // a zero module in a bucket holding data
					}
					cs[k*used+m] = wire.Counters{InputCount: rng.Uint64N(9), OutputCount: rng.Uint64N(9), InputBytes: rng.Uint64N(999), OutputBytes: rng.Uint64N(999), ScratchWritten: rng.Uint64N(3), Duration: rng.Int64N(99)}
				}
			}
			if rng.IntN(4) == 0 { // a Record first: the dense run meets an existing block
				c := wire.Counters{InputCount: 1}
				at := t0 + int64(max(0, first))*width
				dense.Record(shard, 0, at, &c)
				ref.Record(shard, 0, at, &c)
			}
			dense.RecordDense(shard, used, ts, cs)
			for k := range n {
				row := cs[k*used : (k+1)*used]
				if zero(row) {
					continue
				}
				bts := ts // a run starting before Start is dropped whole
				if first >= 0 && k > 0 {
					bts = t0 + int64(first+k)*width // the k-th bucket's start
				}
				for m := range row {
					ref.Record(shard, m, bts, &row[m])
				}
			}
		}
		var a, b Aggregate
		dense.Aggregate(t0, cfg.End, buckets, &a)
		ref.Aggregate(t0, cfg.End, buckets, &b)
		for i := range buckets {
			if a.Has[i] != b.Has[i] {
				t.Fatalf("seed %d: bucket %d has data %v, reference %v", seed, i, a.Has[i], b.Has[i])
			}
			for m := range mods {
				if a.Row(i)[m] != b.Row(i)[m] {
					t.Fatalf("seed %d: bucket %d module %d: %+v, reference %+v", seed, i, m, a.Row(i)[m], b.Row(i)[m])
				}
			}
		}
		if dense.Size() != ref.Size() || dense.BlocksAllocated() != ref.BlocksAllocated() || dense.Bytes() != ref.Bytes() {
			t.Fatalf("seed %d: size %d blocks %d bytes %d, reference %d %d %d", seed, dense.Size(), dense.BlocksAllocated(), dense.Bytes(), ref.Size(), ref.BlocksAllocated(), ref.Bytes())
		}
	}
}

// TestRecordDenseDropsAndRefuses checks the per-bucket Dropped and Refused counts and that an
// all-zero run allocates nothing.
func TestRecordDenseDropsAndRefuses(t *testing.T) {
	r := NewRing(RingConfig{Start: t0, End: t0 + 9*sec, Modules: 2, Shards: 1})
	cs := make([]wire.Counters, 2*20)
	r.RecordDense(0, 2, t0, cs)
	if r.Size() != 0 || r.BlocksAllocated() != 0 || r.Dropped() != 0 {
		t.Fatalf("zero run: size %d blocks %d dropped %d", r.Size(), r.BlocksAllocated(), r.Dropped())
	}
	for k := range 20 {
		cs[2*k+1].InputCount = 1
	}
	r.RecordDense(0, 2, t0-1, cs)
	if r.Dropped() != 20 {
		t.Fatalf("before Start: dropped %d, want 20", r.Dropped())
	}
	r.RecordDense(0, 2, t0, cs) // buckets 0..9 land, 10..19 are past End
	if r.Dropped() != 30 || r.Size() != 10 {
		t.Fatalf("past End: dropped %d size %d, want 30 and 10", r.Dropped(), r.Size())
	}
	small := NewRing(RingConfig{Start: t0, End: t0 + 9*sec, Modules: 2, Shards: 1, Memory: budget.New("test", 1)})
	small.RecordDense(0, 2, t0, cs[:4])
	if small.Refused() != 2 || small.Size() != 0 {
		t.Fatalf("over budget: refused %d size %d, want 2 and 0", small.Refused(), small.Size())
	}
	defer func() {
		if recover() == nil {
			t.Fatal("RecordDense with more modules than the ring's did not panic")
		}
	}()
	r.RecordDense(0, 3, t0, cs[:3])
}
