package server

import (
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestBroadcast1000(t *testing.T) {
	if testing.Short() {
		t.Skip("1000 connections")
	}
	e := newEnv(t, Config{})
	const n = 1000
	conns := make([]*websocket.Conn, 0, n)
	d := &websocket.Dialer{HandshakeTimeout: 5 * time.Second, ReadBufferSize: 512, WriteBufferSize: 512}
	for i := 0; i < n; i++ {
		c, _, err := d.Dial(e.url, http.Header{})
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		defer c.Close()
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if err := c.WriteMessage(websocket.TextMessage, []byte(`{"Subs":["ping","sysStats"]}`)); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	sessions := make([]*Session, 0, n)
	for i := 0; i < n; i++ {
		sessions = append(sessions, e.svc.waitOpen(t))
	}
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, b, err := c.ReadMessage(); err != nil || string(b) != `{"Resp":"ACK"}` {
			t.Fatalf("conn %d: %q %v", i, b, err)
		}
	}
	for round := 0; round < 2; round++ {
		payload := []byte(`{"type":"ping","data":{"round":` + itoa(round) + `}}`)
		m := NewShared(payload)
		for _, s := range sessions {
			if err := s.SendShared(m); err != nil {
				t.Fatal(err)
			}
		}
		m.Release()
		for i, c := range conns {
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, b, err := c.ReadMessage()
			if err != nil || string(b) != string(payload) {
				t.Fatalf("round %d conn %d: %q %v", round, i, b, err)
			}
		}
	}
	if got := e.srv.NumSessions(); got != n {
		t.Fatalf("%d sessions", got)
	}
}
