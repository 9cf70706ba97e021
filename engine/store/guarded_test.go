package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// metaFault damages one copy of a metadata file.
type metaFault struct {
	name   string
	damage bool // a Verify finding is damage (else a notice: a missing copy)
	apply  func(t *testing.T, p string)
}

func metaFaults() []metaFault {
	return []metaFault{
		{"flip", true, func(t *testing.T, p string) { flipByte(t, p, 3) }},
		{"flip-checksum", true, func(t *testing.T, p string) {
			st, _ := os.Stat(p)
			flipByte(t, p, st.Size()-2)
		}},
		{"zeroed", true, func(t *testing.T, p string) {
			st, _ := os.Stat(p)
			writeAtT(t, p, 0, make([]byte, st.Size()))
		}},
		{"truncated", true, func(t *testing.T, p string) {
			st, _ := os.Stat(p)
			if err := os.Truncate(p, st.Size()/2); err != nil {
				t.Fatal(err)
			}
		}},
		{"deleted", false, func(t *testing.T, p string) {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		}},
	}
}

// metaFixture is a closed store with one entry in a well with a 2h shard duration; it
// returns the indexer UUID.
func metaFixture(t *testing.T, dir string) string {
	t.Helper()
	s := openT(t, Config{Dir: dir, ShardDuration: 2 * time.Hour})
	id := tagIDs(t, s, "a")[0]
	if err := s.Ingest([]wire.Entry{{TS: 1e18, Tag: id, Data: []byte("x")}}); err != nil {
		t.Fatal(err)
	}
	u := s.IndexerUUID()
	s.Close()
	return u
}

// TestMetadataCopyDamage: one damaged or missing copy of indexer.uuid, block.key or a WELL
// file does not stop Open: Verify names the copy, Open keeps the same UUID, key and shard
// duration, rewrites the copy (logged, counted), and a second Verify finds nothing.
func TestMetadataCopyDamage(t *testing.T) {
	files := []string{"indexer.uuid", filepath.Join("wells", "default", wellMetaName), blockKeyName}
	for _, file := range files {
		for _, which := range []string{"", copySuffix} {
			for _, fault := range metaFaults() {
				t.Run(file+which+"/"+fault.name, func(t *testing.T) {
					dir := t.TempDir()
					uuid := metaFixture(t, dir)
					key, err := os.ReadFile(filepath.Join(dir, blockKeyName))
					if err != nil {
						t.Fatal(err)
					}
					p := filepath.Join(dir, file+which)
					fault.apply(t, p)
					rep, err := Verify(VerifyOptions{Dir: dir})
					if err != nil {
						t.Fatal(err)
					}
					named := false
					for _, f := range rep.Findings {
						t.Log(f.String())
						if f.File == file+which && f.Damage == fault.damage {
							named = true
						}
					}
					if !named || len(rep.Findings) != 1 {
						t.Fatalf("Verify does not name %s alone (damage %v): %+v", file+which, fault.damage, rep.Findings)
					}
					var log syncBuf
					s := openT(t, Config{Dir: dir, Logger: slogTo(&log), ShardDuration: time.Hour})
					if s.IndexerUUID() != uuid {
						t.Fatalf("UUID %s, want %s", s.IndexerUUID(), uuid)
					}
					if d := time.Duration(s.wells[0].dur); d != 2*time.Hour {
						t.Fatalf("shard duration %v, want the 2h the well was created with", d)
					}
					if c := s.DamageCounters(); c.CopiesRepaired != 1 {
						t.Fatalf("CopiesRepaired = %d, want 1\n%s", c.CopiesRepaired, log.String())
					}
					if !strings.Contains(log.String(), "rewritten from the good copy") || !strings.Contains(log.String(), filepath.Base(p)) {
						t.Fatalf("log does not name the repaired copy:\n%s", log.String())
					}
					id, _ := s.LookupTag("a")
					if got := scanAll(t, s, ScanQuery{Tags: []uint16{id}, End: MaxTimestamp}); len(got) != 1 {
						t.Fatalf("%d entries after the repair, want 1", len(got))
					}
					s.Close()
					if k, _ := os.ReadFile(filepath.Join(dir, blockKeyName)); string(k) != string(key) {
						t.Fatal("block key changed")
					}
					if rep, err := Verify(VerifyOptions{Dir: dir}); err != nil || len(rep.Findings) != 0 {
						t.Fatalf("after the repair: %+v, %v", rep, err)
					}
				})
			}
		}
		t.Run(file+"/both-damaged", func(t *testing.T) {
			dir := t.TempDir()
			metaFixture(t, dir)
			p := filepath.Join(dir, file)
			flipByte(t, p, 3)
			flipByte(t, p+copySuffix, 3)
			rep, err := Verify(VerifyOptions{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Damaged() {
				t.Fatalf("Verify: %+v", rep.Findings)
			}
			_, err = Open(Config{Dir: dir, Logger: quietLogger()})
			if err == nil || !strings.Contains(err.Error(), "both damaged") || !strings.Contains(err.Error(), filepath.Base(file)) {
				t.Fatalf("Open with both copies damaged: %v", err)
			}
		})
	}
}

// TestMetadataLegacyUpgrade: a store written before metadata files had checksums and copies
// opens with the same UUID and shard duration, and the files are upgraded.
func TestMetadataLegacyUpgrade(t *testing.T) {
	dir := t.TempDir()
	uuid := metaFixture(t, dir)
	wellMeta := filepath.Join(dir, "wells", "default", wellMetaName)
	for _, p := range []string{filepath.Join(dir, "indexer.uuid"), wellMeta} {
		os.Remove(p + copySuffix)
	}
	if err := os.WriteFile(filepath.Join(dir, "indexer.uuid"), []byte(uuid+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wellMeta, []byte("shard-duration 7200000000000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(VerifyOptions{Dir: dir})
	if err != nil || rep.Damaged() || len(rep.Findings) != 2 {
		t.Fatalf("Verify of a legacy store: %+v, %v", rep, err)
	}
	s := openT(t, Config{Dir: dir})
	if s.IndexerUUID() != uuid || s.wells[0].dur != int64(2*time.Hour) {
		t.Fatalf("legacy store opened with UUID %s and duration %v", s.IndexerUUID(), time.Duration(s.wells[0].dur))
	}
	if c := s.DamageCounters(); c.CopiesRepaired != 0 {
		t.Fatalf("an upgrade counted as a repair: %+v", c)
	}
	s.Close()
	if rep, err := Verify(VerifyOptions{Dir: dir}); err != nil || len(rep.Findings) != 0 {
		t.Fatalf("after the upgrade: %+v, %v", rep, err)
	}
}

func TestParseGuarded(t *testing.T) {
	g := appendGuarded(nil, []byte("shard-duration 5\n"))
	if body, ok := parseGuarded(g); !ok || string(body) != "shard-duration 5\n" {
		t.Fatalf("round trip: %q %v", body, ok)
	}
	for i := range g {
		b := []byte(string(g))
		b[i] ^= 1
		if _, ok := parseGuarded(b); ok {
			t.Fatalf("flip at %d of %q accepted", i, g)
		}
	}
	for _, in := range []string{"", "\n", "crc32c 00000000\n", "x\ncrc32c 0000000\n", "shard-duration 5\n"} {
		if body, ok := parseGuarded([]byte(in)); ok && in != "crc32c 00000000\n" {
			t.Fatalf("parseGuarded(%q) = %q", in, body)
		}
	}
}

// FuzzParseGuarded: parseGuarded never panics, and what it accepts re-encodes to its input.
func FuzzParseGuarded(f *testing.F) {
	f.Add(appendGuarded(nil, []byte("shard-duration 5\n")))
	f.Add([]byte("crc32c 00000000\n"))
	f.Add([]byte("x"))
	f.Fuzz(func(t *testing.T, b []byte) {
		body, ok := parseGuarded(b)
		if ok && string(appendGuarded(nil, body)) != string(b) {
			t.Fatalf("accepted %q, re-encodes to %q", b, appendGuarded(nil, body))
		}
	})
}
