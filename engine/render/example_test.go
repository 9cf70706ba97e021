package render_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"time"

	"github.com/sluicehq/sluice/engine/render"
	"github.com/sluicehq/sluice/engine/stats"
	"github.com/sluicehq/sluice/wire"
)

// An embedder runs its own pipeline and uses a Result as its render backend: it pushes entries
// and module statistics, and answers the requests its clients send.
func ExampleResult() {
	start := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)
	end := start.Add(time.Hour)
	ring := stats.NewRing(stats.RingConfig{Start: start.UnixNano(), End: end.UnixNano(), Modules: 1})
	res, err := render.NewResult(render.Spec{
		Renderer: "text", TagNames: []string{"app"}, Start: start.UnixNano(), End: end.UnixNano(),
		Ring: ring, Modules: []wire.ModuleInfo{{Name: "external", Args: "external"}},
	})
	if err != nil {
		panic(err)
	}
	ts := start.Add(30 * time.Minute).UnixNano()
	res.Add([]wire.Entry{{TS: ts, SRC: netip.MustParseAddr("10.0.0.5"), Tag: 0, Data: []byte("hello")}})
	ring.Record(0, 0, ts, &wire.Counters{InputCount: 1, OutputCount: 1, InputBytes: 5, OutputBytes: 5})
	res.Finish(nil)

	var p wire.RequestParser
	var req wire.Request
	_ = p.Parse([]byte(`{"ID":16,"EntryRange":{"First":0,"Last":10}}`), &req)
	fmt.Printf("%s\n", res.Handle(&req, nil))

	_ = res.Stream(context.Background(), func(data func([]byte) []byte) error {
		var block struct {
			EntryCount uint64
			Finished   bool
		}
		err := json.Unmarshal(data(nil), &block)
		fmt.Printf("REQ_STREAMING block: %d entries, Finished %v\n", block.EntryCount, block.Finished)
		return err
	})
	// Output:
	// {"ID":16,"EntryRange":{"StartTS":"2024-05-01T09:00:00Z","EndTS":"2024-05-01T10:00:00Z","First":0,"Last":10},"Tags":{"app":0},"Finished":true,"EntryCount":1,"EntryCountValid":true,"AdditionalEntries":false,"OverLimit":false,"LimitDroppedRange":{"StartTS":"0001-01-01T00:00:00Z","EndTS":"0001-01-01T00:00:00Z"},"Warning":"","Entries":[{"TS":"2024-05-01T09:30:00Z","SRC":"10.0.0.5","Tag":0,"Data":"aGVsbG8=","Enumerated":[]}]}
	// REQ_STREAMING block: 1 entries, Finished false
	// REQ_STREAMING block: 0 entries, Finished true
}
