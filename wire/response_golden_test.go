package wire_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// renderCase is one encoder output checked three ways: it is valid JSON, it decodes into the
// Go client's type (decodeInto, a pointer), and it equals encoding/json's encoding of the
// reference mirror value ref once both are decoded into map[string]any.
type renderCase struct {
	name       string
	got        []byte
	ref        any
	decodeInto any
}

// checkRenderGolden checks every case and compares the outputs with
// testdata/golden/render_<file>.json, a JSON array of the outputs in order (rewritten with
// -update).
func checkRenderGolden(t *testing.T, file string, cases []renderCase) {
	t.Helper()
	var all bytes.Buffer
	all.WriteString("[\n")
	for i, c := range cases {
		if !json.Valid(c.got) {
			t.Errorf("%s/%s: invalid JSON: %s", file, c.name, c.got)
			continue
		}
		if c.decodeInto != nil {
			if err := json.Unmarshal(c.got, c.decodeInto); err != nil {
				t.Errorf("%s/%s: the client type cannot decode it: %v\n%s", file, c.name, err, c.got)
			}
		}
		if c.ref != nil {
			want, err := json.Marshal(c.ref)
			if err != nil {
				t.Fatalf("%s/%s: encoding/json: %v", file, c.name, err)
			}
			var g, w any
			if err := json.Unmarshal(c.got, &g); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(want, &w); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("%s/%s differs from encoding/json:\n got %s\nwant %s", file, c.name, c.got, want)
			}
		}
		all.Write(c.got)
		if i < len(cases)-1 {
			all.WriteByte(',')
		}
		all.WriteByte('\n')
	}
	all.WriteString("]\n")
	path := filepath.Join("testdata", "golden", "render_"+file+".json")
	if renderUpdate() {
		if err := os.WriteFile(path, all.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(all.Bytes(), want) {
		t.Errorf("output differs from %s (run with -update if intended):\ngot  %s\nwant %s", path, all.Bytes(), want)
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(want, &arr); err != nil || len(arr) != len(cases) {
		t.Errorf("%s: not a JSON array of %d outputs: %v", path, len(cases), err)
	}
}

// The -update flag rewrites the golden files; it is registered only if another golden suite of
// the package has not registered it already.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata/golden")
	}
}

func renderUpdate() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// Sample data: realistic values plus the awkward ones (control bytes, U+2028, invalid UTF-8,
// NaN, extremes).

const awkward = "a\x00\x01\x1f\"\\/<>&\u2028\u2029\xff\xfe é 日本 \U0001F600\n\r\t"

func sampleTime(s string) int64 {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UnixNano()
}

func sampleEVs() []wire.EV {
	f32 := float64(float32(0.1))
	return []wire.EV{
		{Name: "Appname", Value: wire.StringValue([]byte("sshd"))},
		{Name: "count", Value: wire.IntValue(5)},
		{Name: "neg", Value: wire.IntValue(-2)},
		{Name: "SrcIP", Value: wire.IPValue([]byte{10, 0, 0, 5})},
		{Name: "ip6", Value: wire.IPValue(netip.MustParseAddr("2001:db8::1").AsSlice())},
		{Name: "mapped", Value: wire.IPValue(netip.MustParseAddr("::ffff:1.2.3.4").AsSlice())},
		{Name: "f", Value: wire.FloatValue(1.5)},
		{Name: "big", Value: wire.FloatValue(1e21)},
		{Name: "tiny", Value: wire.FloatValue(-1.25e-7)},
		{Name: "third", Value: wire.FloatValue(1.0 / 3)},
		{Name: "nan", Value: wire.FloatValue(math.NaN())},
		{Name: "inf", Value: wire.FloatValue(math.Inf(-1))},
		{Name: "f32", Value: wire.Value{Type: wire.TypeFloat32, N: math.Float64bits(f32)}},
		{Name: "yes", Value: wire.BoolValue(true)},
		{Name: "no", Value: wire.BoolValue(false)},
		{Name: "u8", Value: wire.Value{Type: wire.TypeByte, N: 200}},
		{Name: "i8", Value: wire.Value{Type: wire.TypeInt8, N: uint64(0xFFFFFFFFFFFFFFFB)}},
		{Name: "i16", Value: wire.Value{Type: wire.TypeInt16, N: uint64(0xFFFFFFFFFFFFFED4)}},
		{Name: "port", Value: wire.Value{Type: wire.TypeUint16, N: 443}},
		{Name: "i32", Value: wire.Value{Type: wire.TypeInt32, N: uint64(0xFFFFFFFFFFFEEE90)}},
		{Name: "u32", Value: wire.Value{Type: wire.TypeUint32, N: 4000000000}},
		{Name: "u64", Value: wire.UintValue(math.MaxUint64)},
		{Name: "i64", Value: wire.IntValue(math.MinInt64)},
		{Name: "mac", Value: wire.Value{Type: wire.TypeMAC, B: []byte{0x00, 0x1b, 0x21, 0x3a, 0x4c, 0x5d}}},
		{Name: "when", Value: wire.TSValue(sampleTime("2024-05-01T10:00:01.5Z"))},
		{Name: "epoch-1", Value: wire.TSValue(-1)},
		{Name: "took", Value: wire.DurationValue(1500 * time.Millisecond)},
		{Name: "µ", Value: wire.DurationValue(1200 * time.Nanosecond)},
		{Name: "back", Value: wire.DurationValue(-90 * time.Minute)},
		{Name: "raw", Value: wire.BytesValue([]byte{0xff, 0x00, 'a', 0x01})},
		{Name: awkward, Value: wire.StringValue([]byte(awkward))},
		{Name: "empty", Value: wire.StringValue(nil)},
	}
}

func sampleEntries() []wire.Entry {
	return []wire.Entry{
		{TS: sampleTime("2024-05-01T09:59:58.81619186Z"), SRC: netip.MustParseAddr("10.0.0.5"), Tag: 0,
			Data: []byte("Nov 21 10:00:01 gw01 sshd[4121]: Accepted publickey for admin from 10.0.0.5"),
			EVs:  sampleEVs()},
		{TS: sampleTime("2024-05-01T09:59:55Z"), SRC: netip.MustParseAddr("fe80::1%eth0"), Tag: 3, Data: []byte(awkward)},
		{TS: 0, SRC: netip.MustParseAddr("::ffff:192.168.1.1"), Tag: 65535, Data: []byte{}},
		{TS: -1, Tag: 1, Data: nil},
		{TS: sampleTime("2262-04-11T23:47:16.854775807Z"), SRC: netip.MustParseAddr("2001:db8::dead:beef"), Data: []byte{0, 1, 2, 0xff}},
	}
}

func TestRenderGoldenBase(t *testing.T) {
	var cases []renderCase
	add := func(name string, r wire.BaseResponse) {
		var dec rclBase
		cases = append(cases, renderCase{name, wire.AppendBaseResponse(nil, &r), mirrorBase(&r), &dec})
	}
	add("entry count", wire.BaseResponse{ID: wire.ReqEntryCount, Finished: true, EntryCount: 41, EntryCountValid: true})
	add("running", wire.BaseResponse{ID: wire.ReqEntryCount, EntryCount: math.MaxUint64})
	add("error", wire.BaseResponse{ID: wire.RespError, Error: "EntryRange: Last (0) is before First (1)", EntryCount: 1575, EntryCountValid: true})
	add("addendum", wire.BaseResponse{ID: 4, Addendum: []byte(`{"filterID":"search-filter-1","n":[1,2.5e3,null,true]}`)})
	add("entry range", wire.BaseResponse{ID: 16, AdditionalEntries: true, EntryRange: &wire.EntryRange{First: 0, Last: 2,
		StartTS: sampleTime("2024-05-01T09:00:00Z"), EndTS: sampleTime("2024-05-01T10:00:00Z"), HasStartTS: true, HasEndTS: true}})
	add("unset range", wire.BaseResponse{ID: 18, EntryRange: &wire.EntryRange{First: 5, Last: 5, StartTS: 99, HasEndTS: true}})
	add("over limit", wire.BaseResponse{ID: 3, OverLimit: true, DroppedStart: sampleTime("2021-03-11T17:10:54.199Z"),
		DroppedEnd: sampleTime("2021-03-11T17:36:00Z"), Warning: awkward})
	// AppendErrorResponse turns any response into RESP_ERROR without an EntryRange.
	base := wire.BaseResponse{ID: 16, Finished: true, EntryCount: 2, EntryCountValid: true, Addendum: []byte(`{"a":1}`),
		EntryRange: &wire.EntryRange{Last: 1}}
	errResp := base
	errResp.ID, errResp.Error, errResp.EntryRange = wire.RespError, "unknown request ID 12345", nil
	var dec rclBase
	cases = append(cases, renderCase{"error response", wire.AppendErrorResponse(nil, &base, "unknown request ID 12345"), mirrorBase(&errResp), &dec})
	var tags map[string]uint16
	cases = append(cases, renderCase{"tags", wire.AppendTags(nil, []string{"syslog", "b", awkward}),
		map[string]uint16{"syslog": 0, "b": 1, awkward: 2}, &tags})
	cases = append(cases, renderCase{"no tags", wire.AppendTags(nil, nil), map[string]uint16{}, &tags})
	checkRenderGolden(t, "base", cases)
}

func TestRenderGoldenEntries(t *testing.T) {
	var cases []renderCase
	entries := sampleEntries()
	for i := range entries {
		e := &entries[i]
		var dec rclSearchEntry
		cases = append(cases, renderCase{fmt.Sprint("entry ", i), wire.AppendSearchEntry(nil, e, e.Tag), mirrorEntry(e, e.Tag), &dec})
	}
	ref := []rclSearchEntry{}
	for i := range entries {
		ref = append(ref, mirrorEntry(&entries[i], entries[i].Tag))
	}
	var dec []rclSearchEntry
	cases = append(cases, renderCase{"list", wire.AppendSearchEntries(nil, entries), ref, &dec})
	cases = append(cases, renderCase{"empty list", wire.AppendSearchEntries(nil, nil), []rclSearchEntry{}, &dec})
	var pairs []rclEnumPair
	cases = append(cases, renderCase{"no values", wire.AppendEnumerated(nil, nil), []rclEnumPair{}, &pairs})
	checkRenderGolden(t, "entries", cases)
}

// TestEnumeratedSpecExamples checks the Value.Data examples of PROTOCOL.md §5.3 and the
// ValueStr rules.
func TestEnumeratedSpecExamples(t *testing.T) {
	f := func(v wire.Value, data, str string) {
		t.Helper()
		if data == "" {
			data = base64.StdEncoding.EncodeToString(mirrorValueData(v))
		}
		if got := string(wire.AppendValueData(nil, v)); got != `"`+data+`"` {
			t.Errorf("AppendValueData(%+v) = %s, want %q", v, got, data)
		}
		if got := string(wire.AppendValueStr(nil, v)); got != `"`+str+`"` {
			t.Errorf("AppendValueStr(%+v) = %s, want %q", v, got, str)
		}
	}
	f(wire.IntValue(5), "BQAAAAAAAAA=", "5")
	f(wire.IntValue(-2), "/v////////8=", "-2")
	f(wire.FloatValue(1.5), "AAAAAAAA+D8=", "1.5")
	f(wire.IPValue([]byte{10, 0, 0, 5}), "CgAABQ==", "10.0.0.5")
	f(wire.Value{Type: wire.TypeUint16, N: 443}, "uwE=", "443")
	f(wire.BoolValue(true), "AQ==", "true")
	f(wire.DurationValue(1500*time.Millisecond), "AC9oWQAAAAA=", "1.5s")
	f(wire.TSValue(sampleTime("2024-05-01T10:00:01.5Z")), "oQnE3Q4AAAAAZc0d", "2024-05-01T10:00:01.5Z")
	f(wire.StringValue([]byte("sshd")), "c3NoZA==", "sshd")
	f(wire.FloatValue(1e21), "", "1E+21")
	f(wire.FloatValue(123456789012345), "", "1.23456789012E+14")
	f(wire.FloatValue(100), "", "100")
	f(wire.FloatValue(0.000012345), "", "1.2345E-05")
	f(wire.Value{Type: wire.TypeMAC, B: []byte{0x00, 0x1b, 0x21, 0x3a, 0x4c, 0x5d}}, "ABshOkxd", "00:1b:21:3a:4c:5d")
	f(wire.IPValue(netip.MustParseAddr("2001:db8::1").AsSlice()), "IAENuAAAAAAAAAAAAAAAAQ==", "2001:db8::1")
	pair := wire.AppendEnumeratedPair(nil, &wire.EV{Name: "SrcIP", Value: wire.IPValue([]byte{10, 0, 0, 5})})
	if string(pair) != `{"Name":"SrcIP","ValueStr":"10.0.0.5","Value":{"Type":15,"Data":"CgAABQ=="}}` {
		t.Errorf("pair = %s", pair)
	}
}

func TestRenderGoldenShapes(t *testing.T) {
	var cases []renderCase
	rows := []wire.TableRow{
		{TS: sampleTime("2024-05-01T09:30:29Z"), Row: []string{"10.0.0.5", "9410"}},
		{TS: sampleTime("2024-05-01T09:28:51.000000001Z"), Row: []string{awkward, ""}},
		{TS: 0, Row: nil},
	}
	var table rclTable
	cases = append(cases, renderCase{"table", wire.AppendTableValueSet(nil, []string{"SrcIP", "count"}, rows),
		mirrorTable([]string{"SrcIP", "count"}, rows), &table})
	cases = append(cases, renderCase{"empty table", wire.AppendTableValueSet(nil, nil, nil), mirrorTable(nil, nil), &table})

	gauges := []wire.GaugeValue{{Name: "mean", Magnitude: 31691.213, Max: 64000}, {Name: awkward, Magnitude: -1e-9, Min: -5, Max: 1e300}}
	ref := []rclGauge{}
	for _, g := range gauges {
		ref = append(ref, rclGauge(g))
	}
	var gdec []rclGauge
	cases = append(cases, renderCase{"gauges", wire.AppendGaugeValues(nil, gauges), ref, &gdec})
	cases = append(cases, renderCase{"no gauges", wire.AppendGaugeValues(nil, nil), []rclGauge{}, &gdec})
	// NaN cannot be marshalled by encoding/json at all; the encoder writes null, which the
	// client decodes as 0.
	nanG := wire.AppendGaugeValue(nil, &wire.GaugeValue{Name: "n", Magnitude: math.NaN(), Min: math.Inf(1)})
	var g1 rclGauge
	cases = append(cases, renderCase{"nan gauge", nanG, nil, &g1})
	if string(nanG) != `{"Name":"n","Magnitude":null,"Min":null,"Max":0}` {
		t.Errorf("nan gauge = %s", nanG)
	}

	chart := wire.ChartableValueSet{
		Names:      []string{"10.0.0.5 a", "192.168.1.1 b", awkward},
		KeyComps:   [][]string{{"10.0.0.5", "a"}, {"192.168.1.1", "b"}, {awkward, ""}},
		Categories: []string{"10.0.0.5 a", "192.168.1.1 b", awkward},
		Values: []wire.Chartable{
			{TS: sampleTime("2024-05-01T09:00:00Z"), Data: []float64{0, 3, 1.5}},
			{TS: sampleTime("2024-05-01T09:01:00Z"), Data: []float64{1, math.NaN()}},
			{TS: sampleTime("2024-05-01T09:02:00Z"), Data: []float64{math.Inf(1), 1e21, 1e-7, 99}},
		},
	}
	var cdec rclChartClient
	cases = append(cases, renderCase{"chart", wire.AppendChartableValueSet(nil, &chart), mirrorChart(&chart), &cdec})
	single := wire.ChartableValueSet{Names: []string{"count"}, Categories: []string{"count"},
		Values: []wire.Chartable{{TS: 1, Data: []float64{7}}}}
	cases = append(cases, renderCase{"single-key chart", wire.AppendChartableValueSet(nil, &single), mirrorChart(&single), &cdec})
	empty := wire.ChartableValueSet{}
	cases = append(cases, renderCase{"empty chart", wire.AppendChartableValueSet(nil, &empty), mirrorChart(&empty), &cdec})
	checkRenderGolden(t, "shapes", cases)
	if len(cdec.Values) != 0 {
		t.Error("empty chart decoded with values")
	}
}

func sampleInfo() wire.SearchInfo {
	return wire.SearchInfo{
		ID: "2290834411", UID: 1, GIDs: []int32{3, -4}, UserQuery: "tag=syslog grep sshd", EffectiveQuery: "tag=syslog grep sshd | sort by time",
		StartRange: time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC), EndRange: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), Descending: true,
		Started: time.Date(2024, 5, 1, 10, 0, 2, 113000000, time.UTC), Duration: 77137567 * time.Nanosecond, StoreSize: 7882,
		IndexSize: 16, ItemCount: 50, RenderDownloadFormats: []string{"archive", "csv", "json", "text"}, Metadata: []byte(`{"timeframe":{"x":1},"live":false}`),
		CollapsingIndex: 2, MinZoomWindow: 1, Tags: []string{"syslog"},
		LaunchInfo: wire.LaunchInfo{Method: "manual", Started: time.Date(2024, 5, 1, 10, 0, 2, 113000000, time.UTC)},
	}
}

func TestRenderGoldenSearch(t *testing.T) {
	var cases []renderCase
	info := sampleInfo()
	var idec rclSearchInfo
	cases = append(cases, renderCase{"info", wire.AppendSearchInfo(nil, &info), mirrorInfo(&info), &idec})
	full := info
	full.GID, full.Global, full.Name, full.Error, full.Preview = 7, true, awkward, "module grep failed: "+awkward, true
	full.LastUpdate = time.Date(2024, 5, 1, 9, 0, 0, 1, time.FixedZone("x", 3600))
	full.Import = wire.ImportInfo{Imported: true, Time: time.Date(2023, 1, 2, 3, 4, 5, 0, time.UTC), BatchName: "b", BatchInfo: "i"}
	full.Duration = 90*time.Minute + 500*time.Millisecond
	full.TimeZoomDisabled, full.QueryTimeSpecified, full.NoHistory, full.Background = true, true, true, true
	full.LaunchInfo = wire.LaunchInfo{Method: "scheduledSearch", Reference: "r-1", Expires: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)}
	cases = append(cases, renderCase{"full info", wire.AppendSearchInfo(nil, &full), mirrorInfo(&full), &idec})
	var zero wire.SearchInfo
	cases = append(cases, renderCase{"zero info", wire.AppendSearchInfo(nil, &zero), mirrorInfo(&zero), &idec})
	var ldec rclLaunchInfo
	cases = append(cases, renderCase{"launch info", wire.AppendLaunchInfo(nil, &full.LaunchInfo), mirrorLaunch(&full.LaunchInfo), &ldec})

	hints := []wire.ModuleHint{{Name: "grep"}, {Name: "count", ProducedEVs: []string{"count"}, ConsumedEVs: []string{}, ResourcesNeeded: []string{"r"}, Condensing: true}}
	var pdec rclParseResponse
	good := wire.ParseSearchResponse{Sequence: 7, GoodQuery: true, ParsedQuery: "tag=syslog grep sshd | count", RawQuery: "tag=syslog grep sshd | count",
		CollapsingIndex: 1, RenderModule: "text", Tags: []string{"syslog"}, ModuleHints: hints}
	cases = append(cases, renderCase{"parse ok", wire.AppendParseSearchResponse(nil, &good), rclParseResponse{Sequence: 7, GoodQuery: true,
		ParsedQuery: good.ParsedQuery, RawQuery: good.RawQuery, CollapsingIndex: 1, RenderModule: "text", Tags: good.Tags, ModuleHints: mirrorHints(hints)}, &pdec})
	bad := wire.ParseSearchResponse{Sequence: math.MaxUint64, ParseError: "bogusmodule is not a valid module", RawQuery: awkward, ModuleIndex: 1}
	cases = append(cases, renderCase{"parse error", wire.AppendParseSearchResponse(nil, &bad), rclParseResponse{Sequence: math.MaxUint64,
		ParseError: bad.ParseError, RawQuery: awkward, ModuleIndex: 1}, &pdec})

	start := wire.StartSearchResponse{RawQuery: "tag=syslog grep sshd", SearchString: "tag=syslog grep sshd", RenderModule: "text", RenderCmd: "text",
		OutputSearchSubproto: "search3", SearchID: "2290834411", SearchStartRange: info.StartRange, SearchEndRange: info.EndRange, CollapsingIndex: 2,
		Addendum: []byte(`{"filterID":"search-filter-1"}`), LaunchInfo: info.LaunchInfo, Tags: []string{"syslog"}, ModuleHints: hints}
	ref := rclStartResponse{RawQuery: start.RawQuery, SearchString: start.SearchString, RenderModule: "text", RenderCmd: "text",
		OutputSearchSubproto: "search3", SearchID: start.SearchID, SearchStartRange: info.StartRange, SearchEndRange: info.EndRange,
		CollapsingIndex: 2, Addendum: start.Addendum, LaunchInfo: mirrorLaunch(&info.LaunchInfo), Tags: start.Tags, ModuleHints: mirrorHints(hints)}
	var sdec rclStartResponse
	cases = append(cases, renderCase{"launch ok", wire.AppendStartSearchResponse(nil, &start), ref, &sdec})
	start2 := start
	start2.Background, start2.NonTemporal, start2.QueryTimeSpecified, start2.Global = true, true, true, true
	start2.Metadata, start2.GIDs, start2.ModuleHints, start2.Tags = []byte(`{}`), []int32{1}, nil, nil
	ref2 := ref
	ref2.Background, ref2.NonTemporal, ref2.QueryTimeSpecified, ref2.Global = true, true, true, true
	ref2.Metadata, ref2.GIDs, ref2.ModuleHints, ref2.Tags = start2.Metadata, start2.GIDs, nil, nil
	cases = append(cases, renderCase{"launch flags", wire.AppendStartSearchResponse(nil, &start2), ref2, &sdec})
	fail := wire.StartSearchResponse{Error: "invalid search range: end 2024-05-01T09:50:00Z is before start 2024-05-01T10:00:00Z", SearchID: "x"}
	var edec rclError
	cases = append(cases, renderCase{"launch error", wire.AppendStartSearchResponse(nil, &fail), rclError{fail.Error}, &edec})

	att := wire.AttachSearchResponse{Subproto: "attach4", RendererMod: "text", RendererCmd: "text", Info: &info}
	var adec rclAttachResponse
	cases = append(cases, renderCase{"attach ok", wire.AppendAttachSearchResponse(nil, &att),
		rclAttachResponse{Subproto: "attach4", RendererMod: "text", RendererCmd: "text", Info: mirrorInfo(&info)}, &adec})
	attFail := wire.AttachSearchResponse{Error: "search 123 not found"}
	cases = append(cases, renderCase{"attach error", wire.AppendAttachSearchResponse(nil, &attFail), rclError{attFail.Error}, &edec})
	var hdec []rclModuleHint
	cases = append(cases, renderCase{"no hints", wire.AppendModuleHints(nil, nil), []rclModuleHint(nil), &hdec})
	checkRenderGolden(t, "search", cases)

	// Error is absent from successes (the JS client treats any Error key as a failure).
	for _, c := range cases {
		if strings.Contains(c.name, "ok") && bytes.Contains(c.got, []byte(`"Error"`)) {
			t.Errorf("%s carries an Error key: %s", c.name, c.got)
		}
	}
}

func TestRenderGoldenStats(t *testing.T) {
	mods := []wire.ModuleInfo{{Name: "grep", Args: "grep sshd"}, {Name: "sort", Args: "sort by time"}}
	c1 := []wire.Counters{{InputCount: 1200, OutputCount: 20, InputBytes: 180000, OutputBytes: 3100, Duration: 8018989},
		{InputCount: 20, OutputCount: 20, InputBytes: 3100, OutputBytes: 3100, Duration: 2578825, ScratchWritten: math.MaxUint64}}
	rs, re := sampleTime("2024-05-01T09:00:00Z"), sampleTime("2024-05-01T10:00:00Z")
	var cases []renderCase
	add := func(name string, s wire.StatsResponse) {
		var dec rclStats
		cases = append(cases, renderCase{name, wire.AppendStatsResponse(nil, &s), mirrorStats(&s), &dec})
	}
	add("size", wire.StatsResponse{Size: 466})
	add("range", wire.StatsResponse{Size: 3600, RangeStart: rs, RangeEnd: re, HasRange: true})
	add("get", wire.StatsResponse{Size: 3600, Modules: mods, RangeStart: rs, RangeEnd: re, HasRange: true, Current: rs, HasCurrent: true,
		Set: []wire.StatSet{{TS: rs}, {TS: rs + 15*60e9}, {TS: rs + 30*60e9, Stats: c1}, {TS: rs + 45*60e9, Stats: c1[:1]}}})
	add("unnamed modules", wire.StatsResponse{Modules: mods[:1], Set: []wire.StatSet{{TS: rs, Stats: c1}}})
	add("overview", wire.StatsResponse{Size: 2, RangeStart: rs, RangeEnd: re, HasRange: true, Current: re, HasCurrent: true, HasOverview: true,
		Overview: []wire.OverviewPoint{{Count: 1, Bytes: 75, TS: rs}, {TS: rs + 30*60e9}}})
	add("empty overview", wire.StatsResponse{HasOverview: true})
	var sdec rclModuleStats
	cases = append(cases, renderCase{"module", wire.AppendModuleStats(nil, &wire.ModuleInfo{Name: awkward, Args: awkward}, &c1[1]),
		rclModuleStats{Name: awkward, Args: awkward, InputCount: 20, OutputCount: 20, InputBytes: 3100, OutputBytes: 3100, Duration: 2578825,
			ScratchWritten: math.MaxUint64}, &sdec})
	checkRenderGolden(t, "stats", cases)
}

func TestRenderGoldenMetadata(t *testing.T) {
	var cases []renderCase
	add := func(name string, m wire.SearchMetadata) {
		var dec rclMeta
		cases = append(cases, renderCase{name, wire.AppendSearchMetadata(nil, &m), mirrorMeta(&m), &dec})
	}
	add("empty", wire.SearchMetadata{})
	add("spec example", wire.SearchMetadata{
		ValueStats: []wire.MetadataEntry{{Name: "count", Count: 963, Min: 1, Max: 3},
			{Name: "Hostname", Raw: true, Values: []wire.ValueCount{{"ant", 25}, {"whale", 29}}}},
		SourceStats: []wire.SourceCount{{IP: netip.MustParseAddr("192.168.1.1"), Count: 963}},
		TagStats:    []wire.TagCount{{"syslog", 963}},
	})
	add("awkward", wire.SearchMetadata{
		ValueStats: []wire.MetadataEntry{{Name: awkward, Raw: true, Values: []wire.ValueCount{{awkward, 1}}, Other: 7},
			{Name: "empty raw", Raw: true, Other: 2}, {Name: "neg", Count: 1, Min: -1e300, Max: 1e-300}},
		SourceStats: []wire.SourceCount{{IP: netip.MustParseAddr("2001:db8::1"), Count: 1}, {IP: netip.MustParseAddr("::ffff:10.0.0.1"), Count: 2}},
	})
	add("tags only", wire.SearchMetadata{TagStats: []wire.TagCount{{"a", 1}, {awkward, math.MaxUint32}}})
	checkRenderGolden(t, "metadata", cases)
}
