package access

import (
	"context"
	"io"
	"sync"
	"time"
)

// Throttle limits a byte rate per limit key (LimitKey) with one token bucket per key: each
// key may move rate bytes a second, in bursts of up to one second's worth. It is safe for
// concurrent use.
type Throttle struct {
	rate    float64
	mu      sync.Mutex
	buckets map[string]*bucket
	now     func() time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxIdleBuckets is how many keys a Throttle remembers before it forgets those whose bucket
// has refilled (they would start full anyway).
const maxIdleBuckets = 1024

// NewThrottle returns a Throttle of rate bytes per second per key; nil when rate <= 0 (no limit).
func NewThrottle(rate int64) *Throttle {
	if rate <= 0 {
		return nil
	}
	return &Throttle{rate: float64(rate), buckets: map[string]*bucket{}, now: time.Now}
}

// Rate returns the bytes per second each key may move.
func (t *Throttle) Rate() int64 { return int64(t.rate) }

// take takes up to n tokens for key and returns how many it got (at least 1 unless the bucket
// is empty) and, when it got none, how long until one is there.
func (t *Throttle) take(key string, n int) (int, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	b := t.buckets[key]
	if b == nil {
		if len(t.buckets) >= maxIdleBuckets {
			for k, o := range t.buckets {
				if o.tokens+now.Sub(o.last).Seconds()*t.rate >= t.rate {
					delete(t.buckets, k)
				}
			}
		}
		b = &bucket{tokens: t.rate, last: now}
		t.buckets[key] = b
	}
	b.tokens = min(t.rate, b.tokens+now.Sub(b.last).Seconds()*t.rate)
	b.last = now
	if b.tokens < 1 {
		return 0, time.Duration((1 - b.tokens) / t.rate * float64(time.Second))
	}
	got := min(n, int(b.tokens))
	b.tokens -= float64(got)
	return got, 0
}

// Reader returns r slowed to key's rate: reads wait for the bucket (or for ctx), so a client
// over its rate is slowed, never cut off, and nothing it sends is lost. waited, when set, is
// called once, the first time a read has to wait.
func (t *Throttle) Reader(ctx context.Context, key string, r io.Reader, waited func()) io.Reader {
	return &throttledReader{t: t, ctx: ctx, key: key, r: r, waited: waited}
}

type throttledReader struct {
	t      *Throttle
	ctx    context.Context
	key    string
	r      io.Reader
	waited func()
}

func (tr *throttledReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return tr.r.Read(p)
	}
	for {
		n, wait := tr.t.take(tr.key, len(p))
		if n > 0 {
			got, err := tr.r.Read(p[:n])
			if got < n { // give back what was not read
				tr.t.giveBack(tr.key, n-got)
			}
			return got, err
		}
		if tr.waited != nil {
			tr.waited()
			tr.waited = nil
		}
		timer := time.NewTimer(wait)
		select {
		case <-tr.ctx.Done():
			timer.Stop()
			return 0, tr.ctx.Err()
		case <-timer.C:
		}
	}
}

func (t *Throttle) giveBack(key string, n int) {
	t.mu.Lock()
	if b := t.buckets[key]; b != nil {
		b.tokens = min(t.rate, b.tokens+float64(n))
	}
	t.mu.Unlock()
}
