package engine_test

import (
	"encoding/json"
	"math/rand"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/wire"
)

// TestSearchCountFromSummaries runs counts over a real search socket against two servers
// holding the same entries, one answering from block summaries (the default) and one
// decoding every block (Search.NoMeta): the table pages and the per-module statistics sets
// (PROTOCOL.md §5.11, Duration aside) must be identical, for ranges on whole seconds and
// ranges that cut the summaries' one-second granules, on one worker and on three.
func TestSearchCountFromSummaries(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	type ent struct {
		ts   time.Duration
		tag  int
		data string
	}
	ents := make([]ent, 6000)
	var at time.Duration
	for i := range ents {
		at += time.Duration(r.Int63n(int64(1200 * time.Millisecond)))
		ents[i] = ent{ts: at, tag: r.Intn(3), data: string(make([]byte, r.Intn(80)))}
	}
	servers := map[string]*testServer{}
	for _, c := range []struct {
		name    string
		noMeta  bool
		workers int
	}{{"decode", true, 1}, {"meta", false, 1}, {"meta-3", false, 3}} {
		ts := startServer(t, func(cfg *engine.Config) {
			cfg.Search.NoMeta = c.noMeta
			cfg.Search.Workers = c.workers
			cfg.Store.BlockSize = 8 << 10
		})
		var ids [3]uint16
		for k, name := range []string{"app", "web", "db"} {
			id, err := ts.eng.TagID(name)
			if err != nil {
				t.Fatal(err)
			}
			ids[k] = id
		}
		for lo := 0; lo < len(ents); lo += 1000 {
			batch := make([]wire.Entry, 0, 1000)
			for _, e := range ents[lo : lo+1000] {
				batch = append(batch, wire.Entry{TS: base.Add(e.ts).UnixNano(), Tag: ids[e.tag], Data: []byte(e.data)})
			}
			if err := ts.eng.Ingest(batch); err != nil {
				t.Fatal(err)
			}
		}
		servers[c.name] = ts
	}
	type stat struct {
		Name                                             string
		InputCount, OutputCount, InputBytes, OutputBytes uint64
	}
	type answer struct {
		Table struct {
			Columns []string
			Rows    []struct {
				TS  time.Time
				Row []string
			}
		}
		Sets []struct {
			TS    time.Time
			Stats []stat
		}
	}
	ask := func(ts *testServer, query string, start, end time.Time) string {
		c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
		ch := c.launch(query, start, end).OutputSearchSubproto
		c.waitDone(ch)
		var a answer
		var p struct {
			baseResp
			Entries json.RawMessage
		}
		c.send(ch, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": 0, "Last": 100}})
		c.recv(ch, &p)
		if err := json.Unmarshal(p.Entries, &a.Table); err != nil || len(a.Table.Rows) == 0 {
			t.Fatalf("%s: table %s (%v)", query, p.Entries, err)
		}
		var st struct {
			baseResp
			Stats struct {
				Set []struct {
					TS    time.Time
					Stats []stat
				}
			}
		}
		c.send(ch, map[string]any{"ID": 2130706435, "Stats": map[string]any{"SetCount": 97}})
		c.recv(ch, &st)
		if len(st.Stats.Set) == 0 {
			t.Fatalf("%s: no stats sets", query)
		}
		a.Sets = st.Stats.Set
		b, _ := json.Marshal(a)
		return string(b)
	}
	ranges := [][2]time.Time{
		{base, base.Add(3 * time.Hour)},
		{base.Add(17 * time.Minute), base.Add(70 * time.Minute)},
		{base.Add(17*time.Minute + 333*time.Millisecond), base.Add(70*time.Minute + 5*time.Millisecond)},
	}
	for _, query := range []string{"tag=app count | table", "tag=* count by TAG | table", "tag=app,db count as n by TAG | table"} {
		for _, rg := range ranges {
			want := ask(servers["decode"], query, rg[0], rg[1])
			for _, name := range []string{"meta", "meta-3"} {
				if got := ask(servers[name], query, rg[0], rg[1]); got != want {
					t.Fatalf("%s over %v: %s server answers\n%s\nthe decoding server\n%s", query, rg, name, got, want)
				}
			}
		}
	}
}
