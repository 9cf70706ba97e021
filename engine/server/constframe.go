package server

import (
	"github.com/gobwas/ws"
	"github.com/sluicehq/sluice/wire"
)

// Frame is a constant message framed once, when it is made, and written as it is to any
// number of sessions (the Subs ACK, the PONG reply), as gobwas/ws precompiles its frames: no
// buffer, no envelope and no header is built per send. Constant messages are small, so they
// are never compressed.
type Frame struct {
	b []byte
}

// NewFrame frames payload, a complete message (an envelope, or a bare negotiation reply), as
// one text frame.
func NewFrame(payload []byte) *Frame {
	b := make([]byte, wire.HeaderRoom, wire.HeaderRoom+len(payload))
	b = append(b, payload...)
	return &Frame{b: b[frameInPlace(b, wire.HeaderRoom, ws.OpText, false):]}
}

// NewEnvelopeFrame frames the message {"type":channel,"data":data}.
func NewEnvelopeFrame(channel string, data []byte) *Frame {
	b := wire.BeginMessage(nil, channel)
	b = wire.EndMessage(append(b, data...))
	return NewFrame(b[wire.HeaderRoom:])
}

// Release does nothing: a Frame is never returned to a pool (netpoll.Releaser).
func (f *Frame) Release() {}

// Bytes returns the framed message, header included; callers must not modify it.
func (f *Frame) Bytes() []byte { return f.b }

// SendFrame queues the constant frame f. Like Send it never blocks and fails with
// ErrBacklogFull or ErrClosed.
func (s *Session) SendFrame(f *Frame) error {
	if s.state.Load() >= stClosing {
		return ErrClosed
	}
	return s.write(f.b, f)
}

// subsACK is the negotiation reply {"Resp":"ACK"} (PROTOCOL.md §1.4), framed once.
var subsACK = NewFrame(wire.AppendSubsACK(nil))
