package store

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/wire"
)

func TestParseShardName(t *testing.T) {
	f := func(in string, want int64, wantOK bool) {
		t.Helper()
		got, ok := parseShardName(in)
		if got != want || ok != wantOK {
			t.Fatalf("parseShardName(%q) = %d, %v; want %d, %v", in, got, ok, want, wantOK)
		}
	}
	f(shardName(0), 0, true)
	f(shardName(1714550400000000000), 1714550400000000000, true)
	f(shardName(math.MaxInt64), math.MaxInt64, true)
	f("0000000000000000001.shard", 1, true)
	f("0000000000000000001.shard.idx", 0, false)
	f("000000000000000001.shard", 0, false)
	f("-000000000000000001.shard", 0, false)
	f("9999999999999999999.shard", 0, false)
	f("00000000000000000x1.shard", 0, false)
	f("WELL", 0, false)
}

func TestParseWellMeta(t *testing.T) {
	f := func(in string, want int64, wantOK bool) {
		t.Helper()
		got, ok := parseWellMeta([]byte(in))
		if got != want || ok != wantOK {
			t.Fatalf("parseWellMeta(%q) = %d, %v; want %d, %v", in, got, ok, want, wantOK)
		}
	}
	f("shard-duration 3600000000000\n", 3600000000000, true)
	f("shard-duration 1", 1, true)
	f("shard-duration 0\n", 0, false)
	f("shard-duration -5\n", 0, false)
	f("shard-duration 1h\n", 0, false)
	f("shard-duration 99999999999999999\n", 0, false)
	f("", 0, false)
}

func TestValidUUID(t *testing.T) {
	f := func(in string, want bool) {
		t.Helper()
		if got := validUUID(in); got != want {
			t.Fatalf("validUUID(%q) = %v", in, got)
		}
	}
	f("f71ae8ea-5659-4ed2-8e4e-d7ebad4853c6", true)
	f("F71AE8EA-5659-4ED2-8E4E-D7EBAD4853C6", true)
	f("f71ae8ea56594ed28e4ed7ebad4853c6", false)
	f("f71ae8ea-5659-4ed2-8e4e-d7ebad4853c", false)
	f("g71ae8ea-5659-4ed2-8e4e-d7ebad4853c6", false)
	f("f71ae8ea-5659-4ed2-8e4e_d7ebad4853c6", false)
	f("", false)
	for range 100 {
		if u := newUUID(); !validUUID(u) || u[14] != '4' || !strings.ContainsRune("89ab", rune(u[19])) {
			t.Fatalf("newUUID() = %q is not a version 4, variant 10 UUID", u)
		}
	}
}

// TestWellsAcrossConfigChanges: a well keeps the shard duration it was created with, a well
// dropped from the config stays searchable, and a tag rerouted to another well is found in
// both.
func TestWellsAcrossConfigChanges(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, Config{Dir: dir, ShardDuration: time.Minute, Wells: []WellConfig{{Name: "old", Tags: []string{"a"}}}})
	a := tagIDs(t, s, "a")[0]
	put := func(s *Store, ts int64) {
		t.Helper()
		if err := s.Ingest([]wire.Entry{{TS: ts, Tag: a, Data: []byte("x")}}); err != nil {
			t.Fatal(err)
		}
	}
	put(s, 1e12)
	s.Close()
	var log syncBuf
	s = openT(t, Config{Dir: dir, ShardDuration: time.Hour, Logger: slogTo(&log),
		Wells: []WellConfig{{Name: "new", Tags: []string{"a"}}}})
	put(s, 2e12)
	if w := s.wells[0]; w.dur != int64(time.Minute) {
		t.Fatalf("default well shard duration %v, want the original 1m", time.Duration(w.dur))
	}
	if !strings.Contains(log.String(), "keeps the shard duration") || !strings.Contains(log.String(), "not configured") {
		t.Fatalf("log: %s", log.String())
	}
	st := s.Stats()
	names := []string{}
	for _, w := range st {
		names = append(names, w.Name)
	}
	if strings.Join(names, ",") != "default,new,old" {
		t.Fatalf("wells %v", names)
	}
	if got := scanAll(t, s, ScanQuery{Tags: []uint16{a}, End: math.MaxInt64}); len(got) != 2 || got[0].TS != 2e12 || got[1].TS != 1e12 {
		t.Fatalf("scan across wells: %+v", got)
	}
	if st[1].Entries != 1 || st[2].Entries != 1 || len(st[1].Tags) != 1 || len(st[2].Tags) != 0 {
		t.Fatalf("stats %+v", st)
	}
}
