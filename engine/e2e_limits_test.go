package engine_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/search"
)

// Configured limits hit over real sockets: each is reported naming its config field, and
// nothing else is disturbed.

// launchRefused sends a launch and returns its Error, which must be set.
func (c *client) launchRefused(query string) string {
	c.t.Helper()
	c.send("search", map[string]any{"SearchString": query, "SearchStart": base.Format(time.RFC3339),
		"SearchEnd": base.Add(hour).Format(time.RFC3339)})
	var r map[string]any
	raw := c.recv("search", &r)
	msg, _ := r["Error"].(string)
	if msg == "" {
		c.t.Fatalf("launch %q accepted: %s", query, raw)
	}
	if _, ok := r["OutputSearchSubproto"]; ok {
		c.t.Fatalf("refused launch names an output channel: %s", raw)
	}
	return msg
}

func TestLimitsMaxSearchesPerClient(t *testing.T) {
	ts := startServer(t, func(c *engine.Config) { c.Search.MaxSearchesPerClient = 2 })
	ingestApp(t, ts, "app", 10, time.Second)
	c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	a := c.launch("tag=app", base, base.Add(hour))
	b := c.launchNoAck(map[string]any{"SearchString": "tag=app"}, base, base.Add(hour)) // pending counts too
	if msg := c.launchRefused("tag=app"); !strings.Contains(msg, "MaxSearchesPerClient=2") {
		t.Fatalf("third launch: Error %q does not name MaxSearchesPerClient", msg)
	}
	// The socket and its searches survive; attaching is not launching.
	c.sync()
	c.send("search", map[string]any{"OK": true, "OutputSearchSubproto": b.OutputSearchSubproto})
	if got := c.waitDone(b.OutputSearchSubproto); got != 10 {
		t.Fatalf("pending search after the refusal: %d", got)
	}
	ar := c.attachTo(a.SearchID)
	if got := c.waitDone(ar.Subproto); got != 10 {
		t.Fatalf("attach after the refusal: %d", got)
	}
	// Another client is not limited by this one's searches.
	c2 := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	c2.launch("tag=app", base, base.Add(hour))
	// Once one of its searches is gone, the client launches again.
	c.closeOutput(a.OutputSearchSubproto)
	c.closeOutput(ar.Subproto)
	ts.waitGone(t, a.SearchID, 3*time.Second)
	r := c.launch("tag=app", base, base.Add(hour))
	if got := c.waitDone(r.OutputSearchSubproto); got != 10 {
		t.Fatalf("launch after closing one: %d", got)
	}
	if msg := c.launchRefused("tag=app"); !strings.Contains(msg, "MaxSearchesPerClient=2") {
		t.Fatalf("limit after the relaunch: %q", msg)
	}
}

func TestLimitsMaxSearches(t *testing.T) {
	ts := startServer(t, func(c *engine.Config) { c.Search.MaxSearches = 2 })
	ingestApp(t, ts, "app", 10, time.Second)
	c1 := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	c2 := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	c3 := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	r1 := c1.launch("tag=app", base, base.Add(hour))
	c2.launchNoAck(map[string]any{"SearchString": "tag=app", "Background": true}, base, base.Add(hour))
	msg := c3.launchRefused("tag=app")
	if !strings.Contains(msg, "MaxSearches=2") || strings.Contains(msg, "PerClient") {
		t.Fatalf("launch over MaxSearches: Error %q", msg)
	}
	// Embedded searches count against the same limit.
	_, err := ts.eng.Embed(search.EmbedSpec{Query: "tag=app", Tags: []string{"app"}, Start: base, End: base.Add(hour)})
	var le *search.LimitError
	if !errors.As(err, &le) || le.Field != "MaxSearches" || le.Limit != 2 {
		t.Fatalf("Embed over MaxSearches: %v", err)
	}
	c3.sync()
	if got := c1.waitDone(r1.OutputSearchSubproto); got != 10 {
		t.Fatalf("running search after the refusal: %d", got)
	}
	// Deleting one makes room.
	if code, body := httpDo(t, "DELETE", ts.srv.URL+"/api/searchctrl/"+r1.SearchID, nil, nil); code != http.StatusOK {
		t.Fatalf("DELETE: %d %s", code, body)
	}
	r3 := c3.launch("tag=app", base, base.Add(hour))
	if got := c3.waitDone(r3.OutputSearchSubproto); got != 10 {
		t.Fatalf("launch after a delete: %d", got)
	}
}

// parseMsg returns a parse message of exactly size bytes.
func parseMsg(t *testing.T, size int) []byte {
	t.Helper()
	head, tail := `{"type":"parse","data":{"Sequence":1,"SearchString":"tag=app grep `, `"}}`
	pad := size - len(head) - len(tail)
	if pad < 1 {
		t.Fatalf("size %d too small", size)
	}
	return []byte(head + strings.Repeat("a", pad) + tail)
}

// wantClose reads until the connection ends and checks the close code.
func wantClose(t *testing.T, conn *websocket.Conn, code int, reason string) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(readTimeout))
	for i := 0; i < 10; i++ {
		_, _, err := conn.ReadMessage()
		if err == nil {
			continue // a reply that was already on its way
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("connection ended with %v, want close code %d", err, code)
		}
		if ce.Code != code || !strings.Contains(ce.Text, reason) {
			t.Fatalf("close %d %q, want %d mentioning %q", ce.Code, ce.Text, code, reason)
		}
		return
	}
	t.Fatal("no close")
}

func TestLimitsMessageSize(t *testing.T) {
	const maxMsg, maxFrame = 4096, 2048
	ts := startServer(t, func(c *engine.Config) {
		c.Server.MaxMessageSize = maxMsg
		c.Server.MaxFrameSize = maxFrame
	})
	ingestApp(t, ts, "app", 10, time.Second)
	bystander := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	r := bystander.launch("tag=app", base, base.Add(hour))
	bystander.waitDone(r.OutputSearchSubproto)

	// conn dials with gorilla's write buffer set to frame bytes: it sends every message in
	// frames of at most that size.
	conn := func(frame int) *client {
		d := websocket.Dialer{HandshakeTimeout: readTimeout, WriteBufferSize: frame}
		wc, _, err := d.Dial(ts.url+"/api/ws/search", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { wc.Close() })
		return negotiate(t, wc, "PONG", "parse", "search", "attach")
	}
	single := func(c *client, msg []byte) {
		c.conn.SetWriteDeadline(time.Now().Add(readTimeout))
		if err := c.conn.WriteMessage(websocket.TextMessage, msg); err != nil {
			t.Fatal(err)
		}
	}
	parsed := func(c *client) {
		t.Helper()
		var p struct {
			Sequence  uint64
			GoodQuery bool
		}
		c.recv("parse", &p)
		if p.Sequence != 1 || !p.GoodQuery {
			t.Fatalf("parse reply: %+v", p)
		}
	}
	// At the limits: accepted.
	big, small := conn(64<<10), conn(1000)
	single(big, parseMsg(t, maxFrame))
	parsed(big)
	single(small, parseMsg(t, maxMsg)) // five frames
	parsed(small)
	big.sync()
	small.sync()
	// One byte over the frame limit in one frame, and over the message limit in small frames.
	single(big, parseMsg(t, maxFrame+1))
	wantClose(t, big.conn, 1009, "MaxFrameSize")
	single(small, parseMsg(t, maxMsg+1))
	wantClose(t, small.conn, 1009, "MaxMessageSize")
	small = conn(1000)
	single(small, parseMsg(t, 1<<20))
	wantClose(t, small.conn, 1009, "MaxMessageSize")
	// Other connections are unaffected.
	if got := bystander.waitDone(r.OutputSearchSubproto); got != 10 {
		t.Fatalf("bystander: %d", got)
	}
	bystander.sync()
	c := conn(0)
	single(c, parseMsg(t, 1000))
	parsed(c)
}

// TestLimitsQueuedBeforeAck: a client that piles requests on a launch it never acknowledges
// is cut off at MaxQueuedBytes instead of growing the server's memory.
func TestLimitsQueuedBeforeAck(t *testing.T) {
	ts := startServer(t, func(c *engine.Config) { c.Search.MaxQueuedBytes = 200 })
	ingestApp(t, ts, "app", 10, time.Second)
	c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	// req is 40 bytes of JSON: five fit in 200.
	req := map[string]any{"ID": 3, "Addendum": strings.Repeat("a", 40-len(`{"ID":3,"Addendum":""}`))}
	if b, _ := json.Marshal(req); len(b) != 40 {
		t.Fatalf("request is %d bytes", len(b))
	}
	r := c.launchNoAck(map[string]any{"SearchString": "tag=app"}, base, base.Add(hour))
	for i := 0; i < 5; i++ {
		c.send(r.OutputSearchSubproto, req)
	}
	c.send("search", map[string]any{"OK": true, "OutputSearchSubproto": r.OutputSearchSubproto})
	for i := 0; i < 5; i++ {
		var b goBase
		c.recv(r.OutputSearchSubproto, &b)
		if b.ID != 3 {
			t.Fatalf("queued reply %d: %+v", i, b)
		}
	}
	c.sync()
	r2 := c.launchNoAck(map[string]any{"SearchString": "tag=app"}, base, base.Add(hour))
	for i := 0; i < 6; i++ {
		c.send(r2.OutputSearchSubproto, req)
	}
	wantClose(t, c.conn, 1008, "MaxQueuedBytes=200")
	// The closed socket's searches are cleaned up like any other's.
	ts.waitGone(t, r2.SearchID, 3*time.Second)
	ts.waitGone(t, r.SearchID, 3*time.Second)
}

func TestLimitsTokens(t *testing.T) {
	const token = "s3cret-token"
	ts := startServer(t, func(c *engine.Config) { c.Server.Tokens = []string{"other-token", token} })
	ingestApp(t, ts, "app", 3, time.Second)
	search := ts.url + "/api/ws/search"

	refused := func(what, url string, hdr http.Header, protos []string) {
		t.Helper()
		conn, resp, err := dialWith(t, url, hdr, protos)
		if err == nil || conn != nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%s: err %v, resp %+v: want 401 before the upgrade", what, err, resp)
		}
		var body struct{ Error string }
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Error == "" {
			t.Errorf("%s: 401 body is not {\"Error\":...}: %v", what, err)
		}
	}
	refused("no credential", search, nil, nil)
	refused("no credential on /ws/search", ts.url+"/ws/search", nil, nil)
	refused("no credential on the stats socket", ts.url+"/api/ws/stats", nil, nil)
	refused("wrong protocol token", search, nil, []string{"wrong"})
	refused("wrong bearer", search, http.Header{"Authorization": {"Bearer wrong"}}, nil)
	refused("wrong Gravwell-Token", search, http.Header{"Gravwell-Token": {"wrong"}}, nil)
	refused("token without Bearer", search, http.Header{"Authorization": {token}}, nil)

	accepted := func(what string, hdr http.Header, protos []string, echo string) {
		t.Helper()
		conn, resp, err := dialWith(t, search, hdr, protos)
		if err != nil {
			t.Fatalf("%s: %v (%+v)", what, err, resp)
		}
		if got, ok := resp.Header["Sec-Websocket-Protocol"]; echo == "" && ok || echo != "" && (len(got) != 1 || got[0] != echo) {
			t.Errorf("%s: Sec-WebSocket-Protocol in the 101 = %q, want %q", what, got, echo)
		}
		c := negotiate(t, conn, "PONG", "parse", "search", "attach")
		r := c.launch("tag=app", base, base.Add(hour))
		if got := c.waitDone(r.OutputSearchSubproto); got != 3 {
			t.Fatalf("%s: EntryCount %d", what, got)
		}
	}
	// The browser: the token is the only offered protocol and is echoed.
	accepted("Sec-WebSocket-Protocol", nil, []string{token}, token)
	accepted("first of two protocols", nil, []string{token, "x-other"}, token)
	// The Go client with a JWT: both the protocol and a bearer.
	accepted("protocol and bearer", http.Header{"Authorization": {"Bearer " + token}}, []string{token}, token)
	accepted("bearer", http.Header{"Authorization": {"Bearer " + token}}, nil, "")
	accepted("bearer, other case", http.Header{"Authorization": {"bearer " + token}}, nil, "")
	// The Go client with an API token: Gravwell-Token and an empty protocol header.
	accepted("Gravwell-Token", http.Header{"Gravwell-Token": {token}, "Sec-WebSocket-Protocol": {""}}, nil, "")

	// The REST routes take the same credentials.
	ingest := ts.srv.URL + "/api/ingest?tag=web"
	body := func() *strings.Reader { return strings.NewReader("2024-05-01T09:00:01Z hello\n") }
	for _, hdr := range []http.Header{nil, {"Authorization": {"Bearer wrong"}}, {"Gravwell-Token": {"nope"}}} {
		if code, b := httpDo(t, "POST", ingest, hdr, body()); code != http.StatusUnauthorized {
			t.Fatalf("ingest with %v: %d %s", hdr, code, b)
		}
	}
	for _, hdr := range []http.Header{{"Authorization": {"Bearer " + token}}, {"Gravwell-Token": {token}}} {
		if code, b := httpDo(t, "POST", ingest, hdr, body()); code != http.StatusOK || string(b) != "{\"Stored\":1}\n" {
			t.Fatalf("ingest with %v: %d %s", hdr, code, b)
		}
	}
	if code, _ := httpDo(t, "GET", ts.srv.URL+"/api/searchctrl", nil, nil); code != http.StatusUnauthorized {
		t.Fatalf("GET /api/searchctrl without a token: %d", code)
	}
	if code, _ := httpDo(t, "DELETE", ts.srv.URL+"/api/searchctrl/1", nil, nil); code != http.StatusUnauthorized {
		t.Fatalf("DELETE /api/searchctrl without a token: %d", code)
	}
	if code, b := httpDo(t, "GET", ts.srv.URL+"/api/searchctrl", http.Header{"Gravwell-Token": {token}}, nil); code != http.StatusOK {
		t.Fatalf("GET /api/searchctrl with a token: %d %s", code, b)
	}
	// Only the two authorised ingests were stored.
	conn, _, err := dialWith(t, search, http.Header{"Gravwell-Token": {token}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := negotiate(t, conn, "PONG", "search")
	r := c.launch("tag=web", base, base.Add(hour))
	if got := c.waitDone(r.OutputSearchSubproto); got != 2 {
		t.Fatalf("tag=web holds %d entries, want the 2 authorised ones", got)
	}
}
