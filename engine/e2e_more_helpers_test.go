package engine_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sluicehq/sluice/wire"
)

// respError is the ID of RESP_ERROR.
const respError = 4294967295

// readTimeout bounds every read of these tests: a reply that takes longer is a failure.
const readTimeout = 5 * time.Second

// genEntry is one entry a test stored, with what the server must give back for it.
type genEntry struct {
	I    int
	TS   time.Time
	SRC  netip.Addr
	Data []byte
}

// ingestApp stores n entries tagged tag, entry i at base + i*step from source 10.0.0.(i%4+1)
// with the JSON body {"i":i,"host":"h<i%3>","bytes":i*10}, and returns them newest first (the
// order of a default descending search).
func ingestApp(t *testing.T, ts *testServer, tag string, n int, step time.Duration) []genEntry {
	t.Helper()
	return ingestAppAt(t, ts, tag, n, base, step)
}

// ingestAppAt is ingestApp with entry i at start + i*step.
func ingestAppAt(t *testing.T, ts *testServer, tag string, n int, start time.Time, step time.Duration) []genEntry {
	t.Helper()
	id, err := ts.eng.TagID(tag)
	if err != nil {
		t.Fatal(err)
	}
	gen := make([]genEntry, n)
	batch := make([]wire.Entry, n)
	for i := range batch {
		g := genEntry{I: i, TS: start.Add(time.Duration(i) * step), SRC: netip.AddrFrom4([4]byte{10, 0, 0, byte(i%4 + 1)}),
			Data: []byte(fmt.Sprintf(`{"i":%d,"host":"h%d","bytes":%d}`, i, i%3, i*10))}
		gen[n-1-i] = g
		batch[i] = wire.Entry{TS: g.TS.UnixNano(), SRC: g.SRC, Tag: id, Data: g.Data}
	}
	if err := ts.eng.Ingest(batch); err != nil {
		t.Fatal(err)
	}
	return gen
}

// --- Mirrors of the Go client's response types (PROTOCOL.md §4.3, §5). ---

type timeRange struct{ StartTS, EndTS time.Time }

type entryRange struct {
	First, Last    uint64
	StartTS, EndTS time.Time
}

// goBase mirrors the Go client's BaseResponse plus the JS-only echo fields.
type goBase struct {
	ID                uint32
	Error             string `json:",omitempty"`
	Finished          bool
	EntryCount        uint64
	EntryCountValid   bool
	AdditionalEntries bool
	OverLimit         bool
	LimitDroppedRange timeRange
	Warning           string
	Addendum          json.RawMessage `json:",omitempty"`
	EntryRange        *entryRange     `json:",omitempty"`
}

type rawEnumeratedValue struct {
	Type uint16
	Data []byte
}

type enumeratedPair struct {
	Name     string
	Value    string             `json:"ValueStr"`
	RawValue rawEnumeratedValue `json:"Value"`
}

// goSearchEntry mirrors the Go client's SearchEntry: SRC is a net.IP, so anything but an
// address or "" fails to decode.
type goSearchEntry struct {
	TS         time.Time
	SRC        net.IP
	Tag        uint16
	Data       []byte
	Enumerated []enumeratedPair
}

type goElement struct {
	Module      string
	Args        string `json:",omitempty"`
	Name        string
	Path        string
	Value       any
	SubElements []goElement `json:",omitempty"`
	Filters     []string
}

type goExploreResult struct {
	Elements    []goElement
	Module      string
	Tag         string
	WordOffsets [][2]int `json:",omitempty"`
}

type goEntriesResp struct {
	goBase
	Tags                  map[string]uint16
	Entries               []goSearchEntry
	ContainsBinaryEntries *bool             `json:",omitempty"`
	Explore               []goExploreResult `json:",omitempty"`
}

type goTableResp struct {
	goBase
	Entries struct {
		Columns []string
		Rows    []struct {
			TS  time.Time
			Row []string
		}
	}
}

type goChartResp struct {
	goBase
	Entries struct {
		Names      []string
		KeyComps   []struct{ Keys []string } `json:",omitempty"`
		Categories []string                  `json:",omitempty"`
		Values     []struct {
			TS   time.Time
			Data []*float64
		}
	}
}

type goGaugeResp struct {
	goBase
	Entries []struct {
		Name                string
		Magnitude, Min, Max float64
	}
}

type goLaunchInfo struct {
	Method    string    `json:"method,omitempty"`
	Reference string    `json:"reference,omitempty"`
	Started   time.Time `json:"started"`
	Expires   time.Time `json:"expires"`
}

type goSearchInfo struct {
	ID                    string
	UID                   int32
	GID                   int32 `json:",omitempty"`
	GIDs                  []int32
	Global                bool
	UserQuery             string
	EffectiveQuery        string
	StartRange, EndRange  time.Time
	Descending            bool
	Started               time.Time
	LastUpdate            time.Time
	Duration              string
	StoreSize, IndexSize  int64
	ItemCount             int64
	TimeZoomDisabled      bool
	QueryTimeSpecified    bool
	RenderDownloadFormats []string        `json:",omitempty"`
	Metadata              json.RawMessage `json:",omitempty"`
	Name                  string          `json:",omitempty"`
	CollapsingIndex       int
	NoHistory             bool
	Background            bool
	MinZoomWindow         uint
	Tags                  []string
	Import                struct {
		Imported             bool
		Time                 time.Time
		BatchName, BatchInfo string
	}
	Preview    bool
	Error      string `json:",omitempty"`
	LaunchInfo goLaunchInfo
}

type goDetailsResp struct {
	goBase
	SearchInfo goSearchInfo
}

type goTagsResp struct {
	goBase
	Tags map[string]uint16
}

type goModuleStats struct {
	Name, Args              string
	InputCount, OutputCount uint64
	InputBytes, OutputBytes uint64
	Duration                int64
	ScratchWritten          uint64
}

type goStatsResp struct {
	goBase
	Stats struct {
		Size int
		Set  []struct {
			Stats []goModuleStats
			TS    time.Time
		}
		RangeStart, RangeEnd, Current time.Time
		OverviewSet                   []struct {
			Count, Bytes uint64
			TS           time.Time
		} `json:",omitempty"`
	}
}

type goMetadataResp struct {
	goBase
	Metadata *struct {
		ValueStats []struct {
			Name   string
			Type   string
			Number struct {
				Count    uint
				Min, Max float64
			}
			Raw struct {
				Map   map[string]uint
				Other uint
			}
		} `json:",omitempty"`
		SourceStats []struct {
			IP    string
			Count uint
		} `json:",omitempty"`
		TagStats map[string]uint `json:",omitempty"`
	}
}

type goAttachResp struct {
	Error       string `json:",omitempty"`
	Subproto    string
	RendererMod string
	RendererCmd string
	Info        *goSearchInfo
}

// strictDecode decodes data into v refusing keys v does not know, so a misnamed or extra
// output key fails the test.
func strictDecode(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// --- Client helpers that return errors, safe to use from other goroutines. ---

// tryNext reads the next message with a deadline.
func (c *client) tryNext() (envelope, error) {
	var env envelope
	c.conn.SetReadDeadline(time.Now().Add(readTimeout))
	_, b, err := c.conn.ReadMessage()
	if err != nil {
		return env, err
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return env, fmt.Errorf("decode %s: %w", b, err)
	}
	return env, nil
}

// tryRecv reads the next message, which must be on channel.
func (c *client) tryRecv(channel string) (json.RawMessage, error) {
	env, err := c.tryNext()
	if err != nil {
		return nil, err
	}
	if env.Type != channel {
		return nil, fmt.Errorf("got a message on %q, want %q: %s", env.Type, channel, env.Data)
	}
	return env.Data, nil
}

// trySend writes one enveloped message with a deadline.
func (c *client) trySend(channel string, data any) error {
	c.conn.SetWriteDeadline(time.Now().Add(readTimeout))
	return c.conn.WriteJSON(map[string]any{"type": channel, "data": data})
}

// tryDo sends req on channel and returns the reply.
func (c *client) tryDo(channel string, req any) (json.RawMessage, error) {
	if err := c.trySend(channel, req); err != nil {
		return nil, err
	}
	return c.tryRecv(channel)
}

// --- Client helpers for the test goroutine. ---

// do sends req on channel, reads the reply and strictly decodes it into v (when not nil).
func (c *client) do(channel string, req any, v any) json.RawMessage {
	c.t.Helper()
	raw, err := c.tryDo(channel, req)
	if err != nil {
		c.t.Fatalf("%v: %v", req, err)
	}
	if v != nil {
		if err := strictDecode(raw, v); err != nil {
			c.t.Fatalf("%v: decode %s: %v", req, raw, err)
		}
	}
	return raw
}

// wantError sends req (which gets an Addendum) on channel and checks that the reply is a
// RESP_ERROR whose Error contains every one of want, with the Addendum echoed; then it checks
// that the channel still answers REQ_ENTRY_COUNT.
func (c *client) wantError(channel string, req map[string]any, want ...string) goBase {
	c.t.Helper()
	add := fmt.Sprintf(`{"filterID":"err-%d"}`, time.Now().UnixNano())
	req["Addendum"] = json.RawMessage(add)
	var r goBase
	raw := c.do(channel, req, &r)
	if r.ID != respError || r.Error == "" {
		c.t.Fatalf("%v: want RESP_ERROR, got %s", req, raw)
	}
	for _, w := range want {
		if !strings.Contains(r.Error, w) {
			c.t.Errorf("%v: Error %q does not mention %q", req, r.Error, w)
		}
	}
	if string(r.Addendum) != add {
		c.t.Errorf("%v: Addendum %s, want %s", req, r.Addendum, add)
	}
	var ok goBase
	c.do(channel, map[string]any{"ID": 3}, &ok)
	if ok.ID != 3 || ok.Error != "" {
		c.t.Fatalf("after %v the channel no longer answers: %+v", req, ok)
	}
	return r
}

// sync sends a PONG and checks that the very next message is its reply: everything sent
// before it got its answer (or none at all).
func (c *client) sync() {
	c.t.Helper()
	c.send("PONG", map[string]any{})
	env, err := c.tryNext()
	if err != nil {
		c.t.Fatal(err)
	}
	if env.Type != "PONG" {
		c.t.Fatalf("unexpected message on %q before the PONG reply: %s", env.Type, env.Data)
	}
}

// launchNoAck sends a launch with the given fields (SearchStart/End filled from start/end
// when missing) and returns the response without acknowledging it.
func (c *client) launchNoAck(fields map[string]any, start, end time.Time) launchResp {
	c.t.Helper()
	if _, ok := fields["SearchStart"]; !ok {
		fields["SearchStart"] = start.Format(time.RFC3339Nano)
	}
	if _, ok := fields["SearchEnd"]; !ok {
		fields["SearchEnd"] = end.Format(time.RFC3339Nano)
	}
	c.send("search", fields)
	var r launchResp
	c.recv("search", &r)
	if r.Error != "" || r.OutputSearchSubproto == "" || r.SearchID == "" {
		c.t.Fatalf("launch %v: %+v", fields, r)
	}
	return r
}

// attachTo attaches to search id and returns the response, which must be a success.
func (c *client) attachTo(id string) goAttachResp {
	c.t.Helper()
	var ar goAttachResp
	raw := c.do("attach", map[string]any{"ID": id}, &ar)
	if ar.Error != "" || ar.Subproto == "" || ar.Info == nil || ar.Info.ID != id {
		c.t.Fatalf("attach %s: %s", id, raw)
	}
	return ar
}

// attachFails attaches to search id and returns the Error, which must be set.
func (c *client) attachFails(id string) string {
	c.t.Helper()
	var ar map[string]any
	raw := c.do("attach", map[string]any{"ID": id}, nil)
	json.Unmarshal(raw, &ar)
	msg, _ := ar["Error"].(string)
	if msg == "" {
		c.t.Fatalf("attach %s succeeded: %s", id, raw)
	}
	if _, ok := ar["Subproto"]; ok {
		c.t.Fatalf("failed attach names a channel: %s", raw)
	}
	return msg
}

// closeOutput sends REQ_CLOSE on channel and checks its reply.
func (c *client) closeOutput(channel string) {
	c.t.Helper()
	var r struct {
		goBase
		Entries []json.RawMessage
	}
	raw := c.do(channel, map[string]any{"ID": 1}, &r)
	if r.ID != 1 || r.Entries == nil || len(r.Entries) != 0 {
		c.t.Fatalf("REQ_CLOSE reply: %s", raw)
	}
}

// pageAll reads every result of an entry renderer with REQ_GET_ENTRIES pages of size page and
// checks that the pages tile the result: each echoes its range, AdditionalEntries is true on
// all but the last, and the last ends exactly at the entry count.
func (c *client) pageAll(channel string, page uint64, total int) []goSearchEntry {
	c.t.Helper()
	var all []goSearchEntry
	for first, i := uint64(0), 0; ; first, i = first+page, i+1 {
		if i > total+2 {
			c.t.Fatal("paging does not end")
		}
		var p goEntriesResp
		c.do(channel, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": first, "Last": first + page}}, &p)
		if p.ID != 16 || p.EntryRange == nil || p.EntryRange.First != first || p.EntryRange.Last != first+page {
			c.t.Fatalf("page [%d,%d): %+v", first, first+page, p.goBase)
		}
		want := min(page, uint64(max(total-int(first), 0)))
		if uint64(len(p.Entries)) != want {
			c.t.Fatalf("page [%d,%d) holds %d entries, want %d", first, first+page, len(p.Entries), want)
		}
		all = append(all, p.Entries...)
		more := first+page < uint64(total)
		if p.AdditionalEntries != more {
			c.t.Fatalf("page [%d,%d) of %d: AdditionalEntries %v", first, first+page, total, p.AdditionalEntries)
		}
		if !more {
			return all
		}
	}
}

// checkEntries compares entries with the expected ones, in order.
func checkEntries(t *testing.T, what string, got []goSearchEntry, want []genEntry, tag uint16) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d entries, want %d", what, len(got), len(want))
	}
	for i := range got {
		g, w := &got[i], &want[i]
		src, _ := netip.AddrFromSlice(g.SRC)
		if !g.TS.Equal(w.TS) || src.Unmap() != w.SRC || g.Tag != tag || !bytes.Equal(g.Data, w.Data) {
			t.Fatalf("%s: entry %d = {%v %v %d %q}, want {%v %v %d %q}", what, i, g.TS, g.SRC, g.Tag, g.Data,
				w.TS, w.SRC, tag, w.Data)
		}
	}
}

// --- HTTP helpers. ---

// summary is what the lifecycle tests read of GET /api/searchctrl's elements (Gravwell's
// SearchCtrlStatus, see engine/rest): State is sluice's run state (Progress), Background and
// Launched come from State and LaunchInfo.started.
type summary struct {
	ID         string
	UserQuery  string
	State      string
	Background bool
	Consumers  int
	Launched   time.Time
	StartRange time.Time
	EndRange   time.Time
	Name       string
}

// ctrlStatus mirrors GET /api/searchctrl's elements.
type ctrlStatus struct {
	ID              string
	UserQuery       string
	State           string
	Progress        string
	AttachedClients int
	StartRange      time.Time
	EndRange        time.Time
	Name            string
	LaunchInfo      struct {
		Started time.Time `json:"started"`
	}
}

// httpDo sends one request and returns its status and body. A "Host" in hdr becomes the
// request's Host header (the connection still goes to url's address, as after a DNS rebinding).
func httpDo(t *testing.T, method, url string, hdr http.Header, body io.Reader) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if h := hdr.Get("Host"); h != "" {
		req.Host = h
	}
	cl := &http.Client{Timeout: readTimeout, Transport: httpTransport}
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// list returns GET /api/searchctrl by ID.
func (ts *testServer) list(t *testing.T) map[string]summary {
	t.Helper()
	code, b := httpDo(t, "GET", ts.srv.URL+"/api/searchctrl", nil, nil)
	if code != http.StatusOK {
		t.Fatalf("GET /api/searchctrl: %d %s", code, b)
	}
	var all []ctrlStatus
	if err := json.Unmarshal(b, &all); err != nil {
		t.Fatalf("GET /api/searchctrl: %s: %v", b, err)
	}
	out := make(map[string]summary, len(all))
	for _, s := range all {
		out[s.ID] = summary{ID: s.ID, UserQuery: s.UserQuery, State: s.Progress,
			Background: strings.Contains(s.State, "BACKGROUNDED"), Consumers: s.AttachedClients,
			Launched: s.LaunchInfo.Started, StartRange: s.StartRange, EndRange: s.EndRange, Name: s.Name}
	}
	return out
}

// waitGone polls GET /api/searchctrl until search id is gone and returns when it went.
func (ts *testServer) waitGone(t *testing.T, id string, within time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if _, ok := ts.list(t)[id]; !ok {
			return time.Now()
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("search %s still listed after %v", id, within)
	return time.Time{}
}

// dialWith dials url with extra headers and subprotocols and returns the connection (nil on
// failure), the HTTP response and the error; it negotiates nothing.
func dialWith(t *testing.T, url string, hdr http.Header, protocols []string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: readTimeout, Subprotocols: protocols}
	conn, resp, err := d.Dial(url, hdr)
	if conn != nil {
		t.Cleanup(func() { conn.Close() })
	}
	return conn, resp, err
}

// negotiate wraps an open connection in a client and negotiates subs.
func negotiate(t *testing.T, conn *websocket.Conn, subs ...string) *client {
	t.Helper()
	c := &client{t: t, conn: conn}
	c.writeRaw(map[string]any{"Subs": subs})
	var ack struct{ Resp string }
	c.readRaw(&ack)
	if ack.Resp != "ACK" {
		t.Fatalf("negotiation: got %q", ack.Resp)
	}
	return c
}

// httpTransport is the REST helpers' transport, so TestMain can close its idle connections
// before looking for leaked goroutines.
var httpTransport = &http.Transport{}

// TestMain runs the tests, then checks that every goroutine they started has ended: searches,
// streams, sessions and timers must not outlive their engine.
func TestMain(m *testing.M) {
	code := m.Run()
	httpTransport.CloseIdleConnections()
	if code == 0 {
		if leaked := leakedGoroutines(5 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "leaked goroutines:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// leakedGoroutines waits up to wait for the goroutines other than the test binary's own to end
// and returns the stacks of those that did not.
func leakedGoroutines(wait time.Duration) string {
	deadline := time.Now().Add(wait)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var leaked []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			stack := strings.TrimSpace(g)
			if stack == "" || strings.Contains(stack, "testing.(*M).") || strings.Contains(stack, "testing.Main(") ||
				strings.Contains(stack, "runtime.goexit0") || strings.Contains(stack, "created by runtime.gc") ||
				strings.Contains(stack, "os/signal.signal_recv") || strings.Contains(stack, "leakedGoroutines") ||
				strings.Contains(stack, "runtime.ensureSigM") || strings.Contains(stack, "interrupts") {
				continue
			}
			leaked = append(leaked, stack)
		}
		if len(leaked) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return strings.Join(leaked, "\n\n")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// baseKeys are the BaseResponse keys every render reply carries (PROTOCOL.md §4.3).
var baseKeys = []string{"ID", "Finished", "EntryCount", "EntryCountValid", "AdditionalEntries", "OverLimit", "LimitDroppedRange", "Warning"}

// exactKeys checks, case-sensitively, that the JSON object raw has every key of required
// and no key outside required and optional (encoding/json matches keys ignoring case, so the
// mirrors above cannot see a key spelled in the wrong case).
func exactKeys(t *testing.T, what string, raw []byte, required, optional []string) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %s is not an object: %v", what, raw, err)
	}
	for _, k := range required {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: key %q missing in %s", what, k, raw)
		}
	}
	for k := range m {
		if !slices.Contains(required, k) && !slices.Contains(optional, k) {
			t.Errorf("%s: unexpected key %q in %s", what, k, raw)
		}
	}
}

// field returns the raw value of key in the JSON object raw.
func field(t *testing.T, raw []byte, key string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return m[key]
}

// firstElem returns the first element of the JSON array raw.
func firstElem(t *testing.T, raw []byte) json.RawMessage {
	t.Helper()
	var a []json.RawMessage
	if err := json.Unmarshal(raw, &a); err != nil || len(a) == 0 {
		t.Fatalf("%s: not a non-empty array: %v", raw, err)
	}
	return a[0]
}
