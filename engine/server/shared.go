package server

import (
	"sync"
	"sync/atomic"

	"github.com/gobwas/ws"
	"github.com/sluicehq/sluice/wire"
)

// Shared is a message framed once and sent to many sessions (stats broadcasts, shared search
// output). Its compressed form for deflate sessions is built once, lazily, by the first
// session that needs it. A Shared is reference-counted: NewShared returns it with one
// reference, which the creator drops with Release once it has called SendShared for every
// session; each queued send holds its own reference until its bytes are written.
type Shared struct {
	refs  atomic.Int32
	plain *wire.Buffer
	start int
	size  int // payload bytes

	once  sync.Once
	level int
	comp  *wire.Buffer // nil: not smaller compressed (or compression failed)
	cst   int
}

// NewShared copies payload, a complete JSON message (for example an envelope built with
// wire.BeginMessage/EndMessage, without the HeaderRoom), and frames it as a text frame.
func NewShared(payload []byte) *Shared {
	b := wire.GetBuffer()
	b.B = append(b.B[:0], room[:]...)
	b.B = append(b.B, payload...)
	m := sharedPool.Get().(*Shared)
	m.plain, m.size = b, len(payload)
	m.start = frameInPlace(b.B, wire.HeaderRoom, ws.OpText, false)
	m.refs.Store(1)
	return m
}

// sharedPool recycles Shared structs, so a broadcast allocates nothing in steady state.
var sharedPool = sync.Pool{New: func() any { return new(Shared) }}

// Retain adds a reference, for a holder that keeps m beyond the current call (for example the
// latest packet of a type, sent to each new subscriber). Pair it with Release.
func (m *Shared) Retain() {
	if m.refs.Add(1) <= 1 {
		panic("BUG: server: Shared retained after its last release")
	}
}

// Release drops one reference; the buffers return to the pool with the last one.
func (m *Shared) Release() {
	switch n := m.refs.Add(-1); {
	case n == 0:
		wire.PutBuffer(m.plain)
		if m.comp != nil {
			wire.PutBuffer(m.comp)
		}
		*m = Shared{} // nothing references m now: the last send has written its bytes
		sharedPool.Put(m)
	case n < 0:
		panic("BUG: server: Shared released more often than referenced")
	}
}

// Len returns the payload size in bytes.
func (m *Shared) Len() int { return m.size }

// frame returns the bytes to write: the compressed frame when deflate is set and compression
// pays, else the plain frame. The first caller with deflate compresses (at level).
func (m *Shared) frame(deflate bool, level int) []byte {
	if deflate {
		m.once.Do(func() {
			m.level = level
			payload := m.plain.B[wire.HeaderRoom:]
			c := wire.GetBuffer()
			c.B = append(c.B[:0], room[:]...)
			var err error
			c.B, err = compress(c.B, payload, level)
			if err != nil || len(c.B)-wire.HeaderRoom >= len(payload) {
				wire.PutBuffer(c)
				return
			}
			m.comp = c
			m.cst = frameInPlace(c.B, wire.HeaderRoom, ws.OpText, true)
		})
		if m.comp != nil {
			return m.comp.B[m.cst:]
		}
	}
	return m.plain.B[m.start:]
}
