//go:build !race

package store

import (
	"context"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// TestScanNoAllocs: in steady state a scan allocates nothing, whatever the direction, the
// tag filter, or whether blocks overlap and must be merged.
func TestScanNoAllocs(t *testing.T) {
	s := openT(t, Config{Dir: t.TempDir(), ShardDuration: time.Second, BlockSize: 64 << 10, ScanBatch: 500})
	ids := tagIDs(t, s, "a", "b")
	g := newLineGen(1)
	// in-order data over four shards, then interleaved batches that overlap them
	if err := s.Ingest(g.entries(4000, 1e18, 1e6, ids)); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if err := s.Ingest(g.entries(500, 1e18+int64(i)*3e5, 7e6, ids)); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	fn := func(b []wire.Entry) error {
		n += len(b)
		return nil
	}
	ctx := context.Background()
	for _, q := range []ScanQuery{
		{Tags: ids, Start: 0, End: math.MaxInt64},
		{Tags: ids, Start: 0, End: math.MaxInt64, Ascending: true},
		{Tags: ids[1:], Start: 1e18 + 5e8, End: 1e18 + 3e9},
	} {
		if err := s.Scan(ctx, q, fn); err != nil { // warm the pools
			t.Fatal(err)
		}
		n = 0
		allocs := testing.AllocsPerRun(10, func() {
			if err := s.Scan(ctx, q, fn); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("Scan(%+v): %v allocs per scan of %d entries", q, allocs, n/11)
		}
		if n == 0 {
			t.Fatalf("Scan(%+v) returned nothing", q)
		}
	}
}

// TestScanMetaNoAllocs: in steady state a scan answering blocks from their summaries
// (ScanQuery.Meta) allocates nothing on one goroutine, and on several no more than the same
// ScanUnordered decoding every block (its goroutines and their closures).
func TestScanMetaNoAllocs(t *testing.T) {
	s := openT(t, Config{Dir: t.TempDir(), BlockSize: 16 << 10})
	ids := tagIDs(t, s, "a", "b")
	if err := s.Ingest(newLineGen(2).entries(20000, 1e18, 1e8, ids)); err != nil {
		t.Fatal(err)
	}
	var n atomic.Uint64
	mq := &MetaQuery{Origin: 1e18, Width: 2e9, Add: func(_ int, b *MetaBlock) error {
		for i := range b.Tags {
			n.Add(b.Tags[i].Count)
		}
		return nil
	}}
	var entries atomic.Int64 // ScanUnordered's workers deliver concurrently
	fn := func(b []wire.Entry) error { entries.Add(int64(len(b))); return nil }
	pfn := func(_ int, b []wire.Entry) error { entries.Add(int64(len(b))); return nil }
	ctx := context.Background()
	for _, workers := range []int{0, 2} {
		allocs := func(meta *MetaQuery) float64 {
			q := ScanQuery{Tags: ids, Start: 1e18, End: 1e18 + 3e12, Meta: meta}
			scan := func() {
				var err error
				if workers == 0 {
					err = s.Scan(ctx, q, fn)
				} else {
					err = s.ScanUnordered(ctx, q, workers, pfn)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			scan() // warm the pools
			n.Store(0)
			entries.Store(0)
			return testing.AllocsPerRun(10, scan)
		}
		decoding := allocs(nil)
		if entries.Load() != 11*20000 {
			t.Fatalf("workers %d: decoding delivered %d entries", workers, entries.Load())
		}
		meta := allocs(mq)
		if n.Load() != 11*20000 || entries.Load() != 0 {
			t.Fatalf("workers %d: %d entries counted from summaries, %d delivered; want %d and 0", workers, n.Load(), entries.Load(), 11*20000)
		}
		if workers == 0 && meta != 0 || meta > decoding {
			t.Errorf("workers %d: %v allocs per scan from summaries, %v decoding", workers, meta, decoding)
		}
	}
}
