package baseline

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The Go client's types (PROTOCOL.md §5.2, §4.3), decoded with encoding/json as the client
// does.
type clientEntry struct {
	TS         time.Time
	SRC        net.IP
	Tag        uint16
	Data       []byte
	Enumerated []json.RawMessage
}

type clientResponse struct {
	ID         uint32
	Error      string
	EntryRange struct {
		StartTS, EndTS time.Time
		First, Last    uint64
	}
	Tags              map[string]uint16
	Finished          bool
	EntryCount        uint64
	EntryCountValid   bool
	AdditionalEntries bool
	Entries           *[]clientEntry
}

type clientEnvelope struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

func dial(t *testing.T, srvURL string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srvURL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func write(t *testing.T, c *websocket.Conn, msg string) {
	t.Helper()
	c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, c *websocket.Conn) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, msg, err := c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func readEnv(t *testing.T, c *websocket.Conn) clientEnvelope {
	t.Helper()
	var env clientEnvelope
	if err := json.Unmarshal(read(t, c), &env); err != nil {
		t.Fatal(err)
	}
	return env
}

func readResp(t *testing.T, c *websocket.Conn, ch string) clientResponse {
	t.Helper()
	env := readEnv(t, c)
	if env.Type != ch {
		t.Fatalf("message on %q, want %q", env.Type, ch)
	}
	var r clientResponse
	if err := json.Unmarshal(env.Data, &r); err != nil {
		t.Fatalf("cannot decode %s: %v", env.Data, err)
	}
	return r
}

// launch negotiates and launches a search, returning the output channel and search ID.
func launch(t *testing.T, c *websocket.Conn) (string, string) {
	t.Helper()
	write(t, c, `{"Subs":["PONG","parse","search","attach"]}`)
	if got := string(bytes.TrimSpace(read(t, c))); got != `{"Resp":"ACK"}` {
		t.Fatalf("negotiation reply %s", got)
	}
	write(t, c, `{"type":"search","data":{"SearchString":"tag=syslog","SearchStart":"2024-05-01T09:00:00Z","SearchEnd":"2024-05-01T10:00:00Z","Addendum":{"filterID":"f1"}}}`)
	env := readEnv(t, c)
	var lr struct {
		Error                *string
		OutputSearchSubproto string
		SearchID             string
		Addendum             json.RawMessage
		SearchStartRange     time.Time
	}
	if env.Type != "search" || json.Unmarshal(env.Data, &lr) != nil || lr.Error != nil || lr.OutputSearchSubproto == "" {
		t.Fatalf("launch response %s", env.Data)
	}
	if string(lr.Addendum) != `{"filterID":"f1"}` || !lr.SearchStartRange.Equal(time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("launch response does not echo the request: %s", env.Data)
	}
	write(t, c, `{"type":"search","data":{"OK":true,"OutputSearchSubproto":"`+lr.OutputSearchSubproto+`"}}`)
	return lr.OutputSearchSubproto, lr.SearchID
}

func TestStreamServerStream(t *testing.T) {
	entries := GenerateEntries(2500)
	srv := httptest.NewServer(NewStreamServer(entries))
	defer srv.Close()
	c := dial(t, srv.URL)
	ch, _ := launch(t, c)
	write(t, c, `{"type":"`+ch+`","data":{"ID":17}}`)
	next := 0
	for _, want := range []int{1000, 1000, 500, 0} {
		r := readResp(t, c, ch)
		if r.ID != 17 || r.Entries == nil || len(*r.Entries) != want || r.EntryCount != uint64(want) {
			t.Fatalf("block: ID %d, EntryCount %d, entries %v; want %d", r.ID, r.EntryCount, r.Entries != nil, want)
		}
		if r.Finished != (want == 0) || r.AdditionalEntries || r.Tags["syslog"] != 0 || len(r.Tags) != 1 {
			t.Fatalf("block of %d: Finished %v AdditionalEntries %v Tags %v", want, r.Finished, r.AdditionalEntries, r.Tags)
		}
		if r.EntryRange.First != uint64(next) || r.EntryRange.Last != uint64(next+want) {
			t.Fatalf("EntryRange [%d,%d), want [%d,%d)", r.EntryRange.First, r.EntryRange.Last, next, next+want)
		}
		for i, e := range *r.Entries {
			w := entries[next+i]
			if !e.TS.Equal(w.TS) || !e.SRC.Equal(w.SRC) || !bytes.Equal(e.Data, w.Data) || e.Enumerated == nil || len(e.Enumerated) != 0 {
				t.Fatalf("entry %d differs: %+v", next+i, e)
			}
		}
		next += want
	}
	// The socket is still usable after the stream.
	write(t, c, `{"type":"PONG","data":{}}`)
	if env := readEnv(t, c); env.Type != "PONG" || string(env.Data) != "{}" {
		t.Fatalf("PONG reply %s %s", env.Type, env.Data)
	}
}

func TestStreamServerRequests(t *testing.T) {
	entries := GenerateEntries(250)
	s := NewStreamServer(entries)
	s.MaxPage = 100
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := dial(t, srv.URL)
	ch, id := launch(t, c)

	// Pages tile the result exactly, with AdditionalEntries at every boundary and the clamp.
	first := uint64(0)
	for {
		write(t, c, `{"type":"`+ch+`","data":{"ID":16,"EntryRange":{"First":`+itoa(first)+`,"Last":`+itoa(first+1000)+`}}}`)
		r := readResp(t, c, ch)
		n := uint64(len(*r.Entries))
		if r.ID != 16 || r.EntryRange.First != first || r.EntryRange.Last != first+100 || r.EntryCount != 250 {
			t.Fatalf("page at %d: %+v", first, r)
		}
		if (*r.Entries)[0].TS != entries[first].TS || r.AdditionalEntries != (first+100 < 250) {
			t.Fatalf("page at %d: wrong entries or AdditionalEntries %v", first, r.AdditionalEntries)
		}
		first += n
		if !r.AdditionalEntries {
			break
		}
	}
	if first != 250 {
		t.Fatalf("pages covered %d entries", first)
	}
	bad := func(req, wantErr string) {
		t.Helper()
		write(t, c, `{"type":"`+ch+`","data":`+req+`}`)
		r := readResp(t, c, ch)
		if r.ID != 0xFFFFFFFF || !strings.Contains(r.Error, wantErr) {
			t.Fatalf("%s: ID %d Error %q", req, r.ID, r.Error)
		}
	}
	bad(`{"ID":16,"EntryRange":{"First":1,"Last":0}}`, "Last")
	bad(`{"ID":16}`, "EntryRange")
	bad(`{"ID":12345}`, "unknown request ID 12345")
	bad(`{"ID":"x"}`, "cannot decode")
	write(t, c, `{"type":"`+ch+`","data":{"ID":3}}`)
	if r := readResp(t, c, ch); r.ID != 3 || !r.Finished || r.EntryCount != 250 {
		t.Fatalf("entry count %+v", r)
	}

	// A second socket attaches to the search by ID; an unknown ID is refused.
	c2 := dial(t, srv.URL)
	write(t, c2, `{"Subs":["attach"]}`)
	read(t, c2)
	write(t, c2, `{"type":"attach","data":{"ID":"`+id+`"}}`)
	var ar struct {
		Error    *string
		Subproto string
		Info     *struct{ ID string }
	}
	env := readEnv(t, c2)
	if json.Unmarshal(env.Data, &ar) != nil || ar.Error != nil || ar.Subproto == "" || ar.Info == nil || ar.Info.ID != id {
		t.Fatalf("attach response %s", env.Data)
	}
	write(t, c2, `{"type":"attach","data":{"ID":"1"}}`)
	if env := readEnv(t, c2); !strings.Contains(string(env.Data), `"Error":"search 1 not found"`) {
		t.Fatalf("attach to unknown search: %s", env.Data)
	}

	// REQ_CLOSE answers and removes the channel: later requests on it are dropped.
	write(t, c, `{"type":"`+ch+`","data":{"ID":1}}`)
	if r := readResp(t, c, ch); r.ID != 1 || r.Entries == nil {
		t.Fatalf("close reply %+v", r)
	}
	write(t, c, `{"type":"`+ch+`","data":{"ID":3}}`)
	write(t, c, `{"type":"PONG","data":{}}`)
	if env := readEnv(t, c); env.Type != "PONG" {
		t.Fatalf("a request on a closed channel was answered: %s", env.Type)
	}
}

func TestStreamServerLaunchErrors(t *testing.T) {
	srv := httptest.NewServer(NewStreamServer(GenerateEntries(10)))
	defer srv.Close()
	c := dial(t, srv.URL)
	write(t, c, `{"Subs":["search"]}`)
	read(t, c)
	write(t, c, `{"type":"search","data":{"SearchString":"tag=a","SearchStart":"2024-05-01T10:00:00Z","SearchEnd":"2024-05-01T09:50:00Z"}}`)
	if env := readEnv(t, c); !strings.Contains(string(env.Data), `"Error":"invalid search range`) || strings.Contains(string(env.Data), "OutputSearchSubproto") {
		t.Fatalf("bad range accepted: %s", env.Data)
	}
	write(t, c, `{"type":"search","data":{"SearchString":""}}`)
	if env := readEnv(t, c); !strings.Contains(string(env.Data), `"Error"`) {
		t.Fatalf("empty query accepted: %s", env.Data)
	}

	// A first message without Subs gets {"Resp":"ERROR"} and the socket closes.
	c2 := dial(t, srv.URL)
	write(t, c2, `{"Subs":[]}`)
	if got := string(bytes.TrimSpace(read(t, c2))); got != `{"Resp":"ERROR"}` {
		t.Fatalf("reply %s", got)
	}
	c2.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := c2.ReadMessage(); err == nil {
		t.Fatal("socket still open after a refused negotiation")
	}
}

func TestStatsServerBroadcast(t *testing.T) {
	s := NewStatsServer()
	srv := httptest.NewServer(s)
	defer srv.Close()
	var pingers []*websocket.Conn
	for range 2 {
		c := dial(t, srv.URL)
		write(t, c, `{"Subs":["ping","sysStats"]}`)
		read(t, c)
		pingers = append(pingers, c)
	}
	other := dial(t, srv.URL)
	write(t, other, `{"Subs":["sysStats"]}`)
	read(t, other)
	waitFor(t, func() bool { return s.Subscribers() == 3 })

	pkt := PingPacket(1024)
	b, _ := json.Marshal(pkt)
	if len(b) < 1000 || len(b) > 1100 {
		t.Fatalf("PingPacket(1024) encodes to %d bytes", len(b))
	}
	if n, err := s.Broadcast("ping", pkt); err != nil || n != 2 {
		t.Fatalf("Broadcast: %d, %v", n, err)
	}
	if n, _ := s.Broadcast("sysStats", map[string]int{"x": 1}); n != 3 {
		t.Fatalf("sysStats went to %d subscribers", n)
	}
	for _, c := range pingers {
		if env := readEnv(t, c); env.Type != "ping" || !bytes.Equal(env.Data, b) {
			t.Fatalf("pinger got %s", env.Type)
		}
		if env := readEnv(t, c); env.Type != "sysStats" {
			t.Fatalf("pinger got %s", env.Type)
		}
	}
	if env := readEnv(t, other); env.Type != "sysStats" { // the ping was not sent to it
		t.Fatalf("non-pinger got %s first", env.Type)
	}
	other.Close()
	waitFor(t, func() bool { return s.Subscribers() == 2 })
}

// TestStatsServerDropsStalledSubscriber checks that a subscriber that stops reading is cut off
// once its queue is full, and that broadcasts never block on it.
func TestStatsServerDropsStalledSubscriber(t *testing.T) {
	s := NewStatsServer()
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := dial(t, srv.URL)
	write(t, c, `{"Subs":["ping"]}`)
	read(t, c)
	waitFor(t, func() bool { return s.Subscribers() == 1 })
	big := strings.Repeat("x", 256<<10)
	deadline := time.Now().Add(18 * time.Second)
	for s.Subscribers() == 1 {
		if time.Now().After(deadline) {
			t.Fatal("stalled subscriber never dropped")
		}
		start := time.Now()
		s.Broadcast("ping", big)
		// Blocking on the stalled socket would last the 30 s write timeout; a loaded machine
		// encoding 256 KiB under -race takes well under this.
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Broadcast blocked for %v", d)
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func itoa(v uint64) string { b, _ := json.Marshal(v); return string(b) }

func TestGenerateEntries(t *testing.T) {
	e := GenerateEntries(1000)
	if len(e) != 1000 || !e[0].TS.Equal(EntriesBase) || !e[999].TS.Before(e[0].TS) {
		t.Fatal("entries not newest first from EntriesBase")
	}
	var total int
	for _, x := range e {
		if len(x.Data) < 60 || len(x.Data) > 200 || x.SRC.To4() == nil || x.Enumerated == nil {
			t.Fatalf("unrealistic entry %q", x.Data)
		}
		total += len(x.Data)
	}
	if avg := total / len(e); avg < 90 || avg > 160 {
		t.Fatalf("average data length %d", avg)
	}
	again := GenerateEntries(1000)
	if !bytes.Equal(again[500].Data, e[500].Data) {
		t.Fatal("GenerateEntries is not deterministic")
	}
}
