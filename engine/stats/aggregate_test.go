package stats

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// refRing is the brute-force reference: a map from bucket start to counters, and the §5.11
// chunking written out literally, one bucket at a time.
type refRing struct {
	start, end, w int64
	modules       int
	buckets       map[int64][]wire.Counters
	dropped       int
}

func newRef(r *Ring) *refRing {
	s, e := r.Range()
	return &refRing{start: s, end: e, w: r.Width(), modules: r.Modules(), buckets: map[int64][]wire.Counters{}}
}

func (f *refRing) record(module int, ts int64, c wire.Counters) {
	if ts < f.start || ts > f.end {
		f.dropped++
		return
	}
	b := f.start + (ts-f.start)/f.w*f.w
	row := f.buckets[b]
	if row == nil {
		row = make([]wire.Counters, f.modules)
		f.buckets[b] = row
	}
	row[module].Merge(&c)
}

func (f *refRing) aggregate(start, end int64, n int) (ts []int64, has []bool, c []wire.Counters) {
	if n < 1 {
		n = 1
	}
	ts, has, c = make([]int64, n), make([]bool, n), make([]wire.Counters, n*f.modules)
	var size int64
	if end > start {
		size = (end - start) / int64(n)
	}
	if size == 0 {
		size = 1
	}
	for i := range ts {
		ts[i] = start + int64(i)*size
	}
	if end < start {
		return
	}
	for b, row := range f.buckets {
		if b < start || b > end {
			continue
		}
		i := min((b-start)/size, int64(n-1))
		if b == end {
			i = int64(n - 1)
		}
		has[i] = true
		for m := range row {
			c[int(i)*f.modules+m].Merge(&row[m])
		}
	}
	return
}

func checkAggregate(t *testing.T, r *Ring, ref *refRing, a *Aggregate, start, end int64, n int) {
	t.Helper()
	r.Aggregate(start, end, n, a)
	ts, has, c := ref.aggregate(start, end, n)
	if a.N != len(ts) || a.Modules != ref.modules || len(a.TS) != len(ts) || len(a.C) != len(c) {
		t.Fatalf("range %d..%d n %d: shape N %d Modules %d, want %d %d", start-t0, end-t0, n, a.N, a.Modules, len(ts), ref.modules)
	}
	for i := range ts {
		if a.TS[i] != ts[i] || a.Has[i] != has[i] {
			t.Fatalf("range %d..%d n %d chunk %d: TS %d has %v, want %d %v", start-t0, end-t0, n, i, a.TS[i]-t0, a.Has[i], ts[i]-t0, has[i])
		}
	}
	for i := range c {
		if a.C[i] != c[i] {
			t.Fatalf("range %d..%d n %d chunk %d module %d: %+v, want %+v", start-t0, end-t0, n, i/ref.modules, i%ref.modules, a.C[i], c[i])
		}
	}
}

func randCounters(rng *rand.Rand) wire.Counters {
	return wire.Counters{
		InputCount: rng.Uint64N(1000), OutputCount: rng.Uint64N(1000), InputBytes: rng.Uint64N(1 << 20),
		OutputBytes: rng.Uint64N(1 << 20), Duration: rng.Int64N(1e9), ScratchWritten: rng.Uint64N(4) * rng.Uint64N(1000),
	}
}

// TestAggregateMatchesReference records random entries into rings of random shapes and compares
// Aggregate with the brute-force reference over random ranges and the chunk counts the clients
// use.
func TestAggregateMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 11))
	spans := []int64{0, 1, sec, 2 * sec, 90 * 60 * sec, 65536 * sec, 65537*sec + 3, 7 * 24 * 3600 * sec, 40 * 24 * 3600 * sec}
	for iter := range 27 {
		start := t0 + rng.Int64N(sec) // ranges need not start on a whole second
		span := spans[iter%len(spans)]
		cfg := RingConfig{Start: start, End: start + span, Modules: 1 + rng.IntN(3), Shards: 1 + rng.IntN(4)}
		switch rng.IntN(4) {
		case 0:
			cfg.MaxBuckets = 1 + rng.IntN(500)
		case 1:
			if span <= 7*24*3600*sec {
				cfg.MaxBuckets = -1
			}
		case 2:
			cfg.MinWidth = rng.Int64N(120 * sec)
		}
		r := NewRing(cfg)
		ref := newRef(r)
		nrec := 1 + rng.IntN(3000)
		for i := range nrec {
			var ts int64
			switch rng.IntN(10) {
			case 0:
				ts = cfg.Start
			case 1:
				ts = cfg.End
			case 2:
				ts = cfg.Start - 1 - rng.Int64N(10*sec)
			case 3:
				ts = cfg.End + 1 + rng.Int64N(10*sec)
			case 4: // exactly on a bucket start
				ts = cfg.Start + rng.Int64N(int64(r.Buckets()))*r.Width()
			default:
				ts = cfg.Start + rng.Int64N(span+1)
			}
			m := rng.IntN(r.Modules())
			c := randCounters(rng)
			r.Record(i%r.Shards(), m, ts, &c)
			ref.record(m, ts, c)
		}
		if r.Size() != len(ref.buckets) || r.Dropped() != uint64(ref.dropped) {
			t.Fatalf("iter %d: size %d dropped %d, want %d %d", iter, r.Size(), r.Dropped(), len(ref.buckets), ref.dropped)
		}
		var a Aggregate
		ns := []int{1, 100, 1000, 1 + rng.IntN(500), 0, -3}
		if iter%3 == 0 {
			ns = append(ns, 65536)
		}
		for _, n := range ns {
			checkAggregate(t, r, ref, &a, cfg.Start, cfg.End, n)
		}
		for range 15 {
			// Random sub-, super- and disjoint ranges, some ending exactly on a bucket start.
			s := cfg.Start - 5*sec + rng.Int64N(span+10*sec+1)
			e := s + rng.Int64N(span+10*sec+1)
			if rng.IntN(3) == 0 {
				e = cfg.Start + rng.Int64N(int64(r.Buckets()))*r.Width()
			}
			n := []int{1, 100, 1000, 1 + rng.IntN(200)}[rng.IntN(4)]
			checkAggregate(t, r, ref, &a, s, e, n)
		}
	}
}

// TestAggregateInclusiveEnd pins the edges of §5.11 step 3.
func TestAggregateInclusiveEnd(t *testing.T) {
	r := NewRing(RingConfig{Start: t0, End: t0 + 100*sec, Shards: 1})
	one := &wire.Counters{OutputCount: 1}
	for _, s := range []int64{9, 10, 19, 20, 21} {
		r.Record(0, 0, t0+s*sec, one)
	}
	var a Aggregate
	// [10 s, 20 s] in 2 chunks of 5 s: 10 → chunk 0, 19 → chunk 1, 20 (== end) → chunk 1.
	// 9 (before start) and 21 (after end) are left out.
	r.Aggregate(t0+10*sec, t0+20*sec, 2, &a)
	if a.C[0].OutputCount != 1 || a.C[1].OutputCount != 2 || a.TS[1] != t0+15*sec {
		t.Fatalf("chunks %d %d TS[1] %d", a.C[0].OutputCount, a.C[1].OutputCount, a.TS[1]-t0)
	}
	// A bucket that starts before the range but overlaps it is left out: start at 9.5 s.
	r.Aggregate(t0+9*sec+sec/2, t0+10*sec, 1, &a)
	if a.C[0].OutputCount != 1 {
		t.Fatalf("overlapping bucket counted: %d", a.C[0].OutputCount)
	}
	// Integer chunk size with a remainder: [0, 100 s] in 3 chunks of 33.33 s; the remainder
	// before the end belongs to the last chunk.
	r.Aggregate(t0, t0+100*sec, 3, &a)
	if a.C[0].OutputCount != 5 || a.Has[1] || a.Has[2] {
		t.Fatalf("3 chunks: %v", a.Has)
	}
	// end before start: n empty chunks.
	r.Aggregate(t0+20*sec, t0+10*sec, 4, &a)
	if a.N != 4 || a.Has[0] || a.Has[3] {
		t.Fatalf("inverted range: %+v", a)
	}
	// start == end picks the bucket starting exactly there, in the last chunk.
	r.Aggregate(t0+20*sec, t0+20*sec, 4, &a)
	if !a.Has[3] || a.C[3].OutputCount != 1 || a.Has[0] {
		t.Fatalf("empty range: %+v", a)
	}
}

// TestAggregateJSClientCases are the JS client's test expectations quoted in §5.11.
func TestAggregateJSClientCases(t *testing.T) {
	one := &wire.Counters{InputCount: 1, OutputCount: 1, InputBytes: 80, OutputBytes: 80}
	var a Aggregate

	// A 90-minute search over one entry per minute, 90 overview sets: every set counts 1.
	r := NewRing(RingConfig{Start: t0, End: t0 + 90*60*sec, Modules: 2})
	for i := range int64(90) {
		r.Record(int(i), 0, t0+i*60*sec, one)
		r.Record(int(i), 1, t0+i*60*sec, one)
	}
	r.Aggregate(t0, t0+90*60*sec, 90, &a)
	for i := range 90 {
		if got := a.Row(i)[1].OutputCount; got != 1 || a.TS[i] != t0+int64(i)*60*sec {
			t.Fatalf("90-minute search, set %d: last module OutputCount %d TS +%d s", i, got, (a.TS[i]-t0)/sec)
		}
	}

	// A 1000-entry, one-per-minute search zoomed to its first 360 minutes, 90 zoom sets:
	// 361 entries, "accounting for the inclusive end".
	r = NewRing(RingConfig{Start: t0, End: t0 + 1000*60*sec})
	for i := range int64(1000) {
		r.Record(0, 0, t0+i*60*sec, one)
	}
	r.Aggregate(t0, t0+360*60*sec, 90, &a)
	var total uint64
	for i := range a.N {
		total += a.Row(i)[0].OutputCount
	}
	if total != 361 || a.C[89].OutputCount != 5 {
		t.Fatalf("zoomed 360 minutes: %d entries, last set %d; want 361 and 5", total, a.C[89].OutputCount)
	}
	// The invariant: summing the last module's OutputCount over all sets gives every entry.
	r.Aggregate(t0, t0+1000*60*sec, 90, &a)
	total = 0
	for i := range a.N {
		total += a.Row(i)[0].OutputCount
	}
	if total != 1000 {
		t.Fatalf("sum over 90 sets %d, want 1000", total)
	}

	// The docs' one-hour search: SetCount 60 gives sets one minute apart, 120 gives 30 s.
	r = NewRing(RingConfig{Start: t0, End: t0 + 3600*sec})
	for _, tc := range []struct {
		n    int
		step int64
	}{{60, 60 * sec}, {120, 30 * sec}} {
		r.Aggregate(t0, t0+3600*sec, tc.n, &a)
		for i := range a.N {
			if a.TS[i] != t0+int64(i)*tc.step {
				t.Fatalf("SetCount %d: TS[%d] = +%d ns", tc.n, i, a.TS[i]-t0)
			}
		}
	}

	// §4.5.10: a 2-second search has Size 2, one bucket per second.
	r = NewRing(RingConfig{Start: t0, End: t0 + 2*sec})
	for _, ts := range []int64{t0, t0 + sec/2, t0 + sec, t0 + 2*sec - 1} {
		r.Record(0, 0, ts, one)
	}
	if r.Size() != 2 || r.Width() != sec {
		t.Fatalf("2-second search: size %d width %d", r.Size(), r.Width())
	}
}

func TestAggregateReusesDst(t *testing.T) {
	r := NewRing(RingConfig{Start: t0, End: t0 + 3600*sec, Modules: 3})
	r.Record(0, 2, t0+10*sec, &wire.Counters{InputCount: 4})
	var a Aggregate
	r.Aggregate(t0, t0+3600*sec, 1000, &a)
	c := &a.C[0]
	r.Aggregate(t0, t0+3600*sec, 10, &a)
	if &a.C[0] != c || len(a.C) != 30 || a.C[2].InputCount != 4 {
		t.Fatalf("dst not reused or wrong: len %d", len(a.C))
	}
	// Stale data from the larger call is cleared.
	r.Aggregate(t0+20*sec, t0+3600*sec, 1000, &a)
	for i := range a.C {
		if !a.C[i].IsZero() {
			t.Fatalf("stale counters at %d", i)
		}
	}
	if len(a.Row(999)) != 3 {
		t.Fatal("Row length")
	}
	_ = time.Second
}
