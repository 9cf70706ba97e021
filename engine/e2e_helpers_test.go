package engine_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/wire"
)

// testServer is a real engine on 127.0.0.1:0 with a fresh store.
type testServer struct {
	eng *engine.Engine
	srv *httptest.Server
	url string // ws://127.0.0.1:port
}

func startServer(t *testing.T, mutate func(*engine.Config)) *testServer {
	t.Helper()
	cfg := engine.Config{DataDir: t.TempDir()}
	cfg.Stats.PingPeriod = 200 * time.Millisecond
	cfg.Stats.SysStatsPeriod = 200 * time.Millisecond
	cfg.Stats.IdxStatsPeriod = 300 * time.Millisecond
	cfg.Stats.IgstStatsPeriod = 300 * time.Millisecond
	cfg.Search.Grace = 100 * time.Millisecond
	if mutate != nil {
		mutate(&cfg)
	}
	eng, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(eng.Handler())
	t.Cleanup(func() {
		srv.Close()
		if err := eng.Close(); err != nil {
			t.Errorf("engine close: %v", err)
		}
	})
	return &testServer{eng: eng, srv: srv, url: "ws" + strings.TrimPrefix(srv.URL, "http")}
}

// base is the start of the test data: entry i has timestamp base + i seconds.
var base = time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)

// ingestN stores n entries tagged tag, one per second from base, with a JSON body
// {"i":i,"host":"h<i%3>","bytes":i*10}.
func ingestN(t *testing.T, ts *testServer, tag string, n int) {
	t.Helper()
	id, err := ts.eng.TagID(tag)
	if err != nil {
		t.Fatal(err)
	}
	batch := make([]wire.Entry, n)
	for i := range batch {
		batch[i] = wire.Entry{TS: base.Add(time.Duration(i) * time.Second).UnixNano(), Tag: id,
			Data: []byte(fmt.Sprintf(`{"i":%d,"host":"h%d","bytes":%d}`, i, i%3, i*10))}
	}
	if err := ts.eng.Ingest(batch); err != nil {
		t.Fatal(err)
	}
}

// client is a gorilla/websocket client speaking the routing protocol.
type client struct {
	t    *testing.T
	conn *websocket.Conn
}

func dial(t *testing.T, url string, subs ...string) *client {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &client{t: t, conn: conn}
	c.writeRaw(map[string]any{"Subs": subs})
	var ack struct{ Resp string }
	c.readRaw(&ack)
	if ack.Resp != "ACK" {
		t.Fatalf("negotiation: got %q", ack.Resp)
	}
	return c
}

func (c *client) writeRaw(v any) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := c.conn.WriteJSON(v); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) readRaw(v any) {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, b, err := c.conn.ReadMessage()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		c.t.Fatalf("decode %s: %v", b, err)
	}
}

func (c *client) send(channel string, data any) {
	c.t.Helper()
	c.writeRaw(map[string]any{"type": channel, "data": data})
}

// recv reads the next message, which must be on channel, and decodes its data into v.
func (c *client) recv(channel string, v any) json.RawMessage {
	c.t.Helper()
	var env struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	c.readRaw(&env)
	if env.Type != channel {
		c.t.Fatalf("got a message on %q, want %q: %s", env.Type, channel, env.Data)
	}
	if v != nil {
		if err := json.Unmarshal(env.Data, v); err != nil {
			c.t.Fatalf("decode %s: %v", env.Data, err)
		}
	}
	return env.Data
}

// launch starts query over [start, end) and acknowledges it; it returns the launch response.
func (c *client) launch(query string, start, end time.Time) launchResp {
	c.t.Helper()
	c.send("search", map[string]any{"SearchString": query, "SearchStart": start.Format(time.RFC3339Nano),
		"SearchEnd": end.Format(time.RFC3339Nano), "Background": false})
	var r launchResp
	c.recv("search", &r)
	if r.Error != "" || r.OutputSearchSubproto == "" {
		c.t.Fatalf("launch %q: %+v", query, r)
	}
	c.send("search", map[string]any{"Ok": true, "OutputSearchSubproto": r.OutputSearchSubproto})
	return r
}

type launchResp struct {
	Error                string
	RawQuery             string
	SearchString         string
	RenderModule         string
	RenderCmd            string
	OutputSearchSubproto string
	SearchID             string
	SearchStartRange     time.Time
	SearchEndRange       time.Time
	CollapsingIndex      int
	Tags                 []string
}

// waitDone polls REQ_ENTRY_COUNT until Finished and returns the count.
func (c *client) waitDone(channel string) uint64 {
	c.t.Helper()
	for i := 0; i < 500; i++ {
		var r baseResp
		c.send(channel, map[string]any{"ID": 3})
		c.recv(channel, &r)
		if r.ID != 3 {
			c.t.Fatalf("entry count reply: %+v", r)
		}
		if r.Finished {
			return r.EntryCount
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatal("search did not finish")
	return 0
}

// baseResp mirrors the Go client's BaseResponse plus the fields tests read.
type baseResp struct {
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
	EntryRange        struct {
		First, Last    uint64
		StartTS, EndTS time.Time
	}
	Tags map[string]uint16
}

type searchEntry struct {
	TS         time.Time
	SRC        string
	Tag        uint16
	Data       []byte
	Enumerated []struct {
		Name     string
		ValueStr string
		Value    struct {
			Type uint16
			Data []byte
		}
	}
}

type entriesResp struct {
	baseResp
	Entries []searchEntry
}
