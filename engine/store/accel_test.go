package store

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/engine/extract"
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

// TestAccelDurable checks the sidecar files, of a fulltext and of a kv field accelerator:
// accelerators survive a reopen, a deleted or damaged sidecar is rebuilt from the blocks at
// Open, Extractor "none" builds nothing, and the overhead shows in WellStats.
func TestAccelDurable(t *testing.T) {
	t.Run("fulltext", func(t *testing.T) { testAccelDurable(t, AccelConfig{}, FulltextTerm) })
	t.Run("kv", func(t *testing.T) {
		testAccelDurable(t, AccelConfig{Extractor: "kv", Fields: []string{"id"}}, KVSpace(extract.KV{}, "id").Value)
	})
}

func testAccelDurable(t *testing.T, accel AccelConfig, term func(string) Term) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, BlockSize: 4 << 10, Logger: quietLogger(),
		Wells: []WellConfig{{Name: DefaultWell, Accel: accel}, {Name: "plain", Tags: []string{"plain"}, Accel: AccelConfig{Extractor: "none"}}}}
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
		f.RequireTerms([][]Term{{term(tok)}})
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
		{AccelConfig{Extractor: "xml"}, `Config.Wells[0].Accel.Extractor: unsupported extractor "xml"`},
		{AccelConfig{Extractor: "json"}, `Config.Wells[0].Accel.Fields: the json extractor needs at least one field`},
		{AccelConfig{Extractor: "json", Fields: []string{"a..b"}}, `Config.Wells[0].Accel.Fields[0]: "a..b": bad JSON path`},
		{AccelConfig{Extractor: "kv", Fields: []string{"host", "host"}}, `Config.Wells[0].Accel.Fields[1]: duplicate field "host"`},
		{AccelConfig{Extractor: "kv", Fields: []string{"host", ""}}, `Config.Wells[0].Accel.Fields[1]: empty field name`},
		{AccelConfig{Fields: []string{"host"}}, `Config.Wells[0].Accel.Fields: the fulltext extractor takes no fields`},
		{AccelConfig{Extractor: "syslog", Fields: []string{"Hostname", "Host"}}, `Config.Wells[0].Accel.Fields[1]: "Host": unknown syslog field`},
		{AccelConfig{Extractor: "syslog", Fields: []string{"Timestamp"}}, `Accel.Fields[0]: "Timestamp": timestamps cannot be indexed`},
		{AccelConfig{Extractor: "csv", Fields: []string{"host"}}, `Config.Wells[0].Accel.Fields[0]: "host": expected a column as [N] or a name from the header`},
		{AccelConfig{Extractor: "csv", Fields: []string{"[x]"}, Header: "a,b"}, `Accel.Fields[0]: "[x]": expected a column`},
		{AccelConfig{Extractor: "kv", Fields: []string{"a"}, Header: "a,b"}, `Config.Wells[0].Accel.Header: only the csv extractor takes a header`},
		{AccelConfig{Extractor: "regex"}, `Config.Wells[0].Accel.Pattern: the regex extractor needs a pattern`},
		{AccelConfig{Extractor: "regex", Pattern: "a("}, `Config.Wells[0].Accel.Pattern: bad regular expression`},
		{AccelConfig{Extractor: "regex", Pattern: "a+"}, `Config.Wells[0].Accel.Pattern: no named groups`},
		{AccelConfig{Extractor: "regex", Pattern: "(?P<u>a+)", Fields: []string{"v"}}, `Config.Wells[0].Accel.Fields[0]: "v": no such named group`},
		{AccelConfig{Extractor: "regex", Pattern: "(?P<u>a+)|(?P<u>b)"}, `Config.Wells[0].Accel.Pattern: two groups are named "u"`},
		{AccelConfig{Extractor: "regex", Pattern: "(?P<u>a+)|(?P<u>b)", Fields: []string{"u"}}, `Config.Wells[0].Accel.Fields[0]: "u": the pattern names two groups so`},
		{AccelConfig{Extractor: "json", Fields: []string{"a"}, Quoted: true}, `Config.Wells[0].Accel.Delimiters: delimiters, separator and quoted are kv extractor options`},
		{AccelConfig{Extractor: "kv", Fields: make([]string, 65)}, `Config.Wells[0].Accel.Fields: 65 fields, more than 64`},
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

// TestAccelFields checks every named-field extractor: a block holds the terms of the values
// the query modules would extract (JSON escapes decoded, kv and csv quotes removed, numbers
// by value), a block without the value is excluded, SRC is indexed, and terms of spaces the
// well does not index never exclude a block.
func TestAccelFields(t *testing.T) {
	src := netip.MustParseAddr("10.1.2.3")
	f := func(cfg AccelConfig, data string, hit, miss []Term) {
		t.Helper()
		if err := cfg.check("test"); err != nil {
			t.Fatal(err)
		}
		var ab accelBuilder
		ab.reset()
		ab.addEntry(cfg.spec, &wire.Entry{TS: 1e18, SRC: src, Data: []byte(data)})
		b := ab.build(0.0001)
		b.spec = cfg.spec
		hit = append(hit, SrcTerm(src), SrcTerm(netip.MustParseAddr("::ffff:10.1.2.3")))
		if cfg.Extractor != "fulltext" {
			hit = append(hit, FulltextTerm("zzzunindexed"))
		}
		for _, term := range hit {
			var fl Filter
			fl.RequireTerms([][]Term{{term}})
			if !fl.mayMatch(b) {
				t.Errorf("%s %q: term %+v excluded", cfg.Extractor, data, term)
			}
		}
		for _, term := range append(miss, SrcTerm(netip.MustParseAddr("10.1.2.4"))) {
			var fl Filter
			fl.RequireTerms([][]Term{{term}})
			if fl.mayMatch(b) {
				t.Errorf("%s %q: term %+v not excluded", cfg.Extractor, data, term)
			}
		}
	}
	js := JSONSpace("host")
	f(AccelConfig{Extractor: "json", Fields: []string{"host", "n", "a.b", "ok"}},
		`{"host":"w\u0065b1","n":404.0,"a":{"b":"X Y"},"ok":true}`,
		[]Term{js.Value("web1"), js.Value("WEB1"), JSONSpace("n").Number(404), JSONSpace("a.b").Value("x y"), JSONSpace("ok").Value("true")},
		[]Term{js.Value("web2"), js.Value("w\\u0065b1"), JSONSpace("n").Number(405), JSONSpace("a.b").Value("x")})
	kv := KVSpace(extract.KV{}, "user")
	f(AccelConfig{Extractor: "kv", Fields: []string{"user", "code"}, Quoted: true},
		`user="bob smith" code=007 user=eve`,
		[]Term{KVSpace(extract.KV{Quoted: true}, "user").Value("bob smith"),
			KVSpace(extract.KV{Quoted: true}, "code").Value("007"), KVSpace(extract.KV{Quoted: true}, "code").Number(7)},
		// the kv module reads a key's first pair only
		[]Term{KVSpace(extract.KV{Quoted: true}, "user").Value("bob"), KVSpace(extract.KV{Quoted: true}, "user").Value("eve")})
	ip := KVSpace(extract.KV{}, "ip")
	f(AccelConfig{Extractor: "kv", Fields: []string{"ip", "ip6"}}, `ip=::ffff:10.0.0.1 ip6=2001:DB8::1`,
		[]Term{ip.IP(netip.MustParseAddr("10.0.0.1")), KVSpace(extract.KV{}, "ip6").IP(netip.MustParseAddr("2001:db8:0::1")), ip.Value("::FFFF:10.0.0.1")},
		[]Term{ip.IP(netip.MustParseAddr("10.0.0.2")), ip.Value("10.0.0.1")})
	// a kv module with other options reads another space: never excluded
	f(AccelConfig{Extractor: "kv", Fields: []string{"user"}}, `user=bob`, []Term{kv.Value("bob"), KVSpace(extract.KV{Sep: ":"}, "user").Value("x")}, []Term{kv.Value("eve")})
	f(AccelConfig{Extractor: "syslog", Fields: []string{"Hostname", "Appname", "Severity", "Structured[ex@1].k"}},
		`<34>1 2024-01-02T03:04:05Z web1 sshd 42 ID7 [ex@1 k="v\"1"] hello`,
		[]Term{SyslogSpace("Hostname").Value("web1"), SyslogSpace("Appname").Value("sshd"), SyslogSpace("Severity").Number(2), SyslogSpace("Structured[ex@1].k").Value(`v"1`)},
		[]Term{SyslogSpace("Hostname").Value("web2"), SyslogSpace("Severity").Number(3)})
	f(AccelConfig{Extractor: "csv", Fields: []string{"host", "[2]"}, Header: "ts,host,bytes"},
		`2024, "we""b1" ,1e3`,
		[]Term{CSVSpace(1).Value(`we"b1`), CSVSpace(2).Number(1000), CSVSpace(2).Value("1e3")},
		[]Term{CSVSpace(1).Value("web1"), CSVSpace(2).Number(100)})
	re := `user=(?P<user>\w+) id=(?P<id>\d+)`
	f(AccelConfig{Extractor: "regex", Pattern: re}, `user=bob id=0042`,
		[]Term{RegexSpace(re, "user").Value("bob"), RegexSpace(re, "id").Number(42)},
		[]Term{RegexSpace(re, "user").Value("eve")})
	f(AccelConfig{}, `GET /x user=bob`, []Term{FulltextTerm("bob"), kv.Value("eve")}, []Term{FulltextTerm("eve")})
}

// TestAccelSpecChange checks that changing a well's accelerator rebuilds its sidecars at
// Open (a bloom filter built for another spec cannot answer the new spec's terms), that an
// unchanged spec does not, and that verify checks the records against the recorded spec.
func TestAccelSpecChange(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, BlockSize: 2 << 10, Logger: quietLogger()}
	s := openT(t, cfg)
	ids := tagIDs(t, s, "x")
	var ents []wire.Entry
	for i := 0; i < 2000; i++ {
		ents = append(ents, wire.Entry{TS: 1e12 + int64(i)*1e6, Tag: ids[0], SRC: netip.AddrFrom4([4]byte{10, 0, byte(i / 256), byte(i)}),
			Data: []byte("line " + strconv.Itoa(i) + " host=h" + strconv.Itoa(i/100) + " user=u" + strconv.Itoa(i))})
	}
	if err := s.Ingest(ents); err != nil {
		t.Fatal(err)
	}
	s.Close()
	scan := func(s *Store, term Term) (ScanCounts, int) {
		var f Filter
		f.RequireTerms([][]Term{{term}})
		var c ScanCounts
		n := 0
		err := s.Scan(context.Background(), ScanQuery{Tags: ids, Start: 0, End: 2e12, Filter: &f, Counts: &c}, func(b []wire.Entry) error {
			n += len(b)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return c, n
	}
	user := KVSpace(extract.KV{}, "user")
	for round, accel := range []AccelConfig{
		{Extractor: "kv", Fields: []string{"user"}},
		{Extractor: "kv", Fields: []string{"user"}},
		{},
		{Extractor: "none"},
		{Extractor: "kv", Fields: []string{"user"}},
	} {
		log := &syncBuf{}
		cfg.Logger = slogTo(log)
		cfg.Wells = []WellConfig{{Name: DefaultWell, Accel: accel}}
		s := openT(t, cfg)
		rebuilt := strings.Contains(log.String(), "spec_changed=true")
		if rebuilt == (round == 1) {
			t.Fatalf("round %d (%+v): rebuilt %v: %s", round, accel, rebuilt, log.String())
		}
		c, n := scan(s, user.Value("u1234"))
		switch accel.Extractor {
		case "kv":
			if c.Skipped < c.Blocks-3 || n == 0 || n > 3*len(ents)/int(c.Blocks) {
				t.Fatalf("round %d: kv needle: blocks %d skipped %d, %d entries read", round, c.Blocks, c.Skipped, n)
			}
		default:
			if c.Skipped != 0 || n != len(ents) {
				t.Fatalf("round %d: a %q well skipped %d blocks on a kv term", round, accel.Extractor, c.Skipped)
			}
		}
		if c, _ := scan(s, SrcTerm(netip.AddrFrom4([4]byte{10, 0, 3, 0xe8}))); accel.Extractor != "none" && c.Skipped < c.Blocks-3 {
			t.Fatalf("round %d: src needle: blocks %d skipped %d", round, c.Blocks, c.Skipped)
		}
		s.Close()
		rep, err := Verify(VerifyOptions{Dir: dir})
		if err != nil || len(rep.Findings) != 0 {
			t.Fatalf("round %d: verify: %+v %v", round, rep.Findings, err)
		}
	}
}

// FuzzAccelConfig compiles arbitrary accelerator configurations (JSON paths, csv headers and
// columns, regular expressions, kv options) and indexes arbitrary data with the ones that
// compile: no panic, and for kv every value extract.KV.Lookup finds is in the bloom filter.
func FuzzAccelConfig(f *testing.F) {
	f.Add("kv", "user", "", "", `user="a b" x=1`)
	f.Add("json", "a.b", "", "", `{"a":{"b":"\u0041"}}`)
	f.Add("csv", "host", "ts,host", "", `1,"h""x"`)
	f.Add("regex", "", "", `(?P<u>\w+)=(?P<v>\d+)`, `abc=12`)
	f.Add("syslog", "Structured[a@1].k", "", "", `<13>1 - h a - - [a@1 k="v"] m`)
	f.Fuzz(func(t *testing.T, extractor, field, header, pattern, data string) {
		c := AccelConfig{Extractor: extractor, Header: header, Pattern: pattern}
		if field != "" {
			c.Fields = []string{field}
		}
		if c.check("fuzz") != nil {
			return
		}
		var ab accelBuilder
		ab.reset()
		e := wire.Entry{TS: 1e18, Data: []byte(data)}
		ab.addEntry(c.spec, &e)
		b := ab.build(0.01)
		b.spec = c.spec
		if extractor == "kv" {
			if v, ok := c.spec.kv.Lookup(e.Data, field); ok {
				var fl Filter
				fl.RequireTerms([][]Term{{KVSpace(c.spec.kv, field).Value(string(v))}})
				if !fl.mayMatch(b) {
					t.Fatalf("kv %q=%q of %q excluded", field, v, data)
				}
			}
		}
	})
}
