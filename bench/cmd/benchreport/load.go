package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// LoadRun is every run of one load generator job, e.g. "sluice-stream-1": the decoded
// `sluice-load -out` JSON of each run and the command that produced it.
type LoadRun struct {
	Name    string
	Command string
	Runs    []map[string]any
	Notes   []string // notes the load generator attached, de-duplicated
}

// runSuffix marks repeated runs of one job: load-NAME-r2.json.
var runSuffix = regexp.MustCompile(`-r[0-9]+$`)

// readLoad reads dir/load-*.json. Repeated runs (NAME-rK) are grouped under NAME. A sidecar
// file load-NAME.cmd (or load-NAME-rK.cmd) holds the command line.
func readLoad(dir string) (map[string]*LoadRun, error) {
	files, err := filepath.Glob(filepath.Join(dir, "load-*.json"))
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	out := map[string]*LoadRun{}
	for _, f := range files {
		base := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "load-"), ".json")
		name := runSuffix.ReplaceAllString(base, "")
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, fmt.Errorf("benchreport: cannot parse %s: %w", f, err)
		}
		lr := out[name]
		if lr == nil {
			lr = &LoadRun{Name: name}
			out[name] = lr
		}
		lr.Runs = append(lr.Runs, v)
		collectNotes(v, &lr.Notes)
		slices.Sort(lr.Notes)
		if lr.Command == "" {
			if c, err := os.ReadFile(strings.TrimSuffix(f, ".json") + ".cmd"); err == nil {
				lr.Command = strings.TrimSpace(string(c))
			}
		}
	}
	return out, nil
}

// collectNotes gathers every "notes" array in v, at any depth.
func collectNotes(v any, dst *[]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if k == "notes" {
				if list, ok := x.([]any); ok {
					for _, n := range list {
						if s, ok := n.(string); ok && !slices.Contains(*dst, s) {
							*dst = append(*dst, s)
						}
					}
				}
				continue
			}
			collectNotes(x, dst)
		}
	case []any:
		for _, x := range v {
			collectNotes(x, dst)
		}
	}
}

// values returns the figure at path in every run. A path is dotted JSON keys
// ("latency.p99_ns"); "x/y" divides two such figures. Runs without the figure are skipped, and
// so are negative goroutine counts, the load generator's "unknown" (a negative RSS growth is a
// real measurement and is kept).
func (lr *LoadRun) values(path string) []float64 {
	if lr == nil {
		return nil
	}
	num, den, isRatio := strings.Cut(path, "/")
	var out []float64
	for _, r := range lr.Runs {
		v, ok := lookup(r, num)
		if !ok || (v < 0 && strings.HasSuffix(num, "goroutines")) {
			continue
		}
		if isRatio {
			d, ok := lookup(r, den)
			if !ok || d <= 0 {
				continue
			}
			v /= d
		}
		out = append(out, v)
	}
	return out
}

func lookup(m map[string]any, path string) (float64, bool) {
	var cur any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return 0, false
		}
		if cur, ok = mm[k]; !ok {
			return 0, false
		}
	}
	f, ok := cur.(float64)
	return f, ok
}
