package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseLineSuccess(t *testing.T) {
	f := func(in string, want Line) {
		t.Helper()
		got, ok := parseLine(in)
		if !ok {
			t.Fatalf("parseLine(%q) failed", in)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("parseLine(%q)\n got %+v\nwant %+v", in, got, want)
		}
	}
	f("BenchmarkX-2 \t 100\t 12.5 ns/op", Line{Name: "BenchmarkX", Procs: 2, N: 100, Metrics: []Metric{{12.5, "ns/op"}}})
	f("BenchmarkX 100 12.5 ns/op", Line{Name: "BenchmarkX", Procs: 1, N: 100, Metrics: []Metric{{12.5, "ns/op"}}})
	f("BenchmarkTextBlock1000-2   \t     344\t    336215 ns/op\t 943.40 MB/s\t       336.2 ns/entry\t       0 B/op\t       0 allocs/op",
		Line{Name: "BenchmarkTextBlock1000", Procs: 2, N: 344, Metrics: []Metric{{336215, "ns/op"}, {943.40, "MB/s"}, {336.2, "ns/entry"}, {0, "B/op"}, {0, "allocs/op"}}})
	f("BenchmarkAggregate/1000-16 48 2497567 ns/op 5038.07 MB/s", Line{Name: "BenchmarkAggregate/1000", Procs: 16, N: 48, Metrics: []Metric{{2497567, "ns/op"}, {5038.07, "MB/s"}}})
	f("BenchmarkKernelFloor-2 1 232407305 ns/op 1.34356e+08 cpu-ns/op", Line{Name: "BenchmarkKernelFloor", Procs: 2, N: 1, Metrics: []Metric{{232407305, "ns/op"}, {1.34356e8, "cpu-ns/op"}}})
	f("BenchmarkHub/sys-Stats-2 10 5 ns/op", Line{Name: "BenchmarkHub/sys-Stats", Procs: 2, N: 10, Metrics: []Metric{{5, "ns/op"}}})
	f("BenchmarkIngest/serial-2 12 3.3e+06 entries/s 0.5 ratio", Line{Name: "BenchmarkIngest/serial", Procs: 2, N: 12, Metrics: []Metric{{3.3e6, "entries/s"}, {0.5, "ratio"}}})
}

func TestParseLineFailure(t *testing.T) {
	f := func(in string) {
		t.Helper()
		if l, ok := parseLine(in); ok {
			t.Fatalf("parseLine(%q) = %+v, want failure", in, l)
		}
	}
	f("")
	f("PASS")
	f("ok  \tgithub.com/sluicehq/sluice/wire\t1.124s")
	f("BenchmarkX-2")                     // name only (chatty mode prints it first)
	f("BenchmarkX-2 100")                 // no metrics
	f("BenchmarkX-2 100 12 ns/op 5")      // unpaired value
	f("BenchmarkX-2 abc 12 ns/op")        // iterations not a number
	f("BenchmarkX-2 0 12 ns/op")          // zero iterations
	f("BenchmarkX-2 100 twelve ns/op")    // value not a number
	f("BenchmarkX-2 100 12 BenchmarkY-2") // two lines run together
	f("goos: linux")
	f("--- FAIL: BenchmarkX-2")
	f("    bench_test.go:12: BenchmarkX 100 12 ns/op oops")
}

func TestSplitProcs(t *testing.T) {
	f := func(in, name string, procs int) {
		t.Helper()
		if n, p := splitProcs(in); n != name || p != procs {
			t.Fatalf("splitProcs(%q) = %q, %d; want %q, %d", in, n, p, name, procs)
		}
	}
	f("BenchmarkX-2", "BenchmarkX", 2)
	f("BenchmarkX", "BenchmarkX", 1)
	f("BenchmarkX-", "BenchmarkX-", 1)
	f("BenchmarkX-a", "BenchmarkX-a", 1)
	f("BenchmarkX/a-b-8", "BenchmarkX/a-b", 8)
	f("BenchmarkX-0", "BenchmarkX-0", 1)
}

func TestSetParse(t *testing.T) {
	in := `# command: go test -bench . ./wire
goos: linux
pkg: github.com/sluicehq/sluice/wire
cpu: AMD EPYC
BenchmarkA-2 10 100 ns/op 0 allocs/op
some log line
BenchmarkA-2 10 300 ns/op 1 allocs/op 7 entries/s
BenchmarkB/x-2 10 5 ns/op
--- FAIL: BenchmarkC-2
FAIL
FAIL	github.com/sluicehq/sluice/wire	1.2s
# command: go test -bench . ./engine/render
FAIL	github.com/sluicehq/sluice/engine/render [build failed]
--- FAIL: TestAllocs (0.00s)
FAIL	github.com/sluicehq/sluice/collect	0.1s
ok  	github.com/sluicehq/sluice	0.1s
`
	for range 2 { // parsing twice into the same set adds the runs
		var s Set
		if err := s.Parse(strings.NewReader(in)); err != nil {
			t.Fatal(err)
		}
		if s.CPU != "AMD EPYC" || len(s.Benches) != 2 {
			t.Fatalf("cpu %q, %d benches", s.CPU, len(s.Benches))
		}
		a := s.Lookup("wire.BenchmarkA")
		if a == nil || a.Command != "go test -bench . ./wire" || a.Procs != 2 ||
			!reflect.DeepEqual(a.Units, []string{"ns/op", "allocs/op", "entries/s"}) ||
			!reflect.DeepEqual(a.Values["ns/op"], []float64{100, 300}) || !reflect.DeepEqual(a.Values["entries/s"], []float64{7}) {
			t.Fatalf("BenchmarkA: %+v", a)
		}
		if s.Lookup("wire.BenchmarkB/x") == nil || s.Lookup("BenchmarkA") != nil {
			t.Fatal("lookup by key")
		}
		want := []PkgStatus{
			{Pkg: "wire", Detail: "1.2s", Command: "go test -bench . ./wire"},
			{Pkg: "engine/render", Detail: "[build failed]", Command: "go test -bench . ./engine/render"},
			{Pkg: "collect", Detail: "0.1s", Command: "go test -bench . ./engine/render"},
			{Pkg: ".", OK: true, Detail: "0.1s", Command: "go test -bench . ./engine/render"},
		}
		if !reflect.DeepEqual(s.Packages, want) {
			t.Fatalf("packages\n got %+v\nwant %+v", s.Packages, want)
		}
		if wantF := []Failure{{"wire", "BenchmarkC"}, {"collect", "TestAllocs"}}; !reflect.DeepEqual(s.Failures, wantF) {
			t.Fatalf("failures %+v, want %+v", s.Failures, wantF)
		}
	}
}

func FuzzParseLine(f *testing.F) {
	f.Add("BenchmarkTextBlock1000-2 344 336215 ns/op 943.40 MB/s 336.2 ns/entry 0 B/op 0 allocs/op")
	f.Add("BenchmarkX 1 1e9 ns/op")
	f.Add("BenchmarkX-2 100 NaN ns/op")
	f.Add("ok  \tx\t1s")
	f.Fuzz(func(t *testing.T, s string) {
		l, ok := parseLine(s)
		if !ok {
			return
		}
		if l.N <= 0 || l.Procs <= 0 || len(l.Metrics) == 0 || !strings.HasPrefix(l.Name, "Benchmark") {
			t.Fatalf("parseLine(%q) = %+v", s, l)
		}
		if strings.ContainsAny(s, "\n\r") {
			return // Set.Parse reads lines
		}
		var set Set // every accepted line lands in a set under its own key
		if err := set.Parse(strings.NewReader(s)); err != nil || len(set.Benches) != 1 || set.Benches[0].Name != l.Name {
			t.Fatalf("Set.Parse(%q): %v, %+v", s, err, set.Benches)
		}
	})
}
