package demo

import (
	"testing"

	"github.com/sluicehq/sluice/wire"
)

// BenchmarkGenerate times a default-sized run (one million entries) per op.
func BenchmarkGenerate(b *testing.B) {
	var entries, bytes int64
	emit := func(batch []wire.Entry) error {
		for _, e := range batch {
			bytes += int64(len(e.Data))
		}
		entries += int64(len(batch))
		return nil
	}
	cfg := Config{Now: testNow, Seed: 1}
	if err := Generate(cfg, emit); err != nil {
		b.Fatal(err)
	}
	perOp := bytes
	b.ReportAllocs()
	b.SetBytes(perOp)
	b.ResetTimer()
	entries = 0
	for b.Loop() {
		if err := Generate(cfg, emit); err != nil {
			b.Fatal(err)
		}
	}
	if entries != int64(b.N)*DefaultCount {
		b.Fatalf("%d entries for %d runs", entries, b.N)
	}
	b.ReportMetric(float64(entries)/b.Elapsed().Seconds(), "entries/s")
}
