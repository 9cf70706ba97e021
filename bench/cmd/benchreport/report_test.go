package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.md")

func TestSummarize(t *testing.T) {
	f := func(in []float64, want Summary) {
		t.Helper()
		orig := append([]float64(nil), in...)
		if got := summarize(in); got != want {
			t.Fatalf("summarize(%v) = %+v, want %+v", in, got, want)
		}
		if !reflect.DeepEqual(in, orig) {
			t.Fatalf("summarize modified its input: %v", in)
		}
	}
	f(nil, Summary{})
	f([]float64{3}, Summary{Median: 3, Min: 3, Max: 3, N: 1})
	f([]float64{5, 1, 3}, Summary{Median: 3, Min: 1, Max: 5, N: 3})
	f([]float64{4, 1, 3, 2}, Summary{Median: 2.5, Min: 1, Max: 4, N: 4})
	f([]float64{7, 7, 7, 7, 100}, Summary{Median: 7, Min: 7, Max: 100, N: 5})
}

func TestRatio(t *testing.T) {
	f := func(a, b Summary, want Ratio) {
		t.Helper()
		if got := ratio(a, b); got != want {
			t.Fatalf("ratio(%+v, %+v) = %+v, want %+v", a, b, got, want)
		}
	}
	f(Summary{Median: 10, Min: 8, Max: 12, N: 3}, Summary{Median: 2, Min: 1, Max: 4, N: 3}, Ratio{Median: 5, Low: 2, High: 12, OK: true})
	f(Summary{}, Summary{Median: 2, Min: 2, Max: 2, N: 1}, Ratio{})
	f(Summary{Median: 2, Min: 2, Max: 2, N: 1}, Summary{}, Ratio{})
	f(Summary{Median: 2, Min: 2, Max: 2, N: 1}, Summary{Median: 0, Min: 0, Max: 0, N: 1}, Ratio{})
}

func TestValue(t *testing.T) {
	f := func(unit string, v float64, want string) {
		t.Helper()
		if got := value(unit, v); got != want {
			t.Fatalf("value(%q, %v) = %q, want %q", unit, v, got, want)
		}
	}
	f("ns/op", 12.345, "12.3 ns")
	f("ns/op", 336215, "336 µs")
	f("ns/op", 1.5e6, "1.50 ms")
	f("ns/op", 2.5e9, "2.50 s")
	f("ns", 700, "700 ns")
	f("cpu-ns/op", 1.34e8, "134 ms CPU")
	f("cpu-ns", 1.6e8, "160 ms CPU")
	f("ns/entry", 224.5, "224 ns/entry")
	f("MB/s", 943.4, "943 MB/s")
	f("MB/s", 13826.02, "13826 MB/s")
	f("B/op", 0, "0 B")
	f("B/op", 391943, "383 KiB")
	f("B", 2949, "2949 B")
	f("B", 24*float64(1<<30), "24.0 GiB")
	f("allocs/op", 2012, "2012")
	f("allocs/op", 0.5, "0.5")
	f("count", 10000, "10000")
	f("count", 200000, "200k")
	f("entries/s", 2.5e6, "2.50M entries/s")
	f("entries/s", 553624.5, "554k entries/s")
	f("x", 0.987, "0.987")
	f("req/s", 517.4, "517 req/s")
	f("ratio", 0.0123, "0.0123 ratio")
}

func TestCell(t *testing.T) {
	f := func(unit string, s Summary, want string) {
		t.Helper()
		if got := cell(unit, s); got != want {
			t.Fatalf("cell(%q, %+v) = %q, want %q", unit, s, got, want)
		}
	}
	f("ns/op", Summary{}, "—")
	f("ns/op", Summary{Median: 1900, Min: 1900, Max: 1900, N: 3}, "1.90 µs")
	f("ns/op", Summary{Median: 1.9e6, Min: 1.81e6, Max: 1.99e6, N: 5}, "1.90 ms (1.81–1.99)")
	f("ns/op", Summary{Median: 1.9e6, Min: 980e3, Max: 1.99e6, N: 5}, "1.90 ms (980 µs–1.99 ms)")
	f("allocs/op", Summary{Median: 0, Min: 0, Max: 1, N: 3}, "0 (0–1)")
}

func TestVerdict(t *testing.T) {
	f := func(b *Bound, m, lo, hi float64, unit, want string) {
		t.Helper()
		if got := verdict(b, m, lo, hi, unit); got != want {
			t.Fatalf("verdict(%s %v, %v [%v, %v]) = %q, want %q", b.Op, b.Value, m, lo, hi, got, want)
		}
	}
	f(target("≥", 5), 6, 5.5, 7, "", "**met**")
	f(target("≥", 5), 4, 3.8, 4.2, "", "**missed**: 4.00× is 80% of 5.00×")
	f(target("≥", 5), 5.2, 4.9, 5.5, "", "**met**; runs straddle the bound")
	f(target("≤", 1.5), 3, 2.9, 3.1, "", "**missed**: 3.00× is 2.00× 1.50×")
	f(target("≤", 2048), 3072, 3072, 3072, "B", "**missed**: 3072 B is 1.50× 2048 B")
	f(target("≤", 700), 650, 600, 710, "ns", "**met**; runs straddle the bound")
}

func TestLoadValues(t *testing.T) {
	lr := &LoadRun{Runs: []map[string]any{
		{"a": 10.0, "n": map[string]any{"b": 4.0}, "goroutines": -1.0, "rss": -5.0},
		{"a": 20.0, "n": map[string]any{"b": 0.0}, "goroutines": 7.0},
		{"s": "x"},
	}}
	f := func(path string, want []float64) {
		t.Helper()
		if got := lr.values(path); !reflect.DeepEqual(got, want) {
			t.Fatalf("values(%q) = %v, want %v", path, got, want)
		}
	}
	f("a", []float64{10, 20})
	f("n.b", []float64{4, 0})
	f("a/n.b", []float64{2.5})    // the zero denominator is skipped
	f("goroutines", []float64{7}) // a negative count means unknown
	f("rss", []float64{-5})       // a negative growth is a measurement
	f("s", nil)
	f("missing.path", nil)
	if (*LoadRun)(nil).values("a") != nil {
		t.Fatal("nil run has values")
	}
}

func TestReadLoadGroupsRuns(t *testing.T) {
	l, err := readLoad("testdata/load")
	if err != nil {
		t.Fatal(err)
	}
	b := l["baseline-stream-1"]
	if b == nil || len(b.Runs) != 2 || !strings.Contains(b.Command, "stream -addr 127.0.0.1:18081") {
		t.Fatalf("baseline-stream-1: %+v", b)
	}
	if s := l["sluice-stream-1"]; s == nil || len(s.Runs) != 1 || !reflect.DeepEqual(s.Notes, []string{"synthetic test figure"}) {
		t.Fatalf("sluice-stream-1: %+v", s)
	}
	if len(l) != 5 {
		t.Fatalf("%d jobs, want 5", len(l))
	}
}

func TestReadMachine(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("cpuinfo", "processor\t: 0\nmodel name\t: AMD EPYC 7B13\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n")
	write("meminfo", "MemTotal:       24684544 kB\nMemFree:  1 kB\n")
	write("sys/kernel/osrelease", "6.1.0\n")
	m := readMachine(dir)
	if m.CPU != "AMD EPYC 7B13" || m.Cores != 2 || m.Memory != 24684544<<10 || m.Kernel != "Linux 6.1.0" || !strings.HasPrefix(m.Go, "go") {
		t.Fatalf("%+v", m)
	}
	if m := readMachine(filepath.Join(dir, "missing")); m.CPU != "" || m.Cores < 1 || m.Kernel != "" {
		t.Fatalf("missing root: %+v", m)
	}
}

// TestGolden renders the sample inputs in testdata and compares with testdata/golden/report.md
// (rewrite with -update).
func TestGolden(t *testing.T) {
	r, err := collect(options{files: []string{"testdata/bench.txt"}, loadDir: "testdata/load", allocs: "testdata/allocs.txt",
		loadavg: "testdata/loadavg.txt", notes: []string{"cmd/sluiced did not build: sluice's load figures are missing."}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Generated = time.Date(2026, 11, 21, 22, 25, 0, 0, time.UTC)
	r.Machine = Machine{CPU: "AMD EPYC", Cores: 2, Memory: 24 << 30, Kernel: "Linux 6.18.44", Go: "go1.26.8 linux/amd64"}
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "golden", "report.md")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("report differs from %s at line %d (rerun with -update if intended)\n got: %s\nwant: %s", golden, i+1, g, w)
			}
		}
	}
	// Rendering twice gives the same bytes (command numbering restarts).
	var again bytes.Buffer
	if err := r.Write(&again); err != nil || again.String() != buf.String() {
		t.Fatalf("second Write differs: %v", err)
	}
}

// TestTargetsMissing checks that a run with no input at all reports every figure as not
// measured rather than failing or inventing one.
func TestTargetsMissing(t *testing.T) {
	r, err := collect(options{files: []string{"-"}}, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "**met**") || strings.Contains(out, "**missed**") {
		t.Fatalf("verdict without figures:\n%s", out)
	}
	if n := strings.Count(out, notMeasured); n < len(targets) {
		t.Fatalf("%d %q, want at least %d", n, notMeasured, len(targets))
	}
}
