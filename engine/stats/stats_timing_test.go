package stats

import (
	"strconv"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/sluicehq/sluice/wire"
)

var sinkAggregate Aggregate

// BenchmarkRecord is one pipeline worker recording one module's counters per batch, walking
// through the buckets of an hour-long search.
func BenchmarkRecord(b *testing.B) {
	r := NewRing(RingConfig{Start: t0, End: t0 + 3600*sec, Modules: 4, Shards: 1})
	c := &wire.Counters{InputCount: 1000, OutputCount: 900, InputBytes: 120000, OutputBytes: 100000, Duration: 40000}
	for s := int64(0); s <= 3600; s++ { // touch every chunk: steady state
		r.Record(0, 0, t0+s*sec, c)
	}
	b.ReportAllocs()
	b.SetBytes(int64(unsafe.Sizeof(*c)))
	b.ResetTimer()
	ts := t0
	for i := 0; b.Loop(); i++ {
		r.Record(0, i&3, ts, c)
		ts += 37 * int64(1e6)
		if ts > t0+3600*sec {
			ts = t0
		}
	}
	b.StopTimer()
	var a Aggregate
	r.Aggregate(t0, t0+3600*sec, 1, &a)
	if a.C[0].InputCount == 0 {
		b.Fatal("nothing recorded")
	}
}

// BenchmarkRecordParallel runs one writer per goroutine, each on its own shard.
func BenchmarkRecordParallel(b *testing.B) {
	r := NewRing(RingConfig{Start: t0, End: t0 + 3600*sec, Modules: 4, Shards: 64})
	c := &wire.Counters{InputCount: 1000, OutputCount: 900, InputBytes: 120000, OutputBytes: 100000, Duration: 40000}
	for sh := range 64 {
		for s := int64(0); s <= 3600; s += ChunkSlots {
			r.Record(sh, 0, t0+s*sec, c)
		}
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.SetBytes(int64(unsafe.Sizeof(*c)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		shard := int(next.Add(1) - 1)
		ts := t0 + int64(shard)*sec
		i := 0
		for pb.Next() {
			r.Record(shard, i&3, ts, c)
			i++
			ts += 37 * int64(1e6)
			if ts > t0+3600*sec {
				ts = t0
			}
		}
	})
}

// BenchmarkAggregate merges a full ring of 65 536 one-second buckets, 2 modules, 2 shards, into
// 1, 100 and 1000 chunks (REQ_STATS_GET). Bytes are the cells read.
func BenchmarkAggregate(b *testing.B) {
	r := NewRing(RingConfig{Start: t0, End: t0 + 65535*sec, Modules: 2, Shards: 2})
	c := &wire.Counters{InputCount: 1, OutputCount: 1, InputBytes: 100, OutputBytes: 100, Duration: 5}
	for s := int64(0); s < 65536; s++ {
		r.Record(0, 0, t0+s*sec, c)
		r.Record(0, 1, t0+s*sec, c)
		r.Record(1, 0, t0+s*sec, c)
		r.Record(1, 1, t0+s*sec, c)
	}
	if r.Size() != 65536 {
		b.Fatalf("size %d", r.Size())
	}
	for _, n := range []int{1, 100, 1000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			var a Aggregate
			r.Aggregate(t0, t0+65535*sec, n, &a) // grow dst outside the measurement
			b.ReportAllocs()
			b.SetBytes(65536 * 2 * 2 * int64(unsafe.Sizeof(cell{})))
			for b.Loop() {
				r.Aggregate(t0, t0+65535*sec, n, &a)
				if a.C[0].InputCount == 0 {
					b.Fatal("empty aggregate")
				}
			}
			sinkAggregate = a
		})
	}
}
