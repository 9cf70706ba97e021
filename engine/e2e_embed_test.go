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
