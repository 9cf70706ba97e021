package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tklauser/go-sysconf"
)

// ProcRoot is where the proc file system is mounted.
const ProcRoot = "/proc"

// RSS returns the resident set size of process pid in bytes (VmRSS in /proc/PID/status).
func RSS(pid int) (int64, error) {
	b, err := os.ReadFile(filepath.Join(ProcRoot, strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, fmt.Errorf("loadgen: cannot read RSS of pid %d: %w", pid, err)
	}
	return parseStatusRSS(b)
}

// parseStatusRSS extracts VmRSS from the contents of /proc/PID/status.
func parseStatusRSS(b []byte) (int64, error) {
	for line := range bytes.Lines(b) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := strings.Fields(string(rest))
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("loadgen: cannot parse VmRSS line %q", bytes.TrimSpace(line))
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("loadgen: cannot parse VmRSS line %q: %w", bytes.TrimSpace(line), err)
		}
		return kb << 10, nil
	}
	return 0, errors.New("loadgen: no VmRSS line in status (kernel thread or zombie?)")
}

var clkTck = func() int64 {
	t, err := sysconf.Sysconf(sysconf.SC_CLK_TCK)
	if err != nil || t <= 0 {
		return 100
	}
	return t
}()

// CPUTime returns the user plus system CPU time process pid has used (utime + stime in
// /proc/PID/stat), at clock-tick resolution (usually 10 ms).
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(filepath.Join(ProcRoot, strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, fmt.Errorf("loadgen: cannot read CPU time of pid %d: %w", pid, err)
	}
	ticks, err := parseStatTicks(b)
	if err != nil {
		return 0, err
	}
	return time.Duration(ticks * int64(time.Second) / clkTck), nil
}

// parseStatTicks returns utime + stime in clock ticks from the contents of /proc/PID/stat.
// The command name (field 2) may contain spaces and parentheses, so fields are counted from
// the last ')'.
func parseStatTicks(b []byte) (int64, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("loadgen: cannot parse stat: no ')'")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("loadgen: cannot parse stat: %d fields after the command", len(f))
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("loadgen: cannot parse stat utime/stime: %w", err)
	}
	return u + s, nil
}

// FindListenerPID returns the process listening on TCP port: the socket inode from
// /proc/net/tcp and tcp6, then the process holding that inode among /proc/*/fd. It needs
// permission to read the other process's fd directory (same user, or root).
func FindListenerPID(port int) (int, error) {
	var inodes []string
	for _, name := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile(filepath.Join(ProcRoot, "net", name))
		if err != nil {
			continue
		}
		inodes = append(inodes, parseListenInodes(b, port)...)
	}
	if len(inodes) == 0 {
		return 0, fmt.Errorf("loadgen: no process listens on port %d", port)
	}
	want := map[string]bool{}
	for _, in := range inodes {
		want["socket:["+in+"]"] = true
	}
	procs, err := os.ReadDir(ProcRoot)
	if err != nil {
		return 0, fmt.Errorf("loadgen: cannot list %s: %w", ProcRoot, err)
	}
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		fdDir := filepath.Join(ProcRoot, p.Name(), "fd")
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if l, err := os.Readlink(filepath.Join(fdDir, fd.Name())); err == nil && want[l] {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("loadgen: port %d is listening but its process is not visible (try -pid)", port)
}

// parseListenInodes returns the inodes of sockets in LISTEN state on port in the contents of
// /proc/net/tcp or tcp6.
func parseListenInodes(b []byte, port int) []string {
	var out []string
	hexPort := fmt.Sprintf(":%04X", port)
	for line := range bytes.Lines(b) {
		f := strings.Fields(string(line))
		if len(f) < 10 || f[0] == "sl" {
			continue
		}
		if f[3] == "0A" && strings.HasSuffix(f[1], hexPort) {
			out = append(out, f[9])
		}
	}
	return out
}

// Goroutines returns the go_goroutines gauge from a Prometheus text endpoint.
func Goroutines(ctx context.Context, metricsURL string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metricsURL, nil)
	if err != nil {
		return 0, fmt.Errorf("loadgen: cannot build metrics request: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("loadgen: cannot fetch %s: %w", metricsURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("loadgen: %s: HTTP %d", metricsURL, resp.StatusCode)
	}
	return parseGoroutines(io.LimitReader(resp.Body, 16<<20))
}

// parseGoroutines finds the go_goroutines sample in Prometheus text exposition format.
func parseGoroutines(r io.Reader) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, "go_goroutines")
		if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		if i := strings.IndexByte(rest, '}'); i >= 0 {
			rest = rest[i+1:]
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			break
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return 0, fmt.Errorf("loadgen: cannot parse go_goroutines %q: %w", line, err)
		}
		return int(v), nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("loadgen: cannot read metrics: %w", err)
	}
	return 0, errors.New("loadgen: no go_goroutines metric")
}
