//go:build !race

package rest

import "testing"

// TestEncoderAllocs checks that encoding an entry in each entry format allocates nothing once
// the output buffer has room.
func TestEncoderAllocs(t *testing.T) {
	for _, format := range []string{"json", "archive", "csv", "text"} {
		rec := record(&benchEntry, "syslog")
		enc := &encoder{format: format}
		buf := make([]byte, 0, 4096)
		buf, _ = enc.entry(buf, rec) // warm the scratch
		if n := testing.AllocsPerRun(100, func() { buf, _ = enc.entry(buf[:0], rec) }); n != 0 {
			t.Errorf("%s: %v allocs per entry", format, n)
		}
	}
}
