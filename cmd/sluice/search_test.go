package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/search"
	"github.com/sluicehq/sluice/engine/server"
	"github.com/sluicehq/sluice/engine/store"
	"github.com/sluicehq/sluice/wire"
)

// testServer is a real engine on loopback.
type testServer struct {
	URL string
	eng *engine.Engine
}

// startServer runs a real engine with cfg on loopback (a temporary store unless cfg names one).
func startServer(t *testing.T, cfg engine.Config) *testServer {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	eng, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(eng.Handler())
	t.Cleanup(func() { srv.Close(); eng.Close() })
	return &testServer{URL: srv.URL, eng: eng}
}

// ingest stores one entry per line under tag, one second apart, the last a second before now.
func (s *testServer) ingest(t *testing.T, tag string, lines ...string) {
	t.Helper()
	id, err := s.eng.TagID(tag)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	batch := make([]wire.Entry, len(lines))
	for i, l := range lines {
		batch[i] = wire.Entry{TS: now.Add(-time.Duration(len(lines)-i) * time.Second).UnixNano(), Tag: id, Data: []byte(l)}
	}
	if err := s.eng.Ingest(batch); err != nil {
		t.Fatal(err)
	}
}

// startEngine runs a real engine on loopback holding n entries tagged app, one per second
// from an hour ago, with JSON bodies {"i":i,"host":"h<i%3>"}.
func startEngine(t *testing.T, n int) (url string) {
	t.Helper()
	s := startServer(t, engine.Config{})
	tag, err := s.eng.TagID("app")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Hour)
	batch := make([]wire.Entry, n)
	for i := range batch {
		batch[i] = wire.Entry{TS: start.Add(time.Duration(i) * time.Second).UnixNano(), Tag: tag,
			Data: []byte(fmt.Sprintf(`{"i":%d,"host":"h%d"}`, i, i%3))}
	}
	if err := s.eng.Ingest(batch); err != nil {
		t.Fatal(err)
	}
	return s.URL
}

// cliResult is what one run of the real command code printed and its exit code.
type cliResult struct {
	stdout, stderr string
	code           int
}

// sluice runs "sluice -server URL ARGS..." in-process, exactly as main does, and returns what
// it printed and its exit code.
func sluice(t *testing.T, url string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return sluiceCtx(ctx, url, args...)
}

func sluiceCtx(ctx context.Context, url string, args ...string) cliResult {
	var out, errOut lockedBuffer
	g := &globalFlags{Stdout: &out, Stderr: &errOut}
	err := run(ctx, append([]string{"-server", url}, args...), g)
	code := report(err, &errOut)
	return cliResult{out.String(), errOut.String(), code}
}

// runCLI runs a command that must succeed and returns its stdout.
func runCLI(t *testing.T, url string, args ...string) string {
	t.Helper()
	r := sluice(t, url, args...)
	if r.code != 0 {
		t.Fatalf("sluice %s: exit %d, stderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

func TestSearchCommandFormats(t *testing.T) {
	url := startEngine(t, 2500)
	// ndjson pages through everything (several REQ_GET_ENTRIES pages) newest first.
	out := runCLI(t, url, "search", "--format", "ndjson", "--page", "1000", "tag=app")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2500 {
		t.Fatalf("ndjson: %d lines, want 2500", len(lines))
	}
	var first struct {
		TS, SRC, Tag, Data string
		Enumerated         map[string]any
	}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first.Tag != "app" || first.Data != `{"i":2499,"host":"h0"}` {
		t.Fatalf("first ndjson line: %+v", first)
	}
	// --limit stops early; the table has a header.
	out = runCLI(t, url, "search", "--limit", "5", "tag=app")
	if n := strings.Count(out, "\n"); n != 6 || !strings.HasPrefix(out, "TS") {
		t.Fatalf("table with limit 5:\n%s", out)
	}
	// A condensing query in csv; -o is the short form of -format.
	out = runCLI(t, url, "search", "-o", "csv", "tag=app json host | count by host | table host count")
	if !strings.HasPrefix(out, "host,count\n") || strings.Count(out, "\n") != 4 {
		t.Fatalf("csv table:\n%s", out)
	}
	for _, h := range []string{"h0,834", "h1,833", "h2,833"} {
		if !strings.Contains(out, h+"\n") {
			t.Errorf("csv table lacks %q:\n%s", h, out)
		}
	}
	// NDJSON keeps types: the count is a number, the host a string; enumerated values too.
	out = runCLI(t, url, "search", "-o", "ndjson", "tag=app json host | count by host | table host count")
	if !strings.Contains(out, `{"host":"h0","count":834}`) {
		t.Errorf("ndjson table does not keep types:\n%s", out)
	}
	out = runCLI(t, url, "search", "-o", "ndjson", "--limit", "1", "tag=app json i host")
	if !strings.Contains(out, `"Enumerated":{"i":2499,"host":"h0"}`) {
		t.Errorf("ndjson entry does not keep enumerated types:\n%s", out)
	}
}

// TestStreamSameShapeAsSearch checks that stream and search -o ndjson print the same objects,
// and that -wire keeps the protocol's form.
func TestStreamSameShapeAsSearch(t *testing.T) {
	url := startEngine(t, 1500)
	searchOut := runCLI(t, url, "search", "-o", "ndjson", "--timezone", "UTC", "tag=app json i")
	streamOut := runCLI(t, url, "stream", "--timezone", "UTC", "tag=app json i")
	a, b := strings.Split(searchOut, "\n"), strings.Split(streamOut, "\n")
	if len(a) != 1501 || len(b) != 1501 {
		t.Fatalf("search printed %d lines, stream %d; want 1500 each", len(a)-1, len(b)-1)
	}
	seen := map[string]bool{}
	for _, l := range a {
		seen[l] = true
	}
	for _, l := range b {
		if !seen[l] {
			t.Fatalf("stream line not printed by search -o ndjson:\n%s\nsearch's first: %s", l, a[0])
		}
	}
	wireOut := runCLI(t, url, "stream", "--wire", "tag=app")
	var e struct {
		Data string
		Tag  int
	}
	if err := json.Unmarshal([]byte(strings.SplitN(wireOut, "\n", 2)[0]), &e); err != nil || e.Data == "" || strings.Contains(e.Data, "{") {
		t.Fatalf("stream -wire: want base64 Data and a numeric Tag, got %q (%v)", strings.SplitN(wireOut, "\n", 2)[0], err)
	}
}

func TestStreamAndStatsOfCommands(t *testing.T) {
	url := startEngine(t, 2500)
	debug := filepath.Join(t.TempDir(), "debug.log")
	out := runCLI(t, url, "stream", "-debug", debug, "tag=app")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2500 {
		t.Fatalf("stream: %d lines", len(lines))
	}
	var e struct{ TS, Data string }
	if err := json.Unmarshal([]byte(lines[10]), &e); err != nil || e.TS == "" || e.Data == "" {
		t.Fatalf("stream line %q: %v", lines[10], err)
	}
	log, err := os.ReadFile(debug)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), `> {"data":{"ID":17}`) || !strings.Contains(string(log), `"Finished":true`) {
		t.Fatalf("debug log lacks the streaming request or terminator:\n%.500s", log)
	}
	table := runCLI(t, url, "stats-of", "--chunks", "4", "--start", "-61m", "tag=app")
	rows := strings.Split(strings.TrimSpace(table), "\n")
	if len(rows) != 6 { // header, 4 chunks, bucket count
		t.Fatalf("stats-of: %d lines, want 6:\n%s", len(rows), table)
	}
	total := 0
	for _, r := range rows[1:5] { // TS, module words "sort by time", IN, OUT, ...
		if f := strings.Fields(r); len(f) >= 6 && f[1] == "sort" {
			n, _ := strconv.Atoi(f[5])
			total += n
		}
	}
	if total != 2500 {
		t.Fatalf("stats-of: chunks sum to %d entries, want 2500:\n%s", total, table)
	}
}

func TestSearchCommandErrors(t *testing.T) {
	url := startEngine(t, 10)
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"search", "tag=app | nosuchmodule"}, exitError, "nosuchmodule is not a valid module"},
		{[]string{"search", "--format", "xml", "tag=app"}, exitUsage, `unknown -o "xml"`},
		{[]string{"search", "--start", "tomorrowish", "tag=app"}, exitUsage, "bad time"},
		{[]string{"search", "--start", "-1h", "--end", "-2h", "tag=app"}, exitUsage, "is before start"},
		{[]string{"search", "--start", "2026-01-01T00:00:00Z", "--end", "2026-01-01T00:00:00Z", "tag=app"}, exitUsage, "start and end are the same time"},
		{[]string{"search"}, exitUsage, "want exactly 1 QUERY"},
		{[]string{"search", "--page", "0", "tag=app"}, exitUsage, "-page 0: want 1 to"},
		{[]string{"search", "--limit", "-5", "tag=app"}, exitUsage, "-limit -5: want 0 (all) or a positive"},
		{[]string{"stats-of", "--chunks", "0", "tag=app"}, exitUsage, "-chunks 0: want 1 to"},
		{[]string{"search", "--nosuchflag", "tag=app"}, exitUsage, "flag provided but not defined"},
		{[]string{"nosuchcommand"}, exitUsage, "unknown command"},
		{[]string{"search", "-o", "raw", "tag=app count | chart count"}, exitUsage, "-o raw cannot show the chart"},
	} {
		r := sluice(t, url, c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.msg) {
			t.Errorf("sluice %q: exit %d, stderr %q; want exit %d and %q", c.args, r.code, r.stderr, c.code, c.msg)
		}
	}
	r := sluice(t, "http://127.0.0.1:1", "search", "tag=app")
	if r.code != exitError || !strings.Contains(r.stderr, "cannot connect") || !strings.Contains(r.stderr, "SLUICE_SERVER") {
		t.Errorf("unreachable server: exit %d, %s", r.code, r.stderr)
	}
	// -h is not an error, for every command.
	for _, c := range commands {
		if r := sluice(t, url, c.name, "-h"); r.code != 0 || r.stderr == "" && r.stdout == "" {
			t.Errorf("sluice %s -h: exit %d, no usage printed (stderr %q)", c.name, r.code, r.stderr)
		}
	}
	if r := sluice(t, url, "-h"); r.code != 0 || !strings.Contains(r.stderr, "commands:") {
		t.Errorf("sluice -h: exit %d, %q", r.code, r.stderr)
	}
}

// TestOverLimitIsReported: a search whose render store goes OverLimit prints what it has,
// then says in words on stderr what was dropped, with exit code 3, in every format and
// command.
func TestOverLimitIsReported(t *testing.T) {
	s := startServer(t, engine.Config{Search: search.ManagerConfig{RenderLimit: 256 << 10}})
	lines := make([]string, 20000)
	for i := range lines {
		lines[i] = fmt.Sprintf(`{"i":%d,"pad":"%s"}`, i, strings.Repeat("x", 40))
	}
	s.ingest(t, "big", lines...)
	for _, args := range [][]string{
		{"search", "tag=big"},
		{"search", "-o", "ndjson", "tag=big"},
		{"search", "-o", "csv", "tag=big"},
		{"search", "-o", "raw", "tag=big"},
		{"stream", "tag=big"},
		{"stream", "-wire", "tag=big"},
	} {
		r := sluice(t, s.URL, args...)
		if r.code != exitTruncated {
			t.Errorf("%q: exit %d, want %d; stderr %q", args, r.code, exitTruncated, r.stderr)
		}
		if !strings.Contains(r.stderr, "results truncated") || !strings.Contains(r.stderr, "render_store_limit_mb") ||
			!strings.Contains(r.stderr, "were dropped") {
			t.Errorf("%q: stderr does not say what was dropped: %q", args, r.stderr)
		}
		printed := strings.Count(r.stdout, "\n")
		if printed == 0 || printed >= 20000 {
			t.Errorf("%q: printed %d lines; want some, fewer than 20000", args, printed)
		}
		if args[0] == "search" && args[1] == "-o" && args[2] == "ndjson" &&
			!strings.Contains(r.stderr, thousands(uint64(printed))+" of 20,000 entries printed") {
			t.Errorf("%q: stderr does not count what was printed (%d): %q", args, printed, r.stderr)
		}
	}
	// A search that fits is exit 0 with nothing on stderr.
	if r := sluice(t, s.URL, "search", "tag=big limit 10"); r.code != 0 || r.stderr != "" {
		t.Errorf("small search: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestFailedSearchIsReported: a search that ended in error (SearchInfo.Error) prints what it
// gathered, then the error, with exit code 5.
func TestFailedSearchIsReported(t *testing.T) {
	s := startServer(t, engine.Config{})
	start := time.Now().Add(-time.Hour)
	es, err := s.eng.Embed(search.EmbedSpec{Query: "tag=app text", Tags: []string{"app"}, Start: start, End: start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	es.Result.Add([]wire.Entry{{TS: start.Add(time.Minute).UnixNano(), Data: []byte("before the failure")}})
	es.Result.Finish(errors.New("block 7 of shard 3 is damaged"))
	for _, format := range []string{"table", "ndjson", "raw"} {
		r := sluice(t, s.URL, "attach", "-o", format, es.ID)
		if r.code != exitFailed || !strings.Contains(r.stdout, "before the failure") ||
			!strings.Contains(r.stderr, "the search failed on the server: block 7 of shard 3 is damaged") ||
			!strings.Contains(r.stderr, "partial") {
			t.Errorf("attach -o %s: exit %d, stdout %q, stderr %q", format, r.code, r.stdout, r.stderr)
		}
	}
}

// TestTableKeepsQuotes: the table view escapes only what a terminal would act on.
func TestTableKeepsQuotes(t *testing.T) {
	s := startServer(t, engine.Config{})
	line := `10.0.0.5 - - "POST / HTTP/1.1" 502 {"time":"x","path":"C:\dir"} ünïcode`
	evil := "before\x1b[2Jafter\ttab\u202eRTL\x07bell"
	s.ingest(t, "web", line, evil)
	out := runCLI(t, s.URL, "search", "tag=web")
	if !strings.Contains(out, line+"\n") {
		t.Errorf("table altered the data; want the line unchanged:\n%s", out)
	}
	if !strings.Contains(out, `before\x1b[2Jafter\ttab\u202eRTL\x07bell`) || strings.ContainsAny(out, "\x1b\x07\u202e") {
		t.Errorf("table did not escape terminal controls:\n%q", out)
	}
	out = runCLI(t, s.URL, "search", "-o", "raw", "tag=web")
	if out != evil+"\n"+line+"\n" {
		t.Errorf("-o raw: %q", out)
	}
}

func TestTerminalSafe(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := string(appendTerminalSafe(nil, in)); got != want {
			t.Errorf("appendTerminalSafe(%q) = %q, want %q", in, got, want)
		}
		if got := string(appendTerminalSafe(nil, []byte(in))); got != want {
			t.Errorf("appendTerminalSafe([]byte %q) = %q, want %q", in, got, want)
		}
	}
	f(`"quoted" \back\slash`, `"quoted" \back\slash`)
	f("a\tb\nc\rd", `a\tb\nc\rd`)
	f("\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`)
	f("\x00\x7f", `\x00\x7f`)
	f("\u009b31m", `\u009b31m`) // C1 CSI
	f("ok \u202e evil \u2066", `ok \u202e evil \u2066`)
	f("bad \xff\xfe utf8", `bad \xff\xfe utf8`)
	f("日本語 ✓ ünï", "日本語 ✓ ünï")
}

func TestIsJSONNumber(t *testing.T) {
	for s, want := range map[string]bool{"0": true, "-1": true, "12.5": true, "1e9": true, "1E+21": true, "-0.5e-3": true,
		"": false, "007": false, "1.": false, ".5": false, "+1": false, "NaN": false, "Inf": false, "1,000": false,
		"10.0.0.1": false, "0x10": false, "-": false, "1e": false} {
		if isJSONNumber(s) != want {
			t.Errorf("isJSONNumber(%q) = %v", s, !want)
		}
	}
}

// TestRenderersInTerminal: chart as sparklines with a time axis, gauge and numbercard as big
// numbers with their names, hex as a hex dump, over tables with a TIME column.
func TestRenderersInTerminal(t *testing.T) {
	s := startServer(t, engine.Config{})
	var lines []string
	for i := range 120 {
		lines = append(lines, fmt.Sprintf(`{"host":"h%d","ms":%d}`, i%2, 10+i%7))
	}
	s.ingest(t, "app", lines...)
	chart := runCLI(t, s.URL, "search", "--since", "3h", "--timezone", "UTC", "tag=app json host | count by host over 1m | chart count by host")
	rows := strings.Split(chart, "\n")
	if !strings.HasPrefix(rows[0], "SERIES") || !strings.Contains(rows[0], "time slices") ||
		!strings.HasPrefix(rows[1], "h0") && !strings.HasPrefix(rows[1], "h1") || !strings.ContainsAny(rows[1], "▁▂▃▄▅▆▇█") ||
		!strings.Contains(chart, "└") || !strings.Contains(chart, " → ") {
		t.Errorf("chart:\n%s", chart)
	}
	ndjson := runCLI(t, s.URL, "search", "-o", "ndjson", "--since", "3h", "tag=app json host | count by host over 1m | chart count by host")
	if !strings.Contains(ndjson, `"h0":`) || !strings.HasPrefix(ndjson, `{"TS":"`) {
		t.Errorf("chart ndjson:\n%s", ndjson)
	}
	gauge := runCLI(t, s.URL, "search", "tag=app json ms | max ms | gauge min=0 max=32 max")
	if !strings.HasPrefix(gauge, "max  16\n") || !strings.Contains(gauge, "▀█  █▀▀") || !strings.Contains(gauge, "50% of 0 … 32") {
		t.Errorf("gauge:\n%s", gauge)
	}
	card := runCLI(t, s.URL, "search", "tag=app | count | numbercard count")
	if !strings.HasPrefix(card, "count  120\n") || !strings.Contains(card, "▀█  ▀▀█ █▀█") {
		t.Errorf("numbercard:\n%s", card)
	}
	if out := runCLI(t, s.URL, "search", "-o", "ndjson", "tag=app | count | numbercard count"); out != `{"Name":"count","Magnitude":120,"Min":0,"Max":0}`+"\n" {
		t.Errorf("numbercard ndjson: %q", out)
	}
	hex := runCLI(t, s.URL, "search", "--limit", "1", "tag=app hex")
	if !strings.Contains(hex, "00000000  7b 22 68 6f 73 74 22 3a") || !strings.Contains(hex, `|{"host":"h1","ms|`) {
		t.Errorf("hex:\n%s", hex)
	}
	over := runCLI(t, s.URL, "search", "--since", "3h", "tag=app json host | count by host over 1h | table")
	if !strings.HasPrefix(over, "TIME") || !strings.Contains(over, "host") {
		t.Errorf("over table lacks a TIME column:\n%s", over)
	}
	if out := runCLI(t, s.URL, "search", "-o", "ndjson", "--since", "3h", "tag=app json host | count by host over 1h | table"); !strings.HasPrefix(out, `{"TIME":"`) {
		t.Errorf("over table ndjson lacks TIME:\n%s", out)
	}
}

func TestTags(t *testing.T) {
	s := startServer(t, engine.Config{})
	// zeta is created first, so store tag IDs and the search's (name-ordered) tag numbers differ.
	s.ingest(t, "zeta", "z1", "z2")
	s.ingest(t, "alpha", "a", "b", "c")
	s.ingest(t, "beta", "x")
	out := runCLI(t, s.URL, "tags")
	if !strings.Contains(out, "alpha") || !strings.Contains(out, "beta") || strings.Index(out, "alpha") > strings.Index(out, "beta") {
		t.Fatalf("tags:\n%s", out)
	}
	// A table with its columns left to the data names the TAG values too.
	if out := runCLI(t, s.URL, "search", "-o", "csv", "--since", "1h", "tag=zeta,alpha count by TAG | sort by count desc | table"); !strings.Contains(out, "alpha,3") || !strings.Contains(out, "zeta,2") {
		t.Fatalf("count by TAG | table:\n%s", out)
	}
	if out := runCLI(t, s.URL, "tags", "-o", "csv"); out != "tag,count\nalpha,3\nzeta,2\nbeta,1\n" {
		t.Fatalf("tags -o csv: %q", out)
	}
}

// TestAuthErrorSaysWhatToSet: a refused credential names -token and SLUICE_TOKEN, exit 6.
func TestAuthErrorSaysWhatToSet(t *testing.T) {
	s := startServer(t, engine.Config{Server: serverConfig("s3cret")})
	for _, args := range [][]string{{"search", "tag=x"}, {"searches"}, {"-token", "wrong", "search", "tag=x"}} {
		r := sluice(t, s.URL, args...)
		if r.code != exitAuth || !strings.Contains(r.stderr, "SLUICE_TOKEN") || !strings.Contains(r.stderr, "-token") {
			t.Errorf("%q: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
	if r := sluice(t, s.URL, "-token", "s3cret", "searches"); r.code != 0 {
		t.Errorf("with the token: exit %d, %s", r.code, r.stderr)
	}
}

// TestBackgroundAttachSearches: background prints an ID, searches lists it, attach prints its
// results, delete ends it.
func TestBackgroundAttachSearches(t *testing.T) {
	s := startServer(t, engine.Config{})
	s.ingest(t, "app", "one", "two", "three")
	r := sluice(t, s.URL, "background", "tag=app")
	id := strings.TrimSpace(r.stdout)
	if r.code != 0 || id == "" || !strings.Contains(r.stderr, "sluice attach "+id) {
		t.Fatalf("background: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	list := runCLI(t, s.URL, "searches")
	if !strings.Contains(list, id) || !strings.Contains(list, "tag=app") || !strings.Contains(list, "BACKGROUNDED") {
		t.Fatalf("searches does not list the background search %s:\n%s", id, list)
	}
	if out := runCLI(t, s.URL, "attach", "-o", "raw", id); out != "three\ntwo\none\n" {
		t.Fatalf("attach -o raw: %q", out)
	}
	runCLI(t, s.URL, "delete", id)
	if r := sluice(t, s.URL, "attach", id); r.code != exitError || !strings.Contains(r.stderr, "sluice searches") {
		t.Fatalf("attach after delete: exit %d, %s", r.code, r.stderr)
	}
}

// TestFollowSeesNewEntries: search --follow prints the stored entries, then an entry stored
// after it started.
func TestFollowSeesNewEntries(t *testing.T) {
	s := startServer(t, engine.Config{})
	s.ingest(t, "app", "old 1", "old 2")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	go func() {
		g := &globalFlags{Stdout: &out, Stderr: &errOut}
		err := run(ctx, []string{"-server", s.URL, "search", "--follow", "--follow-interval", "50ms", "-o", "raw", "tag=app"}, g)
		done <- report(err, &errOut)
	}()
	waitFor := func(want string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(out.String(), want) {
			if time.Now().After(deadline) {
				t.Fatalf("follow never printed %q; stdout %q, stderr %q", want, out.String(), errOut.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor("old 1\nold 2\n") // oldest first
	id, _ := s.eng.TagID("app")
	if err := s.eng.Ingest([]wire.Entry{{TS: time.Now().UnixNano(), Tag: id, Data: []byte("new line")}}); err != nil {
		t.Fatal(err)
	}
	waitFor("old 1\nold 2\nnew line\n")
	time.Sleep(200 * time.Millisecond) // more rounds: nothing printed twice
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("follow ended with exit %d: %s", code, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("follow did not stop on cancel")
	}
	if got := out.String(); got != "old 1\nold 2\nnew line\n" {
		t.Errorf("follow printed %q", got)
	}
	if !strings.Contains(errOut.String(), "more than 10s after its own timestamp is not shown") {
		t.Errorf("follow does not say what it cannot show: %q", errOut.String())
	}
	for _, q := range []string{"tag=app count", "tag=app count | table"} {
		if r := sluice(t, s.URL, "search", "--follow", q); r.code != exitUsage || !strings.Contains(r.stderr, "-follow prints entries") {
			t.Errorf("follow of condensing %q: exit %d, %s", q, r.code, r.stderr)
		}
	}
}

// TestHelpFromRegistry: sluice help query lists every module and renderer of the parser's
// tables with its usage and example; help MODULE shows one.
func TestHelpFromRegistry(t *testing.T) {
	out := runCLI(t, "", "help", "query")
	for _, d := range append(search.ModuleDocs(), search.RendererDocs()...) {
		if !strings.Contains(out, "  "+d.Name+" "+d.Usage+"\n") || !strings.Contains(out, "e.g. "+d.Example+"\n") {
			t.Errorf("help query lacks %s (%q, %q)", d.Name, d.Usage, d.Example)
		}
		one := runCLI(t, "", "help", d.Name)
		if !strings.HasPrefix(one, d.Name+" "+d.Usage+"\n") || !strings.Contains(one, d.Example) {
			t.Errorf("help %s:\n%s", d.Name, one)
		}
	}
	for _, f := range search.Filters {
		if !strings.Contains(out, "  "+f.Op+" ") {
			t.Errorf("help query lacks filter %s", f.Op)
		}
	}
	for _, want := range []string{"-1w", "yesterday", "2026-12-01", "Filters", "Renderers", "Times"} {
		if !strings.Contains(out, want) {
			t.Errorf("help query lacks %q", want)
		}
	}
	if out := runCLI(t, "", "help", "exit"); !strings.Contains(out, "  3  results truncated") {
		t.Errorf("help exit:\n%s", out)
	}
	if out := runCLI(t, "", "help", "search"); !strings.Contains(out, "-follow") || !strings.Contains(out, "-timezone") {
		t.Errorf("help search:\n%s", out)
	}
	if r := sluice(t, "", "help", "nosuch"); r.code != exitUsage {
		t.Errorf("help nosuch: exit %d", r.code)
	}
	if out := runCLI(t, "", "version"); !strings.HasPrefix(out, "sluice ") {
		t.Errorf("version: %q", out)
	}
}

func TestCompletion(t *testing.T) {
	bash := runCLI(t, "", "completion", "bash")
	for _, want := range []string{"complete -o default -F _sluice sluice", "search) words=", "-follow", "-timezone", "count", "chart"} {
		if !strings.Contains(bash, want) {
			t.Errorf("bash completion lacks %q", want)
		}
	}
	zsh := runCLI(t, "", "completion", "zsh")
	for _, want := range []string{"#compdef sluice", "compdef _sluice sluice", "search) compadd --", "-since"} {
		if !strings.Contains(zsh, want) {
			t.Errorf("zsh completion lacks %q", want)
		}
	}
}

func TestParseWhen(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 3, 10, 30, 0, 0, time.UTC) // 11:30 in Berlin
	f := func(in string, loc *time.Location, want time.Time) {
		t.Helper()
		got, err := parseWhen(in, now, loc)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseWhen(%q, %s) = %v, %v; want %v", in, loc, got, err, want)
		}
	}
	f("now", time.UTC, now)
	f("", time.UTC, now)
	f("-90m", time.UTC, now.Add(-90*time.Minute))
	f("-1h30m", time.UTC, now.Add(-90*time.Minute))
	f("-7d", time.UTC, now.AddDate(0, 0, -7))
	f("-1w", time.UTC, now.AddDate(0, 0, -7))
	f("-2w", time.UTC, now.AddDate(0, 0, -14))
	f("-3mo", time.UTC, now.AddDate(0, -3, 0))
	f("-2y", time.UTC, now.AddDate(-2, 0, 0))
	f("today", time.UTC, time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC))
	f("yesterday", time.UTC, time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC))
	f("today", berlin, time.Date(2026, 12, 3, 0, 0, 0, 0, berlin))
	f("2026-12-01", time.UTC, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	f("2026-12-01", berlin, time.Date(2026, 12, 1, 0, 0, 0, 0, berlin))
	f("2026-12-01 10:30", berlin, time.Date(2026, 12, 1, 10, 30, 0, 0, berlin))
	f("2026-12-01T10:30:05", time.UTC, time.Date(2026, 12, 1, 10, 30, 5, 0, time.UTC))
	f("2026-12-01 10:30:05.25", time.UTC, time.Date(2026, 12, 1, 10, 30, 5, 250e6, time.UTC))
	f("09:15", time.UTC, time.Date(2026, 12, 3, 9, 15, 0, 0, time.UTC))
	f("2026-12-01T10:30:00+02:00", berlin, time.Date(2026, 12, 1, 8, 30, 0, 0, time.UTC))
	for _, bad := range []string{"-", "-x", "-5q", "tomorrow", "2026-13-01", "-1.5d", "--1h", "12/01/2026"} {
		if _, err := parseWhen(bad, now, time.UTC); err == nil {
			t.Errorf("parseWhen(%q) succeeded", bad)
		}
	}
	// -since and the range checks.
	s, e, err := timeRange("", "now", "2h", now, time.UTC)
	if err != nil || !s.Equal(now.Add(-2*time.Hour)) || !e.Equal(now) {
		t.Errorf("-since 2h: %v %v %v", s, e, err)
	}
	if _, _, err := timeRange("-1h", "now", "2h", now, time.UTC); err == nil {
		t.Error("-since with -start accepted")
	}
	if _, _, err := timeRange("today", "today", "", now, time.UTC); err == nil || !strings.Contains(err.Error(), "same time") {
		t.Errorf("equal start and end: %v", err)
	}
	if _, err := loadZone("Mars/Olympus"); err == nil {
		t.Error("bad zone accepted")
	}
	if loc, err := loadZone("utc"); err != nil || loc != time.UTC {
		t.Errorf("loadZone(utc) = %v, %v", loc, err)
	}
}

// TestTimesOnTheCommandLine: the time expressions reach the server as the right range.
func TestTimesOnTheCommandLine(t *testing.T) {
	s := startServer(t, engine.Config{})
	s.ingest(t, "app", "recent")
	for _, args := range [][]string{
		{"--start", "-1w"}, {"--start", "-2y"}, {"--since", "1h"}, {"--start", "yesterday", "--end", "now"},
		{"--start", time.Now().UTC().AddDate(0, 0, -1).Format("2006-01-02"), "--timezone", "UTC"},
	} {
		out := runCLI(t, s.URL, append(append([]string{"search", "-o", "raw"}, args...), "tag=app")...)
		if out != "recent\n" {
			t.Errorf("%q: %q", args, out)
		}
	}
	if out := runCLI(t, s.URL, "search", "-o", "raw", "--start", "-1w", "--end", "-1d", "tag=app"); out != "" {
		t.Errorf("a range that ends a day ago printed %q", out)
	}
}

// serverConfig is a server configuration that requires token.
func serverConfig(token string) server.Config { return server.Config{Tokens: []string{token}} }

// TestREADMEQueriesParse: every query in the README's command examples parses.
func TestREADMEQueriesParse(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`sluice (?:search|stream|background|stats-of) '([^']+)'`)
	found := re.FindAllStringSubmatch(string(b), -1)
	if len(found) < 5 {
		t.Fatalf("only %d example queries found in README.md", len(found))
	}
	for _, m := range found {
		if _, err := search.Parse(m[1]); err != nil {
			t.Errorf("README query %q does not parse: %v", m[1], err)
		}
	}
}

// TestDamagedDataIsReported: a search over a store with a damaged block prints what could be
// read, then the server's Warning in words, with exit code 4, in every format.
func TestDamagedDataIsReported(t *testing.T) {
	dir := t.TempDir()
	cfg := engine.Config{DataDir: dir}
	cfg.Store.BlockSize = 16 << 10
	cfg.Store.Compression = store.CompressionNone
	eng, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tag, _ := eng.TagID("dmg")
	// All 400 entries in one hourly shard, one block per batch.
	base := time.Now().Truncate(time.Hour).Add(-2 * time.Hour)
	for r := range 8 {
		batch := make([]wire.Entry, 50)
		for i := range batch {
			n := r*50 + i
			batch[i] = wire.Entry{TS: base.Add(time.Duration(n) * time.Second).UnixNano(), Tag: tag,
				Data: []byte(fmt.Sprintf("line %d padding-to-make-lines-longer-%0120d", n, n))}
		}
		if err := eng.Ingest(batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	shards, _ := filepath.Glob(filepath.Join(dir, "wells", "default", "*.shard"))
	if len(shards) != 1 {
		t.Fatalf("want one shard file, have %v", shards)
	}
	b, err := os.ReadFile(shards[0])
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2+777] ^= 0x10 // inside a block in the middle
	if err := os.WriteFile(shards[0], b, 0o644); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, cfg)
	for _, args := range [][]string{
		{"search", "-o", "raw", "tag=dmg"},
		{"search", "tag=dmg"},
		{"search", "-o", "ndjson", "tag=dmg count | table"},
		{"stream", "tag=dmg"},
	} {
		r := sluice(t, s.URL, args...)
		t.Logf("%q: stderr %s", args, r.stderr)
		if r.code != exitWarning || !strings.Contains(r.stderr, "warning from the server: ") {
			t.Errorf("%q: exit %d, want %d; stderr %q", args, r.code, exitWarning, r.stderr)
		}
		if len(args) > 2 && args[2] == "raw" {
			if n := strings.Count(r.stdout, "\n"); n == 0 || n >= 400 {
				t.Errorf("%q: printed %d of 400 lines; want the undamaged ones", args, n)
			}
		}
	}
}

// TestResultProblems: the verdict's words and exit codes, one line per problem, the most
// serious code first.
func TestResultProblems(t *testing.T) {
	f := func(s resultStatus, printed uint64, entries bool, code int, want ...string) {
		t.Helper()
		err := s.problems(printed, entries)
		if got := exitCode(err); got != code {
			t.Errorf("%+v: exit %d, want %d (%v)", s, got, code, err)
		}
		for _, w := range want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%+v: %v lacks %q", s, err, w)
			}
		}
	}
	f(resultStatus{entryCount: 10}, 10, true, 0)
	f(resultStatus{entryCount: 10}, 7, false, 0) // -limit: fewer by request
	f(resultStatus{entryCount: 10}, 7, true, exitTruncated, "the server counted 10 entries but sent 7; 3 are missing")
	f(resultStatus{overLimit: true, dropStart: "2026-12-03T09:00:00Z", dropEnd: "2026-12-03T09:30:00Z", entryCount: 50000,
		warning: "render store limit reached"}, 8408, true, exitTruncated,
		"between 2026-12-03T09:00:00Z and 2026-12-03T09:30:00Z were dropped", "8,408 of 50,000 entries printed, 41,592 missing", "render_store_limit_mb")
	f(resultStatus{warning: "damaged data skipped"}, 0, false, exitWarning, "warning from the server: damaged data skipped")
	f(resultStatus{searchErr: "boom", warning: "w", overLimit: true}, 0, false, exitFailed,
		"the search failed on the server: boom", "results truncated", "warning from the server: w")
}

// TestFollowBacklogLimit: with -limit N, -follow prints the newest N stored entries and never,
// in a later round, the older ones the backlog left out.
func TestFollowBacklogLimit(t *testing.T) {
	s := startServer(t, engine.Config{})
	s.ingest(t, "app", "old 1", "old 2", "old 3", "old 4", "old 5") // the last a second ago: inside the overlap
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	go func() {
		g := &globalFlags{Stdout: &out, Stderr: &errOut}
		err := run(ctx, []string{"-server", s.URL, "search", "-f", "--limit", "2", "--follow-interval", "30ms", "-o", "raw", "tag=app"}, g)
		done <- report(err, &errOut)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "old 5\n") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // several more rounds over the overlap
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d: %s", code, errOut.String())
	}
	if got := out.String(); got != "old 4\nold 5\n" {
		t.Errorf("follow -limit 2 printed %q, want the newest two only", got)
	}
}
