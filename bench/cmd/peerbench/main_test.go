package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGen checks the data's promises: time order, one needle line, exactly 1% status=503, and
// the same lines for the same seed.
func TestGen(t *testing.T) {
	const n = 20000
	start := dataStart(time.Now())
	var first []string
	for pass := 0; pass < 2; pass++ {
		needles, s503 := 0, 0
		var prev time.Time
		i := 0
		err := gen(n, 7, start, func(ts time.Time, line []byte) error {
			if ts.Before(prev) || !strings.HasPrefix(string(line), ts.Format("2006-01-02T15:04:05")) {
				t.Fatalf("line %d: time %v after %v or not leading: %s", i, ts, prev, line)
			}
			prev = ts
			if bytes.Contains(line, []byte("items/1234567 ")) {
				needles++
			}
			if bytes.Contains(line, []byte("1234567")) && !bytes.Contains(line, []byte("items/1234567 ")) && bytes.Contains(line, []byte("/1234567 ")) {
				t.Fatalf("needle ID outside the needle line: %s", line)
			}
			if bytes.Contains(line, []byte("status=503")) {
				s503++
			}
			if pass == 0 {
				first = append(first, string(line))
			} else if first[i] != string(line) {
				t.Fatalf("line %d differs between runs with one seed", i)
			}
			i++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if needles != 1 || s503 != n/100 {
			t.Fatalf("needle lines %d (want 1), status=503 lines %d (want %d)", needles, s503, n/100)
		}
	}
}

// TestReport renders the section from recorded results and checks the verdicts.
func TestReport(t *testing.T) {
	dir := t.TempDir()
	ld := LoadResult{Entries: 1000, RawBytes: 170000, SluiceBytes: 30000, VLBytes: 10000, SluiceSecs: 1, VLSecs: 2, Command: "peerbench load"}
	full := QueryResult{GOMAXPROCS: "2", Sluice: map[string][]Run{}, VL: map[string][]Run{}, Command: "peerbench query"}
	for _, q := range questions {
		full.Sluice[q.Name] = []Run{{Wall: 1, CPU: 1}, {Wall: 3, CPU: 2}, {Wall: 2, CPU: 1}}
		full.VL[q.Name] = []Run{{Wall: 4, CPU: 4}}
	}
	one := QueryResult{GOMAXPROCS: "1", Sluice: map[string][]Run{"count by extracted field": {{Wall: 3}}}, Command: "peerbench query -only"}
	for name, v := range map[string]any{"load.json": ld, "full.json": full, "one.json": one} {
		if err := writeJSON(filepath.Join(dir, name), v); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "peer.md")
	if err := report([]string{"-load", filepath.Join(dir, "load.json"), "-o", out, filepath.Join(dir, "full.json"), filepath.Join(dir, "one.json")}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	for _, want := range []string{
		"| needle | `tag=peer grep \"items/1234567 \"` | `\"1234567\"` | 2.000 s | 4.000 s | 0.50× | ≤ 1.0×: met | 1.000 s | 4.000 s |",
		"| count by extracted field |", "0.50× | ≤ 0.5×: met",
		"| bytes on disk | | | 0.0 MB (30.0 B/entry; accelerators 0.0 MB) | 0.0 MB (10.0 B/entry) | 3.00× | ≤ 2.0×: **missed** |",
		"a 1.50× speed-up (target ≥ 1.7×: **missed**)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}
