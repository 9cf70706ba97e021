package cluster_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine/cluster"
	"github.com/sluicehq/sluice/engine/search"
	"github.com/sluicehq/sluice/engine/store"
	"github.com/sluicehq/sluice/wire"
)

// Cluster throughput against the single process, all in this process (three NATS servers with
// JetStream R3, the indexers, the webserver), so cpu-ns/entry is the whole cluster's CPU per
// entry. Run it alone (see BENCHMARKS.md):
//
//	go test -run '^$' -bench 'Cluster' -benchtime 100000x -count 3 ./engine/cluster/

// benchEntries returns n entries of tag 1 ms apart with ~90-byte JSON bodies.
func benchEntries(tag uint16, n int) []wire.Entry {
	out := make([]wire.Entry, n)
	for i := range out {
		out[i] = wire.Entry{TS: base.Add(time.Duration(i) * time.Millisecond).UnixNano(), Tag: tag,
			Data: fmt.Appendf(nil, `{"i":%d,"host":"h%d","bytes":%d,"path":"/api/v1/items/%d"}`, i, i%7, i*10, i%1000)}
	}
	return out
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func dataBytes(ents []wire.Entry) int64 {
	var n int64
	for i := range ents {
		n += int64(len(ents[i].Data))
	}
	return n
}

// benchCluster starts NATS, k indexers and one webserver.
func benchCluster(b *testing.B, k int) (web *testNode, idx []*testNode) {
	url := startNATS(b)
	for i := 0; i < k; i++ {
		idx = append(idx, startNode(b, nodeConfig(url, fmt.Sprintf("idx-%d", i+1), cluster.RoleIndexer), ""))
	}
	web = startNode(b, nodeConfig(url, "web-a", cluster.RoleWebserver), "")
	waitSpread(b, web, k)
	return web, idx
}

func storedAll(idx []*testNode) uint64 {
	var n uint64
	for _, x := range idx {
		n += x.stored()
	}
	return n
}

const benchBatch = 5000

// BenchmarkClusterIngest: entries published through a webserver's ingest sink until the
// indexers have stored them all (end to end), against store.Ingest in one process.
func BenchmarkClusterIngest(b *testing.B) {
	b.Run("single", func(b *testing.B) {
		st, err := store.Open(store.Config{Dir: b.TempDir(), Logger: quiet()})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		tag, _ := st.TagID("app")
		ents := benchEntries(tag, b.N)
		b.SetBytes(dataBytes(ents) / int64(b.N))
		b.ReportAllocs()
		c0, t0 := cpuNow(), time.Now()
		b.ResetTimer()
		for lo := 0; lo < b.N; lo += benchBatch {
			if err := st.Ingest(ents[lo:min(lo+benchBatch, b.N)]); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		report(b, b.N, time.Since(t0), cpuNow()-c0)
	})
	for k := 1; k <= 3; k++ {
		b.Run(fmt.Sprintf("indexers=%d", k), func(b *testing.B) {
			web, idx := benchCluster(b, k)
			sink := web.node.Ingest()
			tag, _ := sink.TagID("app")
			ents := benchEntries(tag, b.N)
			b.SetBytes(dataBytes(ents) / int64(b.N))
			b.ReportAllocs()
			c0, t0 := cpuNow(), time.Now()
			b.ResetTimer()
			for lo := 0; lo < b.N; lo += benchBatch {
				if err := sink.Ingest(ents[lo:min(lo+benchBatch, b.N)]); err != nil {
					b.Fatal(err)
				}
			}
			acked := time.Since(t0)
			waitFor(b, 2*time.Minute, "the indexers to store every entry", func() bool { return storedAll(idx) >= uint64(b.N) })
			b.StopTimer()
			b.ReportMetric(float64(b.N)/acked.Seconds(), "acked-entries/s")
			report(b, b.N, time.Since(t0), cpuNow()-c0)
		})
	}
}

func report(b *testing.B, n int, wall, cpu time.Duration) {
	b.ReportMetric(float64(n)/wall.Seconds(), "entries/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(n), "cpu-ns/entry")
}

// countSink counts a query's output rows.
type countSink struct{ n int }

func (s *countSink) Add(batch []wire.Entry) { s.n += len(batch) }
func (s *countSink) Progress(int64)         {}

// searchN entries are stored once; each iteration runs the query over all of them.
const searchN = 200_000

// rawOnly hides a cluster source's partial aggregates (search.PartialSource): the indexers
// ship entries and the webserver runs the whole pipeline, as before issue 16 step 3.
type rawOnly struct{ search.Source }

// BenchmarkClusterSearch: a raw scan (every entry to the webserver) and an aggregation over
// searchN entries spread over k indexers, against one process holding them. The aggregation
// runs on the indexers (partial aggregates, "count") and, for comparison, on the webserver
// over shipped entries ("count-raw").
func BenchmarkClusterSearch(b *testing.B) {
	queries := map[string]string{"entries": "tag=app", "count": "tag=app json host | count by host"}
	run := func(b *testing.B, qn string, src search.Source, tags search.TagResolver) {
		q, err := search.Parse(queries[qn])
		if err != nil {
			b.Fatal(err)
		}
		want := searchN
		if qn == "count" {
			want = 7
		}
		ids, _ := tags.MatchTags(q.TagPatterns)
		b.SetBytes(dataBytes(benchEntries(0, 1)) * searchN)
		b.ReportAllocs()
		c0, t0 := cpuNow(), time.Now()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			var s countSink
			err := q.Run(context.Background(), src, &s, nil, search.RunOptions{Tags: ids,
				Start: base.UnixNano(), End: base.Add(time.Hour).UnixNano()})
			if err != nil || s.n != want {
				b.Fatalf("%s: %d rows, want %d: %v", qn, s.n, want, err)
			}
		}
		b.StopTimer()
		report(b, b.N*searchN, time.Since(t0), cpuNow()-c0)
	}
	b.Run("single", func(b *testing.B) {
		st, err := store.Open(store.Config{Dir: b.TempDir(), Logger: quiet()})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		tag, _ := st.TagID("app")
		ents := benchEntries(tag, searchN)
		for lo := 0; lo < searchN; lo += benchBatch {
			if err := st.Ingest(ents[lo:min(lo+benchBatch, searchN)]); err != nil {
				b.Fatal(err)
			}
		}
		for _, qn := range []string{"entries", "count"} {
			b.Run(qn, func(b *testing.B) { run(b, qn, st, st) })
		}
	})
	for k := 1; k <= 3; k++ {
		b.Run(fmt.Sprintf("indexers=%d", k), func(b *testing.B) {
			web, idx := benchCluster(b, k)
			sink := web.node.Ingest()
			tag, _ := sink.TagID("app")
			ents := benchEntries(tag, searchN)
			for lo := 0; lo < searchN; lo += benchBatch {
				if err := sink.Ingest(ents[lo:min(lo+benchBatch, searchN)]); err != nil {
					b.Fatal(err)
				}
			}
			waitFor(b, 2*time.Minute, "the indexers to store every entry", func() bool { return storedAll(idx) >= searchN })
			src := web.node.Source()
			b.Run("entries", func(b *testing.B) { run(b, "entries", src, web.node.Tags()) })
			b.Run("count", func(b *testing.B) {
				shares := web.node.PartialShares()
				run(b, "count", src, web.node.Tags())
				if got := web.node.PartialShares() - shares; got == 0 {
					b.Fatal("the count did not use partial aggregates")
				}
			})
			b.Run("count-raw", func(b *testing.B) { run(b, "count", rawOnly{src}, web.node.Tags()) })
		})
	}
}
