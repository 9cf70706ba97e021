package wire_test

import (
	"encoding/json"
	"testing"
)

// BenchmarkStatsEncoders measures each stats encoder on the Appendix B-shaped samples.
func BenchmarkStatsEncoders(b *testing.B) {
	s := newStatsSamples()
	for _, c := range statsCases(s) {
		b.Run(c.name, func(b *testing.B) {
			dst := c.encode(make([]byte, 0, 16<<10))
			if !json.Valid(dst) {
				b.Fatalf("invalid JSON: %s", dst)
			}
			n := len(dst)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				dst = c.encode(dst[:0])
				if len(dst) != n {
					b.Fatalf("length %d, want %d", len(dst), n)
				}
			}
			statsSink = dst
		})
	}
}

var statsSink []byte
