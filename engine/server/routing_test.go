package server

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gorilla/websocket"
)

func TestNegotiationACKAndEcho(t *testing.T) {
	for _, portable := range []bool{false, true} {
		e := newEnv(t, Config{Portable: portable})
		c := e.dial(t, nil, nil)
		negotiate(t, c, "PONG", "parse", "PONG", "search")
		s := e.svc.waitOpen(t)
		if got := s.Channels(); !reflect.DeepEqual(got, []string{"PONG", "parse", "search"}) {
			t.Fatalf("channels %q (duplicates must collapse)", got)
		}
		writeMsg(t, c, `{"type":"PONG","data":{}}`)
		if got := readMsg(t, c); got != `{"type":"PONG","data":{}}` {
			t.Fatalf("echo %q", got)
		}
		// Keys are case-insensitive on input.
		writeMsg(t, c, `{"Type":"parse","DATA":{"SearchString":"tag=x"}}`)
		if got := readMsg(t, c); got != `{"type":"parse","data":{"SearchString":"tag=x"}}` {
			t.Fatalf("echo %q", got)
		}
		c.Close()
		waitFor(t, func() bool { return e.svc.closedCount() == 1 })
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition not reached in 5 s")
}

func TestNegotiationError(t *testing.T) {
	e := newEnv(t, Config{})
	for _, first := range []string{`{"Subs":[]}`, `{"x":1}`, `not json`, `{"Subs":"PONG"}`, `[1]`} {
		c := e.dial(t, nil, nil)
		writeMsg(t, c, first)
		if got := readMsg(t, c); got != `{"Resp":"ERROR"}` {
			t.Fatalf("%s: reply %q, want ERROR", first, got)
		}
		if code := expectClose(t, c); code != websocket.ClosePolicyViolation {
			t.Fatalf("%s: close code %d", first, code)
		}
	}
	if e.svc.closedCount() != 0 {
		t.Fatal("Closed called for sessions never opened")
	}
}

func TestNegotiationTimeout(t *testing.T) {
	e := newEnv(t, Config{NegotiationTimeout: 150 * time.Millisecond})
	c := e.dial(t, nil, nil)
	start := time.Now()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, msg, err := c.ReadMessage()
	if err == nil {
		t.Fatalf("got message %q before the timeout close", msg)
	}
	if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
		t.Fatalf("read error %v, want close 1008", err)
	}
	if d := time.Since(start); d < 100*time.Millisecond || d > 3*time.Second {
		t.Fatalf("closed after %v", d)
	}
	waitFor(t, func() bool { return e.srv.Stats().LimitHits >= 1 })
}

// Subs and messages sent in the same write as the handshake land in the HTTP server's
// buffer; they must be processed, in order, before anything read from the socket.
func TestMessagesBeforeACKInOrder(t *testing.T) {
	e := newEnv(t, Config{})
	extra := [][]byte{text(`{"Subs":["a","b"]}`)}
	for i := 0; i < 5; i++ {
		ch := "a"
		if i%2 == 1 {
			ch = "b"
		}
		extra = append(extra, text(`{"type":"`+ch+`","data":`+string(rune('0'+i))+`}`))
	}
	r := e.rawDial(t, nil, joinFrames(extra))
	if r.resp.StatusCode != 101 {
		t.Fatalf("status %d", r.resp.StatusCode)
	}
	if got := r.readText(); got != `{"Resp":"ACK"}` {
		t.Fatalf("first reply %q", got)
	}
	for i := 0; i < 5; i++ {
		ch := "a"
		if i%2 == 1 {
			ch = "b"
		}
		want := `{"type":"` + ch + `","data":` + string(rune('0'+i)) + `}`
		if got := r.readText(); got != want {
			t.Fatalf("reply %d = %q, want %q", i, got, want)
		}
	}
	// Gorilla client that does not wait for the ACK (like the JS client).
	c := e.dial(t, nil, nil)
	writeMsg(t, c, `{"Subs":["x"]}`)
	for i := 0; i < 20; i++ {
		writeMsg(t, c, `{"type":"x","data":`+itoa(i)+`}`)
	}
	if got := readMsg(t, c); got != `{"Resp":"ACK"}` {
		t.Fatalf("first reply %q", got)
	}
	for i := 0; i < 20; i++ {
		if got, want := readMsg(t, c), `{"type":"x","data":`+itoa(i)+`}`; got != want {
			t.Fatalf("reply %q, want %q", got, want)
		}
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	s := ""
	for ; i > 0; i /= 10 {
		s = string(rune('0'+i%10)) + s
	}
	return s
}

func joinFrames(fs [][]byte) []byte {
	var out []byte
	for _, f := range fs {
		out = append(out, f...)
	}
	return out
}

func TestEnvelopeRoutingDropsUnregistered(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.dial(t, nil, nil)
	negotiate(t, c, "PONG")
	s := e.svc.waitOpen(t)
	writeMsg(t, c, `{"type":"nope","data":{"x":1}}`)
	writeMsg(t, c, `{"type":"PONG"`) // malformed: dropped
	writeMsg(t, c, `[1,2]`)          // not an envelope: dropped
	writeMsg(t, c, `{"type":"PONG","data":{"n":1}}`)
	if got := readMsg(t, c); got != `{"type":"PONG","data":{"n":1}}` {
		t.Fatalf("got %q", got)
	}
	// Output channels come and go.
	s.AddChannel("out7")
	if !s.HasChannel("out7") {
		t.Fatal("AddChannel")
	}
	writeMsg(t, c, `{"type":"out7","data":[]}`)
	if got := readMsg(t, c); got != `{"type":"out7","data":[]}` {
		t.Fatalf("got %q", got)
	}
	s.RemoveChannel("out7")
	writeMsg(t, c, `{"type":"out7","data":[1]}`)
	writeMsg(t, c, `{"type":"PONG","data":2}`)
	if got := readMsg(t, c); got != `{"type":"PONG","data":2}` {
		t.Fatalf("got %q", got)
	}
	e.svc.mu.Lock()
	msgs := strings.Join(e.svc.msgs, "|")
	e.svc.mu.Unlock()
	if msgs != `PONG {"n":1}|out7 []|PONG 2` {
		t.Fatalf("service saw %q", msgs)
	}
}

func TestIdleTimeout(t *testing.T) {
	e := newEnv(t, Config{IdleTimeout: 600 * time.Millisecond})
	c := e.dial(t, nil, nil)
	negotiate(t, c, "PONG")
	// Activity re-arms the timer.
	for i := 0; i < 4; i++ {
		time.Sleep(100 * time.Millisecond)
		writeMsg(t, c, `{"type":"PONG","data":{}}`)
		readMsg(t, c)
	}
	start := time.Now()
	if code := expectClose(t, c); code != websocket.CloseNormalClosure {
		t.Fatalf("close code %d", code)
	}
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Fatalf("closed after %v, before the idle timeout", d)
	}
	waitFor(t, func() bool { return e.svc.closedCount() == 1 })
}

func TestSessionCloseAndContext(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.dial(t, nil, nil)
	negotiate(t, c, "PONG")
	s := e.svc.waitOpen(t)
	ctx := s.Context()
	s.SetValue(42)
	if s.Value() != 42 || s.ID() == 0 || s.RemoteAddr() == nil {
		t.Fatal("accessors")
	}
	s.Close(ws.StatusCode(4001), "bye")
	if code := expectClose(t, c); code != 4001 {
		t.Fatalf("close code %d", code)
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("context not done")
	}
	if err := s.sendBare(func(b []byte) []byte { return append(b, "{}"...) }); err != ErrClosed {
		t.Fatalf("Send after Close = %v", err)
	}
	waitFor(t, func() bool { return e.svc.closedCount() == 1 })
}
