package engine_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/search"
	"github.com/sluicehq/sluice/wire"
)

// Search lifetime over real sockets (PROTOCOL.md §3.4, §3.6–§3.8, §1.6).

// TestLifecycleBackgroundSurvivesLauncher launches a background search the way the old Go
// client did: acknowledge, then drop the socket at once. The search runs on and another socket
// attaches later and reads every result.
func TestLifecycleBackgroundSurvivesLauncher(t *testing.T) {
	const n = 500
	ts := startServer(t, nil) // Grace is 100 ms
	gen := ingestApp(t, ts, "app", n, time.Second)
	for _, graceful := range []bool{false, true} {
		c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
		r := c.launchNoAck(map[string]any{"SearchString": "tag=app", "Background": true}, base, base.Add(hour))
		c.send("search", map[string]any{"Ok": true, "OutputSearchSubproto": r.OutputSearchSubproto})
		if graceful {
			c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
				time.Now().Add(time.Second))
		}
		c.conn.Close()
		time.Sleep(400 * time.Millisecond) // well past the grace period
		// (That the launcher's consumer is gone once the server sees the close is checked by
		// TestLifecycleAbruptCloseDetaches.)
		sum, ok := ts.list(t)[r.SearchID]
		if !ok || !sum.Background || (sum.State != "running" && sum.State != "finished") {
			t.Fatalf("background search after its launcher left: %+v (listed %v)", sum, ok)
		}
		c2 := dial(t, ts.url+"/api/ws/search", "attach", "PONG")
		ar := c2.attachTo(r.SearchID)
		if !ar.Info.Background || ar.RendererMod != "text" {
			t.Fatalf("attach: %+v", ar.Info)
		}
		if got := c2.waitDone(ar.Subproto); got != n {
			t.Fatalf("EntryCount %d, want %d", got, n)
		}
		checkEntries(t, "background results", c2.pageAll(ar.Subproto, 200, n), gen, 0)
		if sum := ts.list(t)[r.SearchID]; sum.Consumers < 1 || sum.State != "finished" {
			t.Fatalf("after attach: %+v", sum)
		}
		// Its consumers leaving does not end it either.
		c2.closeOutput(ar.Subproto)
		c2.conn.Close()
		time.Sleep(300 * time.Millisecond)
		if _, ok := ts.list(t)[r.SearchID]; !ok {
			t.Fatal("background search deleted when its last consumer left")
		}
	}
}

// TestLifecycleAbruptCloseDetaches drops the TCP connection right behind a message, as a
// client that crashes or the old Go client (ACK, then close) does: the server must notice the
// close at once, detach the socket's consumers and, for a foreground search, delete it after
// the grace period. A server that misses the peer's FIN when it arrives together with data
// keeps the consumer (and the search) until the idle timeout.
func TestLifecycleAbruptCloseDetaches(t *testing.T) {
	ts := startServer(t, nil) // Grace is 100 ms
	ingestApp(t, ts, "app", 20, time.Second)
	for k := 0; k < 12; k++ {
		c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
		r := c.launchNoAck(map[string]any{"SearchString": "tag=app"}, base, base.Add(hour))
		if k%2 == 0 {
			// The old Go client: acknowledge and hang up.
			c.send("search", map[string]any{"Ok": true, "OutputSearchSubproto": r.OutputSearchSubproto})
		} else {
			c.send("search", map[string]any{"Ok": true, "OutputSearchSubproto": r.OutputSearchSubproto})
			c.waitDone(r.OutputSearchSubproto)
			c.send(r.OutputSearchSubproto, map[string]any{"ID": 4})
		}
		c.conn.Close()
		deadline := time.Now().Add(2 * time.Second)
		for {
			sum, ok := ts.list(t)[r.SearchID]
			if !ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: 2 s after the client dropped the connection the search is still listed with "+
					"%d consumer(s) in state %s: the server did not see the peer's FIN that came right behind the "+
					"last message, so the socket's consumer was never detached", k, sum.Consumers, sum.State)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// TestLifecycleForegroundEndsWithSocket closes the socket of a foreground search's only
// consumer without REQ_CLOSE: the search is deleted once the grace period has passed, not
// before.
func TestLifecycleForegroundEndsWithSocket(t *testing.T) {
	const grace = 500 * time.Millisecond
	ts := startServer(t, func(c *engine.Config) { c.Search.Grace = grace })
	ingestApp(t, ts, "app", 100, time.Second)
	c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	r := c.launch("tag=app", base, base.Add(hour))
	c.waitDone(r.OutputSearchSubproto)
	if sum := ts.list(t)[r.SearchID]; sum.Consumers != 1 || sum.State != "finished" || sum.Background {
		t.Fatalf("before close: %+v", sum)
	}
	closed := time.Now()
	c.conn.Close()
	// Still there right after the close (with no consumer once the server noticed).
	if _, ok := ts.list(t)[r.SearchID]; !ok && time.Since(closed) < grace {
		t.Fatal("search deleted before the grace period ended")
	}
	gone := ts.waitGone(t, r.SearchID, grace+3*time.Second)
	if d := gone.Sub(closed); d < grace {
		t.Fatalf("search deleted %v after its socket closed, before the grace period %v", d, grace)
	}
	c2 := dial(t, ts.url+"/api/ws/search", "attach", "PONG")
	if msg := c2.attachFails(r.SearchID); !strings.Contains(msg, r.SearchID) {
		t.Errorf("attach to a deleted search: %q does not name the ID", msg)
	}
}

// TestLifecycleAttachWithinGrace: a client that reconnects and attaches within the grace
// period saves the search, after REQ_CLOSE and after a closed socket alike.
func TestLifecycleAttachWithinGrace(t *testing.T) {
	const grace = 400 * time.Millisecond
	ts := startServer(t, func(c *engine.Config) { c.Search.Grace = grace })
	ingestApp(t, ts, "app", 100, time.Second)
	c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	r := c.launch("tag=app", base, base.Add(hour))
	c.waitDone(r.OutputSearchSubproto)

	// The consumer leaves by REQ_CLOSE; the same socket attaches again in time.
	c.closeOutput(r.OutputSearchSubproto)
	ar := c.attachTo(r.SearchID)
	time.Sleep(grace + 300*time.Millisecond)
	if got := c.waitDone(ar.Subproto); got != 100 {
		t.Fatalf("after re-attach: EntryCount %d", got)
	}
	// The socket goes away; another (already connected) attaches in time.
	c2 := dial(t, ts.url+"/api/ws/search", "attach", "PONG")
	c.conn.Close()
	time.Sleep(grace / 8)
	ar2 := c2.attachTo(r.SearchID)
	time.Sleep(grace + 300*time.Millisecond)
	if got := c2.waitDone(ar2.Subproto); got != 100 {
		t.Fatalf("after re-attach from a new socket: EntryCount %d", got)
	}
	if sum := ts.list(t)[r.SearchID]; sum.Consumers != 1 {
		t.Fatalf("consumers %d, want 1", sum.Consumers)
	}
	// And when that one leaves too, the search goes.
	c2.closeOutput(ar2.Subproto)
	ts.waitGone(t, r.SearchID, grace+3*time.Second)
}

// TestLifecycleAckFalse: an acknowledgement with OK false (either spelling) discards the
// search, its channel and anything queued on it.
func TestLifecycleAckFalse(t *testing.T) {
	ts := startServer(t, nil)
	ingestApp(t, ts, "app", 10, time.Second)
	c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	for _, key := range []string{"OK", "Ok", "ok"} {
		r := c.launchNoAck(map[string]any{"SearchString": "tag=app"}, base, base.Add(hour))
		if sum, ok := ts.list(t)[r.SearchID]; !ok || sum.State != "pending" {
			t.Fatalf("launched, not acknowledged: %+v (listed %v)", sum, ok)
		}
		c.send(r.OutputSearchSubproto, map[string]any{"ID": 3}) // queued until the ACK
		c.send("search", map[string]any{key: false, "OutputSearchSubproto": r.OutputSearchSubproto})
		c.sync() // the queued request is dropped, not answered
		if msg := c.attachFails(r.SearchID); !strings.Contains(msg, "not found") {
			t.Errorf("attach after OK false: %q", msg)
		}
		if _, ok := ts.list(t)[r.SearchID]; ok {
			t.Fatalf("%s:false: search still listed", key)
		}
		// The channel is forgotten: requests on it get nothing.
		c.send(r.OutputSearchSubproto, map[string]any{"ID": 3})
		c.sync()
		// A late OK true for it is ignored.
		c.send("search", map[string]any{"OK": true, "OutputSearchSubproto": r.OutputSearchSubproto})
		c.send(r.OutputSearchSubproto, map[string]any{"ID": 3})
		c.sync()
	}
	// The socket still launches.
	r := c.launch("tag=app", base, base.Add(hour))
	if got := c.waitDone(r.OutputSearchSubproto); got != 10 {
		t.Fatalf("EntryCount %d", got)
	}
}

// TestLifecycleAckTimeout: a launch never acknowledged is discarded after AckTimeout.
func TestLifecycleAckTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	ts := startServer(t, func(c *engine.Config) { c.Search.AckTimeout = timeout })
	ingestApp(t, ts, "app", 10, time.Second)
	c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	launched := time.Now()
	r := c.launchNoAck(map[string]any{"SearchString": "tag=app", "Background": true}, base, base.Add(hour))
	if sum, ok := ts.list(t)[r.SearchID]; (!ok || sum.State != "pending") && time.Since(launched) < timeout {
		t.Fatalf("before the timeout: %+v (listed %v)", sum, ok)
	}
	gone := ts.waitGone(t, r.SearchID, timeout+3*time.Second)
	if d := gone.Sub(launched); d < timeout {
		t.Fatalf("discarded after %v, before AckTimeout %v", d, timeout)
	}
	c.attachFails(r.SearchID)
	// The launch is forgotten with its channel: a late acknowledgement is ignored like any
	// naming an unknown channel, and requests on the name get nothing.
	c.send("search", map[string]any{"OK": true, "OutputSearchSubproto": r.OutputSearchSubproto})
	c.send(r.OutputSearchSubproto, map[string]any{"ID": 3})
	c.sync()
	if _, ok := ts.list(t)[r.SearchID]; ok {
		t.Fatal("late ACK resurrected the search")
	}
	// Requests queued on a launch that times out are dropped with it.
	r3 := c.launchNoAck(map[string]any{"SearchString": "tag=app"}, base, base.Add(hour))
	c.send(r3.OutputSearchSubproto, map[string]any{"ID": 4})
	ts.waitGone(t, r3.SearchID, timeout+3*time.Second)
	c.send("search", map[string]any{"Ok": true, "OutputSearchSubproto": r3.OutputSearchSubproto})
	c.sync()
	// An acknowledged search is not touched by the timeout.
	r2 := c.launch("tag=app", base, base.Add(hour))
	time.Sleep(timeout + 200*time.Millisecond)
	if got := c.waitDone(r2.OutputSearchSubproto); got != 10 {
		t.Fatalf("acknowledged search: EntryCount %d", got)
	}
}

// TestLifecycleBackgroundRetention: with BackgroundRetention set, a background search nobody
// consumes is deleted after it (and not after the shorter foreground grace period).
func TestLifecycleBackgroundRetention(t *testing.T) {
	const retention = 600 * time.Millisecond
	ts := startServer(t, func(c *engine.Config) { c.Search.BackgroundRetention = retention })
	ingestApp(t, ts, "app", 10, time.Second)
	c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	r := c.launchNoAck(map[string]any{"SearchString": "tag=app", "Background": true}, base, base.Add(hour))
	c.send("search", map[string]any{"OK": true, "OutputSearchSubproto": r.OutputSearchSubproto})
	c.waitDone(r.OutputSearchSubproto)
	left := time.Now()
	c.closeOutput(r.OutputSearchSubproto)
	time.Sleep(250 * time.Millisecond) // past the 100 ms foreground grace
	if _, ok := ts.list(t)[r.SearchID]; !ok && time.Since(left) < retention {
		t.Fatal("background search deleted before BackgroundRetention")
	}
	gone := ts.waitGone(t, r.SearchID, retention+3*time.Second)
	if d := gone.Sub(left); d < retention {
		t.Fatalf("deleted %v after its consumer left, before BackgroundRetention %v", d, retention)
	}
	// Attaching in time keeps it, as for the grace period.
	r2 := c.launchNoAck(map[string]any{"SearchString": "tag=app", "Background": true}, base, base.Add(hour))
	c.send("search", map[string]any{"OK": true, "OutputSearchSubproto": r2.OutputSearchSubproto})
	c.closeOutput(r2.OutputSearchSubproto)
	time.Sleep(retention / 6)
	a := c.attachTo(r2.SearchID)
	time.Sleep(retention + 200*time.Millisecond)
	if got := c.waitDone(a.Subproto); got != 10 {
		t.Fatalf("re-attached background search: EntryCount %d", got)
	}
}

// TestLifecycleAttachTwiceSameSocket: each attach is its own consumer and channel.
func TestLifecycleAttachTwiceSameSocket(t *testing.T) {
	const n = 120
	ts := startServer(t, nil)
	gen := ingestApp(t, ts, "app", n, time.Second)
	c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	r := c.launch("tag=app", base, base.Add(hour))
	c.waitDone(r.OutputSearchSubproto)
	a1, a2 := c.attachTo(r.SearchID), c.attachTo(r.SearchID)
	if a1.Subproto == a2.Subproto || a1.Subproto == r.OutputSearchSubproto || a2.Subproto == r.OutputSearchSubproto ||
		!strings.HasPrefix(a1.Subproto, "attach") {
		t.Fatalf("channels %q %q %q", r.OutputSearchSubproto, a1.Subproto, a2.Subproto)
	}
	if got := ts.list(t)[r.SearchID].Consumers; got != 3 {
		t.Fatalf("Consumers %d, want 3", got)
	}
	// Interleaved requests are answered on their own channels, in order.
	c.send(a1.Subproto, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": 0, "Last": 10}})
	c.send(a2.Subproto, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": 10, "Last": 20}})
	c.send(a1.Subproto, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": 20, "Last": 30}})
	var p goEntriesResp
	for _, k := range []struct {
		ch       string
		from, to int
	}{{a1.Subproto, 0, 10}, {a2.Subproto, 10, 20}, {a1.Subproto, 20, 30}} {
		raw, err := c.tryNext()
		if err != nil {
			t.Fatal(err)
		}
		if raw.Type != k.ch {
			t.Fatalf("reply on %q, want %q", raw.Type, k.ch)
		}
		p = goEntriesResp{}
		if err := strictDecode(raw.Data, &p); err != nil {
			t.Fatal(err)
		}
		checkEntries(t, k.ch, p.Entries, gen[k.from:k.to], 0)
	}
	// A stream on one channel and pages on the other run side by side.
	c.send(a1.Subproto, map[string]any{"ID": 17})
	c.send(a2.Subproto, map[string]any{"ID": 3})
	var streamed, count int
	for i := 0; i < 10 && (count == 0 || streamed >= 0); i++ {
		env, err := c.tryNext()
		if err != nil {
			t.Fatal(err)
		}
		var b goEntriesResp
		json.Unmarshal(env.Data, &b)
		switch {
		case env.Type == a2.Subproto && b.ID == 3:
			count = int(b.EntryCount)
		case env.Type == a1.Subproto && b.ID == 17 && !b.Finished:
			streamed += len(b.Entries)
		case env.Type == a1.Subproto && b.ID == 17 && b.Finished:
			if streamed != n {
				t.Fatalf("streamed %d", streamed)
			}
			streamed = -1
		default:
			t.Fatalf("unexpected %s %s", env.Type, env.Data)
		}
	}
	if count != n || streamed != -1 {
		t.Fatalf("count %d, stream state %d", count, streamed)
	}
	// Closing one leaves the other and the launch channel working.
	c.closeOutput(a1.Subproto)
	c.send(a1.Subproto, map[string]any{"ID": 3})
	c.sync()
	if got := c.waitDone(a2.Subproto); got != n {
		t.Fatalf("a2 after a1 closed: %d", got)
	}
	if got := c.waitDone(r.OutputSearchSubproto); got != n {
		t.Fatalf("launch channel after a1 closed: %d", got)
	}
	if got := ts.list(t)[r.SearchID].Consumers; got != 2 {
		t.Fatalf("Consumers %d, want 2", got)
	}
}

// TestLifecycleSearchCtrl lists searches over REST and deletes one: its consumers get
// "search has been deleted" on every request until they close the channel.
func TestLifecycleSearchCtrl(t *testing.T) {
	ts := startServer(t, nil)
	ingestApp(t, ts, "app", 50, time.Second)
	c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	fg := c.launch("tag=app", base, base.Add(hour))
	bg := c.launchNoAck(map[string]any{"SearchString": "tag=app json host", "Background": true, "Name": "bg"}, base, base.Add(hour))
	c.send("search", map[string]any{"OK": true, "OutputSearchSubproto": bg.OutputSearchSubproto})
	c.waitDone(fg.OutputSearchSubproto)
	c.waitDone(bg.OutputSearchSubproto)
	c2 := dial(t, ts.url+"/api/ws/search", "attach", "PONG")
	a := c2.attachTo(fg.SearchID)

	l := ts.list(t)
	if len(l) != 2 {
		t.Fatalf("list: %+v", l)
	}
	f, b := l[fg.SearchID], l[bg.SearchID]
	if f.UserQuery != "tag=app" || f.State != "finished" || f.Background || f.Consumers != 2 ||
		!f.StartRange.Equal(base) || !f.EndRange.Equal(base.Add(hour)) || f.Launched.IsZero() {
		t.Errorf("foreground: %+v", f)
	}
	if b.UserQuery != "tag=app json host" || b.State != "finished" || !b.Background || b.Consumers != 1 || b.Name != "bg" {
		t.Errorf("background: %+v", b)
	}

	code, body := httpDo(t, "DELETE", ts.srv.URL+"/api/searchctrl/"+fg.SearchID, nil, nil)
	if code != http.StatusOK || !strings.Contains(string(body), fg.SearchID) {
		t.Fatalf("DELETE: %d %s", code, body)
	}
	for _, k := range []struct {
		c  *client
		ch string
	}{{c, fg.OutputSearchSubproto}, {c2, a.Subproto}} {
		for _, req := range []map[string]any{{"ID": 3}, {"ID": 16, "EntryRange": map[string]any{"First": 0, "Last": 5}},
			{"ID": 2130706435, "Stats": map[string]any{"SetCount": 2}}, {"ID": 4}} {
			req["Addendum"] = json.RawMessage(`{"d":1}`)
			var r goBase
			raw := k.c.do(k.ch, req, &r)
			if r.ID != respError || r.Error != "search has been deleted" || string(r.Addendum) != `{"d":1}` {
				t.Fatalf("%s %v after DELETE: %s", k.ch, req, raw)
			}
		}
		k.c.closeOutput(k.ch)
		k.c.send(k.ch, map[string]any{"ID": 3})
		k.c.sync()
	}
	if code, body := httpDo(t, "DELETE", ts.srv.URL+"/api/searchctrl/"+fg.SearchID, nil, nil); code != http.StatusNotFound {
		t.Fatalf("second DELETE: %d %s", code, body)
	}
	if code, _ := httpDo(t, "DELETE", ts.srv.URL+"/api/searchctrl/0000000000", nil, nil); code != http.StatusNotFound {
		t.Fatalf("DELETE of an unknown ID: %d", code)
	}
	l = ts.list(t)
	if _, ok := l[fg.SearchID]; ok || len(l) != 1 {
		t.Fatalf("list after DELETE: %+v", l)
	}
	// The other search is untouched.
	if got := c.waitDone(bg.OutputSearchSubproto); got != 50 {
		t.Fatalf("background search after the other was deleted: %d", got)
	}
	c2.attachFails(fg.SearchID)
}

// TestLifecycleDeleteDuringStream deletes a search while a consumer streams it: the stream
// ends with RESP_ERROR instead of leaving the client waiting for a terminator forever.
func TestLifecycleDeleteDuringStream(t *testing.T) {
	ts := startServer(t, nil)
	s, err := ts.eng.Embed(search.EmbedSpec{Query: "tag=app", Tags: []string{"app"}, Start: base, End: base.Add(hour)})
	if err != nil {
		t.Fatal(err)
	}
	s.Result.Add([]wire.Entry{{TS: base.Add(time.Minute).UnixNano(), Data: []byte("one")}})
	c := dial(t, ts.url+"/api/ws/search", "attach", "PONG")
	ch := c.attachTo(s.ID).Subproto
	c.send(ch, map[string]any{"ID": 17, "Addendum": json.RawMessage(`{"st":1}`)})
	var b goEntriesResp
	c.recv(ch, &b)
	if b.ID != 17 || len(b.Entries) != 1 || b.Finished {
		t.Fatalf("first block: %+v", b)
	}
	// The stream now waits for more; delete the search under it.
	if code, body := httpDo(t, "DELETE", ts.srv.URL+"/api/searchctrl/"+s.ID, nil, nil); code != http.StatusOK {
		t.Fatalf("DELETE: %d %s", code, body)
	}
	var e goBase
	raw := c.recv(ch, &e)
	if e.ID != respError || !strings.Contains(e.Error, "deleted") || string(e.Addendum) != `{"st":1}` {
		t.Fatalf("stream of a deleted search ended with %s, want RESP_ERROR", raw)
	}
	// Nothing more on the channel for that stream; requests get the deleted error.
	c.do(ch, map[string]any{"ID": 3}, &e)
	if e.ID != respError || e.Error != "search has been deleted" {
		t.Fatalf("after: %+v", e)
	}
	c.closeOutput(ch)
	c.sync()
}

// TestLifecycleQueuedBeforeAck: requests sent on the output channel before the ACK are
// answered after it, in order (the JS client does not wait).
func TestLifecycleQueuedBeforeAck(t *testing.T) {
	ts := startServer(t, nil)
	gen := ingestApp(t, ts, "app", 30, time.Second)
	c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	r := c.launchNoAck(map[string]any{"SearchString": "tag=app"}, base, base.Add(hour))
	ch := r.OutputSearchSubproto
	reqs := []map[string]any{
		{"ID": 5, "Addendum": json.RawMessage(`{"n":1}`)},
		{"ID": 4, "Addendum": json.RawMessage(`{"n":2}`)},
		{"ID": 12345, "Addendum": json.RawMessage(`{"n":3}`)},
		{"ID": 3, "Addendum": json.RawMessage(`{"n":4}`)},
		{"ID": 2130706438, "Addendum": json.RawMessage(`{"n":5}`)},
	}
	for _, req := range reqs {
		c.send(ch, req)
	}
	c.send("PONG", map[string]any{})
	// Nothing is answered before the acknowledgement except the PONG.
	c.recv("PONG", nil)
	c.send("search", map[string]any{"OK": true, "OutputSearchSubproto": ch})
	for i, req := range reqs {
		var b goBase
		raw := c.recv(ch, &b)
		want := req["ID"].(int)
		if want == 12345 {
			want = respError
		}
		if int(b.ID) != want || string(b.Addendum) != string(req["Addendum"].(json.RawMessage)) {
			t.Fatalf("reply %d: %s, want ID %d", i, raw, want)
		}
	}
	c.sync()
	if got := c.waitDone(ch); got != 30 {
		t.Fatalf("EntryCount %d", got)
	}
	checkEntries(t, "after queued requests", c.pageAll(ch, 30, 30), gen, 0)
}

// TestLifecycleManySearchesOneSocket runs 20 searches on one socket, as the JS client's tests
// do, with requests pipelined across all their channels: every reply comes on its own channel
// with its own search's answer, in request order per channel.
func TestLifecycleManySearchesOneSocket(t *testing.T) {
	const n, k = 100, 20
	ts := startServer(t, nil)
	ingestApp(t, ts, "app", n, time.Second)
	c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	want := map[string]uint64{}
	var chans []string
	for i := 1; i <= k; i++ {
		r := c.launch("tag=app", base, base.Add(time.Duration(5*i)*time.Second))
		want[r.OutputSearchSubproto] = uint64(5 * i)
		chans = append(chans, r.OutputSearchSubproto)
	}
	for _, ch := range chans {
		c.waitDone(ch)
	}
	for round := 0; round < 3; round++ {
		for _, ch := range chans {
			c.send(ch, map[string]any{"ID": 3, "Addendum": map[string]any{"r": round}})
			c.send(ch, map[string]any{"ID": 16, "Addendum": map[string]any{"r": round}, "EntryRange": map[string]any{"First": 0, "Last": 1000}})
		}
	}
	next := map[string]int{} // per channel: index of the next expected reply
	for i := 0; i < 3*2*k; i++ {
		env, err := c.tryNext()
		if err != nil {
			t.Fatal(err)
		}
		w, ok := want[env.Type]
		if !ok {
			t.Fatalf("reply on %q", env.Type)
		}
		var p goEntriesResp
		if err := strictDecode(env.Data, &p); err != nil {
			t.Fatal(err)
		}
		j := next[env.Type]
		next[env.Type]++
		wantID := uint32(3)
		if j%2 == 1 {
			wantID = 16
		}
		if p.ID != wantID || p.EntryCount != w || string(p.Addendum) != `{"r":`+string(rune('0'+j/2))+`}` {
			t.Fatalf("%s reply %d: ID %d EntryCount %d Addendum %s, want ID %d count %d round %d", env.Type, j, p.ID, p.EntryCount, p.Addendum, wantID, w, j/2)
		}
		if wantID == 16 && uint64(len(p.Entries)) != w {
			t.Fatalf("%s: %d entries, want %d", env.Type, len(p.Entries), w)
		}
	}
	c.sync()
	if got := len(ts.list(t)); got != k {
		t.Fatalf("%d searches listed, want %d", got, k)
	}
	c.conn.Close()
	deadline := time.Now().Add(3 * time.Second)
	for len(ts.list(t)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d searches left after their socket closed", len(ts.list(t)))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
