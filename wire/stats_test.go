package wire_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// The -update flag rewrites the golden files. It is registered only if no other test file of
// the package registered it already, so that several golden suites can share it.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata/golden")
	}
}

func statsUpdate() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// statsSamples are realistic payloads, shaped after PROTOCOL.md Appendix B, with hosts given
// out of order and one unavailable indexer.
type statsSamples struct {
	desc []wire.SysInfo
	ping wire.PingPayload
	sys  wire.SysStatsPayload
	idx  wire.IdxStatsPayload
	igst wire.IgstStatsPayload
}

func newStatsSamples() *statsSamples {
	build := wire.BuildInfo{Major: 0, Minor: 1, Point: 2, BuildDate: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), BuildID: "8c1f2e0"}
	web := &wire.HostSysStats{
		Uptime: 3946, TotalMemory: 33551781888, FreeMemory: 7495507968, CachedMemory: 317022208,
		ProcessHeapAllocation: 48234496, ProcessSysReserved: 92274688, MemoryUsedPercent: 12.5,
		Disks: []wire.DiskStats{
			{Mount: "/", Partition: "/dev/sda2", Total: 243347922944, Used: 30278324224, ID: "5d41402abc4b2a76"},
			{Mount: "/var/lib/sluice", Partition: "/dev/sdb1", Total: 284401197056, Used: 214626893824, ID: "7d793037a0760186"},
		},
		CPUUsage: 2.5773196, CPUCount: 8, HostHash: "9e107d9d372bb682", Net: wire.NetStats{Up: 1709, Down: 1710},
		IO:         []wire.DiskIO{{Device: "sda", Read: 0, Write: 8192}, {Device: "sdb", Read: 4096}},
		VirtSystem: "kvm", VirtRole: "guest", BuildInfo: build,
		LoadAverage: wire.LoadAverage{Load1: 0.21, Load5: 0.18, Load15: 0.12}, Iowait: 0.02,
	}
	idx := *web
	idx.ProcessHeapAllocation, idx.ProcessSysReserved = 0, 0
	idx.IO = nil
	info := wire.SysInfo{CPUCount: 8, CPUModel: "Intel(R) Xeon(R) E-2288G CPU @ 3.70GHz", CPUMhz: "3700",
		CPUCache: "16384", CPUMIPS: "7399.70", TotalMemoryMB: 31998, SystemVersion: "6.1.0-18-amd64",
		VirtSystem: "kvm", VirtRole: "guest"}
	s := &statsSamples{}
	for _, h := range []string{"webserver", "127.0.0.1:9404"} {
		i := info
		i.Host = h
		s.desc = append(s.desc, i)
	}
	s.desc = append(s.desc, wire.SysInfo{Host: "10.0.0.2:9404", Error: "indexer unreachable"})
	s.ping = wire.PingPayload{States: []wire.PingState{{Addr: "127.0.0.1:9404", State: "OK"}, {Addr: "10.0.0.2:9404", State: "Disconnected"}}}
	s.sys = wire.SysStatsPayload{Hosts: []wire.SysStats{
		{Host: "webserver", Stats: web},
		{Host: "127.0.0.1:9404", Stats: &idx},
		{Host: "10.0.0.2:9404", Error: "indexer unreachable"},
	}}
	s.idx = wire.IdxStatsPayload{Indexers: []wire.IdxStats{{
		Addr: "127.0.0.1:9404", UUID: "5e20794b-0b73-4eb0-b49b-ece17089bf28",
		IndexStats: []wire.IndexManagerStats{
			{Name: "default", Stats: []wire.IndexerStats{{ID: "5e20794b-default", Data: 39859808, Entries: 504549, Path: "/var/lib/sluice/default"}}},
			{Name: "syslog", Stats: []wire.IndexerStats{
				{ID: "5e20794b-syslog", Data: 3100139, Entries: 30000, Path: "/var/lib/sluice/syslog", Accelerator: "fulltext", Extractor: "syslog"},
				{ID: "5e20794b-syslog-cold", Data: 1 << 40, Entries: 1 << 33, Path: "/mnt/cold/syslog", Cold: true},
			}},
			{Name: "empty"},
		},
	}, {Addr: "10.0.0.2:9404", UUID: "", Error: "indexer unreachable"}}}
	ing := wire.IngestStats{Addr: "127.0.0.1:9404", QuotaUsed: 1 << 30, EntriesPerSecond: 1234.5, BytesPerSecond: 98765.25,
		TotalCount: 534549, TotalSize: 42959947, LastDayCount: 30000, LastDaySize: 3100139}
	for i := range ing.EntriesHourTail {
		ing.EntriesHourTail[i] = uint64(i * 100)
		ing.BytesHourTail[i] = uint64(i * 10000)
	}
	for i := range ing.EntriesMinuteTail {
		ing.EntriesMinuteTail[i] = uint64(i)
		ing.BytesMinuteTail[i] = uint64(i * 75)
	}
	ing.Ingesters = []wire.IngesterStats{{
		RemoteAddress: "tcp://10.0.0.7:43684", Count: 30000, Size: 3100139, Uptime: 90 * time.Minute,
		Tags: []string{"syslog", "auth"}, Name: "simple relay", Version: "5.4.0", UUID: "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
		State: wire.IngesterState{UUID: "1b4e28ba-2fa1-11d2-883f-0016d3cca427", Name: "simple relay", Version: "5.4.0",
			Label: "edge", IP: statsIP("10.0.0.7"), Hostname: "relay01", Entries: 30000, Size: 3100139, Uptime: 90 * time.Minute,
			Tags: []string{"syslog"}, CacheState: "ok", CacheSize: 4096, LastSeen: time.Date(2024, 5, 1, 10, 0, 2, 113000000, time.UTC),
			Children: []wire.IngesterChild{{Key: "child-b", State: wire.IngesterState{Name: "b", IP: statsIP("fe80::1%eth0")}},
				{Key: "child-a", State: wire.IngesterState{Name: "a", IP: statsIP("::ffff:192.0.2.1")}}},
			Configuration: []byte(`{"Listener":{"Port":601}}`), Metadata: []byte(`{"os":"linux"}`)},
	}}
	ing.Missing = []wire.IngesterState{{UUID: "2c5f39cb-3fb2-12e3-994f-1127e4ddb538", Name: "file follower", IP: statsIP("2001:db8::7")}}
	s.igst = wire.IgstStatsPayload{Indexers: []wire.IngestStats{ing}}
	return s
}

// statsCase is one encoder applied to one payload, with the client type it must decode into
// and the value that client must then hold.
type statsCase struct {
	name   string
	encode func(dst []byte) []byte
	decode func(b []byte) (any, error) // into the client's type
	want   any                         // the client's value, as encoding/json would write it
}

func statsDecodeInto[T any](b []byte) (any, error) {
	var v T
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func statsCases(s *statsSamples) []statsCase {
	return []statsCase{
		{"sysdesc", func(d []byte) []byte { return wire.AppendSysDesc(d, s.desc) },
			statsDecodeInto[map[string]statsClSysInfo], statsMirrorSysDesc(s.desc)},
		{"sysdesc_documented", func(d []byte) []byte { return wire.AppendSysDescDocumented(d, s.desc) },
			statsDecodeInto[map[string]statsDocSysInfo], statsMirrorSysDescDoc(s.desc)},
		{"ping", func(d []byte) []byte { return wire.AppendPing(d, &s.ping) },
			statsDecodeInto[statsClPing], statsMirrorPing(&s.ping)},
		{"ping_documented", func(d []byte) []byte { return wire.AppendPingDocumented(d, &s.ping) },
			statsDecodeInto[statsDocPing], statsMirrorPingDoc(&s.ping)},
		{"sysstats", func(d []byte) []byte { return wire.AppendSysStats(d, &s.sys) },
			statsDecodeInto[statsClSysStatsMsg], statsMirrorSysStats(&s.sys)},
		{"sysstats_documented", func(d []byte) []byte { return wire.AppendSysStatsDocumented(d, &s.sys) },
			statsDecodeInto[statsDocSysStatsMsg], statsMirrorSysStatsDoc(&s.sys)},
		{"idxstats", func(d []byte) []byte { return wire.AppendIdxStats(d, &s.idx) },
			statsDecodeInto[statsClIdxMsg], statsMirrorIdx(&s.idx)},
		{"idxstats_documented", func(d []byte) []byte { return wire.AppendIdxStatsDocumented(d, &s.idx) },
			statsDecodeInto[statsDocIdxMsg], statsMirrorIdxDoc(&s.idx)},
		{"igststats", func(d []byte) []byte { return wire.AppendIgstStats(d, &s.igst) },
			statsDecodeInto[statsClIgstMsg], statsMirrorIgst(&s.igst)},
	}
}

// statsSameJSON reports whether a and b hold the same JSON value, numbers compared as text.
func statsSameJSON(t testing.TB, a, b []byte) bool {
	t.Helper()
	dec := func(x []byte) any {
		d := json.NewDecoder(bytes.NewReader(x))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			t.Fatalf("cannot decode %s: %v", x, err)
		}
		return v
	}
	return reflect.DeepEqual(dec(a), dec(b))
}

// statsCheck runs every property of one case: valid JSON, decodes into the client's type with no
// unknown field, holds exactly the fields encoding/json writes for the client's value (emit rules
// and values), and re-encodes to the same JSON.
func statsCheck(t testing.TB, c statsCase, got []byte) {
	t.Helper()
	if !json.Valid(got) {
		t.Fatalf("%s: invalid JSON: %s", c.name, got)
	}
	v, err := c.decode(got)
	if err != nil {
		t.Fatalf("%s: client type cannot decode %s: %v", c.name, got, err)
	}
	want, err := json.Marshal(c.want)
	if err != nil {
		t.Fatalf("%s: cannot marshal the expected value: %v", c.name, err)
	}
	if !statsSameJSON(t, got, want) {
		t.Fatalf("%s: emitted\n%s\nencoding/json writes the client's value as\n%s", c.name, got, want)
	}
	re, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: cannot re-encode: %v", c.name, err)
	}
	if !statsSameJSON(t, got, re) {
		t.Fatalf("%s: re-encoding differs:\n%s\n%s", c.name, got, re)
	}
}

func TestStatsGolden(t *testing.T) {
	s := newStatsSamples()
	for _, c := range statsCases(s) {
		t.Run(c.name, func(t *testing.T) {
			got := c.encode(nil)
			statsCheck(t, c, got)
			// appending to a non-empty dst leaves the prefix alone
			pre := c.encode([]byte("xyz"))
			if !bytes.Equal(pre, append([]byte("xyz"), got...)) {
				t.Fatalf("append to non-empty dst changed the output")
			}
			path := filepath.Join("testdata", "golden", "stats_"+c.name+".json")
			if statsUpdate() {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, bytes.TrimSuffix(want, []byte("\n"))) {
				t.Fatalf("output differs from %s (run with -update if intended):\ngot  %s\nwant %s", path, got, want)
			}
		})
	}
}

// TestStatsEmitRules pins the exact bytes of minimal payloads: which keys are omitted, which are
// always present, and [] rather than null.
func TestStatsEmitRules(t *testing.T) {
	f := func(name string, got []byte, want string) {
		t.Helper()
		if string(got) != want {
			t.Fatalf("%s:\ngot  %s\nwant %s", name, got, want)
		}
		if got[0] == '{' && !json.Valid(got) {
			t.Fatalf("%s: invalid JSON", name)
		}
	}
	zeroHost := `{"Disks":[],"CPUUsage":0,"HostHash":"","Net":{"Up":0,"Down":0},"IO":[],` +
		`"BuildInfo":{"Major":0,"Minor":0,"Point":0,"BuildDate":"0001-01-01T00:00:00Z"},` +
		`"LoadAverage":{"load1":0,"load5":0,"load15":0},"Iowait":0}`
	zeroDocHost := `{"Uptime":0,"TotalMemory":0,"FreeMemory":0,"CachedMemory":0,"Disks":[],"CPUUsage":0,"Net":{"Up":0,"Down":0}}`

	f("sysDesc empty", wire.AppendSysDesc(nil, nil), `{}`)
	f("sysDesc empty host", wire.AppendSysDesc(nil, []wire.SysInfo{{Host: "webserver", CPUMIPS: "1"}}), `{"webserver":{}}`)
	f("sysDesc documented empty host", wire.AppendSysDescDocumented(nil, []wire.SysInfo{{Host: "webserver", VirtSystem: "kvm"}}),
		`{"webserver":{"CPUCount":0,"CPUModel":"","CPUMhz":"","CPUCache":"","CPUMIPS":"","TotalMemoryMB":0,"SystemVersion":""}}`)
	f("sysDesc documented error", wire.AppendSysDescDocumented(nil, []wire.SysInfo{{Host: "h", Error: "e"}}),
		`{"h":{"CPUCount":0,"CPUModel":"","CPUMhz":"","CPUCache":"","CPUMIPS":"","TotalMemoryMB":0,"SystemVersion":"","Error":"e"}}`)
	f("sysDesc sorted, first duplicate wins",
		wire.AppendSysDesc(nil, []wire.SysInfo{{Host: "b", CPUCount: 1}, {Host: "a", CPUCount: 2}, {Host: "b", CPUCount: 3}, {Host: "", CPUCount: 4}}),
		`{"":{"CPUCount":4},"a":{"CPUCount":2},"b":{"CPUCount":1}}`)
	f("sysDesc sorted input", wire.AppendSysDesc(nil, []wire.SysInfo{{Host: "a"}, {Host: "b"}}), `{"a":{},"b":{}}`)

	f("ping empty", wire.AppendPing(nil, &wire.PingPayload{}), `{}`)
	f("ping error", wire.AppendPing(nil, &wire.PingPayload{Error: "x"}), `{"Error":"x"}`)
	f("ping sorted", wire.AppendPing(nil, &wire.PingPayload{States: []wire.PingState{{"b:1", "OK"}, {"a:1", "Disconnected"}}}),
		`{"States":{"a:1":"Disconnected","b:1":"OK"}}`)
	f("ping documented empty", wire.AppendPingDocumented(nil, &wire.PingPayload{}), `{"Error":"","States":[]}`)
	f("ping documented keeps order", wire.AppendPingDocumented(nil, &wire.PingPayload{States: []wire.PingState{{"b:1", "OK"}, {"a:1", "OK"}}}),
		`{"Error":"","States":[{"Addr":"b:1","State":"OK"},{"Addr":"a:1","State":"OK"}]}`)

	f("sysStats empty", wire.AppendSysStats(nil, &wire.SysStatsPayload{}), `{}`)
	f("sysStats unavailable host", wire.AppendSysStats(nil, &wire.SysStatsPayload{Hosts: []wire.SysStats{{Host: "h", Error: "down"}}}),
		`{"Stats":{"h":{"Error":"down"}}}`)
	f("sysStats zero host", wire.AppendSysStats(nil, &wire.SysStatsPayload{Hosts: []wire.SysStats{{Host: "h", Stats: &wire.HostSysStats{}}}}),
		`{"Stats":{"h":{"Stats":`+zeroHost+`}}}`)
	f("host zero", wire.AppendHostSysStats(nil, &wire.HostSysStats{}), zeroHost)
	f("host NaN is null", wire.AppendHostSysStats(nil, &wire.HostSysStats{CPUUsage: math.NaN(), MemoryUsedPercent: math.Inf(1)}),
		`{"MemoryUsedPercent":null,`+strings.Replace(zeroHost[1:], `"CPUUsage":0`, `"CPUUsage":null`, 1))
	f("sysStats documented empty", wire.AppendSysStatsDocumented(nil, &wire.SysStatsPayload{}), `{"Error":"","Stats":[]}`)
	f("sysStats documented unavailable host", wire.AppendSysStatsDocumented(nil, &wire.SysStatsPayload{Hosts: []wire.SysStats{{Host: "h", Error: "down"}}}),
		`{"Error":"","Stats":[{"Name":"h","Error":"down","Host":`+zeroDocHost+`}]}`)

	f("idxStats empty", wire.AppendIdxStats(nil, &wire.IdxStatsPayload{}), `{}`)
	f("idxStats bad UUID, no wells", wire.AppendIdxStats(nil, &wire.IdxStatsPayload{Indexers: []wire.IdxStats{{Addr: "a", UUID: "nope"}}}),
		`{"Stats":{"a":{"UUID":"00000000-0000-0000-0000-000000000000","IndexStats":[]}}}`)
	f("idxStats empty well", wire.AppendIdxStats(nil, &wire.IdxStatsPayload{Indexers: []wire.IdxStats{{Addr: "a",
		UUID: "F71AE8EA-5659-4ED2-8E4E-D7EBAD4853C6", IndexStats: []wire.IndexManagerStats{{Name: "w"}}}}}),
		`{"Stats":{"a":{"UUID":"F71AE8EA-5659-4ED2-8E4E-D7EBAD4853C6","IndexStats":[{"Name":"w","Stats":[]}]}}}`)
	f("idxStats documented empty", wire.AppendIdxStatsDocumented(nil, &wire.IdxStatsPayload{}), `{"Stats":{}}`)
	f("idxStats documented error", wire.AppendIdxStatsDocumented(nil, &wire.IdxStatsPayload{Error: "e", Indexers: []wire.IdxStats{{Addr: "a"}}}),
		`{"Stats":{"a":{"IndexStats":[]}},"Error":"e"}`)

	f("igstStats empty", wire.AppendIgstStats(nil, &wire.IgstStatsPayload{}), `{}`)
	z24 := "[" + strings.TrimSuffix(strings.Repeat("0,", 24), ",") + "]"
	z60 := "[" + strings.TrimSuffix(strings.Repeat("0,", 60), ",") + "]"
	f("igstStats zero", wire.AppendIgstStats(nil, &wire.IgstStatsPayload{Indexers: []wire.IngestStats{{Addr: "a"}}}),
		`{"Stats":{"a":{"QuotaUsed":0,"QuotaMax":0,"EntriesPerSecond":0,"BytesPerSecond":0,"TotalCount":0,"TotalSize":0,`+
			`"LastDayCount":0,"LastDaySize":0,"EntriesHourTail":`+z24+`,"EntriesMinuteTail":`+z60+`,"BytesHourTail":`+z24+
			`,"BytesMinuteTail":`+z60+`,"Ingesters":[],"Missing":[]}}}`)
	zeroState := wire.AppendIgstStats(nil, &wire.IgstStatsPayload{Indexers: []wire.IngestStats{{Addr: "a",
		Missing: []wire.IngesterState{{Children: []wire.IngesterChild{}}, {Configuration: []byte(" "), Metadata: []byte("[1]")}}}}})
	if !json.Valid(zeroState) {
		t.Fatalf("igstStats zero state: invalid JSON %s", zeroState)
	}
	_, tail, _ := bytes.Cut(zeroState, []byte(`"Ingesters"`))
	f("igstStats zero state", tail, `:[],"Missing":[`+
		`{"UUID":"","Name":"","Version":"","Label":"","IP":"","Hostname":"","Entries":0,"Size":0,"Uptime":0,"Tags":[],"CacheState":"","CacheSize":0,"LastSeen":"0001-01-01T00:00:00Z","Children":{}},`+
		`{"UUID":"","Name":"","Version":"","Label":"","IP":"","Hostname":"","Entries":0,"Size":0,"Uptime":0,"Tags":[],"CacheState":"","CacheSize":0,"LastSeen":"0001-01-01T00:00:00Z","Children":null,"Metadata":[1]}]}}}`)
}

// TestStatsTails checks that every tail has exactly 24 or 60 numbers.
func TestStatsTails(t *testing.T) {
	s := newStatsSamples()
	out := wire.AppendIgstStats(nil, &s.igst)
	var v struct {
		Stats map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatal(err)
	}
	for addr, fields := range v.Stats {
		for name, n := range map[string]int{"EntriesHourTail": 24, "BytesHourTail": 24, "EntriesMinuteTail": 60, "BytesMinuteTail": 60} {
			var tail []uint64
			if err := json.Unmarshal(fields[name], &tail); err != nil {
				t.Fatalf("%s %s: %v", addr, name, err)
			}
			if len(tail) != n {
				t.Fatalf("%s %s has %d numbers, want %d", addr, name, len(tail), n)
			}
		}
	}
}

// TestStatsStrings runs the encoders over strings that need escaping: quotes, control bytes,
// U+2028, invalid UTF-8, HTML characters.
func TestStatsStrings(t *testing.T) {
	for _, str := range []string{"", `"`, `\`, "\x00\x01\x1f", "a\nb\tc\r", "\u2028\u2029", "\xff\xfe", "é\xc3", "<&>", "日本語", "\x7f"} {
		s := statsEvil(str, str+"-2", 7, 1.5)
		for _, c := range statsCases(s) {
			statsCheck(t, c, c.encode(nil))
		}
	}
}

// statsEvil builds every payload with a and b in each string field, n in each number and x in
// each float, for the string and fuzz tests.
func statsEvil(a, b string, n uint64, x float64) *statsSamples {
	s := newStatsSamples()
	bd := time.Unix(int64(n%253402300799), int64(n%1e9)).UTC()
	host := &wire.HostSysStats{Uptime: n, TotalMemory: n, FreeMemory: n, CachedMemory: n, ProcessHeapAllocation: n,
		ProcessSysReserved: n, MemoryUsedPercent: x, Disks: []wire.DiskStats{{a, b, n, n, a}, {b, a, 0, 0, b}},
		CPUUsage: x, CPUCount: int(int32(n)), HostHash: a, Net: wire.NetStats{Up: n, Down: n}, IO: []wire.DiskIO{{a, n, n}},
		VirtSystem: a, VirtRole: b, BuildInfo: wire.BuildInfo{Major: uint32(n), Minor: 1, Point: 2, BuildDate: bd, BuildID: a, GUIBuildID: b},
		LoadAverage: wire.LoadAverage{x, -x, x / 3}, Iowait: x}
	s.desc = []wire.SysInfo{
		{Host: a, VirtSystem: a, VirtRole: b, CPUCount: int(int32(n)), CPUModel: a, CPUMhz: b, CPUCache: a, CPUMIPS: b, TotalMemoryMB: n, SystemVersion: a, Error: b},
		{Host: b, CPUModel: b},
		{Host: "webserver", CPUModel: a},
	}
	s.ping = wire.PingPayload{States: []wire.PingState{{a, b}, {b, a}, {"127.0.0.1:9404", "OK"}}, Error: a}
	s.sys = wire.SysStatsPayload{Hosts: []wire.SysStats{{Host: a, Stats: host, Error: b}, {Host: b}, {Host: "webserver", Stats: host}}, Error: b}
	s.idx = wire.IdxStatsPayload{Indexers: []wire.IdxStats{{Addr: a, UUID: b, Error: a, IndexStats: []wire.IndexManagerStats{
		{Name: a, Stats: []wire.IndexerStats{{ID: b, Data: n, Entries: n, Path: a, Cold: n%2 == 1, Accelerator: a, Extractor: b}}},
		{Name: b}}}, {Addr: b, UUID: "5e20794b-0b73-4eb0-b49b-ece17089bf28"}}, Error: b}
	ig := s.igst.Indexers[0]
	ig.Addr, ig.EntriesPerSecond, ig.BytesPerSecond, ig.QuotaMax = a, x, x*2, n
	g := ig.Ingesters[0]
	g.RemoteAddress, g.Name, g.Version, g.UUID, g.Tags, g.Uptime = a, b, a, b, []string{a, b}, time.Duration(n)
	g.State.Label, g.State.Hostname, g.State.CacheState, g.State.LastSeen = a, b, a, bd
	g.State.Children = []wire.IngesterChild{{Key: a, State: wire.IngesterState{Name: b}}, {Key: b}}
	g.State.Configuration, g.State.Metadata = []byte(a), []byte(b)
	ig.Ingesters = []wire.IngesterStats{g}
	s.igst = wire.IgstStatsPayload{Indexers: []wire.IngestStats{ig, {Addr: b}}, Error: a}
	return s
}

func FuzzStatsEncoders(f *testing.F) {
	f.Add("webserver", "127.0.0.1:9404", uint64(3946), 2.5773196)
	f.Add("", "", uint64(0), 0.0)
	f.Add("\x00\"\\\u2028", "\xff", uint64(1<<63), -1e-7)
	f.Add("b", "a", uint64(1), 1e21)
	f.Add("{}", "null", uint64(42), 0.1)
	f.Fuzz(func(t *testing.T, a, b string, n uint64, x float64) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			x = 0 // NaN/Inf become null, which encoding/json refuses to write: see TestStatsEmitRules
		}
		s := statsEvil(a, b, n, x)
		for _, c := range statsCases(s) {
			statsCheck(t, c, c.encode(nil))
		}
	})
}
