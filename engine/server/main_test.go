package server

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sluicehq/sluice/wire"
)

func TestMain(m *testing.M) {
	before := runtime.NumGoroutine()
	code := m.Run()
	// The fuzzing engine leaves its own signal goroutine running: check only plain test runs.
	fuzzing := flag.Lookup("test.fuzz") != nil && flag.Lookup("test.fuzz").Value.String() != ""
	if code == 0 && !fuzzing {
		http.DefaultClient.CloseIdleConnections()
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<20)
			os.Stderr.Write(buf[:runtime.Stack(buf, true)])
			fmt.Fprintf(os.Stderr, "server: %d goroutines leaked\n", n-before)
			code = 1
		}
	}
	os.Exit(code)
}

// echoSvc echoes every message on its channel and records what happened.
type echoSvc struct {
	mu       sync.Mutex
	sessions []*Session
	subs     [][]string
	msgs     []string // "channel data"
	closed   int
	opened   chan *Session
	onMsg    func(sess *Session, channel string, data []byte) bool // true: handled
}

func newEchoSvc() *echoSvc { return &echoSvc{opened: make(chan *Session, 4096)} }

func (e *echoSvc) Open(sess *Session, subs []string) {
	e.mu.Lock()
	e.sessions = append(e.sessions, sess)
	e.subs = append(e.subs, subs)
	e.mu.Unlock()
	e.opened <- sess
}

func (e *echoSvc) Message(sess *Session, channel string, data []byte) {
	e.mu.Lock()
	e.msgs = append(e.msgs, channel+" "+string(data))
	e.mu.Unlock()
	if e.onMsg != nil && e.onMsg(sess, channel, data) {
		return
	}
	b := wire.GetBuffer()
	b.B = wire.BeginMessage(b.B[:0], channel)
	b.B = append(b.B, data...)
	b.B = wire.EndMessage(b.B)
	sess.Send(b)
}

func (e *echoSvc) Closed(sess *Session) {
	e.mu.Lock()
	e.closed++
	e.mu.Unlock()
}

func (e *echoSvc) closedCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.closed
}

func (e *echoSvc) waitOpen(t testing.TB) *Session {
	t.Helper()
	select {
	case s := <-e.opened:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("no session opened")
		return nil
	}
}

type testEnv struct {
	logs *syncBuf
	srv  *Server
	svc  *echoSvc
	ts   *httptest.Server
	url  string // ws://host/ws
	reg  *prometheus.Registry
}

func newEnv(t testing.TB, cfg Config) *testEnv {
	t.Helper()
	reg := prometheus.NewRegistry()
	logs := &syncBuf{}
	srv, err := New(cfg, slog.New(slog.NewTextHandler(logs, nil)), reg)
	if err != nil {
		t.Fatal(err)
	}
	svc := newEchoSvc()
	srv.Handle("/ws", svc)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if n := srv.NumSessions(); n != 0 {
			t.Errorf("%d sessions left after Close", n)
		}
	})
	return &testEnv{logs: logs, srv: srv, svc: svc, ts: ts, url: "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws", reg: reg}
}

// dial connects with gorilla/websocket.
func (e *testEnv) dial(t *testing.T, d *websocket.Dialer, h http.Header) *websocket.Conn {
	t.Helper()
	if d == nil {
		d = &websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	}
	c, resp, err := d.Dial(e.url, h)
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, resp)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func readMsg(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	typ, b, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if typ != websocket.TextMessage {
		t.Fatalf("server sent message type %d, want text", typ)
	}
	return string(b)
}

func writeMsg(t *testing.T, c *websocket.Conn, s string) {
	t.Helper()
	c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := c.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// negotiate sends Subs and expects the ACK.
func negotiate(t *testing.T, c *websocket.Conn, subs ...string) {
	t.Helper()
	b, _ := json.Marshal(map[string][]string{"Subs": subs})
	writeMsg(t, c, string(b))
	if got := readMsg(t, c); got != `{"Resp":"ACK"}` {
		t.Fatalf("negotiation reply %q", got)
	}
}

// expectClose reads until a close error and returns its code.
func expectClose(t *testing.T, c *websocket.Conn) int {
	t.Helper()
	for i := 0; i < 10000; i++ {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		t.Fatalf("read ended without a close frame: %v", err)
	}
	t.Fatal("no close")
	return 0
}

// raw is a hand-driven websocket client over net.Conn.
type raw struct {
	t    testing.TB
	c    net.Conn
	br   *bufio.Reader
	resp *http.Response
}

// rawDial performs the upgrade by hand; extra is appended right after the request (bytes a
// client sends before reading the 101). It returns the raw client and the response.
func (e *testEnv) rawDial(t testing.TB, hdr http.Header, extra []byte) *raw {
	t.Helper()
	return e.rawDialWith(t, &net.Dialer{}, hdr, extra)
}

// smallRcvBuf dials with a 4 KiB receive buffer, set before connecting.
var smallRcvBuf = &net.Dialer{Control: func(network, address string, c syscall.RawConn) error {
	return c.Control(setSmallRcvBuf)
}}

func (e *testEnv) rawDialWith(t testing.TB, d *net.Dialer, hdr http.Header, extra []byte) *raw {
	t.Helper()
	c, err := d.Dial("tcp", e.ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	var key [16]byte
	rand.Read(key[:])
	var req bytes.Buffer
	fmt.Fprintf(&req, "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n",
		e.ts.Listener.Addr(), base64.StdEncoding.EncodeToString(key[:]))
	for k, vs := range hdr {
		for _, v := range vs {
			fmt.Fprintf(&req, "%s: %s\r\n", k, v)
		}
	}
	req.WriteString("\r\n")
	req.Write(extra)
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(req.Bytes()); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &raw{t: t, c: c, br: br, resp: resp}
}

// frame builds a client frame; masked unless unmasked is set.
func frame(fin bool, op ws.OpCode, payload []byte, rsv byte, unmasked bool) []byte {
	h := ws.Header{Fin: fin, OpCode: op, Length: int64(len(payload)), Rsv: rsv, Masked: !unmasked}
	var buf bytes.Buffer
	p := bytes.Clone(payload)
	if !unmasked {
		h.Mask = ws.NewMask()
		ws.Cipher(p, h.Mask, 0)
	}
	ws.WriteHeader(&buf, h)
	buf.Write(p)
	return buf.Bytes()
}

func text(s string) []byte { return frame(true, ws.OpText, []byte(s), 0, false) }

func (r *raw) write(b ...[]byte) {
	r.t.Helper()
	r.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.c.Write(bytes.Join(b, nil)); err != nil {
		r.t.Fatalf("raw write: %v", err)
	}
}

// read returns the next server frame.
func (r *raw) read() ws.Frame {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	h, err := ws.ReadHeader(r.br)
	if err != nil {
		r.t.Fatalf("raw read: %v", err)
	}
	if h.Masked {
		r.t.Fatal("server frame is masked")
	}
	if h.Length > 64<<20 {
		r.t.Fatalf("raw read: frame of %d bytes", h.Length)
	}
	f := ws.Frame{Header: h, Payload: make([]byte, h.Length)}
	if _, err := io.ReadFull(r.br, f.Payload); err != nil {
		r.t.Fatalf("raw read payload: %v", err)
	}
	return f
}

func (r *raw) readText() string {
	r.t.Helper()
	f := r.read()
	if f.Header.OpCode != ws.OpText || !f.Header.Fin {
		r.t.Fatalf("frame %+v %q, want a final text frame", f.Header, f.Payload)
	}
	return string(f.Payload)
}

// readClose reads frames until a close frame and returns its code.
func (r *raw) readClose() ws.StatusCode {
	r.t.Helper()
	for i := 0; i < 1000; i++ {
		f := r.read()
		if f.Header.OpCode == ws.OpClose {
			if len(f.Payload) < 2 {
				return 0
			}
			return ws.StatusCode(binary.BigEndian.Uint16(f.Payload))
		}
	}
	r.t.Fatal("no close frame")
	return 0
}

// expectEOF checks the server closes the TCP connection.
func (r *raw) expectEOF() {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := io.Copy(io.Discard, r.br)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		r.t.Fatal("server did not close the connection")
	}
}

// syncBuf is a goroutine-safe log sink.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
