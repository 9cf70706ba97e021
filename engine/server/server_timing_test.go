package server

import (
	"bytes"
	"net"
	"strconv"
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

// broadcastSizes are the session counts of BenchmarkSendShared and BenchmarkKernelFloor.
var broadcastSizes = []int{100, 1000}

// BenchmarkSendShared broadcasts one 1 KB message to n connected sessions per op (a stats
// broadcast: one Shared, one SendShared per session, from one goroutine), for n in
// broadcastSizes. Each client drains its socket on its own goroutine in this process.
func BenchmarkSendShared(b *testing.B) {
	for _, n := range broadcastSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) { benchSendShared(b, n) })
	}
}

func benchSendShared(b *testing.B, n int) {
	e := newEnv(b, Config{MaxBacklogBytes: 64 << 20})
	sessions := make([]*Session, 0, n)
	for range n {
		r := e.rawDial(b, nil, nil)
		r.write(text(`{"Subs":["x"]}`))
		r.readText()
		r.c.SetDeadline(time.Time{})
		go drain(r.c)
		sessions = append(sessions, e.svc.waitOpen(b))
	}
	payload := broadcastPayload()
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

// BenchmarkKernelFloor writes the same 1 KB frame to n loopback sockets with plain net.Conn
// writes, for n in broadcastSizes: the floor BenchmarkSendShared is measured against, with
// the readers draining in this process as there.
func BenchmarkKernelFloor(b *testing.B) {
	for _, n := range broadcastSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) { benchKernelFloor(b, n) })
	}
}

func benchKernelFloor(b *testing.B, n int) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	conns := make([]net.Conn, 0, n)
	for range n {
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
	payload := broadcastPayload()
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
