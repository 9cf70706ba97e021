package store

import (
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// oldStore writes a data directory as the version before block keys and metadata copies
// wrote it: unkeyed (version 1) blocks of commits 1..n in one shard of tag "a" (ID 0), a tag
// log without a copy, legacy indexer.uuid and WELL files, no block.key. It returns the shard
// path, its blocks and entries.
func oldStore(t *testing.T, dir string, n int) (string, []blockMeta, []rec) {
	t.Helper()
	wdir := filepath.Join(dir, "wells", "default")
	if err := os.MkdirAll(wdir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(p string, b []byte) {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "indexer.uuid"), []byte(newUUID()+"\n"))
	write(filepath.Join(wdir, wellMetaName), []byte("shard-duration 3600000000000\n"))
	write(filepath.Join(dir, "tags.log"), appendTagRecord(append([]byte(nil), tagLogMagic...), "a", 0, 1))
	c, _, err := openCommitLog(filepath.Join(dir, "COMMIT"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.commit(uint64(n), &defaultHooks); err != nil {
		t.Fatal(err)
	}
	c.f.Close()
	start := int64(1e18) - int64(1e18)%int64(time.Hour)
	g := newLineGen(3)
	var file []byte
	var blocks []blockMeta
	var all []rec
	for b := range n {
		es := g.entries(40, start+int64(b)*1e9, 1000, []uint16{0})
		var raw []byte
		for i := range es {
			raw = appendRecord(raw, &es[i])
			all = append(all, recOf(&es[i]))
		}
		off := int64(len(file))
		var h blockHeader
		file, h = appendBlock(file, raw, len(es), es[0].TS, es[len(es)-1].TS, tagBit(0), codecS2, nil)
		setSeq(file[off:], uint64(b+1), nil)
		h.seq = uint64(b + 1)
		blocks = append(blocks, blockMeta{off: off, blockHeader: h})
	}
	p := filepath.Join(wdir, shardName(start))
	write(p, file)
	return p, blocks, all
}

// TestOldStoreUpgrade: a store written before block keys opens with every entry; Open creates
// block.key (with "since" past every old block) and the metadata copies; new blocks are keyed
// and share the shard with the old ones; after a restart without the index, a damaged old
// block is contained like any other (resync finds the next unkeyed block) and only its
// entries are missing.
func TestOldStoreUpgrade(t *testing.T) {
	dir := t.TempDir()
	p, blocks, all := oldStore(t, dir, 5)
	s := openT(t, Config{Dir: dir})
	if s.key == nil || s.key.since != 6 {
		t.Fatalf("block key %+v, want one from commit 6 on", s.key)
	}
	sameSet(t, "old store", scanAll(t, s, ScanQuery{Tags: []uint16{0}, End: math.MaxInt64}), all)
	es := newLineGen(4).entries(40, blocks[0].minTS+100e9, 1000, []uint16{0})
	if err := s.Ingest(es); err != nil {
		t.Fatal(err)
	}
	for i := range es {
		all = append(all, recOf(&es[i]))
	}
	s.Close()
	data, _ := os.ReadFile(p)
	last := blocks[len(blocks)-1]
	if string(data[last.off+last.size():][:4]) != "SLB2" {
		t.Fatal("the new block is not keyed")
	}
	for _, f := range []string{"indexer.uuid", "block.key", "tags.log", filepath.Join("wells", "default", wellMetaName)} {
		if _, err := os.Stat(filepath.Join(dir, f+copySuffix)); err != nil {
			t.Fatalf("no copy of %s: %v", f, err)
		}
	}
	os.Remove(p + idxSuffix)
	victim := blocks[2]
	writeAtT(t, p, victim.off+5, []byte{0xff}) // the old block's header: resync must find the next one
	var log syncBuf
	s = openT(t, Config{Dir: dir, Logger: slogTo(&log)})
	got := scanAll(t, s, ScanQuery{Tags: []uint16{0}, End: math.MaxInt64})
	if n := checkLoss(t, got, all, damagedRecs(all, blocks, victim.off, victim.off+1)); n != int(victim.count) {
		t.Fatalf("%d entries missing, want the damaged block's %d\n%s", n, victim.count, log.String())
	}
	if rep, err := func() (*VerifyReport, error) { s.Close(); return Verify(VerifyOptions{Dir: dir}) }(); err != nil || !rep.Damaged() {
		t.Fatalf("verify after the damage: %+v %v", rep, err)
	}
}
