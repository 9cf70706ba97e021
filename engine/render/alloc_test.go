//go:build !race

package render

import (
	"context"
	"testing"

	"github.com/sluicehq/sluice/wire"
)

// Every request is answered without allocating once dst has room.
func TestHandleNoAllocs(t *testing.T) {
	explore := func(dst, data []byte, tag string) []byte {
		dst = append(dst, `{"Tag":`...)
		dst = wire.AppendString(dst, tag)
		return append(dst, '}')
	}
	start := tStart
	entries := statsResult(t, start, 60, Spec{Renderer: "raw", Explore: explore})
	addAll(entries, genEntries(3000), 500)
	unordered := newTestResult(t, Spec{})
	in := genEntries(500)
	in[3], in[400] = in[400], in[3]
	addAll(unordered, in, 500)
	table := newTestResult(t, Spec{Renderer: "table"})
	addAll(table, genEntries(500), 100)
	chart := newTestResult(t, Spec{Renderer: "chart", Args: []string{"count", "by", "host"}})
	addAll(chart, genEntries(500), 100)
	gauge := newTestResult(t, Spec{Renderer: "gauge"})
	addAll(gauge, genEntries(10), 10)
	reqs := []string{`{"ID":1}`, `{"ID":3,"Addendum":{"filterID":"x"}}`, `{"ID":4}`, `{"ID":5}`, `{"ID":65537}`,
		`{"ID":16,"EntryRange":{"First":100,"Last":1124}}`, `{"ID":19,"EntryRange":{"First":0,"Last":50}}`,
		`{"ID":18,"EntryRange":{"First":10,"Last":500,"StartTS":"` + rfc(tEnd-2000e9) + `","EndTS":"` + rfc(tEnd-100e9) + `"}}`,
		`{"ID":61456,"EntryRange":{"First":0,"Last":100}}`, `{"ID":61458,"EntryRange":{"First":0,"Last":100,"StartTS":"` + rfc(tEnd-2000e9) + `"}}`,
		`{"ID":2130706433}`, `{"ID":2130706434}`, `{"ID":2130706435,"Stats":{"SetCount":90}}`, `{"ID":2130706435}`,
		`{"ID":2130706436,"Stats":{"SetCount":90,"SetStart":"` + rfc(start-3600e9) + `","SetEnd":"` + rfc(start+3600e9) + `"}}`,
		`{"ID":2130706437}`, `{"ID":2130706438}`, `{"ID":2130706439,"Stats":{"SetCount":10}}`}
	check := func(r *Result, q string) {
		t.Helper()
		var p wire.RequestParser
		var req wire.Request
		if err := p.Parse([]byte(q), &req); err != nil {
			t.Fatal(err)
		}
		dst := make([]byte, 0, 1<<20)
		if n := testing.AllocsPerRun(50, func() {
			dst = r.Handle(&req, dst[:0])
			if dst[6] == '4' && dst[7] == '2' { // RESP_ERROR
				t.Fatalf("%s: %s", q, dst)
			}
		}); n != 0 {
			t.Errorf("%s on %s: %v allocations", q, r.spec.Renderer, n)
		}
	}
	for _, q := range reqs {
		check(entries, q)
	}
	for _, r := range []*Result{unordered, table, chart, gauge} {
		for _, q := range reqs[:8] {
			if r.kind == kindEntries || q[6:8] != "19" {
				check(r, q)
			}
		}
	}
}

// Add allocates only for new arena chunks and index segments, not per entry.
func TestAddAllocs(t *testing.T) {
	for _, rn := range []string{"text", "raw", "table"} {
		r := newTestResult(t, Spec{Renderer: rn})
		batch := genEntries(1000)
		r.Add(batch) // metadata names, sources, tags and columns are new once
		n := testing.AllocsPerRun(20, func() { r.Add(batch) })
		if n > 3 {
			t.Errorf("%s: %v allocations per 1000-entry batch", rn, n)
		}
	}
	for _, c := range []Spec{{Renderer: "chart", Args: []string{"ratio", "by", "host"}}, {Renderer: "gauge"}} {
		r := newTestResult(t, c)
		batch := genEntries(1000)
		r.Add(batch)
		if n := testing.AllocsPerRun(20, func() { r.Add(batch) }); n != 0 {
			t.Errorf("%s: %v allocations per batch", c.Renderer, n)
		}
	}
}

// A whole stream allocates a constant few objects (the emit closure and its block), nothing
// per block.
func TestStreamAllocs(t *testing.T) {
	for _, n := range []int{2000, 20000} {
		r := newTestResult(t, Spec{StreamBlock: 100})
		addAll(r, genEntries(n), 1000)
		r.Finish(nil)
		buf := make([]byte, 0, 1<<20)
		emit := func(data func([]byte) []byte) error {
			buf = data(buf[:0])
			return nil
		}
		allocs := testing.AllocsPerRun(5, func() {
			if err := r.Stream(context.Background(), emit); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > 3 {
			t.Errorf("%d entries: %v allocations per stream of %d blocks", n, allocs, n/100+1)
		}
		t.Logf("%d blocks: %v allocations per stream", n/100+1, allocs)
	}
}
