package engine_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

func TestSearchSocketParse(t *testing.T) {
	ts := startServer(t, nil)
	for _, path := range []string{"/api/ws/search", "/ws/search"} {
		c := dial(t, ts.url+path, "PONG", "parse", "search", "attach")
		c.send("PONG", map[string]any{})
		if raw := c.recv("PONG", nil); string(raw) != "{}" {
			t.Errorf("PONG data = %s, want {}", raw)
		}
		c.send("parse", map[string]any{"SearchString": "tag=syslog grep sshd | count", "Sequence": 7})
		var good struct {
			Sequence        uint64
			GoodQuery       bool
			ParseError      string
			RawQuery        string
			ModuleIndex     int
			CollapsingIndex int
			RenderModule    string
		}
		c.recv("parse", &good)
		if !good.GoodQuery || good.Sequence != 7 || good.RawQuery != "tag=syslog grep sshd | count" || good.CollapsingIndex != 1 {
			t.Errorf("good parse: %+v", good)
		}
		c.send("parse", map[string]any{"SearchString": "tag=syslog grep sshd | bogusmodule", "Sequence": 8})
		var bad struct {
			Sequence    uint64
			GoodQuery   bool
			ParseError  string
			ModuleIndex int
		}
		c.recv("parse", &bad)
		if bad.GoodQuery || bad.Sequence != 8 || bad.ModuleIndex != 1 || bad.ParseError == "" {
			t.Errorf("bad parse: %+v", bad)
		}
	}
}

func TestSearchLaunchPagesAndStream(t *testing.T) {
	ts := startServer(t, nil)
	const n = 2500
	ingestN(t, ts, "app", n)
	c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	r := c.launch("tag=app", base, base.Add(time.Hour))
	if r.RenderModule != "text" || len(r.Tags) != 1 || r.Tags[0] != "app" {
		t.Fatalf("launch response: %+v", r)
	}
	ch := r.OutputSearchSubproto
	if got := c.waitDone(ch); got != n {
		t.Fatalf("EntryCount = %d, want %d", got, n)
	}
	// Pages tile the result exactly: newest first, no gap, no duplicate.
	seen := map[int64]bool{}
	var prev time.Time
	for first := uint64(0); ; first += 1000 {
		var p entriesResp
		c.send(ch, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": first, "Last": first + 1000}})
		c.recv(ch, &p)
		if p.ID != 16 || p.EntryRange.First != first {
			t.Fatalf("page reply: %+v", p.baseResp)
		}
		for _, e := range p.Entries {
			if seen[e.TS.UnixNano()] {
				t.Fatalf("duplicate entry %v", e.TS)
			}
			seen[e.TS.UnixNano()] = true
			if !prev.IsZero() && e.TS.After(prev) {
				t.Fatalf("entries not newest first: %v after %v", e.TS, prev)
			}
			prev = e.TS
		}
		wantMore := first+1000 < n
		if p.AdditionalEntries != wantMore {
			t.Fatalf("AdditionalEntries at First=%d: %v", first, p.AdditionalEntries)
		}
		if !wantMore {
			break
		}
	}
	if len(seen) != n {
		t.Fatalf("pages held %d entries, want %d", len(seen), n)
	}
	// Bad input gets RESP_ERROR and the channel survives.
	var e baseResp
	c.send(ch, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": 1, "Last": 0}, "Addendum": map[string]any{"filterID": "f1"}})
	c.recv(ch, &e)
	if e.ID != 4294967295 || e.Error == "" || string(e.Addendum) != `{"filterID":"f1"}` {
		t.Fatalf("First>Last: %+v", e)
	}
	c.send(ch, map[string]any{"ID": 12345})
	c.recv(ch, &e)
	if e.ID != 4294967295 || e.Error == "" {
		t.Fatalf("unknown ID: %+v", e)
	}
	// Streaming: blocks of 1000 then the empty Finished terminator.
	c.send(ch, map[string]any{"ID": 17})
	total := 0
	for i := 0; i < 10; i++ {
		var b entriesResp
		c.recv(ch, &b)
		if b.ID != 17 {
			t.Fatalf("stream block: %+v", b.baseResp)
		}
		if b.Finished {
			if len(b.Entries) != 0 || b.EntryCount != 0 {
				t.Fatalf("terminator carries %d entries", len(b.Entries))
			}
			break
		}
		if int(b.EntryCount) != len(b.Entries) || b.EntryRange.First != uint64(total) {
			t.Fatalf("block: count %d entries %d first %d", b.EntryCount, len(b.Entries), b.EntryRange.First)
		}
		total += len(b.Entries)
	}
	if total != n {
		t.Fatalf("streamed %d, want %d", total, n)
	}
	// Stats sum to the entry count (§5.11 invariant).
	var st struct {
		baseResp
		Stats struct {
			Size int
			Set  []struct {
				TS    time.Time
				Stats []struct {
					Name        string
					OutputCount uint64
				}
			}
		}
	}
	c.send(ch, map[string]any{"ID": 2130706435, "Stats": map[string]any{"SetCount": 10}})
	c.recv(ch, &st)
	if len(st.Stats.Set) != 10 {
		t.Fatalf("stats sets = %d", len(st.Stats.Set))
	}
	var sum uint64
	for _, s := range st.Stats.Set {
		if len(s.Stats) > 0 {
			sum += s.Stats[len(s.Stats)-1].OutputCount
		}
	}
	if sum != n {
		t.Fatalf("stats OutputCount sum = %d, want %d", sum, n)
	}
	var cl baseResp
	c.send(ch, map[string]any{"ID": 1})
	c.recv(ch, &cl)
	if cl.ID != 1 {
		t.Fatalf("close reply: %+v", cl)
	}
}

func TestSearchLaunchErrorsAndAttach(t *testing.T) {
	ts := startServer(t, nil)
	ingestN(t, ts, "app", 100)
	c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	// End before start, malformed time, bad query: each an Error, and the socket survives.
	for _, req := range []map[string]any{
		{"SearchString": "tag=app", "SearchStart": "2024-05-01T10:00:00Z", "SearchEnd": "2024-05-01T09:50:00Z"},
		{"SearchString": "tag=app", "SearchStart": "2015-01-01T12:01:00.0Z07:00", "SearchEnd": "2024-05-01T09:50:00Z"},
		{"SearchString": "tag=app | nosuchmodule", "SearchStart": "2024-05-01T09:00:00Z", "SearchEnd": "2024-05-01T10:00:00Z"},
	} {
		c.send("search", req)
		var r map[string]any
		c.recv("search", &r)
		if msg, _ := r["Error"].(string); msg == "" {
			t.Errorf("launch %v: no Error in %v", req, r)
		}
		if _, ok := r["OutputSearchSubproto"]; ok {
			t.Errorf("failed launch names an output channel: %v", r)
		}
	}
	// An acknowledgement for a search that does not exist is ignored; PONG still answers.
	c.send("search", map[string]any{"OK": true, "OutputSearchSubproto": "search999"})
	c.send("PONG", map[string]any{})
	c.recv("PONG", nil)

	r := c.launch("tag=app", base, base.Add(time.Hour))
	c.waitDone(r.OutputSearchSubproto)
	// Attach from a second socket and read the same results.
	c2 := dial(t, ts.url+"/ws/search", "attach", "PONG")
	c2.send("attach", map[string]any{"ID": r.SearchID})
	var ar struct {
		Error       string
		Subproto    string
		RendererMod string
		Info        struct {
			ID        string
			UserQuery string
			Duration  string
			Tags      []string
		}
	}
	c2.recv("attach", &ar)
	if ar.Error != "" || ar.Subproto == "" || ar.Info.ID != r.SearchID || ar.RendererMod != "text" {
		t.Fatalf("attach: %+v", ar)
	}
	if _, err := time.ParseDuration(ar.Info.Duration); err != nil {
		t.Errorf("SearchInfo.Duration %q: %v", ar.Info.Duration, err)
	}
	if got := c2.waitDone(ar.Subproto); got != 100 {
		t.Fatalf("attached EntryCount = %d", got)
	}
	c2.send("attach", map[string]any{"ID": "123"})
	var miss map[string]any
	c2.recv("attach", &miss)
	if miss["Error"] == nil {
		t.Fatalf("attach to a missing search: %v", miss)
	}
	// The first consumer leaving does not end the search for the second.
	var cl baseResp
	c.send(r.OutputSearchSubproto, map[string]any{"ID": 1})
	c.recv(r.OutputSearchSubproto, &cl)
	time.Sleep(300 * time.Millisecond) // longer than the test's grace period
	if got := c2.waitDone(ar.Subproto); got != 100 {
		t.Fatalf("after first consumer left: EntryCount = %d", got)
	}
	// When the last consumer leaves, the foreground search is deleted after the grace period.
	c2.send(ar.Subproto, map[string]any{"ID": 1})
	c2.recv(ar.Subproto, &cl)
	time.Sleep(400 * time.Millisecond)
	c2.send("attach", map[string]any{"ID": r.SearchID})
	c2.recv("attach", &miss)
	if miss["Error"] == nil {
		t.Fatalf("search survived its last consumer: %v", miss)
	}
}

func TestSearchTableRenderer(t *testing.T) {
	ts := startServer(t, nil)
	ingestN(t, ts, "app", 300)
	c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	r := c.launch("tag=app json host | count by host | table host count", base, base.Add(time.Hour))
	if r.RenderModule != "table" {
		t.Fatalf("renderer %q", r.RenderModule)
	}
	ch := r.OutputSearchSubproto
	c.waitDone(ch)
	var p struct {
		baseResp
		Entries struct {
			Columns []string
			Rows    []struct {
				TS  time.Time
				Row []string
			}
		}
	}
	c.send(ch, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": 0, "Last": 100}})
	c.recv(ch, &p)
	if fmt.Sprint(p.Entries.Columns) != "[host count]" || len(p.Entries.Rows) != 3 {
		t.Fatalf("table: %+v", p.Entries)
	}
	for _, row := range p.Entries.Rows {
		if row.Row[1] != "100" {
			t.Errorf("row %v: want count 100", row.Row)
		}
	}
	var raw json.RawMessage
	c.send(ch, map[string]any{"ID": 61456, "EntryRange": map[string]any{"First": 0, "Last": 1}})
	raw = c.recv(ch, nil)
	var e baseResp
	json.Unmarshal(raw, &e)
	if e.ID != 4294967295 {
		t.Errorf("explore on a table: want RESP_ERROR, got %s", raw)
	}
}
