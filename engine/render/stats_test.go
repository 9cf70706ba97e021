package render

import (
	"fmt"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine/stats"
	"github.com/sluicehq/sluice/wire"
)

var testModules = []wire.ModuleInfo{{Name: "grep", Args: "grep sshd"}, {Name: "sort", Args: "sort by time"}}

// statsResult returns a result over [start, start+minutes) with one entry per minute recorded
// in its ring: grep sees 10 entries and passes 1, sort passes it on; Duration is the minute.
func statsResult(t *testing.T, start int64, minutes int, spec Spec) *Result {
	t.Helper()
	ring := stats.NewRing(stats.RingConfig{Start: start, End: start + int64(minutes)*60e9, Modules: 2, Shards: 2})
	for i := 0; i <= minutes; i++ {
		ts := start + int64(i)*60e9
		ring.Record(i%2, 0, ts, &wire.Counters{InputCount: 10, OutputCount: 1, InputBytes: 1000, OutputBytes: 100, Duration: int64(i)})
		ring.Record(i%2, 1, ts, &wire.Counters{InputCount: 1, OutputCount: 1, InputBytes: 100, OutputBytes: 100, Duration: 1})
	}
	spec.Ring, spec.Modules, spec.Start, spec.End = ring, testModules, start, start+int64(minutes)*60e9
	return newTestResult(t, spec)
}

func sumLast(s *statsResp) (n uint64) {
	for _, set := range s.Set {
		if len(set.Stats) > 0 {
			n += set.Stats[len(set.Stats)-1].OutputCount
		}
	}
	return n
}

func TestStats(t *testing.T) {
	start := tStart
	// 90 minutes, 91 records (minute 0 through 90, the last exactly at the end).
	r := statsResult(t, start, 90, Spec{})
	rep := doOK(t, r, `{"ID":2130706433}`, 2130706433)
	if rep.Stats == nil || rep.Stats.Size != 91 || len(rep.Stats.Set) != 0 || !rep.Stats.RangeStart.IsZero() {
		t.Fatalf("STATS_SIZE: %+v", rep.Stats)
	}
	rep = doOK(t, r, `{"ID":2130706434}`, 2130706434)
	if rep.Stats.Size != 91 || rep.Stats.RangeStart.UnixNano() != start || rep.Stats.RangeEnd.UnixNano() != start+90*60e9 {
		t.Fatalf("STATS_RANGE: %+v", rep.Stats)
	}
	// The JS client's overview: 90 sets over 90 minutes, one entry each (the end is inclusive:
	// the record at the very end lands in the last set).
	rep = doOK(t, r, `{"ID":2130706435,"Stats":{"SetCount":90}}`, 2130706435)
	s := rep.Stats
	if len(s.Set) != 90 || sumLast(s) != 91 || s.Current.UnixNano() != start+90*60e9 {
		t.Fatalf("STATS_GET 90: %d sets, sum %d, current %v", len(s.Set), sumLast(s), s.Current)
	}
	for i, set := range s.Set {
		want := uint64(1)
		if i == 89 {
			want = 2
		}
		if set.TS.UnixNano() != start+int64(i)*60e9 || len(set.Stats) != 2 || set.Stats[1].OutputCount != want ||
			set.Stats[0].Name != "grep" || set.Stats[1].Args != "sort by time" {
			t.Fatalf("set %d: %+v", i, set)
		}
	}
	// Four chunks: sums and maximum Duration.
	rep = doOK(t, r, `{"ID":2130706435,"Stats":{"SetCount":4}}`, 2130706435)
	if len(rep.Stats.Set) != 4 {
		t.Fatal(len(rep.Stats.Set))
	}
	c := int64(90 * 60e9 / 4)
	for i, set := range rep.Stats.Set {
		var n, maxD int64
		for m := 0; m <= 90; m++ {
			ts := int64(m) * 60e9
			if ts >= int64(i)*c && (ts < int64(i+1)*c || i == 3) {
				n++
				maxD = int64(m)
			}
		}
		g := set.Stats[0]
		if set.TS.UnixNano() != start+int64(i)*c || g.InputCount != uint64(10*n) || g.OutputCount != uint64(n) ||
			g.InputBytes != uint64(1000*n) || g.Duration != maxD {
			t.Fatalf("chunk %d: %+v, want %d entries, Duration %d", i, set, n, maxD)
		}
	}
	// SetCount < 1: one set per base bucket held.
	rep = doOK(t, r, `{"ID":2130706435,"Stats":{"SetCount":0}}`, 2130706435)
	if len(rep.Stats.Set) != 91 || sumLast(rep.Stats) != 91 {
		t.Fatalf("SetCount 0: %d sets", len(rep.Stats.Set))
	}
	// SetCount above the cap is clamped.
	capped := statsResult(t, start, 90, Spec{MaxSetCount: 50})
	if rep := doOK(t, capped, `{"ID":2130706435,"Stats":{"SetCount":100000}}`, 2130706435); len(rep.Stats.Set) != 50 || sumLast(rep.Stats) != 91 {
		t.Fatalf("clamp: %d sets", len(rep.Stats.Set))
	}
	// Summary: one set at the range start with everything.
	rep = doOK(t, r, `{"ID":2130706437}`, 2130706437)
	if len(rep.Stats.Set) != 1 || rep.Stats.Set[0].TS.UnixNano() != start || rep.Stats.Set[0].Stats[0].InputCount != 910 ||
		rep.Stats.Set[0].Stats[0].Duration != 90 {
		t.Fatalf("summary: %+v", rep.Stats)
	}
	// Empty chunks are present with "Stats":[].
	if _, out := do(t, r, `{"ID":2130706436,"Stats":{"SetCount":2,"SetStart":"`+rfc(start-2*3600e9)+`","SetEnd":"`+rfc(start-3600e9)+`"}}`); !contains(out, `"Set":[]`) {
		t.Fatalf("range before the search: %s", out)
	}
	if _, out := do(t, r, `{"ID":2130706435,"Stats":{"SetCount":9000}}`); !contains(out, `{"Stats":[],"TS":"2024-05-01T09:00:01.2Z"}`) {
		t.Fatalf("no empty chunk: %.300s", out)
	}
}

func contains(b []byte, s string) bool {
	return len(b) > 0 && len(s) > 0 && string(b) != "" && indexOf(b, s) >= 0
}

func indexOf(b []byte, s string) int {
	for i := 0; i+len(s) <= len(b); i++ {
		if string(b[i:i+len(s)]) == s {
			return i
		}
	}
	return -1
}

func TestStatsGetRange(t *testing.T) {
	start := tStart
	// The JS client's zoom: a 1000-minute search, one entry per minute; the first 360 minutes
	// in 90 chunks hold 361 entries, "accounting for the inclusive end".
	r := statsResult(t, start, 1000, Spec{})
	req := func(n int, s, e int64) string {
		return fmt.Sprintf(`{"ID":2130706436,"Stats":{"SetCount":%d,"SetStart":"%s","SetEnd":"%s"}}`, n, rfc(s), rfc(e))
	}
	rep := doOK(t, r, req(90, start, start+360*60e9), 2130706436)
	if len(rep.Stats.Set) != 90 || sumLast(rep.Stats) != 361 || rep.Stats.RangeStart.UnixNano() != start {
		t.Fatalf("zoom: %d sets, %d entries", len(rep.Stats.Set), sumLast(rep.Stats))
	}
	// 100 chunks of an hour ending at the end of a one-hour search: one chunk overlaps it.
	h := statsResult(t, start, 60, Spec{})
	rep = doOK(t, h, req(100, start-99*3600e9, start+3600e9), 2130706436)
	if len(rep.Stats.Set) != 1 || rep.Stats.Set[0].TS.UnixNano() != start || sumLast(rep.Stats) != 61 {
		t.Fatalf("overlap: %+v", rep.Stats.Set)
	}
	// A range covering the search and more keeps only the overlapping chunks; the search range
	// is inclusive at its end, where the last record lies, so the chunk starting there counts.
	rep = doOK(t, h, req(4, start-3600e9, start+3*3600e9), 2130706436)
	if len(rep.Stats.Set) != 2 || sumLast(rep.Stats) != 61 || len(rep.Stats.Set[1].Stats) == 0 || rep.Stats.Set[1].Stats[1].OutputCount != 1 {
		t.Fatalf("wide range: %+v", rep.Stats.Set)
	}
	rep = doOK(t, h, req(8, start-3600e9, start+3*3600e9), 2130706436)
	if len(rep.Stats.Set) != 3 || sumLast(rep.Stats) != 61 || rep.Stats.Set[0].TS.UnixNano() != start {
		t.Fatalf("wide range in halves: %+v", rep.Stats.Set)
	}
	doErr(t, h, `{"ID":2130706436}`, "Stats is required for REQ_STATS_GET_RANGE (2130706436)")
	doErr(t, h, `{"ID":2130706436,"Stats":{"SetCount":5,"SetEnd":"2024-05-01T10:00:00Z"}}`, "Stats.SetStart is required for REQ_STATS_GET_RANGE (2130706436)")
	doErr(t, h, `{"ID":2130706436,"Stats":{"SetCount":5,"SetStart":"2024-05-01T10:00:00Z","SetEnd":"0001-01-01T00:00:00Z"}}`, "Stats.SetEnd is required for REQ_STATS_GET_RANGE (2130706436)")
	doErr(t, h, req(5, start+10, start+10), "Stats: SetEnd (2024-05-01T09:00:00.00000001Z) is not after SetStart (2024-05-01T09:00:00.00000001Z)")
	doErr(t, h, req(0, start, start+10), "Stats.SetCount must be at least 1 for REQ_STATS_GET_RANGE (2130706436), got 0")
	doErr(t, h, req(-3, start, start+10), "Stats.SetCount must be at least 1 for REQ_STATS_GET_RANGE (2130706436), got -3")
}

func TestStatsLocationAndOverview(t *testing.T) {
	start := tStart
	r := statsResult(t, start, 60, Spec{})
	loc := func() time.Time {
		rep := doOK(t, r, `{"ID":2130706438}`, 2130706438)
		if len(rep.Stats.Set) != 0 || rep.Stats.RangeStart.UnixNano() != start || rep.Stats.Size != 61 {
			t.Fatalf("location: %+v", rep.Stats)
		}
		return rep.Stats.Current
	}
	if c := loc(); c.UnixNano() != start+3600e9 {
		t.Fatalf("before progress: %v", c)
	}
	r.Progress(start + 1800e9)
	if c := loc(); c.UnixNano() != start+1800e9 {
		t.Fatalf("progress: %v", c)
	}
	r.Finish(nil)
	if c := loc(); c.UnixNano() != start {
		t.Fatalf("finished: %v", c)
	}
	rep := doOK(t, r, `{"ID":2130706439,"Stats":{"SetCount":6}}`, 2130706439)
	var n uint64
	for i, o := range rep.Stats.OverviewSet {
		n += o.Count
		if o.TS.UnixNano() != start+int64(i)*600e9 || o.Bytes != 100*o.Count {
			t.Fatalf("overview %d: %+v", i, o)
		}
	}
	if len(rep.Stats.OverviewSet) != 6 || n != 61 || len(rep.Stats.Set) != 0 {
		t.Fatalf("overview: %+v", rep.Stats)
	}
	rep = doOK(t, r, `{"ID":2130706439,"Stats":{"SetCount":2,"SetStart":"`+rfc(start)+`","SetEnd":"`+rfc(start+600e9)+`"}}`, 2130706439)
	if len(rep.Stats.OverviewSet) != 2 || rep.Stats.OverviewSet[0].Count+rep.Stats.OverviewSet[1].Count != 11 {
		t.Fatalf("ranged overview: %+v", rep.Stats.OverviewSet)
	}
	// Without a ring every answer is empty, never an error.
	none := newTestResult(t, Spec{})
	rep = doOK(t, none, `{"ID":2130706435,"Stats":{"SetCount":3}}`, 2130706435)
	if rep.Stats.Size != 0 || len(rep.Stats.Set) != 3 || len(rep.Stats.Set[0].Stats) != 0 || rep.Stats.RangeStart.UnixNano() != tStart {
		t.Fatalf("no ring: %+v", rep.Stats)
	}
	if rep := doOK(t, none, `{"ID":2130706435}`, 2130706435); len(rep.Stats.Set) != 0 {
		t.Fatalf("no ring, SetCount 0: %+v", rep.Stats)
	}
}
