package netpoll

import (
	"context"
	"sync"
	"sync/atomic"
)

// chunk is a run of queued bytes and the owner to release once they are written.
type chunk struct {
	b     []byte
	owner Releaser
}

// outq is a connection's outbound queue. It holds nothing while the connection keeps up:
// chunks is nil whenever the queue is empty.
type outq struct {
	mu          sync.Mutex
	chunks      []chunk
	bytes       int
	started     bool // chunks[0] is partly written
	wclosed     bool // Write refused from now on
	shutPending bool // shut the write half down once drained
	shutDone    bool
	wait        chan struct{} // closed on progress; created by WaitBuffered

	queued atomic.Int64 // bytes, readable without the lock
	active atomic.Int64 // Now() of the last write progress
}

func release(o Releaser) {
	if o != nil {
		o.Release()
	}
}

// appendLocked queues p. It allocates the chunk slice only when the queue was empty.
func (q *outq) appendLocked(p []byte, owner Releaser) {
	if len(q.chunks) == 0 {
		q.active.Store(Now())
	}
	q.chunks = append(q.chunks, chunk{b: p, owner: owner})
	q.bytes += len(p)
	q.queued.Store(int64(q.bytes))
}

// advanceLocked consumes n written bytes from the head of the queue.
func (q *outq) advanceLocked(n int) {
	if n <= 0 {
		return
	}
	q.bytes -= n
	i := 0
	for ; i < len(q.chunks) && n > 0; i++ {
		c := &q.chunks[i]
		if n < len(c.b) {
			c.b = c.b[n:]
			q.started = true
			n = 0
			break
		}
		n -= len(c.b)
		release(c.owner)
		*c = chunk{}
		q.started = false
	}
	q.chunks = q.chunks[i:]
	if len(q.chunks) == 0 {
		q.chunks = nil
	}
	q.queued.Store(int64(q.bytes))
	q.active.Store(Now())
	q.wakeLocked()
}

// dropLocked releases queued chunks; with keepStarted a partly written head chunk stays.
func (q *outq) dropLocked(keepStarted bool) {
	keep := 0
	if keepStarted && q.started && len(q.chunks) > 0 {
		keep = 1
	}
	for i := keep; i < len(q.chunks); i++ {
		q.bytes -= len(q.chunks[i].b)
		release(q.chunks[i].owner)
		q.chunks[i] = chunk{}
	}
	q.chunks = q.chunks[:keep]
	if keep == 0 {
		q.chunks = nil
		q.started = false
		q.bytes = 0
	}
	q.queued.Store(int64(q.bytes))
	q.wakeLocked()
}

func (q *outq) wakeLocked() {
	if q.wait != nil {
		close(q.wait)
		q.wait = nil
	}
}

// refuseLocked reports whether p may not be queued: the write side is closed, or the queue
// already holds bytes and would grow past max.
func (q *outq) refuseLocked(n, max int) error {
	if q.wclosed {
		return ErrClosed
	}
	if q.bytes > 0 && q.bytes+n > max {
		return ErrBacklogFull
	}
	return nil
}

func (q *outq) waitBuffered(ctx context.Context, n int) error {
	for {
		q.mu.Lock()
		if q.wclosed {
			q.mu.Unlock()
			return ErrClosed
		}
		if q.bytes <= n {
			q.mu.Unlock()
			return nil
		}
		if q.wait == nil {
			q.wait = make(chan struct{})
		}
		ch := q.wait
		q.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
