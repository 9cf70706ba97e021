package search

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine/stats"
	"github.com/sluicehq/sluice/engine/store"
	"github.com/sluicehq/sluice/wire"
)

// BenchmarkCountMeta measures counts over the real store answered from block summaries
// (meta) against decoding every block (NoMeta), recording into a real stats ring: 200k
// entries over the test hour, searched over that hour (1-second buckets). Bytes are the
// entry data the count covers.
func BenchmarkCountMeta(b *testing.B) {
	st, tag, ents, size := benchStore(b, 200_000)
	benchCount(b, st, tag, len(ents), size, tStart, tEnd)
}

// BenchmarkCountMetaDay is BenchmarkCountMeta over a day, as bench/cmd/peerbench asks it:
// 500k entries spread over 24 hours (a few per second, so about one summary granule per
// second), searched over 27 hours (2-second buckets).
func BenchmarkCountMetaDay(b *testing.B) {
	ents := benchLines(500_000, "kv")
	st, tag, size := benchIngest(b, ents, func(i int) int64 { return tStart + int64(i)*(int64(24*time.Hour)/int64(len(ents))) })
	benchCount(b, st, tag, len(ents), size, tStart-int64(time.Hour), tStart+int64(26*time.Hour))
}

// benchIngest stores ents in a new store (with wells) with timestamps ts(i) under tag "kv".
func benchIngest(b *testing.B, ents []wire.Entry, ts func(i int) int64, wells ...store.WellConfig) (*store.Store, uint16, int64) {
	st, err := store.Open(store.Config{Dir: b.TempDir(), Wells: wells})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	tag, err := st.TagID("kv")
	if err != nil {
		b.Fatal(err)
	}
	var size int64
	for i := range ents {
		ents[i].Tag, ents[i].TS = tag, ts(i)
		size += int64(len(ents[i].Data))
	}
	if err := st.Ingest(ents); err != nil {
		b.Fatal(err)
	}
	return st, tag, size
}

// benchCount runs the count queries over [start, end) with and without summaries, on 1 and 2
// workers; n entries of size bytes are in range.
func benchCount(b *testing.B, st *store.Store, tag uint16, n int, size, start, end int64) {
	for _, query := range []string{"tag=x count", "tag=x count by TAG"} {
		q, err := Parse(query)
		if err != nil {
			b.Fatal(err)
		}
		for _, noMeta := range []bool{false, true} {
			for _, workers := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s/nometa=%v/workers=%d", query, noMeta, workers), func(b *testing.B) {
					b.ReportAllocs()
					b.SetBytes(size)
					for b.Loop() {
						ring := stats.NewRing(stats.RingConfig{Start: start, End: end, Modules: len(q.StatsModules()), Shards: workers})
						sink := &memSink{}
						var counts store.ScanCounts
						opt := RunOptions{Tags: []uint16{tag}, Start: start, End: end, Workers: workers, NoMeta: noMeta, Counts: &counts}
						if err := q.Run(context.Background(), st, sink, ring, opt); err != nil {
							b.Fatal(err)
						}
						if len(sink.out) != 1 || sink.out[0].Data != strconv.Itoa(n) || noMeta != (counts.Summarised == 0) {
							b.Fatalf("rows %v, %d of %d blocks summarised", sink.out, counts.Summarised, counts.Blocks)
						}
					}
					b.ReportMetric(float64(b.N)*float64(n)/b.Elapsed().Seconds(), "entries/s")
				})
			}
		}
	}
}
