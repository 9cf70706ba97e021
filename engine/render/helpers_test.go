package render

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// Test searches cover [tStart, tEnd): one hour.
var (
	tStart = time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC).UnixNano()
	tEnd   = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC).UnixNano()
)

const (
	storeTagA = 7 // store tag IDs, mapped to search tag numbers 0 and 1
	storeTagB = 9
)

// genEntries returns n entries, newest first, one per second from just before tEnd, with
// enumerated values count (int), host (string, 5 values), ratio (float) and tags alternating.
func genEntries(n int) []wire.Entry {
	out := make([]wire.Entry, n)
	for i := range out {
		tag := uint16(storeTagA)
		if i%2 == 1 {
			tag = storeTagB
		}
		out[i] = wire.Entry{
			TS:   tEnd - int64(i+1)*1e9,
			SRC:  netip.AddrFrom4([4]byte{10, 0, 0, byte(i % 7)}),
			Tag:  tag,
			Data: []byte(fmt.Sprintf("entry %d: user=u%d action=login", i, i%11)),
			EVs: []wire.EV{
				{Name: "count", Value: wire.IntValue(int64(i))},
				{Name: "host", Value: wire.StringValue([]byte(fmt.Sprintf("h%d", i%5)))},
				{Name: "ratio", Value: wire.FloatValue(float64(i) / 4)},
			},
		}
	}
	return out
}

func newTestResult(t testing.TB, spec Spec) *Result {
	t.Helper()
	if spec.TagNames == nil {
		spec.TagNames = []string{"syslog", "auth"}
		spec.TagIndex = map[uint16]uint16{storeTagA: 0, storeTagB: 1}
	}
	if spec.Start == 0 && spec.End == 0 {
		spec.Start, spec.End = tStart, tEnd
	}
	if spec.Dir == "" {
		spec.Dir = t.TempDir()
	}
	r, err := NewResult(spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Release)
	return r
}

// addAll adds entries in batches of batch.
func addAll(r *Result, entries []wire.Entry, batch int) {
	for i := 0; i < len(entries); i += batch {
		r.Add(entries[i:min(i+batch, len(entries))])
	}
}

// reply mirrors the Go client's view of a render response (PROTOCOL.md §4.3).
type reply struct {
	ID                uint32
	Error             string
	Finished          bool
	EntryCount        uint64
	EntryCountValid   bool
	AdditionalEntries bool
	OverLimit         bool
	LimitDroppedRange struct{ StartTS, EndTS time.Time }
	Warning           string
	Addendum          json.RawMessage
	EntryRange        *struct {
		StartTS, EndTS time.Time
		First, Last    uint64
	}
	Tags                  map[string]uint16
	Entries               json.RawMessage
	Explore               []json.RawMessage
	ContainsBinaryEntries *bool
	SearchInfo            *searchInfo
	Stats                 *statsResp
	Metadata              *json.RawMessage
}

type searchInfo struct {
	ID                    string
	UID                   int32
	GIDs                  []int32
	UserQuery             string
	StartRange, EndRange  time.Time
	Started, LastUpdate   time.Time
	Duration              string
	StoreSize             int64
	IndexSize             int64
	ItemCount             int64
	TimeZoomDisabled      bool
	MinZoomWindow         uint
	Tags                  []string
	Error                 string
	RenderDownloadFormats []string
}

type moduleStats struct {
	Name, Args                                       string
	InputCount, OutputCount, InputBytes, OutputBytes uint64
	Duration                                         int64
	ScratchWritten                                   uint64
}

type statsResp struct {
	Size int
	Set  []struct {
		Stats []moduleStats
		TS    time.Time
	}
	RangeStart, RangeEnd, Current time.Time
	OverviewSet                   []struct {
		Count, Bytes uint64
		TS           time.Time
	}
}

type searchEntry struct {
	TS         time.Time
	SRC        net.IP
	Tag        uint16
	Data       []byte
	Enumerated []struct {
		Name, ValueStr string
		Value          struct {
			Type uint16
			Data []byte
		}
	}
}

// do sends the request JSON in to r and decodes the reply, checking it is valid JSON whose
// Error appears exactly in RESP_ERROR replies.
func do(t testing.TB, r *Result, in string) (reply, []byte) {
	t.Helper()
	var p wire.RequestParser
	var req wire.Request
	_ = p.Parse([]byte(in), &req)
	out := r.Handle(&req, nil)
	if !json.Valid(out) {
		t.Fatalf("%s: invalid JSON reply: %s", in, out)
	}
	var rep reply
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("%s: reply does not decode: %v\n%s", in, err, out)
	}
	var keys map[string]json.RawMessage
	_ = json.Unmarshal(out, &keys)
	_, hasErr := keys["Error"]
	if hasErr != (rep.ID == wire.RespError) || (rep.ID == wire.RespError && rep.Error == "") {
		t.Fatalf("%s: Error key and ID disagree: %s", in, out)
	}
	for _, k := range []string{"Finished", "EntryCount", "EntryCountValid", "AdditionalEntries", "OverLimit", "LimitDroppedRange", "Warning"} {
		if _, ok := keys[k]; !ok {
			t.Fatalf("%s: reply lacks %s: %s", in, k, out)
		}
	}
	return rep, out
}

// doOK is do for requests that must succeed with the request's own ID.
func doOK(t testing.TB, r *Result, in string, id uint32) reply {
	t.Helper()
	rep, out := do(t, r, in)
	if rep.ID != id {
		t.Fatalf("%s: reply ID %d, want %d: %s", in, rep.ID, id, out)
	}
	return rep
}

// doErr is do for requests that must fail with message want.
func doErr(t testing.TB, r *Result, in, want string) reply {
	t.Helper()
	rep, out := do(t, r, in)
	if rep.ID != wire.RespError || rep.Error != want {
		t.Fatalf("%s:\n got %s\nwant error %q", in, out, want)
	}
	return rep
}

func entriesOf(t testing.TB, rep reply) []searchEntry {
	t.Helper()
	var es []searchEntry
	if string(rep.Entries) != "[]" && rep.Entries[0] != '[' {
		t.Fatalf("Entries is not an array: %s", rep.Entries)
	}
	if err := json.Unmarshal(rep.Entries, &es); err != nil {
		t.Fatal(err)
	}
	return es
}

func rfc(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339Nano) }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
