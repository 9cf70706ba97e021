package engine_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/search"
	"github.com/sluicehq/sluice/wire"
)

// TestEmbeddedSearchServedOnSocket pushes entries and stats from Go, then reads them back
// through a real websocket client, as an embedder's users would.
func TestEmbeddedSearchServedOnSocket(t *testing.T) {
	ts := startServer(t, func(c *engine.Config) { c.DataDir = "" })
	s, err := ts.eng.Embed(search.EmbedSpec{Query: "tag=app text", Tags: []string{"app"},
		Start: base, End: base.Add(time.Hour), Modules: []search.ModuleInfo{{Name: "ext", Args: "ext"}}})
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	for i := 0; i < n; i++ {
		tsNs := base.Add(time.Duration(n-i) * time.Second).UnixNano() // newest first, as a pipeline emits
		s.Result.Add([]wire.Entry{{TS: tsNs, Data: []byte(fmt.Sprintf("line %d", i))}})
		s.Ring.Record(0, 0, tsNs, &wire.Counters{InputCount: 1, OutputCount: 1, InputBytes: 6, OutputBytes: 6})
	}
	c := dial(t, ts.url+"/api/ws/search", "attach", "PONG")
	c.send("attach", map[string]any{"ID": s.ID})
	var ar struct {
		Error    string
		Subproto string
	}
	c.recv("attach", &ar)
	if ar.Error != "" {
		t.Fatal(ar.Error)
	}
	// While the embedder has not finished, replies say Finished:false with what is there.
	var r baseResp
	c.send(ar.Subproto, map[string]any{"ID": 3})
	c.recv(ar.Subproto, &r)
	if r.Finished || r.EntryCount != n {
		t.Fatalf("before Finish: %+v", r)
	}
	s.Result.Finish(nil)
	if got := c.waitDone(ar.Subproto); got != n {
		t.Fatalf("EntryCount = %d", got)
	}
	var p entriesResp
	c.send(ar.Subproto, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": 0, "Last": 10}})
	c.recv(ar.Subproto, &p)
	if len(p.Entries) != 10 || string(p.Entries[0].Data) != "line 0" || p.Tags["app"] != 0 {
		t.Fatalf("page: %d entries, first %q, tags %v", len(p.Entries), p.Entries[0].Data, p.Tags)
	}
	var st struct {
		baseResp
		Stats struct {
			Set []struct {
				Stats []struct {
					Name        string
					OutputCount uint64
				}
			}
		}
	}
	c.send(ar.Subproto, map[string]any{"ID": 2130706437})
	c.recv(ar.Subproto, &st)
	if len(st.Stats.Set) != 1 || len(st.Stats.Set[0].Stats) != 1 || st.Stats.Set[0].Stats[0].OutputCount != n {
		t.Fatalf("summary: %+v", st.Stats)
	}
	// Deleting the search tells the attached client on its next request.
	if err := ts.eng.DeleteSearch(s.ID); err != nil {
		t.Fatal(err)
	}
	c.send(ar.Subproto, map[string]any{"ID": 3})
	c.recv(ar.Subproto, &r)
	if r.ID != 4294967295 || !strings.Contains(r.Error, "deleted") {
		t.Fatalf("after delete: %+v", r)
	}
}

// TestEmbedSearchHandle: the embedder's handle checks what it is given and lives inside the
// engine's budgets.
func TestEmbedSearchHandle(t *testing.T) {
	ts := startServer(t, func(c *engine.Config) { c.DataDir = "" })
	opt := engine.EmbedOptions{Tags: []string{"app"}, Start: base, End: base.Add(time.Hour)}
	for _, bad := range []struct {
		mutate func(*engine.EmbedOptions)
		want   string
	}{
		{func(o *engine.EmbedOptions) { o.Renderer = "pie" }, `unknown renderer "pie"`},
		{func(o *engine.EmbedOptions) { o.Renderer = "chart" }, "chart needs a value"},
		{func(o *engine.EmbedOptions) { o.Renderer, o.RendererArgs = "table", []string{"-x"} }, `unknown flag "-x"`},
		{func(o *engine.EmbedOptions) { o.Tags = nil }, "at least one tag"},
		{func(o *engine.EmbedOptions) { o.Tags = []string{"a b"} }, "invalid tag name"},
		{func(o *engine.EmbedOptions) { o.End = o.Start }, "invalid search range"},
	} {
		o := opt
		bad.mutate(&o)
		if _, err := ts.eng.EmbedSearch(o); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%+v: %v, want %q", o, err, bad.want)
		}
	}
	o := opt
	o.Renderer, o.RendererArgs = "table", []string{"host", "a b"}
	x, err := ts.eng.EmbedSearch(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Push([]engine.Entry{{TS: base.UnixNano(), Tag: 1}}); err == nil || !strings.Contains(err.Error(), "Tag 1") {
		t.Fatalf("push with a tag out of range: %v", err)
	}
	if err := x.Record(0, 1, base.UnixNano(), &engine.Counters{}); err == nil {
		t.Fatal("record of a module out of range")
	}
	if err := x.Delete(); err != nil {
		t.Fatal(err)
	}
	if err := x.Push([]engine.Entry{{TS: base.UnixNano()}}); err != engine.ErrEmbeddedDeleted {
		t.Fatalf("push after delete: %v", err)
	}
	// Embedded searches take from the same memory budget as launches.
	small := startServer(t, func(c *engine.Config) { c.DataDir, c.Search.MemoryBudget = "", 100<<10 })
	if _, err := small.eng.EmbedSearch(opt); err == nil || !strings.Contains(err.Error(), "memory_budget_mb reached") {
		t.Fatalf("embed past the memory budget: %v", err)
	}
}

// BenchmarkEmbedPush measures an embedder pushing batches of 1000 ~170-byte entries into a
// text search (encoded to the disk-backed render store).
func BenchmarkEmbedPush(b *testing.B) {
	eng, err := engine.New(engine.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	x, err := eng.EmbedSearch(engine.EmbedOptions{Tags: []string{"app"}, Start: base, End: base.Add(24 * time.Hour)})
	if err != nil {
		b.Fatal(err)
	}
	batch := make([]engine.Entry, 1000)
	size := 0
	for i := range batch {
		batch[i] = engine.Entry{TS: base.Add(time.Duration(i) * time.Second).UnixNano(),
			Data: fmt.Appendf(nil, "2024-05-01T09:00:00Z host=web-%d app=edge method=GET path=/api/v1/items/%d status=200 bytes=5120 ua=\"Mozilla/5.0 (X11; Linux x86_64)\" seq=%d", i%32, i*7919, i)}
		size += len(batch[i].Data)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := x.Push(batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "entries/s")
}
