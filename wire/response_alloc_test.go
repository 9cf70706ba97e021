//go:build !race

package wire_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// Every encoder and the request parser allocate nothing once their buffers have grown.
func TestRenderEncodersNoAllocs(t *testing.T) {
	dst := make([]byte, 0, 1<<16)
	entries := sampleEntries()
	var enc wire.EntryEncoder
	info := sampleInfo()
	hints := []wire.ModuleHint{{Name: "count", ProducedEVs: []string{"count"}, Condensing: true}}
	mods := []wire.ModuleInfo{{Name: "grep", Args: "grep x"}}
	cs := []wire.Counters{{InputCount: 1, Duration: 5}}
	rows := []wire.TableRow{{TS: 1, Row: []string{"a", awkward}}}
	chart := wire.ChartableValueSet{Names: []string{"a"}, KeyComps: [][]string{{"a", "b"}}, Categories: []string{"a"},
		Values: []wire.Chartable{{TS: 1, Data: []float64{1}}}}
	gauges := []wire.GaugeValue{{Name: "g", Magnitude: 1.5}}
	stats := wire.StatsResponse{Size: 1, Modules: mods, Set: []wire.StatSet{{TS: 1, Stats: cs}, {TS: 2}}, HasRange: true, HasCurrent: true,
		HasOverview: true, Overview: []wire.OverviewPoint{{Count: 1}}}
	meta := wire.SearchMetadata{ValueStats: []wire.MetadataEntry{{Name: "n", Count: 1}, {Name: "r", Raw: true, Values: []wire.ValueCount{{"x", 1}}}},
		SourceStats: []wire.SourceCount{{IP: netip.MustParseAddr("10.0.0.1"), Count: 1}}, TagStats: []wire.TagCount{{"a", 1}}}
	base := wire.BaseResponse{ID: 16, Addendum: []byte(`{"a":1}`), EntryRange: &wire.EntryRange{Last: 2, HasStartTS: true}, OverLimit: true}
	parse := wire.ParseSearchResponse{Sequence: 1, GoodQuery: true, RawQuery: "q", Tags: []string{"a"}, ModuleHints: hints}
	start := wire.StartSearchResponse{RawQuery: "q", SearchStartRange: time.Now(), Tags: []string{"a"}, ModuleHints: hints, GIDs: []int32{1}}
	fail := wire.StartSearchResponse{Error: "bad"}
	attach := wire.AttachSearchResponse{Subproto: "attach1", Info: &info}
	cases := map[string]func(){
		"SearchEntry":         func() { dst = wire.AppendSearchEntry(dst[:0], &entries[0], 0) },
		"SearchEntries":       func() { dst = wire.AppendSearchEntries(dst[:0], entries) },
		"EntryEncoder":        func() { dst = enc.AppendSearchEntry(dst[:0], &entries[0], 0) },
		"EnumeratedPair":      func() { dst = wire.AppendEnumeratedPair(dst[:0], &entries[0].EVs[5]) },
		"ValueText":           func() { dst = wire.AppendValueText(dst[:0], entries[0].EVs[27].Value) },
		"BaseResponse":        func() { dst = wire.AppendBaseResponse(dst[:0], &base) },
		"ErrorResponse":       func() { dst = wire.AppendErrorResponse(dst[:0], &base, "unknown request ID 12345") },
		"Tags":                func() { dst = wire.AppendTags(dst[:0], []string{"a", "b"}) },
		"TableValueSet":       func() { dst = wire.AppendTableValueSet(dst[:0], []string{"c"}, rows) },
		"GaugeValues":         func() { dst = wire.AppendGaugeValues(dst[:0], gauges) },
		"ChartableValueSet":   func() { dst = wire.AppendChartableValueSet(dst[:0], &chart) },
		"SearchInfo":          func() { dst = wire.AppendSearchInfo(dst[:0], &info) },
		"StatsResponse":       func() { dst = wire.AppendStatsResponse(dst[:0], &stats) },
		"SearchMetadata":      func() { dst = wire.AppendSearchMetadata(dst[:0], &meta) },
		"ParseSearchResponse": func() { dst = wire.AppendParseSearchResponse(dst[:0], &parse) },
		"StartSearchResponse": func() { dst = wire.AppendStartSearchResponse(dst[:0], &start) },
		"StartSearchError":    func() { dst = wire.AppendStartSearchResponse(dst[:0], &fail) },
		"AttachResponse":      func() { dst = wire.AppendAttachSearchResponse(dst[:0], &attach) },
	}
	for name, fn := range cases {
		if n := testing.AllocsPerRun(100, fn); n != 0 {
			t.Errorf("%s: %v allocations per call", name, n)
		}
	}
}

func TestRequestParserNoAllocs(t *testing.T) {
	var p wire.RequestParser
	var req wire.Request
	reqs := [][]byte{
		[]byte(`{"ID":18,"Addendum":{"filterID":"search-filter-1"},"EntryRange":{"First":0,"Last":100,"StartTS":"2024-05-01T09:00:00.000Z","EndTS":"2024-05-01T10:00:00.000Z"}}`),
		[]byte(`{"ID":2130706436,"stats":{"SetCount":90,"SetStart":"2016-01-01T00:00:00Z","SetEnd":"2016-01-02T00:00:00-07:00"}}`),
		[]byte(`{"id":16,"EntryRange":{"StartTS":"0000-12-31T16:07:02-07:52","EndTS":"0001-01-01T00:00:00Z","First":0,"Last":100}}`),
	}
	for _, in := range reqs {
		if n := testing.AllocsPerRun(100, func() {
			if err := p.Parse(in, &req); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("Parse(%s): %v allocations", in, n)
		}
	}
}
