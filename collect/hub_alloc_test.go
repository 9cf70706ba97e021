//go:build !race

package collect

import (
	"testing"
	"time"
)

// TestHubEncodeNoAlloc asserts that the per-period encode path allocates nothing once the
// buffers have grown, and neither does refreshing idxStats, igstStats and ping from a source
// that does not allocate itself.
func TestHubEncodeNoAlloc(t *testing.T) {
	h := newTestHub(t, newFakeStore(), HubConfig{})
	now := time.Now()
	for i, typ := range periodic {
		h.tick(i, now) // read the figures, grow the buffers
		if n := testing.AllocsPerRun(100, func() {
			h.mu.Lock()
			h.cur, h.doc = h.encode(i, h.cur[:0], h.doc[:0])
			h.mu.Unlock()
		}); n != 0 {
			t.Errorf("%s: encode allocates %v times", typ, n)
		}
		if typ == TypeSysStats {
			continue // sampling reads /proc files
		}
		if n := testing.AllocsPerRun(100, func() {
			h.mu.Lock()
			h.refresh(i, now)
			h.cur, h.doc = h.encode(i, h.cur[:0], h.doc[:0])
			h.mu.Unlock()
		}); n != 0 {
			t.Errorf("%s: refresh and encode allocate %v times", typ, n)
		}
	}
}
