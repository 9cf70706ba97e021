package search

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine/stats"
	"github.com/sluicehq/sluice/engine/store"
	"github.com/sluicehq/sluice/wire"
)

// TestMetaEqualsDecode is the property test of answers from block metadata: counts that the
// store answers from block summaries give exactly the rows and the per-module, per-bucket
// counters (Duration aside) of decoding every block, on 1, 2 and 3 workers, for ranges and
// bucket widths that align with the summaries' granules and for ones that cut them; queries
// the summaries cannot serve run as before.
func TestMetaEqualsDecode(t *testing.T) {
	st, ids := openGenStore(t, 6000, 91)
	r := rand.New(rand.NewSource(3))
	// one: the query runs on one tag (ids[1]) instead of all four
	queries := []struct {
		query       string
		one, served bool
	}{
		{"tag=json,kv,syslog,csv count", false, true},
		{"tag=kv count | table", true, true},
		{"tag=json,kv,syslog,csv count by TAG", false, true},
		{"tag=json,syslog count as n by TAG | sort by n", false, true},
		{"tag=json,kv,syslog,csv count by TAG | table", false, true},
		{"tag=kv count | chart count", true, true},                   // one window per chart point
		{"tag=kv count over 7m | table", true, true},                 // windows of whole buckets (every width divides 7m)
		{"tag=kv count by TAG over 7m", true, true},                  // the same, by TAG
		{"tag=kv count over 3s", true, true},                         // windows cut buckets unless they are 1 s wide
		{"tag=json,kv,syslog,csv count | chart count", false, false}, // several tags per window
		{"tag=kv kv host | count by host", true, false},              // needs the entries
		{"tag=kv grep -i admin | count", false, false},               // needs the entries
		{"tag=json,kv,syslog,csv stats count by TAG", false, false},
	}
	summarised := 0
	for _, qc := range queries {
		query, served := qc.query, qc.served
		tags := ids
		if qc.one {
			tags = ids[1:2]
		}
		q, err := Parse(query)
		if err != nil {
			t.Fatalf("Parse(%q): %v", query, err)
		}
		for round := 0; round < 8; round++ {
			start, end := tStart, tEnd
			width := int64(time.Second) * []int64{1, 2, 7, 60}[r.Intn(4)]
			aligned := round < 5
			if round > 0 {
				start += r.Int63n(int64(20 * time.Minute))
				end -= r.Int63n(int64(20 * time.Minute))
				if aligned {
					start -= start % int64(time.Second)
					end -= end % int64(time.Second)
				}
			}
			var want []outEntry
			var wantRec *fakeRec
			for i, c := range []struct {
				workers int
				noMeta  bool
				ring    bool // record into a real stats.Ring (RecordDense) and compare it
			}{{1, true, false}, {1, false, false}, {2, false, false}, {3, false, false}, {2, true, false}, {1, false, true}, {2, false, true}} {
				sink := &memSink{}
				rec := newFakeRec(start, width)
				var recorder StatsRecorder = rec
				var ring *stats.Ring
				if c.ring {
					ring = stats.NewRing(stats.RingConfig{Start: start, End: end, Modules: len(q.StatsModules()), MaxBuckets: -1, MinWidth: width, Shards: c.workers})
					recorder = ring
				}
				var counts store.ScanCounts
				opt := RunOptions{Tags: tags, Start: start, End: end, Workers: c.workers, NoMeta: c.noMeta, Counts: &counts}
				if err := q.Run(context.Background(), st, sink, recorder, opt); err != nil {
					t.Fatalf("%s: %v", query, err)
				}
				if ring != nil {
					rec = ringRec(ring)
				}
				if c.noMeta || !served || strings.HasSuffix(query, "over 3s") && width != int64(time.Second) {
					if counts.Summarised != 0 {
						t.Fatalf("%s (workers %d, NoMeta %v): %d blocks answered from summaries", query, c.workers, c.noMeta, counts.Summarised)
					}
				} else if aligned && counts.Summarised < counts.Blocks/2 {
					t.Fatalf("%s [%d, %d) width %d: only %d of %d blocks answered from summaries", query, start, end, width, counts.Summarised, counts.Blocks)
				}
				summarised += int(counts.Summarised)
				if i == 0 {
					want, wantRec = sink.out, rec
					if len(want) == 0 {
						t.Fatalf("%s: no rows", query)
					}
					continue
				}
				if msg := diffOut(want, sink.out); msg != "" {
					t.Fatalf("%s [%d, %d) (workers %d, NoMeta %v): %s", query, start, end, c.workers, c.noMeta, msg)
				}
				if msg := diffCounters(wantRec, rec); msg != "" {
					t.Fatalf("%s [%d, %d) width %d (workers %d, NoMeta %v): %s", query, start, end, width, c.workers, c.noMeta, msg)
				}
			}
		}
	}
	if summarised == 0 {
		t.Fatal("no block was answered from its summary")
	}
}

// diffCounters compares two recorders bucket by bucket, Duration aside.
func diffCounters(want, got *fakeRec) string {
	norm := func(r *fakeRec) map[[2]int64]string {
		out := map[[2]int64]string{}
		for k, c := range r.c {
			if c.Duration = 0; c != (wire.Counters{}) {
				out[k] = fmt.Sprintf("%+v", c)
			}
		}
		return out
	}
	w, g := norm(want), norm(got)
	if len(w) != len(g) {
		return fmt.Sprintf("counters in %d module buckets, want %d", len(g), len(w))
	}
	for k, c := range w {
		if g[k] != c {
			return fmt.Sprintf("module %d bucket %d: got %s, want %s", k[0], k[1], g[k], c)
		}
	}
	return ""
}

// ringRec returns the counters of every bucket of ring holding data, as a fakeRec holds them
// (modules with all-zero counters left out, as diffCounters leaves them out).
func ringRec(ring *stats.Ring) *fakeRec {
	start, _ := ring.Range()
	n, w := ring.Buckets(), ring.Width()
	var a stats.Aggregate
	ring.Aggregate(start, start+int64(n)*w, n, &a) // one chunk per bucket
	rec := newFakeRec(start, w)
	for i := range n {
		for m, c := range a.Row(i) {
			if c.Duration = 0; a.Has[i] && c != (wire.Counters{}) {
				rec.c[[2]int64{int64(m), int64(i)}] = c
			}
		}
	}
	return rec
}

// TestPartialMeta: a Partial fed by a caller's own scan with Partial.Meta gives the rows a
// decoding run gives, answering blocks from summaries; a query that needs entries gets none.
func TestPartialMeta(t *testing.T) {
	st, ids := openGenStore(t, 3000, 5)
	for _, query := range []string{"tag=json,kv,syslog,csv count by TAG", "tag=kv kv host | count by host"} {
		q, err := Parse(query)
		if err != nil {
			t.Fatal(err)
		}
		want := &memSink{}
		opt := RunOptions{Tags: ids, Start: tStart, End: tEnd, Workers: 1, NoMeta: true}
		if err := q.Run(context.Background(), st, want, nil, opt); err != nil {
			t.Fatal(err)
		}
		pt, err := q.NewPartial(nil, RunOptions{Tags: ids, Start: tStart, End: tEnd})
		if err != nil {
			t.Fatal(err)
		}
		var counts store.ScanCounts
		meta := pt.Meta()
		if (meta != nil) != (query == "tag=json,kv,syslog,csv count by TAG") {
			t.Fatalf("%s: Meta %v", query, meta)
		}
		sq := store.ScanQuery{Tags: ids, Start: tStart, End: tEnd, Meta: meta, Counts: &counts}
		if err := st.Scan(context.Background(), sq, pt.Add); err != nil {
			t.Fatal(err)
		}
		got := &memSink{}
		if err := pt.Finish(context.Background(), got); err != nil {
			t.Fatal(err)
		}
		if msg := diffOut(want.out, got.out); msg != "" {
			t.Fatalf("%s: %s", query, msg)
		}
		if (counts.Summarised > 0) != (meta != nil) {
			t.Fatalf("%s: %d of %d blocks answered from summaries", query, counts.Summarised, counts.Blocks)
		}
	}
}
