package store

import (
	"errors"
	"math"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/wire"
)

func TestIngestValidation(t *testing.T) {
	s := openT(t, Config{Dir: t.TempDir(), MaxEntrySize: 100})
	id := tagIDs(t, s, "a")[0]
	good := wire.Entry{TS: 1e18, Tag: id, Data: []byte("ok")}
	f := func(bad wire.Entry, reason string) {
		t.Helper()
		batch := []wire.Entry{good, good, bad, good}
		err := s.Ingest(batch)
		var ee *EntryError
		if !errors.As(err, &ee) || ee.Index != 2 || !strings.Contains(ee.Reason, reason) {
			t.Fatalf("Ingest error %v, want *EntryError at index 2 with %q", err, reason)
		}
		if !strings.HasPrefix(err.Error(), "store: entry 2: ") {
			t.Fatalf("error text %q", err)
		}
	}
	f(wire.Entry{TS: 1, Tag: id + 1}, "unknown tag ID 1")
	f(wire.Entry{TS: -1, Tag: id}, "timestamp -1 outside")
	f(wire.Entry{TS: MaxTimestamp, Tag: id}, "outside")
	f(wire.Entry{TS: math.MaxInt64, Tag: id}, "outside")
	f(wire.Entry{TS: 1, Tag: id, SRC: netip.MustParseAddr("fe80::1%eth0")}, "zone")
	f(wire.Entry{TS: 1, Tag: id, Data: make([]byte, 101)}, "exceeds MaxEntrySize 100")
	// the size error carries a typed limit error naming the config field
	err := s.Ingest([]wire.Entry{{TS: 1, Tag: id, Data: make([]byte, 101)}})
	var le *LimitError
	if !errors.As(err, &le) || le.Field != "MaxEntrySize" || le.Limit != 100 || le.Value != 101 {
		t.Fatalf("limit error %#v from %v", le, err)
	}
	// nothing of the rejected calls was stored
	if got := scanAll(t, s, ScanQuery{Tags: []uint16{id}, End: math.MaxInt64}); len(got) != 0 {
		t.Fatalf("rejected batches stored %d entries", len(got))
	}
	// boundaries are accepted
	ok := []wire.Entry{{TS: MinTimestamp, Tag: id}, {TS: MaxTimestamp - 1, Tag: id, Data: make([]byte, 100)}}
	if err := s.Ingest(ok); err != nil {
		t.Fatal(err)
	}
	if got := scanAll(t, s, ScanQuery{Tags: []uint16{id}, End: math.MaxInt64}); len(got) != 2 || got[0].TS != MaxTimestamp-1 {
		t.Fatalf("boundary entries: %+v", got)
	}
	if err := s.Ingest(nil); err != nil {
		t.Fatalf("empty Ingest: %v", err)
	}
}

// TestIngestWriteFailure injects ENOSPC after part of a write (and, separately, an fsync
// error): Ingest fails, the partial group is rolled back, acknowledged entries stay intact,
// later ingests work, and a reopen finds exactly the acknowledged entries.
func TestIngestWriteFailure(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, BlockSize: 4 << 10}
	s := openT(t, cfg)
	id := tagIDs(t, s, "a")[0]
	g := newLineGen(3)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	acked := g.entries(500, base, int64(time.Millisecond), []uint16{id})
	if err := s.Ingest(acked); err != nil {
		t.Fatal(err)
	}
	var want []rec
	for i := range acked {
		want = append(want, recOf(&acked[i]))
	}
	failWrite := func(f *os.File, b []byte, off int64) (int, error) {
		n, _ := f.WriteAt(b[:len(b)/2], off) // half lands on disk, then the disk is full
		return n, syscall.ENOSPC
	}
	var syncFailures atomic.Int32
	failSync := func(f *os.File) error { // fails once, then the disk recovers
		if syncFailures.Add(1) == 1 {
			return syscall.EIO
		}
		return f.Sync()
	}
	for _, c := range []struct {
		h    fileHooks
		want error
	}{
		{fileHooks{writeAt: failWrite, sync: defaultHooks.sync, truncate: defaultHooks.truncate}, syscall.ENOSPC},
		{fileHooks{writeAt: defaultHooks.writeAt, sync: failSync, truncate: defaultHooks.truncate}, syscall.EIO},
	} {
		h := c.h
		s.hooks.Store(&h)
		// same shard and a new shard (new file) in one call
		batch := g.entries(300, base+int64(time.Second), int64(time.Millisecond), []uint16{id})
		batch = append(batch, g.entries(10, base+int64(3*time.Hour), 1, []uint16{id})...)
		err := s.Ingest(batch)
		if !errors.Is(err, c.want) {
			t.Fatalf("Ingest on a failing disk: %v, want %v", err, c.want)
		}
		s.hooks.Store(&defaultHooks)
		sameSet(t, "after failed ingest", scanAll(t, s, ScanQuery{Tags: []uint16{id}, End: math.MaxInt64}), want)
	}
	more := g.entries(100, base+int64(2*time.Second), int64(time.Millisecond), []uint16{id})
	if err := s.Ingest(more); err != nil {
		t.Fatalf("Ingest after the disk recovered: %v", err)
	}
	for i := range more {
		want = append(want, recOf(&more[i]))
	}
	sameSet(t, "after recovery", scanAll(t, s, ScanQuery{Tags: []uint16{id}, End: math.MaxInt64}), want)
	s.Close()
	var log syncBuf
	cfg.Logger = slogTo(&log)
	s = openT(t, cfg)
	sameSet(t, "after reopen", scanAll(t, s, ScanQuery{Tags: []uint16{id}, End: math.MaxInt64}), want)
	if strings.Contains(log.String(), "cut torn") {
		t.Fatalf("rollback left a tail for recovery to cut: %s", log.String())
	}
}

// TestIngestRollbackFailure: when the rollback itself fails, ingest is refused until reopen,
// scans keep working, and recovery on reopen keeps every acknowledged entry.
func TestIngestRollbackFailure(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, Config{Dir: dir})
	id := tagIDs(t, s, "a")[0]
	g := newLineGen(4)
	acked := g.entries(100, 1e18, 1000, []uint16{id})
	if err := s.Ingest(acked); err != nil {
		t.Fatal(err)
	}
	s.hooks.Store(&fileHooks{
		writeAt: func(f *os.File, b []byte, off int64) (int, error) {
			n, _ := f.WriteAt(b[:len(b)/3], off)
			return n, syscall.ENOSPC
		},
		sync:     defaultHooks.sync,
		truncate: func(*os.File, int64) error { return syscall.EIO },
	})
	if err := s.Ingest(g.entries(100, 1e18+1e6, 1000, []uint16{id})); err == nil {
		t.Fatal("Ingest succeeded")
	}
	s.hooks.Store(&defaultHooks)
	if err := s.Ingest(acked[:1]); !errors.Is(err, ErrFailed) {
		t.Fatalf("Ingest after failed rollback: %v, want ErrFailed", err)
	}
	if got := scanAll(t, s, ScanQuery{Tags: []uint16{id}, End: math.MaxInt64}); len(got) != 100 {
		t.Fatalf("scan after failure: %d entries", len(got))
	}
	s.Close()
	var log syncBuf
	s = openT(t, Config{Dir: dir, Logger: slogTo(&log)})
	var want []rec
	for i := range acked {
		want = append(want, recOf(&acked[i]))
	}
	sameSet(t, "reopen", scanAll(t, s, ScanQuery{Tags: []uint16{id}, End: math.MaxInt64}), want)
	if !strings.Contains(log.String(), "cut torn or uncommitted shard tail") {
		t.Fatalf("partial block not cut on reopen: %s", log.String())
	}
	if err := s.Ingest(acked[:1]); err != nil {
		t.Fatalf("Ingest after reopen: %v", err)
	}
}

// TestGroupCommit: concurrent callers share fsyncs, and every acknowledged entry is there.
func TestGroupCommit(t *testing.T) {
	s := openT(t, Config{Dir: t.TempDir()})
	id := tagIDs(t, s, "a")[0]
	var syncs atomic.Int64
	s.hooks.Store(&fileHooks{
		writeAt: defaultHooks.writeAt,
		sync: func(f *os.File) error {
			syncs.Add(1)
			time.Sleep(2 * time.Millisecond) // a slow disk makes callers pile up
			return f.Sync()
		},
		truncate: defaultHooks.truncate,
	})
	const writers, calls = 8, 20
	var wg sync.WaitGroup
	var failed atomic.Bool
	for w := range writers {
		wg.Go(func() {
			g := newLineGen(uint64(w))
			for c := range calls {
				es := g.entries(10, 1e18+int64(w*calls+c)*1e6, 1, []uint16{id})
				if err := s.Ingest(es); err != nil {
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
	if failed.Load() {
		t.Fatal("Ingest failed")
	}
	if got := scanAll(t, s, ScanQuery{Tags: []uint16{id}, End: math.MaxInt64}); len(got) != writers*calls*10 {
		t.Fatalf("%d entries, want %d", len(got), writers*calls*10)
	}
	if n := syncs.Load(); n >= writers*calls {
		t.Fatalf("%d fsyncs for %d calls: no group commit", n, writers*calls)
	} else {
		t.Logf("%d fsyncs for %d calls", n, writers*calls)
	}
	c := s.IngestCounters()
	if c.TotalCount != writers*calls*10 || c.TotalSize != writers*calls*10*200 {
		t.Fatalf("counters %d entries %d bytes", c.TotalCount, c.TotalSize)
	}
}

// TestCompressionChoices: every codec round-trips, and a store reopened with another codec
// reads the old blocks.
func TestCompressionChoices(t *testing.T) {
	dir := t.TempDir()
	var want []rec
	for i, c := range []Compression{CompressionZstd, CompressionNone, CompressionS2, CompressionDefault} {
		s := openT(t, Config{Dir: dir, Compression: c})
		id := tagIDs(t, s, "a")[0]
		es := newLineGen(uint64(i)).entries(300, 1e18+int64(i)*1e9, 1000, []uint16{id})
		if err := s.Ingest(es); err != nil {
			t.Fatal(err)
		}
		for j := range es {
			want = append(want, recOf(&es[j]))
		}
		sameSet(t, "codec", scanAll(t, s, ScanQuery{Tags: []uint16{id}, End: math.MaxInt64}), want)
		s.Close()
	}
}

// TestUncommittedGroupCut: a group whose blocks reached both shard files but whose COMMIT
// record did not (and whose rollback failed too, as if the process had died there) is cut
// entirely on reopen, in every file.
func TestUncommittedGroupCut(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, Wells: []WellConfig{{Name: "w2", Tags: []string{"b"}}}}
	s := openT(t, cfg)
	ids := tagIDs(t, s, "a", "b")
	g := newLineGen(6)
	acked := g.entries(100, 1e18, 1000, ids)
	if err := s.Ingest(acked); err != nil {
		t.Fatal(err)
	}
	commitFile := s.commit.f
	s.hooks.Store(&fileHooks{
		writeAt: func(f *os.File, b []byte, off int64) (int, error) {
			if f == commitFile {
				return 0, syscall.EIO
			}
			return f.WriteAt(b, off)
		},
		sync:     defaultHooks.sync,
		truncate: func(*os.File, int64) error { return syscall.EIO },
	})
	if err := s.Ingest(g.entries(100, 1e18+1e6, 1000, ids)); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Ingest: %v, want EIO", err)
	}
	s.hooks.Store(&defaultHooks)
	s.Close()
	var log syncBuf
	cfg.Logger = slogTo(&log)
	s = openT(t, cfg)
	var want []rec
	for i := range acked {
		want = append(want, recOf(&acked[i]))
	}
	sameSet(t, "reopen", scanAll(t, s, ScanQuery{Tags: ids, End: math.MaxInt64}), want)
	if n := strings.Count(log.String(), "never completed"); n != 2 {
		t.Fatalf("want the group cut from 2 files, log:\n%s", log.String())
	}
}
