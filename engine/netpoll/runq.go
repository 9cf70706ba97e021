package netpoll

import "sync"

// runq is the FIFO of connections waiting for a worker. A connection is in it at most once
// (see fdConn.sched), so it never holds more entries than there are connections.
type runq[T any] struct {
	mu     sync.Mutex
	cond   sync.Cond
	ring   []T
	head   int
	n      int
	closed bool
}

func (r *runq[T]) init() {
	r.cond.L = &r.mu
	r.ring = make([]T, 64)
}

func (r *runq[T]) push(v T) {
	r.mu.Lock()
	if r.n == len(r.ring) {
		grown := make([]T, 2*len(r.ring))
		for i := 0; i < r.n; i++ {
			grown[i] = r.ring[(r.head+i)%len(r.ring)]
		}
		r.ring, r.head = grown, 0
	}
	r.ring[(r.head+r.n)%len(r.ring)] = v
	r.n++
	r.mu.Unlock()
	r.cond.Signal()
}

// pop blocks until an entry is available; ok is false once the queue is closed and empty.
func (r *runq[T]) pop() (v T, ok bool) {
	r.mu.Lock()
	for r.n == 0 && !r.closed {
		r.cond.Wait()
	}
	if r.n == 0 {
		r.mu.Unlock()
		return v, false
	}
	var zero T
	v = r.ring[r.head]
	r.ring[r.head] = zero
	r.head = (r.head + 1) % len(r.ring)
	r.n--
	r.mu.Unlock()
	return v, true
}

func (r *runq[T]) close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.cond.Broadcast()
}
