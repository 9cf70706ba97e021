package main

import (
	"fmt"
	"strings"
)

// volumeJobs are the issue-9 jobs of bench/volume.sh: name, what it measures, and its figures.
var volumeJobs = []struct {
	Name, Title string
	Metrics     []LoadMetric
}{
	{"volume-stream", "Stream from launch (REQ_STREAMING right after the acknowledgement), default settings; every entry must arrive and server peak RSS stay within 512 MiB", []LoadMetric{
		{"entries streamed", "entries_streamed", "count"},
		{"entries the search holds", "want_per_search", "count"},
		{"searches short of an entry", "searches_short", "count"},
		{"entries/s, from launch", "entries_per_sec", "entries/s"},
		{"server peak RSS (VmHWM)", "server_vmhwm_bytes", "B"},
	}},
	{"volume-finished", "REQ_STREAMING of the same search once finished (disk-backed render store)", []LoadMetric{
		{"entries/s", "entries_per_sec", "entries/s"},
		{"server CPU per entry", "server_cpu_per_entry_ns", "ns"},
	}},
	{"volume-paged", "REQ_GET_ENTRIES of 1024 from the same disk-backed store, page cache warm", []LoadMetric{
		{"latency p50", "latency.p50_ns", "ns"},
		{"latency p99", "latency.p99_ns", "ns"},
		{"requests/s", "requests_per_sec", "req/s"},
	}},
	{"volume-launches", "Simultaneous full-range launches, each streamed from launch, with a memory budget (see the command)", []LoadMetric{
		{"launches", "launches", "count"},
		{"accepted", "accepted", "count"},
		{"refused (each naming the limit)", "refused", "count"},
		{"memory budget", "memory_budget_bytes", "B"},
		{"most reserved at once", "memory_budget_peak_bytes", "B"},
		{"server peak RSS (VmHWM)", "server_vmhwm_bytes", "B"},
		{"entries streamed", "entries_streamed", "count"},
	}},
}

// volumeTables writes the issue-9 section when bench/volume.sh ran.
func (r *Report) volumeTables(b *strings.Builder) {
	found := false
	for _, j := range volumeJobs {
		found = found || r.Load[j.Name] != nil
	}
	if !found {
		return
	}
	b.WriteString("## Results at any volume (issue 9)\n\n`bench/volume.sh` against freshly started `sluiced` processes over loopback.\n\n")
	for _, j := range volumeJobs {
		lr := r.Load[j.Name]
		fmt.Fprintf(b, "### %s\n\n%s. Runs: %s.\n\n", j.Name, j.Title, r.runs(lr))
		if lr == nil {
			continue
		}
		b.WriteString("| Figure | value |\n|---|---|\n")
		for _, m := range j.Metrics {
			fmt.Fprintf(b, "| %s | %s |\n", esc(m.Label), esc(cell(m.Unit, summarize(lr.values(m.Path)))))
		}
		if len(lr.Runs) > 0 {
			if rf, ok := lr.Runs[0]["refusals"].(map[string]any); ok {
				for msg, n := range rf {
					fmt.Fprintf(b, "\nRefused %v×: `%s`\n", n, esc(msg))
				}
			}
		}
		b.WriteString("\n")
	}
}
