package search

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine/budget"
	"github.com/sluicehq/sluice/engine/stats"
	"github.com/sluicehq/sluice/engine/store"
	"github.com/sluicehq/sluice/wire"
)

// The store and the stats ring plug straight into Run.
var (
	_ Source        = (*store.Store)(nil)
	_ StatsRecorder = (*stats.Ring)(nil)
)

// TestRunStatsRing runs a query into a real stats ring and checks the protocol's invariant
// (§5.11): the last module's OutputCount summed over all sets equals the entries that reached
// the renderer, and every module's chunks add up to what it saw.
func TestRunStatsRing(t *testing.T) {
	ents, _ := gen(3000, 11)
	for _, query := range []string{
		"tag=x grep GET",
		"tag=x json host | count by host over 5m | table",
		"tag=x kv status>=300 | unique status | stats count by status",
	} {
		q, err := Parse(query)
		if err != nil {
			t.Fatal(err)
		}
		ring := stats.NewRing(stats.RingConfig{Start: tStart, End: tEnd, Modules: len(q.Modules), MinWidth: q.Window, Shards: 2})
		sink := &memSink{}
		if err := q.Run(context.Background(), newMemSource(ents, 50), sink, ring, RunOptions{Tags: []uint16{1, 2, 3, 4}, Start: tStart, End: tEnd, Shard: 1}); err != nil {
			t.Fatal(err)
		}
		var agg stats.Aggregate
		ring.Aggregate(tStart, tEnd, 90, &agg)
		sums := make([]wire.Counters, len(q.Modules))
		for i := 0; i < agg.N; i++ {
			for m, c := range agg.C[i*agg.Modules : (i+1)*agg.Modules] {
				sums[m].InputCount += c.InputCount
				sums[m].OutputCount += c.OutputCount
			}
		}
		if last := sums[len(sums)-1].OutputCount; last != uint64(len(sink.out)) {
			t.Fatalf("%s: last module OutputCount %d, renderer got %d", query, last, len(sink.out))
		}
		if first := sums[0].InputCount; first != uint64(len(inRange(ents))) {
			t.Fatalf("%s: first module InputCount %d, scanned %d", query, first, len(inRange(ents)))
		}
	}
}

// cancelSource cancels the context after the first batch.
type cancelSource struct {
	*memSource
	cancel context.CancelFunc
}

func (s cancelSource) Scan(ctx context.Context, q store.ScanQuery, fn func([]wire.Entry) error) error {
	return s.memSource.Scan(ctx, q, func(b []wire.Entry) error {
		s.cancel()
		return fn(b)
	})
}

func TestRunCancel(t *testing.T) {
	ents, _ := gen(2000, 12)
	q, _ := Parse("tag=x count by host")
	ctx, cancel := context.WithCancel(context.Background())
	sink := &memSink{}
	err := q.Run(ctx, cancelSource{newMemSource(ents, 10), cancel}, sink, nil, RunOptions{Tags: []uint16{1}, Start: tStart, End: tEnd})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	if len(sink.out) != 0 {
		t.Fatalf("a cancelled count emitted %d rows", len(sink.out))
	}
}

// errSource fails.
type errSource struct{}

func (errSource) Scan(context.Context, store.ScanQuery, func([]wire.Entry) error) error {
	return errors.New("store: disk on fire")
}

func TestRunErrors(t *testing.T) {
	ents, _ := gen(3000, 13)
	q, _ := Parse("tag=x json bytes | count by bytes")
	err := q.Run(context.Background(), newMemSource(ents, 100), &memSink{}, nil,
		RunOptions{Tags: []uint16{1}, Start: tStart, End: tEnd, MaxGroups: 10})
	var le *LimitExceededError
	if !errors.As(err, &le) || le.Field != "MaxGroups" || le.Module != "count" || le.Limit != 10 {
		t.Fatalf("Run = %v, want a MaxGroups limit error", err)
	}
	q, _ = Parse("tag=x sort by TAG")
	err = q.Run(context.Background(), newMemSource(ents, 100), &memSink{}, nil,
		RunOptions{Tags: []uint16{1}, Start: tStart, End: tEnd, MaxSortBytes: 10000})
	if !errors.As(err, &le) || le.Field != "MaxSortBytes" {
		t.Fatalf("Run = %v, want a MaxSortBytes limit error", err)
	}
	// The sort buffers reserve from the memory budget and give it all back when Run returns.
	for _, workers := range []int{1, 2} {
		mem := budget.New("memory_budget_mb", 64<<10)
		q, _ = Parse("tag=x sort by TAG")
		err = q.Run(context.Background(), newMemSource(ents, 100), &memSink{}, nil,
			RunOptions{Tags: []uint16{1}, Start: tStart, End: tEnd, Memory: mem, Workers: workers})
		var be *budget.Error
		if !errors.As(err, &be) || be.Field != "memory_budget_mb" || mem.Used() != 0 {
			t.Fatalf("workers %d: Run = %v (budget used %d after), want a memory_budget_mb error and nothing held", workers, err, mem.Used())
		}
		mem = budget.New("memory_budget_mb", 64<<20)
		err = q.Run(context.Background(), newMemSource(ents, 100), &memSink{}, nil,
			RunOptions{Tags: []uint16{1}, Start: tStart, End: tEnd, Memory: mem, Workers: workers})
		if err != nil || mem.Used() != 0 || mem.Peak() < memReserveStep {
			t.Fatalf("workers %d: Run = %v, budget used %d, peak %d: want success, a reservation, nothing held after", workers, err, mem.Used(), mem.Peak())
		}
	}
	// So do aggregation groups and unique's keys.
	for _, query := range []string{"tag=x count by DATA", "tag=x unique DATA"} {
		for _, workers := range []int{1, 2} {
			mem := budget.New("memory_budget_mb", 64<<10)
			q, _ = Parse(query)
			err = q.Run(context.Background(), newMemSource(ents, 100), &memSink{}, nil,
				RunOptions{Tags: []uint16{1}, Start: tStart, End: tEnd, Memory: mem, Workers: workers})
			var be *budget.Error
			if !errors.As(err, &be) || be.Field != "memory_budget_mb" || mem.Used() != 0 {
				t.Fatalf("%s, workers %d: Run = %v (budget used %d after), want a memory_budget_mb error", query, workers, err, mem.Used())
			}
		}
	}
	q, _ = Parse("tag=x unique DATA")
	err = q.Run(context.Background(), newMemSource(ents, 100), &memSink{}, nil,
		RunOptions{Tags: []uint16{1}, Start: tStart, End: tEnd, MaxGroups: 5})
	if !errors.As(err, &le) || le.Module != "unique" {
		t.Fatalf("Run = %v, want a unique limit error", err)
	}
	if err := q.Run(context.Background(), errSource{}, &memSink{}, nil, RunOptions{}); err == nil || err.Error() != "store: disk on fire" {
		t.Fatalf("Run = %v, want the source's error", err)
	}
}

// TestRunEmptyAndFlushBatches checks a query over no data and condensing output larger than
// one flush batch.
func TestRunEmptyAndFlushBatches(t *testing.T) {
	q, _ := Parse("tag=x count by DATA | sort by count | table")
	sink := &memSink{}
	if err := q.Run(context.Background(), newMemSource(nil, 10), sink, nil, RunOptions{Start: tStart, End: tEnd}); err != nil {
		t.Fatal(err)
	}
	if len(sink.out) != 0 || len(sink.progress) != 1 {
		t.Fatalf("empty run: %d rows, progress %v", len(sink.out), sink.progress)
	}
	ents, _ := gen(3000, 14)
	sink = &memSink{}
	if err := q.Run(context.Background(), newMemSource(ents, 64), sink, newFakeRec(tStart, int64(time.Minute)),
		RunOptions{Tags: []uint16{1, 2, 3, 4}, Start: tStart, End: tEnd, FlushBatch: 7}); err != nil {
		t.Fatal(err)
	}
	if len(sink.out) != len(inRange(ents)) || sink.adds < len(sink.out)/7 {
		t.Fatalf("got %d rows in %d adds, want %d rows in batches of 7", len(sink.out), sink.adds, len(inRange(ents)))
	}
	for _, o := range sink.out {
		if o.EVs["count"].N != 1 || string(o.EVs["DATA"].B) == "" || o.Data != "1" {
			t.Fatalf("row %v", o)
		}
	}
}
