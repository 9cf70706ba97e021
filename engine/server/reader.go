package server

import (
	"encoding/binary"
	"unicode/utf8"

	"github.com/gobwas/ws"
	"github.com/sluicehq/sluice/wire"
)

// Close reasons sent for protocol violations.
const (
	reasonUnmasked      = "unmasked client frame"
	reasonRSV           = "reserved bits set"
	reasonOpcode        = "reserved opcode"
	reasonCtlFragmented = "fragmented control frame"
	reasonCtlTooBig     = "control frame over 125 bytes"
	reasonContinuation  = "continuation frame without a message"
	reasonInterleaved   = "data frame inside a fragmented message"
	reasonLength        = "invalid payload length"
	reasonFrameTooBig   = "frame over MaxFrameSize"
	reasonMessageTooBig = "message over MaxMessageSize"
	reasonUTF8          = "text message is not valid UTF-8"
	reasonDeflate       = "invalid compressed message"
	reasonCloseLen      = "close frame with a 1-byte payload"
	reasonCloseCode     = "invalid close code"
	reasonCloseUTF8     = "close reason is not valid UTF-8"
)

// frameReader is the incremental RFC 6455 frame parser of one connection. It holds only this
// small struct between reads: a partial header is kept in hdr, and a buffer is taken from the
// pool only while a message (or a control frame) is split across reads or fragments.
// A frame that arrives whole in one read is unmasked in place in the worker's buffer and
// delivered without a copy.
type frameReader struct {
	hdr  [ws.MaxHeaderSize]byte
	hdrN uint8

	inFrame bool
	op      ws.OpCode
	fin     bool
	mask    [4]byte
	pos     int   // payload bytes of the current frame seen so far (mask offset)
	left    int64 // payload bytes of the current frame still to come

	msgOp   ws.OpCode // opcode of the data message in progress, 0 if none
	msgComp bool
	msg     *wire.Buffer // data message in progress (fragments or split across reads)
	ctl     *wire.Buffer // control frame split across reads

	stop bool // a close was sent after a violation: ignore further input
}

// headerLen returns the size of the frame header whose second byte is b1.
func headerLen(b1 byte) int {
	n := 2
	if b1&0x80 != 0 {
		n += 4
	}
	switch b1 & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	return n
}

// feed parses p (modified in place: payloads are unmasked) and dispatches complete messages
// and control frames to s. It returns a close code and reason on a protocol violation.
func (r *frameReader) feed(s *Session, p []byte) (ws.StatusCode, string) {
	for len(p) > 0 && !r.stop {
		if !r.inFrame {
			var hdr []byte
			if r.hdrN == 0 && len(p) >= 2 && len(p) >= headerLen(p[1]) {
				n := headerLen(p[1])
				hdr, p = p[:n], p[n:]
			} else {
				// Header split across reads: gather it in r.hdr.
				need := 2
				if r.hdrN >= 2 {
					need = headerLen(r.hdr[1])
				}
				for int(r.hdrN) < need && len(p) > 0 {
					r.hdr[r.hdrN] = p[0]
					r.hdrN++
					p = p[1:]
					if r.hdrN == 2 {
						need = headerLen(r.hdr[1])
					}
				}
				if int(r.hdrN) < need {
					return 0, ""
				}
				hdr = r.hdr[:need]
				r.hdrN = 0
			}
			if code, reason := r.begin(s, hdr); code != 0 {
				return code, reason
			}
			if r.left == 0 {
				if code, reason := r.payload(s, nil); code != 0 {
					return code, reason
				}
			}
			continue
		}
		n := int(min(r.left, int64(len(p))))
		chunk := p[:n]
		p = p[n:]
		ws.Cipher(chunk, r.mask, r.pos)
		r.pos += n
		r.left -= int64(n)
		if code, reason := r.payload(s, chunk); code != 0 {
			return code, reason
		}
	}
	return 0, ""
}

// begin validates a frame header (RFC 6455 §5.2, §5.4, §5.5; RFC 7692 §6) before any of
// its payload is read, so an oversized frame is refused from its header alone.
func (r *frameReader) begin(s *Session, h []byte) (ws.StatusCode, string) {
	b0, b1 := h[0], h[1]
	fin := b0&0x80 != 0
	rsv1 := b0&0x40 != 0
	op := ws.OpCode(b0 & 0x0f)
	if b1&0x80 == 0 {
		return ws.StatusProtocolError, reasonUnmasked
	}
	if b0&0x30 != 0 {
		return ws.StatusProtocolError, reasonRSV
	}
	if op.IsReserved() {
		return ws.StatusProtocolError, reasonOpcode
	}
	var length int64
	switch l := b1 & 0x7f; l {
	case 126:
		length = int64(binary.BigEndian.Uint16(h[2:4]))
	case 127:
		u := binary.BigEndian.Uint64(h[2:10])
		if u>>63 != 0 {
			return ws.StatusProtocolError, reasonLength
		}
		length = int64(u)
	default:
		length = int64(l)
	}
	copy(r.mask[:], h[len(h)-4:])
	cfg := &s.srv.cfg
	switch {
	case op.IsControl():
		if !fin {
			return ws.StatusProtocolError, reasonCtlFragmented
		}
		if length > 125 {
			return ws.StatusProtocolError, reasonCtlTooBig
		}
		if rsv1 {
			return ws.StatusProtocolError, reasonRSV
		}
	case op == ws.OpContinuation:
		if r.msgOp == 0 {
			return ws.StatusProtocolError, reasonContinuation
		}
		if rsv1 {
			return ws.StatusProtocolError, reasonRSV
		}
	default: // text or binary: a new message
		if r.msgOp != 0 {
			return ws.StatusProtocolError, reasonInterleaved
		}
		if rsv1 && !s.deflate {
			return ws.StatusProtocolError, reasonRSV
		}
		r.msgOp, r.msgComp = op, rsv1
	}
	if !op.IsControl() {
		if length > int64(cfg.MaxFrameSize) {
			return ws.StatusMessageTooBig, reasonFrameTooBig
		}
		have := 0
		if r.msg != nil {
			have = len(r.msg.B)
		}
		if int64(have)+length > int64(cfg.MaxMessageSize) {
			return ws.StatusMessageTooBig, reasonMessageTooBig
		}
	}
	r.inFrame, r.op, r.fin, r.pos, r.left = true, op, fin, 0, length
	return 0, ""
}

// payload takes the next unmasked chunk of the current frame (nil for an empty frame) and
// completes the frame when nothing is left.
func (r *frameReader) payload(s *Session, chunk []byte) (ws.StatusCode, string) {
	done := r.left == 0
	if r.op.IsControl() {
		if done && r.ctl == nil {
			r.inFrame = false
			return r.control(s, r.op, chunk)
		}
		if r.ctl == nil {
			r.ctl = wire.GetBuffer()
			r.ctl.B = r.ctl.B[:0]
		}
		r.ctl.B = append(r.ctl.B, chunk...)
		if !done {
			return 0, ""
		}
		r.inFrame = false
		code, reason := r.control(s, r.op, r.ctl.B)
		wire.PutBuffer(r.ctl)
		r.ctl = nil
		return code, reason
	}
	if done && r.fin && r.msg == nil {
		// The whole message is here in one piece: deliver it from the read buffer.
		r.inFrame = false
		op, comp := r.msgOp, r.msgComp
		r.msgOp, r.msgComp = 0, false
		return s.message(op, comp, chunk)
	}
	if r.msg == nil {
		r.msg = wire.GetBuffer()
		r.msg.B = r.msg.B[:0]
	}
	r.msg.B = append(r.msg.B, chunk...)
	if !done {
		return 0, ""
	}
	r.inFrame = false
	if !r.fin {
		return 0, ""
	}
	op, comp := r.msgOp, r.msgComp
	r.msgOp, r.msgComp = 0, false
	code, reason := s.message(op, comp, r.msg.B)
	wire.PutBuffer(r.msg)
	r.msg = nil
	return code, reason
}

// control handles a complete control frame (RFC 6455 §5.5).
func (r *frameReader) control(s *Session, op ws.OpCode, p []byte) (ws.StatusCode, string) {
	switch op {
	case ws.OpPing:
		if s.state.Load() < stClosing {
			s.sendControl(ws.OpPong, p)
		}
	case ws.OpClose:
		var code ws.StatusCode
		switch {
		case len(p) == 1:
			return ws.StatusProtocolError, reasonCloseLen
		case len(p) >= 2:
			code = ws.StatusCode(binary.BigEndian.Uint16(p))
			if !validCloseCode(code) {
				return ws.StatusProtocolError, reasonCloseCode
			}
			if !utf8.Valid(p[2:]) {
				return ws.StatusInvalidFramePayloadData, reasonCloseUTF8
			}
		}
		r.stop = true
		if s.state.Load() >= stClosing {
			// The peer answered our close: the handshake is complete, the server closes the
			// TCP connection first (RFC 6455 §7.1.1).
			s.conn.Abort(nil)
			return 0, ""
		}
		// Echo the peer's code (RFC 6455 §5.5.1) and wait for its FIN.
		if s.beginClose(nil) {
			b, start := controlFrame(ws.OpClose, closePayload(nil, code, ""))
			if code != 0 {
				s.srv.m.closeCode(uint16(code))
			}
			s.conn.Shutdown(b.B[start:], (*ownedBuf)(b), false)
		}
	}
	return 0, ""
}

// release returns the parser's buffers to the pool.
func (r *frameReader) release() {
	if r.msg != nil {
		wire.PutBuffer(r.msg)
		r.msg = nil
	}
	if r.ctl != nil {
		wire.PutBuffer(r.ctl)
		r.ctl = nil
	}
}
