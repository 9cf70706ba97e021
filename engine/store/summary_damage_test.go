package store

import (
	"slices"
	"testing"
)

// TestSummaryQuarantinedNotAnswered: a block already known to be damaged (quarantined in the
// shard's .bad sidecar by an earlier decoding scan) is never answered from its summary. Scans
// with ScanQuery.Meta skip it and report the same Damage a decoding scan reports, so a count
// from summaries equals a decoding count and carries the same warning, before and after a
// reopen, on the ordered and the parallel scan.
func TestSummaryQuarantinedNotAnswered(t *testing.T) {
	dir := t.TempDir()
	p, blocks, all := damageFixture(t, dir, 7)
	flipAt(t, p, blocks[3].off+blockHeaderSize+500) // a body byte: the summary still checks out
	const origin, width = int64(1e18), int64(1e9)   // whole seconds; each block is in its own
	for round := range 2 {
		s := openT(t, Config{Dir: dir})
		id := tagIDs(t, s, "a")[0]
		q := ScanQuery{Tags: []uint16{id}, Start: origin, End: origin + 7*width}
		var want []Damage
		q.OnDamage = func(d Damage) { want = append(want, d) }
		wantCounts, _ := metaScan(t, s, q, origin, width, false, 0) // round 0: finds and quarantines it
		if len(want) != 1 {
			t.Fatalf("round %d: decoding scan reported %d damaged ranges, want 1", round, len(want))
		}
		var n uint64
		for _, c := range wantCounts.cells {
			n += c.count
		}
		if int(n) != len(all)-60 {
			t.Fatalf("round %d: decoding scan counted %d entries, want %d", round, n, len(all)-60)
		}
		for _, workers := range []int{0, 3} {
			var got []Damage
			q.OnDamage = func(d Damage) { got = append(got, d) }
			counts, sc := metaScan(t, s, q, origin, width, true, workers)
			counts.equal(t, "counts from summaries", wantCounts)
			if !slices.Equal(got, want) {
				t.Fatalf("round %d workers %d: damage %+v, want %+v", round, workers, got, want)
			}
			if sc.Summarised != 6 || sc.Blocks != 6 {
				t.Fatalf("round %d workers %d: %d of %d blocks answered from summaries, want 6 of 6", round, workers, sc.Summarised, sc.Blocks)
			}
		}
		s.Close()
	}
}
