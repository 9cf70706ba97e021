package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

type ingestReply struct {
	Stored *int
	Error  string
}

func newTestServer(t *testing.T, s *memSink, cfg HandlerConfig) *httptest.Server {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	srv := httptest.NewServer(NewHandler(s, cfg))
	t.Cleanup(srv.Close)
	return srv
}

// post sends body (chunked, without Content-Length, when chunked is true) and returns the
// status and the decoded reply.
func post(t *testing.T, url, ctype, body string, chunked bool) (int, ingestReply) {
	t.Helper()
	var r io.Reader = strings.NewReader(body)
	if chunked {
		r = io.MultiReader(r) // hides the length from net/http
	}
	req, err := http.NewRequest(http.MethodPost, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("reply Content-Type %q", ct)
	}
	var rep ingestReply
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		t.Fatalf("cannot decode reply: %s", err)
	}
	if (rep.Stored != nil) == (rep.Error != "") {
		t.Fatalf("reply has both or neither of Stored and Error: %+v", rep)
	}
	return resp.StatusCode, rep
}

func TestHandlerLines(t *testing.T) {
	s := newMemSink()
	srv := newTestServer(t, s, HandlerConfig{})
	body := "<34>1 2024-05-01T09:59:58.5Z web01 sshd 1 - - hello\r\n\nno time here\n" +
		`127.0.0.1 - - [01/May/2024:09:00:00 +0000] "GET / HTTP/1.1" 200 1` // no final newline
	for _, chunked := range []bool{false, true} {
		status, rep := post(t, srv.URL+"/api/ingest?tag=syslog", "text/plain", body, chunked)
		if status != 200 || *rep.Stored != 3 {
			t.Fatalf("status %d, reply %+v", status, rep)
		}
	}
	entries, names := s.snapshot()
	if len(entries) != 6 || len(names) != 1 || names[0] != "syslog" {
		t.Fatalf("%d entries, tags %v", len(entries), names)
	}
	wantTS := []int64{mustTime(t, "2024-05-01T09:59:58.5Z"), testNow.UnixNano(), mustTime(t, "2024-05-01T09:00:00Z")}
	wantData := []string{"<34>1 2024-05-01T09:59:58.5Z web01 sshd 1 - - hello", "no time here", body[strings.LastIndexByte(body, '\n')+1:]}
	for i, e := range entries {
		if e.TS != wantTS[i%3] || string(e.Data) != wantData[i%3] || e.Tag != 0 || e.SRC.String() != "127.0.0.1" {
			t.Fatalf("entry %d: %+v (%q)", i, e, e.Data)
		}
	}
	if s.calls != 2 {
		t.Fatalf("%d Ingest calls, want one per request", s.calls)
	}

	// src= overrides the client address; an empty body stores nothing and calls no Ingest.
	status, rep := post(t, srv.URL+"/api/ingest?tag=other&src=2001:db8::1", "", "x\n", false)
	if status != 200 || *rep.Stored != 1 {
		t.Fatalf("status %d, reply %+v", status, rep)
	}
	entries, _ = s.snapshot()
	if e := entries[len(entries)-1]; e.SRC.String() != "2001:db8::1" || e.Tag != 1 {
		t.Fatalf("entry %+v", e)
	}
	status, rep = post(t, srv.URL+"/api/ingest?tag=other", "", "\n\r\n", false)
	if status != 200 || *rep.Stored != 0 || s.calls != 3 {
		t.Fatalf("status %d, reply %+v, calls %d", status, rep, s.calls)
	}
}

func TestHandlerJSON(t *testing.T) {
	s := newMemSink()
	srv := newTestServer(t, s, HandlerConfig{})
	body := `[{"TS":"2024-05-01T09:59:58Z","Tag":"a","Data":"aGk="},{"Text":"x","SRC":"10.0.0.9"}]`
	status, rep := post(t, srv.URL+"/api/ingest?tag=b", "application/json; charset=utf-8", body, false)
	if status != 200 || *rep.Stored != 2 {
		t.Fatalf("status %d, reply %+v", status, rep)
	}
	entries, names := s.snapshot()
	if len(entries) != 2 || strings.Join(names, ",") != "a,b" {
		t.Fatalf("entries %+v tags %v", entries, names)
	}
	if e := entries[0]; e.TS != mustTime(t, "2024-05-01T09:59:58Z") || string(e.Data) != "hi" || e.SRC.String() != "127.0.0.1" || e.Tag != 0 {
		t.Fatalf("entry 0: %+v", e)
	}
	if e := entries[1]; e.TS != testNow.UnixNano() || string(e.Data) != "x" || e.SRC.String() != "10.0.0.9" || e.Tag != 1 {
		t.Fatalf("entry 1: %+v", e)
	}
	// Without tag= every entry needs its own Tag.
	status, rep = post(t, srv.URL+"/api/ingest", "application/json", `[{"Tag":"a","Text":"y"}]`, false)
	if status != 200 || *rep.Stored != 1 {
		t.Fatalf("status %d, reply %+v", status, rep)
	}
}

func TestHandlerErrors(t *testing.T) {
	s := newMemSink()
	srv := newTestServer(t, s, HandlerConfig{MaxBodySize: 1000, MaxEntrySize: 20, MaxEntries: 5})
	f := func(query, ctype, body string, chunked bool, wantStatus int, wantErr string) {
		t.Helper()
		status, rep := post(t, srv.URL+"/api/ingest"+query, ctype, body, chunked)
		if status != wantStatus || rep.Error != wantErr {
			t.Fatalf("%s %q: status %d %q, want %d %q", query, body, status, rep.Error, wantStatus, wantErr)
		}
	}
	f("", "", "a\n", false, 400, "missing tag= query parameter")
	f("?tag=bad%20tag", "", "a\n", false, 400, `query parameter "tag": tag "bad tag": memsink: invalid tag name "bad tag"`)
	f("?tag=t&src=nope", "", "a\n", false, 400, `query parameter "src": cannot parse "nope" as an IP address`)
	f("?tag=t", "text/plain; x", "a\n", false, 400, `cannot parse Content-Type "text/plain; x": mime: invalid media parameter`)
	f("?tag=t", "", "ok\nok\n"+strings.Repeat("x", 21)+"\nok\n", false, 400, "line 3: entry is 21 bytes, over the limit MaxEntrySize=20")
	f("?tag=t", "", strings.Repeat("a\n", 6), false, 413, "request holds more than MaxEntries=5 entries")
	f("?tag=t", "", strings.Repeat("a", 1001), false, 413, "request body is over the limit MaxBodySize=1000 bytes")
	f("?tag=t", "", strings.Repeat("a", 1001), true, 413, "request body is over the limit MaxBodySize=1000 bytes")
	f("?tag=t", "application/json", `[{"Text":"ok"},{"Text":"ok","TS":"soon"}]`, false, 400, `entry 1: field "TS": cannot parse "soon" as an RFC 3339 time`)
	f("?tag=t", "application/json", `[{"Text":"`+strings.Repeat("x", 21)+`"}]`, false, 400, "entry 0: entry is 21 bytes, over the limit MaxEntrySize=20")
	f("?tag=t", "application/json", `[`, true, 400, `malformed JSON: cannot parse JSON: cannot parse array: missing ']'; unparsed tail: ""`)
	if entries, _ := s.snapshot(); len(entries) != 0 || s.calls != 0 {
		t.Fatalf("bad requests stored %d entries in %d calls", len(entries), s.calls)
	}

	// Not POST.
	resp, err := http.Get(srv.URL + "/api/ingest?tag=t")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" || string(b) != `{"Error":"method GET is not allowed, use POST"}`+"\n" {
		t.Fatalf("GET: %d %q %s", resp.StatusCode, resp.Header.Get("Allow"), b)
	}

	// The sink fails: 500 saying so without the sink's message (it may hold server paths),
	// nothing stored.
	s.failIngest = errors.New("store: cannot write /srv/data/wells/default/x.shard: input/output error")
	f("?tag=t", "", "a\nb\n", false, 500, "the server could not store the entries (see the server log); nothing of this request was stored")
	if entries, _ := s.snapshot(); len(entries) != 0 || s.calls != 1 {
		t.Fatalf("failed request stored %d entries in %d calls", len(entries), s.calls)
	}
	// A full disk is 507, an unavailable sink 503; neither names a path.
	s.failIngest = &os.PathError{Op: "write", Path: "/srv/data/wells/default/x.shard", Err: syscall.ENOSPC}
	f("?tag=t", "", "a\n", false, 507, "the server's disk is full; nothing of this request was stored")
	s.failIngest = fmt.Errorf("%w: store: closed", ErrUnavailable)
	f("?tag=t", "", "a\n", false, 503, "the store is not accepting entries (shutting down, or disabled after a write error; see the server log); nothing of this request was stored")
	// An entry the sink refuses for what it holds is the client's mistake: 400 naming it.
	s.failIngest = &rejected{index: 1, field: "TS"}
	f("?tag=t", "", "a\nb\n", false, 400, `entry 1: field "TS": timestamp -5 outside 1970-01-01..2262-01-01`)
}

// rejected is a sink error refusing one entry, shaped like store.EntryError.
type rejected struct {
	index int
	field string
}

func (e *rejected) Error() string {
	return "store: entry " + strconv.Itoa(e.index) + ": timestamp -5 outside 1970-01-01..2262-01-01"
}
func (e *rejected) EntryIndex() int    { return e.index }
func (e *rejected) EntryField() string { return e.field }

// TestSinkErrorReply: the mapping every HTTP front end of a sink uses; 5xx texts hold no path.
func TestSinkErrorReply(t *testing.T) {
	f := func(err error, status int, want string) {
		t.Helper()
		gs, got := SinkErrorReply(err)
		if gs != status || got != want {
			t.Fatalf("SinkErrorReply(%v) = %d %q, want %d %q", err, gs, got, status, want)
		}
	}
	f(&rejected{index: 2, field: "TS"}, 400, `entry 2: field "TS": timestamp -5 outside 1970-01-01..2262-01-01`)
	f(fmt.Errorf("store: cannot write /srv/x.shard: %w", syscall.ENOSPC), 507, "the server's disk is full; nothing of this request was stored")
	f(fmt.Errorf("%w: store: closed", ErrUnavailable), 503,
		"the store is not accepting entries (shutting down, or disabled after a write error; see the server log); nothing of this request was stored")
	f(errors.New("store: cannot sync /srv/x.shard: input/output error"), 500,
		"the server could not store the entries (see the server log); nothing of this request was stored")
}
