package wire

import "sync"

// Buffer is a pooled byte buffer. Use GetBuffer and PutBuffer; never keep B after Put.
type Buffer struct {
	B []byte
}

// maxPooledSize is the largest capacity a Buffer may keep when it returns to the pool.
// Larger buffers are dropped so one huge reply does not pin memory for ever.
const maxPooledSize = 4 << 20

var bufferPool = sync.Pool{New: func() any { return &Buffer{B: make([]byte, 0, 4096)} }}

// GetBuffer returns an empty Buffer from the pool.
func GetBuffer() *Buffer {
	return bufferPool.Get().(*Buffer)
}

// PutBuffer resets b and returns it to the pool. Buffers larger than 4 MiB are dropped.
func PutBuffer(b *Buffer) {
	if b == nil || cap(b.B) > maxPooledSize {
		return
	}
	b.B = b.B[:0]
	bufferPool.Put(b)
}
