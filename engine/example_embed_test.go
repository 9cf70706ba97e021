package engine_test

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sluicehq/sluice/engine"
)

// A Go program with its own pipeline uses sluice as its render backend: it registers a search
// with EmbedSearch, pushes the pipeline's output and module statistics into it, and finishes it.
// A client attaches to the search by ID on /api/ws/search and streams it (REQ_STREAMING), as it
// would stream one of sluice's own searches.
func ExampleEngine_EmbedSearch() {
	eng, err := engine.New(engine.Config{}) // no DataDir: no store, embedded searches only
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	srv := httptest.NewServer(eng.Handler())
	defer srv.Close()

	start := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)
	x, err := eng.EmbedSearch(engine.EmbedOptions{
		Name: "my pipeline", Renderer: "text", Tags: []string{"app"},
		Start: start, End: start.Add(time.Hour),
		Modules: []engine.EmbedModule{{Name: "parse", Args: "parse -fast"}},
	})
	if err != nil {
		log.Fatal(err)
	}

	// The embedder's pipeline: 2500 events, newest first, in batches of 500.
	go func() {
		batch := make([]engine.Entry, 0, 500)
		for i := 2499; i >= 0; i-- {
			ts := start.Add(time.Duration(i) * time.Second).UnixNano()
			batch = append(batch, engine.Entry{TS: ts, Tag: 0, Data: fmt.Appendf(nil, "event %d", i)})
			x.Record(0, 0, ts, &engine.Counters{InputCount: 1, OutputCount: 1})
			if len(batch) == cap(batch) {
				if err := x.Push(batch); err != nil {
					log.Fatal(err)
				}
				batch = batch[:0]
			}
		}
		x.Finish(nil)
	}()

	// A client attaches and streams.
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/api/ws/search", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer ws.Close()
	type msg struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	send := func(typ string, data any) {
		b, _ := json.Marshal(data)
		if err := ws.WriteJSON(msg{Type: typ, Data: b}); err != nil {
			log.Fatal(err)
		}
	}
	recv := func(typ string, v any) {
		for {
			var m msg
			if err := ws.ReadJSON(&m); err != nil {
				log.Fatal(err)
			}
			if m.Type == typ {
				if err := json.Unmarshal(m.Data, v); err != nil {
					log.Fatal(err)
				}
				return
			}
		}
	}
	if err := ws.WriteJSON(map[string]any{"Subs": []string{"PONG", "attach"}}); err != nil {
		log.Fatal(err)
	}
	var subs map[string]any
	if err := ws.ReadJSON(&subs); err != nil {
		log.Fatal(err)
	}
	send("attach", map[string]any{"ID": x.ID()})
	var att struct{ Subproto, Error string }
	recv("attach", &att)
	send(att.Subproto, map[string]any{"ID": 17})
	total, first := 0, ""
	for {
		var blk struct {
			Finished bool
			Entries  []struct{ Data []byte }
		}
		recv(att.Subproto, &blk)
		if blk.Finished {
			break
		}
		if first == "" && len(blk.Entries) > 0 {
			first = string(blk.Entries[0].Data)
		}
		total += len(blk.Entries)
	}
	fmt.Printf("streamed %d entries, newest %q\n", total, first)
	// Output: streamed 2500 entries, newest "event 2499"
}
