package store

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluicehq/sluice/wire"
)

const benchLine = 200

// BenchmarkIngest ingests batches of 10,000 200-byte lines through the Go API with durability
// on (every Ingest returns after fsync). One op is one batch. "serial" is one caller;
// "concurrent" runs 2*GOMAXPROCS callers that share fsyncs through group commit.
func BenchmarkIngest(b *testing.B) {
	const batch = 10000
	run := func(b *testing.B, parallel bool) {
		s := openT(b, Config{Dir: b.TempDir()})
		id := tagIDs(b, s, "bench")[0]
		b.ReportAllocs()
		b.SetBytes(batch * benchLine)
		if parallel {
			b.SetParallelism(2)
			var seed uint64
			b.RunParallel(func(pb *testing.PB) {
				seed++
				es := newLineGen(seed).entries(batch, time.Now().UnixNano(), 1000, []uint16{id})
				for pb.Next() {
					now := time.Now().UnixNano()
					for i := range es {
						es[i].TS = now + int64(i)
					}
					if err := s.Ingest(es); err != nil {
						b.Error(err)
						return
					}
				}
			})
		} else {
			es := newLineGen(1).entries(batch, time.Now().UnixNano(), 1000, []uint16{id})
			for b.Loop() {
				now := time.Now().UnixNano()
				for i := range es {
					es[i].TS = now + int64(i)
				}
				if err := s.Ingest(es); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.N)*batch/b.Elapsed().Seconds(), "entries/s")
		if c := s.IngestCounters(); c.TotalCount != uint64(b.N)*batch {
			b.Fatalf("stored %d entries, want %d", c.TotalCount, b.N*batch)
		}
	}
	b.Run("serial", func(b *testing.B) { run(b, false) })
	b.Run("concurrent", func(b *testing.B) { run(b, true) })
}

// scanBench is a store with 200,000 200-byte lines over four one-minute shards.
type scanBench struct {
	s     *Store
	tags  []uint16
	n     int
	bytes int64
}

func newScanBench(b *testing.B) *scanBench {
	b.Helper()
	s := openT(b, Config{Dir: b.TempDir(), ShardDuration: time.Minute})
	tags := tagIDs(b, s, "syslog", "weblog", "netflow")
	const n, per = 200000, 10000
	base := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC).UnixNano()
	step := int64(4*time.Minute) / n
	g := newLineGen(1)
	for i := 0; i < n; i += per {
		if err := s.Ingest(g.entries(per, base+int64(i)*step, step, tags)); err != nil {
			b.Fatal(err)
		}
	}
	if got := len(s.wells[0].shards); got != 4 {
		b.Fatalf("%d shards, want 4", got)
	}
	return &scanBench{s: s, tags: tags, n: n, bytes: n * benchLine}
}

func benchmarkScan(b *testing.B, asc bool) {
	sb := newScanBench(b)
	q := ScanQuery{Tags: sb.tags, Start: 0, End: math.MaxInt64, Ascending: asc}
	var entries, batches int
	var sum int
	fn := func(batch []wire.Entry) error {
		batches++
		entries += len(batch)
		for i := range batch {
			sum += len(batch[i].Data)
		}
		return nil
	}
	ctx := context.Background()
	if err := sb.s.Scan(ctx, q, fn); err != nil { // page cache and pools warm
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(sb.bytes)
	entries, batches, sum = 0, 0, 0
	for b.Loop() {
		if err := sb.s.Scan(ctx, q, fn); err != nil {
			b.Fatal(err)
		}
	}
	if entries != b.N*sb.n || int64(sum) != int64(b.N)*sb.bytes {
		b.Fatalf("scanned %d entries (%d bytes) in %d scans, want %d each", entries, sum, b.N, sb.n)
	}
	b.ReportMetric(float64(batches)/float64(b.N), "batches/op")
	b.ReportMetric(float64(entries)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkScanDescending scans all 200,000 entries (40 MB of entry bytes, four shards,
// from page cache) newest first; MB/s counts entry Data bytes. allocs/op is per whole scan
// (batches/op batches of up to ScanBatch entries).
func BenchmarkScanDescending(b *testing.B) { benchmarkScan(b, false) }

// BenchmarkScanAscending is BenchmarkScanDescending oldest first.
func BenchmarkScanAscending(b *testing.B) { benchmarkScan(b, true) }

// BenchmarkReadFileBaseline reads as many bytes as BenchmarkScanDescending delivers
// (200,000 × 200 bytes) from one plain file in the page cache, 1 MiB per read: the floor a
// scan is measured against.
func BenchmarkReadFileBaseline(b *testing.B) {
	const size = 200000 * benchLine
	p := filepath.Join(b.TempDir(), "baseline")
	data := make([]byte, size)
	g := newLineGen(1)
	for off := 0; off < size; off += benchLine {
		g.line200(data[off:off], off%3, int64(off))
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	b.ReportAllocs()
	b.SetBytes(size)
	for b.Loop() {
		total := 0
		for off := int64(0); off < size; {
			n, err := f.ReadAt(buf, off)
			if n == 0 && err != nil {
				b.Fatal(err)
			}
			total += n
			off += int64(n)
		}
		if total != size {
			b.Fatalf("read %d bytes", total)
		}
	}
}
