//go:build !race

package server

import (
	"bytes"
	"testing"

	"github.com/gobwas/ws"
	"github.com/sluicehq/sluice/wire"
)

func TestFrameInPlaceNoAllocs(t *testing.T) {
	buf := append(make([]byte, wire.HeaderRoom), bytes.Repeat([]byte("x"), 70000)...)
	if n := testing.AllocsPerRun(100, func() { frameInPlace(buf, wire.HeaderRoom, ws.OpText, true) }); n != 0 {
		t.Fatalf("frameInPlace allocates %v times", n)
	}
}

func TestFeedMessageNoAllocs(t *testing.T) {
	s, _ := offlineSession(t)
	in := make([]byte, len(benchFrame))
	run := func() {
		copy(in, benchFrame)
		if code, reason := s.rd.feed(s, in); code != 0 {
			t.Fatal(reason)
		}
	}
	run()
	if n := testing.AllocsPerRun(200, run); n != 0 {
		t.Fatalf("parsing and dispatching a message allocates %v times", n)
	}
	// A message split across two reads uses a pooled buffer, also without allocating.
	split := func() {
		copy(in, benchFrame)
		s.rd.feed(s, in[:10])
		s.rd.feed(s, in[10:])
	}
	split()
	if n := testing.AllocsPerRun(200, split); n != 0 {
		t.Fatalf("a split message allocates %v times", n)
	}
}

// Sending a constant frame (the PONG reply) builds nothing.
func TestSendFrameNoAllocs(t *testing.T) {
	e := newEnv(t, Config{})
	r := e.rawDial(t, nil, nil)
	r.write(text(`{"Subs":["PONG"]}`))
	r.readText()
	s := e.svc.waitOpen(t)
	pong := NewEnvelopeFrame("PONG", []byte("{}"))
	n := testing.AllocsPerRun(100, func() {
		if err := s.SendFrame(pong); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Fatalf("SendFrame allocates %v times", n)
	}
}
