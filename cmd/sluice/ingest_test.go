package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/ingest"
	"github.com/sluicehq/sluice/wire"
)

// memSink is an in-memory ingest.Sink: tags checked like the store checks them, entries copied.
type memSink struct {
	mu      sync.Mutex
	tags    map[string]uint16
	names   []string
	entries []wire.Entry
}

func (s *memSink) TagID(name string) (uint16, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.tags[name]; ok {
		return id, nil
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`).MatchString(name) {
		return 0, errors.New("memsink: invalid tag name " + name)
	}
	if s.tags == nil {
		s.tags = map[string]uint16{}
	}
	s.tags[name] = uint16(len(s.names))
	s.names = append(s.names, name)
	return s.tags[name], nil
}

func (s *memSink) Ingest(batch []wire.Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range batch {
		e.Data = bytes.Clone(e.Data)
		s.entries = append(s.entries, e)
	}
	return nil
}

// lockedBuffer is a bytes.Buffer safe for the progress goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// ingestServer runs the real ingest handler over an in-memory sink, behind a bearer token
// check when token is set.
func ingestServer(t *testing.T, cfg ingest.HandlerConfig, token string) (*httptest.Server, *memSink) {
	t.Helper()
	sink := &memSink{}
	cfg.Logger = slog.New(slog.DiscardHandler)
	h := ingest.NewHandler(sink, cfg)
	mux := http.NewServeMux()
	mux.HandleFunc("/api/ingest", func(w http.ResponseWriter, r *http.Request) {
		if token != "" && r.Header.Get("Authorization") != "Bearer "+token {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"Error":"bad token"}`)
			return
		}
		h.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, sink
}

type cmdResult struct {
	stdout, stderr string
	err            error
}

func runIngestCmd(t *testing.T, g *globalFlags, stdin io.Reader, tty bool, args ...string) cmdResult {
	t.Helper()
	var stdout, stderr lockedBuffer
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	c := &ingestCmd{stdin: stdin, stdout: &stdout, stderr: &stderr, tty: tty, client: &http.Client{Timeout: 10 * time.Second}}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err := c.run(ctx, g, args)
	return cmdResult{stdout.String(), stderr.String(), err}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var summaryRE = regexp.MustCompile(`^stored (\d+) entries \((\d+ B|[0-9.]+ [kMG]B)\) in \d+\.\d\ds\n$`)

func TestIngestFiles(t *testing.T) {
	srv, sink := ingestServer(t, ingest.HandlerConfig{}, "tok")
	dir := t.TempDir()
	a := writeFile(t, dir, "a.log", "<34>1 2024-05-01T09:59:58.5Z web01 sshd 1 - - hello\r\n"+
		"\n"+
		"no timestamp here\n"+
		"Apr 30 22:14:15 host x\n"+
		"bad utf-8 \xff\xfe and a tab\t\n"+
		"control \x01 and \u2028 and \"quotes\" \\ \n"+
		"\r\n")
	b := writeFile(t, dir, "b.log", `{"ts":1714557598816,"msg":"json"}`+"\n"+
		`127.0.0.1 - - [01/May/2024:09:00:00 +0000] "GET / HTTP/1.1" 200 1`) // no final newline
	wantData := []string{
		"<34>1 2024-05-01T09:59:58.5Z web01 sshd 1 - - hello",
		"no timestamp here",
		"Apr 30 22:14:15 host x",
		"bad utf-8 \xff\xfe and a tab\t",
		"control \x01 and \u2028 and \"quotes\" \\ ",
		`{"ts":1714557598816,"msg":"json"}`,
		`127.0.0.1 - - [01/May/2024:09:00:00 +0000] "GET / HTTP/1.1" 200 1`,
	}
	g := &globalFlags{Server: srv.URL, Token: "tok"}
	before := time.Now()
	// Flags before, between and after the files; a tiny -batch makes several requests.
	r := runIngestCmd(t, g, nil, false, "-tag", "mylogs", a, "-src", "10.9.8.7", "-batch", "60", b, "-q")
	after := time.Now()
	if r.err != nil {
		t.Fatalf("ingest failed: %s\nstderr: %s", r.err, r.stderr)
	}
	if m := summaryRE.FindStringSubmatch(r.stdout); m == nil || m[1] != "7" {
		t.Fatalf("summary %q", r.stdout)
	}
	if r.stderr != "" {
		t.Fatalf("stderr not quiet: %q", r.stderr)
	}
	if len(sink.entries) != len(wantData) || len(sink.names) != 1 || sink.names[0] != "mylogs" {
		t.Fatalf("%d entries, tags %v", len(sink.entries), sink.names)
	}
	year := time.Now().UTC().Year()
	if time.Date(year, 4, 30, 22, 14, 15, 0, time.UTC).After(time.Now().Add(ingest.SyslogFutureSlack)) {
		year--
	}
	wantTS := []int64{
		time.Date(2024, 5, 1, 9, 59, 58, 5e8, time.UTC).UnixNano(),
		-1, // arrival time
		time.Date(year, 4, 30, 22, 14, 15, 0, time.UTC).UnixNano(),
		-1,
		-1,
		time.Date(2024, 5, 1, 9, 59, 58, 816e6, time.UTC).UnixNano(),
		time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC).UnixNano(),
	}
	for i, e := range sink.entries {
		if string(e.Data) != wantData[i] {
			t.Errorf("entry %d: data %q, want %q", i, e.Data, wantData[i])
		}
		if e.SRC.String() != "10.9.8.7" || e.Tag != 0 {
			t.Errorf("entry %d: SRC %s tag %d", i, e.SRC, e.Tag)
		}
		if wantTS[i] >= 0 && e.TS != wantTS[i] {
			t.Errorf("entry %d: TS %s, want %s", i, time.Unix(0, e.TS).UTC(), time.Unix(0, wantTS[i]).UTC())
		}
		if wantTS[i] < 0 && (e.TS < before.UnixNano() || e.TS > after.UnixNano()) {
			t.Errorf("entry %d: TS %s is not the arrival time", i, time.Unix(0, e.TS).UTC())
		}
	}
}

func TestIngestStdin(t *testing.T) {
	srv, sink := ingestServer(t, ingest.HandlerConfig{}, "")
	// A ws:// server URL is mapped to http://; "--" ends the flags.
	g := &globalFlags{Server: strings.Replace(srv.URL, "http://", "ws://", 1)}
	var in strings.Builder
	for range 5000 {
		in.WriteString("2024-05-01T09:59:58Z a line of stdin\n")
	}
	r := runIngestCmd(t, g, strings.NewReader(in.String()), false, "-tag=stdin", "--", "-")
	if r.err != nil {
		t.Fatal(r.err)
	}
	if m := summaryRE.FindStringSubmatch(r.stdout); m == nil || m[1] != "5000" || !strings.Contains(r.stdout, "(180.0 kB)") {
		t.Fatalf("summary %q", r.stdout)
	}
	if len(sink.entries) != 5000 || sink.entries[4999].SRC.String() != "127.0.0.1" {
		t.Fatalf("%d entries, last %+v", len(sink.entries), sink.entries[len(sink.entries)-1])
	}
}

func TestIngestProgressOnTerminal(t *testing.T) {
	srv, _ := ingestServer(t, ingest.HandlerConfig{}, "")
	f := writeFile(t, t.TempDir(), "x.log", "a\nb\n")
	r := runIngestCmd(t, &globalFlags{Server: srv.URL}, nil, true, "-tag", "t", f)
	if r.err != nil {
		t.Fatal(r.err)
	}
	// The bar's last act is to clear its line.
	if !strings.HasSuffix(r.stderr, "\r\x1b[K") {
		t.Fatalf("stderr %q", r.stderr)
	}
	r = runIngestCmd(t, &globalFlags{Server: srv.URL}, nil, true, "-q", "-tag", "t", f)
	if r.err != nil || r.stderr != "" {
		t.Fatalf("-q: err %v, stderr %q", r.err, r.stderr)
	}
}

func TestIngestServerErrors(t *testing.T) {
	srv, sink := ingestServer(t, ingest.HandlerConfig{MaxEntrySize: 10}, "tok")
	dir := t.TempDir()
	f := writeFile(t, dir, "x.log", "short\n\nthis line is too long\n")
	ok := writeFile(t, dir, "ok.log", "short\n")
	g := &globalFlags{Server: srv.URL, Token: "tok"}

	r := runIngestCmd(t, g, nil, false, "-tag", "t", f)
	const want = `ingest: server refused the batch (400 Bad Request): entry 1: entry is 21 bytes, over the limit MaxEntrySize=10 (` // then the file
	if r.err == nil || !strings.HasPrefix(r.err.Error(), want) || !strings.HasSuffix(r.err.Error(), "x.log line 3)") {
		t.Fatalf("error %v", r.err)
	}
	if r.stdout != "" || len(sink.entries) != 0 {
		t.Fatalf("stdout %q, %d entries stored", r.stdout, len(sink.entries))
	}

	r = runIngestCmd(t, g, nil, false, "-tag", "bad tag", ok)
	if r.err == nil || r.err.Error() != `ingest: server refused the batch (400 Bad Request): query parameter "tag": tag "bad tag": memsink: invalid tag name bad tag` {
		t.Fatalf("error %v", r.err)
	}

	g.Token = "wrong"
	r = runIngestCmd(t, g, nil, false, "-tag", "t", f)
	if r.err == nil || r.err.Error() != "ingest: the server refused the request (401 Unauthorized): the token given with -token or SLUICE_TOKEN was not accepted; check it, or ask for one (sluiced token add) (the server said: bad token)" ||
		exitCode(r.err) != exitAuth {
		t.Fatalf("error %v", r.err)
	}

	// A batch stored before a refused one is reported.
	g.Token = "tok"
	f2 := writeFile(t, dir, "y.log", "ok\nok\nthis line is too long\n")
	r = runIngestCmd(t, g, nil, false, "-tag", "t", "-batch", "2", f2)
	if r.err == nil || !strings.HasSuffix(r.err.Error(), "y.log line 3) (2 entries stored before it)") {
		t.Fatalf("error %v", r.err)
	}

	// Something that is not the ingest endpoint.
	other := httptest.NewServer(http.NotFoundHandler())
	defer other.Close()
	r = runIngestCmd(t, &globalFlags{Server: other.URL}, nil, false, "-tag", "t", f)
	if r.err == nil || r.err.Error() != "ingest: server replied 404 Not Found: 404 page not found" {
		t.Fatalf("error %v", r.err)
	}
}

func TestIngestLocalErrors(t *testing.T) {
	srv, sink := ingestServer(t, ingest.HandlerConfig{}, "")
	dir := t.TempDir()
	ok := writeFile(t, dir, "ok.log", "fine\n")
	long := writeFile(t, dir, "long.log", "fine\n"+strings.Repeat("x", 100)+"\n")
	g := &globalFlags{Server: srv.URL}
	f := func(g *globalFlags, stdin io.Reader, want string, args ...string) {
		t.Helper()
		r := runIngestCmd(t, g, stdin, false, args...)
		if r.err == nil || r.err.Error() != want {
			t.Fatalf("%v: error %v, want %s", args, r.err, want)
		}
	}
	f(g, nil, "ingest: -tag is required", ok)
	f(g, nil, "ingest: no FILE given (use - for stdin)", "-tag", "t")
	f(g, nil, "ingest: open "+filepath.Join(dir, "nope.log")+": no such file or directory", "-tag", "t", ok, filepath.Join(dir, "nope.log"))
	f(g, nil, "ingest: "+dir+" is a directory", "-tag", "t", dir)
	f(g, nil, "ingest: - (stdin) given twice", "-tag", "t", "-", "-")
	f(g, nil, `ingest: -src "10.0.0" is not an IP address`, "-tag", "t", "-src", "10.0.0", ok)
	f(g, nil, "ingest: -batch and -max-entry-size must be positive", "-tag", "t", "-batch", "0", ok)
	f(&globalFlags{Server: "ftp://x"}, nil, `ingest: bad -server "ftp://x": scheme must be http, https, ws or wss`, "-tag", "t", ok)
	f(g, nil, "ingest: "+long+" line 2: entry is 100 bytes, over the limit -max-entry-size=50", "-tag", "t", "-max-entry-size", "50", long)
	f(g, failReader{}, "ingest: cannot read stdin: boom", "-tag", "t", "-")
	if len(sink.entries) != 0 {
		t.Fatalf("%d entries stored", len(sink.entries))
	}
	if r := runIngestCmd(t, g, nil, false, "-h"); !errors.Is(r.err, flag.ErrHelp) || !strings.Contains(r.stderr, "usage: sluice ingest") {
		t.Fatalf("-h: %v %q", r.err, r.stderr)
	}
}

// failReader is a reader that fails.
type failReader struct{}

func (failReader) Read([]byte) (int, error) { return 0, errors.New("boom") }

func TestIngestURL(t *testing.T) {
	f := func(server, tag, src, want string) {
		t.Helper()
		got, err := ingestURL(server, tag, src)
		if err != nil || got != want {
			t.Fatalf("ingestURL(%q) = %q, %v; want %q", server, got, err, want)
		}
	}
	f("http://127.0.0.1:8080", "t", "", "http://127.0.0.1:8080/api/ingest?tag=t")
	f("http://127.0.0.1:8080/", "a b", "", "http://127.0.0.1:8080/api/ingest?tag=a+b")
	f("ws://h:1", "t", "::1", "http://h:1/api/ingest?src=%3A%3A1&tag=t")
	f("wss://h/prefix/", "t", "", "https://h/prefix/api/ingest?tag=t")
	f("https://h?x=1#frag", "t", "", "https://h/api/ingest?tag=t")
	f("127.0.0.1:8080", "t", "", "http://127.0.0.1:8080/api/ingest?tag=t")
	for _, bad := range []string{"ftp://h", "http://", "http://h:x:y/%zz"} {
		if got, err := ingestURL(bad, "t", ""); err == nil {
			t.Fatalf("ingestURL(%q) = %q, want an error", bad, got)
		}
	}
}

func TestProgressLine(t *testing.T) {
	start := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	p := newProgress(120e6, start)
	p.add(512340, 40e6, 45e6)
	got := string(p.appendLine(nil, start.Add(3*time.Second)))
	const want = " 37% [=========>              ] 45.0 MB / 120.0 MB  512,340 entries  15.0 MB/s  ETA 5s"
	if got != want {
		t.Fatalf("line\n%q, want\n%q", got, want)
	}
	p.add(10, 1, 75e6)
	got = string(p.appendLine(nil, start.Add(4*time.Second)))
	if want := "100% [========================] 120.0 MB / 120.0 MB  512,350 entries  30.0 MB/s"; got != want {
		t.Fatalf("line\n%q, want\n%q", got, want)
	}
	p = newProgress(-1, start)
	p.add(1234567, 0, 999)
	if got, want := string(p.appendLine(nil, start)), "999 B  1,234,567 entries  0 B/s"; got != want {
		t.Fatalf("line %q, want %q", got, want)
	}
	p = newProgress(0, start)
	if got, want := string(p.appendLine(nil, start.Add(time.Second))), "100% [========================] 0 B / 0 B  0 entries  0 B/s"; got != want {
		t.Fatalf("line %q, want %q", got, want)
	}

	for d, want := range map[time.Duration]string{0: "0s", 4400 * time.Millisecond: "4s", 125 * time.Second: "2m05s", 3725 * time.Second: "1h02m"} {
		if got := fmtETA(d); got != want {
			t.Errorf("fmtETA(%s) = %q, want %q", d, got, want)
		}
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", -1234567: "-1,234,567", 100000: "100,000"} {
		if got := string(appendThousands(nil, n)); got != want {
			t.Errorf("appendThousands(%d) = %q, want %q", n, got, want)
		}
	}
	for n, want := range map[int64]string{999: "999 B", 1000: "1.0 kB", 201_300_000: "201.3 MB", 1_200_000_000: "1.20 GB"} {
		if got := fmtSize(n); got != want {
			t.Errorf("fmtSize(%d) = %q, want %q", n, got, want)
		}
	}
}
