//go:build linux

package engine_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
)

// browserToken is the credential the page offers as its websocket subprotocol.
const browserToken = "tok123"

// TestBrowserJSClient proves that a real browser can use sluice: Debian's chromium loads
// testdata/browser/client.html from the engine's own origin, and its JavaScript talks to the
// search and stats sockets the way the Gravwell web GUI does (token as the websocket
// subprotocol, permessage-deflate offered by the browser, requests pipelined behind Subs).
// A second and third load, without the token and with a wrong one, must be refused.
func TestBrowserJSClient(t *testing.T) {
	chromium := findChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	const n = 2500
	srvURL := startBrowserServer(t, n)
	pageURL := srvURL + "/browser/client.html"
	b := startBrowser(ctx, t, chromium)

	q := url.Values{"token": {browserToken}, "tag": {"app"},
		"start": {base.Format(time.RFC3339)}, "end": {base.Add(time.Hour).Format(time.RFC3339)}}
	var full browserResult
	b.load(ctx, "full", pageURL+"?"+q.Encode(), &full)
	if full.Error != "" {
		t.Fatalf("page error: %s", full.Error)
	}
	checkBrowserSearch(t, full.Search, n)
	checkBrowserStats(t, full.Stats)

	for i, c := range []struct{ label, token string }{{"no token", ""}, {"wrong token", "tok999"}} {
		q := url.Values{"mode": {"noauth"}}
		if c.token != "" {
			q.Set("token", c.token)
		}
		var r browserResult
		b.load(ctx, "noauth "+c.label, pageURL+"?"+q.Encode(), &r)
		if r.Error != "" {
			t.Fatalf("%s: page error: %s", c.label, r.Error)
		}
		na := r.NoAuth
		if na == nil || slices.Contains(na.Events, "open") || slices.Contains(na.Events, "message") ||
			!slices.Contains(na.Events, "error") || !slices.Contains(na.Events, "close") ||
			na.CloseCode != 1006 || na.ReadyState != 3 {
			t.Errorf("%s: connection not refused as expected: %+v", c.label, na)
		}
		// The server refused it before the upgrade for want of a credential (a 401)...
		if got := authRefusals(t, srvURL); got != i+1 {
			t.Errorf("%s: %s{reason=\"auth\"} = %d, want %d", c.label, authRefusedMetric, got, i+1)
		}
		// ...and the browser says so in its console: Chromium reports a 401 on a websocket
		// handshake as "HTTP Authentication failed" (older versions: "Unexpected response code: 401").
		if !b.waitLogged(2*time.Second, "HTTP Authentication failed", "Unexpected response code: 401") {
			b.dumpLogs()
			t.Errorf("%s: the browser did not report the 401 refusal in its console", c.label)
		}
		b.clearLogs()
	}
}

// startBrowserServer starts a real engine with a token, ingests n entries tagged app, and
// serves testdata/browser under /browser/ beside the engine's routes, so the page and the
// sockets share an origin. It returns the server's URL.
func startBrowserServer(t *testing.T, n int) string {
	t.Helper()
	cfg := engine.Config{DataDir: t.TempDir()}
	cfg.Server.Tokens = []string{browserToken}
	cfg.Stats.PingPeriod = 200 * time.Millisecond
	cfg.Stats.SysStatsPeriod = 200 * time.Millisecond
	cfg.Stats.IdxStatsPeriod = 300 * time.Millisecond
	cfg.Stats.IgstStatsPeriod = 300 * time.Millisecond
	cfg.Search.Grace = 100 * time.Millisecond
	eng, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/browser/", http.StripPrefix("/browser/", http.FileServerFS(os.DirFS(filepath.Join("testdata", "browser")))))
	mux.Handle("/", eng.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Close()
		if err := eng.Close(); err != nil {
			t.Errorf("engine close: %v", err)
		}
	})
	ingestN(t, &testServer{eng: eng}, "app", n)
	return srv.URL
}

const authRefusedMetric = "sluice_ws_upgrades_failed_total"

// authRefusals reads how many websocket upgrades the server refused for a missing or invalid
// credential (answered 401) from its /metrics.
func authRefusals(t *testing.T, srvURL string) int {
	t.Helper()
	req, err := http.NewRequest("GET", srvURL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+browserToken) // /metrics needs a principal when tokens are set
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if rest, ok := strings.CutPrefix(line, authRefusedMetric+`{reason="auth"} `); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				t.Fatalf("metrics line %q: %v", line, err)
			}
			return int(v)
		}
	}
	return 0
}

// browserResult is the JSON client.js writes into <pre id="result">.
type browserResult struct {
	Mode   string
	Error  string
	Search *browserSearch
	Stats  *browserStats
	NoAuth *browserNoAuth
}

// browserSearch is what the page saw on the search socket.
type browserSearch struct {
	Protocol, Extensions string
	Ack, FirstMessage    string
	Pong                 string
	Parse                struct {
		Sequence  int
		GoodQuery bool
		RawQuery  string
	}
	Launch struct {
		Channel, RenderModule, SearchID string
		Addendum                        json.RawMessage
	}
	Details struct {
		Polls                         int
		EntryCount, DetailsEntryCount int
		SearchInfoID                  string
		Addendum                      json.RawMessage
	}
	Paged struct {
		AddendumEchoed, RangeEchoed, TagsOK, NewestFirst bool
		Addendum                                         json.RawMessage
		Distinct, Min, Max, Entries, Pages               int
	}
	Streamed struct {
		Distinct, Min, Max, Entries, Blocks int
		BlocksOK, Terminator                bool
	}
	Stats        struct{ Sets, Sum int }
	Closed       bool
	AfterClose   int
	BinaryFrames int
	SocketErrors []string
	CloseEvent   *struct {
		Code     int
		WasClean bool
	}
}

// browserStats is what the page saw on the stats socket.
type browserStats struct {
	Protocol, Extensions string
	Ack, First           string
	Order, Types, Hosts  []string
	PingStates           map[string]string
	BinaryFrames         int
	SocketErrors         []string
}

// browserNoAuth is what the page saw of a connection attempt the server must refuse.
type browserNoAuth struct {
	Events     []string
	CloseCode  int
	WasClean   bool
	Protocol   string
	ReadyState int
}

func checkBrowserSearch(t *testing.T, s *browserSearch, n int) {
	t.Helper()
	if s == nil {
		t.Fatal("no search result")
	}
	const addendum = `{"filterID":"search-filter-1"}`
	if s.Protocol != browserToken {
		t.Errorf("search socket: ws.protocol = %q, want %q (the server must echo the offered token)", s.Protocol, browserToken)
	}
	if !strings.Contains(s.Extensions, "permessage-deflate") {
		t.Errorf("search socket: ws.extensions = %q, want permessage-deflate negotiated", s.Extensions)
	}
	if s.Ack != "ACK" || s.FirstMessage != "" {
		t.Errorf("search socket: first message on %q, Resp %q; want the bare ACK first", s.FirstMessage, s.Ack)
	}
	if s.Pong != "{}" {
		t.Errorf("PONG reply data = %s, want {}", s.Pong)
	}
	if s.Parse.Sequence != 1 || !s.Parse.GoodQuery || s.Parse.RawQuery != "tag=app" {
		t.Errorf("parse reply: %+v", s.Parse)
	}
	if s.Launch.Channel == "" || s.Launch.RenderModule != "text" || string(s.Launch.Addendum) != addendum {
		t.Errorf("launch: %+v (Addendum %s)", s.Launch, s.Launch.Addendum)
	}
	if s.Details.EntryCount != n || s.Details.DetailsEntryCount != n || s.Details.SearchInfoID != s.Launch.SearchID ||
		string(s.Details.Addendum) != addendum {
		t.Errorf("details/entry count: %+v (Addendum %s)", s.Details, s.Details.Addendum)
	}
	p := s.Paged
	if p.Entries != n || p.Distinct != n || p.Min != 0 || p.Max != n-1 || !p.NewestFirst || !p.TagsOK || !p.RangeEchoed {
		t.Errorf("REQ_TS_RANGE paging: %+v", p)
	}
	if !p.AddendumEchoed || string(p.Addendum) != addendum {
		t.Errorf("REQ_TS_RANGE Addendum echo: %s (all pages echoed: %v), want %s", p.Addendum, p.AddendumEchoed, addendum)
	}
	st := s.Streamed
	if st.Entries != n || st.Distinct != n || st.Min != 0 || st.Max != n-1 || !st.BlocksOK || !st.Terminator || st.Blocks != (n+999)/1000 {
		t.Errorf("REQ_STREAMING: %+v", st)
	}
	if s.Stats.Sets != 90 || s.Stats.Sum != n {
		t.Errorf("REQ_STATS_GET SetCount 90: %d sets summing to %d, want 90 summing to %d", s.Stats.Sets, s.Stats.Sum, n)
	}
	if !s.Closed || s.AfterClose != 0 {
		t.Errorf("REQ_CLOSE: closed %v, %d messages after the reply", s.Closed, s.AfterClose)
	}
	if s.BinaryFrames != 0 || len(s.SocketErrors) != 0 {
		t.Errorf("search socket: %d binary frames, errors %q", s.BinaryFrames, s.SocketErrors)
	}
	if s.CloseEvent == nil || s.CloseEvent.Code != 1000 || !s.CloseEvent.WasClean {
		t.Errorf("search socket close: %+v, want a clean 1000", s.CloseEvent)
	}
}

func checkBrowserStats(t *testing.T, s *browserStats) {
	t.Helper()
	if s == nil {
		t.Fatal("no stats result")
	}
	if s.Protocol != browserToken || !strings.Contains(s.Extensions, "permessage-deflate") {
		t.Errorf("stats socket: protocol %q extensions %q", s.Protocol, s.Extensions)
	}
	if s.Ack != "ACK" || s.First != "sysDesc" {
		t.Errorf("stats socket: ACK %q, first message %q (order %q), want sysDesc first", s.Ack, s.First, s.Order)
	}
	for _, ty := range s.Types {
		if ty != "sysDesc" && ty != "ping" {
			t.Errorf("stats socket: unsubscribed type %q (order %q)", ty, s.Order)
		}
	}
	if !slices.Contains(s.Hosts, "webserver") || s.PingStates["127.0.0.1:9404"] != "OK" {
		t.Errorf("stats socket: sysDesc hosts %q, ping states %v", s.Hosts, s.PingStates)
	}
	if s.BinaryFrames != 0 || len(s.SocketErrors) != 0 {
		t.Errorf("stats socket: %d binary frames, errors %q", s.BinaryFrames, s.SocketErrors)
	}
}

// findChromium returns Debian's chromium. Without it the test fails under CI (CI set), where
// .ci/run must install it, and is skipped elsewhere.
func findChromium(t *testing.T) string {
	t.Helper()
	if fi, err := os.Stat("/usr/bin/chromium"); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	const install = "apt-get update && apt-get install -y chromium"
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found (/usr/bin/chromium or chromium on PATH): .ci/run must install it: " + install)
	}
	t.Skip("chromium not found (/usr/bin/chromium or chromium on PATH); to run this test install Debian's package: " + install)
	return ""
}

// browser is a headless chromium driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: the browser reads commands on fd 3 and writes replies and events
// on fd 4, each message one JSON object followed by a NUL byte).
type browser struct {
	t       *testing.T
	cmd     *exec.Cmd
	waited  chan error // cmd.Wait's result
	out     *os.File   // commands to the browser
	in      *os.File   // replies and events from the browser
	logPath string     // the browser's stdout and stderr
	done    chan struct{}

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan cdpMessage
	readErr error
	labels  map[string]string // session ID → page label, for logs
	logs    []string          // console, log and websocket events of every page
}

// cdpMessage is a DevTools reply (ID set) or event (Method set).
type cdpMessage struct {
	ID        int64           `json:"id"`
	SessionID string          `json:"sessionId"`
	Method    string          `json:"method"`
	Params    json.RawMessage `json:"params"`
	Result    json.RawMessage `json:"result"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func startBrowser(ctx context.Context, t *testing.T, path string) *browser {
	t.Helper()
	dir := t.TempDir() // removed after stop (cleanups run last-in first-out)
	logPath := filepath.Join(dir, "chromium.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	evR, evW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, path,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-crash-reporter", "--disable-breakpad", "--no-default-browser-check",
		"--user-data-dir="+filepath.Join(dir, "profile"),
		"--remote-debugging-pipe", "--enable-logging=stderr", "--v=0", "about:blank")
	cmd.ExtraFiles = []*os.File{cmdR, evW} // fd 3, fd 4
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	cmdR.Close()
	evW.Close()
	b := &browser{t: t, cmd: cmd, waited: make(chan error, 1), out: cmdW, in: evR, logPath: logPath,
		done: make(chan struct{}), pending: map[int64]chan cdpMessage{}, labels: map[string]string{}}
	go func() { b.waited <- cmd.Wait() }()
	go b.read()
	t.Cleanup(b.stop)
	return b
}

func (b *browser) read() {
	defer close(b.done)
	r := bufio.NewReaderSize(b.in, 1<<16)
	for {
		msg, err := r.ReadBytes(0)
		if err != nil {
			b.mu.Lock()
			b.readErr = fmt.Errorf("devtools pipe: %w", err)
			b.mu.Unlock()
			return
		}
		var m cdpMessage
		if err := json.Unmarshal(msg[:len(msg)-1], &m); err != nil {
			b.addLog("", "undecodable devtools message: "+string(msg))
			continue
		}
		if m.ID != 0 {
			b.mu.Lock()
			ch := b.pending[m.ID]
			delete(b.pending, m.ID)
			b.mu.Unlock()
			if ch != nil {
				ch <- m
			}
			continue
		}
		b.event(m)
	}
}

// event records what a page said: console calls, exceptions, log entries (the browser's own
// websocket errors land there) and websocket handshakes and closes.
func (b *browser) event(m cdpMessage) {
	var p struct {
		Type string `json:"type"`
		Args []struct {
			Value       any    `json:"value"`
			Description string `json:"description"`
		} `json:"args"`
		ExceptionDetails struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
		Entry struct {
			Source, Level, Text, URL string
		} `json:"entry"`
		URL      string `json:"url"`
		Response struct {
			Status     int               `json:"status"`
			StatusText string            `json:"statusText"`
			Headers    map[string]string `json:"headers"`
		} `json:"response"`
		ErrorMessage string `json:"errorMessage"`
	}
	json.Unmarshal(m.Params, &p)
	switch m.Method {
	case "Runtime.consoleAPICalled":
		parts := make([]string, 0, len(p.Args))
		for _, a := range p.Args {
			if a.Value != nil {
				parts = append(parts, fmt.Sprint(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		b.addLog(m.SessionID, "console."+p.Type+": "+strings.Join(parts, " "))
	case "Runtime.exceptionThrown":
		b.addLog(m.SessionID, "exception: "+p.ExceptionDetails.Text+" "+p.ExceptionDetails.Exception.Description)
	case "Log.entryAdded":
		b.addLog(m.SessionID, "log "+p.Entry.Source+"/"+p.Entry.Level+": "+p.Entry.Text+" ("+p.Entry.URL+")")
	case "Network.webSocketCreated":
		b.addLog(m.SessionID, "websocket created: "+p.URL)
	case "Network.webSocketHandshakeResponseReceived":
		hs := make([]string, 0, len(p.Response.Headers))
		for k, v := range p.Response.Headers {
			hs = append(hs, k+": "+v)
		}
		slices.Sort(hs)
		b.addLog(m.SessionID, fmt.Sprintf("websocket handshake response: %d %s [%s]", p.Response.Status, p.Response.StatusText, strings.Join(hs, "; ")))
	case "Network.webSocketFrameError":
		b.addLog(m.SessionID, "websocket frame error: "+p.ErrorMessage)
	case "Network.webSocketClosed":
		b.addLog(m.SessionID, "websocket closed")
	}
}

func (b *browser) addLog(session, line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if l := b.labels[session]; l != "" {
		line = "[" + l + "] " + line
	}
	if len(b.logs) < 2000 {
		b.logs = append(b.logs, line)
	}
}

// waitLogged reports whether a recorded console or log line contains one of subs, waiting up
// to d for it (events and replies travel separately).
func (b *browser) waitLogged(d time.Duration, subs ...string) bool {
	for deadline := time.Now().Add(d); ; time.Sleep(20 * time.Millisecond) {
		b.mu.Lock()
		for _, l := range b.logs {
			for _, s := range subs {
				if strings.Contains(l, s) {
					b.mu.Unlock()
					return true
				}
			}
		}
		b.mu.Unlock()
		if time.Now().After(deadline) {
			return false
		}
	}
}

func (b *browser) clearLogs() {
	b.mu.Lock()
	b.logs = b.logs[:0]
	b.mu.Unlock()
}

// call sends one DevTools command (to the page session, or to the browser when session is
// "") and waits for its reply.
func (b *browser) call(ctx context.Context, session, method string, params any) (json.RawMessage, error) {
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan cdpMessage, 1)
	b.pending[id] = ch
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.pending, id)
		b.mu.Unlock()
	}()
	req, err := json.Marshal(struct {
		ID        int64  `json:"id"`
		SessionID string `json:"sessionId,omitempty"`
		Method    string `json:"method"`
		Params    any    `json:"params,omitempty"`
	}{id, session, method, params})
	if err != nil {
		return nil, err
	}
	if _, err := b.out.Write(append(req, 0)); err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			return nil, fmt.Errorf("%s: devtools error %d: %s", method, m.Error.Code, m.Error.Message)
		}
		return m.Result, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", method, ctx.Err())
	case <-b.done:
		b.mu.Lock()
		err := b.readErr
		b.mu.Unlock()
		return nil, fmt.Errorf("%s: browser gone: %w", method, err)
	}
}

// load opens url in a new tab, waits for the page's window.sluiceDone and decodes the JSON the
// page wrote into <pre id="result"> into v. On failure it reports the page's console and the
// browser's log.
func (b *browser) load(ctx context.Context, label, pageURL string, v any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	text, err := b.run(ctx, label, pageURL)
	if err == nil {
		if err = json.Unmarshal([]byte(text), v); err != nil {
			err = fmt.Errorf("decode the page's result %q: %w", text, err)
		}
	}
	if err != nil {
		b.dumpLogs()
		b.t.Fatalf("%s: %v", label, err)
	}
	b.t.Logf("%s: %s", label, text)
}

func (b *browser) run(ctx context.Context, label, pageURL string) (string, error) {
	res, err := b.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"})
	if err != nil {
		return "", err
	}
	var target struct{ TargetID string }
	json.Unmarshal(res, &target)
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		b.call(cctx, "", "Target.closeTarget", map[string]any{"targetId": target.TargetID})
	}()
	if res, err = b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}); err != nil {
		return "", err
	}
	var attached struct{ SessionID string }
	json.Unmarshal(res, &attached)
	sess := attached.SessionID
	b.mu.Lock()
	b.labels[sess] = label
	b.mu.Unlock()
	for _, m := range []string{"Runtime.enable", "Log.enable", "Network.enable", "Page.enable"} {
		if _, err := b.call(ctx, sess, m, nil); err != nil {
			return "", err
		}
	}
	if res, err = b.call(ctx, sess, "Page.navigate", map[string]any{"url": pageURL}); err != nil {
		return "", err
	}
	var nav struct{ ErrorText string }
	json.Unmarshal(res, &nav)
	if nav.ErrorText != "" {
		return "", fmt.Errorf("navigate to %s: %s", pageURL, nav.ErrorText)
	}
	// Until the page's script has run, window.sluiceDone is missing (wait for it) or the
	// evaluation lands in about:blank, whose context the navigation destroys (evaluate again).
	const expr = `new Promise(resolve => {
		const wait = () => window.sluiceDone ? resolve(window.sluiceDone.then(() => document.getElementById('result').textContent)) : setTimeout(wait, 20);
		wait();
	})`
	for {
		res, err = b.call(ctx, sess, "Runtime.evaluate", map[string]any{"expression": expr, "awaitPromise": true, "returnByValue": true})
		if err == nil {
			break
		}
		if ctx.Err() != nil || !strings.Contains(err.Error(), "context") {
			return "", err
		}
		time.Sleep(20 * time.Millisecond)
	}
	var ev struct {
		Result struct {
			Type  string `json:"type"`
			Value any    `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &ev); err != nil {
		return "", err
	}
	if ev.ExceptionDetails != nil {
		return "", fmt.Errorf("evaluate: %s", ev.ExceptionDetails.Text)
	}
	s, ok := ev.Result.Value.(string)
	if !ok {
		return "", fmt.Errorf("the page's result is a %s, not a string: %s", ev.Result.Type, res)
	}
	return s, nil
}

// dumpLogs logs the pages' console lines and the tail of the browser's own log.
func (b *browser) dumpLogs() {
	b.mu.Lock()
	logs := slices.Clone(b.logs)
	b.mu.Unlock()
	for _, l := range logs {
		b.t.Log("browser: " + l)
	}
	if raw, err := os.ReadFile(b.logPath); err == nil {
		if len(raw) > 8000 {
			raw = raw[len(raw)-8000:]
		}
		b.t.Logf("chromium log (tail):\n%s", raw)
	}
}

// stop kills the browser's process group (every chromium process but the crash handlers,
// which put themselves in sessions of their own and exit when the browser is gone) and waits
// for it, so that the profile directory can be removed. A graceful Browser.close takes
// seconds; the profile is thrown away anyway.
func (b *browser) stop() {
	if b.t.Failed() {
		b.dumpLogs()
	}
	pgid := b.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGKILL)
	select {
	case <-b.waited:
	case <-time.After(5 * time.Second):
		b.t.Errorf("chromium (pid %d) did not exit", pgid)
	}
	b.out.Close()
	b.in.Close()
	<-b.done
	// The rest of the group are orphans now; wait until they are gone (bounded).
	for deadline := time.Now().Add(3 * time.Second); groupRunning(pgid); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.t.Logf("chromium processes of group %d still running", pgid)
			return
		}
	}
}

// groupRunning reports whether a process of group pgid is alive (not a zombie: whether a
// zombie is reaped soon depends on what runs as PID 1).
func groupRunning(pgid int) bool {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		raw, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
		i := bytes.LastIndexByte(raw, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(raw[i+1:]))
		if len(f) > 2 && f[0] != "Z" && f[0] != "X" && f[2] == strconv.Itoa(pgid) {
			return true
		}
	}
	return false
}
