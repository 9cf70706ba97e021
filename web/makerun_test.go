package web_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/sluicehq/sluice/internal/sluicedtest"
)

// TestConsoleMakeRun walks the new user's path against the real sluiced binary started as
// `make run` starts it (loopback, no tokens, demo data): open /, see the dashboard fill, click
// an example on the start page, run a search by clicking a tag, page it, zoom it and download
// it — without typing anything but clicks.
func TestConsoleMakeRun(t *testing.T) {
	chromium := findChromium(t)
	bin := filepath.Join(t.TempDir(), "sluiced")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/sluiced").CombinedOutput(); err != nil {
		t.Fatalf("go build ../cmd/sluiced: %v\n%s", err, out)
	}
	url := sluicedtest.Start(t, bin, "-data", t.TempDir(), "-demo-count", "20000")

	e := &consoleEnv{t: t, url: url, srvURL: url}
	e.startBrowser(chromium)
	dir := t.TempDir()
	e.do(func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
		return chromedp.Void{}, err
	})

	// The dashboard fills.
	e.open("/#dashboard")
	e.waitJS("the dashboard", `document.querySelector('tr[data-host="webserver"]') && document.querySelector('tr[data-host="127.0.0.1:9404"] .badge.ok') && document.querySelector('.wells tbody tr')`, 15*time.Second)
	e.shot("makerun-dashboard")

	// The start page: an example runs with one click.
	e.do(chromedp.Click(chromedp.CSS("#tab-search")))
	e.waitJS("the examples and tags", `document.querySelectorAll('#hint .example').length >= 4 && document.querySelector('#tags-line [data-tag="weblog"]')`, 10*time.Second)
	e.do(chromedp.Click(chromedp.Search(`//button[contains(@class,"example")][.//span[text()="Syslog programs"]]`)))
	e.waitJS("the example's table", `document.querySelector('#search-state[data-state="finished"]') && document.querySelectorAll('.results-table tbody tr').length > 3`, 15*time.Second)

	// A tag chip runs tag=weblog over the range, which the user widens to 24 hours first.
	e.do(chromedp.Navigate(url + "/"))
	e.setRange("24h")
	e.do(chromedp.Click(chromedp.CSS(`#tags-line [data-tag="weblog"]`)))
	e.waitJS("tag=weblog", `window.sluice.search.cur && window.sluice.search.cur.query === 'tag=weblog' && document.querySelector('#search-state[data-state="finished"]')`, 15*time.Second)
	e.do(chromedp.Click(chromedp.CSS("#page-next")))
	e.waitJS("page 2", `document.querySelector('#page-label').textContent.startsWith('51–100')`, 10*time.Second)
	type box struct{ X, Y, W, H float64 }
	b := eval[box](e, `(() => { const r = document.querySelector('#overview svg.histogram').getBoundingClientRect(); return {X: r.x, Y: r.y, W: r.width, H: r.height}; })()`)
	e.drag(b.X+b.W*0.6, b.X+b.W*0.8, b.Y+b.H*0.5)
	e.waitJS("the zoom", `document.querySelector('#zoom-info') && /in the zoom window/.test(document.querySelector('#page-label').textContent)`, 10*time.Second)
	e.do(chromedp.Click(chromedp.CSS(`#downloads button[data-format="csv"]`)))
	deadline := time.Now().Add(10 * time.Second)
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
		if len(files) == 1 {
			raw, _ := os.ReadFile(files[0])
			if lines := strings.Count(string(raw), "\n"); lines > 1 {
				break
			}
		}
		if time.Now().After(deadline) {
			e.fail("no CSV download in %s", dir)
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.shot("makerun-search")
	e.checkNoErrors()
}
