//go:build !race

package wire_test

import (
	"testing"

	"github.com/sluicehq/sluice/wire"
)

// TestStatsEncodersNoAlloc asserts that every stats encoder, wrapped in the routing envelope,
// allocates nothing once dst has room, including when hosts arrive out of order. (Raw JSON that
// fails validation allocates json.Valid's error, so the samples here carry valid raw JSON.)
func TestStatsEncodersNoAlloc(t *testing.T) {
	for _, s := range []*statsSamples{newStatsSamples(), statsEvil("b\u2028", "a\xff", 99, 1.25)} {
		for i := range s.igst.Indexers {
			for j := range s.igst.Indexers[i].Ingesters {
				st := &s.igst.Indexers[i].Ingesters[j].State
				st.Configuration, st.Metadata = []byte(`{"a":[1,2]}`), []byte(`"m"`)
			}
		}
		for _, c := range statsCases(s) {
			dst := make([]byte, 0, 32<<10)
			if n := testing.AllocsPerRun(100, func() {
				dst = wire.BeginMessage(dst[:0], "sysStats")
				dst = c.encode(dst)
				dst = wire.EndMessage(dst)
			}); n != 0 {
				t.Errorf("%s: %v allocations per run, want 0", c.name, n)
			}
		}
	}
}
