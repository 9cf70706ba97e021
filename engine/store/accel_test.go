package store

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/wire"
)

// TestBloomRates checks that a bloom filter never forgets a token and that its collision rate
// is near the configured one.
func TestBloomRates(t *testing.T) {
	for _, rate := range []float64{0.1, 0.01, 0.001} {
		var ab accelBuilder
		ab.reset()
		for i := 0; i < 20000; i++ {
			ab.addData([]byte("tok" + strconv.Itoa(i) + " common"))
		}
		if ab.n != 20001 {
			t.Fatalf("distinct tokens %d, want 20001", ab.n)
		}
		b := ab.build(rate)
		var scratch []byte
		for i := 0; i < 20000; i++ {
			if !b.has(tokenHash([]byte("TOK"+strconv.Itoa(i)), &scratch)) {
				t.Fatalf("rate %g: token %d forgotten", rate, i)
			}
		}
		fp := 0
		for i := 0; i < 100000; i++ {
			if b.has(tokenHash([]byte("other"+strconv.Itoa(i)), &scratch)) {
				fp++
			}
		}
		if got := float64(fp) / 100000; got > 2*rate {
			t.Errorf("rate %g: measured collision rate %g", rate, got)
		}
	}
}

func TestFilterClauses(t *testing.T) {
	var ab accelBuilder
	ab.reset()
	ab.addData([]byte("GET /items/42 user=Alice"))
	b := ab.build(0.001)
	f := func(want bool, clauses ...[][]string) {
		t.Helper()
		var fl Filter
		for _, c := range clauses {
			fl.Require(c)
		}
		if got := fl.mayMatch(b); got != want {
			t.Errorf("%q: mayMatch %v, want %v", clauses, got, want)
		}
	}
	f(true)
	f(true, [][]string{{"alice"}})
	f(true, [][]string{{"get", "42"}})
	f(false, [][]string{{"get", "43"}})
	f(true, [][]string{{"nope"}, {"items"}})
	f(false, [][]string{{"nope"}, {"nada"}})
	f(true, [][]string{{"nope"}, {}}) // an alternative without tokens matches anything
	f(false, [][]string{{"alice"}}, [][]string{{"bob"}})
	if !(*Filter)(nil).mayMatch(b) || !new(Filter).mayMatch(nil) {
		t.Error("nil filter or missing accelerator must accept")
	}
}

// TestAccelDurable checks the sidecar files: accelerators survive a reopen, a deleted or
// damaged sidecar is rebuilt from the blocks at Open, Extractor "none" builds nothing, and
// the overhead shows in WellStats.
func TestAccelDurable(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, BlockSize: 4 << 10, Logger: quietLogger(),
		Wells: []WellConfig{{Name: "plain", Tags: []string{"plain"}, Accel: AccelConfig{Extractor: "none"}}}}
	s := openT(t, cfg)
	ids := tagIDs(t, s, "x", "plain")
	var ents []wire.Entry
	for i := 0; i < 3000; i++ {
		ents = append(ents, wire.Entry{TS: 1e12 + int64(i)*1e6, Tag: ids[i%2], Data: []byte("line " + strconv.Itoa(i) + " id=" + strconv.Itoa(i*7919%100003))})
	}
	if err := s.Ingest(ents); err != nil {
		t.Fatal(err)
	}
	needle := func(s *Store, tag uint16, tok string) (ScanCounts, int) {
		var f Filter
		f.Require([][]string{{tok}})
		var c ScanCounts
		n := 0
		err := s.Scan(context.Background(), ScanQuery{Tags: []uint16{tag}, Start: 0, End: 2e12, Filter: &f, Counts: &c}, func(b []wire.Entry) error {
			for i := range b {
				if strings.Contains(string(b[i].Data), " id="+tok) {
					n++
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return c, n
	}
	check := func(s *Store, what string) {
		t.Helper()
		c, n := needle(s, ids[0], strconv.Itoa(1234*7919%100003))
		if n != 1 || c.Blocks < 10 || c.Skipped < c.Blocks-2 {
			t.Fatalf("%s: found %d, blocks %d skipped %d", what, n, c.Blocks, c.Skipped)
		}
		c, n = needle(s, ids[1], strconv.Itoa(1235*7919%100003))
		if n != 1 || c.Skipped != 0 {
			t.Fatalf("%s: well without accelerator: found %d, skipped %d", what, n, c.Skipped)
		}
	}
	check(s, "fresh")
	st := s.Stats()
	if st[0].AccelBytes <= st[0].SummaryBytes || st[0].SummaryBytes == 0 || st[1].Name != "plain" ||
		st[1].SummaryBytes == 0 || st[1].AccelBytes != st[1].SummaryBytes {
		t.Fatalf("AccelBytes: %+v", st)
	}
	s.Close()

	accs, _ := filepath.Glob(filepath.Join(dir, "wells", "default", "*"+accSuffix))
	if len(accs) == 0 {
		t.Fatal("no sidecar file")
	}
	plain, _ := filepath.Glob(filepath.Join(dir, "wells", "plain", "*"+accSuffix))
	for _, p := range plain {
		data, _ := os.ReadFile(p)
		recs, intact := parseAccFile(data)
		for off, r := range recs {
			if r.bloom != nil || r.sum == nil || !intact {
				t.Fatalf("well without accelerator: %s: block %d has bloom %v, summary %d bytes (intact %v)", p, off, r.bloom != nil, len(r.sum), intact)
			}
		}
	}
	if len(plain) == 0 {
		t.Fatal("no summaries for a well without accelerator")
	}
	before, _ := os.ReadFile(accs[0])
	log := &syncBuf{}
	cfg.Logger = slogTo(log)
	s1 := openT(t, cfg)
	check(s1, "reopened")
	s1.Close()
	if strings.Contains(log.String(), "rebuilt") {
		t.Fatalf("an intact sidecar was rebuilt: %s", log.String())
	}

	// damage: flip a byte in the middle, then delete; both are rebuilt identically
	for _, damage := range []func(){
		func() {
			b := append([]byte(nil), before...)
			b[len(b)/2] ^= 0xff
			os.WriteFile(accs[0], b, 0o644)
		},
		func() { os.Remove(accs[0]) },
		func() { os.WriteFile(accs[0], before[:len(before)-5], 0o644) },
	} {
		damage()
		log = &syncBuf{}
		cfg.Logger = slogTo(log)
		s2 := openT(t, cfg)
		check(s2, "rebuilt")
		s2.Close()
		if !strings.Contains(log.String(), "rebuilt shard accelerators") {
			t.Fatalf("damaged sidecar not reported: %s", log.String())
		}
		after, err := os.ReadFile(accs[0])
		if err != nil || string(after) != string(before) {
			t.Fatalf("rebuilt sidecar differs (%d vs %d bytes, %v)", len(after), len(before), err)
		}
	}
}

func TestAccelConfigErrors(t *testing.T) {
	for _, c := range []struct {
		accel AccelConfig
		want  string
	}{
		{AccelConfig{Extractor: "json"}, `Config.Wells[0].Accel.Extractor: unsupported extractor "json"`},
		{AccelConfig{Engine: "index"}, `Config.Wells[0].Accel.Engine: unsupported engine "index"`},
		{AccelConfig{CollisionRate: 0.9}, `Config.Wells[0].Accel.CollisionRate: 0.9 out of range`},
		{AccelConfig{CollisionRate: -1}, `CollisionRate: -1 out of range`},
	} {
		_, err := Open(Config{Dir: t.TempDir(), Wells: []WellConfig{{Name: "w", Tags: []string{"w"}, Accel: c.accel}}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err %v, want %q", c.accel, err, c.want)
		}
	}
}
