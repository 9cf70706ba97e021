package render

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/wire"
)

func TestErrors(t *testing.T) {
	r := newTestResult(t, Spec{})
	addAll(r, genEntries(10), 10)
	doErr(t, r, `{"ID":12345}`, "unknown request ID 12345")
	doErr(t, r, `{"ID":0}`, "unknown request ID 0")
	doErr(t, r, `{"ID":4294967295}`, "unknown request ID 4294967295")
	for _, id := range []uint32{16777218, 16777220, 33554434, 33554437} {
		doErr(t, r, fmt.Sprintf(`{"ID":%d}`, id), fmt.Sprintf("request ID %d is a legacy renderer-specific ID and is not supported", id))
	}
	doErr(t, r, `{"ID":"delete"}`, `ID: request ID must be a number, got string "delete"`)
	doErr(t, r, `{"ID":"status","Addendum":{"k":1}}`, `ID: request ID must be a number, got string "status"`)
	doErr(t, r, `{}`, "ID: missing request ID")
	doErr(t, r, `[1,2]`, "request is not a JSON object, got array")
	doErr(t, r, `not json`, `request is not valid JSON: cannot parse JSON: unexpected value found: "not json"; unparsed tail: "not json"`)
	doErr(t, r, `{"ID":16,"EntryRange":{"First":-1,"Last":2}}`, "EntryRange.First: number overflows uint64: -1")
	doErr(t, r, `{"ID":16,"EntryRange":{"First":0.5,"Last":2}}`, "EntryRange.First: number is not an integer: 0.5")
	doErr(t, r, `{"ID":16,"EntryRange":"0-2"}`, "EntryRange: expected an object, got string")
	doErr(t, r, `{"ID":18,"EntryRange":{"StartTS":"2015-01-01T12:01:00.0Z07:00"}}`, `EntryRange.StartTS: not an RFC 3339 time: "2015-01-01T12:01:00.0Z07:00"`)
	doErr(t, r, `{"ID":2130706436,"Stats":{"SetCount":1.5}}`, "Stats.SetCount: number is not an integer: 1.5")
	doErr(t, r, `{"ID":17}`, "REQ_STREAMING (17) cannot be answered with a single reply")
	// Errors echo the Addendum and carry the current state; the result keeps working.
	rep := doErr(t, r, `{"ID":16,"Addendum":{"filterID":"search-filter-9"},"EntryRange":{"First":1,"Last":0}}`, "EntryRange: Last (0) is before First (1)")
	if string(rep.Addendum) != `{"filterID":"search-filter-9"}` || rep.EntryCount != 10 || !rep.EntryCountValid || rep.EntryRange != nil {
		t.Fatalf("error reply %+v", rep)
	}
	doOK(t, r, `{"ID":16,"EntryRange":{"First":0,"Last":1}}`, 16)
	// A deleted search answers RESP_ERROR.
	r.Release()
	doErr(t, r, `{"ID":3}`, "search has been deleted")
	doErr(t, r, `{"ID":16,"EntryRange":{"First":0,"Last":1}}`, "search has been deleted")
}

func TestClose(t *testing.T) {
	r := newTestResult(t, Spec{})
	addAll(r, genEntries(10), 10)
	r.Finish(nil)
	_, out := do(t, r, `{"ID":1}`)
	want := `{"ID":1,"Finished":false,"EntryCount":0,"EntryCountValid":false,"AdditionalEntries":false,"OverLimit":false,` +
		`"LimitDroppedRange":{"StartTS":"0001-01-01T00:00:00Z","EndTS":"0001-01-01T00:00:00Z"},"Warning":"","Entries":[]}`
	if string(out) != want {
		t.Fatalf("close:\n got %s\nwant %s", out, want)
	}
	if _, out := do(t, r, `{"ID":1,"Addendum":{"a":1}}`); !strings.HasPrefix(string(out), `{"ID":1,"Addendum":{"a":1},"Finished"`) {
		t.Fatalf("close with addendum: %s", out)
	}
}

func TestMetadata(t *testing.T) {
	r := newTestResult(t, Spec{})
	rep := doOK(t, r, `{"ID":65537}`, 65537)
	if rep.Metadata == nil || string(*rep.Metadata) != "{}" {
		t.Fatalf("empty metadata: %v", rep.Metadata)
	}
	in := genEntries(300)
	for i := range in {
		// 40 distinct values of "word": more than the 32 the map keeps.
		in[i].EVs = append(in[i].EVs, wire.EV{Name: "word", Value: wire.StringValue([]byte(fmt.Sprint("w", i%40)))})
		// "mixed" starts numeric and turns raw at entry 100.
		v := wire.IntValue(int64(i))
		if i >= 100 {
			v = wire.StringValue([]byte("x"))
		}
		in[i].EVs = append(in[i].EVs, wire.EV{Name: "mixed", Value: v})
		if i == 7 {
			in[i].EVs = append(in[i].EVs, wire.EV{Name: "nanny", Value: wire.FloatValue(math.NaN())})
		}
	}
	in[0].SRC = netip.Addr{}
	addAll(r, in, 33)
	var md struct {
		ValueStats []struct {
			Name, Type string
			Number     struct {
				Count    uint
				Min, Max float64
			}
			Raw struct {
				Map   map[string]uint
				Other uint
			}
		}
		SourceStats []struct {
			IP    string
			Count uint
		}
		TagStats map[string]uint
	}
	raw := doOK(t, r, `{"ID":65537}`, 65537).Metadata
	if err := json.Unmarshal(*raw, &md); err != nil {
		t.Fatal(err)
	}
	byName := map[string]int{}
	for i, v := range md.ValueStats {
		byName[v.Name] = i
	}
	c := md.ValueStats[byName["count"]]
	if c.Type != "number" || c.Number.Count != 300 || c.Number.Min != 0 || c.Number.Max != 299 || c.Raw.Map != nil {
		t.Fatalf("count: %+v", c)
	}
	ra := md.ValueStats[byName["ratio"]]
	if ra.Number.Min != 0 || ra.Number.Max != 299.0/4 {
		t.Fatalf("ratio: %+v", ra)
	}
	h := md.ValueStats[byName["host"]]
	if h.Type != "raw" || len(h.Raw.Map) != 5 || h.Raw.Map["h0"] != 60 || h.Raw.Other != 0 {
		t.Fatalf("host: %+v", h)
	}
	w := md.ValueStats[byName["word"]]
	var sum uint
	for _, n := range w.Raw.Map {
		sum += n
	}
	if len(w.Raw.Map) != 32 || sum+w.Raw.Other != 300 || w.Raw.Map["w0"] != 8 {
		t.Fatalf("word: %d values, %d + other %d", len(w.Raw.Map), sum, w.Raw.Other)
	}
	m := md.ValueStats[byName["mixed"]]
	if m.Type != "raw" || m.Raw.Map["x"] != 200 || m.Raw.Other != 100 {
		t.Fatalf("mixed: %+v", m)
	}
	if nn := md.ValueStats[byName["nanny"]]; nn.Type != "number" || nn.Number.Count != 1 {
		t.Fatalf("nan: %+v", nn)
	}
	var srcTotal uint
	for _, s := range md.SourceStats {
		srcTotal += s.Count
	}
	if len(md.SourceStats) != 7 || srcTotal != 299 || md.TagStats["syslog"] != 150 || md.TagStats["auth"] != 150 {
		t.Fatalf("sources %+v tags %v", md.SourceStats, md.TagStats)
	}
	// Caps.
	capped := newTestResult(t, Spec{MaxMetadataNames: 2, MaxMetadataSources: 3})
	addAll(capped, in, 300)
	_ = json.Unmarshal(*doOK(t, capped, `{"ID":65537}`, 65537).Metadata, &md)
	if len(md.ValueStats) != 2 || len(md.SourceStats) != 3 {
		t.Fatalf("caps: %d names, %d sources", len(md.ValueStats), len(md.SourceStats))
	}
}

func TestValidate(t *testing.T) {
	ok := [][]string{{"text"}, {"raw"}, {"hex"}, {"pcap"}, {"table"}, {"table", "-nt", "a", "b"}, {"chart", "count"},
		{"chart", "count", "mean", "by", "host", "app"}, {"gauge"}, {"gauge", "mean", "min=0", "max=100"}, {"numbercard", "max=1e3", "x"}}
	for _, c := range ok {
		if err := Validate(c[0], c[1:]); err != nil {
			t.Errorf("Validate(%q): %v", c, err)
		}
	}
	bad := map[string][]string{
		`render: unknown renderer "fdg" (supported: text, raw, hex, pcap, table, gauge, numbercard, chart)`: {"fdg"},
		`render: renderer text takes no arguments, got "x"`:                                                 {"text", "x"},
		`render: table: unknown flag "-save" (supported: -nt)`:                                              {"table", "-save"},
		`render: table: column "a" given twice`:                                                             {"table", "a", "a"},
		`render: chart needs a value to plot (chart <value> [by <key> ...])`:                                {"chart"},
		`render: chart: "by" needs at least one key`:                                                        {"chart", "count", "by"},
		`render: chart: "by" given twice`:                                                                   {"chart", "c", "by", "a", "by"},
		`render: gauge: min="low" is not a number`:                                                          {"gauge", "min=low"},
		`render: numbercard: invalid argument "avg=3" (values, min=N, max=N)`:                               {"numbercard", "avg=3"},
	}
	for want, c := range bad {
		if err := Validate(c[0], c[1:]); err == nil || err.Error() != want {
			t.Errorf("Validate(%q) = %v, want %s", c, err, want)
		}
		if _, err := NewResult(Spec{Renderer: c[0], Args: c[1:]}); err == nil {
			t.Errorf("NewResult(%q) accepted", c)
		}
	}
	if !Condensing("table") || Condensing("raw") || Condensing("nope") || !TimeZoomDisabled("table", []string{"-nt"}) || TimeZoomDisabled("chart", nil) {
		t.Error("Condensing/TimeZoomDisabled")
	}
}

func TestAppendErrorAndInfo(t *testing.T) {
	r := newTestResult(t, Spec{})
	addAll(r, genEntries(4), 4)
	r.SetInfo(func(si *wire.SearchInfo) { si.ID = "42" })
	var p wire.RequestParser
	var req wire.Request
	_ = p.Parse([]byte(`{"ID":17,"Addendum":{"f":1}}`), &req)
	out := string(r.AppendError(nil, &req, "a stream is already running on this channel"))
	want := `{"ID":4294967295,"Error":"a stream is already running on this channel","Addendum":{"f":1},"Finished":false,"EntryCount":4,` +
		`"EntryCountValid":true,"AdditionalEntries":false,"OverLimit":false,"LimitDroppedRange":{"StartTS":"0001-01-01T00:00:00Z","EndTS":"0001-01-01T00:00:00Z"},"Warning":""}`
	if out != want {
		t.Fatalf("AppendError:\n got %s\nwant %s", out, want)
	}
	info := r.Info()
	att := wire.AppendAttachSearchResponse(nil, &wire.AttachSearchResponse{Subproto: "attach1", RendererMod: "text", RendererCmd: "text", Info: &info})
	var a struct {
		Subproto string
		Info     searchInfo
	}
	if err := json.Unmarshal(att, &a); err != nil || a.Info.ID != "42" || a.Info.ItemCount != 4 || a.Info.Tags[1] != "auth" {
		t.Fatalf("attach: %v %s", err, att)
	}
	var si searchInfo
	if err := json.Unmarshal(r.AppendInfo(nil), &si); err != nil || si.ID != "42" || si.ItemCount != 4 {
		t.Fatalf("AppendInfo: %v %+v", err, si)
	}
}
