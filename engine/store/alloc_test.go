//go:build !race

package store

import (
	"context"
	"math"
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
