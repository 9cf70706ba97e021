package web_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/web"
)

// The console tests drive Debian's chromium headless through chromedp against a real engine
// (embedded store seeded with the demo data set) on loopback. Each saves screenshots under
// -screenshots (default web/screenshots, git-ignored); `make screenshots` writes them all.

var screenshots = flag.String("screenshots", "screenshots", "directory the console tests write their screenshots to")

// consoleToken is the credential the test server requires; a test logs in with it through the
// login page (the session cookie then authenticates the page, its sockets and REST calls), or,
// with ConsolePublic, types it into the page's token box.
const consoleToken = "console-secret"

// deadAfter is the test's shortened dead-backend period (30 s in production).
const deadAfter = 1500 * time.Millisecond

// indexer is the engine's indexer key in stats payloads.
const indexer = "127.0.0.1:9404"

// consoleEnv is a real server behind a pausable proxy, and a browser tab on the console.
type consoleEnv struct {
	t      *testing.T
	eng    *engine.Engine
	proxy  *pauseProxy
	url    string // the console through the proxy
	srvURL string // the server itself
	token  string // the server's token; "" when it has none (loopback only)
	logged bool   // the browser holds a session cookie (login)
	ctx    context.Context
	mu     sync.Mutex
	errs   []string // uncaught exceptions and console errors of the page
}

func findChromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found: .ci/run must install it (apt-get install chromium)")
	}
	t.Skip("chromium not found; install Debian's chromium to run the console tests (apt-get install chromium)")
	return ""
}

// startConsole starts the engine with the demo data, the proxy and a headless browser whose
// tab has the token in its localStorage.
func startConsole(t *testing.T, opts ...func(*engine.Config)) *consoleEnv {
	t.Helper()
	chromium := findChromium(t)
	cfg := engine.Config{DataDir: t.TempDir()}
	cfg.Server.Tokens = []string{consoleToken}
	cfg.Stats.PingPeriod = 200 * time.Millisecond
	cfg.Stats.SysStatsPeriod = 300 * time.Millisecond
	cfg.Stats.IdxStatsPeriod = 300 * time.Millisecond
	cfg.Stats.IgstStatsPeriod = 300 * time.Millisecond
	cfg.Search.Grace = 2 * time.Second
	cfg.Web = web.Config{DeadAfter: deadAfter}
	for _, o := range opts {
		o(&cfg)
	}
	eng, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.SeedDemo(context.Background(), 30000); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(eng.Handler())
	proxy := startProxy(t, srv.Listener.Addr().String())
	t.Cleanup(func() {
		proxy.Close()
		srv.CloseClientConnections()
		srv.Close()
		if err := eng.Close(); err != nil {
			t.Errorf("engine close: %v", err)
		}
	})

	e := &consoleEnv{t: t, eng: eng, proxy: proxy, url: "http://" + proxy.Addr(), srvURL: srv.URL}
	if len(cfg.Server.Tokens) > 0 {
		e.token = cfg.Server.Tokens[0]
	}
	e.startBrowser(chromium)
	return e
}

// startBrowser starts a headless chromium for e, at 1280×800, and watches its page's console
// for exceptions and errors.
func (e *consoleEnv) startBrowser(chromium string) {
	t := e.t
	t.Helper()
	aopts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-breakpad", true), chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("lang", "en-US"), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 800))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), aopts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelC()
		cancelA()
	})
	e.ctx = ctx
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatal(err)
	}
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == "error" {
				e.mu.Lock()
				e.errs = append(e.errs, m.String())
				e.mu.Unlock()
			}
		}
	}()
}

// open loads the console at path, logging in through the login page first when the server has
// a token and the browser no session yet.
func (e *consoleEnv) open(path string) {
	e.t.Helper()
	if e.token != "" && !e.logged {
		e.login(e.token)
		e.logged = true
	}
	e.do(chromedp.Navigate(e.url + path))
}

// login opens the login page, types token into it as a user pasting it would, and submits the
// form; a valid token leads to the console at /.
func (e *consoleEnv) login(token string) {
	e.t.Helper()
	e.do(chromedp.Navigate(e.url + web.LoginPath))
	e.waitJS("the login form", `document.querySelector('#login-form #token')`, 5*time.Second)
	e.do(chromedp.SendKeys(chromedp.CSS("#token"), token), chromedp.Submit(chromedp.CSS("#login-form")))
	e.waitJS("the console after the login", `location.pathname === '/' && document.querySelector('#view-search')`, 10*time.Second)
}

func (e *consoleEnv) do(steps ...chromedp.Action[chromedp.Void]) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		e.fail("%v", err)
	}
}

// eval evaluates a JavaScript expression and decodes its value into T.
func eval[T any](e *consoleEnv, expr string) T {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		e.fail("evaluate %s: %v", expr, err)
	}
	return v
}

// waitJS waits until the expression is true. The timeout is at least 10 s: CI machines are
// shared, and a wait only costs time when something is wrong.
func (e *consoleEnv) waitJS(what, expr string, timeout time.Duration) {
	e.t.Helper()
	timeout = max(timeout, 10*time.Second)
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(e.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			e.fail("timed out after %v waiting for %s (%s); last error %v", timeout, what, expr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fail saves a screenshot and the page's text, then fails the test.
func (e *consoleEnv) fail(format string, args ...any) {
	e.t.Helper()
	name := "FAILED-" + strings.ReplaceAll(e.t.Name(), "/", "-")
	e.shot(name)
	ctx, cancel := context.WithTimeout(e.ctx, 5*time.Second)
	defer cancel()
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText.slice(0, 3000)`))
	e.t.Logf("page text:\n%s", text)
	e.t.Fatalf(format, args...)
}

// shot saves a screenshot of the viewport as NAME.png under -screenshots.
func (e *consoleEnv) shot(name string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		e.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.MkdirAll(*screenshots, 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*screenshots, name+".png"), png, 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// checkNoErrors fails when the page threw or logged an error.
func (e *consoleEnv) checkNoErrors() {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, m := range e.errs {
		e.t.Errorf("page console: %s", m)
	}
	e.errs = nil
}

// expectErrors drops the page errors that contain one of want (and fails if one of want is
// in none of them); any other error fails the test.
func (e *consoleEnv) expectErrors(want ...string) {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	seen := map[string]bool{}
	for _, m := range e.errs {
		ok := false
		for _, w := range want {
			if strings.Contains(m, w) {
				seen[w], ok = true, true
			}
		}
		if !ok {
			e.t.Errorf("page console: %s", m)
		}
	}
	for _, w := range want {
		if !seen[w] {
			e.t.Errorf("the page logged no error containing %q", w)
		}
	}
	e.errs = nil
}

// getJSON fetches a REST route with the token, straight from the server (not through the
// proxy), and decodes its JSON body into v.
func (e *consoleEnv) getJSON(path string, v any) {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.srvURL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		e.t.Fatalf("GET %s: %v", path, err)
	}
}

// setDark switches prefers-color-scheme.
func (e *consoleEnv) setDark(dark bool) {
	e.t.Helper()
	v := "light"
	if dark {
		v = "dark"
	}
	e.do(func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v}}})
		return chromedp.Void{}, err
	})
}

// drag presses the mouse at (x0,y) and releases it at (x1,y), moving in steps, as a user
// selecting a window on a chart.
func (e *consoleEnv) drag(x0, x1, y float64) {
	e.t.Helper()
	steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x0, y),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x0, y, chromedp.ButtonLeft, chromedp.ClickCount(1))}
	for i := 1; i <= 8; i++ {
		x := x0 + (x1-x0)*float64(i)/8
		steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y, chromedp.ButtonLeft, func(p *input.DispatchMouseEventParams) {
			p.Buttons = 1
		}))
	}
	steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x1, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	e.do(steps...)
}

func ptr[T any](v T) *T { return &v }

// setQuery replaces the query box's text by typing it, as a user would.
func (e *consoleEnv) setQuery(q string) {
	e.t.Helper()
	eval[any](e, `(() => { const q = document.querySelector('#query'); q.value = ''; q.focus(); })()`)
	e.do(chromedp.SendKeys(chromedp.CSS("#query"), q))
}

// setRange picks a time range preset from the select box.
func (e *consoleEnv) setRange(preset string) {
	e.t.Helper()
	eval[any](e, fmt.Sprintf(`(() => { const r = document.querySelector('#range'); r.value = %q; r.dispatchEvent(new Event('change')); })()`, preset))
}

// runQuery types q, waits for the parse channel to accept it, presses Enter and waits for
// the search to finish.
func (e *consoleEnv) runQuery(q string) {
	e.t.Helper()
	e.setQuery(q)
	e.waitJS("the parse check of "+q, `document.querySelector('#parse-status [data-state="ok"]')`, 5*time.Second)
	prev := eval[string](e, `window.sluice.search.cur ? window.sluice.search.cur.id : ''`)
	e.do(chromedp.SendKeys(chromedp.CSS("#query"), kb.Enter))
	e.waitJS("the search of "+q+" to finish", fmt.Sprintf(`window.sluice.search.cur && window.sluice.search.cur.id !== %q && document.querySelector('#search-state[data-state="finished"]')`, prev), 15*time.Second)
}

// pauseProxy forwards TCP connections to a target; while paused it holds everything the
// server sends (the connections stay open, nothing reaches the browser), and Drop closes
// every connection. It lets a test silence the stats socket's pings or cut it.
type pauseProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cond   *sync.Cond
	paused bool
	refuse bool // close new connections at once
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

func startProxy(t *testing.T, target string) *pauseProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pauseProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.cond = sync.NewCond(&p.mu)
	p.wg.Add(1)
	go p.serve()
	return p
}

func (p *pauseProxy) Addr() string { return p.ln.Addr().String() }

func (p *pauseProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		refuse := p.refuse
		p.mu.Unlock()
		if refuse {
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[s] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(s, c, false)
		go p.pipe(c, s, true)
	}
}

// pipe copies src to dst; gated copies wait while the proxy is paused.
func (p *pauseProxy) pipe(dst, src net.Conn, gated bool) {
	defer p.wg.Done()
	defer func() {
		dst.Close()
		src.Close()
		p.mu.Lock()
		delete(p.conns, dst)
		delete(p.conns, src)
		p.mu.Unlock()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if gated {
				p.mu.Lock()
				for p.paused {
					p.cond.Wait()
				}
				p.mu.Unlock()
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil { // EOF, a reset or Drop: the pair ends
			return
		}
	}
}

// Pause holds the server's data; Resume delivers it and everything after.
func (p *pauseProxy) Pause() {
	p.mu.Lock()
	p.paused = true
	p.mu.Unlock()
}

func (p *pauseProxy) Resume() {
	p.mu.Lock()
	p.paused = false
	p.cond.Broadcast()
	p.mu.Unlock()
}

// Refuse makes the proxy close new connections at once (true) or forward them (false).
func (p *pauseProxy) Refuse(on bool) {
	p.mu.Lock()
	p.refuse = on
	p.mu.Unlock()
}

// Drop closes every proxied connection (new ones are still accepted unless Refuse).
func (p *pauseProxy) Drop() {
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
}

func (p *pauseProxy) Close() {
	p.ln.Close()
	p.Resume()
	p.Drop()
	p.wg.Wait()
}
