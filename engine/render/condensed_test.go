package render

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/sluicehq/sluice/wire"
)

type tableEntries struct {
	Columns []string
	Rows    []struct {
		TS  time.Time
		Row []string
	}
}

func tableOf(t *testing.T, rep reply) tableEntries {
	t.Helper()
	var te tableEntries
	if err := json.Unmarshal(rep.Entries, &te); err != nil {
		t.Fatal(err)
	}
	if te.Columns == nil || te.Rows == nil {
		t.Fatalf("null Columns or Rows: %s", rep.Entries)
	}
	return te
}

func TestTable(t *testing.T) {
	in := genEntries(120)
	r := newTestResult(t, Spec{Renderer: "table", Args: []string{"host", "count", "missing", "SRC", "TAG", "TIMESTAMP", "DATA"}})
	addAll(r, in, 50)
	r.Finish(nil)
	rep := doOK(t, r, `{"ID":16,"EntryRange":{"First":0,"Last":50}}`, 16)
	te := tableOf(t, rep)
	if rep.EntryCount != 120 || rep.EntryCountValid || !rep.AdditionalEntries || rep.Tags != nil || len(te.Rows) != 50 {
		t.Fatalf("table page: %+v, %d rows", rep, len(te.Rows))
	}
	for i, row := range te.Rows {
		e := in[i]
		tag := "syslog"
		if e.Tag == storeTagB {
			tag = "auth"
		}
		want := []string{fmt.Sprint("h", i%5), fmt.Sprint(i), "", e.SRC.String(), tag, rfc(e.TS), string(e.Data)}
		if fmt.Sprint(row.Row) != fmt.Sprint(want) || row.TS.UnixNano() != e.TS {
			t.Fatalf("row %d = %q, want %q", i, row.Row, want)
		}
	}
	// Rows tile: pages of 17 give all 120 rows once.
	n := 0
	for first := 0; ; first += 17 {
		rep := doOK(t, r, fmt.Sprintf(`{"ID":16,"EntryRange":{"First":%d,"Last":%d}}`, first, first+17), 16)
		for _, row := range tableOf(t, rep).Rows {
			if row.Row[1] != fmt.Sprint(n) {
				t.Fatalf("row %d: %q", n, row.Row)
			}
			n++
		}
		if !rep.AdditionalEntries {
			break
		}
	}
	if n != 120 {
		t.Fatalf("%d rows", n)
	}
	// Time windows select rows by TS.
	rep = doOK(t, r, `{"ID":18,"EntryRange":{"First":0,"Last":1000,"StartTS":"`+rfc(in[29].TS)+`","EndTS":"`+rfc(in[9].TS)+`"}}`, 18)
	if te := tableOf(t, rep); len(te.Rows) != 20 || te.Rows[0].Row[1] != "10" {
		t.Fatalf("window: %d rows", len(te.Rows))
	}
	// -nt ignores windows.
	nt := newTestResult(t, Spec{Renderer: "table", Args: []string{"-nt", "count"}})
	addAll(nt, in, 120)
	rep = doOK(t, nt, `{"ID":18,"EntryRange":{"First":0,"Last":1000,"StartTS":"`+rfc(in[29].TS)+`","EndTS":"`+rfc(in[9].TS)+`"}}`, 18)
	if te := tableOf(t, rep); len(te.Rows) != 120 {
		t.Fatalf("-nt window: %d rows", len(te.Rows))
	}
}

func TestTableDynamicColumns(t *testing.T) {
	r := newTestResult(t, Spec{Renderer: "table", MaxColumns: 3})
	r.Add([]wire.Entry{{TS: 3, EVs: []wire.EV{{Name: "a", Value: wire.IntValue(1)}}}})
	r.Add([]wire.Entry{{TS: 2, EVs: []wire.EV{{Name: "b", Value: wire.StringValue([]byte("x\x00"))}, {Name: "a", Value: wire.IntValue(2)}}},
		{TS: 1}})
	r.Add([]wire.Entry{{TS: 0, EVs: []wire.EV{{Name: "c", Value: wire.FloatValue(0.5)}, {Name: "d", Value: wire.IntValue(9)}}}})
	te := tableOf(t, doOK(t, r, `{"ID":16,"EntryRange":{"First":0,"Last":10}}`, 16))
	want := []string{"[1  ]", "[2 x\x00 ]", "[  ]", "[  0.5]"}
	if fmt.Sprint(te.Columns) != "[a b c]" || len(te.Rows) != 4 {
		t.Fatalf("columns %q, %d rows", te.Columns, len(te.Rows))
	}
	for i, row := range te.Rows {
		if len(row.Row) != 3 || fmt.Sprint(row.Row) != want[i] {
			t.Fatalf("row %d = %q, want %s", i, row.Row, want[i])
		}
	}
	empty := newTestResult(t, Spec{Renderer: "table"})
	rep, out := do(t, empty, `{"ID":16,"EntryRange":{"First":0,"Last":10}}`)
	if string(rep.Entries) != `{"Columns":[],"Rows":[]}` {
		t.Fatalf("empty table: %s", out)
	}
}

type chartEntries struct {
	Names      []string
	KeyComps   []struct{ Keys []string }
	Categories []string
	Values     []struct {
		TS   time.Time
		Data []*float64
	}
}

func chartOf(t *testing.T, rep reply) chartEntries {
	t.Helper()
	var ce chartEntries
	if err := json.Unmarshal(rep.Entries, &ce); err != nil {
		t.Fatal(err)
	}
	var client struct {
		Names  []string
		Values []struct{ Data []float64 }
	}
	if err := json.Unmarshal(rep.Entries, &client); err != nil {
		t.Fatalf("the Go client cannot decode the chart: %v", err)
	}
	return ce
}

func TestChart(t *testing.T) {
	// count by host, one entry per host per minute, emitted newest first as an aggregation
	// module would; host h2 misses minute 1; one entry lacks the value.
	r := newTestResult(t, Spec{Renderer: "chart", Args: []string{"count", "by", "host"}})
	var in []wire.Entry
	for m := 3; m >= 0; m-- {
		for h := 0; h < 3; h++ {
			if h == 2 && m == 1 {
				continue
			}
			in = append(in, wire.Entry{TS: tStart + int64(m)*60e9, EVs: []wire.EV{{Name: "host", Value: wire.StringValue([]byte(fmt.Sprint("h", h)))},
				{Name: "count", Value: wire.IntValue(int64(10*m + h))}}})
		}
	}
	in = append(in, wire.Entry{TS: tStart, EVs: []wire.EV{{Name: "host", Value: wire.StringValue([]byte("h9"))}}})
	addAll(r, in, 4)
	r.Finish(nil)
	rep := doOK(t, r, `{"ID":16,"EntryRange":{"First":0,"Last":100}}`, 16)
	ce := chartOf(t, rep)
	if fmt.Sprint(ce.Names) != "[h0 h1 h2]" || fmt.Sprint(ce.Categories) != "[h0 h1 h2]" || ce.KeyComps != nil || len(ce.Values) != 4 ||
		rep.EntryCount != uint64(len(in)) || rep.AdditionalEntries {
		t.Fatalf("chart: %s", rep.Entries)
	}
	for m, v := range ce.Values {
		if v.TS.UnixNano() != tStart+int64(m)*60e9 || len(v.Data) != 3 {
			t.Fatalf("slice %d: %+v", m, v)
		}
		for h, p := range v.Data {
			if h == 2 && m == 1 {
				if p != nil {
					t.Fatal("missing point is not null")
				}
				continue
			}
			if p == nil || *p != float64(10*m+h) {
				t.Fatalf("slice %d series %d: %v", m, h, p)
			}
		}
	}
	// Pages and windows count time slices.
	rep = doOK(t, r, `{"ID":16,"EntryRange":{"First":1,"Last":3}}`, 16)
	if ce := chartOf(t, rep); len(ce.Values) != 2 || ce.Values[0].TS.UnixNano() != tStart+60e9 || !rep.AdditionalEntries {
		t.Fatalf("chart page: %s", rep.Entries)
	}
	rep = doOK(t, r, `{"ID":18,"EntryRange":{"First":0,"Last":10,"StartTS":"`+rfc(tStart+60e9)+`","EndTS":"`+rfc(tStart+180e9)+`"}}`, 18)
	if ce := chartOf(t, rep); len(ce.Values) != 2 || ce.Values[1].TS.UnixNano() != tStart+120e9 {
		t.Fatalf("chart window: %s", rep.Entries)
	}

	// Several keys: KeyComps; several values: one series per value.
	m := newTestResult(t, Spec{Renderer: "chart", Args: []string{"mean", "max", "by", "host", "app"}})
	m.Add([]wire.Entry{{TS: 5, EVs: []wire.EV{{Name: "host", Value: wire.StringValue([]byte("a"))}, {Name: "app", Value: wire.StringValue([]byte("x"))},
		{Name: "mean", Value: wire.FloatValue(math.NaN())}, {Name: "max", Value: wire.IntValue(3)}}}})
	m.Finish(nil)
	ce = chartOf(t, doOK(t, m, `{"ID":16,"EntryRange":{"First":0,"Last":1}}`, 16))
	if fmt.Sprint(ce.Names) != "[a x mean a x max]" || len(ce.KeyComps) != 2 || fmt.Sprint(ce.KeyComps[1].Keys) != "[a x]" ||
		ce.Values[0].Data[0] != nil || *ce.Values[0].Data[1] != 3 {
		t.Fatalf("multi chart: %+v", ce)
	}
	// MaxSeries.
	s := newTestResult(t, Spec{Renderer: "chart", Args: []string{"count", "by", "host"}, MaxSeries: 2})
	addAll(s, in, 100)
	if ce := chartOf(t, doOK(t, s, `{"ID":16,"EntryRange":{"First":0,"Last":9}}`, 16)); len(ce.Names) != 2 {
		t.Fatalf("MaxSeries: %v", ce.Names)
	}
	empty := newTestResult(t, Spec{Renderer: "chart", Args: []string{"count"}})
	if rep := doOK(t, empty, `{"ID":16,"EntryRange":{"First":0,"Last":9}}`, 16); string(rep.Entries) != `{"Names":[],"Values":[]}` {
		t.Fatalf("empty chart: %s", rep.Entries)
	}
}

func TestGauge(t *testing.T) {
	r := newTestResult(t, Spec{Renderer: "gauge", Args: []string{"mean", "min=0", "max=64000", "p99"}})
	r.Add([]wire.Entry{{TS: 1, EVs: []wire.EV{{Name: "mean", Value: wire.FloatValue(1)}, {Name: "other", Value: wire.IntValue(5)}}}})
	r.Add([]wire.Entry{{TS: 2, EVs: []wire.EV{{Name: "mean", Value: wire.FloatValue(31691.213)}, {Name: "name", Value: wire.StringValue([]byte("x"))}}}})
	rep := doOK(t, r, `{"ID":18,"EntryRange":{"First":0,"Last":10,"StartTS":"2030-01-01T00:00:00Z"}}`, 18)
	var g []struct {
		Name                string
		Magnitude, Min, Max float64
	}
	if err := json.Unmarshal(rep.Entries, &g); err != nil || len(g) != 1 || g[0].Name != "mean" || g[0].Magnitude != 31691.213 || g[0].Max != 64000 || g[0].Min != 0 {
		t.Fatalf("gauge: %s", rep.Entries)
	}
	r.Add([]wire.Entry{{TS: 3, EVs: []wire.EV{{Name: "p99", Value: wire.IntValue(7)}}}})
	_ = json.Unmarshal(doOK(t, r, `{"ID":16,"EntryRange":{"First":0,"Last":10}}`, 16).Entries, &g)
	if len(g) != 2 || g[0].Name != "mean" || g[1].Name != "p99" || g[1].Magnitude != 7 {
		t.Fatalf("gauge order: %+v", g)
	}
	rep = doOK(t, r, `{"ID":16,"EntryRange":{"First":1,"Last":2}}`, 16)
	_ = json.Unmarshal(rep.Entries, &g)
	if len(g) != 1 || g[0].Name != "p99" || rep.AdditionalEntries {
		t.Fatalf("gauge page: %s", rep.Entries)
	}
	// Without names every numeric value is a gauge, in the order seen.
	d := newTestResult(t, Spec{Renderer: "numbercard"})
	d.Add(genEntries(3))
	_ = json.Unmarshal(doOK(t, d, `{"ID":16,"EntryRange":{"First":0,"Last":10}}`, 16).Entries, &g)
	if len(g) != 2 || g[0].Name != "count" || g[0].Magnitude != 2 || g[1].Name != "ratio" || g[1].Magnitude != 0.5 {
		t.Fatalf("numbercard: %+v", g)
	}
	if rep := doOK(t, newTestResult(t, Spec{Renderer: "gauge"}), `{"ID":16,"EntryRange":{"First":0,"Last":10}}`, 16); string(rep.Entries) != "[]" {
		t.Fatalf("empty gauge: %s", rep.Entries)
	}
}
