package search

import (
	"context"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine/store"
	"github.com/sluicehq/sluice/wire"
)

func TestGrepTokens(t *testing.T) {
	f := func(pattern string, fold bool, want ...string) {
		t.Helper()
		g := compileGrep(decodeEscapes(pattern, true), false, fold)
		if got := g.tokens(); !slices.Equal(got, want) {
			t.Errorf("tokens(%q) = %q, want %q", pattern, got, want)
		}
	}
	f(`items/1234567?`, false) // '?' may extend the number
	f(`/items/1234567 `, false, "items", "1234567")
	f(`items`, false)                        // may be part of a longer token
	f(` GET /a?b/c `, true, "get", "c")      // folded; "a" and "b" touch the '?'
	f(` user=bob*id=7 `, false, "user", "7") // '*' splits pieces: "bob" and "id" touch piece ends
	f(`"host":"web-1"`, false, "host", "web", "1")
	f(` é `, false, "é")
	f(`a\x00b\x00c`, false, "b")
	f(`-`, false)
}

// accelEntries makes n entries with rare tokens (request IDs, users) and common ones, in
// time order over the test hour.
func accelEntries(n int, seed int64) []wire.Entry {
	r := rand.New(rand.NewSource(seed))
	words := []string{"GET", "POST", "alpha", "Beta", "gamma", "délai", "x_y", "ERROR", "warn"}
	ents := make([]wire.Entry, n)
	for i := range ents {
		ts := tStart + int64(i)*int64(time.Hour)/int64(n) + r.Int63n(1000)
		line := fmt.Sprintf("%s req=%d user=u%d path=/items/%d %s code=%d",
			words[r.Intn(len(words))], r.Intn(1_000_000), r.Intn(500), r.Intn(100_000), words[r.Intn(len(words))], 100+r.Intn(5))
		ents[i] = wire.Entry{TS: ts, Tag: 1, Data: []byte(line)}
	}
	return ents
}

// TestAccelEqualsPlain is the property test of the accelerators: generated grep queries over
// generated data in a real store (small blocks, each with its bloom filter) give exactly the
// same output with and without acceleration, on 1 and 2 workers; needle queries skip blocks.
func TestAccelEqualsPlain(t *testing.T) {
	st, err := store.Open(store.Config{Dir: t.TempDir(), BlockSize: 4 << 10, ScanBatch: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tag, err := st.TagID("acc")
	if err != nil {
		t.Fatal(err)
	}
	ents := accelEntries(8000, 11)
	for i := range ents {
		ents[i].Tag = tag
	}
	for lo := 0; lo < len(ents); lo += 1000 {
		if err := st.Ingest(ents[lo : lo+1000]); err != nil {
			t.Fatal(err)
		}
	}
	r := rand.New(rand.NewSource(12))
	pick := func() string { // a literal taken from a random entry, sometimes mangled
		d := string(ents[r.Intn(len(ents))].Data)
		a := r.Intn(len(d))
		b := min(len(d), a+1+r.Intn(24))
		s := d[a:b]
		switch r.Intn(6) {
		case 0:
			s = strings.ToUpper(s)
		case 1:
			s = strings.Replace(s, "1", "?", 1)
		case 2:
			s = "req=" + fmt.Sprint(r.Intn(1_000_000)) + " "
		case 3:
			s = " u" + fmt.Sprint(r.Intn(600)) + " "
		}
		return s
	}
	queries := []string{
		`tag=acc grep "req=424242 "`, // (probably) absent: every block can be skipped
		fmt.Sprintf(`tag=acc grep " %s "`, strings.Fields(string(ents[4321].Data))[1]), // one entry's request ID
	}
	for range 60 {
		var b strings.Builder
		b.WriteString("tag=acc grep")
		for _, fl := range []string{"-i", "-s", "-v"} {
			if r.Intn(4) == 0 {
				b.WriteString(" " + fl)
			}
		}
		for n := 1 + r.Intn(2); n > 0; n-- {
			fmt.Fprintf(&b, " %q", pick())
		}
		switch r.Intn(4) {
		case 1:
			fmt.Fprintf(&b, " | grep %q", pick())
		case 2:
			b.WriteString(" | kv code | count by code")
		case 3:
			b.WriteString(" | limit 5")
		}
		queries = append(queries, b.String())
	}
	skipped := 0
	for _, query := range queries {
		q, err := Parse(query)
		if err != nil {
			t.Fatalf("Parse(%q): %v", query, err)
		}
		var want []outEntry
		for i, c := range []struct {
			workers int
			noAccel bool
		}{{1, true}, {1, false}, {2, false}, {2, true}} {
			sink := &memSink{}
			var counts store.ScanCounts
			opt := RunOptions{Tags: []uint16{tag}, Start: tStart, End: tEnd, Workers: c.workers, NoAccel: c.noAccel, Counts: &counts}
			if err := q.Run(context.Background(), st, sink, nil, opt); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
			if counts.Blocks == 0 {
				t.Fatalf("%s: the scan considered no blocks", query)
			}
			if c.noAccel && counts.Skipped != 0 {
				t.Fatalf("%s: NoAccel skipped %d blocks", query, counts.Skipped)
			}
			skipped += int(counts.Skipped)
			if i == 0 {
				want = sink.out
				continue
			}
			if msg := diffOut(want, sink.out); msg != "" {
				t.Fatalf("%s (workers %d, accel %v): %s", query, c.workers, !c.noAccel, msg)
			}
		}
		if query == queries[0] || query == queries[1] {
			var counts store.ScanCounts
			if err := q.Run(context.Background(), st, &memSink{}, nil, RunOptions{Tags: []uint16{tag}, Start: tStart, End: tEnd, Counts: &counts}); err != nil {
				t.Fatal(err)
			}
			if counts.Skipped < counts.Blocks*9/10 {
				t.Errorf("%s: skipped %d of %d blocks, want at least 90%%", query, counts.Skipped, counts.Blocks)
			}
		}
	}
	if skipped == 0 {
		t.Fatal("no query skipped a block")
	}
}
