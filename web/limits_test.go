package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sluicehq/sluice/engine"
)

// TestConsoleTruncationAndReconnect: a search past the render store limit says so on its
// results (OverLimit with the dropped range, and the server's Warning), never silently; when
// the search socket drops, the console reconnects and attaches to the search again.
func TestConsoleTruncationAndReconnect(t *testing.T) {
	e := startConsole(t, func(c *engine.Config) { c.Search.RenderLimit = 64 << 10 })
	e.open("/?q=tag%3Dsyslog&range=24h")
	e.waitJS("the search from the URL", `document.querySelector('#search-state[data-state="finished"]')`, 15*time.Second)
	e.waitJS("the over-limit notice", `document.querySelector('#overlimit')`, 5*time.Second)
	over := eval[string](e, `document.querySelector('#overlimit').textContent`)
	if !strings.Contains(over, "Over limit") || !strings.Contains(over, "render_store_limit_mb") || !strings.Contains(over, " between ") {
		t.Errorf("over-limit notice %q lacks the limit or the dropped range", over)
	}
	warn := eval[string](e, `document.querySelector('#warning').textContent`)
	if !strings.Contains(warn, "render_store_limit_mb") {
		t.Errorf("warning %q lacks the server's text", warn)
	}
	e.shot("search-overlimit")

	// The connection drops: the console reconnects, attaches to the same search again and
	// says so.
	id := eval[string](e, `window.sluice.search.cur.id`)
	e.proxy.Drop()
	e.waitJS("the re-attached search", `document.querySelector('#pill-search').dataset.state === 'open' && window.sluice.search.cur.reattached && document.querySelector('#search-state[data-state="finished"]')`, 10*time.Second)
	if got := eval[string](e, `window.sluice.search.cur.id`); got != id {
		t.Errorf("re-attached to %s, want %s", got, id)
	}
	if !strings.Contains(eval[string](e, `document.querySelector('#notices').textContent`), "re-attached") {
		t.Error("the console does not say it re-attached")
	}
	e.do(chromedp.Click(chromedp.CSS("#page-next")))
	e.waitJS("page 2 of the re-attached search", `document.querySelector('#page-label').textContent.startsWith('51–100')`, 5*time.Second)
	e.checkNoErrors()
}
