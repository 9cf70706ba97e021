package store

import (
	"context"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/sluicehq/sluice/wire"
)

// damageFixture writes nBlocks uncompressed blocks of about 12 KiB into one shard (one Ingest
// call per block, each over its own time range) and closes the store. It returns the shard
// path, the blocks and every entry.
func damageFixture(t *testing.T, dir string, nBlocks int) (string, []blockMeta, []rec) {
	t.Helper()
	s := openT(t, Config{Dir: dir, BlockSize: 16 << 10, Compression: CompressionNone})
	id := tagIDs(t, s, "a")[0]
	g := newLineGen(11)
	var all []rec
	for b := range nBlocks {
		es := g.entries(60, 1e18+int64(b)*1e9, 1000, []uint16{id})
		if err := s.Ingest(es); err != nil {
			t.Fatal(err)
		}
		for i := range es {
			all = append(all, recOf(&es[i]))
		}
	}
	sh := s.wells[0].shards[0]
	blocks := slices.Clone(sh.blocks)
	p := sh.path
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if len(blocks) != nBlocks {
		t.Fatalf("fixture has %d blocks, want %d", len(blocks), nBlocks)
	}
	return p, blocks, all
}

// damageCase damages a fixture shard and returns the byte range it touched.
type damageCase struct {
	name   string
	keepIx bool // keep the index file (else removed, as after a crash)
	damage func(t *testing.T, p string, blocks []blockMeta) (lo, hi int64)
	// lossless: no entry may be missing (the damage hits only redundant bytes).
	lossless bool
	// file is the damaged file relative to the data directory when it is not the shard.
	file string
	// unknown: nothing that survives says how many entries the damaged range held (else the
	// damage reports must count every missing entry exactly).
	unknown bool
	noAcc   bool // remove the accelerator sidecar too (it holds the block summaries)
}

// dataDirOf returns the data directory of shard file p (<dir>/wells/<well>/<shard>).
func dataDirOf(p string) string { return filepath.Dir(filepath.Dir(filepath.Dir(p))) }

// metaCase damages one copy of a metadata file: nothing may be lost.
func metaCase(name, file string, off int64) damageCase {
	return damageCase{name: name, keepIx: true, lossless: true, file: file,
		damage: func(t *testing.T, p string, _ []blockMeta) (int64, int64) {
			return flipAt(t, filepath.Join(dataDirOf(p), file), off)
		}}
}

func flipAt(t *testing.T, p string, off int64) (int64, int64) {
	flipByte(t, p, off)
	return off, off + 1
}

func damageCases() []damageCase {
	var cs []damageCase
	for _, ix := range []bool{false, true} {
		sfx := "/no-idx"
		if ix {
			sfx = "/idx"
		}
		cs = append(cs,
			damageCase{name: "flip-first-block" + sfx, keepIx: ix, damage: func(t *testing.T, p string, bs []blockMeta) (int64, int64) {
				return flipAt(t, p, bs[0].off+blockHeaderSize+7)
			}},
			damageCase{name: "flip-middle-block" + sfx, keepIx: ix, damage: func(t *testing.T, p string, bs []blockMeta) (int64, int64) {
				return flipAt(t, p, bs[len(bs)/2].off+blockHeaderSize+500)
			}},
			damageCase{name: "flip-last-block" + sfx, keepIx: ix, damage: func(t *testing.T, p string, bs []blockMeta) (int64, int64) {
				b := bs[len(bs)-1]
				return flipAt(t, p, b.off+b.size()-3)
			}},
			damageCase{name: "flip-middle-header" + sfx, keepIx: ix, lossless: ix, damage: func(t *testing.T, p string, bs []blockMeta) (int64, int64) {
				return flipAt(t, p, bs[len(bs)/2].off+9)
			}},
			damageCase{name: "zeroed-4k-page" + sfx, keepIx: ix, damage: func(t *testing.T, p string, bs []blockMeta) (int64, int64) {
				b := bs[len(bs)/2]
				lo := (b.off + blockHeaderSize + 4095) &^ 4095
				if lo+4096 > b.off+b.size() {
					t.Fatalf("block at %d (%d bytes) holds no whole page", b.off, b.size())
				}
				writeAtT(t, p, lo, make([]byte, 4096))
				return lo, lo + 4096
			}},
		)
	}
	cs = append(cs,
		// without the index and the summaries in the .acc sidecar, nothing says what a block
		// whose header is destroyed held
		damageCase{name: "flip-middle-header/no-idx-no-acc", noAcc: true, unknown: true, damage: func(t *testing.T, p string, bs []blockMeta) (int64, int64) {
			return flipAt(t, p, bs[len(bs)/2].off+9)
		}},
		damageCase{name: "truncated-last-block", damage: func(t *testing.T, p string, bs []blockMeta) (int64, int64) {
			b := bs[len(bs)-1]
			if err := os.Truncate(p, b.off+b.size()/2); err != nil {
				t.Fatal(err)
			}
			return b.off, b.off + b.size()
		}},
		// with the index, even a cut inside the last header (a torn write, were there no index)
		// and a cut of whole blocks are counted: the index lists what the file lost
		damageCase{name: "truncated-in-last-header/idx", keepIx: true, damage: func(t *testing.T, p string, bs []blockMeta) (int64, int64) {
			b := bs[len(bs)-1]
			if err := os.Truncate(p, b.off+30); err != nil {
				t.Fatal(err)
			}
			return b.off, b.off + b.size()
		}},
		damageCase{name: "truncated-two-blocks/idx", keepIx: true, damage: func(t *testing.T, p string, bs []blockMeta) (int64, int64) {
			b := bs[len(bs)-2]
			if err := os.Truncate(p, b.off); err != nil {
				t.Fatal(err)
			}
			return b.off, bs[len(bs)-1].off + bs[len(bs)-1].size()
		}},
		damageCase{name: "bytes-removed-mid-shard", damage: func(t *testing.T, p string, bs []blockMeta) (int64, int64) {
			b := bs[len(bs)/2]
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			lo := b.off + 1000
			data = append(data[:lo], data[lo+100:]...)
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			return lo, lo + 1 // later blocks moved, but only this block lost bytes
		}},
		damageCase{name: "garbage-appended", keepIx: true, lossless: true, damage: func(t *testing.T, p string, bs []blockMeta) (int64, int64) {
			junk := []byte(strings.Repeat("SLB1 garbage after the last block ", 40))
			f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write(junk)
			f.Close()
			return 0, 0
		}},
		damageCase{name: "corrupt-index", keepIx: true, lossless: true, damage: func(t *testing.T, p string, bs []blockMeta) (int64, int64) {
			flipByte(t, p+idxSuffix, 40)
			return 0, 0
		}},
		damageCase{name: "corrupt-accelerator", keepIx: true, lossless: true, damage: func(t *testing.T, p string, bs []blockMeta) (int64, int64) {
			flipByte(t, p+accSuffix, 40)
			return 0, 0
		}},
		// one copy of a metadata file: the other copy holds it
		metaCase("tag-log-record", "tags.log", int64(len(tagLogMagic))+2),
		metaCase("tag-log-copy-record", "tags.log"+copySuffix, int64(len(tagLogMagic))+2),
		metaCase("tag-log-header", "tags.log", 1),
		metaCase("well-file", filepath.Join("wells", "default", wellMetaName), 3),
		metaCase("well-file-copy", filepath.Join("wells", "default", wellMetaName+copySuffix), 20),
		metaCase("indexer-uuid", "indexer.uuid", 5),
		metaCase("block-key", blockKeyName, 20),
		metaCase("block-key-copy", blockKeyName+copySuffix, 12),
	)
	return cs
}

func writeAtT(t *testing.T, p string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// damagedRecs returns the entries of the blocks overlapping [lo, hi).
func damagedRecs(all []rec, blocks []blockMeta, lo, hi int64) (out []rec) {
	for _, b := range blocks {
		if b.off < hi && b.off+b.size() > lo {
			for _, r := range all {
				if r.TS >= b.minTS && r.TS <= b.maxTS {
					out = append(out, r)
				}
			}
		}
	}
	return out
}

// checkLoss fails unless got holds every entry of all except at most those in allowed, and
// holds nothing else. It returns how many entries are missing.
func checkLoss(t *testing.T, got, all, allowed []rec) int {
	t.Helper()
	have := make(map[rec]int, len(got))
	for _, r := range got {
		have[r]++
	}
	missing := 0
	for _, r := range all {
		if have[r] > 0 {
			have[r]--
			continue
		}
		if !slices.Contains(allowed, r) {
			t.Fatalf("entry %+v missing, but it is not in a damaged block", r)
		}
		missing++
	}
	for r, n := range have {
		if n > 0 {
			t.Fatalf("entry %+v returned but never stored", r)
		}
	}
	return missing
}

// scanDamaged scans everything and collects the damage reports.
func scanDamaged(t *testing.T, s *Store) ([]rec, []Damage) {
	t.Helper()
	id, ok := s.LookupTag("a")
	if !ok {
		t.Fatal("tag a has no name: its entries cannot be selected")
	}
	var dmg []Damage
	got := scanAll(t, s, ScanQuery{Tags: []uint16{id}, End: math.MaxInt64, OnDamage: func(d Damage) { dmg = append(dmg, d) }})
	// the parallel scan skips and reports the same
	var mu sync.Mutex
	var par []rec
	var pdmg []Damage
	err := s.ScanUnordered(context.Background(), ScanQuery{Tags: []uint16{id}, End: math.MaxInt64,
		OnDamage: func(d Damage) { pdmg = append(pdmg, d) }}, 3, func(_ int, b []wire.Entry) error {
		mu.Lock()
		defer mu.Unlock()
		for i := range b {
			par = append(par, recOf(&b[i]))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("ScanUnordered: %v", err)
	}
	sameSet(t, "ScanUnordered", par, got)
	if len(pdmg) != len(dmg) {
		t.Fatalf("ScanUnordered reported %+v, Scan %+v", pdmg, dmg)
	}
	return got, dmg
}

// TestDamageContained injects one fault per case into a shard and checks, by count against
// the entries written, that at most the damaged block's entries are missing, that the scan
// reports the loss, that a second reopen changes nothing, and that ingest still works.
func TestDamageContained(t *testing.T) {
	for _, c := range damageCases() {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			p, blocks, all := damageFixture(t, dir, 7)
			if !c.keepIx {
				os.Remove(p + idxSuffix)
			}
			if c.noAcc {
				os.Remove(p + accSuffix)
			}
			lo, hi := c.damage(t, p, blocks)
			allowed := damagedRecs(all, blocks, lo, hi)
			if c.lossless {
				allowed = nil
			}
			for round := range 2 {
				var log syncBuf
				s := openT(t, Config{Dir: dir, Logger: slogTo(&log)})
				got, dmg := scanDamaged(t, s)
				missing := checkLoss(t, got, all, allowed)
				var reported int64
				unknown := false
				for _, d := range dmg {
					if d.Entries < 0 {
						unknown = true
					} else {
						reported += d.Entries
					}
				}
				if unknown != c.unknown {
					t.Fatalf("round %d: damage %+v: count unknown %v, want %v", round, dmg, unknown, c.unknown)
				}
				if missing > 0 && !unknown && reported != int64(missing) {
					t.Fatalf("round %d: %d entries missing, damage reports %d: %+v\nlog:\n%s", round, missing, reported, dmg, log.String())
				}
				if missing > 0 && len(dmg) == 0 {
					t.Fatalf("round %d: %d entries missing and no damage reported\nlog:\n%s", round, missing, log.String())
				}
				if missing == 0 && len(dmg) > 0 {
					t.Fatalf("round %d: damage reported but nothing missing: %+v", round, dmg)
				}
				if round == 1 && (strings.Contains(log.String(), "quarantined; reading resumes") || strings.Contains(log.String(), "copy")) {
					t.Fatalf("second reopen quarantined again:\n%s", log.String())
				}
				s.Close()
			}
			s := openT(t, Config{Dir: dir})
			id, _ := s.LookupTag("a")
			if err := s.Ingest([]wire.Entry{{TS: 1e18 + 100e9, Tag: id, Data: []byte("after")}}); err != nil {
				t.Fatalf("ingest after damage: %v", err)
			}
			got, _ := scanDamaged(t, s)
			checkLoss(t, got, append(slices.Clone(all), rec{TS: 1e18 + 100e9, Tag: id, Data: "after"}), allowed)
		})
	}
}

// TestDamageWarningText checks the search Warning summary.
func TestDamageWarningText(t *testing.T) {
	f := func(ds []Damage, want ...string) {
		t.Helper()
		got := FormatDamage(ds)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Fatalf("FormatDamage = %q, want it to contain %q", got, w)
			}
		}
	}
	f(nil)
	if FormatDamage(nil) != "" {
		t.Fatal("no damage, non-empty warning")
	}
	f([]Damage{{Entries: 200, Bytes: 9000, MinTS: 1e18, MaxTS: 1e18 + 1e9, Reason: "block body checksum mismatch"}},
		"200 entries", "9000 bytes in 1 damaged range", "2001-09-09T01:46:40Z and 2001-09-09T01:46:41Z",
		"block body checksum mismatch")
	f([]Damage{{Entries: 5, Bytes: 1, MinTS: 2e18, MaxTS: 2e18, Reason: "x"}, {Entries: -1, Bytes: 10, MinTS: 1e18, MaxTS: 3e18, Reason: "y"}},
		"5 entries plus an unknown number", "11 bytes in 2 damaged ranges", "x; y")
}

// dirDigest returns every file's name and contents under dir, to check that a read-only
// Verify changed nothing.
func dirDigest(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if !d.IsDir() {
			b, _ := os.ReadFile(p)
			out[p] = string(b)
		}
		return nil
	})
	return out
}

// TestVerifyFindsEveryFault: Verify names each injected fault (file and offset), changes
// nothing without Repair, and after Repair a reopen finds nothing new to quarantine.
func TestVerifyFindsEveryFault(t *testing.T) {
	for _, c := range damageCases() {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			p, blocks, _ := damageFixture(t, dir, 7)
			if !c.keepIx {
				os.Remove(p + idxSuffix)
			}
			clean, err := Verify(VerifyOptions{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if !c.keepIx {
				if len(clean.Findings) != 0 {
					t.Fatalf("clean store: %+v", clean.Findings)
				}
			}
			lo, hi := c.damage(t, p, blocks)
			before := dirDigest(t, dir)
			rep, err := Verify(VerifyOptions{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(before, dirDigest(t, dir)) {
				t.Fatal("read-only Verify changed files")
			}
			if len(rep.Findings) == 0 {
				t.Fatal("Verify found nothing")
			}
			rel, _ := filepath.Rel(dir, p)
			named := false
			for _, f := range rep.Findings {
				t.Log(f.String())
				if c.file != "" {
					// a record names its range; a small guarded file is named whole
					named = named || f.File == c.file && (f.Offset < 0 || f.Offset < hi && f.Offset+f.Bytes > lo)
					continue
				}
				if f.File == rel && f.Offset >= 0 && f.Offset < max(hi, lo+1) && f.Offset+f.Bytes > lo ||
					hi == 0 && strings.HasPrefix(f.File, rel) {
					named = true
				}
			}
			if !named {
				t.Fatalf("no finding names %s at %d..%d", rel, lo, hi)
			}
			if !c.lossless && !rep.Damaged() {
				t.Fatal("damage not reported as damage")
			}
			if _, err := Verify(VerifyOptions{Dir: dir, Repair: true}); err != nil {
				t.Fatal(err)
			}
			var log syncBuf
			s := openT(t, Config{Dir: dir, Logger: slogTo(&log)})
			s.Close()
			if strings.Contains(log.String(), "quarantined; reading resumes") || strings.Contains(log.String(), "found by a scan") ||
				strings.Contains(log.String(), "copy") ||
				strings.Contains(log.String(), `msg="store: cut`) {
				t.Fatalf("Open after Verify -repair still had work:\n%s", log.String())
			}
		})
	}
}

func TestVerifyRefusesOpenStore(t *testing.T) {
	dir := t.TempDir()
	openT(t, Config{Dir: dir})
	if _, err := Verify(VerifyOptions{Dir: dir}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("Verify of an open store: %v", err)
	}
	if _, err := Verify(VerifyOptions{Dir: filepath.Join(dir, "nope")}); err == nil {
		t.Fatal("Verify of a missing directory succeeded")
	}
}

// TestVerifyAcceleratorMismatch: a well-formed accelerator record whose bloom filter lacks
// the block's tokens would make searches skip matching entries; Open cannot tell (the record
// passes its checksum), Verify reads the block and does, and -repair removes the file so Open
// rebuilds it.
func TestVerifyAcceleratorMismatch(t *testing.T) {
	dir := t.TempDir()
	p, blocks, _ := damageFixture(t, dir, 3)
	out := append([]byte(nil), accMagic...)
	for _, b := range blocks {
		out = appendAccRecord(out, b.off, &bloom{k: 3, bits: make([]uint64, 4)})
	}
	if err := os.WriteFile(p+accSuffix, out, 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(VerifyOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Damaged() || len(rep.Findings) != 1 || rep.Findings[0].Kind != "accelerator does not match its blocks" {
		t.Fatalf("findings %+v", rep.Findings)
	}
	if _, err := Verify(VerifyOptions{Dir: dir, Repair: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p + accSuffix); !os.IsNotExist(err) {
		t.Fatal("-repair kept the faulty accelerator file")
	}
	s := openT(t, Config{Dir: dir})
	s.Close()
	if rep, err := Verify(VerifyOptions{Dir: dir}); err != nil || len(rep.Findings) != 0 {
		t.Fatalf("after Open rebuilt the accelerators: %+v, %v", rep, err)
	}
}

// TestCloseOnFullDisk: index files that cannot be written at Close (ENOSPC) are logged by
// name and skipped; Close succeeds, and the next Open finds every entry.
func TestCloseOnFullDisk(t *testing.T) {
	dir := t.TempDir()
	var log syncBuf
	s := openT(t, Config{Dir: dir, Logger: slogTo(&log)})
	id := tagIDs(t, s, "a")[0]
	es := newLineGen(3).entries(500, 1e18, 1000, []uint16{id})
	if err := s.Ingest(es); err != nil {
		t.Fatal(err)
	}
	s.hooks.Store(&fileHooks{writeAt: defaultHooks.writeAt, sync: defaultHooks.sync, truncate: defaultHooks.truncate,
		writeFile: func(string, []byte) error { return &os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC} }})
	if err := s.Close(); err != nil {
		t.Fatalf("Close on a full disk: %v", err)
	}
	if !strings.Contains(log.String(), "could not write a shard index") || !strings.Contains(log.String(), ".shard.idx") {
		t.Fatalf("log does not name the index it could not write:\n%s", log.String())
	}
	s = openT(t, Config{Dir: dir})
	want := make([]rec, len(es))
	for i := range es {
		want[i] = recOf(&es[i])
	}
	sameSet(t, "after a full-disk close", scanAll(t, s, ScanQuery{Tags: []uint16{id}, End: math.MaxInt64}), want)
}

// TestTailLeftoversReported: garbage appended to a shard and a tail shorter than a block
// header, with and without the index file, lose nothing and are never silent: Open logs the
// cut with file, offset and bytes, counts it (TailsCut, BytesCut), and Verify lists it with
// its offset and length first.
func TestTailLeftoversReported(t *testing.T) {
	for _, c := range []struct {
		name string
		junk []byte
	}{
		{"garbage", []byte(strings.Repeat("SLB2 garbage after the last block ", 40))},
		{"short-tail", []byte("SLB2\x00\x00\x00 shorter than a header")},
	} {
		for _, ix := range []bool{true, false} {
			name := c.name + "/idx"
			if !ix {
				name = c.name + "/no-idx"
			}
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				p, blocks, all := damageFixture(t, dir, 4)
				if !ix {
					os.Remove(p + idxSuffix)
				}
				end := blocks[len(blocks)-1].off + blocks[len(blocks)-1].size()
				writeAtT(t, p, end, c.junk)
				rep, err := Verify(VerifyOptions{Dir: dir})
				if err != nil {
					t.Fatal(err)
				}
				named := false
				for _, f := range rep.Findings {
					t.Log(f.String())
					named = named || f.Offset == end && f.Bytes == int64(len(c.junk)) && strings.HasSuffix(p, f.File)
				}
				if !named {
					t.Fatalf("Verify does not name the %d bytes at %d", len(c.junk), end)
				}
				var log syncBuf
				s := openT(t, Config{Dir: dir, Logger: slogTo(&log)})
				got, dmg := scanDamaged(t, s)
				checkLoss(t, got, all, nil)
				if len(dmg) != 0 {
					t.Fatalf("damage reported for bytes that were never a block: %+v", dmg)
				}
				if dc := s.DamageCounters(); dc.TailsCut != 1 || dc.BytesCut != uint64(len(c.junk)) {
					t.Fatalf("counters %+v, want one tail of %d bytes", dc, len(c.junk))
				}
				want := "offset=" + strconv.FormatInt(end, 10) + " bytes=" + strconv.Itoa(len(c.junk))
				if !strings.Contains(log.String(), "cut torn or uncommitted shard tail") || !strings.Contains(log.String(), want) {
					t.Fatalf("log does not name the cut (%s):\n%s", want, log.String())
				}
				if st, _ := os.Stat(p); st.Size() != end {
					t.Fatalf("shard is %d bytes, want %d", st.Size(), end)
				}
			})
		}
	}
}
