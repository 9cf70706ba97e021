package store

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/wire"
)

// recoverFixture ingests three batches (three blocks) into one shard and closes the store.
// It returns the shard path, the block offsets and the entries of each batch.
func recoverFixture(t *testing.T, dir string) (string, []int64, [][]rec) {
	t.Helper()
	s := openT(t, Config{Dir: dir})
	id := tagIDs(t, s, "a")[0]
	g := newLineGen(5)
	var batches [][]rec
	for b := range 3 {
		es := g.entries(200, 1e18+int64(b)*1e9, 1000, []uint16{id})
		if err := s.Ingest(es); err != nil {
			t.Fatal(err)
		}
		var rs []rec
		for i := range es {
			rs = append(rs, recOf(&es[i]))
		}
		batches = append(batches, rs)
	}
	sh := s.wells[0].shards[0]
	var offs []int64
	for _, b := range sh.blocks {
		offs = append(offs, b.off)
	}
	p := sh.path
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if len(offs) != 3 {
		t.Fatalf("fixture has %d blocks", len(offs))
	}
	return p, offs, batches
}

func reopenScan(t *testing.T, dir string) (*Store, []rec, string) {
	t.Helper()
	var log syncBuf
	s := openT(t, Config{Dir: dir, Logger: slogTo(&log)})
	id, _ := s.LookupTag("a")
	return s, scanAll(t, s, ScanQuery{Tags: []uint16{id}, End: math.MaxInt64}), log.String()
}

func wantCut(t *testing.T, log, file string, off, n int64) {
	t.Helper()
	if !strings.Contains(log, `msg="store: cut `) || !strings.Contains(log, "file="+file) ||
		!strings.Contains(log, "offset="+strconv.FormatInt(off, 10)) || !strings.Contains(log, "bytes="+strconv.FormatInt(n, 10)) {
		t.Fatalf("want a warning cutting %d bytes at offset %d of %s; log:\n%s", n, off, file, log)
	}
}

func TestRecoverTruncatedTail(t *testing.T) {
	for _, cut := range []int64{1, 30, blockHeaderSize, blockHeaderSize + 10} {
		t.Run(strconv.FormatInt(cut, 10), func(t *testing.T) {
			dir := t.TempDir()
			p, offs, batches := recoverFixture(t, dir)
			st, _ := os.Stat(p)
			// cut the last block so that `cut` bytes of it remain
			if err := os.Truncate(p, offs[2]+cut); err != nil {
				t.Fatal(err)
			}
			s, got, log := reopenScan(t, dir)
			sameSet(t, "truncated", got, append(append([]rec{}, batches[0]...), batches[1]...))
			wantCut(t, log, p, offs[2], cut)
			if st2, _ := os.Stat(p); st2.Size() != offs[2] || st.Size() <= offs[2] {
				t.Fatalf("file is %d bytes, want %d", st2.Size(), offs[2])
			}
			// the store keeps working after the cut
			id, _ := s.LookupTag("a")
			if err := s.Ingest([]wire.Entry{{TS: 1e18, Tag: id}}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRecoverGarbageTail(t *testing.T) {
	dir := t.TempDir()
	p, _, batches := recoverFixture(t, dir)
	st, _ := os.Stat(p)
	garbage := []byte("SLB1 this is not a block, just bytes a crash left behind")
	f, _ := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	f.Write(garbage)
	f.Close()
	// the index file from Close covers the valid prefix; the tail after it is validated
	_, got, log := reopenScan(t, dir)
	sameSet(t, "garbage tail", got, append(append(append([]rec{}, batches[0]...), batches[1]...), batches[2]...))
	wantCut(t, log, p, st.Size(), int64(len(garbage)))
}

func TestRecoverCorruptLastBlock(t *testing.T) {
	dir := t.TempDir()
	p, offs, batches := recoverFixture(t, dir)
	os.Remove(p + idxSuffix) // as after a crash: no index file
	flipByte(t, p, offs[2]+blockHeaderSize+100)
	st, _ := os.Stat(p)
	_, got, log := reopenScan(t, dir)
	sameSet(t, "corrupt last block", got, append(append([]rec{}, batches[0]...), batches[1]...))
	wantCut(t, log, p, offs[2], st.Size()-offs[2])
}

// TestScanCorruptMiddleBlock: a block covered by a valid index file is not re-read on open; if
// its body rots, Scan skips it, reports it, quarantines it, and delivers every other entry.
func TestScanCorruptMiddleBlock(t *testing.T) {
	dir := t.TempDir()
	p, offs, batches := recoverFixture(t, dir)
	flipByte(t, p, offs[1]+blockHeaderSize+100)
	s := openT(t, Config{Dir: dir})
	id, _ := s.LookupTag("a")
	want := append(append([]rec{}, batches[0]...), batches[2]...)
	for round := range 2 { // the second scan skips the quarantined block unread
		var got []rec
		var dmg []Damage
		err := s.Scan(context.Background(), ScanQuery{Tags: []uint16{id}, End: math.MaxInt64, Ascending: true,
			OnDamage: func(d Damage) { dmg = append(dmg, d) }}, func(b []wire.Entry) error {
			for i := range b {
				got = append(got, recOf(&b[i]))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("round %d: Scan: %v", round, err)
		}
		sameSet(t, "entries around the corrupt block", got, want)
		if len(dmg) != 1 || dmg[0].Offset != offs[1] || dmg[0].Entries != 200 || dmg[0].Well != "default" {
			t.Fatalf("round %d: damage %+v, want the block at %d with 200 entries", round, dmg, offs[1])
		}
	}
	if c := s.DamageCounters(); c.BlocksQuarantined != 1 || c.ScanSkips != 2 || c.EntriesQuarantined != 200 {
		t.Fatalf("counters %+v", c)
	}
	if b, err := os.ReadFile(p + badSuffix); err != nil || !strings.Contains(string(b), "offset="+strconv.FormatInt(offs[1], 10)+" ") {
		t.Fatalf("sidecar: %q, %v", b, err)
	}
}

func TestRecoverBadIndexFile(t *testing.T) {
	dir := t.TempDir()
	p, _, batches := recoverFixture(t, dir)
	flipByte(t, p+idxSuffix, 20)
	_, got, log := reopenScan(t, dir)
	sameSet(t, "bad index", got, append(append(append([]rec{}, batches[0]...), batches[1]...), batches[2]...))
	if strings.Contains(log, `msg="store: cut`) {
		t.Fatalf("unexpected cut: %s", log)
	}
}

// flipByte corrupts the byte at off in file p.
func flipByte(t *testing.T, p string, off int64) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[off] ^= 0x55
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestEmptyShardRemoved(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, Config{Dir: dir})
	s.Close()
	p := filepath.Join(dir, "wells", "default", shardName(3600e9))
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s = openT(t, Config{Dir: dir})
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatalf("empty shard file kept: %v", err)
	}
	if len(s.wells[0].shards) != 0 {
		t.Fatal("empty shard indexed")
	}
}
