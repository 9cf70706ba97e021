package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/sluicehq/sluice/engine/search"
	"github.com/sluicehq/sluice/wire"
)

// TestConsoleLiveSearches: the list of live searches shows a running search (an embedder's,
// which runs until the embedder finishes it); Attach opens it in the console, whose progress
// follows it live, with its binary entry in the hex view; Esc cancels it (the server deletes
// it); a search launched from the console is listed with its consumer and Delete removes it.
func TestConsoleLiveSearches(t *testing.T) {
	e := startConsole(t)
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	s, err := e.eng.Embed(search.EmbedSpec{Query: "tag=app text", Tags: []string{"app"}, Start: start, End: start.Add(time.Hour),
		Modules: []search.ModuleInfo{{Name: "mypipeline", Args: "mypipeline -fast"}}, Global: true})
	if err != nil {
		t.Fatal(err)
	}
	push := func(from, n int) {
		for i := from; i < from+n; i++ {
			ts := start.Add(time.Duration(i) * time.Minute).UnixNano()
			data := []byte(fmt.Sprintf(`{"event":%d,"user":"u%d"}`, i, i%3))
			if i == 0 {
				data = []byte{0x00, 0x01, 0x02, 0xff, 0xfe, 'b', 'i', 'n', 0x7f, 0x80, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17}
			}
			s.Result.Add([]wire.Entry{{TS: ts, Tag: 0, Data: data}})
			s.Ring.Record(0, 0, ts, &wire.Counters{InputCount: 1, OutputCount: 1, InputBytes: uint64(len(data)), OutputBytes: uint64(len(data))})
		}
	}
	push(0, 5)

	e.open("/#searches")
	row := fmt.Sprintf(`document.querySelector('.live-list tr[data-id=%q]')`, s.ID)
	e.waitJS("the embedded search in the list", row, 10*time.Second)
	if q := eval[string](e, row+`.cells[1].textContent`); q != "tag=app text" {
		t.Errorf("listed query %q", q)
	}
	e.shot("live-searches")

	// Attach: the console shows it, running, and follows it as it grows.
	e.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`tr[data-id=%q] button`, s.ID))))
	e.waitJS("the attached search", fmt.Sprintf(`location.hash === '#search' && window.sluice.search.cur && window.sluice.search.cur.id === %q && document.querySelector('#search-state[data-state="running"]')`, s.ID), 5*time.Second)
	if q := eval[string](e, `document.querySelector('#query').value`); q != "tag=app text" {
		t.Errorf("query box after attach: %q", q)
	}
	e.waitJS("5 entries", `document.querySelector('#entry-count').textContent === '5'`, 5*time.Second)
	push(5, 20)
	e.waitJS("25 entries, live", `document.querySelector('#entry-count').textContent === '25' && document.querySelectorAll('.entries > li').length === 25`, 5*time.Second)
	// The binary entry is shown as hex.
	e.waitJS("the binary badge", `[...document.querySelectorAll('.entries > li')].some(li => /binary/.test(li.textContent))`, 2*time.Second)
	e.do(chromedp.Click(chromedp.Search(`//li[contains(@class,"entry")][.//span[text()="binary"]]/div[contains(@class,"entry-head")]`)))
	e.waitJS("the hex view", `document.querySelector('.entry.open pre.hex')`, 2*time.Second)
	if hex := eval[string](e, `document.querySelector('.entry.open pre.hex').textContent`); !strings.HasPrefix(hex, "00000000  00 01 02 ff fe 62 69 6e  7f 80 10 11 12 13 14 15  |.....bin........|") {
		t.Errorf("hex view of the binary entry:\n%s", hex)
	}
	t.Log(eval[string](e, `document.querySelector(".entry.open pre.hex").textContent`))
	e.shot("search-attached-running")

	// Esc cancels the running search: the console detaches and the server deletes it.
	e.do(chromedp.KeyEvent(kb.Escape))
	e.waitJS("the cancelled state", `document.querySelector('#search-state[data-state="cancelled"]')`, 3*time.Second)
	deadline := time.Now().Add(3 * time.Second)
	for e.liveSearches()[s.ID] {
		if time.Now().After(deadline) {
			t.Fatalf("search %s still live after Esc", s.ID)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A search launched here is listed with its consumer; Delete removes it.
	e.setRange("24h")
	e.runQuery("tag=netflow")
	id := eval[string](e, `window.sluice.search.cur.id`)
	e.do(chromedp.Navigate(e.url + "/#searches"))
	row = fmt.Sprintf(`document.querySelector('.live-list tr[data-id=%q]')`, id)
	e.waitJS("the launched search in the list", row, 5*time.Second)
	if _, attachedElsewhere := e.liveSearches()[id]; !attachedElsewhere {
		t.Fatalf("search %s not on the server", id)
	}
	e.do(chromedp.Click(chromedp.Search(fmt.Sprintf(`//tr[@data-id=%q]//button[text()="Delete"]`, id))))
	e.waitJS("the row gone", "!"+row, 5*time.Second)
	if e.liveSearches()[id] {
		t.Errorf("search %s still live after Delete", id)
	}
	if txt := eval[string](e, `document.querySelector('#view-searches').textContent`); strings.Contains(txt, "Error") {
		t.Errorf("list shows an error: %s", txt)
	}
	e.checkNoErrors()
}
