package search

import (
	"bytes"
	"context"
	"errors"
	"math/rand"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine/store"
	"github.com/sluicehq/sluice/wire"
)

// wireQueries cover every condensing module that merges: each aggregation, stats with every
// operation (unique_count's sets included), windows, by fields of several types, and sort.
var wireQueries = []string{
	"tag=x count",
	"tag=x json status bytes dur host | count by host",
	"tag=x kv status bytes dur host | stats count sum(bytes) mean(dur) min(bytes) max(dur) stddev(dur) variance(bytes) unique_count(host) by status",
	"tag=x kv status bytes dur host | sum dur by host over 7m",
	"tag=x json status bytes dur host | mean dur by status | sort by status",
	"tag=x kv status bytes dur host | stddev dur by host",
	"tag=x kv status bytes dur host | min dur by TAG,SRC",
	"tag=x kv status bytes dur host | stats count unique_count(status) by host over 10m",
	"tag=x kv status bytes dur host | sort by bytes",
	"tag=x json status bytes dur host | sort by host asc | limit 20",
	"tag=x grep -i admin | sort by time asc",
	"tag=x length | sort by src",
}

// feedShares runs ents through three Partials of q, batches dealt round-robin.
func feedShares(t *testing.T, q *Query, opt RunOptions, rec func(i int) StatsRecorder, ents []wire.Entry) []*Partial {
	t.Helper()
	parts := make([]*Partial, 3)
	for i := range parts {
		var err error
		if parts[i], err = q.NewPartial(rec(i), opt); err != nil {
			t.Fatal(err)
		}
	}
	k := 0
	err := newMemSource(ents, 41).Scan(context.Background(), store.ScanQuery{Tags: opt.Tags, Start: opt.Start, End: opt.End},
		func(b []wire.Entry) error {
			k++
			return parts[k%3].Add(b)
		})
	if err != nil {
		t.Fatal(err)
	}
	return parts
}

// TestPartialWireMergeEquivalence: encoding shares, decoding and merging them gives exactly
// (floats bit for bit) what merging them in memory gives, whatever the chunk size.
func TestPartialWireMergeEquivalence(t *testing.T) {
	ents, _ := gen(1500, 21)
	opt := RunOptions{Tags: []uint16{1, 2, 3, 4}, Start: tStart, End: tEnd}
	for _, query := range wireQueries {
		q, err := Parse(query)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		if !q.Mergeable() {
			t.Fatalf("%s: not mergeable", query)
		}
		for _, chunk := range []int{1, 1500, 1 << 20} {
			mem := feedShares(t, q, opt, func(int) StatsRecorder { return nil }, ents)
			viaWire := feedShares(t, q, opt, func(int) StatsRecorder { return nil }, ents)
			for _, o := range mem[1:] {
				if err := mem[0].Merge(o); err != nil {
					t.Fatal(err)
				}
			}
			into, _ := q.NewPartial(nil, opt)
			chunks := 0
			for _, pt := range viaWire {
				err := pt.Encode(chunk, func(c []byte) error {
					chunks++
					if len(c) > chunk && chunk > 1000 {
						t.Fatalf("%s: chunk of %d bytes for a limit of %d", query, len(c), chunk)
					}
					return into.AddWire(c)
				})
				if err != nil {
					t.Fatalf("%s: %v", query, err)
				}
			}
			want, got := &memSink{}, &memSink{}
			if err := mem[0].Finish(context.Background(), want); err != nil {
				t.Fatal(err)
			}
			if err := into.Finish(context.Background(), got); err != nil {
				t.Fatal(err)
			}
			if len(want.out) == 0 || chunks == 0 {
				t.Fatalf("%s: no output (%d chunks)", query, chunks)
			}
			if !reflect.DeepEqual(want.out, got.out) {
				t.Fatalf("%s, chunks of %d: decoded merge differs: %s", query, chunk, diffOut(want.out, got.out))
			}
		}
	}
}

// TestStatsTallyWire: the statistics a share records, sent through a tally, replay into a
// recorder exactly as if the share had recorded there.
func TestStatsTallyWire(t *testing.T) {
	ents, _ := gen(2000, 5)
	opt := RunOptions{Tags: []uint16{1, 2, 3, 4}, Start: tStart, End: tEnd}
	q, _ := Parse("tag=x grep -v GET | kv status bytes | count by status")
	direct := newFakeRec(tStart, int64(time.Minute))
	feedShares(t, q, opt, func(int) StatsRecorder { return direct }, ents)
	tally := NewStatsTally(tStart, int64(time.Minute), 3)
	feedShares(t, q, opt, func(i int) StatsRecorder { return shardRec{tally, i} }, ents)
	replayed := newFakeRec(tStart, int64(time.Minute))
	var recs []StatsRecord
	err := tally.EncodeStats(200, func(c []byte) error {
		if !IsStatsChunk(c) {
			t.Fatal("not a statistics chunk")
		}
		var err error
		recs, err = q.DecodeStats(recs, c, tStart, tEnd, int64(time.Minute))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		replayed.Record(0, r.Module, r.TS, &r.C)
	}
	if len(direct.c) == 0 {
		t.Fatal("nothing recorded")
	}
	// Duration is each share's own time: compare everything else
	strip := func(m map[[2]int64]wire.Counters) map[[2]int64]wire.Counters {
		out := map[[2]int64]wire.Counters{}
		for k, c := range m {
			c.Duration = 0
			out[k] = c
		}
		return out
	}
	if a, b := strip(direct.c), strip(replayed.c); !reflect.DeepEqual(a, b) {
		t.Fatalf("replayed statistics differ:\n%v\n%v", b, a)
	}
	if _, err := q.DecodeStats(nil, []byte{partialWireVersion, wireStats, 120, 1, 2, 0, 0}, tStart, tEnd, int64(time.Minute)); !errors.Is(err, ErrPartialWire) {
		t.Errorf("wrong width: %v", err)
	}
}

// shardRec records every call in one shard of a tally (the shares of the test run on one
// goroutine each, one after the other).
type shardRec struct {
	t     *StatsTally
	shard int
}

func (r shardRec) Width() int64 { return r.t.Width() }
func (r shardRec) Record(_, module int, ts int64, c *wire.Counters) {
	r.t.Record(r.shard, module, ts, c)
}

// TestPartialWireRejects: truncated, inflated and mismatched chunks fail with errors naming the
// problem, without panicking or allocating what the bytes do not justify, and the named limits
// hold on decoding.
func TestPartialWireRejects(t *testing.T) {
	ents, _ := gen(200, 8)
	opt := RunOptions{Tags: []uint16{1, 2, 3, 4}, Start: tStart, End: tEnd}
	for _, query := range wireQueries {
		q, _ := Parse(query)
		parts := feedShares(t, q, opt, func(int) StatsRecorder { return nil }, ents)
		var chunk []byte
		_ = parts[0].Encode(1<<20, func(c []byte) error { chunk = c; return nil })
		for n := 0; n < len(chunk); n++ {
			into, _ := q.NewPartial(nil, opt)
			if err := into.AddWire(chunk[:n]); !errors.Is(err, ErrPartialWire) {
				t.Fatalf("%s: %d of %d bytes: err %v", query, n, len(chunk), err)
			}
		}
		into, _ := q.NewPartial(nil, opt)
		if err := into.AddWire(append(bytes.Clone(chunk), 0)); !errors.Is(err, ErrPartialWire) {
			t.Fatalf("%s: trailing byte: %v", query, err)
		}
		other, _ := Parse("tag=x kv a b c d e | stats count sum(a) as sa sum(b) as sb by c,d")
		op, _ := other.NewPartial(nil, opt)
		if err := op.AddWire(chunk); err == nil {
			t.Fatalf("%s: decoded into another query's partial", query)
		}
	}
	// a count far beyond the bytes: refused before any allocation
	q, _ := Parse("tag=x kv host | count by host")
	pt, _ := q.NewPartial(nil, opt)
	bomb := []byte{partialWireVersion, wireAgg, 1, 1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}
	allocs := testing.AllocsPerRun(10, func() { _ = pt.AddWire(bomb) })
	if err := pt.AddWire(bomb); !errors.Is(err, ErrPartialWire) || allocs > 50 {
		t.Fatalf("count bomb: err %v, %v allocations", err, allocs)
	}
	// MaxGroups holds on a decoded chunk
	parts := feedShares(t, q, opt, func(int) StatsRecorder { return nil }, ents)
	small := opt
	small.MaxGroups = 2
	into, _ := q.NewPartial(nil, small)
	err := parts[0].Encode(1<<20, into.AddWire)
	var le *LimitExceededError
	if !errors.As(err, &le) || le.Field != "MaxGroups" {
		t.Fatalf("MaxGroups: %v", err)
	}
	// MaxSortBytes too
	qs, _ := Parse("tag=x sort by src")
	sparts := feedShares(t, qs, opt, func(int) StatsRecorder { return nil }, ents)
	small = opt
	small.MaxSortBytes = 1000
	sinto, _ := qs.NewPartial(nil, small)
	if err := sparts[0].Encode(1<<20, sinto.AddWire); !errors.As(err, &le) || le.Field != "MaxSortBytes" {
		t.Fatalf("MaxSortBytes: %v", err)
	}
}

// pairSource is the data of a cluster split over holders, each a real store, as a
// PartialSource whose holders run RunPartial in this process: the strategy without the network.
type pairSource struct {
	holders map[string]*store.Store
	tags    map[string]map[uint16]uint16 // holder → requester tag ID → its own
	calls   int
}

func (s *pairSource) Scan(ctx context.Context, q store.ScanQuery, fn func([]wire.Entry) error) error {
	return errors.New("pairSource: ordered scans are not used by the remote strategy")
}

func (s *pairSource) ScanPartials(ctx context.Context, sq store.ScanQuery, req *PartialRequest, fn func(string, []byte) error) error {
	s.calls++
	names := make([]string, 0, len(s.holders))
	for name := range s.holders {
		names = append(names, name)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(names))) // arrival order is not merge order
	for _, name := range names {
		q := sq
		q.Tags = nil
		back := map[uint16]uint16{}
		for _, id := range sq.Tags {
			q.Tags = append(q.Tags, s.tags[name][id])
			back[s.tags[name][id]] = id
		}
		err := RunPartial(ctx, s.holders[name], q, req, back, RunOptions{Workers: 2}, 512, func(c []byte) error { return fn(name, c) })
		if err != nil {
			return err
		}
		if err := fn(name, nil); err != nil {
			return err
		}
	}
	return nil
}

// TestRunPartialsEqualsOneStore: mergeable queries over data split between two stores, run
// through PartialSource (each store running its share with two workers), give what one store
// holding everything gives, with the same module statistics.
func TestRunPartialsEqualsOneStore(t *testing.T) {
	ents, _ := gen(4000, 99)
	one, ids := openGenStore(t, 4000, 99)
	src := &pairSource{holders: map[string]*store.Store{}, tags: map[string]map[uint16]uint16{}}
	r := rand.New(rand.NewSource(3))
	split := [2][]wire.Entry{}
	for _, e := range ents {
		k := r.Intn(2)
		split[k] = append(split[k], e)
	}
	for k, name := range []string{"idx-a", "idx-b"} {
		st, err := store.Open(store.Config{Dir: t.TempDir(), ScanBatch: 50, BlockSize: 16 << 10})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		m := map[uint16]uint16{}
		// tags created in another order than the requester's: holders' IDs differ
		for i := 3; i >= 0; i-- {
			id, _ := st.TagID([]string{"json", "kv", "syslog", "csv"}[i])
			m[ids[i]] = id
		}
		part := append([]wire.Entry(nil), split[k]...)
		for i := range part {
			part[i].Tag = m[ids[part[i].Tag-1]]
		}
		if err := st.Ingest(part); err != nil {
			t.Fatal(err)
		}
		src.holders[name], src.tags[name] = st, m
	}
	for _, query := range []string{
		"tag=json,kv,syslog,csv json status bytes dur host | stats count sum(bytes) mean(dur) stddev(dur) unique_count(host) by host",
		"tag=json,kv,syslog,csv kv status bytes | count by status over 5m",
		"tag=json,kv,syslog,csv kv bytes | sort by bytes desc | limit 30",
		"tag=json,kv,syslog,csv count",
		"tag=json,kv,syslog,csv count by TAG", // answered from block summaries, tags mapped
		"tag=json count over 5m",              // windows from block summaries too
	} {
		q, err := Parse(query)
		if err != nil {
			t.Fatal(err)
		}
		opt := RunOptions{Tags: ids, Start: tStart, End: tEnd, Workers: 2}
		want, got := &memSink{}, &memSink{}
		wantRec, gotRec := newFakeRec(tStart, int64(time.Minute)), newFakeRec(tStart, int64(time.Minute))
		if err := q.Run(context.Background(), one, want, wantRec, opt); err != nil {
			t.Fatal(err)
		}
		calls := src.calls
		if err := q.Run(context.Background(), src, got, gotRec, opt); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		if src.calls != calls+1 {
			t.Fatalf("%s: the remote strategy was not used", query)
		}
		if len(want.out) == 0 {
			t.Fatalf("%s: no output", query)
		}
		if msg := diffOut(want.out, got.out); msg != "" {
			t.Fatalf("%s: %s", query, msg)
		}
		if n := len(got.progress); n == 0 || got.progress[n-1] != tStart {
			t.Fatalf("%s: progress does not end at the range start", query)
		}
		for m := range q.Modules {
			if a, b := wantRec.total(m), gotRec.total(m); a != b {
				t.Fatalf("%s: module %d counters %+v, one store %+v", query, m, b, a)
			}
		}
	}
}

// FuzzPartialWire: no chunk makes the decoder panic or allocate beyond its limits, and what
// decodes re-encodes to a canonical form that decodes to itself.
func FuzzPartialWire(f *testing.F) {
	ents, _ := gen(300, 4)
	opt := RunOptions{Tags: []uint16{1, 2, 3, 4}, Start: tStart, End: tEnd, MaxGroups: 1000, MaxSortBytes: 1 << 20}
	queries := []*Query{}
	for _, s := range []string{
		"tag=x kv status bytes dur host | stats count sum(bytes) mean(dur) min(bytes) max(dur) stddev(dur) unique_count(host) by status,SRC over 5m",
		"tag=x kv status bytes dur host | sort by bytes",
	} {
		q, _ := Parse(s)
		queries = append(queries, q)
		pt, _ := q.NewPartial(nil, opt)
		_ = newMemSource(ents, 50).Scan(context.Background(), store.ScanQuery{Tags: opt.Tags, Start: tStart, End: tEnd},
			func(b []wire.Entry) error { return pt.Add(b) })
		_ = pt.Encode(3000, func(c []byte) error { f.Add(c); return nil })
	}
	f.Fuzz(func(t *testing.T, chunk []byte) {
		for _, q := range queries {
			pt, _ := q.NewPartial(nil, opt)
			if pt.AddWire(chunk) != nil {
				continue
			}
			var first, second []byte
			if err := pt.Encode(1<<30, func(c []byte) error { first = append(first, c...); return nil }); err != nil {
				t.Fatal(err)
			}
			if first == nil {
				continue
			}
			again, _ := q.NewPartial(nil, opt)
			if err := again.AddWire(first); err != nil {
				t.Fatalf("re-encoded chunk does not decode: %v", err)
			}
			_ = again.Encode(1<<30, func(c []byte) error { second = append(second, c...); return nil })
			if !bytes.Equal(first, second) {
				t.Fatalf("encoding not canonical:\n%x\n%x", first, second)
			}
		}
	})
}
