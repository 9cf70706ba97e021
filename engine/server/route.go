package server

import (
	"sync"
	"unicode/utf8"

	"github.com/gobwas/ws"
	"github.com/sluicehq/sluice/wire"
	"github.com/valyala/fastjson"
)

// scratch is the per-message parsing state, pooled so that no session holds parser memory
// while idle and no message allocates.
type scratch struct {
	env wire.EnvelopeParser
	e   wire.Envelope
	p   fastjson.Parser
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// message handles one complete data message: decompression, UTF-8 check for text, then the
// routing protocol (PROTOCOL.md §1.4, §1.5). Binary messages are parsed like text (§1.3).
func (s *Session) message(op ws.OpCode, comp bool, p []byte) (ws.StatusCode, string) {
	if s.state.Load() >= stClosing {
		return 0, "" // closing: input is discarded until the peer's close frame
	}
	if comp {
		out := wire.GetBuffer()
		var err error
		out.B, err = inflate(out.B[:0], p, s.srv.cfg.MaxMessageSize)
		if err != nil {
			wire.PutBuffer(out)
			if err == errInflateTooBig {
				return ws.StatusMessageTooBig, reasonMessageTooBig
			}
			return ws.StatusInvalidFramePayloadData, reasonDeflate
		}
		defer wire.PutBuffer(out)
		p = out.B
	}
	if op == ws.OpText && !utf8.Valid(p) {
		return ws.StatusInvalidFramePayloadData, reasonUTF8
	}
	s.srv.m.msgsIn.Add(1)
	s.lastRead.Store(netpollNow())
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	if s.state.Load() == stNegotiating {
		s.negotiate(sc, p)
		return 0, ""
	}
	if err := sc.env.Parse(p, &sc.e); err != nil {
		s.srv.m.dropped.WithLabelValues("malformed").Inc()
		s.srv.logs.log(s.srv.log, levelDebug, "envelope", "server: dropped malformed message",
			"session", s.id, "err", err.Error())
		return 0, ""
	}
	ch, ok := s.channelBytes(sc.e.Type)
	if !ok {
		s.srv.m.dropped.WithLabelValues("unregistered").Inc()
		return 0, ""
	}
	s.svc.Message(s, ch, sc.e.Data)
	return 0, ""
}

// negotiate handles the first message: {"Subs":[...]} → ACK and Service.Open, anything else
// → ERROR and close (PROTOCOL.md §1.4).
func (s *Session) negotiate(sc *scratch, p []byte) {
	names, err := wire.ParseSubs(&sc.p, p, nil)
	if err != nil {
		s.srv.m.upgradeFailed.WithLabelValues("subs").Inc()
		s.srv.logs.log(s.srv.log, levelInfo, "subs", "server: negotiation failed",
			"session", s.id, "remote", s.conn.RemoteAddr().String(), "err", err.Error())
		s.sendBare(wire.AppendSubsError)
		s.closeWith(ws.StatusPolicyViolation, "invalid Subs message", false, nil)
		return
	}
	s.chans.Store(&names)
	if !s.state.CompareAndSwap(stNegotiating, stOpen) {
		return // the negotiation deadline passed meanwhile
	}
	s.SendFrame(subsACK)
	s.opened = true
	s.svc.Open(s, names)
}
