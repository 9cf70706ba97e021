package engine_test

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/render"
)

// rendererArgCases are renderer invocations, good and bad, for every renderer in the registry.
func rendererArgCases() []string {
	var qs []string
	for _, rd := range render.All() {
		for _, args := range []string{"", " foo", " -x", " -nt", " a a", " a by", " a by k", " by k",
			" min=1 max=9", " min=abc", " x=1", ` ""`} {
			qs = append(qs, "tag=app "+rd.Name+args)
		}
	}
	return qs
}

// TestParseAndLaunchAgreeOnRenderers sends every renderer invocation of rendererArgCases to
// the parse channel and launches it, over a real socket: a query the parser calls good must
// launch, and one it refuses must be refused at launch with the same message.
func TestParseAndLaunchAgreeOnRenderers(t *testing.T) {
	ts := startServer(t, nil)
	ingestN(t, ts, "app", 10)
	c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	bad := 0
	for i, q := range rendererArgCases() {
		c.send("parse", map[string]any{"SearchString": q, "Sequence": i})
		var p struct {
			Sequence   int
			GoodQuery  bool
			ParseError string
		}
		c.recv("parse", &p)
		if p.Sequence != i {
			t.Fatalf("%q: parse reply for sequence %d", q, p.Sequence)
		}
		c.send("search", map[string]any{"SearchString": q, "SearchStart": base.Format(time.RFC3339Nano),
			"SearchEnd": base.Add(time.Hour).Format(time.RFC3339Nano)})
		var l launchResp
		c.recv("search", &l)
		switch {
		case p.GoodQuery && l.Error != "":
			t.Errorf("%q: parse says good, launch refused: %s", q, l.Error)
		case !p.GoodQuery && l.Error == "":
			t.Errorf("%q: parse refused (%s), launch accepted", q, p.ParseError)
		case !p.GoodQuery && l.Error != p.ParseError:
			t.Errorf("%q: parse error %q, launch error %q", q, p.ParseError, l.Error)
		}
		if !p.GoodQuery {
			bad++
			continue
		}
		// Decline the launch so the search goes away.
		c.send("search", map[string]any{"OK": false, "OutputSearchSubproto": l.OutputSearchSubproto})
	}
	// The three examples must be among the refusals.
	for _, q := range []string{"tag=app chart", "tag=app table -x", "tag=app text foo"} {
		c.send("parse", map[string]any{"SearchString": q, "Sequence": 1})
		var p struct {
			GoodQuery  bool
			ParseError string
		}
		c.recv("parse", &p)
		if p.GoodQuery || p.ParseError == "" {
			t.Errorf("%q parses as good", q)
		}
	}
	if bad == 0 {
		t.Fatal("no renderer case was refused")
	}
}

// TestStreamFromLaunchLossless streams a search from the moment it is acknowledged, over a
// real socket, with a memory budget far smaller than the result: the render store is on disk,
// so every entry arrives, once, in order, and the search is not OverLimit.
func TestStreamFromLaunchLossless(t *testing.T) {
	const n = 50000
	data := t.TempDir()
	ts := startServer(t, func(c *engine.Config) {
		c.DataDir = data
		c.Search.MemoryBudget = 8 << 20 // the encoded result is about 12 MB
		c.Search.StreamBlock = 1000
	})
	ingestN(t, ts, "app", n)
	c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	r := c.launch("tag=app", base, base.Add(n*time.Second))
	ch := r.OutputSearchSubproto
	c.send(ch, map[string]any{"ID": 17})
	next := n - 1 // newest first: entry i has {"i":i}
	sawFile := false
	for blocks := 0; ; blocks++ {
		if blocks > 2*n {
			t.Fatal("no terminator")
		}
		var b entriesResp
		c.recv(ch, &b)
		if b.ID != 17 || b.Error != "" {
			t.Fatalf("stream block: %+v", b.baseResp)
		}
		if b.Finished {
			if b.OverLimit || b.EntryCount != 0 || b.EntryRange.First != n {
				t.Fatalf("terminator: %+v", b.baseResp)
			}
			break
		}
		if b.EntryRange.First != uint64(n-1-next) {
			t.Fatalf("block starts at %d after %d entries", b.EntryRange.First, n-1-next)
		}
		for _, e := range b.Entries {
			var d struct{ I int }
			if err := json.Unmarshal(e.Data, &d); err != nil || d.I != next {
				t.Fatalf("entry %d: %s (%v), want i=%d", n-1-next, e.Data, err, next)
			}
			next--
		}
		if !sawFile {
			files, _ := filepath.Glob(filepath.Join(data, "render", "search-*.render"))
			sawFile = len(files) == 1
		}
	}
	if next != -1 {
		t.Fatalf("%d entries missing", next+1)
	}
	if b := finishedCount(t, c, ch, n); b.OverLimit || !b.EntryCountValid {
		t.Fatalf("after the stream: %+v", b)
	}
	if !sawFile {
		t.Error("the results were never in a render store file")
	}
}

// TestConcurrentLaunchesStayInBudget launches 20 searches at the same moment from 20 sockets
// against a budget that holds about five: the budget is a reservation, so the launches that
// arrive together cannot all see it empty. Every refusal names memory_budget_mb, every accepted
// search streams to its end, and the most ever reserved stays within the budget.
func TestConcurrentLaunchesStayInBudget(t *testing.T) {
	const budget = 24 << 20
	ts := startServer(t, func(c *engine.Config) {
		c.Search.MemoryBudget = budget
		c.Search.SearchReserve = 4 << 20
	})
	ingestN(t, ts, "app", 20000)
	const n = 20
	clients := make([]*client, n)
	for i := range clients {
		clients[i] = dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted, refused := 0, 0
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := c.trySend("search", map[string]any{"SearchString": "tag=app", "SearchStart": base.Format(time.RFC3339),
				"SearchEnd": base.Add(6 * time.Hour).Format(time.RFC3339)})
			if err != nil {
				t.Error(err)
				return
			}
			raw, err := c.tryRecv("search")
			if err != nil {
				t.Error(err)
				return
			}
			var r launchResp
			if err := json.Unmarshal(raw, &r); err != nil {
				t.Error(err)
				return
			}
			if r.Error != "" {
				if !strings.Contains(r.Error, "memory_budget_mb reached") {
					t.Errorf("refusal %q does not name memory_budget_mb", r.Error)
				}
				mu.Lock()
				refused++
				mu.Unlock()
				return
			}
			if err := c.trySend("search", map[string]any{"OK": true, "OutputSearchSubproto": r.OutputSearchSubproto}); err != nil {
				t.Error(err)
				return
			}
			if err := c.trySend(r.OutputSearchSubproto, map[string]any{"ID": 17}); err != nil {
				t.Error(err)
				return
			}
			for {
				raw, err := c.tryRecv(r.OutputSearchSubproto)
				if err != nil {
					t.Error(err)
					return
				}
				var b baseResp
				if err := json.Unmarshal(raw, &b); err != nil || b.ID != 17 {
					t.Errorf("stream block %s: %v", raw, err)
					return
				}
				if b.Finished {
					break
				}
			}
			mu.Lock()
			accepted++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if accepted == 0 || refused == 0 || accepted+refused != n {
		t.Fatalf("%d accepted, %d refused of %d", accepted, refused, n)
	}
	body := metricsBody(t, ts)
	var peak float64
	for line := range strings.Lines(body) {
		if v, ok := strings.CutPrefix(line, "sluice_memory_budget_peak_bytes "); ok {
			peak, _ = strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	if peak <= 0 || peak > budget {
		t.Fatalf("budget peak %v, want within %d", peak, budget)
	}
	t.Logf("%d accepted, %d refused, peak reservation %.1f MiB of %d MiB", accepted, refused, peak/(1<<20), budget>>20)
}

// TestRepliesOffTheIOWorkers: render replies are computed on a bounded pool, not on the netpoll
// workers. With every slot of the pool taken, a page request waits, while PONG on the same
// socket and on another socket is answered at once; freeing the slots lets the page through.
func TestRepliesOffTheIOWorkers(t *testing.T) {
	ts := startServer(t, nil)
	ingestN(t, ts, "app", 2000)
	a := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	b := dial(t, ts.url+"/api/ws/search", "PONG")
	r := a.launch("tag=app", base, base.Add(time.Hour))
	a.waitDone(r.OutputSearchSubproto)
	for range cap(engine.ReplySlots) {
		engine.ReplySlots <- struct{}{}
	}
	a.send(r.OutputSearchSubproto, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": 0, "Last": 1000}})
	for _, c := range []*client{a, b} {
		c.send("PONG", map[string]any{})
		raw, err := c.tryNext()
		if err != nil || raw.Type != "PONG" {
			t.Fatalf("while the pool is full: %v %+v, want the PONG reply first", err, raw)
		}
	}
	for range cap(engine.ReplySlots) {
		<-engine.ReplySlots
	}
	var p entriesResp
	a.recv(r.OutputSearchSubproto, &p)
	if p.ID != 16 || len(p.Entries) != 1000 {
		t.Fatalf("page after the pool freed: %+v, %d entries", p.baseResp, len(p.Entries))
	}
}
