package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// modulePrefix is trimmed from package import paths in the report and in references.
const modulePrefix = "github.com/sluicehq/sluice/"

// commandPrefix starts a line, written by bench/report.sh above each suite's output, that
// records the exact command producing the benchmark lines after it.
const commandPrefix = "# command: "

// Metric is one value-unit pair of a benchmark line, e.g. 1234 ns/op or 5.6e6 entries/s.
type Metric struct {
	Value float64
	Unit  string
}

// Line is one parsed benchmark result line.
type Line struct {
	Name    string // without the -GOMAXPROCS suffix
	Procs   int    // the suffix; 1 when absent
	N       int64  // iterations
	Metrics []Metric
}

// parseLine parses a `go test -bench` result line:
//
//	BenchmarkName/sub-2   	  12345	     678.9 ns/op	  12.5 MB/s	  0 B/op	  0 allocs/op	  3.1e+06 entries/s
//
// It reports false for anything else (log output, headers, PASS/ok lines).
func parseLine(s string) (Line, bool) {
	f := strings.Fields(s)
	if len(f) < 4 || len(f)%2 != 0 || !strings.HasPrefix(f[0], "Benchmark") {
		return Line{}, false
	}
	var l Line
	l.Name, l.Procs = splitProcs(f[0])
	n, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || n <= 0 {
		return Line{}, false
	}
	l.N = n
	for i := 2; i < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil || strings.HasPrefix(f[i+1], "Benchmark") {
			return Line{}, false
		}
		l.Metrics = append(l.Metrics, Metric{Value: v, Unit: f[i+1]})
	}
	return l, true
}

// splitProcs splits "BenchmarkX/y-4" into "BenchmarkX/y" and 4. The testing package adds
// the suffix only when GOMAXPROCS is not 1.
func splitProcs(name string) (string, int) {
	i := strings.LastIndexByte(name, '-')
	if i < 0 || i == len(name)-1 {
		return name, 1
	}
	p, err := strconv.Atoi(name[i+1:])
	if err != nil || p <= 0 {
		return name, 1
	}
	return name[:i], p
}

// Bench is every run of one benchmark: the values of each unit, in run order.
type Bench struct {
	Pkg     string // import path without modulePrefix
	Name    string
	Procs   int
	Command string
	Units   []string // in order of first appearance
	Values  map[string][]float64
}

// Key returns the benchmark's reference key, "pkg.BenchmarkName/sub".
func (b *Bench) Key() string { return b.Pkg + "." + b.Name }

// Set is everything read from benchmark output files.
type Set struct {
	Benches  []*Bench // in order of first appearance
	index    map[string]*Bench
	Packages []PkgStatus // one per ok/FAIL line, in order
	Failures []Failure   // "--- FAIL: Name" lines: benchmarks or tests that failed
	CPU      string      // the "cpu:" header line of go test, if any
}

// PkgStatus is the outcome line go test printed for a package.
type PkgStatus struct {
	Pkg     string
	OK      bool
	Detail  string // e.g. "[build failed]", "12.3s"
	Command string
}

// Failure is one failed benchmark or test.
type Failure struct{ Pkg, Name string }

// Lookup returns the benchmark with the given key, or nil.
func (s *Set) Lookup(key string) *Bench { return s.index[key] }

// Parse reads `go test -bench` output and adds its results to s. Lines it does not recognise
// are skipped: benchmark output is interleaved with logs.
func (s *Set) Parse(r io.Reader) error {
	if s.index == nil {
		s.index = map[string]*Bench{}
	}
	var pkg, cmd string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case strings.HasPrefix(line, commandPrefix):
			cmd = strings.TrimSpace(line[len(commandPrefix):])
		case strings.HasPrefix(line, "pkg: "):
			pkg = trimModule(strings.TrimSpace(line[len("pkg: "):]))
		case strings.HasPrefix(line, "cpu: "):
			s.CPU = strings.TrimSpace(line[len("cpu: "):])
		case strings.HasPrefix(strings.TrimSpace(line), "--- FAIL: "):
			name, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimSpace(line), "--- FAIL: "), " ")
			if strings.HasPrefix(name, "Benchmark") {
				name, _ = splitProcs(name)
			}
			s.Failures = append(s.Failures, Failure{Pkg: pkg, Name: name})
		case strings.HasPrefix(line, "ok  \t"), strings.HasPrefix(line, "FAIL\t"):
			f := strings.Fields(line)
			if len(f) >= 2 {
				p := trimModule(f[1])
				s.Packages = append(s.Packages, PkgStatus{Pkg: p, OK: f[0] == "ok", Detail: strings.Join(f[2:], " "), Command: cmd})
				for i := range s.Failures { // test output has no "pkg:" header; the package line ends it
					if s.Failures[i].Pkg == "" {
						s.Failures[i].Pkg = p
					}
				}
				pkg = ""
			}
		default:
			if l, ok := parseLine(line); ok {
				s.add(pkg, cmd, l)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("benchreport: cannot read benchmark output: %w", err)
	}
	return nil
}

func (s *Set) add(pkg, cmd string, l Line) {
	key := pkg + "." + l.Name
	b := s.index[key]
	if b == nil {
		b = &Bench{Pkg: pkg, Name: l.Name, Procs: l.Procs, Command: cmd, Values: map[string][]float64{}}
		s.index[key] = b
		s.Benches = append(s.Benches, b)
	}
	for _, m := range l.Metrics {
		if _, ok := b.Values[m.Unit]; !ok {
			b.Units = append(b.Units, m.Unit)
		}
		b.Values[m.Unit] = append(b.Values[m.Unit], m.Value)
	}
}

func trimModule(p string) string {
	if p == strings.TrimSuffix(modulePrefix, "/") {
		return "."
	}
	return strings.TrimPrefix(p, modulePrefix)
}
