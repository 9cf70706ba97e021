package main

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// Machine describes where the figures were taken.
type Machine struct {
	CPU    string // model name
	Cores  int    // logical CPUs
	Memory int64  // bytes, 0 if unknown
	Kernel string
	Go     string // Go version and platform
}

// readMachine reads the machine description from the proc tree at root ("/proc") and the
// running Go toolchain (go run builds this program with the same toolchain as the suites).
func readMachine(root string) Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH}
	m.CPU, m.Cores = cpuInfo(filepath.Join(root, "cpuinfo"), m.Cores)
	if b, err := os.ReadFile(filepath.Join(root, "sys/kernel/osrelease")); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	}
	if f, err := os.Open(filepath.Join(root, "meminfo")); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				if kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64); err == nil {
					m.Memory = kb << 10
				}
				break
			}
		}
	}
	return m
}

// cpuInfo returns the first model name and the number of processors in a /proc/cpuinfo file,
// or "" and def when it cannot be read.
func cpuInfo(path string, def int) (string, int) {
	f, err := os.Open(path)
	if err != nil {
		return "", def
	}
	defer f.Close()
	var model string
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "processor":
			n++
		case "model name":
			if model == "" {
				model = strings.TrimSpace(v)
			}
		}
	}
	if n == 0 {
		n = def
	}
	return model, n
}

// LoadAvg is /proc/loadavg sampled at one point of the run, as recorded by bench/report.sh:
// a line "LABEL<TAB>1m 5m 15m running/total lastpid".
type LoadAvg struct {
	Label              string
	One, Five, Fifteen string
	Runnable           string // running/total scheduling entities
}

// readLoadAvg parses the load average samples file.
func readLoadAvg(path string) ([]LoadAvg, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []LoadAvg
	for _, line := range strings.Split(string(b), "\n") {
		label, rest, ok := strings.Cut(line, "\t")
		f := strings.Fields(rest)
		if !ok || len(f) < 3 {
			continue
		}
		la := LoadAvg{Label: label, One: f[0], Five: f[1], Fifteen: f[2]}
		if len(f) > 3 {
			la.Runnable = f[3]
		}
		out = append(out, la)
	}
	return out, nil
}
