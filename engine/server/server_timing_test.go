package server

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/sluicehq/sluice/wire"
)

func BenchmarkFrameInPlace(b *testing.B) {
	buf := append(make([]byte, wire.HeaderRoom), bytes.Repeat([]byte("x"), 1024)...)
	b.ReportAllocs()
	b.SetBytes(1024)
	for b.Loop() {
		if start := frameInPlace(buf, wire.HeaderRoom, ws.OpText, false); start != wire.HeaderRoom-4 {
			b.Fatal(start)
		}
	}
}

// BenchmarkFeedMessage parses one masked frame holding an envelope and dispatches it.
func BenchmarkFeedMessage(b *testing.B) {
	s, svc := offlineSession(b)
	in := make([]byte, len(benchFrame))
	b.ReportAllocs()
	b.SetBytes(int64(len(benchFrame)))
	for b.Loop() {
		copy(in, benchFrame)
		if code, reason := s.rd.feed(s, in); code != 0 {
			b.Fatal(reason)
		}
	}
	if svc.n == 0 {
		b.Fatal("no message dispatched")
	}
}

// BenchmarkSend1KB sends a 1 KB message to a connected socket whose peer drains it.
func BenchmarkSend1KB(b *testing.B) {
	for _, mode := range []struct {
		name     string
		portable bool
	}{{"epoll", false}, {"portable", true}} {
		b.Run(mode.name, func(b *testing.B) {
			e := newEnv(b, Config{Portable: mode.portable, MaxBacklogBytes: 64 << 20})
			r := e.rawDial(b, nil, nil)
			r.write(text(`{"Subs":["x"]}`))
			r.readText()
			r.c.SetDeadline(time.Time{})
			go drain(r.c)
			sess := e.svc.waitOpen(b)
			data := bytes.Repeat([]byte("x"), 1000)
			b.ReportAllocs()
			b.SetBytes(1024)
			for b.Loop() {
				m := wire.GetBuffer()
				m.B = wire.BeginMessage(m.B[:0], "x")
				m.B = append(m.B, '"')
				m.B = append(m.B, data...)
				m.B = append(m.B, '"')
				m.B = wire.EndMessage(m.B)
				if err := sess.Send(m); err != nil {
					b.Fatal(err)
				}
				if sess.Buffered() > 32<<20 {
					sess.WaitWritable(sess.Context(), 0)
				}
			}
		})
	}
}

// BenchmarkSendShared broadcasts one 1 KB message to 100 connected sessions per op.
func BenchmarkSendShared(b *testing.B) {
	const n = 100
	e := newEnv(b, Config{MaxBacklogBytes: 64 << 20})
	var sessions []*Session
	for i := 0; i < n; i++ {
		r := e.rawDial(b, nil, nil)
		r.write(text(`{"Subs":["x"]}`))
		r.readText()
		r.c.SetDeadline(time.Time{})
		go drain(r.c)
		sessions = append(sessions, e.svc.waitOpen(b))
	}
	payload := []byte(`{"type":"x","data":"` + string(bytes.Repeat([]byte("x"), 1000)) + `"}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(payload) * n))
	for b.Loop() {
		m := NewShared(payload)
		for _, s := range sessions {
			if err := s.SendShared(m); err != nil {
				b.Fatal(err)
			}
		}
		m.Release()
		if sessions[0].Buffered() > 32<<20 {
			sessions[0].WaitWritable(sessions[0].Context(), 0)
		}
	}
}

// BenchmarkKernelFloor100 writes the same 1 KB frame to 100 loopback sockets with plain
// net.Conn writes: the floor BenchmarkSendShared is measured against.
func BenchmarkKernelFloor100(b *testing.B) {
	const n = 100
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	var conns []net.Conn
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		go drain(c)
		s, err := ln.Accept()
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		conns = append(conns, s)
	}
	payload := []byte(`{"type":"x","data":"` + string(bytes.Repeat([]byte("x"), 1000)) + `"}`)
	msg := append(make([]byte, wire.HeaderRoom), payload...)
	start := frameInPlace(msg, wire.HeaderRoom, ws.OpText, false)
	b.ReportAllocs()
	b.SetBytes(int64(len(payload) * n))
	for b.Loop() {
		for _, c := range conns {
			if _, err := c.Write(msg[start:]); err != nil {
				b.Fatal(err)
			}
		}
	}
}
