package server

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestUpgradeRefusals(t *testing.T) {
	e := newEnv(t, Config{Tokens: []string{"tok1", "tok2"}, AllowedOrigins: []string{"https://gui.example.com"}, MaxConns: 2})
	get := func(path string, h http.Header) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", e.ts.URL+path, nil)
		for k, v := range h {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	if resp := get("/ws", nil); resp.StatusCode != 400 {
		t.Fatalf("plain GET: %d", resp.StatusCode)
	}
	if resp := get("/other", nil); resp.StatusCode != 404 {
		t.Fatalf("unknown path: %d", resp.StatusCode)
	}
	d := &websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	try := func(h http.Header) (*websocket.Conn, *http.Response, error) {
		c, resp, err := d.Dial(e.url, h)
		if c != nil {
			t.Cleanup(func() { c.Close() })
		}
		return c, resp, err
	}
	// Wrong or missing token: 401 with {"Error":...}.
	for _, h := range []http.Header{nil, {"Authorization": {"Bearer nope"}}, {"Gravwell-Token": {"tok"}}} {
		_, resp, err := try(h)
		if err == nil || resp == nil || resp.StatusCode != 401 {
			t.Fatalf("%v: %v %v", h, err, resp)
		}
		var body struct{ Error string }
		b, _ := io.ReadAll(resp.Body)
		if json.Unmarshal(b, &body) != nil || body.Error == "" {
			t.Fatalf("401 body %q", b)
		}
		if resp.Header.Get("WWW-Authenticate") == "" {
			t.Fatal("401 without WWW-Authenticate (RFC 9110 §15.5.2)")
		}
	}
	// Bad origin: 403.
	if _, resp, err := try(http.Header{"Gravwell-Token": {"tok1"}, "Origin": {"https://evil.example.com"}}); err == nil || resp.StatusCode != 403 {
		t.Fatalf("bad origin: %v %v", err, resp)
	}
	// Token as the websocket protocol: echoed exactly (first token).
	c1, resp, err := try(http.Header{"Sec-WebSocket-Protocol": {"tok2, other"}, "Origin": {"wss://GUI.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Values("Sec-WebSocket-Protocol"); len(got) != 1 || got[0] != "tok2" {
		t.Fatalf("protocol echo %q", got)
	}
	if c1.Subprotocol() != "tok2" {
		t.Fatalf("gorilla subprotocol %q", c1.Subprotocol())
	}
	// Gravwell-Token with an empty protocol header: no protocol in the response; origin = host.
	host := strings.TrimPrefix(e.ts.URL, "http://")
	c2, resp, err := try(http.Header{"Gravwell-Token": {"tok1"}, "Sec-WebSocket-Protocol": {""}, "Origin": {"ws://" + host}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := resp.Header["Sec-Websocket-Protocol"]; ok {
		t.Fatalf("protocol header present: %q", resp.Header)
	}
	// MaxConns (2) reached: 503.
	if _, resp, err := try(http.Header{"Authorization": {"Bearer tok1"}}); err == nil || resp.StatusCode != 503 {
		t.Fatalf("MaxConns: %v %v", err, resp)
	}
	negotiate(t, c1, "PONG")
	negotiate(t, c2, "PONG")
	c1.Close()
	waitFor(t, func() bool { return e.srv.NumSessions() == 1 })
	c3, _, err := try(http.Header{"Authorization": {"Bearer tok1"}})
	if err != nil {
		t.Fatalf("after a close: %v", err)
	}
	negotiate(t, c3, "PONG")
	st := e.srv.Stats()
	if st.UpgradesFailed != 7 || st.LimitHits != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestAnyOrigin(t *testing.T) {
	e := newEnv(t, Config{AllowedOrigins: []string{"*"}})
	c := e.dial(t, nil, http.Header{"Origin": {"https://anything.example"}})
	negotiate(t, c, "PONG")
}

func TestCheckListen(t *testing.T) {
	f := func(addr string, tokens []string, ok bool) {
		t.Helper()
		err := CheckListen(addr, tokens)
		if (err == nil) != ok {
			t.Fatalf("CheckListen(%q, %q) = %v", addr, tokens, err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "access: ") {
			t.Fatalf("error %q lacks prefix", err)
		}
	}
	f("127.0.0.1:8080", nil, true)
	f("[::1]:8080", nil, true)
	f("localhost:80", nil, true)
	f(":8080", nil, false)
	f("0.0.0.0:8080", nil, false)
	f("192.168.1.2:8080", nil, false)
	f(":8080", []string{"t"}, true)
	f("nonsense", nil, false)
}

func TestCompressionModeText(t *testing.T) {
	var m CompressionMode
	for in, want := range map[string]bool{"on": true, "false": false, "": true, "YES": true, "0": false} {
		if err := m.UnmarshalText([]byte(in)); err != nil || m.Enabled() != want {
			t.Fatalf("%q: %v %v", in, m, err)
		}
	}
	if err := json.Unmarshal([]byte(`false`), &m); err != nil || m.Enabled() {
		t.Fatalf("json false: %v %v", m, err)
	}
	if err := m.UnmarshalText([]byte("maybe")); err == nil {
		t.Fatal("accepted maybe")
	}
}
