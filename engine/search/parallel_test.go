package search

import (
	"context"
	"math"
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine/store"
	"github.com/sluicehq/sluice/wire"
)

// openGenStore returns a real store holding gen(n, seed) in small blocks (so scans cross many
// blocks), and the store tag IDs of gen's tags 1..4.
func openGenStore(t testing.TB, n int, seed int64) (*store.Store, []uint16) {
	t.Helper()
	st, err := store.Open(store.Config{Dir: t.TempDir(), ScanBatch: 50, BlockSize: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ents, _ := gen(n, seed)
	var ids []uint16
	for _, name := range []string{"json", "kv", "syslog", "csv"} {
		id, err := st.TagID(name)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for i := range ents {
		ents[i].Tag = ids[ents[i].Tag-1]
	}
	// several ingests, so blocks of different commits overlap in time
	for lo := 0; lo < len(ents); lo += 700 {
		if err := st.Ingest(ents[lo:min(lo+700, len(ents))]); err != nil {
			t.Fatal(err)
		}
	}
	return st, ids
}

// genQuery builds a random query from pieces that exercise every strategy: per-entry
// prefixes, every mergeable condensing module, order-sensitive modules and suffixes.
func genQuery(r *rand.Rand) string {
	prefixes := []string{
		"", "grep -i admin", "grep -v GET", "kv status bytes dur host", "json status bytes dur host",
		"kv -q status bytes dur host", "length", `regex "status=(?P<st>[0-9]+)"`, "grep -i admin | json status bytes dur host",
	}
	mids := []string{
		"", "count", "count by host", "count by host over 7m", "sum bytes by status", "mean dur by host",
		"min bytes", "max dur by status", "stddev dur", "variance bytes by host",
		"stats count sum(bytes) mean(dur) min(bytes) max(dur) stddev(dur) variance(bytes) unique_count(host) by status",
		"stats count unique_count(status) by host over 10m", "count status as n by TAG",
		"sort by bytes", "sort by host asc", "sort by time asc", "unique host", "limit 50", "unique status | count",
	}
	suffixes := []string{"", "sort by count", "limit 3", "sort by host"}
	parts := []string{"tag=json,kv,syslog,csv"}
	for _, s := range []string{prefixes[r.Intn(len(prefixes))], mids[r.Intn(len(mids))]} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 3 && strings.Contains(parts[2], "by ") && !strings.HasPrefix(parts[2], "sort") {
		if s := suffixes[r.Intn(len(suffixes))]; s != "" && (s != "sort by count" || strings.HasPrefix(parts[2], "count")) {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " | ")
}

// TestParallelEqualsSequential is the property test of the parallel strategies: for generated
// queries over generated data in a real store, 2 and 3 workers give exactly what 1 worker
// gives (float results within 1e-9 relative: the additions happen in another order), with
// the same module statistics.
func TestParallelEqualsSequential(t *testing.T) {
	st, ids := openGenStore(t, 6000, 77)
	r := rand.New(rand.NewSource(5))
	queries := []string{
		// one of each strategy, always
		"tag=json,kv,syslog,csv json status bytes dur host | stats count sum(bytes) mean(dur) stddev(dur) by host",
		"tag=json,kv,syslog,csv grep -i admin",
		"tag=json,kv,syslog,csv kv status | unique status",
		"tag=json,kv,syslog,csv sort by time asc",
	}
	for range 40 {
		queries = append(queries, genQuery(r))
	}
	for _, query := range queries {
		q, err := Parse(query)
		if err != nil {
			t.Fatalf("Parse(%q): %v", query, err)
		}
		var want []outEntry
		var wantRec *fakeRec
		for _, workers := range []int{1, 2, 3} {
			sink := &memSink{}
			rec := newFakeRec(tStart, int64(time.Minute))
			opt := RunOptions{Tags: ids, Start: tStart, End: tEnd, Workers: workers}
			if err := q.Run(context.Background(), st, sink, rec, opt); err != nil {
				t.Fatalf("%s, %d workers: %v", query, workers, err)
			}
			if n := len(sink.progress); n == 0 || sink.progress[n-1] != tStart {
				t.Fatalf("%s, %d workers: progress does not end at the range start", query, workers)
			}
			if workers == 1 {
				want, wantRec = sink.out, rec
				continue
			}
			if msg := diffOut(want, sink.out); msg != "" {
				t.Fatalf("%s: %d workers differ from 1: %s", query, workers, msg)
			}
			for m := range q.Modules {
				if a, b := wantRec.total(m), rec.total(m); a != b {
					t.Fatalf("%s: %d workers: module %d counters %+v, 1 worker %+v", query, workers, m, b, a)
				}
			}
		}
	}
}

// diffOut compares two outputs entry by entry; float values (and Data holding a float's text)
// compare within 1e-9 relative.
func diffOut(want, got []outEntry) string {
	if len(want) != len(got) {
		return "got " + strconv.Itoa(len(got)) + " entries, want " + strconv.Itoa(len(want))
	}
	for i := range want {
		a, b := want[i], got[i]
		bad := a.TS != b.TS || a.Tag != b.Tag || a.SRC != b.SRC || !closeText(a.Data, b.Data) || len(a.Keys) != len(b.Keys)
		for k := 0; !bad && k < len(a.Keys); k++ {
			va, vb := a.EVs[a.Keys[k]], b.EVs[b.Keys[k]]
			bad = a.Keys[k] != b.Keys[k] || va.Type != vb.Type
			if !bad && va.Type == wire.TypeFloat64 {
				bad = !closeFloat(math.Float64frombits(va.N), math.Float64frombits(vb.N))
			} else if !bad {
				bad = valueString(va) != valueString(vb)
			}
		}
		if bad {
			return "entry " + strconv.Itoa(i) + ": got " + b.String() + ", want " + a.String()
		}
	}
	return ""
}

func closeText(a, b string) bool {
	if a == b {
		return true
	}
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && closeFloat(x, y)
}

func closeFloat(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-9*max(math.Abs(a), math.Abs(b))
}

// TestPartialMerge drives the exported Partial API the way a cluster would: shares of the
// entries fed to separate Partials, merged, then finished, equal one run over everything.
func TestPartialMerge(t *testing.T) {
	ents, _ := gen(3000, 13)
	query := "tag=x kv status bytes dur host | stats count sum(bytes) min(bytes) max(dur) unique_count(host) by status | sort by status"
	q, err := Parse(query)
	if err != nil {
		t.Fatal(err)
	}
	if !q.Mergeable() {
		t.Fatal("query not mergeable")
	}
	opt := RunOptions{Tags: []uint16{1, 2, 3, 4}, Start: tStart, End: tEnd, Workers: 1}
	want := &memSink{}
	if err := q.Run(context.Background(), newMemSource(ents, 37), want, nil, opt); err != nil {
		t.Fatal(err)
	}
	parts := make([]*Partial, 3)
	for i := range parts {
		if parts[i], err = q.NewPartial(nil, opt); err != nil {
			t.Fatal(err)
		}
	}
	k := 0
	err = newMemSource(ents, 37).Scan(context.Background(), store.ScanQuery{Tags: opt.Tags, Start: tStart, End: tEnd},
		func(b []wire.Entry) error {
			k++
			return parts[k%3].Add(b)
		})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range parts[1:] {
		if err := parts[0].Merge(o); err != nil {
			t.Fatal(err)
		}
	}
	got := &memSink{}
	if err := parts[0].Finish(context.Background(), got); err != nil {
		t.Fatal(err)
	}
	if len(want.out) == 0 {
		t.Fatal("no output")
	}
	if msg := diffOut(want.out, got.out); msg != "" {
		t.Fatal(msg)
	}

	if q2, _ := Parse("tag=x kv status | unique status | count"); q2.Mergeable() {
		t.Error("unique before count must not be mergeable")
	}
	if q2, _ := Parse("tag=x kv status | unique status | count"); q2 != nil {
		if _, err := q2.NewPartial(nil, opt); err == nil {
			t.Error("NewPartial of an unmergeable query succeeded")
		}
	}
	other, _ := Parse(query)
	po, _ := other.NewPartial(nil, opt)
	if err := parts[0].Merge(po); err == nil {
		t.Error("merging partials of different queries succeeded")
	}
}

// TestParallelLimits checks that the limits still hold (and are named) when workers merge.
func TestParallelLimits(t *testing.T) {
	st, ids := openGenStore(t, 3000, 3)
	for _, c := range []struct{ query, field string }{
		{"tag=json,kv,syslog,csv kv dur | count by dur", "MaxGroups"},
		{"tag=json,kv,syslog,csv sort by tag", "MaxSortBytes"},
	} {
		q, err := Parse(c.query)
		if err != nil {
			t.Fatal(err)
		}
		opt := RunOptions{Tags: ids, Start: tStart, End: tEnd, Workers: 2, MaxGroups: 100, MaxSortBytes: 100 << 10}
		err = q.Run(context.Background(), st, &memSink{}, nil, opt)
		le, ok := err.(*LimitExceededError)
		if !ok || le.Field != c.field {
			t.Errorf("%s: err %v, want a LimitExceededError naming %s", c.query, err, c.field)
		}
	}
}

// TestPlainCountFastPath: a plain count (countAll) gives exactly what the general aggregation
// loop gives for the same operation (stats count), on any batching and tag mix.
func TestPlainCountFastPath(t *testing.T) {
	ents, _ := gen(5000, 32)
	for _, batch := range []int{1, 7, 100, 5000} {
		fast, general := &memSink{}, &memSink{}
		for q, sink := range map[string]*memSink{"tag=x grep -i admin | count": fast, "tag=x grep -i admin | stats count": general} {
			pq, err := Parse(q)
			if err != nil {
				t.Fatal(err)
			}
			if err := pq.Run(context.Background(), newMemSource(ents, batch), sink, nil,
				RunOptions{Tags: []uint16{1, 2, 3, 4}, Start: tStart, End: tEnd, Workers: 1}); err != nil {
				t.Fatal(err)
			}
		}
		if len(fast.out) != 1 {
			t.Fatalf("batch %d: %d rows", batch, len(fast.out))
		}
		if msg := diffOut(general.out, fast.out); msg != "" {
			t.Fatalf("batch %d: %s", batch, msg)
		}
	}
	// batches out of time order, as a worker of a parallel scan sees them: the row still takes
	// the newest entry's time and tag
	var rev []wire.Entry
	for _, i := range inRange(ents) {
		rev = append([]wire.Entry{ents[i]}, rev...) // oldest first
	}
	var outs [2]*memSink
	for k, q := range []string{"tag=x count", "tag=x stats count"} {
		pq, _ := Parse(q)
		pt, err := pq.NewPartial(nil, RunOptions{Tags: []uint16{1, 2, 3, 4}, Start: tStart, End: tEnd})
		if err != nil {
			t.Fatal(err)
		}
		for lo := 0; lo < len(rev); lo += 64 {
			if err := pt.Add(rev[lo:min(lo+64, len(rev))]); err != nil {
				t.Fatal(err)
			}
		}
		outs[k] = &memSink{}
		if err := pt.Finish(context.Background(), outs[k]); err != nil {
			t.Fatal(err)
		}
	}
	newest := rev[len(rev)-1]
	if rev[0].Tag == newest.Tag {
		t.Fatal("test data: the oldest and newest entries must differ in tag")
	}
	if o := outs[0].out; len(o) != 1 || o[0].TS != newest.TS || o[0].Tag != newest.Tag {
		t.Fatalf("out-of-order count row %+v, want TS %d tag %d", o, newest.TS, newest.Tag)
	}
	if msg := diffOut(outs[1].out, outs[0].out); msg != "" {
		t.Fatal("out of order:", msg)
	}
}
