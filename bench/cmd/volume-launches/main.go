// Command volume-launches is the issue-9 volume job: N sockets launch a full-range search each at
// the same moment and stream every accepted search from the launch (REQ_STREAMING right after
// the acknowledgement) to its end. It reports how many launches were accepted and refused (with
// every distinct refusal message, which must name the limit), the entries streamed and their
// rate, and the server's peak RSS (VmHWM). With -n 1 -want N it is the stream-from-launch job
// (every one of N entries must arrive); with -n 100 against memory_budget_mb=256 it shows whether
// the budget held.
//
//	volume-launches -addr 127.0.0.1:8009 -n 1 -want 10000000 -query 'tag=bench' -range 24h
//	volume-launches -addr 127.0.0.1:8009 -n 100 -query 'tag=bench' -range 24h -out result.json
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice/bench/loadgen"
)

// Result is what one run measured.
type Result struct {
	Launches    int            `json:"launches"`
	Accepted    int            `json:"accepted"`
	Refused     int            `json:"refused"`
	Refusals    map[string]int `json:"refusals"` // message (figures removed) -> count
	Failed      []string       `json:"failed,omitempty"`
	Entries     uint64         `json:"entries_streamed"`
	Want        uint64         `json:"want_per_search,omitempty"`
	Short       int            `json:"searches_short"` // accepted searches that streamed fewer than Want
	Elapsed     time.Duration  `json:"elapsed_ns"`
	PerSec      float64        `json:"entries_per_sec"`
	HWMBytes    int64          `json:"server_vmhwm_bytes"`
	RSSBefore   int64          `json:"server_rss_before_bytes"`
	BudgetBytes int64          `json:"memory_budget_bytes"`
	BudgetPeak  int64          `json:"memory_budget_peak_bytes"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "server `host:port` (loopback only)")
	pid := flag.Int("pid", 0, "server process id (default: the process listening on -addr)")
	n := flag.Int("n", 100, "concurrent launches")
	query := flag.String("query", "tag=*", "query to launch")
	span := flag.Duration("range", 24*time.Hour, "search range, ending now")
	timeout := flag.Duration("duration", 10*time.Minute, "bound on the whole run")
	out := flag.String("out", "", "also write the result as JSON to `file`")
	want := flag.Uint64("want", 0, "entries every accepted search must stream (0: no check)")
	flag.Parse()
	if err := run(*addr, *pid, *n, *want, *query, *span, *timeout, *out); err != nil {
		fmt.Fprintln(os.Stderr, "volume-launches:", err)
		os.Exit(1)
	}
}

func run(addr string, pid, n int, want uint64, query string, span, timeout time.Duration, out string) error {
	if pid == 0 {
		_, port, _ := strings.Cut(addr, ":")
		p, _ := strconv.Atoi(port)
		var err error
		if pid, err = loadgen.FindListenerPID(p); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	deadline, _ := ctx.Deadline()
	end := time.Now().UTC()
	params := loadgen.SearchParams{Query: query, Start: end.Add(-span), End: end}
	res := Result{Launches: n, Refusals: map[string]int{}, Want: want}
	res.RSSBefore, _ = loadgen.RSS(pid)
	var mu sync.Mutex
	var wg sync.WaitGroup
	ready := make(chan struct{})
	start := time.Now()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fail := func(err error) {
				mu.Lock()
				res.Failed = append(res.Failed, err.Error())
				mu.Unlock()
			}
			c, err := loadgen.Dial(ctx, loadgen.DialConfig{URL: "ws://" + addr + "/api/ws/search", ReadBuffer: 256 << 10})
			if err != nil {
				fail(err)
				return
			}
			defer c.Close()
			if err := c.Subscribe([]string{"PONG", "parse", "search", "attach"}); err != nil {
				fail(err)
				return
			}
			<-ready // every socket launches at the same moment
			s, err := c.Launch(params)
			if err != nil {
				msg := err.Error()
				if !strings.Contains(msg, "launch refused") {
					fail(err)
					return
				}
				mu.Lock()
				res.Refused++
				res.Refusals[figureless(msg)]++
				mu.Unlock()
				return
			}
			st, err := c.Stream(s, deadline, false)
			mu.Lock()
			res.Accepted++
			res.Entries += st.Entries
			if want > 0 && st.Entries != want {
				res.Short++
			}
			mu.Unlock()
			if err != nil {
				fail(err)
			}
		}()
	}
	close(ready)
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.PerSec = float64(res.Entries) / res.Elapsed.Seconds()
	res.HWMBytes, _ = hwm(pid)
	res.BudgetBytes, res.BudgetPeak = metric(addr, "sluice_memory_budget_bytes"), metric(addr, "sluice_memory_budget_peak_bytes")
	b, _ := json.MarshalIndent(res, "", "  ")
	fmt.Println(string(b))
	if out != "" {
		if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if len(res.Failed) > 0 {
		return fmt.Errorf("%d sockets failed, first: %s", len(res.Failed), res.Failed[0])
	}
	if res.Short > 0 {
		return fmt.Errorf("%d of %d searches streamed fewer than %d entries", res.Short, res.Accepted, want)
	}
	return nil
}

// figureless replaces the digits of a refusal message, so refusals that differ only in their
// figures are counted together.
func figureless(msg string) string {
	var b strings.Builder
	digit := false
	for _, r := range msg {
		if r >= '0' && r <= '9' || (digit && r == '.') {
			if !digit {
				b.WriteByte('N')
			}
			digit = true
			continue
		}
		digit = false
		b.WriteRune(r)
	}
	return b.String()
}

// hwm returns VmHWM of pid in bytes.
func hwm(pid int) (int64, error) {
	b, err := os.ReadFile(filepath.Join(loadgen.ProcRoot, strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, err
	}
	for line := range bytes.Lines(b) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			f := strings.Fields(string(rest))
			if len(f) > 0 {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb << 10, err
			}
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// metric returns a gauge from the server's /metrics, 0 when it is missing.
func metric(addr, name string) int64 {
	if loadgen.CheckLoopback("http://"+addr) != nil {
		return 0
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var vals []string
	for line := range strings.Lines(string(body)) {
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			vals = append(vals, strings.TrimSpace(rest))
		}
	}
	sort.Strings(vals)
	if len(vals) == 0 {
		return 0
	}
	f, _ := strconv.ParseFloat(vals[0], 64)
	return int64(f)
}
