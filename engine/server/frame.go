package server

import (
	"encoding/binary"

	"github.com/gobwas/ws"
	"github.com/sluicehq/sluice/wire"
)

// frameInPlace writes the header of a final, unmasked server frame (RFC 6455 §5.2) whose
// payload is b[room:] into the room bytes just before the payload, and returns the index where
// the frame starts: the frame is b[start:]. room must be at least the header size (14 always
// is, wire.HeaderRoom). rsv1 marks a compressed message (RFC 7692 §6).
func frameInPlace(b []byte, room int, op ws.OpCode, rsv1 bool) int {
	n := len(b) - room
	hs := ws.HeaderSize(ws.Header{Length: int64(n)})
	start := room - hs
	b0 := 0x80 | byte(op)
	if rsv1 {
		b0 |= 0x40
	}
	b[start] = b0
	switch hs {
	case 2:
		b[start+1] = byte(n)
	case 4:
		b[start+1] = 126
		binary.BigEndian.PutUint16(b[start+2:], uint16(n))
	default:
		b[start+1] = 127
		binary.BigEndian.PutUint64(b[start+2:], uint64(n))
	}
	return start
}

// ownedBuf is a wire.Buffer queued on a connection; Release returns it to the pool.
type ownedBuf wire.Buffer

// Release implements netpoll.Releaser.
func (o *ownedBuf) Release() { wire.PutBuffer((*wire.Buffer)(o)) }

var room [wire.HeaderRoom]byte

// controlFrame returns a pooled buffer holding a complete control frame (RFC 6455 §5.5)
// and the index where the frame starts. payload is at most 125 bytes.
func controlFrame(op ws.OpCode, payload []byte) (*wire.Buffer, int) {
	b := wire.GetBuffer()
	b.B = append(b.B[:0], room[:]...)
	b.B = append(b.B, payload...)
	return b, frameInPlace(b.B, wire.HeaderRoom, op, false)
}

// closePayload appends a close frame body: the status code and a reason cut to fit the
// 125-byte control frame limit on a UTF-8 boundary (RFC 6455 §5.5.1).
func closePayload(dst []byte, code ws.StatusCode, reason string) []byte {
	if code == 0 {
		return dst
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(code))
	if len(reason) > 123 {
		cut := 123
		for cut > 0 && reason[cut]&0xC0 == 0x80 {
			cut--
		}
		reason = reason[:cut]
	}
	return append(dst, reason...)
}

// validCloseCode reports whether a peer may send code in a close frame (RFC 6455 §7.4).
func validCloseCode(code ws.StatusCode) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1011:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}
