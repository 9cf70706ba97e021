package server

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/gobwas/ws"
)

func rawNegotiated(t *testing.T, e *testEnv) *raw {
	t.Helper()
	r := e.rawDial(t, nil, nil)
	if r.resp.StatusCode != 101 {
		t.Fatalf("status %d", r.resp.StatusCode)
	}
	r.write(text(`{"Subs":["PONG","x"]}`))
	if got := r.readText(); got != `{"Resp":"ACK"}` {
		t.Fatalf("reply %q", got)
	}
	return r
}

func TestPingPong(t *testing.T) {
	e := newEnv(t, Config{})
	r := rawNegotiated(t, e)
	r.write(frame(true, ws.OpPing, []byte("hi"), 0, false))
	f := r.read()
	if f.Header.OpCode != ws.OpPong || string(f.Payload) != "hi" {
		t.Fatalf("got %+v %q, want pong hi", f.Header, f.Payload)
	}
	// A ping split across two writes (header, then payload) still gets its pong.
	p := frame(true, ws.OpPing, []byte("split"), 0, false)
	r.write(p[:3])
	r.write(p[3:])
	if f := r.read(); f.Header.OpCode != ws.OpPong || string(f.Payload) != "split" {
		t.Fatalf("got %+v %q", f.Header, f.Payload)
	}
}

func TestCloseEcho(t *testing.T) {
	e := newEnv(t, Config{})
	r := rawNegotiated(t, e)
	body := binary.BigEndian.AppendUint16(nil, 1000)
	r.write(frame(true, ws.OpClose, append(body, "bye"...), 0, false))
	if code := r.readClose(); code != 1000 {
		t.Fatalf("echoed code %d", code)
	}
	r.c.Close() // the peer closes its side; the server then ends the session
	waitFor(t, func() bool { return e.svc.closedCount() == 1 })
}

func TestFragmentedWithPingBetween(t *testing.T) {
	e := newEnv(t, Config{})
	r := rawNegotiated(t, e)
	r.write(
		frame(false, ws.OpText, []byte(`{"type":"x",`), 0, false),
		frame(true, ws.OpPing, []byte("p"), 0, false),
		frame(false, ws.OpContinuation, []byte(`"data":{"k":`), 0, false),
	)
	if f := r.read(); f.Header.OpCode != ws.OpPong {
		t.Fatalf("got %+v, want pong between fragments", f.Header)
	}
	last := frame(true, ws.OpContinuation, []byte(`"vé"}}`), 0, false)
	r.write(last[:4]) // split inside the header and payload
	r.write(last[4:])
	if got := r.readText(); got != `{"type":"x","data":{"k":"vé"}}` {
		t.Fatalf("reassembled %q", got)
	}
}

func TestBinaryFrameAccepted(t *testing.T) {
	e := newEnv(t, Config{})
	r := rawNegotiated(t, e)
	r.write(frame(true, ws.OpBinary, []byte(`{"type":"x","data":1}`), 0, false))
	if got := r.readText(); got != `{"type":"x","data":1}` {
		t.Fatalf("got %q", got)
	}
}

func TestProtocolViolations(t *testing.T) {
	e := newEnv(t, Config{MaxFrameSize: 1 << 16, MaxMessageSize: 1 << 17})
	bigHeader := func(op ws.OpCode, n int64) []byte {
		var b bytes.Buffer
		ws.WriteHeader(&b, ws.Header{Fin: true, OpCode: op, Length: n, Masked: true, Mask: ws.NewMask()})
		return b.Bytes() // header only: the payload is never sent
	}
	cases := []struct {
		name string
		in   []byte
		want ws.StatusCode
	}{
		{"unmasked", frame(true, ws.OpText, []byte(`{}`), 0, true), ws.StatusProtocolError},
		{"rsv1 without deflate", frame(true, ws.OpText, []byte(`{}`), 4, false), ws.StatusProtocolError},
		{"rsv2", frame(true, ws.OpText, []byte(`{}`), 2, false), ws.StatusProtocolError},
		{"reserved opcode", frame(true, ws.OpCode(3), []byte(`{}`), 0, false), ws.StatusProtocolError},
		{"fragmented ping", frame(false, ws.OpPing, nil, 0, false), ws.StatusProtocolError},
		{"long ping", frame(true, ws.OpPing, make([]byte, 126), 0, false), ws.StatusProtocolError},
		{"lone continuation", frame(true, ws.OpContinuation, []byte(`{}`), 0, false), ws.StatusProtocolError},
		{"interleaved", append(frame(false, ws.OpText, []byte(`{`), 0, false), frame(true, ws.OpText, []byte(`{}`), 0, false)...), ws.StatusProtocolError},
		{"invalid utf8", frame(true, ws.OpText, []byte("{\"type\":\"\xff\"}"), 0, false), ws.StatusInvalidFramePayloadData},
		{"bad close code", frame(true, ws.OpClose, []byte{0x03, 0xe7}, 0, false), ws.StatusProtocolError},
		{"oversized frame", bigHeader(ws.OpText, 1<<20), ws.StatusMessageTooBig},
		{"oversized message", append(frame(false, ws.OpText, make([]byte, 1<<16), 0, false), bigHeader(ws.OpContinuation, 1<<16+1)...), ws.StatusMessageTooBig},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rawNegotiated(t, e)
			r.write(tc.in)
			if got := r.readClose(); got != tc.want {
				t.Fatalf("close code %d, want %d", got, tc.want)
			}
			r.expectEOF()
		})
	}
	// The server survived all of it.
	r := rawNegotiated(t, e)
	r.write(text(`{"type":"x","data":0}`))
	if got := r.readText(); got != `{"type":"x","data":0}` {
		t.Fatalf("got %q", got)
	}
}
