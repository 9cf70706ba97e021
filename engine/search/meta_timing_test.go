package search

import (
	"context"
	"fmt"
	"testing"

	"github.com/sluicehq/sluice/engine/stats"
	"github.com/sluicehq/sluice/engine/store"
)

// BenchmarkCountMeta measures counts over the real store answered from block summaries
// (meta) against decoding every block (NoMeta), recording into a real stats ring over the
// hour of data (1-second buckets). Bytes are the entry data the count covers.
func BenchmarkCountMeta(b *testing.B) {
	st, tag, ents, size := benchStore(b, 200_000)
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
						ring := stats.NewRing(stats.RingConfig{Start: tStart, End: tEnd, Modules: len(q.StatsModules()), Shards: workers})
						sink := &memSink{}
						var counts store.ScanCounts
						opt := RunOptions{Tags: []uint16{tag}, Start: tStart, End: tEnd, Workers: workers, NoMeta: noMeta, Counts: &counts}
						if err := q.Run(context.Background(), st, sink, ring, opt); err != nil {
							b.Fatal(err)
						}
						if len(sink.out) != 1 || sink.out[0].Data != "200000" || noMeta != (counts.Summarised == 0) {
							b.Fatalf("rows %v, %d of %d blocks summarised", sink.out, counts.Summarised, counts.Blocks)
						}
					}
					b.ReportMetric(float64(b.N)*float64(len(ents))/b.Elapsed().Seconds(), "entries/s")
				})
			}
		}
	}
}
