package engine_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
)

// metricsBody returns the /metrics page.
func metricsBody(t *testing.T, ts *testServer) string {
	t.Helper()
	resp, err := http.Get(ts.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return string(body)
}

// finishedCount waits for the search on channel to finish, checks that it counted want entries
// and returns its REQ_ENTRY_COUNT reply.
func finishedCount(t *testing.T, c *client, channel string, want uint64) baseResp {
	t.Helper()
	if n := c.waitDone(channel); n != want {
		t.Fatalf("EntryCount = %d, want %d: every entry counted", n, want)
	}
	var b baseResp
	c.send(channel, map[string]any{"ID": 3})
	c.recv(channel, &b)
	return b
}

// TestMemoryBudget: the memory budget is a reservation. A launch takes its pipeline reserve and
// its render store's write buffer before it is accepted; a running search reserves every index
// segment before it grows, and one that cannot goes OverLimit with a Warning naming the field
// (logged and counted). A launch that cannot get its minimum is refused naming the field and the
// figures, the socket keeps working, and deleting the search gives everything back.
func TestMemoryBudget(t *testing.T) {
	ts := startServer(t, func(c *engine.Config) {
		c.Search.MemoryBudget = 1536 << 10
		c.Search.SearchReserve = 1 << 20
	})
	ingestN(t, ts, "app", 40000) // 40 index segments of 16 KiB: more than the 240 KiB left
	c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	r := c.launch("tag=app", base, base.Add(12*time.Hour))
	b := finishedCount(t, c, r.OutputSearchSubproto, 40000)
	if !b.OverLimit || !strings.Contains(b.Warning, "memory_budget_mb reached") || b.LimitDroppedRange.EndTS.IsZero() {
		t.Fatalf("a search larger than the budget: %+v, want OverLimit with a Warning naming memory_budget_mb", b)
	}
	c.send("search", map[string]any{"SearchString": "tag=app", "SearchStart": base.Format(time.RFC3339),
		"SearchEnd": base.Add(time.Hour).Format(time.RFC3339)})
	var refused struct{ Error string }
	c.recv("search", &refused)
	if !strings.Contains(refused.Error, "memory_budget_mb reached") || !strings.Contains(refused.Error, "1.0 MiB") ||
		!strings.Contains(refused.Error, "of 1.5 MiB in use") {
		t.Fatalf("launch past the budget: %q, want an error naming memory_budget_mb and the figures", refused.Error)
	}
	// Closing the first search frees its memory (after the grace period) and launches work again.
	c.send(r.OutputSearchSubproto, map[string]any{"ID": 1})
	c.recv(r.OutputSearchSubproto, nil)
	var ok launchResp
	for i := 0; i < 100; i++ {
		time.Sleep(50 * time.Millisecond)
		c.send("search", map[string]any{"SearchString": "tag=app | count", "SearchStart": base.Format(time.RFC3339),
			"SearchEnd": base.Add(time.Hour).Format(time.RFC3339)})
		ok = launchResp{}
		c.recv("search", &ok)
		if ok.Error == "" {
			break
		}
	}
	if ok.Error != "" {
		t.Fatalf("launch after the memory was freed: %s", ok.Error)
	}
	body := metricsBody(t, ts)
	for _, want := range []string{`sluice_search_launches_total{outcome="memory_budget_mb"}`,
		`sluice_search_launches_total{outcome="ok"} 2`, "sluice_searches_live",
		`sluice_render_limit_hits_total{field="memory_budget_mb"} 1`, "sluice_memory_budget_used_bytes",
		"sluice_memory_budget_bytes 1.572864e+06", "sluice_budget_refusals_total",
		"sluice_ingested_entries_total 40000", "sluice_ws_"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestRenderDiskLimits: a search's render store is a file under <data>/render, removed when the
// search is deleted; files a crash left there are removed at start-up; the per-search limit
// (render_store_limit_mb) and the process-wide disk budget (render_disk_budget_mb) each stop a
// store with OverLimit and a Warning naming the field, counted on /metrics.
func TestRenderDiskLimits(t *testing.T) {
	data := t.TempDir()
	renderDir := filepath.Join(data, "render")
	if err := os.MkdirAll(renderDir, 0o700); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(renderDir, "search-123.render")
	if err := os.WriteFile(stale, []byte("left by a crash"), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, func(c *engine.Config) {
		c.DataDir = data
		c.Search.RenderDiskBudget = 256 << 10
	})
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("a render store left by a crash survived start-up: %v", err)
	}
	ingestN(t, ts, "app", 5000) // about 500 KB of encoded entries: past the 256 KiB budget
	c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	r := c.launch("tag=app", base, base.Add(2*time.Hour))
	b := finishedCount(t, c, r.OutputSearchSubproto, 5000)
	if !b.OverLimit || !strings.Contains(b.Warning, "render_disk_budget_mb reached") {
		t.Fatalf("past the disk budget: %+v", b)
	}
	files, _ := filepath.Glob(filepath.Join(renderDir, "search-*.render"))
	if len(files) != 1 {
		t.Fatalf("render files %v, want the search's one", files)
	}
	if fi, err := os.Stat(files[0]); err != nil || fi.Size() > 256<<10 || fi.Size() < 200<<10 {
		t.Fatalf("render file %v: %v, want close to the 256 KiB budget and not past it", fi.Size(), err)
	}
	// Every stored entry is served from the file.
	var page entriesResp
	c.send(r.OutputSearchSubproto, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": 0, "Last": 10000}})
	c.recv(r.OutputSearchSubproto, &page)
	if len(page.Entries) < 1000 || page.Entries[0].TS.IsZero() {
		t.Fatalf("%d entries served from the render file", len(page.Entries))
	}
	// Deleting the search removes its file.
	c.send(r.OutputSearchSubproto, map[string]any{"ID": 1})
	c.recv(r.OutputSearchSubproto, nil)
	deadline := time.Now().Add(5 * time.Second)
	for {
		files, _ = filepath.Glob(filepath.Join(renderDir, "search-*.render"))
		if len(files) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("render files %v survive their search", files)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// The per-search limit.
	ts2 := startServer(t, func(c *engine.Config) { c.Search.RenderLimit = 64 << 10 })
	ingestN(t, ts2, "app", 2000)
	c2 := dial(t, ts2.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	r2 := c2.launch("tag=app", base, base.Add(time.Hour))
	b = finishedCount(t, c2, r2.OutputSearchSubproto, 2000)
	if !b.OverLimit || !strings.Contains(b.Warning, "render_store_limit_mb: 65536 bytes") {
		t.Fatalf("past the per-search limit: %+v", b)
	}
	for _, m := range []struct {
		ts   *testServer
		want string
	}{{ts, `sluice_render_limit_hits_total{field="render_disk_budget_mb"} 1`},
		{ts2, `sluice_render_limit_hits_total{field="render_store_limit_mb"} 1`}} {
		if body := metricsBody(t, m.ts); !strings.Contains(body, m.want) {
			t.Errorf("/metrics lacks %q", m.want)
		}
	}
}
