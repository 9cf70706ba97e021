package engine_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
)

// TestMemoryBudget: the render stores of all searches share one budget. A search is capped at
// what remains (it goes OverLimit), and once the budget is used up launches are refused with
// the field's name, counted on /metrics, while the socket keeps working.
func TestMemoryBudget(t *testing.T) {
	ts := startServer(t, func(c *engine.Config) { c.Search.MemoryBudget = 64 << 10 })
	ingestN(t, ts, "app", 5000) // about 300 KB of encoded entries: more than the budget
	c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	r := c.launch("tag=app", base, base.Add(2*time.Hour))
	if n := c.waitDone(r.OutputSearchSubproto); n != 5000 {
		t.Fatalf("EntryCount = %d, want every entry counted", n)
	}
	var b baseResp
	c.send(r.OutputSearchSubproto, map[string]any{"ID": 3})
	c.recv(r.OutputSearchSubproto, &b)
	if !b.OverLimit {
		t.Fatalf("a search larger than the whole budget is not OverLimit: %+v", b)
	}
	c.send("search", map[string]any{"SearchString": "tag=app", "SearchStart": base.Format(time.RFC3339),
		"SearchEnd": base.Add(time.Hour).Format(time.RFC3339)})
	var refused struct{ Error string }
	c.recv("search", &refused)
	if !strings.Contains(refused.Error, "MemoryBudget") {
		t.Fatalf("launch past the budget: %q, want an error naming MemoryBudget", refused.Error)
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
	resp, err := http.Get(ts.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`sluice_search_launches_total{outcome="MemoryBudget"}`,
		`sluice_search_launches_total{outcome="ok"} 2`, "sluice_searches_live", "sluice_render_store_bytes",
		"sluice_ingested_entries_total 5000", "sluice_ws_"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
