package server

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"

	"github.com/gobwas/ws"
	"github.com/sluicehq/sluice/engine/access"
	"github.com/sluicehq/sluice/engine/netpoll"
	"github.com/sluicehq/sluice/wire"
)

const levelInfo = slog.LevelInfo

// Session states.
const (
	stNegotiating int32 = iota // waiting for {"Subs":[...]}
	stOpen                     // negotiated
	stClosing                  // close started: Send fails, waiting for the peer or the abort
	stClosed                   // the connection ended (OnClose ran)
)

// Session is one routing websocket connection. Its methods are safe for concurrent use.
// A Session costs a few hundred bytes while idle: no goroutine, no buffer.
type Session struct {
	srv     *Server
	svc     Service
	conn    netpoll.Conn // set by OnOpen before any other callback
	id      uint64
	path    string
	deflate bool
	slot    int // index in srv.sessions, under srv.mu
	who     *access.Principal
	key     string // access.LimitKey, for MaxConnsPerPrincipal

	state      atomic.Int32
	opened     bool // Open was called (worker only)
	created    int64
	lastRead   atomic.Int64
	closeStart atomic.Int64

	rd frameReader // worker only

	chans atomic.Pointer[[]string] // copy-on-write channel list

	mu     sync.Mutex // guards the fields below
	ctx    context.Context
	cancel context.CancelFunc
	value  any
	cause  error // why the session closed, for WaitWritable
}

func (s *Server) newSession(svc Service, path string, deflate bool, who *access.Principal) *Session {
	sess := &Session{
		srv:     s,
		svc:     svc,
		id:      s.nextID.Add(1),
		path:    path,
		deflate: deflate,
		who:     who,
		created: netpoll.Now(),
		slot:    -1,
	}
	sess.lastRead.Store(sess.created)
	return sess
}

// ID returns the session's server-unique identifier.
func (s *Session) ID() uint64 { return s.id }

// Principal returns who opened the session (access.Local in loopback mode); never nil for a
// session the server upgraded.
func (s *Session) Principal() *access.Principal { return s.who }

// principalName names the session's principal in logs (never its token).
func (s *Session) principalName() string {
	if s.who == nil {
		return ""
	}
	return s.who.Name
}

// Path returns the URL path the session was upgraded on.
func (s *Session) Path() string { return s.path }

// RemoteAddr returns the peer's address.
func (s *Session) RemoteAddr() net.Addr { return s.conn.RemoteAddr() }

// Compressed reports whether permessage-deflate was negotiated.
func (s *Session) Compressed() bool { return s.deflate }

// SetValue stores per-service state on the session.
func (s *Session) SetValue(v any) {
	s.mu.Lock()
	s.value = v
	s.mu.Unlock()
}

// Value returns what SetValue stored.
func (s *Session) Value() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.value
}

// Context returns a context that is done when the session closes. It is created on first use.
func (s *Session) Context() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		s.ctx, s.cancel = context.WithCancel(context.Background())
		if s.state.Load() >= stClosing {
			s.cancel()
		}
	}
	return s.ctx
}

// Buffered returns the bytes queued for the peer and not yet written.
func (s *Session) Buffered() int { return s.conn.Buffered() }

// AddChannel registers name as a channel of the session: inbound messages of that type are
// passed to Service.Message.
func (s *Session) AddChannel(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.channels()
	for _, c := range old {
		if c == name {
			return
		}
	}
	next := make([]string, len(old), len(old)+1)
	copy(next, old)
	next = append(next, name)
	s.chans.Store(&next)
}

// RemoveChannel deregisters name.
func (s *Session) RemoveChannel(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.channels()
	for i, c := range old {
		if c == name {
			next := make([]string, 0, len(old)-1)
			next = append(next, old[:i]...)
			next = append(next, old[i+1:]...)
			s.chans.Store(&next)
			return
		}
	}
}

// HasChannel reports whether name is a registered channel.
func (s *Session) HasChannel(name string) bool {
	_, ok := s.channel(name)
	return ok
}

// Channels returns a copy of the registered channel names.
func (s *Session) Channels() []string { return append([]string(nil), s.channels()...) }

func (s *Session) channels() []string {
	if p := s.chans.Load(); p != nil {
		return *p
	}
	return nil
}

// channel returns the registered name equal to b.
func (s *Session) channel(b string) (string, bool) {
	for _, c := range s.channels() {
		if c == b {
			return c, true
		}
	}
	return "", false
}

// channelBytes returns the registered name equal to b, without allocating.
func (s *Session) channelBytes(b []byte) (string, bool) {
	for _, c := range s.channels() {
		if c == string(b) {
			return c, true
		}
	}
	return "", false
}

// Send queues b as one text message and takes ownership of b (it returns to the pool once
// written). b.B must be built with wire.BeginMessage/EndMessage or wire.BeginBare: its first
// wire.HeaderRoom bytes are spare room where the frame header is written in place, so the
// frame goes out with one write and no copy. On a deflate session payloads of at least
// CompressThreshold bytes are compressed. Send never blocks: what the socket does not take is
// queued; if the queue would pass MaxBacklogBytes the session is closed with 1008 and
// ErrBacklogFull returned. After close it returns ErrClosed.
func (s *Session) Send(b *wire.Buffer) error {
	if s.state.Load() >= stClosing {
		wire.PutBuffer(b)
		return ErrClosed
	}
	if len(b.B) < wire.HeaderRoom {
		panic("BUG: server: Send buffer lacks wire.HeaderRoom (use wire.BeginMessage or wire.BeginBare)")
	}
	payload := len(b.B) - wire.HeaderRoom
	rsv1 := false
	if s.deflate && payload >= s.srv.cfg.CompressThreshold {
		c := wire.GetBuffer()
		c.B = append(c.B[:0], room[:]...)
		var err error
		c.B, err = compress(c.B, b.B[wire.HeaderRoom:], s.srv.cfg.CompressLevel)
		if err == nil && len(c.B)-wire.HeaderRoom < payload {
			wire.PutBuffer(b)
			b, rsv1 = c, true
		} else {
			wire.PutBuffer(c)
		}
	}
	start := frameInPlace(b.B, wire.HeaderRoom, ws.OpText, rsv1)
	return s.write(b.B[start:], (*ownedBuf)(b))
}

// SendShared queues the shared message m (see NewShared), holding a reference to it until
// written. Like Send it never blocks and fails with ErrBacklogFull or ErrClosed.
func (s *Session) SendShared(m *Shared) error {
	if s.state.Load() >= stClosing {
		return ErrClosed
	}
	frame := m.frame(s.deflate && m.size >= s.srv.cfg.CompressThreshold, s.srv.cfg.CompressLevel)
	m.refs.Add(1)
	return s.write(frame, m)
}

func (s *Session) write(frame []byte, owner netpoll.Releaser) error {
	n := len(frame)
	switch err := s.conn.Write(frame, owner); err {
	case nil:
		s.srv.m.msgsOut.Add(1)
		s.srv.m.bytesOut.Add(uint64(n))
		return nil
	case netpoll.ErrBacklogFull:
		s.backlogFull()
		return ErrBacklogFull
	default:
		return ErrClosed
	}
}

// sendControl writes a control frame unless the write side is closed.
func (s *Session) sendControl(op ws.OpCode, payload []byte) {
	b, start := controlFrame(op, payload)
	s.conn.Write(b.B[start:], (*ownedBuf)(b))
}

// sendBare sends a bare (non-enveloped) message built by fn.
func (s *Session) sendBare(fn func([]byte) []byte) error {
	b := wire.GetBuffer()
	b.B = fn(wire.BeginBare(b.B[:0]))
	return s.Send(b)
}

func (s *Session) backlogFull() {
	srv := s.srv
	srv.m.backlogCloses.Add(1)
	srv.limit("MaxBacklogBytes", int64(srv.cfg.MaxBacklogBytes), "session", s.id, "remote", s.conn.RemoteAddr().String())
	s.closeWith(ws.StatusPolicyViolation, "MaxBacklogBytes exceeded", true, ErrBacklogFull)
}

// WaitWritable blocks until at most maxBacklog bytes are queued for the peer: streaming
// producers call it between chunks for flow control. It returns ctx's error, ErrClosed when
// the session closes, or ErrWriteStalled when it was cut off after WriteStallTimeout without
// progress.
func (s *Session) WaitWritable(ctx context.Context, maxBacklog int) error {
	if s.state.Load() >= stClosing {
		return s.closeCause()
	}
	err := s.conn.WaitBuffered(ctx, maxBacklog)
	if err == netpoll.ErrClosed {
		return s.closeCause()
	}
	return err
}

func (s *Session) closeCause() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cause == ErrWriteStalled {
		return ErrWriteStalled
	}
	return ErrClosed
}

// Close starts the close handshake with code and reason (cut to fit a control frame): frames
// already queued are sent first, then the close frame; the connection ends when the peer
// answers or after CloseTimeout. Send fails from now on and Context is done.
func (s *Session) Close(code ws.StatusCode, reason string) {
	s.closeWith(code, reason, false, nil)
}

// beginClose moves the session to closing; false when it already was.
func (s *Session) beginClose(cause error) bool {
	for {
		st := s.state.Load()
		if st >= stClosing {
			return false
		}
		if s.state.CompareAndSwap(st, stClosing) {
			break
		}
	}
	s.closeStart.Store(netpoll.Now())
	s.mu.Lock()
	if s.cause == nil {
		s.cause = cause
	}
	if s.cancel != nil {
		s.cancel()
	}
	s.mu.Unlock()
	return true
}

// closeWith sends a close frame (after the queued output, or, with discard, after only the
// frame being written) and shuts the write side down.
func (s *Session) closeWith(code ws.StatusCode, reason string, discard bool, cause error) {
	if !s.beginClose(cause) {
		return
	}
	var p [125]byte
	b, start := controlFrame(ws.OpClose, closePayload(p[:0], code, reason))
	s.srv.m.closeCode(uint16(code))
	s.conn.Shutdown(b.B[start:], (*ownedBuf)(b), discard)
}

// abort ends the connection without a close handshake.
func (s *Session) abort(cause error) {
	s.beginClose(cause)
	s.conn.Abort(cause)
}

// check runs on the sweeper: deadlines for negotiation, idleness, write stalls and the close
// handshake.
func (s *Session) check(now int64) {
	cfg := &s.srv.cfg
	switch s.state.Load() {
	case stNegotiating:
		if now-s.created > int64(cfg.NegotiationTimeout) {
			s.srv.limit("NegotiationTimeout", int64(cfg.NegotiationTimeout), "session", s.id, "remote", s.conn.RemoteAddr().String())
			// No {"Resp":...} reply (PROTOCOL.md §1.4 rule 3); the websocket close frame says why.
			s.closeWith(ws.StatusPolicyViolation, "NegotiationTimeout: no Subs message", false, nil)
		}
	case stOpen:
		last := max(s.lastRead.Load(), s.conn.LastActive())
		if s.conn.Buffered() > 0 && now-s.conn.LastActive() > int64(cfg.WriteStallTimeout) {
			s.srv.limit("WriteStallTimeout", int64(cfg.WriteStallTimeout), "session", s.id, "remote", s.conn.RemoteAddr().String(), "backlog", s.conn.Buffered())
			s.abort(ErrWriteStalled)
			return
		}
		if now-last > int64(cfg.IdleTimeout) {
			s.srv.limit("IdleTimeout", int64(cfg.IdleTimeout), "session", s.id, "remote", s.conn.RemoteAddr().String())
			s.closeWith(ws.StatusNormalClosure, "IdleTimeout", false, nil)
		}
	case stClosing:
		if now-s.closeStart.Load() > int64(cfg.CloseTimeout) {
			s.conn.Abort(nil)
		}
	}
}

// OnOpen implements netpoll.Handler: it runs inside Poller.Add, before any event, and makes
// the session visible to the sweeper.
func (s *Session) OnOpen(c netpoll.Conn) {
	s.conn = c
	s.srv.addSession(s)
}

// OnRead implements netpoll.Handler: it parses frames and dispatches messages.
func (s *Session) OnRead(c netpoll.Conn, p []byte) {
	s.srv.m.bytesIn.Add(uint64(len(p)))
	if code, reason := s.rd.feed(s, p); code != 0 {
		s.fail(code, reason)
	}
}

// fail closes the session after a protocol violation by the peer.
func (s *Session) fail(code ws.StatusCode, reason string) {
	if code == ws.StatusMessageTooBig {
		field := "MaxFrameSize"
		limit := s.srv.cfg.MaxFrameSize
		if reason == reasonMessageTooBig {
			field, limit = "MaxMessageSize", s.srv.cfg.MaxMessageSize
		}
		s.srv.limit(field, int64(limit), "session", s.id, "principal", s.principalName(), "remote", s.conn.RemoteAddr().String())
	} else {
		s.srv.logs.log(s.srv.log, levelInfo, "proto:"+reason, "server: websocket protocol error",
			"session", s.id, "principal", s.principalName(), "remote", s.conn.RemoteAddr().String(), "code", int(code), "reason", reason)
	}
	if s.state.Load() >= stClosing {
		s.conn.Abort(nil)
		return
	}
	s.rd.stop = true
	s.closeWith(code, reason, false, nil)
}

// OnClose implements netpoll.Handler.
func (s *Session) OnClose(c netpoll.Conn, err error) {
	s.beginClose(nil)
	s.state.Store(stClosed)
	s.rd.release()
	srv := s.srv
	srv.removeSession(s)
	srv.unreserve(s.key)
	if s.deflate {
		srv.m.deflateSessions.Add(-1)
	}
	if s.opened {
		s.svc.Closed(s)
	}
}

const levelDebug = slog.LevelDebug

func netpollNow() int64 { return netpoll.Now() }
