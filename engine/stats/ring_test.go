package stats

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine/budget"
	"github.com/sluicehq/sluice/wire"
)

var t0 = time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC).UnixNano()

const sec = int64(time.Second)

func TestBaseWidth(t *testing.T) {
	f := func(span int64, maxBuckets int, minWidth int64, wantSec int64) {
		t.Helper()
		r := NewRing(RingConfig{Start: t0, End: t0 + span, MaxBuckets: maxBuckets, MinWidth: minWidth})
		if got := r.Width(); got != wantSec*sec {
			t.Fatalf("span %d maxBuckets %d minWidth %d: width %d, want %d s", span, maxBuckets, minWidth, got, wantSec)
		}
	}
	f(0, 0, 0, 1)
	f(2*sec, 0, 0, 1)                               // §4.5.10: a 2-second search has one bucket per second
	f(3600*sec, 0, 0, 1)                            // one hour
	f(65536*sec, 0, 0, 1)                           // exactly the cap
	f(65537*sec, 0, 0, 2)                           // one second over the cap
	f(65536*sec+1, 0, 0, 2)                         // a fraction over: ceil in whole seconds
	f(30*24*3600*sec, 0, 0, 40)                     // §5.11: a month has about 65k buckets of 40 s
	f(30*24*3600*sec, -1, 0, 1)                     // unlimited (full-resolution stats)
	f(1000*sec, 100, 0, 10)                         // a configured cap
	f(1001*sec, 100, 0, 11)                         // rounded up
	f(3600*sec, 0, 33*sec, 33)                      // "over 33s" raises W
	f(3600*sec, 0, 1500*int64(time.Millisecond), 2) // rounded up to whole seconds
	f(3600*sec, 0, 500*int64(time.Millisecond), 1)
	f(30*24*3600*sec, 0, 10*sec, 40) // MinWidth below the computed W changes nothing
	f(10*sec, 0, math.MaxInt64, math.MaxInt64/sec)

	// The whole int64 range does not overflow: 2^64-1 ns is 18 446 744 074 s, / 65 536.
	r := NewRing(RingConfig{Start: math.MinInt64, End: math.MaxInt64})
	if r.Width() != 281475*sec || r.Buckets() != 65536 {
		t.Fatalf("full int64 range: width %d buckets %d", r.Width(), r.Buckets())
	}
	r.Record(0, 0, math.MaxInt64, &wire.Counters{InputCount: 1})
	r.Record(0, 0, math.MinInt64, &wire.Counters{InputCount: 1})
	var a Aggregate
	r.Aggregate(math.MinInt64, math.MaxInt64, 2, &a)
	if a.C[0].InputCount != 1 || a.C[1].InputCount != 1 || a.TS[0] != math.MinInt64 {
		t.Fatalf("full int64 range aggregate: %+v", a)
	}
}

func TestRingZeroConfig(t *testing.T) {
	r := NewRing(RingConfig{})
	if r.Width() != sec || r.Modules() != 1 || r.Shards() != runtime.GOMAXPROCS(0) || r.Buckets() != 1 {
		t.Fatalf("zero config: width %d modules %d shards %d buckets %d", r.Width(), r.Modules(), r.Shards(), r.Buckets())
	}
	r.Record(0, 0, 0, &wire.Counters{InputCount: 1})
	r.Record(0, 0, 1, &wire.Counters{InputCount: 1})
	if r.Size() != 1 || r.Dropped() != 1 {
		t.Fatalf("size %d dropped %d, want 1 and 1", r.Size(), r.Dropped())
	}
	var a Aggregate
	r.Aggregate(0, 0, 1, &a)
	if !a.Has[0] || a.C[0].InputCount != 1 {
		t.Fatalf("aggregate: %+v", a)
	}
}

func TestRingEndBeforeStart(t *testing.T) {
	r := NewRing(RingConfig{Start: t0, End: t0 - sec})
	if s, e := r.Range(); s != t0 || e != t0 {
		t.Fatalf("range %d..%d, want %d..%d", s, e, t0, t0)
	}
}

func TestRecordClampsAndDrops(t *testing.T) {
	// 10 s range, W = 1 s, 11 buckets: 0..9 and the edge bucket at End.
	r := NewRing(RingConfig{Start: t0, End: t0 + 10*sec, Modules: 2, Shards: 2})
	if r.Buckets() != 11 {
		t.Fatalf("buckets %d, want 11", r.Buckets())
	}
	c := &wire.Counters{InputCount: 1}
	r.Record(0, 0, t0-1, c)        // before Start: dropped
	r.Record(0, 0, t0+10*sec+1, c) // after End: dropped
	r.Record(0, 0, t0, c)          // first bucket
	r.Record(1, 1, t0+sec-1, c)    // same bucket, other shard and module
	r.Record(0, 0, t0+10*sec, c)   // exactly End: the edge bucket
	r.Record(5, 0, t0+5*sec+1, c)  // shard reduced modulo Shards
	r.Record(-1, 0, t0+5*sec+2, c) // negative shard too
	if r.Dropped() != 2 || r.Size() != 3 {
		t.Fatalf("dropped %d size %d, want 2 and 3", r.Dropped(), r.Size())
	}
	var a Aggregate
	r.Aggregate(t0, t0+10*sec, 10, &a)
	want := []uint64{2, 0, 0, 0, 0, 2, 0, 0, 0, 1} // the edge bucket lands in the last chunk
	for i, w := range want {
		got := a.Row(i)[0].InputCount + a.Row(i)[1].InputCount
		if got != w || a.Has[i] != (w != 0) {
			t.Fatalf("chunk %d: count %d has %v, want %d", i, got, a.Has[i], w)
		}
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Record with module out of range did not panic")
		}
	}()
	r.Record(0, 2, t0, c)
}

func TestRecordMergeRules(t *testing.T) {
	r := NewRing(RingConfig{Start: t0, End: t0 + 60*sec, Shards: 3})
	r.Record(0, 0, t0, &wire.Counters{InputCount: 1, OutputCount: 2, InputBytes: 3, OutputBytes: 4, Duration: 50, ScratchWritten: 6})
	r.Record(1, 0, t0, &wire.Counters{InputCount: 10, OutputCount: 20, InputBytes: 30, OutputBytes: 40, Duration: 70, ScratchWritten: 60})
	r.Record(1, 0, t0, &wire.Counters{Duration: 60})
	r.Record(2, 0, t0, &wire.Counters{Duration: -5})
	var a Aggregate
	r.Aggregate(t0, t0+60*sec, 1, &a)
	want := wire.Counters{InputCount: 11, OutputCount: 22, InputBytes: 33, OutputBytes: 44, Duration: 70, ScratchWritten: 66}
	if a.C[0] != want {
		t.Fatalf("merged %+v, want %+v", a.C[0], want)
	}
	// A Record with all-zero counters still marks its bucket as holding data.
	r.Record(0, 0, t0+30*sec, &wire.Counters{})
	if r.Size() != 2 {
		t.Fatalf("size %d, want 2", r.Size())
	}
}

func TestMemoryGrowsPerTouchedChunk(t *testing.T) {
	r := NewRing(RingConfig{Start: t0, End: t0 + 65535*sec, Modules: 2, Shards: 2})
	if r.Width() != sec || r.BlocksAllocated() != 0 || r.Bytes() > 64 {
		t.Fatalf("new ring: width %d blocks %d bytes %d", r.Width(), r.BlocksAllocated(), r.Bytes())
	}
	c := &wire.Counters{InputCount: 1}
	step := func(shard int, ts int64, wantBlocks int) {
		t.Helper()
		r.Record(shard, 1, ts, c)
		if got := r.BlocksAllocated(); got != wantBlocks {
			t.Fatalf("after Record(shard %d, +%ds): %d blocks, want %d", shard, (ts-t0)/sec, got, wantBlocks)
		}
	}
	step(0, t0, 1)
	step(0, t0+(ChunkSlots-1)*sec, 1) // same chunk
	step(0, t0+ChunkSlots*sec, 2)     // next chunk
	step(1, t0, 3)                    // another shard's block for chunk 0
	step(1, t0+5*sec, 3)
	step(0, t0+65535*sec, 4) // the last chunk
	// 4 blocks of 256 buckets × 2 modules × 48 bytes plus directory overhead, not 65 536 slots.
	full := int64(65536 * 2 * 2 * 48)
	if b := r.Bytes(); b < 4*ChunkSlots*2*48 || b > full/50 {
		t.Fatalf("bytes %d, want about %d (full preallocation would be %d)", b, 4*ChunkSlots*2*48, full)
	}
	// A short ring allocates only the buckets it has.
	small := NewRing(RingConfig{Start: t0, End: t0 + 2*sec, Shards: 1})
	small.Record(0, 0, t0, c)
	if b := small.Bytes(); b > 8*1024 {
		t.Fatalf("2-second ring uses %d bytes", b)
	}
}

func TestUnlimitedLongRangeIsLazy(t *testing.T) {
	// Ten years at one-second buckets: 315M buckets, yet only the directory's top level up front.
	r := NewRing(RingConfig{Start: t0, End: t0 + 10*365*24*3600*sec, MaxBuckets: -1, Shards: 2})
	if r.Width() != sec {
		t.Fatalf("width %d", r.Width())
	}
	if b := r.Bytes(); b > 64*1024 {
		t.Fatalf("new unlimited ring uses %d bytes up front", b)
	}
	r.Record(0, 0, t0+5*365*24*3600*sec, &wire.Counters{OutputCount: 7})
	var a Aggregate
	s, e := r.Range()
	r.Aggregate(s, e, 10, &a)
	if !a.Has[5] || a.C[5].OutputCount != 7 || r.BlocksAllocated() != 1 {
		t.Fatalf("has %v count %d blocks %d", a.Has, a.C[5].OutputCount, r.BlocksAllocated())
	}
}

// TestConcurrentWritersAndReader runs writers on distinct shards, and a second set sharing one
// shard, against a reader that aggregates continuously; run it with -race.
func TestConcurrentWritersAndReader(t *testing.T) {
	for _, shared := range []bool{false, true} {
		const writers, records = 4, 3000
		r := NewRing(RingConfig{Start: t0, End: t0 + 3600*sec, Modules: 2, Shards: writers})
		var wg sync.WaitGroup
		done := make(chan struct{})
		readerErr := make(chan string, 1)
		go func() {
			var a Aggregate
			var prev uint64
			for {
				select {
				case <-done:
					readerErr <- ""
					return
				default:
				}
				r.Aggregate(t0, t0+3600*sec, 7, &a)
				var sum uint64
				for i := range a.C {
					sum += a.C[i].InputCount
				}
				if sum < prev || sum > writers*records {
					readerErr <- "reader saw a total go backwards or past the final value"
					return
				}
				prev = sum
				_ = r.Size()
			}
		}()
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(w), 1))
				shard := w
				if shared {
					shard = 0
				}
				for i := range records {
					ts := t0 + rng.Int64N(3600*sec)
					r.Record(shard, i%2, ts, &wire.Counters{InputCount: 1, OutputBytes: 3, Duration: int64(w*records + i)})
				}
			}()
		}
		wg.Wait()
		close(done)
		if msg := <-readerErr; msg != "" {
			t.Fatalf("shared=%v: %s", shared, msg)
		}
		var a Aggregate
		r.Aggregate(t0, t0+3600*sec, 1, &a)
		in := a.C[0].InputCount + a.C[1].InputCount
		out := a.C[0].OutputBytes + a.C[1].OutputBytes
		dur := max(a.C[0].Duration, a.C[1].Duration)
		if in != writers*records || out != 3*writers*records || dur != writers*records-1 {
			t.Fatalf("shared=%v: totals in %d out %d max duration %d", shared, in, out, dur)
		}
	}
}

// A ring under a memory budget reserves every block before it allocates it, drops and counts
// the Records it cannot place, and gives everything back on Release.
func TestRingMemoryBudget(t *testing.T) {
	mem := budget.New("memory_budget_mb", 64<<10)
	r := NewRing(RingConfig{Start: 0, End: 100000 * second, MaxBuckets: -1, Modules: 2, Shards: 1, Memory: mem})
	c := wire.Counters{InputCount: 1}
	for ts := int64(0); ts < 100000*second; ts += second {
		r.Record(0, 1, ts, &c)
	}
	if r.Refused() == 0 || mem.Used() > 64<<10 || mem.Used() != r.Bytes() {
		t.Fatalf("refused %d, budget used %d, ring bytes %d", r.Refused(), mem.Used(), r.Bytes())
	}
	r.Release()
	if mem.Used() != 0 {
		t.Fatalf("%d bytes still reserved after Release", mem.Used())
	}
	r.Record(0, 1, 99999*second, &c) // after Release: nothing is held
	if mem.Used() != 0 {
		t.Fatalf("%d bytes reserved by a Record after Release", mem.Used())
	}
}
