package render

import (
	"encoding/base64"
	"encoding/json"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine/stats"
	"github.com/sluicehq/sluice/wire"
)

// TestAppendixA replays the render requests of the spec's transcript and requires the replies
// byte for byte, except for the SearchInfo fields this server computes live (StoreSize,
// IndexSize and Duration), which are compared after decoding.
func TestAppendixA(t *testing.T) {
	at := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixNano()
	}
	start, end := at("2024-05-01T09:00:00Z"), at("2024-05-01T10:00:00Z")
	mods := []wire.ModuleInfo{{Name: "grep", Args: "grep sshd"}, {Name: "sort", Args: "sort by time"}}
	ring := stats.NewRing(stats.RingConfig{Start: start, End: end, Modules: 2})
	r, err := NewResult(Spec{Renderer: "text", TagNames: []string{"syslog"}, TagIndex: map[uint16]uint16{4: 0},
		Start: start, End: end, Ring: ring, Modules: mods})
	if err != nil {
		t.Fatal(err)
	}
	data := func(s string) []byte {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	src := netip.MustParseAddr("192.168.1.10")
	e1 := wire.Entry{TS: at("2024-05-01T09:45:10.5Z"), SRC: src, Tag: 4,
		Data: data("TWF5ICAxIDA5OjQ1OjEwIGd3MDEgc3NoZFs0MTIxXTogQWNjZXB0ZWQgcHVibGlja2V5IGZvciBhZG1pbiBmcm9tIDEwLjAuMC41")}
	e2 := wire.Entry{TS: at("2024-05-01T09:12:03Z"), SRC: src, Tag: 4,
		Data: data("TWF5ICAxIDA5OjEyOjAzIGd3MDEgc3NoZFszOTk5XTogRmFpbGVkIHBhc3N3b3JkIGZvciByb290IGZyb20gMjAzLjAuMTEzLjk=")}
	launched := time.Date(2024, 5, 1, 10, 0, 2, 113e6, time.UTC)
	r.SetInfo(func(si *wire.SearchInfo) {
		si.ID, si.UID = "2290834411", 1
		si.UserQuery, si.EffectiveQuery = "tag=syslog grep sshd", "tag=syslog grep sshd"
		si.StartRange, si.EndRange, si.Descending, si.Started = time.Unix(0, start), time.Unix(0, end), true, launched
		si.RenderDownloadFormats = []string{"archive", "csv", "json", "text"}
		si.CollapsingIndex, si.MinZoomWindow, si.Tags = 2, 1, []string{"syslog"}
		si.LaunchInfo = wire.LaunchInfo{Method: "manual", Started: launched}
	})
	ring.Record(0, 0, e2.TS, &wire.Counters{InputCount: 1500, OutputCount: 1, InputBytes: 112500, OutputBytes: 75, Duration: 8018989})
	ring.Record(0, 1, e2.TS, &wire.Counters{InputCount: 1, OutputCount: 1, InputBytes: 75, OutputBytes: 75, Duration: 25788})
	r.Add([]wire.Entry{e1})

	for i, pair := range appendixA {
		if i == 1 {
			ring.Record(1, 0, e1.TS, &wire.Counters{InputCount: 1500, OutputCount: 1, InputBytes: 112500, OutputBytes: 76, Duration: 9944460})
			ring.Record(1, 1, e1.TS, &wire.Counters{InputCount: 1, OutputCount: 1, InputBytes: 76, OutputBytes: 76, Duration: 19093})
			r.Add([]wire.Entry{e2})
			r.Progress(start)
			r.Finish(nil)
		}
		var p wire.RequestParser
		var req wire.Request
		_ = p.Parse([]byte(pair[0]), &req)
		got := r.Handle(&req, nil)
		if string(got) == pair[1] {
			continue
		}
		if req.ID != wire.ReqSearchDetails {
			t.Errorf("%s:\n got %s\nwant %s", pair[0], got, pair[1])
			continue
		}
		var g, w map[string]any
		_ = json.Unmarshal(got, &g)
		_ = json.Unmarshal([]byte(pair[1]), &w)
		gi, wi := g["SearchInfo"].(map[string]any), w["SearchInfo"].(map[string]any)
		if d, err := time.ParseDuration(gi["Duration"].(string)); err != nil || d <= 0 || gi["StoreSize"].(float64) <= 0 || gi["IndexSize"].(float64) != 2*float64(itemSize) {
			t.Errorf("live fields: %v %v %v", gi["Duration"], gi["StoreSize"], gi["IndexSize"])
		}
		for _, k := range []string{"Duration", "StoreSize", "IndexSize"} {
			gi[k] = wi[k]
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s:\n got %s\nwant %s", pair[0], got, pair[1])
		}
	}
}
