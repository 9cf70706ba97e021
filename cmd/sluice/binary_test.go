package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/sluicedtest"
)

// The tests in this file run the real binaries, built once per test run: sluiced on
// 127.0.0.1:0 with its own data directory, and sluice as a user runs it.

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binaries builds sluice and sluiced (without the race detector, as users run them) and
// returns their paths.
func binaries(t *testing.T) (sluiceBin, sluicedBin string) {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "sluice-bin-")
		if buildErr != nil {
			return
		}
		for _, pkg := range []string{".", "../sluiced"} {
			name := filepath.Base(pkg)
			if pkg == "." {
				name = "sluice"
			}
			out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, name), pkg).CombinedOutput()
			if err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "sluice"), filepath.Join(binDir, "sluiced")
}

// startSluiced runs the sluiced binary on 127.0.0.1:0 with args and returns its URL once it
// listens.
func startSluiced(t *testing.T, args ...string) string {
	t.Helper()
	_, sluiced := binaries(t)
	return sluicedtest.Start(t, sluiced, append([]string{"-data", t.TempDir()}, args...)...)
}

// runBinary runs the sluice binary with args and returns stdout, stderr, the exit code and
// the peak resident memory in bytes. Stdout goes to out when it is not nil.
func runBinary(t *testing.T, out io.Writer, stdin io.Reader, args ...string) (string, string, int, int64) {
	t.Helper()
	sluiceBin, _ := binaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, sluiceBin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Stdin = &stdout, &stderr, stdin
	if out != nil {
		cmd.Stdout = out
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("sluice %q: %v", args, err)
	}
	// NOTE: the peak is read from /proc/PID/status (VmHWM) while the process runs, not from
	// the rusage of wait: Go starts children with CLONE_VM, and Linux then records the
	// parent's (the test binary's) high-water mark in the child's ru_maxrss at exec.
	peak := make(chan int64, 1)
	done := make(chan struct{})
	go func() { peak <- watchHWM(cmd.Process.Pid, done) }()
	err := cmd.Wait()
	close(done)
	rss := <-peak
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("sluice %q: %v", args, err)
	}
	return stdout.String(), stderr.String(), code, rss
}

// watchHWM polls the peak resident set size (VmHWM) of process pid every 10 ms until done is
// closed and returns the largest value seen, in bytes (0 without /proc).
func watchHWM(pid int, done <-chan struct{}) int64 {
	var hwm int64
	path := "/proc/" + strconv.Itoa(pid) + "/status"
	for {
		if b, err := os.ReadFile(path); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
					hwm = max(hwm, kb*1024)
				}
			}
		}
		select {
		case <-done:
			return hwm
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestBinaryRawIsByteIdentical: lines ingested with "sluice ingest" come back from
// "sluice search -o raw" byte for byte (newest first), quotes, backslashes, tabs, escape
// sequences and invalid UTF-8 included.
func TestBinaryRawIsByteIdentical(t *testing.T) {
	url := startSluiced(t, "-demo=false")
	base := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	odd := []string{
		`"POST / HTTP/1.1" 502 {"time":"x"}`, `C:\path\to\file \n not a newline`, "tab\there",
		"escape \x1b[31mred\x1b[0m and bell \x07", "ünïcödé 日本語 \u202e", "invalid \xff\xfe utf-8", "  leading and trailing spaces  ",
	}
	var in bytes.Buffer
	var lines []string
	for i := range 300 {
		l := base.Add(time.Duration(i)*time.Second).Format(time.RFC3339) + " " + odd[i%len(odd)] + fmt.Sprintf(" #%d", i)
		lines = append(lines, l)
		in.WriteString(l + "\n")
	}
	if _, stderr, code, _ := runBinary(t, nil, &in, "-server", url, "ingest", "-tag", "odd", "-"); code != 0 {
		t.Fatalf("ingest: exit %d: %s", code, stderr)
	}
	var want bytes.Buffer
	for i := len(lines) - 1; i >= 0; i-- {
		want.WriteString(lines[i] + "\n")
	}
	out, stderr, code, _ := runBinary(t, nil, nil, "-server", url, "search", "-o", "raw", "--since", "2h", "tag=odd")
	if code != 0 || out != want.String() {
		t.Fatalf("search -o raw: exit %d, stderr %q; output differs from the ingested lines (got %d bytes, want %d)\nfirst got:  %q\nfirst want: %q",
			code, stderr, len(out), want.Len(), strings.SplitN(out, "\n", 2)[0], lines[len(lines)-1])
	}
}

// TestBinaryTableBoundedMemory: a million-row table view streams in bounded memory (the
// client used 1.19 GB for 1.5M rows when it held every row before printing).
func TestBinaryTableBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a million rows")
	}
	url := startSluiced(t, "-demo-count", "1000000", "-demo-rate", "-1")
	var lines lineCounter
	start := time.Now()
	_, stderr, code, rss := runBinary(t, &lines, nil, "-server", url, "search", "--since", "25h", "tag=*")
	took := time.Since(start)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if lines.n != 1_000_001 {
		t.Fatalf("printed %d lines, want a header and 1,000,000 rows", lines.n)
	}
	const bound = 150 << 20
	t.Logf("1,000,000-row table: peak RSS %.1f MB, %s (shared machine)", float64(rss)/(1<<20), took.Round(time.Millisecond))
	if rss <= 0 {
		t.Skip("no /proc/PID/status VmHWM to measure the peak memory with")
	}
	if rss > bound {
		t.Fatalf("peak RSS of sluice %d bytes; want at most %d", rss, bound)
	}
}

// lineCounter counts the lines written to it.
type lineCounter struct{ n int }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.n += bytes.Count(p, []byte{'\n'})
	return len(p), nil
}

// TestBinaryExitCodesAndVersion: the process exit codes and --version of both binaries.
func TestBinaryExitCodesAndVersion(t *testing.T) {
	sluiceBin, sluicedBin := binaries(t)
	for _, bin := range []string{sluiceBin, sluicedBin} {
		out, err := exec.Command(bin, "--version").Output()
		name := filepath.Base(bin)
		if err != nil || !strings.HasPrefix(string(out), name+" ") || !strings.Contains(string(out), "go1.") {
			t.Errorf("%s --version: %q, %v", name, out, err)
		}
		if err := exec.Command(bin, "-h").Run(); err != nil {
			t.Errorf("%s -h: %v; want exit 0", name, err)
		}
	}
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"search", "-h"}, 0},
		{[]string{"help", "query"}, 0},
		{[]string{"nosuchcommand"}, exitUsage},
		{[]string{"search", "--limit", "-5", "tag=x"}, exitUsage},
		{[]string{"-server", "http://127.0.0.1:1", "search", "tag=x"}, exitError},
	} {
		if _, stderr, code, _ := runBinary(t, nil, nil, c.args...); code != c.code {
			t.Errorf("sluice %q: exit %d, want %d (%s)", c.args, code, c.code, stderr)
		}
	}
}
