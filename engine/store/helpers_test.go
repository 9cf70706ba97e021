package store

import (
	"bytes"
	"cmp"
	"context"
	"io"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"testing"

	"github.com/sluicehq/sluice/wire"
)

// rec is a copied entry for comparisons.
type rec struct {
	TS   int64
	SRC  netip.Addr
	Tag  uint16
	Data string
}

func recOf(e *wire.Entry) rec { return rec{TS: e.TS, SRC: e.SRC, Tag: e.Tag, Data: string(e.Data)} }

func cmpRec(a, b rec) int {
	if c := cmp.Compare(a.TS, b.TS); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Tag, b.Tag); c != 0 {
		return c
	}
	if c := a.SRC.Compare(b.SRC); c != 0 {
		return c
	}
	return cmp.Compare(a.Data, b.Data)
}

// syncBuf is a goroutine-safe log sink.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// openT opens a store and closes it at test end (unless the test closed it).
func openT(t testing.TB, cfg Config) *Store {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	s, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func tagIDs(t testing.TB, s *Store, names ...string) []uint16 {
	t.Helper()
	ids := make([]uint16, len(names))
	for i, n := range names {
		id, err := s.TagID(n)
		if err != nil {
			t.Fatalf("TagID(%q): %v", n, err)
		}
		ids[i] = id
	}
	return ids
}

// scanAll collects a scan, checking time order and batch bounds as it goes.
func scanAll(t testing.TB, s *Store, q ScanQuery) []rec {
	t.Helper()
	var out []rec
	err := s.Scan(context.Background(), q, func(batch []wire.Entry) error {
		if len(batch) == 0 || len(batch) > s.cfg.ScanBatch {
			t.Fatalf("batch of %d entries (ScanBatch %d)", len(batch), s.cfg.ScanBatch)
		}
		for i := range batch {
			out = append(out, recOf(&batch[i]))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Scan(%+v): %v", q, err)
	}
	for i := 1; i < len(out); i++ {
		if q.Ascending && out[i].TS < out[i-1].TS || !q.Ascending && out[i].TS > out[i-1].TS {
			t.Fatalf("Scan(%+v): entry %d at %d out of order after %d", q, i, out[i].TS, out[i-1].TS)
		}
	}
	return out
}

// refScan is the brute-force reference for a query over all recs.
func refScan(all []rec, q ScanQuery) []rec {
	var out []rec
	for _, r := range all {
		if r.TS >= q.Start && r.TS < q.End && slices.Contains(q.Tags, r.Tag) {
			out = append(out, r)
		}
	}
	return out
}

// sameSet fails unless got and want hold the same entries (as multisets).
func sameSet(t testing.TB, what string, got, want []rec) {
	t.Helper()
	got, want = slices.Clone(got), slices.Clone(want)
	slices.SortFunc(got, cmpRec)
	slices.SortFunc(want, cmpRec)
	if len(got) != len(want) {
		t.Fatalf("%s: got %d entries, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: entry %d: got %+v, want %+v", what, i, got[i], want[i])
		}
	}
}

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
