package store

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/sluicehq/sluice/wire"
)

// TestScanUnordered checks that a parallel scan delivers exactly the entries Scan delivers,
// each once, in batches of at most ScanBatch in time order, with every worker number in range,
// for several ranges, tag sets and worker counts.
func TestScanUnordered(t *testing.T) {
	s := openT(t, Config{Dir: t.TempDir(), BlockSize: 8 << 10, ScanBatch: 40})
	tags := tagIDs(t, s, "a", "b", "c")
	g := newLineGen(3)
	const step = 1_000_003
	var all []rec
	for i := 0; i < 4; i++ { // overlapping commits
		es := g.entries(1500, int64(i)*77_777+1e12, step, tags)
		if err := s.Ingest(es); err != nil {
			t.Fatal(err)
		}
		for k := range es {
			all = append(all, recOf(&es[k]))
		}
	}
	for _, q := range []ScanQuery{
		{Tags: tags, Start: 0, End: 2e12},
		{Tags: tags[:1], Start: 1e12 + 300*step, End: 1e12 + 900*step},
		{Tags: tags[1:], Start: 1e12, End: 1e12 + 1400*step, Ascending: true},
		{Tags: tags, Start: 5e12, End: 6e12},
	} {
		for _, workers := range []int{0, 1, 2, 5} {
			var mu sync.Mutex
			var got []rec
			err := s.ScanUnordered(context.Background(), q, workers, func(w int, batch []wire.Entry) error {
				if w < 0 || w >= max(workers, 1) {
					t.Errorf("worker %d of %d", w, workers)
				}
				if len(batch) == 0 || len(batch) > 40 {
					t.Errorf("batch of %d entries", len(batch))
				}
				for i := 1; i < len(batch); i++ {
					if q.Ascending && batch[i].TS < batch[i-1].TS || !q.Ascending && batch[i].TS > batch[i-1].TS {
						t.Errorf("batch out of order at %d", i)
					}
				}
				mu.Lock()
				for i := range batch {
					got = append(got, recOf(&batch[i]))
				}
				mu.Unlock()
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			sameSet(t, "ScanUnordered", got, refScan(all, q))
		}
	}

	// an error from fn stops every worker and is returned; so is cancellation
	boom := errors.New("boom")
	err := s.ScanUnordered(context.Background(), ScanQuery{Tags: tags, Start: 0, End: 2e12}, 3, func(int, []wire.Entry) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want boom", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = s.ScanUnordered(ctx, ScanQuery{Tags: tags, Start: 0, End: 2e12}, 3, func(int, []wire.Entry) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	s.Close()
	if err := s.ScanUnordered(context.Background(), ScanQuery{Tags: tags, Start: 0, End: 2e12}, 2, func(int, []wire.Entry) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

// TestScanDecoders checks that an ordered scan with decoders ahead delivers exactly what one
// without them delivers, in the same order, and stops cleanly on an error.
func TestScanDecoders(t *testing.T) {
	s := openT(t, Config{Dir: t.TempDir(), BlockSize: 4 << 10, ScanBatch: 33})
	tags := tagIDs(t, s, "a", "b")
	g := newLineGen(9)
	for i := 0; i < 3; i++ {
		if err := s.Ingest(g.entries(2000, int64(i)*55_555+1e12, 999_983, tags)); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []ScanQuery{
		{Tags: tags, Start: 0, End: 2e12},
		{Tags: tags[:1], Start: 1e12 + 2e8, End: 1e12 + 1.5e9, Ascending: true},
	} {
		want := scanAll(t, s, q)
		for _, d := range []int{2, 3, 5} {
			q.Decoders = d
			got := scanAll(t, s, q)
			if len(got) != len(want) {
				t.Fatalf("Decoders %d: %d entries, want %d", d, len(got), len(want))
			}
			for i := range got {
				if got[i].TS != want[i].TS {
					t.Fatalf("Decoders %d: entry %d at %d, want %d", d, i, got[i].TS, want[i].TS)
				}
			}
			sameSet(t, "Decoders", got, want)
		}
	}
	boom := errors.New("boom")
	n := 0
	err := s.Scan(context.Background(), ScanQuery{Tags: tags, Start: 0, End: 2e12, Decoders: 3}, func([]wire.Entry) error {
		if n++; n == 5 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want boom", err)
	}
}
