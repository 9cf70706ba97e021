package cluster_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/cluster"
	"github.com/sluicehq/sluice/engine/cluster/localnats"
)

// quiet is the logger of the nodes under test; SLUICE_TEST_LOG=1 shows their logs.
func quiet() *slog.Logger {
	if os.Getenv("SLUICE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// startNATS starts an in-process NATS cluster of three JetStream servers on random loopback
// ports with temporary store directories.
func startNATS(t testing.TB) string {
	t.Helper()
	c, err := localnats.Start(localnats.Config{Servers: 3, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Shutdown)
	return c.URL()
}

// testNode is one cluster node: a cluster.Node, its engine and a real HTTP server on loopback.
type testNode struct {
	name   string
	node   *cluster.Node
	eng    *engine.Engine
	srv    *httptest.Server
	url    string // http://127.0.0.1:port
	dir    string
	closed bool
}

// testDeadAfter is the nodes' DeadAfter: short, yet long enough for a loaded, shared machine
// running the race detector.
const testDeadAfter = 2 * time.Second

// nodeConfig is the cluster configuration the tests use: fast heartbeats, quick death.
func nodeConfig(url, name string, role cluster.Role) cluster.Config {
	return cluster.Config{URL: url, Name: name, Role: role, IndexerKey: name + ":9404",
		Heartbeat: 200 * time.Millisecond, DeadAfter: testDeadAfter,
		SearchTimeout: 3 * time.Second, Partitions: 4, Replicas: 3, Logger: quiet()}
}

// startNode starts a node with data directory dir (a new one when empty); opts adjust its
// engine's configuration.
func startNode(t testing.TB, cfg cluster.Config, dir string, opts ...func(*engine.Config)) *testNode {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	node, err := cluster.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ecfg := engine.Config{Logger: cfg.Logger}
	if cfg.Role.Indexes() {
		ecfg.DataDir = dir
	}
	ecfg.Stats.PingPeriod = 200 * time.Millisecond
	ecfg.Stats.SysStatsPeriod = 200 * time.Millisecond
	ecfg.Stats.IdxStatsPeriod = 200 * time.Millisecond
	ecfg.Stats.IgstStatsPeriod = 200 * time.Millisecond
	ecfg.Search.Grace = 100 * time.Millisecond
	for _, o := range opts {
		o(&ecfg)
	}
	ecfg.Cluster = &engine.ClusterHooks{Source: node.Source(), Tags: node.Tags(), Ingest: node.Ingest(), Stats: node.Stats()}
	eng, err := engine.New(ecfg)
	if err != nil {
		node.Close()
		t.Fatal(err)
	}
	if cfg.Role.Indexes() {
		node.SetMemory(eng.Memory())
		if err := node.AttachStore(eng.Store(), dir); err != nil {
			node.Close()
			eng.Close()
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(eng.Handler())
	n := &testNode{name: cfg.Name, node: node, eng: eng, srv: srv, url: srv.URL, dir: dir}
	t.Cleanup(func() { n.close(t) })
	return n
}

// close shuts the node down cleanly.
func (n *testNode) close(t testing.TB) {
	if n.closed {
		return
	}
	n.closed = true
	n.srv.Close()
	if err := n.node.Close(); err != nil {
		t.Logf("%s: node close: %v", n.name, err)
	}
	if err := n.eng.Close(); err != nil {
		t.Errorf("%s: engine close: %v", n.name, err)
	}
}

// kill drops the node as a crash would: no goodbye to the cluster.
func (n *testNode) kill(t testing.TB) {
	if n.closed {
		return
	}
	n.closed = true
	n.node.Kill()
	n.srv.Close()
	if err := n.eng.Close(); err != nil {
		t.Errorf("%s: engine close: %v", n.name, err)
	}
}

// stored returns the entries in an indexer's local store.
func (n *testNode) stored() uint64 {
	var sum uint64
	for _, w := range n.eng.Store().Stats() {
		sum += w.Entries
	}
	return sum
}

// waitFor polls cond every 20ms until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// jsonEntry is one entry of an ingest body (ingest.ParseJSONEntries).
type jsonEntry struct {
	TS   string
	Tag  string
	SRC  string
	Text string
}

// postIngest sends entries to a node's /api/ingest and returns the HTTP status.
func postIngest(t testing.TB, url string, ents []jsonEntry) (int, string) {
	t.Helper()
	b, _ := json.Marshal(ents)
	resp, err := http.Post(url+"/api/ingest", "application/json", bytes.NewReader(b))
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// base is the start of the test data.
var base = time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)

// appEntries returns n entries tagged tag, entry i at base + off + i*step, with a JSON body.
func appEntries(tag string, off, n int, step time.Duration) []jsonEntry {
	out := make([]jsonEntry, n)
	for k := range out {
		i := off + k
		out[k] = jsonEntry{TS: base.Add(time.Duration(i) * step).Format(time.RFC3339Nano), Tag: tag,
			SRC: fmt.Sprintf("10.0.0.%d", i%4+1), Text: fmt.Sprintf(`{"i":%d,"host":"h%d","bytes":%d}`, i, i%3, i*10)}
	}
	return out
}

// wsClient speaks the routing protocol over gorilla/websocket.
type wsClient struct {
	t    testing.TB
	conn *websocket.Conn
}

func dial(t testing.TB, httpURL, path string, subs ...string) *wsClient {
	t.Helper()
	return dialHeader(t, httpURL, path, nil, subs...)
}

// dialHeader opens a routing socket with the handshake headers hdr and negotiates subs.
func dialHeader(t testing.TB, httpURL, path string, hdr http.Header, subs ...string) *wsClient {
	t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(httpURL, "http")+path, hdr)
	if err != nil {
		if resp != nil {
			err = fmt.Errorf("%w: HTTP %s", err, resp.Status)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &wsClient{t: t, conn: conn}
	c.write(map[string]any{"Subs": subs})
	var ack struct{ Resp string }
	if err := json.Unmarshal(c.read(), &ack); err != nil || ack.Resp != "ACK" {
		t.Fatalf("negotiation: %+v %v", ack, err)
	}
	return c
}

func (c *wsClient) write(v any) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := c.conn.WriteJSON(v); err != nil {
		c.t.Fatal(err)
	}
}

func (c *wsClient) read() []byte {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	_, b, err := c.conn.ReadMessage()
	if err != nil {
		c.t.Fatal(err)
	}
	return b
}

// recv reads the next message, which must be of type typ, and returns its data.
func (c *wsClient) recv(typ string) json.RawMessage {
	c.t.Helper()
	var env struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	b := c.read()
	if err := json.Unmarshal(b, &env); err != nil {
		c.t.Fatalf("decode %s: %v", b, err)
	}
	if env.Type != typ {
		c.t.Fatalf("got %q, want %q: %s", env.Type, typ, env.Data)
	}
	return env.Data
}

// do sends a render request on channel and decodes the reply into v.
func (c *wsClient) do(channel string, req, v any) json.RawMessage {
	c.t.Helper()
	c.write(map[string]any{"type": channel, "data": req})
	raw := c.recv(channel)
	if v != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			c.t.Fatalf("decode %s: %v", raw, err)
		}
	}
	return raw
}

// search launches query over [start, end), acknowledges it, waits until it finishes and
// returns its output channel and the finished entry-count reply.
func (c *wsClient) search(query string, start, end time.Time) (string, countReply) {
	c.t.Helper()
	c.write(map[string]any{"type": "search", "data": map[string]any{"SearchString": query,
		"SearchStart": start.Format(time.RFC3339Nano), "SearchEnd": end.Format(time.RFC3339Nano)}})
	var r struct {
		Error                string
		OutputSearchSubproto string
	}
	if err := json.Unmarshal(c.recv("search"), &r); err != nil || r.Error != "" || r.OutputSearchSubproto == "" {
		c.t.Fatalf("launch %q: %+v %v", query, r, err)
	}
	ch := r.OutputSearchSubproto
	c.write(map[string]any{"type": "search", "data": map[string]any{"Ok": true, "OutputSearchSubproto": ch}})
	return ch, c.waitFinished(ch)
}

// waitFinished polls REQ_ENTRY_COUNT on channel until the search has finished and returns
// the finished reply.
func (c *wsClient) waitFinished(channel string) countReply {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var cr countReply
		c.do(channel, map[string]any{"ID": 3}, &cr)
		if cr.Finished {
			return cr
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("the search on %s did not finish", channel)
	return countReply{}
}

type countReply struct {
	ID         uint32
	Finished   bool
	EntryCount uint64
	Warning    string
}

// newServer serves eng on loopback and returns its http URL.
func newServer(t testing.TB, eng *engine.Engine) string {
	srv := httptest.NewServer(eng.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// waitSpread waits until n indexers own partitions, as node sees them.
func waitSpread(t testing.TB, node *testNode, n int) {
	t.Helper()
	waitFor(t, 10*time.Second, "partitions spread over the indexers", func() bool {
		k := 0
		for _, s := range node.node.Nodes() {
			if len(s.Partitions) > 0 {
				k++
			}
		}
		return k == n
	})
}
