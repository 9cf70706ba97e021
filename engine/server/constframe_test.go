package server

import (
	"bytes"
	"testing"

	"github.com/gobwas/ws"
)

// A constant frame is one unmasked final text frame holding exactly its message.
func TestConstFrames(t *testing.T) {
	for _, c := range []struct {
		f    *Frame
		want string
	}{
		{subsACK, `{"Resp":"ACK"}`},
		{NewEnvelopeFrame("PONG", []byte("{}")), `{"type":"PONG","data":{}}`},
		{NewFrame(bytes.Repeat([]byte("x"), 70000)), string(bytes.Repeat([]byte("x"), 70000))},
	} {
		r := bytes.NewReader(c.f.Bytes())
		h, err := ws.ReadHeader(r)
		if err != nil {
			t.Fatal(err)
		}
		if !h.Fin || h.OpCode != ws.OpText || h.Masked || h.Rsv != 0 || h.Length != int64(len(c.want)) {
			t.Fatalf("header %+v for %.40q", h, c.want)
		}
		if rest := c.f.Bytes()[len(c.f.Bytes())-r.Len():]; string(rest) != c.want {
			t.Fatalf("payload %.40q, want %.40q", rest, c.want)
		}
	}
}

// The Subs ACK and PONG replies arrive over a real connection as their constant frames.
func TestConstFramesOnTheWire(t *testing.T) {
	e := newEnv(t, Config{})
	r := e.rawDial(t, nil, nil)
	r.write(text(`{"Subs":["PONG"]}`))
	if got := r.readText(); got != `{"Resp":"ACK"}` {
		t.Fatalf("negotiation reply %q", got)
	}
	s := e.svc.waitOpen(t)
	pong := NewEnvelopeFrame("PONG", []byte("{}"))
	for range 3 {
		if err := s.SendFrame(pong); err != nil {
			t.Fatal(err)
		}
		if got := r.readText(); got != `{"type":"PONG","data":{}}` {
			t.Fatalf("PONG reply %q", got)
		}
	}
}
