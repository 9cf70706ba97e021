package main

import "strings"

// Ref names one figure: a benchmark metric (Src "pkg.BenchmarkName", Field the unit, e.g.
// "ns/op") or a load generator figure (Src "load:NAME", Field a JSON path of its result, Unit
// the display unit). An empty Src is a figure no suite collects yet.
type Ref struct {
	Src, Field, Unit string
}

func bench(key, unit string) Ref         { return Ref{Src: key, Field: unit, Unit: unit} }
func load(name, path, unit string) Ref   { return Ref{Src: "load:" + name, Field: path, Unit: unit} }
func (r Ref) isLoad() bool               { return len(r.Src) > 5 && r.Src[:5] == "load:" }
func (r Ref) loadName() string           { return r.Src[5:] }
func target(op string, v float64) *Bound { return &Bound{Op: op, Value: v} }

// Bound is a target: the figure (A/B when the comparison has a B, else A itself) must be
// ≤ or ≥ Value.
type Bound struct {
	Op    string // "≤" or "≥"
	Value float64
}

// Comparison is one row of the report: figure A, optionally against reference B measured in
// the same run, optionally with a target from issue 6.
type Comparison struct {
	Title    string
	Measures string
	A, B     Ref
	Target   *Bound
	Note     string // shown when A is not collected by any suite
}

// targets are issue 6's targets for this machine, in its order.
var targets = []Comparison{
	{Title: "REQ_STREAMING, one stream: entries/s vs baseline",
		Measures: "entries per second one consumer drains from a finished search, sluice over the gorilla+encoding/json baseline",
		A:        load("sluice-stream-1", "entries_per_sec", "entries/s"), B: load("baseline-stream-1", "entries_per_sec", "entries/s"),
		Target: target("≥", 5)},
	{Title: "REQ_STREAMING, one stream: bytes/s vs loopback TCP",
		Measures: "websocket payload MB/s of that stream over raw process-to-process TCP loopback MB/s",
		A:        load("sluice-stream-1", "mb_per_sec", "MB/s"), B: bench("bench/limits.BenchmarkLoopbackTCP", "MB/s"),
		Target: target("≥", 0.5)},
	{Title: "REQ_STREAMING, one stream: server CPU per entry",
		Measures: "server process user+system CPU over the streaming phase divided by entries (10 ms tick resolution)",
		A:        load("sluice-stream-1", "server_cpu_per_entry_ns", "ns"), Target: target("≤", 700)},
	{Title: "Idle subscribers at 10,000: RSS per connection",
		Measures: "server RSS growth after connecting the subscribers, divided by the connections",
		A:        load("sluice-idle", "rss_per_conn_bytes", "B"), Target: target("≤", 2048)},
	{Title: "Idle subscribers at 100,000: RSS per connection",
		Measures: "the same with 100,000 subscribers, run only when the machine allows it",
		A:        load("sluice-idle-100k", "rss_per_conn_bytes", "B"), Target: target("≤", 2048),
		Note: "run only when the open-files hard limit allows 100,000 descriptors per process; the settings note above gives this machine's limit"},
	{Title: "Idle subscribers at 10,000: goroutines in total",
		Measures: "server go_goroutines (from /metrics) with every subscriber connected",
		A:        load("sluice-idle", "server_after.goroutines", "goroutines"), Target: target("≤", 50)},
	{Title: "Broadcast to 10,000: delivery time vs kernel floor",
		Measures: "median first-to-last arrival of one ~1 KB broadcast (sluice's sysStats packet) over 10,000 subscribers, over the time to write(2) 1 KB to 10,000 loopback sockets",
		A:        load("sluice-idle", "delivery_spread.p50_ns", "ns"), B: bench("bench/limits.BenchmarkKernelFloorWrite1KTo10000", "ns/op"),
		Target: target("≤", 1.5)},
	{Title: "Broadcast to 10,000: server CPU vs kernel floor",
		Measures: "server CPU (/proc/PID/stat) from the start to the end of the measuring window divided by the sysStats broadcasts begun in it, over the writer CPU of the kernel floor; " +
			"the idle run's sluiced sends ping and idxStats only hourly (bench/report.sh ONLY_SYSSTATS), so the window holds the timed broadcasts alone; A still includes GC and timers, an upper bound",
		A: load("sluice-idle", "server_cpu_per_broadcast_ns", "cpu-ns"), B: bench("bench/limits.BenchmarkKernelFloorWrite1KTo10000", "cpu-ns/op"),
		Target: target("≤", 1.5),
		Note:   "the idle run has no server_cpu_per_broadcast_ns: its server process was unknown or unreadable, or no broadcast began in the window"},
	{Title: "Paged REQ_GET_ENTRIES of 1024: p99 latency vs baseline",
		Measures: "99th percentile request-to-whole-reply latency of one reader paging as fast as replies come",
		A:        load("sluice-paged", "latency.p99_ns", "ns"), B: load("baseline-paged", "latency.p99_ns", "ns")},
	{Title: "Paged REQ_GET_ENTRIES of 1024: requests/s vs baseline",
		Measures: "requests per second of that reader",
		A:        load("sluice-paged", "requests_per_sec", "req/s"), B: load("baseline-paged", "requests_per_sec", "req/s")},
}

// comparisons are the other side-by-side figures: sluice against what a user would otherwise
// pick, and the baseline and Go's net package against the physical limits.
var comparisons = []Comparison{
	{Title: "REQ_GET_ENTRIES page of 1024: render vs encoding/json",
		Measures: "time to answer one 1024-entry page from a 100,000-entry result (stored fragments copied between header and trailer), over encoding/json of the Go client's types for the same page",
		A:        bench("engine/render.BenchmarkGetEntries1024", "ns/op"), B: bench("engine/render.BenchmarkGetEntries1024EncodingJSON", "ns/op")},
	{Title: "REQ_GET_ENTRIES page of 1024 vs memcpy",
		Measures: "MB/s of reply built for that page, over memcpy bandwidth of 1 MiB buffers (smaller, cache-resident copies can exceed it)",
		A:        bench("engine/render.BenchmarkGetEntries1024", "MB/s"), B: bench("bench/limits.BenchmarkMemcpy", "MB/s")},
	{Title: "REQ_STREAMING block of 1000: render vs the baseline server's block",
		Measures: "time per 1000-entry streaming block from the render store, over the baseline's encoding/json block (different generated entries)",
		A:        bench("engine/render.BenchmarkStreamBlock", "ns/op"), B: bench("bench/baseline.BenchmarkBaselineEncodeBlock", "ns/op")},
	{Title: "REQ_STREAMING block of 1000 vs memcpy",
		Measures: "MB/s of streaming block built, over memcpy bandwidth",
		A:        bench("engine/render.BenchmarkStreamBlock", "MB/s"), B: bench("bench/limits.BenchmarkMemcpy", "MB/s")},
	{Title: "Text block encode, 1000 entries: wire vs encoding/json",
		Measures: "time to encode one 1000-entry REQ_GET_ENTRIES reply of the text renderer (same entries, Go client's struct types for encoding/json)",
		A:        bench("wire.BenchmarkTextBlock1000", "ns/op"), B: bench("wire.BenchmarkTextBlock1000EncodingJSON", "ns/op")},
	{Title: "Text block encode, 1000 entries: wire vs the baseline server's block",
		Measures: "time per 1000-entry REQ_STREAMING block, sluice's encoders over the baseline's encoding/json encoder (different generated entries)",
		A:        bench("wire.BenchmarkTextBlock1000", "ns/op"), B: bench("bench/baseline.BenchmarkBaselineEncodeBlock", "ns/op")},
	{Title: "Request parse: fastjson vs encoding/json",
		Measures: "time to parse one REQ_GET_ENTRIES request with an Addendum",
		A:        bench("wire.BenchmarkRequestParse", "ns/op"), B: bench("wire.BenchmarkRequestParseEncodingJSON", "ns/op")},
	{Title: "Store scan vs reading a plain file",
		Measures: "MB/s of entry data scanned newest first from the page cache, over reading as many bytes from one file",
		A:        bench("engine/store.BenchmarkScanDescending", "MB/s"), B: bench("engine/store.BenchmarkReadFileBaseline", "MB/s")},
	{Title: "Ingest with durability vs reading a plain file",
		Measures: "MB/s of 200-byte entries stored through the Go API with fsync (group commit), over reading as many bytes from one file (issue 2 asks for ingest beside that figure)",
		A:        bench("engine/store.BenchmarkIngest/serial", "MB/s"), B: bench("engine/store.BenchmarkReadFileBaseline", "MB/s")},
	{Title: "Pipeline grep vs raw store scan",
		Measures: "MB/s of entries through `grep sshd` on syslog lines, over the newest-first store scan rate",
		A:        bench("engine/search.BenchmarkGrep", "MB/s"), B: bench("engine/store.BenchmarkScanDescending", "MB/s")},
	{Title: "Pipeline json extraction vs raw store scan",
		Measures: "MB/s of entries through `json` extraction of four fields, over the store scan rate",
		A:        bench("engine/search.BenchmarkJSONExtract", "MB/s"), B: bench("engine/store.BenchmarkScanDescending", "MB/s")},
	{Title: "Pipeline kv extraction vs raw store scan",
		Measures: "MB/s of entries through `kv -q` extraction of four keys from firewall lines, over the store scan rate (issue 10 item 4)",
		A:        bench("engine/search.BenchmarkKVExtract", "MB/s"), B: bench("engine/store.BenchmarkScanDescending", "MB/s")},
	{Title: "Pipeline kv count by vs raw store scan",
		Measures: "MB/s of entries through `kv action | count by action` (the peer comparison's count by an extracted field, in process), over the store scan rate",
		A:        bench("engine/search.BenchmarkKVCountBy", "MB/s"), B: bench("engine/store.BenchmarkScanDescending", "MB/s")},
	{Title: "Pipeline syslog parsing vs raw store scan",
		Measures: "MB/s of entries through `syslog` field extraction, over the store scan rate",
		A:        bench("engine/search.BenchmarkSyslogParse", "MB/s"), B: bench("engine/store.BenchmarkScanDescending", "MB/s")},
	{Title: "Pipeline count by vs raw store scan",
		Measures: "MB/s of entries through `json host | count by host`, over the store scan rate",
		A:        bench("engine/search.BenchmarkCountBy", "MB/s"), B: bench("engine/store.BenchmarkScanDescending", "MB/s")},
	{Title: "Shared broadcast to 100 sessions vs kernel floor",
		Measures: "time to send one pre-framed 1 KB message to 100 sessions, over 100 plain net.Conn writes of the same frame (readers in the same process in both)",
		A:        bench("engine/server.BenchmarkSendShared/100", "ns/op"), B: bench("engine/server.BenchmarkKernelFloor/100", "ns/op")},
	{Title: "Shared broadcast to 1000 sessions vs kernel floor",
		Measures: "the same with 1000 sessions, over 1000 plain net.Conn writes of the same frame",
		A:        bench("engine/server.BenchmarkSendShared/1000", "ns/op"), B: bench("engine/server.BenchmarkKernelFloor/1000", "ns/op")},
	{Title: "Stats broadcast to 1000 vs kernel floor",
		Measures: "time to send one pre-framed 1 KB message to 1000 sessions from one goroutine (readers in the same process), over write(2) of 1 KB to 1000 loopback sockets (readers in a child process)",
		A:        bench("engine/server.BenchmarkSendShared/1000", "ns/op"), B: bench("bench/limits.BenchmarkKernelFloorWrite1KTo1000", "ns/op")},
	{Title: "Go net.Conn writes vs kernel floor, 1000 sockets",
		Measures: "time to write 1 KB to 1000 sockets through net.TCPConn, over raw write(2)",
		A:        bench("bench/limits.BenchmarkGoNetWrite1KTo1000", "ns/op"), B: bench("bench/limits.BenchmarkKernelFloorWrite1KTo1000", "ns/op")},
	{Title: "REQ_STREAMING, one stream: server CPU per entry vs baseline",
		Measures: "server CPU per entry, sluice over the baseline",
		A:        load("sluice-stream-1", "server_cpu_per_entry_ns", "ns"), B: load("baseline-stream-1", "server_cpu_per_entry_ns", "ns")},
	{Title: "REQ_STREAMING, 4 consumers of one search: entries/s vs baseline",
		Measures: "total entries per second of four consumers attached to one search",
		A:        load("sluice-stream-4", "entries_per_sec", "entries/s"), B: load("baseline-stream-4", "entries_per_sec", "entries/s")},
	{Title: "Idle subscribers: RSS per connection vs baseline",
		Measures: "server RSS growth per connected subscriber",
		A:        load("sluice-idle", "rss_per_conn_bytes", "B"), B: load("baseline-idle", "rss_per_conn_bytes", "B")},
	{Title: "Baseline broadcast to 10,000 vs kernel floor",
		Measures: "the baseline's median delivery spread over the kernel floor for 10,000 sockets",
		A:        load("baseline-idle", "delivery_spread.p50_ns", "ns"), B: bench("bench/limits.BenchmarkKernelFloorWrite1KTo10000", "ns/op")},
	{Title: "Broadcast to 10,000: server CPU per broadcast of any type vs kernel floor",
		Measures: "the idle window's server CPU shared out over every broadcast in it (sysStats, ping, idxStats, as one subscriber counted them), over the writer CPU of the kernel floor: " +
			"a lower estimate for the ~1 KB sysStats broadcast, next to the target row's upper bound",
		A: load("sluice-idle", "server_cpu_per_any_broadcast_ns", "cpu-ns"), B: bench("bench/limits.BenchmarkKernelFloorWrite1KTo10000", "cpu-ns/op")},
	{Title: "Baseline broadcast to 10,000: server CPU vs kernel floor",
		Measures: "the baseline's server CPU over the window per 1 KB ping begun (its only periodic packet), over the writer CPU of the kernel floor",
		A:        load("baseline-idle", "server_cpu_per_broadcast_ns", "cpu-ns"), B: bench("bench/limits.BenchmarkKernelFloorWrite1KTo10000", "cpu-ns/op")},
	{Title: "Broadcast to 10,000: server CPU, sluice vs baseline",
		Measures: "server CPU per broadcast begun in the idle window (upper bounds: sluice's also pays for its ping and idxStats packets, the baseline's for nothing else)",
		A:        load("sluice-idle", "server_cpu_per_broadcast_ns", "cpu-ns"), B: load("baseline-idle", "server_cpu_per_broadcast_ns", "cpu-ns")},
	{Title: "Broadcast rhythm while streaming (sluice)",
		Measures: "p99 delivery spread of the 10,000 subscribers while a stream runs, over the same without streams",
		A:        load("sluice-mixed", "loaded.delivery_spread.p99_ns", "ns"), B: load("sluice-mixed", "quiet.delivery_spread.p99_ns", "ns")},
	{Title: "Broadcast rhythm while streaming (baseline)",
		Measures: "the same for the baseline",
		A:        load("baseline-mixed", "loaded.delivery_spread.p99_ns", "ns"), B: load("baseline-mixed", "quiet.delivery_spread.p99_ns", "ns")},
}

// LoadMetric is one row of a load scenario table.
type LoadMetric struct {
	Label, Path, Unit string
}

// LoadScenario is one load generator job run against both servers (NAME = side-Job).
type LoadScenario struct {
	Job, Title, Measures string
	Metrics              []LoadMetric
}

var loadScenarios = []LoadScenario{
	{Job: "idle", Title: "Idle stats subscribers", Measures: "N stats subscribers over 8 source addresses, against a freshly started server with no data: server memory and goroutines per connection, and how long each ~1 KB broadcast (sluice: sysStats; baseline: its 1 KB ping) takes to reach all of them",
		Metrics: []LoadMetric{
			{"subscribers connected", "connected", "count"},
			{"server RSS per connection", "rss_per_conn_bytes", "B"},
			{"server goroutines, all connected", "server_after.goroutines", "count"},
			{"goroutines per connection", "goroutines_per_conn", "x"},
			{"broadcasts measured", "broadcasts", "count"},
			{"delivery spread p50", "delivery_spread.p50_ns", "ns"},
			{"delivery spread p99", "delivery_spread.p99_ns", "ns"},
			{"delivery spread max", "delivery_spread.max_ns", "ns"},
			{"inter-arrival jitter p99", "jitter.p99_ns", "ns"},
			{"broadcasts begun in the window", "broadcasts_begun", "count"},
			{"server CPU over the window", "server_cpu_ns", "cpu-ns"},
			{"server CPU per broadcast (upper bound)", "server_cpu_per_broadcast_ns", "cpu-ns"},
			{"server CPU per broadcast of any type", "server_cpu_per_any_broadcast_ns", "cpu-ns"},
			{"subscribers disconnected", "disconnected", "count"},
		}},
	{Job: "stream-1", Title: "One streaming consumer", Measures: "REQ_STREAMING of a finished search by one consumer, repeated until the minimum duration",
		Metrics: []LoadMetric{
			{"entries in the search", "search_entries", "count"},
			{"entries/s", "entries_per_sec", "entries/s"},
			{"MB/s (websocket payload)", "mb_per_sec", "MB/s"},
			{"payload bytes per entry", "bytes/entries", "B"},
			{"server CPU per entry", "server_cpu_per_entry_ns", "ns"},
			{"client CPU per entry", "client_cpu_per_entry_ns", "ns"},
		}},
	{Job: "stream-4", Title: "Four consumers of one search", Measures: "four REQ_STREAMING consumers attached to one search, started together",
		Metrics: []LoadMetric{
			{"entries/s, total", "entries_per_sec", "entries/s"},
			{"MB/s, total", "mb_per_sec", "MB/s"},
			{"fairness (slowest/fastest)", "fairness_min_over_max", "x"},
			{"server CPU per entry", "server_cpu_per_entry_ns", "ns"},
		}},
	{Job: "paged", Title: "Paged REQ_GET_ENTRIES", Measures: "one reader requesting pages of 1024 entries as fast as replies come",
		Metrics: []LoadMetric{
			{"requests/s", "requests_per_sec", "req/s"},
			{"latency p50", "latency.p50_ns", "ns"},
			{"latency p99", "latency.p99_ns", "ns"},
			{"latency max", "latency.max_ns", "ns"},
			{"MB/s", "mb_per_sec", "MB/s"},
			{"server CPU per request", "server_cpu_per_request_ns", "ns"},
		}},
	{Job: "mixed", Title: "Subscribers while streaming", Measures: "N stats subscribers measured for a quiet window, then while one consumer streams",
		Metrics: []LoadMetric{
			{"quiet: delivery spread p50", "quiet.delivery_spread.p50_ns", "ns"},
			{"quiet: delivery spread p99", "quiet.delivery_spread.p99_ns", "ns"},
			{"quiet: server CPU per broadcast (upper bound)", "quiet.server_cpu_per_broadcast_ns", "cpu-ns"},
			{"streaming: delivery spread p50", "loaded.delivery_spread.p50_ns", "ns"},
			{"streaming: delivery spread p99", "loaded.delivery_spread.p99_ns", "ns"},
			{"streaming: inter-arrival jitter p99", "loaded.jitter.p99_ns", "ns"},
			{"streaming: incomplete broadcasts", "loaded.incomplete_broadcasts", "count"},
			{"streaming: subscribers disconnected", "loaded.disconnected", "count"},
			{"streaming: server CPU over the window", "loaded.server_cpu_ns", "cpu-ns"},
			{"stream entries/s", "stream.entries_per_sec", "entries/s"},
			{"stream server CPU per entry", "stream.server_cpu_per_entry_ns", "ns"},
		}},
}

// encodePath reports whether a benchmark measures an encode path that issue 6 requires to
// run without allocation: every benchmark of wire and engine/render, the stats hub's encoder
// and the server's framing and sending, except the encoding/json and decode-side figures.
func encodePath(b *Bench) bool {
	name := b.Name
	if strings.Contains(name, "EncodingJSON") || strings.Contains(name, "Baseline") {
		return false
	}
	switch b.Pkg {
	case "wire", "engine/render":
		return !strings.Contains(name, "Parse")
	case "collect":
		return strings.Contains(name, "Encode")
	case "engine/server":
		return strings.Contains(name, "Frame") || strings.Contains(name, "Send")
	}
	return false
}
