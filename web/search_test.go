package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// TestConsoleSearch: a search is typed (checked on the parse channel as it is typed),
// launched with Enter, shown with live progress, paged with GET_ENTRIES, its entries
// expanded (enumerated values, hex view), zoomed by dragging on the overview histogram
// (TS_RANGE), its metadata and module statistics shown; the URL holds the query and range,
// and reloading it runs the search again. Then a chart, a table sorted by a column, a gauge
// and number cards.
func TestConsoleSearch(t *testing.T) {
	e := startConsole(t)
	e.open("/")
	e.waitJS("the search socket", `document.querySelector('#pill-search').dataset.state === 'open'`, 10*time.Second)
	e.waitJS("the examples", `document.querySelectorAll('#hint .example').length >= 4`, 2*time.Second)
	e.waitJS("the server's tags", `['syslog', 'weblog', 'netflow'].every(t => document.querySelector('#tags-line [data-tag="' + t + '"]'))`, 5*time.Second)
	e.shot("search-start")
	e.setRange("24h")

	const q = "tag=syslog syslog Appname Hostname"
	e.runQuery(q)
	count := eval[int](e, `Number(document.querySelector('#entry-count').textContent.replace(/\D/g, ''))`)
	if count < 1000 {
		t.Fatalf("entry count %d, want the demo's syslog entries (thousands)", count)
	}
	if n := eval[int](e, `document.querySelectorAll('.entries > li').length`); n != 50 {
		t.Errorf("first page: %d entries, want 50", n)
	}
	if got := eval[string](e, `document.querySelector('#page-label').textContent`); !strings.HasPrefix(got, "1–50 of ") {
		t.Errorf("page label %q", got)
	}
	// The URL holds the query and the range.
	loc := eval[string](e, `location.search`)
	if !strings.Contains(loc, "q=tag%3Dsyslog+syslog+Appname+Hostname") || !strings.Contains(loc, "range=24h") {
		t.Errorf("URL query %q lacks the query and the range", loc)
	}
	// Metadata (SEARCH_METADATA) and module statistics.
	e.waitJS("the Appname metadata", `document.querySelector('#metadata .md-item[data-name="Appname"] .top-list li')`, 5*time.Second)
	e.waitJS("the module statistics", `document.querySelector('#modstats tr[data-module="syslog"]')`, 5*time.Second)
	e.waitJS("overview bars", `document.querySelectorAll('#overview svg.histogram rect.hbar').length > 10`, 5*time.Second)
	e.shot("search-entries")

	// Page 2.
	first := eval[string](e, `document.querySelector('.entries > li time').getAttribute('datetime')`)
	e.do(chromedp.Click(chromedp.CSS("#page-next")))
	e.waitJS("page 2", `document.querySelector('#page-label').textContent.startsWith('51–100')`, 5*time.Second)
	if n := eval[int](e, `document.querySelectorAll('.entries > li').length`); n != 50 {
		t.Errorf("second page: %d entries, want 50", n)
	}
	if second := eval[string](e, `document.querySelector('.entries > li time').getAttribute('datetime')`); second > first {
		t.Errorf("page 2 starts at %s, after page 1's first entry %s (newest first)", second, first)
	}
	// Expand an entry: its enumerated values, then the hex view.
	e.do(chromedp.Click(chromedp.CSS(".entries > li .entry-head")))
	e.waitJS("the enumerated values", `[...document.querySelectorAll('.entry.open .ev-table .ev-name')].some(td => td.textContent === 'Appname')`, 3*time.Second)
	e.do(chromedp.Click(chromedp.Search(`//div[contains(@class,"entry-tools")]/button[text()="Hex"]`)))
	e.waitJS("the hex view", `/^00000000  [0-9a-f]{2} /.test(document.querySelector('.entry.open pre.hex').textContent)`, 3*time.Second)
	e.shot("search-entry-expanded")

	// Zoom: drag across the middle of the overview histogram.
	type box struct{ X, Y, W, H float64 }
	b := eval[box](e, `(() => { const r = document.querySelector('#overview svg.histogram').getBoundingClientRect(); return {X: r.x, Y: r.y, W: r.width, H: r.height}; })()`)
	e.drag(b.X+b.W*0.55, b.X+b.W*0.75, b.Y+b.H*0.5)
	e.waitJS("the zoom", `document.querySelector('#zoom-info') && /in the zoom window/.test(document.querySelector('#page-label').textContent)`, 5*time.Second)
	e.waitJS("the zoom chart", `document.querySelectorAll('#overview svg.histogram').length === 2`, 5*time.Second)
	zoom := eval[[]string](e, `[...document.querySelectorAll('#zoom-info time')].map(t => t.getAttribute('datetime'))`)
	times := eval[[]string](e, `[...document.querySelectorAll('.entries > li time')].map(t => t.getAttribute('datetime'))`)
	if len(zoom) != 2 || len(times) == 0 {
		t.Fatalf("zoom window %q, %d entries in it", zoom, len(times))
	}
	for _, ts := range times {
		if ts < zoom[0] || ts >= zoom[1] {
			t.Errorf("entry at %s outside the zoom window [%s, %s)", ts, zoom[0], zoom[1])
		}
	}
	e.shot("search-zoomed")
	e.do(chromedp.Click(chromedp.CSS("#zoom-reset")))
	e.waitJS("the zoom reset", `!document.querySelector('#zoom-info') && document.querySelector('#page-label').textContent.startsWith('1–50 of')`, 5*time.Second)

	// Reload the URL: the same search runs again.
	prev := eval[string](e, `window.sluice.search.cur.id`)
	e.do(chromedp.Reload())
	e.waitJS("the reloaded search", fmt.Sprintf(`window.sluice && window.sluice.search.cur && window.sluice.search.cur.id !== %q && document.querySelector('#search-state[data-state="finished"]')`, prev), 15*time.Second)
	if got := eval[string](e, `document.querySelector('#query').value`); got != q {
		t.Errorf("reloaded query box %q, want %q", got, q)
	}
	// The range is "last 24 h" again, a little later: the oldest demo entries may have left it.
	if got := eval[int](e, `Number(document.querySelector('#entry-count').textContent.replace(/\D/g, ''))`); got > count || got < count*99/100 {
		t.Errorf("reloaded search found %d entries, want about %d", got, count)
	}

	// A chart: lines, then bars.
	e.runQuery("tag=weblog json status | count by status | chart count by status")
	e.waitJS("chart lines", `document.querySelectorAll('.chart-svg path.series-line').length >= 3`, 5*time.Second)
	e.waitJS("the legend", `[...document.querySelectorAll('.legend-item')].some(b => b.textContent.includes('200'))`, 2*time.Second)
	// Hovering the chart shows the values of the nearest time slice.
	cb := eval[box](e, `(() => { const r = document.querySelector('.chart-svg').getBoundingClientRect(); return {X: r.x, Y: r.y, W: r.width, H: r.height}; })()`)
	e.do(chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, cb.X+cb.W*0.4, cb.Y+cb.H*0.5))
	e.waitJS("the chart tooltip", `(() => { const t = document.querySelector('.chart-tip'); return t && !t.hidden && /200: /.test(t.textContent); })()`, 3*time.Second)
	e.shot("search-chart")
	e.do(chromedp.Click(chromedp.Search(`//button[contains(@class,"seg")][text()="Bar"]`)))
	e.waitJS("chart bars", `document.querySelectorAll('.chart-svg rect.series-fill').length > 10`, 3*time.Second)
	e.shot("search-chart-bar")
	e.setDark(true)
	e.shot("search-chart-dark")
	e.setDark(false)

	// A table, sorted by its count column both ways.
	e.runQuery("tag=syslog syslog Appname | count by Appname | table")
	e.waitJS("table rows", `document.querySelectorAll('.results-table tbody tr').length > 3`, 5*time.Second)
	counts := `[...document.querySelectorAll('.results-table tbody tr')].map(r => Number(r.cells[2].textContent))`
	e.do(chromedp.Click(chromedp.Search(`//th//button[starts-with(text(),"count")]`)))
	e.waitJS("ascending order", `document.querySelector('th.sorted[aria-sort="ascending"]')`, 2*time.Second)
	if asc := eval[[]float64](e, counts); !sorted(asc, false) {
		t.Errorf("ascending sort: %v", asc)
	}
	e.do(chromedp.Click(chromedp.Search(`//th//button[starts-with(text(),"count")]`)))
	e.waitJS("descending order", `document.querySelector('th.sorted[aria-sort="descending"]')`, 2*time.Second)
	if desc := eval[[]float64](e, counts); !sorted(desc, true) {
		t.Errorf("descending sort: %v", desc)
	}
	e.shot("search-table")

	// A gauge and number cards.
	e.runQuery("tag=weblog json bytes | mean bytes | gauge mean")
	e.waitJS("a gauge dial", `document.querySelector('.gauge svg .gauge-value') && /mean/.test(document.querySelector('.gauge figcaption').textContent)`, 5*time.Second)
	e.shot("search-gauge")
	e.runQuery("tag=weblog json bytes status | stats mean(bytes) max(bytes) | numbercard mean max")
	e.waitJS("number cards", `document.querySelectorAll('.numbercard').length >= 1`, 5*time.Second)

	// Narrow window: the entry list still reads.
	e.runQuery(q)
	e.do(chromedp.EmulateViewport(390, 844))
	time.Sleep(300 * time.Millisecond) // the charts redraw for the new width
	e.shot("search-narrow")
	e.do(chromedp.EmulateViewport(1280, 800))
	e.checkNoErrors()
}

func sorted(v []float64, desc bool) bool {
	if len(v) < 2 {
		return false
	}
	for i := 1; i < len(v); i++ {
		if (!desc && v[i] < v[i-1]) || (desc && v[i] > v[i-1]) {
			return false
		}
	}
	return true
}
