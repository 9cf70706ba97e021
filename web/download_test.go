package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// TestConsoleDownloadAndBackground: the download buttons fetch the search's results in its
// formats from the REST route (with the token) and the browser saves them: the JSON download
// holds one line per entry, all of them; zoomed, the download holds the zoom window. The
// Background button backgrounds the search on the server.
func TestConsoleDownloadAndBackground(t *testing.T) {
	e := startConsole(t)
	dir := t.TempDir()
	e.do(func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
		return chromedp.Void{}, err
	})
	e.open("/?q=tag%3Dnetflow&range=24h")
	e.waitJS("the search from the URL", `document.querySelector('#search-state[data-state="finished"]')`, 15*time.Second)
	count := eval[int](e, `Number(document.querySelector('#entry-count').textContent.replace(/\D/g, ''))`)
	id := eval[string](e, `window.sluice.search.cur.id`)
	formats := eval[[]string](e, `[...document.querySelectorAll('#downloads button')].map(b => b.dataset.format)`)
	if strings.Join(formats, ",") != "archive,csv,json,text" {
		t.Errorf("download formats %q, want the text renderer's archive,csv,json,text", formats)
	}

	e.do(chromedp.Click(chromedp.CSS(`#downloads button[data-format="json"]`)))
	lines := e.downloaded(dir, ".json")
	if len(lines) != count {
		t.Fatalf("JSON download: %d lines, want the search's %d entries", len(lines), count)
	}
	var first struct{ TS time.Time }
	if err := json.Unmarshal(lines[0], &first); err != nil || first.TS.IsZero() {
		t.Fatalf("JSON download line %q: %v", lines[0], err)
	}

	// Zoomed, the download holds the window.
	type box struct{ X, Y, W, H float64 }
	b := eval[box](e, `(() => { const r = document.querySelector('#overview svg.histogram').getBoundingClientRect(); return {X: r.x, Y: r.y, W: r.width, H: r.height}; })()`)
	e.drag(b.X+b.W*0.3, b.X+b.W*0.4, b.Y+b.H*0.5)
	e.waitJS("the zoom", `document.querySelector('#zoom-info') && /Download window/.test(document.querySelector('#downloads').textContent)`, 5*time.Second)
	zoom := eval[[]string](e, `[...document.querySelectorAll('#zoom-info time')].map(t => t.getAttribute('datetime'))`)
	e.do(chromedp.Click(chromedp.CSS(`#downloads button[data-format="json"]`)))
	win := e.downloaded(dir, ".json")
	if len(win) == 0 || len(win) >= count {
		t.Fatalf("zoomed JSON download: %d lines of %d", len(win), count)
	}
	for _, l := range win {
		var v struct{ TS time.Time }
		if err := json.Unmarshal(l, &v); err != nil {
			t.Fatal(err)
		}
		if ts := v.TS.UTC().Format(time.RFC3339Nano); ts < zoom[0] || ts >= zoom[1] {
			t.Fatalf("zoomed download holds %s, outside [%s, %s)", ts, zoom[0], zoom[1])
		}
	}
	e.shot("search-download")

	// Background: the server keeps the search without consumers.
	e.do(chromedp.Click(chromedp.CSS("#background-btn")))
	e.waitJS("the background badge", `[...document.querySelectorAll('#progress .badge')].some(b => b.textContent === 'background')`, 5*time.Second)
	var list []struct{ ID, State string }
	e.getJSON("/api/searchctrl", &list)
	found := false
	for _, s := range list {
		if s.ID == id {
			found = true
			if !strings.Contains(s.State, "BACKGROUNDED") {
				t.Errorf("search %s state %q after Background, want BACKGROUNDED", id, s.State)
			}
		}
	}
	if !found {
		t.Errorf("search %s not listed", id)
	}
	e.checkNoErrors()
}

// downloaded waits for the next finished download with the extension ext in dir, returns its
// lines and removes it.
func (e *consoleEnv) downloaded(dir, ext string) [][]byte {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*"+ext))
		if len(files) == 1 {
			raw, err := os.ReadFile(files[0])
			if err == nil && len(raw) > 0 && raw[len(raw)-1] == '\n' {
				os.Remove(files[0])
				var out [][]byte
				sc := bufio.NewScanner(bytes.NewReader(raw))
				sc.Buffer(make([]byte, 1<<20), 1<<20)
				for sc.Scan() {
					out = append(out, append([]byte(nil), sc.Bytes()...))
				}
				return out
			}
		}
		if time.Now().After(deadline) {
			all, _ := filepath.Glob(filepath.Join(dir, "*"))
			e.fail("no %s download in %s (files %q)", ext, dir, all)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
