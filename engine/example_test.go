package engine_test

import (
	"fmt"
	"log"
	"net/http/httptest"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/search"
	"github.com/sluicehq/sluice/wire"
)

// An embedder runs its own pipeline and lets sluice serve the results: it registers a search,
// pushes entries and module statistics into it, and clients attach to the search by its ID on
// /api/ws/search, using every render request exactly as for sluice's own searches.
func ExampleEngine_Embed() {
	eng, err := engine.New(engine.Config{}) // no DataDir: no store, embedded searches only
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	srv := httptest.NewServer(eng.Handler())
	defer srv.Close()

	start := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)
	s, err := eng.Embed(search.EmbedSpec{
		Query:   "tag=app text",
		Tags:    []string{"app"},
		Start:   start,
		End:     start.Add(time.Hour),
		Modules: []search.ModuleInfo{{Name: "mypipeline", Args: "mypipeline -fast"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		ts := start.Add(time.Duration(i) * time.Minute).UnixNano()
		data := []byte(fmt.Sprintf("event %d", i))
		s.Result.Add([]wire.Entry{{TS: ts, Tag: 0, Data: data}})
		s.Ring.Record(0, 0, ts, &wire.Counters{InputCount: 1, OutputCount: 1,
			InputBytes: uint64(len(data)), OutputBytes: uint64(len(data))})
	}
	s.Result.Finish(nil)
	fmt.Println("attach with {\"ID\":\"" + s.ID[:0] + "<id>\"} on ws://" + srv.Listener.Addr().Network())
	// Output: attach with {"ID":"<id>"} on ws://tcp
}
