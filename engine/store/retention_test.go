package store

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/wire"
)

func TestRetentionMaxAge(t *testing.T) {
	dir := t.TempDir()
	var log syncBuf
	cfg := Config{
		Dir:    dir,
		Wells:  []WellConfig{{Name: "short", Tags: []string{"short"}, MaxAge: 2 * time.Hour}},
		Logger: slogTo(&log),
	}
	s := openT(t, cfg)
	ids := tagIDs(t, s, "short", "long")
	now := time.Now().UnixNano()
	var es []wire.Entry
	for h := range 5 { // entries 0..4 hours old, in both wells
		for _, id := range ids {
			es = append(es, wire.Entry{TS: now - int64(h)*int64(time.Hour) - int64(time.Minute), Tag: id, Data: []byte("x")})
		}
	}
	if err := s.Ingest(es); err != nil {
		t.Fatal(err)
	}
	// retention ran after the ingest: the limited well kept only entries under 2 h old
	short := scanAll(t, s, ScanQuery{Tags: ids[:1], End: math.MaxInt64})
	long := scanAll(t, s, ScanQuery{Tags: ids[1:], End: math.MaxInt64})
	if len(long) != 5 {
		t.Fatalf("unlimited well has %d entries", len(long))
	}
	if len(short) < 2 || len(short) > 3 {
		t.Fatalf("well with MaxAge 2h kept %d of 5 hourly entries", len(short))
	}
	for _, r := range short {
		if now-r.TS > int64(3*time.Hour) {
			t.Fatalf("entry %v old kept", time.Duration(now-r.TS))
		}
	}
	if !strings.Contains(log.String(), "retention dropped shard") || !strings.Contains(log.String(), "limit=MaxAge") {
		t.Fatalf("no retention log: %s", log.String())
	}
	files, _ := filepath.Glob(filepath.Join(dir, "wells", "short", "*.shard"))
	if len(files) != len(s.wells[1].shards) {
		t.Fatalf("%d shard files %v for %d shards; log %s", len(files), files, len(s.wells[1].shards), log.String())
	}
	s.Close()
	s = openT(t, cfg)
	if got := scanAll(t, s, ScanQuery{Tags: ids[:1], End: math.MaxInt64}); len(got) != len(short) {
		t.Fatalf("after reopen %d entries, want %d", len(got), len(short))
	}
}

func TestRetentionMaxBytes(t *testing.T) {
	dir := t.TempDir()
	var log syncBuf
	s := openT(t, Config{
		Dir:           dir,
		Wells:         []WellConfig{{Name: DefaultWell, MaxBytes: 60 << 10}},
		ShardDuration: time.Second,
		Logger:        slogTo(&log),
	})
	id := tagIDs(t, s, "a")[0]
	g := newLineGen(9)
	base := int64(1e18)
	// ten one-second shards of about 20 KiB each
	for sec := range 10 {
		if err := s.Ingest(g.entries(300, base+int64(sec)*1e9, 1e6, []uint16{id})); err != nil {
			t.Fatal(err)
		}
	}
	st := s.Stats()[0]
	if st.Bytes > 60<<10 || st.Bytes < 30<<10 {
		t.Fatalf("well holds %d bytes with MaxBytes %d", st.Bytes, 60<<10)
	}
	got := scanAll(t, s, ScanQuery{Tags: []uint16{id}, End: math.MaxInt64, Ascending: true})
	if uint64(len(got)) != st.Entries || len(got)%300 != 0 || len(got) == 0 {
		t.Fatalf("%d entries scanned, Stats says %d", len(got), st.Entries)
	}
	// the newest shards are the ones kept
	if last := got[len(got)-1].TS; last != base+9e9+299e6 {
		t.Fatalf("newest entry %d lost", last)
	}
	if first := got[0].TS; first != base+int64(10-len(got)/300)*1e9 {
		t.Fatalf("oldest kept entry %d: not whole oldest shards dropped", first)
	}
	if !strings.Contains(log.String(), "limit=MaxBytes") {
		t.Fatalf("no retention log: %s", log.String())
	}
}

// TestRetentionDuringScan: a shard dropped while a scan holds it is read to the end.
func TestRetentionDuringScan(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, Config{Dir: dir, Wells: []WellConfig{{Name: DefaultWell, MaxBytes: 1}}, ShardDuration: time.Second, ScanBatch: 10})
	id := tagIDs(t, s, "a")[0]
	g := newLineGen(1)
	if err := s.Ingest(g.entries(100, 1e18, 1e6, []uint16{id})); err != nil {
		t.Fatal(err)
	}
	n := 0
	err := s.Scan(context.Background(), ScanQuery{Tags: []uint16{id}, End: math.MaxInt64}, func(b []wire.Entry) error {
		if n == 0 { // a newer shard pushes the scanned one out
			if err := s.Ingest(g.entries(10, 1e18+5e9, 1, []uint16{id})); err != nil {
				return err
			}
			if files, _ := filepath.Glob(filepath.Join(dir, "wells", "default", "*.shard")); len(files) != 1 {
				t.Errorf("%d shard files, want 1", len(files))
			}
		}
		n += len(b)
		return nil
	})
	if err != nil || n != 100 {
		t.Fatalf("scan: %v after %d entries", err, n)
	}
	if _, err := os.Stat(filepath.Join(dir, "wells", "default", shardName(1e18))); !os.IsNotExist(err) {
		t.Fatalf("dropped shard file still there: %v", err)
	}
}
