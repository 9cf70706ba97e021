// Command benchreport writes BENCHMARKS.md from real runs: `go test -bench -benchmem -count N`
// output and the JSON results of bench/cmd/sluice-load. It computes the median, minimum and
// maximum of every figure over its runs, checks issue 6's targets and the side-by-side
// comparisons defined in compare.go against figures taken in the same run, and reports any
// figure that is missing as "not measured in this run".
//
// Usage:
//
//	benchreport [-load DIR] [-allocs FILE] [-loadavg FILE] [-note TEXT]... [-section FILE]... [-o FILE] [BENCH.txt ...]
//
// BENCH.txt files are go test output ("-" or none: standard input); a line
// "# command: CMD" in them names the command that produced the lines after it. -load reads
// DIR/load-NAME[-rK].json with optional DIR/load-NAME[-rK].cmd sidecars holding the command.
// bench/report.sh runs everything and calls this program.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "benchreport:", err)
		}
		os.Exit(2)
	}
}

// notes is a repeatable string flag.
type notes []string

func (n *notes) String() string     { return fmt.Sprint(*n) }
func (n *notes) Set(s string) error { *n = append(*n, s); return nil }

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("benchreport", flag.ContinueOnError)
	loadDir := fs.String("load", "", "`directory` holding load-*.json results of sluice-load")
	allocs := fs.String("allocs", "", "`file` with go test -run Alloc output")
	loadavg := fs.String("loadavg", "", "`file` of load average samples (LABEL<TAB>contents of /proc/loadavg)")
	out := fs.String("o", "", "output `file` (default standard output)")
	var n notes
	fs.Var(&n, "note", "a note about the run to print under the machine table (repeatable)")
	var sections notes
	fs.Var(&sections, "section", "a markdown `file` to include verbatim after the comparisons, e.g. bench/peer.sh's peer.md (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r, err := collect(options{files: fs.Args(), loadDir: *loadDir, allocs: *allocs, loadavg: *loadavg, notes: n}, stdin)
	if err != nil {
		return err
	}
	for _, p := range sections {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		r.Sections = append(r.Sections, string(b))
	}
	r.Generated, r.Machine = time.Now(), readMachine("/proc")
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		return err
	}
	if *out != "" {
		return os.WriteFile(*out, buf.Bytes(), 0o644)
	}
	_, err = stdout.Write(buf.Bytes())
	return err
}

// options are the inputs of one report.
type options struct {
	files                    []string // go test output; "-" or none is stdin
	loadDir, allocs, loadavg string
	notes                    []string
}

// collect reads every input; the caller sets Generated and Machine.
func collect(o options, stdin io.Reader) (*Report, error) {
	r := &Report{Bench: &Set{}, Notes: o.notes}
	if len(o.files) == 0 {
		o.files = []string{"-"}
	}
	for _, f := range o.files {
		if err := parseFile(r.Bench, f, stdin); err != nil {
			return nil, err
		}
		if f != "-" {
			r.Raw = append(r.Raw, filepath.ToSlash(f))
		}
	}
	if o.allocs != "" {
		r.Allocs = &Set{}
		if err := parseFile(r.Allocs, o.allocs, stdin); err != nil {
			return nil, err
		}
		r.Raw = append(r.Raw, filepath.ToSlash(o.allocs))
	}
	if o.loadDir != "" {
		var err error
		if r.Load, err = readLoad(o.loadDir); err != nil {
			return nil, err
		}
		if len(r.Load) > 0 {
			r.Raw = append(r.Raw, filepath.ToSlash(filepath.Join(o.loadDir, "load-*.json")))
		}
	}
	if o.loadavg != "" {
		var err error
		if r.LoadAvg, err = readLoadAvg(o.loadavg); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func parseFile(s *Set, name string, stdin io.Reader) error {
	if name == "-" {
		return s.Parse(stdin)
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return s.Parse(f)
}
