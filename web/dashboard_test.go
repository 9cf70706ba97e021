package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sluicehq/sluice/engine"
)

// TestConsoleDashboard: the dashboard fills from a real server's stats socket (sysDesc builds
// the table, sysStats/idxStats/igstStats fill it); when the pings stop the dead banner names
// the backend and its last ping, and clears when they return; when the connection drops the
// socket says it is reconnecting and comes back. The console is public here
// (ConsolePublic), so the page loads without a login and takes the token in its token box.
func TestConsoleDashboard(t *testing.T) {
	e := startConsole(t, func(c *engine.Config) { c.Access.ConsolePublic = true })

	// A new user without a token: both sockets are refused, and the pills say so.
	e.do(chromedp.Navigate(e.url + "/#dashboard"))
	e.waitJS("the refused stats socket to say it is reconnecting", `document.querySelector('#pill-stats').dataset.state === 'retrying'`, 5*time.Second)
	if title := eval[string](e, `document.querySelector('#pill-stats').title`); !strings.Contains(title, "refused") {
		t.Errorf("stats pill title %q does not say the server refused the connection", title)
	}
	// They type the token into the token box; it is stored and both sockets reconnect.
	e.do(chromedp.Click(chromedp.CSS("#token-btn")), chromedp.SendKeys(chromedp.CSS("#token-input"), consoleToken),
		chromedp.Click(chromedp.CSS("#token-form button[type=submit]")))
	e.waitJS("both sockets live", `document.querySelector('#pill-stats').dataset.state === 'open' && document.querySelector('#pill-search').dataset.state === 'open'`, 10*time.Second)
	// The browser's own log of the refused upgrades and of the start page's GET /api/tags.
	e.expectErrors("HTTP Authentication failed", "401 (Unauthorized)")
	e.waitJS("the tags once the token is in", `document.querySelector('#tags-line [data-tag="syslog"]')`, 5*time.Second)
	if got := eval[string](e, `localStorage.getItem('sluice.token')`); got != consoleToken {
		t.Errorf("localStorage token = %q, want %q", got, consoleToken)
	}

	// The table: one row per sysDesc host, filled from sysStats.
	for _, host := range []string{"webserver", indexer} {
		e.waitJS("the row of "+host, fmt.Sprintf(`document.querySelector('tr[data-host=%q]')`, host), 5*time.Second)
	}
	e.waitJS("CPU and memory figures", `[...document.querySelectorAll('.hosts tbody tr')].every(r => /%/.test(r.cells[3].textContent) && /%/.test(r.cells[4].textContent))`, 5*time.Second)
	e.waitJS("a disk with a used/total bar", `document.querySelector('.hosts .disk .bar-fill')`, 5*time.Second)
	cpu := eval[string](e, `document.querySelector('tr[data-host="webserver"]').cells[1].textContent`)
	if !strings.Contains(cpu, "×") {
		t.Errorf("CPU cell %q lacks the CPU count and model from sysDesc", cpu)
	}
	// Wells from idxStats with entries, bytes and an ingest-rate sparkline.
	for _, well := range []string{"default"} { // the embedded store keeps every tag in one well
		e.waitJS("the well "+well, fmt.Sprintf(`(() => { const r = document.querySelector('.wells tr[data-well=%q]'); return r && /\d/.test(r.cells[2].textContent) && /B/.test(r.cells[3].textContent) && r.querySelector('svg.spark'); })()`, well), 5*time.Second)
	}
	// Sparklines fill as samples arrive: the CPU one has a line after a few sysStats.
	e.waitJS("a CPU sparkline with a line", `document.querySelector('tr[data-host="webserver"] svg.spark path.spark-line')`, 5*time.Second)
	e.waitJS("the ingest card", `document.querySelector('.ingest-card[data-indexer="127.0.0.1:9404"]')`, 5*time.Second)
	if n := eval[int](e, `document.querySelectorAll('.banner-dead').length`); n != 0 {
		t.Errorf("%d dead banners on a healthy server", n)
	}
	e.shot("dashboard")

	// Silence the server (the proxy holds everything it sends): no ping for deadAfter, so the
	// indexer is dead, named in a banner with the time of its last ping.
	e.proxy.Pause()
	paused := time.Now()
	e.waitJS("the dead banner", fmt.Sprintf(`document.querySelector('.banner-dead[data-backend=%q]')`, indexer), deadAfter+3*time.Second)
	// The last ping reached the page at most one ping period (200 ms) before the pause.
	if took := time.Since(paused); took < deadAfter-400*time.Millisecond {
		t.Errorf("banner %v after the pings stopped, before the %v dead period", took, deadAfter)
	}
	banner := eval[string](e, `document.querySelector('.banner-dead').textContent`)
	if !strings.Contains(banner, "Backend "+indexer+" is dead") || !strings.Contains(banner, "last ping at") {
		t.Errorf("dead banner %q does not name the backend and its last ping", banner)
	}
	e.waitJS("the row marked dead", fmt.Sprintf(`document.querySelector('tr[data-host=%q].row-dead .badge.bad')`, indexer), 2*time.Second)
	e.shot("dashboard-dead")

	// Pings return: the banner clears and the row is OK again.
	e.proxy.Resume()
	e.waitJS("the banner to clear", `document.querySelectorAll('.banner-dead').length === 0`, 5*time.Second)
	e.waitJS("the row OK again", fmt.Sprintf(`document.querySelector('tr[data-host=%q]:not(.row-dead) .badge.ok')`, indexer), 2*time.Second)
	events := eval[string](e, `document.querySelector('.events').textContent`)
	if !strings.Contains(events, "went dead") || !strings.Contains(events, "recovered") {
		t.Errorf("backend events %q lack the dead and recovered events", events)
	}

	// The connection drops and the server stays unreachable for a while: the socket says it
	// reconnects, with a growing backoff, and comes back once the server is reachable again.
	e.proxy.Refuse(true)
	e.proxy.Drop()
	e.waitJS("the reconnect notice", `document.querySelector('#pill-stats').dataset.state === 'retrying' && /reconnecting in \d+ s \(attempt 1\)/.test(document.querySelector('#pill-stats').textContent)`, 3*time.Second)
	e.waitJS("the webserver unreachable", `document.querySelector('tr[data-host="webserver"] .badge.bad')`, 2*time.Second)
	e.waitJS("the second attempt, after a longer wait", `/reconnecting in \d+ s \(attempt 2\)/.test(document.querySelector('#pill-stats').textContent)`, 5*time.Second)
	e.shot("dashboard-reconnecting")
	e.proxy.Refuse(false)
	e.waitJS("the socket back", `document.querySelector('#pill-stats').dataset.state === 'open' && document.querySelector('tr[data-host="webserver"] .badge.ok')`, 5*time.Second)
	e.waitJS("the search socket back", `document.querySelector('#pill-search').dataset.state === 'open'`, 5*time.Second)
	e.expectErrors("WebSocket connection to") // the browser's log of the refused reconnects

	// Dark theme and a narrow window.
	e.setDark(true)
	e.shot("dashboard-dark")
	e.setDark(false)
	e.do(chromedp.EmulateViewport(390, 844))
	e.shot("dashboard-narrow")
	e.checkNoErrors()
}
