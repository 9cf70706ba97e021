package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/sluicehq/sluice/engine"
)

// TestConsoleErrors: a bad query shows the parse error at the module it names as it is
// typed; launching it anyway shows the server's refusal in place; an absolute range that
// ends before it starts is refused before it is sent; a request on a search deleted behind
// the page's back shows the server's RESP_ERROR text on the results; Esc while a launch is
// on its way refuses the launch, and the server discards the search. The server has no
// tokens here, as `make run` starts it.
func TestConsoleErrors(t *testing.T) {
	// This server has no tokens, as `make run` starts it (loopback only): the page connects
	// without offering one.
	e := startConsole(t, func(c *engine.Config) { c.Server.Tokens = nil })
	e.open("/")
	e.waitJS("the search socket", `document.querySelector('#pill-search').dataset.state === 'open'`, 10*time.Second)

	// Parse as you type: the error names the second module.
	e.setQuery("tag=syslog grep sshd | bogusmodule")
	e.waitJS("the parse error", `document.querySelector('#parse-error')`, 5*time.Second)
	perr := eval[string](e, `document.querySelector('#parse-error').textContent`)
	if !strings.Contains(perr, "module 2 (bogusmodule)") || !strings.Contains(perr, "bogusmodule") {
		t.Errorf("parse error %q does not name the module", perr)
	}
	if bad := eval[string](e, `document.querySelector('.chip-bad').textContent`); bad != "bogusmodule" {
		t.Errorf("highlighted module %q, want bogusmodule", bad)
	}
	e.shot("parse-error")
	// Fixing it clears the error.
	e.do(chromedp.SendKeys(chromedp.CSS("#query"), kb.Backspace+kb.Backspace+kb.Backspace+kb.Backspace+kb.Backspace+kb.Backspace+kb.Backspace+kb.Backspace+kb.Backspace+kb.Backspace+kb.Backspace+kb.Backspace+kb.Backspace))
	e.waitJS("the fixed query", `document.querySelector('#parse-status [data-state="ok"]') && !document.querySelector('#parse-error')`, 5*time.Second)

	// Launching a bad query: the server's error, in place.
	e.setQuery("tag=syslog grep sshd | bogusmodule")
	e.waitJS("the parse error", `document.querySelector('#parse-error')`, 5*time.Second)
	e.do(chromedp.SendKeys(chromedp.CSS("#query"), kb.Enter))
	e.waitJS("the launch error", `!document.querySelector('#launch-error').hidden`, 5*time.Second)
	if msg := eval[string](e, `document.querySelector('#launch-error').textContent`); !strings.Contains(msg, "refused the search") || !strings.Contains(msg, "bogusmodule") {
		t.Errorf("launch error %q lacks the server's text", msg)
	}

	// An absolute range that ends before it starts.
	e.setRange("custom")
	eval[any](e, `(() => { const s = document.querySelector('#start'), en = document.querySelector('#end');
		s.value = '2026-01-02T10:00:00'; en.value = '2026-01-02T09:00:00'; s.dispatchEvent(new Event('input')); })()`)
	if title := eval[string](e, `document.querySelector('#start').title`); !strings.HasSuffix(title, "(UTC)") {
		t.Errorf("start time title %q: want the UTC time on hover", title)
	}
	e.setQuery("tag=syslog")
	e.do(chromedp.SendKeys(chromedp.CSS("#query"), kb.Enter))
	e.waitJS("the range error", `/must be after the start/.test(document.querySelector('#launch-error').textContent)`, 5*time.Second)
	e.shot("range-error")

	// A search deleted behind the page's back: the next request gets RESP_ERROR, shown.
	e.setRange("24h")
	e.runQuery("tag=syslog")
	id := eval[string](e, `window.sluice.search.cur.id`)
	if err := e.eng.DeleteSearch(id); err != nil {
		t.Fatal(err)
	}
	e.do(chromedp.Click(chromedp.CSS("#page-next")))
	e.waitJS("the server's error on the results", `[...document.querySelectorAll('#notices .banner-error')].some(b => /Server error: .*deleted/.test(b.textContent))`, 5*time.Second)
	e.shot("search-deleted-error")

	// Esc while the launch is on its way: the console refuses it (OK: false) and the server
	// discards the search.
	e.setQuery("tag=weblog")
	e.waitJS("the parse check", `document.querySelector('#parse-status [data-state="ok"]')`, 5*time.Second)
	before := e.liveSearches()
	e.proxy.Pause()
	e.do(chromedp.SendKeys(chromedp.CSS("#query"), kb.Enter))
	e.waitJS("the launch on its way", `window.sluice.search.launching && !document.querySelector('#cancel').hidden`, 3*time.Second)
	e.do(chromedp.KeyEvent(kb.Escape))
	e.proxy.Resume()
	e.waitJS("the cancelled launch", `document.querySelector('#launch-error').dataset.cancelled`, 5*time.Second)
	cancelled := eval[string](e, `document.querySelector('#launch-error').dataset.cancelled`)
	deadline := time.Now().Add(3 * time.Second)
	for e.liveSearches()[cancelled] {
		if time.Now().After(deadline) {
			t.Fatalf("search %s still live on the server after Esc refused its launch", cancelled)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if before[cancelled] {
		t.Fatalf("search %s existed before the launch", cancelled)
	}
	e.checkNoErrors()
}

// liveSearches returns the IDs the server lists on GET /api/searchctrl.
func (e *consoleEnv) liveSearches() map[string]bool {
	e.t.Helper()
	var list []map[string]any
	e.getJSON("/api/searchctrl", &list)
	out := map[string]bool{}
	for _, s := range list {
		out[fmt.Sprint(s["ID"])] = true
	}
	return out
}
