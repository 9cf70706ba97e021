package search

import (
	"context"
	"testing"

	"github.com/sluicehq/sluice/engine/store"
	"github.com/sluicehq/sluice/wire"
)

// TestRunOverStore runs queries over the real store and compares them with the in-memory
// source: the same entries must come out.
func TestRunOverStore(t *testing.T) {
	st, err := store.Open(store.Config{Dir: t.TempDir(), ScanBatch: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ents, _ := gen(2000, 21)
	ids := map[uint16]uint16{}
	for _, name := range []string{"json", "kv", "syslog", "csv"} {
		id, err := st.TagID(name)
		if err != nil {
			t.Fatal(err)
		}
		ids[uint16(len(ids)+1)] = id
	}
	stored := make([]wire.Entry, len(ents))
	for i, e := range ents {
		e.Tag = ids[e.Tag]
		stored[i] = e
	}
	if err := st.Ingest(stored); err != nil {
		t.Fatal(err)
	}
	tags := []uint16{ids[1], ids[2], ids[3], ids[4]}
	for _, query := range []string{
		"tag=x grep -i admin | json status",
		"tag=x kv status bytes | count by status | sort by status",
		"tag=x length | stats count sum(length) by TAG over 10m",
	} {
		q, err := Parse(query)
		if err != nil {
			t.Fatal(err)
		}
		fromStore, fromMem := &memSink{}, &memSink{}
		opt := RunOptions{Tags: tags, Start: tStart, End: tEnd}
		if err := q.Run(context.Background(), st, fromStore, nil, opt); err != nil {
			t.Fatal(err)
		}
		if err := q.Run(context.Background(), newMemSource(stored, 100), fromMem, nil, opt); err != nil {
			t.Fatal(err)
		}
		if len(fromStore.out) != len(fromMem.out) || len(fromStore.out) == 0 {
			t.Fatalf("%s: store gave %d entries, memory %d", query, len(fromStore.out), len(fromMem.out))
		}
		// the store orders equal timestamps freely: compare as multisets
		count := map[string]int{}
		for _, o := range fromMem.out {
			count[o.String()]++
		}
		for _, o := range fromStore.out {
			if count[o.String()]--; count[o.String()] < 0 {
				t.Fatalf("%s: unexpected entry from the store: %v", query, o)
			}
		}
	}
}
