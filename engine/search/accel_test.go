package search

import (
	"context"
	"fmt"
	"math/rand"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine/store"
	"github.com/sluicehq/sluice/wire"
)

func TestGrepTokens(t *testing.T) {
	f := func(pattern string, fold bool, want ...string) {
		t.Helper()
		g := compileGrep(decodeEscapes(pattern, true), false, fold)
		if got := g.tokens(); !slices.Equal(got, want) {
			t.Errorf("tokens(%q) = %q, want %q", pattern, got, want)
		}
	}
	f(`items/1234567?`, false) // '?' may extend the number
	f(`/items/1234567 `, false, "items", "1234567")
	f(`items`, false)                        // may be part of a longer token
	f(` GET /a?b/c `, true, "get", "c")      // folded; "a" and "b" touch the '?'
	f(` user=bob*id=7 `, false, "user", "7") // '*' splits pieces: "bob" and "id" touch piece ends
	f(`"host":"web-1"`, false, "host", "web", "1")
	f(` é `, false, "é")
	f(`a\x00b\x00c`, false, "b")
	f(`-`, false)
}

// accelEntries makes n entries with rare tokens (request IDs, users) and common ones, in
// time order over the test hour.
func accelEntries(n int, seed int64) []wire.Entry {
	r := rand.New(rand.NewSource(seed))
	words := []string{"GET", "POST", "alpha", "Beta", "gamma", "délai", "x_y", "ERROR", "warn"}
	ents := make([]wire.Entry, n)
	for i := range ents {
		ts := tStart + int64(i)*int64(time.Hour)/int64(n) + r.Int63n(1000)
		line := fmt.Sprintf("%s req=%d user=u%d path=/items/%d %s code=%d",
			words[r.Intn(len(words))], r.Intn(1_000_000), r.Intn(500), r.Intn(100_000), words[r.Intn(len(words))], 100+r.Intn(5))
		ents[i] = wire.Entry{TS: ts, Tag: 1, Data: []byte(line)}
	}
	return ents
}

// TestAccelEqualsPlain is the property test of the accelerators: generated grep queries over
// generated data in a real store (small blocks, each with its bloom filter) give exactly the
// same output with and without acceleration, on 1 and 2 workers; needle queries skip blocks.
func TestAccelEqualsPlain(t *testing.T) {
	st, err := store.Open(store.Config{Dir: t.TempDir(), BlockSize: 4 << 10, ScanBatch: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tag, err := st.TagID("acc")
	if err != nil {
		t.Fatal(err)
	}
	ents := accelEntries(8000, 11)
	for i := range ents {
		ents[i].Tag = tag
	}
	for lo := 0; lo < len(ents); lo += 1000 {
		if err := st.Ingest(ents[lo : lo+1000]); err != nil {
			t.Fatal(err)
		}
	}
	r := rand.New(rand.NewSource(12))
	pick := func() string { // a literal taken from a random entry, sometimes mangled
		d := string(ents[r.Intn(len(ents))].Data)
		a := r.Intn(len(d))
		b := min(len(d), a+1+r.Intn(24))
		s := d[a:b]
		switch r.Intn(6) {
		case 0:
			s = strings.ToUpper(s)
		case 1:
			s = strings.Replace(s, "1", "?", 1)
		case 2:
			s = "req=" + fmt.Sprint(r.Intn(1_000_000)) + " "
		case 3:
			s = " u" + fmt.Sprint(r.Intn(600)) + " "
		}
		return s
	}
	queries := []string{
		`tag=acc grep "req=424242 "`, // (probably) absent: every block can be skipped
		fmt.Sprintf(`tag=acc grep " %s "`, strings.Fields(string(ents[4321].Data))[1]), // one entry's request ID
	}
	for range 60 {
		var b strings.Builder
		b.WriteString("tag=acc grep")
		for _, fl := range []string{"-i", "-s", "-v"} {
			if r.Intn(4) == 0 {
				b.WriteString(" " + fl)
			}
		}
		for n := 1 + r.Intn(2); n > 0; n-- {
			fmt.Fprintf(&b, " %q", pick())
		}
		switch r.Intn(4) {
		case 1:
			fmt.Fprintf(&b, " | grep %q", pick())
		case 2:
			b.WriteString(" | kv code | count by code")
		case 3:
			b.WriteString(" | limit 5")
		}
		queries = append(queries, b.String())
	}
	skipped := 0
	for _, query := range queries {
		q, _, counts := accelRuns(t, st, query, []uint16{tag})
		if counts.Blocks == 0 {
			t.Fatalf("%s: the scan considered no blocks", query)
		}
		skipped += int(counts.Skipped)
		if query == queries[0] || query == queries[1] {
			var counts store.ScanCounts
			if err := q.Run(context.Background(), st, &memSink{}, nil, RunOptions{Tags: []uint16{tag}, Start: tStart, End: tEnd, Counts: &counts}); err != nil {
				t.Fatal(err)
			}
			if counts.Skipped < counts.Blocks*9/10 {
				t.Errorf("%s: skipped %d of %d blocks, want at least 90%%", query, counts.Skipped, counts.Blocks)
			}
		}
	}
	if skipped == 0 {
		t.Fatal("no query skipped a block")
	}
}

// accelRegex is the regex well's pattern: host and code of the kv lines.
const accelRegex = `host=(?P<host>\S*) .*code=(?P<code>\S+)`

// fieldAccelStore opens a store with one well per named-field extractor (kv, json, syslog,
// csv), the default fulltext well and a well without accelerator, and fills it with generated
// entries of every format in every well, with values chosen to trip the accelerators: JSON
// escapes, quoted kv values, numbers written several ways, case differences, IP-looking
// hosts, empty values, and sources from a small set.
func fieldAccelStore(t testing.TB, n int, seed int64) (*store.Store, []uint16, func(r *rand.Rand) string) {
	st, err := store.Open(store.Config{Dir: t.TempDir(), BlockSize: 2 << 10, ScanBatch: 64, Wells: []store.WellConfig{
		{Name: "kvw", Tags: []string{"kvw"}, Accel: store.AccelConfig{Extractor: "kv", Fields: []string{"host", "user", "code"}, Quoted: true}},
		{Name: "jw", Tags: []string{"jw"}, Accel: store.AccelConfig{Extractor: "json", Fields: []string{"host", "code", "a.b", "ok"}}},
		{Name: "sw", Tags: []string{"sw"}, Accel: store.AccelConfig{Extractor: "syslog", Fields: []string{"Hostname", "Appname", "Severity", "Structured[ex@1].k"}}},
		{Name: "cw", Tags: []string{"cw"}, Accel: store.AccelConfig{Extractor: "csv", Fields: []string{"host", "[2]"}, Header: "ts,host,code"}},
		{Name: "nw", Tags: []string{"nw"}, Accel: store.AccelConfig{Extractor: "none"}},
		{Name: "rw", Tags: []string{"rw"}, Accel: store.AccelConfig{Extractor: "regex", Pattern: accelRegex}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var tags []uint16
	for _, name := range []string{"kvw", "jw", "sw", "cw", "fw", "nw", "rw"} {
		id, err := st.TagID(name)
		if err != nil {
			t.Fatal(err)
		}
		tags = append(tags, id)
	}
	hosts := []string{"web1", "WEB1", "db-2", "10.0.0.5", "::ffff:10.0.0.5", "2001:db8::5", "2001:DB8:0::5", "web1.example.com", "", "h7", "h8", "h9", "h10", "h11"}
	codes := []string{"404", "404.0", "4.04e2", "007", "7", "-0", "0", "500", "x404", "true"}
	users := []string{"bob smith", "bob", `b\"q`, "eve", "Eve"}
	apps := []string{"sshd", "cron", "su", "app-1"}
	msgs := []string{"hello", "bye now"}
	r := rand.New(rand.NewSource(seed))
	pick := func(r *rand.Rand, s []string) string { return s[r.Intn(len(s))] }
	jsonEsc := func(s string) string { // escapes some letters as \u00XX
		var b strings.Builder
		for _, c := range []byte(s) {
			if c >= 'a' && c <= 'z' && r.Intn(3) == 0 {
				fmt.Fprintf(&b, `\u%04x`, c)
			} else if c == '"' || c == '\\' {
				b.WriteString(`\` + string(c))
			} else {
				b.WriteByte(c)
			}
		}
		return b.String()
	}
	// line formats an entry: kv, json, syslog or csv (form 0..3)
	line := func(i, form int) string {
		h, c, u := pick(r, hosts), pick(r, codes), pick(r, users)
		if i%1000 < 30 { // rare hosts in runs: n0, n1, ...
			h = "n" + strconv.Itoa(i/1000)
		}
		switch form {
		case 0:
			return fmt.Sprintf(`t=1 host=%s user="%s" code=%s id=%d`, h, u, c, r.Intn(1e6))
		case 1:
			code := c
			if r.Intn(2) == 0 {
				code = `"` + c + `"`
			}
			return fmt.Sprintf(`{"host":"%s","code":%s,"a":{"b":"%s"},"ok":%v,"id":%d}`, jsonEsc(h), code, jsonEsc(u), r.Intn(2) == 0, r.Intn(1e6))
		case 2:
			msg := pick(r, msgs)
			if msg == "hello" { // its BOM (dropped by the parser) makes "\xEF\xBB\xBFhello" one token
				msg = "\xEF\xBB\xBF" + msg
			}
			return fmt.Sprintf(`<%d>1 2024-05-01T09:00:00Z %s %s %d - [ex@1 k="%s"] %s`, r.Intn(192), h, pick(r, apps), r.Intn(100), u, msg)
		}
		return fmt.Sprintf(`%d, %s ,%s,"%s"`, r.Intn(1e6), h, c, strings.ReplaceAll(u, `"`, `""`))
	}
	srcs := []netip.Addr{{}, netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("::ffff:10.0.0.3"), netip.MustParseAddr("2001:db8::1")}
	ents := make([]wire.Entry, n)
	for i := range ents {
		k, form := r.Intn(len(tags)), r.Intn(4)
		if i%1000 < 30 && k < 4 { // the rare hosts are in their well's format
			form = k
		}
		if i%1000 < 30 && k == 6 { // regex: kv lines
			form = 0
		}
		ents[i] = wire.Entry{TS: tStart + int64(i)*int64(time.Hour)/int64(n), Tag: tags[k], Data: []byte(line(i, form))}
		// sources and hosts come in runs, so needles by either skip blocks
		ents[i].SRC = srcs[(i/300+r.Intn(2))%len(srcs)]
		if i%700 < 50 {
			ents[i].SRC = netip.MustParseAddr("192.168.7." + fmt.Sprint(i/700))
		}
	}
	for lo := 0; lo < len(ents); lo += 1000 {
		if err := st.Ingest(ents[lo:min(lo+1000, len(ents))]); err != nil {
			t.Fatal(err)
		}
	}
	query := func(r *rand.Rand) string {
		v := func(s []string) string { return strconv.Quote(pick(r, s)) }
		var mods []string
		for range 1 + r.Intn(2) {
			switch r.Intn(11) {
			case 0:
				mods = append(mods, "kv -q host=="+v(hosts)+" user=="+v(users))
			case 1:
				mods = append(mods, "kv host=="+v(hosts), "kv -q code=="+v(codes))
			case 2:
				mods = append(mods, "json host=="+v(hosts)+" code=="+v(codes))
			case 3:
				mods = append(mods, "json a.b=="+v(users), "json ok=="+v([]string{"true", "false"}))
			case 4:
				mods = append(mods, "syslog Hostname=="+v(hosts)+" Appname=="+v(apps))
			case 5:
				mods = append(mods, "syslog Severity=="+v([]string{"3", "3.0", "x"})+" Structured[ex@1].k=="+v(users))
				mods = append(mods, "syslog Message=="+v(msgs))
			case 6:
				mods = append(mods, `csv -h "ts,host,code" host==`+v(hosts), "csv [2]=="+v(codes))
			case 7:
				mods = append(mods, "src "+pick(r, []string{"10.0.0.1", "10.0.0.3", "::ffff:10.0.0.2", "2001:db8::1", "192.168.7.3"}))
			case 8:
				mods = append(mods, "src "+pick(r, []string{"-v 10.0.0.1", "10.0.0.0/30", "10.0.0.1 192.168.7.5"}))
			case 9:
				mods = append(mods, "regex "+strconv.Quote(accelRegex)+" host=="+v(hosts)+" code=="+v(codes))
			default:
				mods = append(mods, "kv -q -d \" ,\" user=="+v(users), "grep -v "+v(users))
			}
		}
		q := "tag=* " + strings.Join(mods, " | ")
		switch r.Intn(3) {
		case 1:
			q += " | count by TAG"
		case 2:
			q += " | limit 7"
		}
		return q
	}
	return st, tags, query
}

// TestAccelFieldsEqualPlain is the property test of named-field, `==` and src block filters:
// generated queries over generated data in wells of every extractor give exactly the same
// output with and without acceleration, on 1 and 2 workers, and field needles skip blocks.
func TestAccelFieldsEqualPlain(t *testing.T) {
	st, tags, gen := fieldAccelStore(t, 12000, 21)
	r := rand.New(rand.NewSource(22))
	// needles first: each with the one well it targets (kvw, jw, sw, cw, all, fw, rw)
	queries := []string{
		`kv -q host=="n3"`, `json host=="n3"`, `syslog Hostname=="n3"`,
		`csv -h "ts,host,code" host==n3`, `src 192.168.7.3`, `kv host==n3`,
		"regex " + strconv.Quote(accelRegex) + " host==n3",
	}
	needleTags := [][]uint16{{tags[0]}, {tags[1]}, {tags[2]}, {tags[3]}, tags, {tags[4]}, {tags[6]}}
	for range 80 {
		queries = append(queries, gen(r))
	}
	skipped := 0
	for qi, query := range queries {
		opt := tags
		if qi < len(needleTags) {
			opt = needleTags[qi]
		}
		_, want, counts := accelRuns(t, st, query, opt)
		skipped += int(counts.Skipped)
		if qi < len(needleTags) {
			if counts.Skipped < counts.Blocks*8/10 {
				t.Errorf("%s: skipped %d of %d blocks, want at least 80%%", query, counts.Skipped, counts.Blocks)
			}
			if len(want) == 0 {
				t.Errorf("%s: no entries: the needle tests nothing", query)
			}
		}
	}
	if skipped == 0 {
		t.Fatal("no query skipped a block")
	}
}

// accelRuns runs query over tags without acceleration on one worker, then with it on one and
// two workers and without it on two, and fails unless all four give the same output and the
// unaccelerated runs skip nothing. It returns the parsed query, the output and the scan
// counts of the accelerated one-worker run.
func accelRuns(t *testing.T, st *store.Store, query string, tags []uint16) (*Query, []outEntry, store.ScanCounts) {
	t.Helper()
	q, err := Parse(query)
	if err != nil {
		t.Fatalf("Parse(%q): %v", query, err)
	}
	var want []outEntry
	var accel store.ScanCounts
	for i, c := range []struct {
		workers int
		noAccel bool
	}{{1, true}, {1, false}, {2, false}, {2, true}} {
		sink := &memSink{}
		var counts store.ScanCounts
		opt := RunOptions{Tags: tags, Start: tStart, End: tEnd, Workers: c.workers, NoAccel: c.noAccel, Counts: &counts}
		if err := q.Run(context.Background(), st, sink, nil, opt); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		if c.noAccel && counts.Skipped != 0 {
			t.Fatalf("%s: NoAccel skipped %d blocks", query, counts.Skipped)
		}
		if i == 1 {
			accel = counts
		}
		if i == 0 {
			want = sink.out
			continue
		}
		if msg := diffOut(want, sink.out); msg != "" {
			t.Fatalf("%s (workers %d, accel %v): %s", query, c.workers, !c.noAccel, msg)
		}
	}
	return q, want, accel
}
