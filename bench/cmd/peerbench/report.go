package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

// target is issue 10's bound on sluice's wall time as a multiple of the peer's (0: none).
var target = map[string]float64{
	"needle":                   1.0,
	"plain count":              2.0,
	"count by extracted field": 0.5,
	"export every entry":       0.5, // ≥ 2× the peer's entries/s
}

// report writes the comparison section of BENCHMARKS.md from one load and the query runs.
func report(args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	lp := fs.String("load", "", "load result `file`")
	out := fs.String("o", "", "output markdown `file`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var ld LoadResult
	if err := readJSON(*lp, &ld); err != nil {
		return err
	}
	var full, one *QueryResult
	for _, p := range fs.Args() {
		var q QueryResult
		if err := readJSON(p, &q); err != nil {
			return err
		}
		switch {
		case len(q.VL) > 0:
			full = &q
		case q.GOMAXPROCS == "1":
			one = &q
		}
	}
	if full == nil {
		return errors.New("no query result with victoria-logs figures")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "## Peer: VictoriaLogs (issue 10)\n\n")
	fmt.Fprintf(&b, "The same %d generated log lines (%.0f MB raw, 24 hours) loaded into sluiced and into "+
		"VictoriaLogs v1.52.2 (`go install github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs@v1.52.2`), both on "+
		"this machine, one question after the other in the same run. Wall time is the client's, from launch to the last "+
		"entry or row; CPU is the server process's user+system time over it. Median of %d runs. sluiced runs with %s.\n\n",
		ld.Entries, float64(ld.RawBytes)/1e6, len(full.Sluice["needle"]), procsText(full.GOMAXPROCS))
	b.WriteString("| question | sluice query | LogsQL | sluice wall | peer wall | sluice/peer | target | sluice CPU | peer CPU |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, q := range questions {
		s, v := full.Sluice[q.Name], full.VL[q.Name]
		if len(s) == 0 || len(v) == 0 {
			fmt.Fprintf(&b, "| %s | `%s` | `%s` | not measured in this run | | | | | |\n", q.Name, q.Sluice, q.VL)
			continue
		}
		sw, vw := median(s, wall), median(v, wall)
		ratio := sw / vw
		fmt.Fprintf(&b, "| %s | `%s` | `%s` | %.3f s | %.3f s | %.2f× | %s | %.3f s | %.3f s |\n",
			q.Name, strings.ReplaceAll(q.Sluice, "|", `\|`), strings.ReplaceAll(q.VL, "|", `\|`), sw, vw, ratio,
			verdict(target[q.Name], ratio, q.Name == "export every entry"), median(s, cpu), median(v, cpu))
	}
	dr := float64(ld.SluiceBytes) / float64(ld.VLBytes)
	fmt.Fprintf(&b, "| bytes on disk | | | %.1f MB (%.1f B/entry; accelerators %.1f MB) | %.1f MB (%.1f B/entry) | %.2f× | %s | | |\n",
		float64(ld.SluiceBytes)/1e6, float64(ld.SluiceBytes)/float64(ld.Entries), float64(ld.AccelBytes)/1e6,
		float64(ld.VLBytes)/1e6, float64(ld.VLBytes)/float64(ld.Entries), dr, verdict(2, dr, false))
	fmt.Fprintf(&b, "| ingest (HTTP, batches of 50,000 lines) | | | %.1f s | %.1f s | %.2f× | | | |\n", ld.SluiceSecs, ld.VLSecs, ld.SluiceSecs/ld.VLSecs)
	if one != nil {
		const cpuQ = "count by extracted field"
		if s1, s2 := one.Sluice[cpuQ], full.Sluice[cpuQ]; len(s1) > 0 && len(s2) > 0 {
			sp := median(s1, wall) / median(s2, wall)
			fmt.Fprintf(&b, "\nsluice's pipeline on every core: `%s` takes %.3f s with GOMAXPROCS=1 and %.3f s with %s, a %.2f× speed-up (target ≥ 1.7×: %s).\n",
				cpuQ, median(s1, wall), median(s2, wall), procsText(full.GOMAXPROCS), sp, verdictMin(1.7, sp))
		}
	}
	fmt.Fprintf(&b, "\nCommands (bench/peer.sh): `%s`; `%s`", ld.Command, full.Command)
	if one != nil {
		fmt.Fprintf(&b, "; `%s`", one.Command)
	}
	b.WriteString(".\n\n")
	if *out == "" {
		_, err := os.Stdout.WriteString(b.String())
		return err
	}
	return os.WriteFile(*out, []byte(b.String()), 0o644)
}

func wall(r Run) float64 { return r.Wall }
func cpu(r Run) float64  { return r.CPU }

func procsText(p string) string {
	if p == "" {
		return "the default GOMAXPROCS"
	}
	return "GOMAXPROCS=" + p
}

// verdict checks ratio ≤ t; export's target is stated as entries/s.
func verdict(t, ratio float64, rate bool) string {
	if t == 0 {
		return "none"
	}
	if rate {
		return fmt.Sprintf("≥ %.1f× peer entries/s: %s", 1/t, metText(ratio <= t))
	}
	return fmt.Sprintf("≤ %.1f×: %s", t, metText(ratio <= t))
}

func verdictMin(t, v float64) string { return metText(v >= t) }

func metText(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}
