package store

import (
	"context"
	"math"
	"math/rand/v2"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// TestRoundTrip ingests random entries (v4, v6, 4-in-6 and absent sources, random order,
// several shards and wells, concurrent callers), then checks scans in both directions over
// random ranges and tag subsets against a brute-force reference, before and after reopening.
func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{
		Dir:           dir,
		Wells:         []WellConfig{{Name: "sys", Tags: []string{"syslog", "auth*"}}},
		ShardDuration: time.Minute,
		BlockSize:     8 << 10,
		ScanBatch:     100,
	}
	s := openT(t, cfg)
	names := []string{"syslog", "authlog", "weblog", "netflow", "empty-tag"}
	ids := tagIDs(t, s, names...)
	g := newLineGen(42)
	base := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC).UnixNano()
	var all []rec
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 4 {
		r := rand.New(rand.NewPCG(uint64(w), 7))
		batches := make([][]wire.Entry, 6)
		for b := range batches {
			n := 1 + r.IntN(700)
			es := make([]wire.Entry, n)
			for i := range es {
				ts := base + r.Int64N(int64(5*time.Minute))
				if r.IntN(20) == 0 {
					ts = base + int64(b) // many equal timestamps
				}
				es[i] = wire.Entry{TS: ts, SRC: g.addr(), Tag: ids[r.IntN(4)], Data: g.line(nil, r.IntN(3), ts)}
				if r.IntN(50) == 0 {
					es[i].Data = nil
				}
			}
			batches[b] = es
		}
		for _, es := range batches {
			for i := range es {
				all = append(all, recOf(&es[i]))
			}
		}
		wg.Go(func() {
			for _, es := range batches {
				if err := s.Ingest(es); err != nil {
					mu.Lock()
					t.Errorf("Ingest: %v", err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	check := func(s *Store, round string) {
		r := rand.New(rand.NewPCG(99, 1))
		sameSet(t, round+" everything", scanAll(t, s, ScanQuery{Tags: ids, Start: 0, End: math.MaxInt64}), all)
		for range 60 {
			q := ScanQuery{Ascending: r.IntN(2) == 0}
			q.Start = base - int64(time.Minute) + r.Int64N(int64(7*time.Minute))
			q.End = q.Start + r.Int64N(int64(4*time.Minute))
			for _, id := range ids {
				if r.IntN(2) == 0 {
					q.Tags = append(q.Tags, id)
				}
			}
			sameSet(t, round, scanAll(t, s, q), refScan(all, q))
		}
	}
	check(s, "before reopen")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openT(t, cfg)
	check(s, "after reopen")
	if got, _ := s.LookupTag("weblog"); got != ids[2] {
		t.Fatalf("tag ID changed over reopen: %d != %d", got, ids[2])
	}
	st := s.Stats()
	if len(st) != 2 || st[0].Name != "default" || st[1].Name != "sys" {
		t.Fatalf("Stats wells: %+v", st)
	}
	var total uint64
	for _, w := range st {
		total += w.Entries
		if w.Bytes == 0 {
			t.Fatalf("well %s: no bytes", w.Name)
		}
	}
	if total != uint64(len(all)) {
		t.Fatalf("Stats entries %d, want %d", total, len(all))
	}
	if got := st[1].Tags; len(got) != 2 || got[0] != "authlog" || got[1] != "syslog" {
		t.Fatalf("sys well tags %v", got)
	}
	minTS, maxTS, ok := s.TimeBounds()
	wantMin, wantMax := all[0].TS, all[0].TS
	for _, r := range all {
		wantMin, wantMax = min(wantMin, r.TS), max(wantMax, r.TS)
	}
	if !ok || minTS != wantMin || maxTS != wantMax {
		t.Fatalf("TimeBounds = %d, %d, %v; want %d, %d", minTS, maxTS, ok, wantMin, wantMax)
	}
}

// TestScanEdges covers empty queries, exact range bounds, batch limits, callback errors and
// cancellation.
func TestScanEdges(t *testing.T) {
	s := openT(t, Config{Dir: t.TempDir(), ScanBatch: 7})
	id := tagIDs(t, s, "a")[0]
	var es []wire.Entry
	for i := range 50 {
		es = append(es, wire.Entry{TS: int64(1000 + i), Tag: id, Data: []byte{byte(i)}})
	}
	if err := s.Ingest(es); err != nil {
		t.Fatal(err)
	}
	if got := scanAll(t, s, ScanQuery{Start: 0, End: math.MaxInt64}); len(got) != 0 {
		t.Fatalf("no tags: %d entries", len(got))
	}
	if got := scanAll(t, s, ScanQuery{Tags: []uint16{id}, Start: 1010, End: 1010}); len(got) != 0 {
		t.Fatalf("empty range: %d entries", len(got))
	}
	got := scanAll(t, s, ScanQuery{Tags: []uint16{id}, Start: 1010, End: 1020})
	if len(got) != 10 || got[0].TS != 1019 || got[9].TS != 1010 {
		t.Fatalf("descending [1010,1020): %v", got)
	}
	got = scanAll(t, s, ScanQuery{Tags: []uint16{id}, Start: 1010, End: 1020, Ascending: true})
	if len(got) != 10 || got[0].TS != 1010 || got[9].TS != 1019 {
		t.Fatalf("ascending [1010,1020): %v", got)
	}
	stop := errTest("stop")
	calls := 0
	err := s.Scan(t.Context(), ScanQuery{Tags: []uint16{id}, End: math.MaxInt64}, func([]wire.Entry) error {
		calls++
		return stop
	})
	if err != stop || calls != 1 {
		t.Fatalf("callback error: err %v after %d calls", err, calls)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Scan(ctx, ScanQuery{Tags: []uint16{id}, End: math.MaxInt64}, func([]wire.Entry) error { return nil }); err != context.Canceled {
		t.Fatalf("cancelled scan: %v", err)
	}
	// batches may be modified and appended to without harming later entries
	var seen []rec
	err = s.Scan(t.Context(), ScanQuery{Tags: []uint16{id}, End: math.MaxInt64, Ascending: true}, func(b []wire.Entry) error {
		for i := range b {
			seen = append(seen, recOf(&b[i]))
		}
		b = append(b, wire.Entry{TS: -1})
		b[0].Data = append(b[0].Data, "xxxx"...)
		return nil
	})
	if err != nil || len(seen) != 50 {
		t.Fatalf("scan: %v, %d entries", err, len(seen))
	}
	for i, r := range seen {
		if r.TS != int64(1000+i) || r.Data != string([]byte{byte(i)}) {
			t.Fatalf("entry %d: %+v", i, r)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Scan(t.Context(), ScanQuery{Tags: []uint16{id}, End: 1}, nil); err != ErrClosed {
		t.Fatalf("Scan after Close: %v", err)
	}
	if err := s.Ingest(es); err != ErrClosed {
		t.Fatalf("Ingest after Close: %v", err)
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }

func TestSourceAddresses(t *testing.T) {
	s := openT(t, Config{Dir: t.TempDir()})
	id := tagIDs(t, s, "a")[0]
	addrs := []netip.Addr{{}, netip.MustParseAddr("1.2.3.4"), netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("::ffff:10.0.0.1"), netip.MustParseAddr("::")}
	var es []wire.Entry
	for i, a := range addrs {
		es = append(es, wire.Entry{TS: int64(i + 1), SRC: a, Tag: id, Data: []byte("x")})
	}
	if err := s.Ingest(es); err != nil {
		t.Fatal(err)
	}
	got := scanAll(t, s, ScanQuery{Tags: []uint16{id}, End: math.MaxInt64, Ascending: true})
	for i, r := range got {
		if r.SRC != addrs[i] {
			t.Fatalf("entry %d: SRC %v, want %v", i, r.SRC, addrs[i])
		}
	}
}
