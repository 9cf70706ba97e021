//go:build !race

package stats

import (
	"testing"

	"github.com/sluicehq/sluice/wire"
)

func TestRecordAllocs(t *testing.T) {
	r := NewRing(RingConfig{Start: t0, End: t0 + 3600*sec, Modules: 2, Shards: 2})
	c := &wire.Counters{InputCount: 3, OutputCount: 2, InputBytes: 300, OutputBytes: 200, Duration: 1000, ScratchWritten: 5}
	r.Record(1, 1, t0+100*sec, c) // first touch allocates the chunk
	ts := t0 + 100*sec
	if n := testing.AllocsPerRun(1000, func() {
		r.Record(1, 1, ts, c)
		ts += sec / 10
		if ts >= t0+200*sec {
			ts = t0 + 100*sec
		}
	}); n != 0 {
		t.Fatalf("Record allocates %v per call in steady state", n)
	}
	if n := testing.AllocsPerRun(100, func() { r.Record(0, 0, t0-1, c) }); n != 0 {
		t.Fatalf("dropped Record allocates %v", n)
	}
}

func TestAggregateAllocs(t *testing.T) {
	r := NewRing(RingConfig{Start: t0, End: t0 + 65535*sec, Modules: 2, Shards: 2})
	c := &wire.Counters{InputCount: 1, Duration: 7}
	for s := int64(0); s < 65536; s += 3 {
		r.Record(int(s%2), int(s%2), t0+s*sec, c)
	}
	var a Aggregate
	r.Aggregate(t0, t0+65535*sec, 65536, &a) // grow once
	for _, n := range []int{1, 100, 1000, 65536} {
		if allocs := testing.AllocsPerRun(20, func() { r.Aggregate(t0, t0+65535*sec, n, &a) }); allocs != 0 {
			t.Fatalf("Aggregate into %d chunks allocates %v", n, allocs)
		}
	}
}

func TestRecordDenseAllocs(t *testing.T) {
	r := NewRing(RingConfig{Start: t0, End: t0 + 3600*sec, Modules: 2, Shards: 2})
	cs := make([]wire.Counters, 2*DenseAlign)
	for k := range DenseAlign {
		cs[2*k] = wire.Counters{InputCount: 3, OutputCount: 3, InputBytes: 300, OutputBytes: 300}
		cs[2*k+1] = wire.Counters{InputCount: 3, InputBytes: 300}
	}
	r.RecordDense(1, 2, t0, cs) // first touch fills the blocks
	r.RecordDense(1, 2, t0+DenseAlign*sec, cs)
	if n := testing.AllocsPerRun(200, func() { r.RecordDense(1, 2, t0+100*sec, cs) }); n != 0 {
		t.Fatalf("RecordDense allocates %v per call once its blocks exist", n)
	}
}
