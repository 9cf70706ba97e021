package collect

import (
	"encoding/json"
	"testing"
	"time"
)

// BenchmarkHubEncode measures building one packet in both shapes from the current figures,
// the work done once per period whatever the number of subscribers.
func BenchmarkHubEncode(b *testing.B) {
	h := newTestHub(b, newFakeStore(), HubConfig{})
	for i, typ := range periodic {
		b.Run(typ, func(b *testing.B) {
			p := h.tick(i, time.Now())
			if !json.Valid(p.Current) || !json.Valid(p.Documented) {
				b.Fatal("invalid JSON")
			}
			n := len(h.cur) + len(h.doc)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				h.mu.Lock()
				h.cur, h.doc = h.encode(i, h.cur[:0], h.doc[:0])
				h.mu.Unlock()
				if len(h.cur)+len(h.doc) != n {
					b.Fatal("length changed")
				}
			}
		})
	}
}

// BenchmarkCollectorSample measures one Sample of the fixture tree (file reads and parsing).
func BenchmarkCollectorSample(b *testing.B) {
	c := NewCollector(fixtureConfig("testdata"))
	b.ReportAllocs()
	now := time.Now()
	for b.Loop() {
		now = now.Add(5 * time.Second)
		if _, err := c.Sample(now); err != nil {
			b.Fatal(err)
		}
	}
}
