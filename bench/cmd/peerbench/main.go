// Command peerbench compares sluice with a log engine a user might pick instead, VictoriaLogs
// (issue 10): it loads the same generated log lines into a running sluiced and a running
// victoria-logs, times the same five questions on both (a needle, a 1% substring filter, a
// plain count, a count by a field extracted at query time, an export of every entry), each as
// wall time and server CPU, and writes the comparison table. bench/peer.sh starts the servers
// and runs it; it never starts or stops a server itself.
//
// Usage:
//
//	peerbench freeport
//	peerbench load  -n N [-seed S] -sluice HOST:PORT -vl HOST:PORT -sluice-data DIR -vl-data DIR -out load.json
//	peerbench query -sluice HOST:PORT [-sluice-pid PID] [-vl HOST:PORT] [-vl-pid PID] -runs R -label L -out q.json
//	peerbench report -load load.json -o peer.md QUERY.json...
//
// Loopback only. The data: N lines over the 24 hours ending at the last full hour, like
//
//	2026-12-02T09:00:00.123456Z web-07 GET /api/v1/items/4821337 status=200 bytes=5120 dur=0.0123 host=web-07 user=u42 ip=10.1.2.3 ua="Mozilla/5.0 ..."
//
// where item 1234567 occurs in exactly one line (the needle) and status=503 in exactly 1% of
// them.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/bench/loadgen"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: peerbench freeport|load|query|report [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "freeport":
		err = freeport()
	case "load":
		err = load(os.Args[2:])
	case "query":
		err = query(os.Args[2:])
	case "report":
		err = report(os.Args[2:])
	default:
		err = errors.New("unknown command " + strconv.Quote(os.Args[1]))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "peerbench:", err)
		os.Exit(1)
	}
}

func freeport() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer l.Close()
	fmt.Println(l.Addr().(*net.TCPAddr).Port)
	return nil
}

// needleID is the item ID that occurs in exactly one line.
const needleID = 1234567

var (
	hosts = []string{"web-01", "web-02", "web-03", "web-04", "web-05", "web-06", "web-07", "web-08", "api-1", "api-2", "db-1", "cache-1"}
	paths = []string{"/api/v1/items/", "/api/v1/orders/", "/static/app.js?v=", "/login?next=/items/", "/api/v2/search?q="}
	uas   = []string{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
		"curl/8.5.0", "Go-http-client/1.1", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15"}
	methods = []string{"GET", "GET", "GET", "POST", "PUT", "DELETE"}
)

// dataStart returns the time of the first line: 24 hours before the last full hour.
func dataStart(now time.Time) time.Time { return now.UTC().Truncate(time.Hour).Add(-24 * time.Hour) }

// gen calls fn with each of n lines, in time order; the slice is reused.
func gen(n int, seed int64, start time.Time, fn func(ts time.Time, line []byte) error) error {
	r := rand.New(rand.NewSource(seed))
	step := float64(24*time.Hour) / float64(n)
	needleAt := n / 3
	var b []byte
	for i := 0; i < n; i++ {
		ts := start.Add(time.Duration(float64(i) * step))
		id := r.Intn(10_000_000)
		if i == needleAt {
			id = needleID
		} else if id == needleID {
			id++
		}
		status := []int{200, 200, 200, 200, 304, 404, 500}[r.Intn(7)]
		if i%100 == 37 {
			status = 503
		}
		h := hosts[r.Intn(len(hosts))]
		b = ts.AppendFormat(b[:0], "2006-01-02T15:04:05.000000Z")
		b = append(b, ' ')
		b = append(b, h...)
		b = append(b, ' ')
		b = append(b, methods[r.Intn(len(methods))]...)
		b = append(b, ' ')
		path := paths[r.Intn(len(paths))]
		if id == needleID {
			path = paths[0]
		}
		b = append(b, path...)
		b = strconv.AppendInt(b, int64(id), 10)
		b = append(b, " status="...)
		b = strconv.AppendInt(b, int64(status), 10)
		b = append(b, " bytes="...)
		b = strconv.AppendInt(b, int64(r.Intn(200000)), 10)
		b = append(b, " dur="...)
		b = strconv.AppendFloat(b, float64(r.Intn(100000))/10000, 'f', 4, 64)
		b = append(b, " host="...)
		b = append(b, h...)
		b = append(b, " user=u"...)
		b = strconv.AppendInt(b, int64(r.Intn(5000)), 10)
		b = append(b, " ip=10."...)
		b = strconv.AppendInt(b, int64(r.Intn(4)), 10)
		b = append(b, '.')
		b = strconv.AppendInt(b, int64(r.Intn(256)), 10)
		b = append(b, '.')
		b = strconv.AppendInt(b, int64(1+r.Intn(254)), 10)
		b = append(b, ` ua="`...)
		b = append(b, uas[r.Intn(len(uas))]...)
		b = append(b, '"')
		if err := fn(ts, b); err != nil {
			return err
		}
	}
	return nil
}

// LoadResult is what load writes.
type LoadResult struct {
	Entries     int
	RawBytes    int64 // bytes of the lines, without newlines
	Start       time.Time
	SluiceBytes int64   // bytes under the sluiced data directory after the load
	AccelBytes  int64   // of those, the accelerator sidecars (*.acc)
	VLBytes     int64   // bytes under the victoria-logs data directory after the load and a flush
	SluiceSecs  float64 // ingest wall time
	VLSecs      float64
	Command     string
}

var httpc = &http.Client{Timeout: 10 * time.Minute}

func load(args []string) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	n := fs.Int("n", 4_000_000, "lines to generate")
	seed := fs.Int64("seed", 1, "random seed")
	sl := fs.String("sluice", "", "sluiced `host:port`")
	vl := fs.String("vl", "", "victoria-logs `host:port`")
	sd := fs.String("sluice-data", "", "sluiced data `dir` (measured after the load)")
	vd := fs.String("vl-data", "", "victoria-logs data `dir`")
	out := fs.String("out", "", "result `file` (JSON)")
	batch := fs.Int("batch", 50_000, "lines per ingest request")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, a := range []string{*sl, *vl} {
		if err := loadgen.CheckLoopback(a); err != nil {
			return err
		}
	}
	res := LoadResult{Entries: *n, Start: dataStart(time.Now()), Command: "peerbench load " + strings.Join(args, " ")}

	// sluice: newline-delimited lines; the handler extracts the leading RFC 3339 timestamps
	t0 := time.Now()
	var body bytes.Buffer
	lines := 0
	post := func() error {
		if lines == 0 {
			return nil
		}
		if err := postBody("http://"+*sl+"/api/ingest?tag=peer", "text/plain", body.Bytes()); err != nil {
			return fmt.Errorf("sluice ingest: %w", err)
		}
		body.Reset()
		lines = 0
		return nil
	}
	err := gen(*n, *seed, res.Start, func(_ time.Time, line []byte) error {
		res.RawBytes += int64(len(line))
		body.Write(line)
		body.WriteByte('\n')
		if lines++; lines == *batch {
			return post()
		}
		return nil
	})
	if err == nil {
		err = post()
	}
	if err != nil {
		return err
	}
	res.SluiceSecs = time.Since(t0).Seconds()
	fmt.Fprintf(os.Stderr, "sluice: %d lines in %.1fs\n", *n, res.SluiceSecs)

	// VictoriaLogs: JSON lines with _time and _msg
	t0 = time.Now()
	err = gen(*n, *seed, res.Start, func(ts time.Time, line []byte) error {
		b := append(body.AvailableBuffer(), `{"_time":"`...)
		b = ts.AppendFormat(b, time.RFC3339Nano)
		b = append(b, `","_msg":`...)
		b = appendJSONString(b, line)
		b = append(b, "}\n"...)
		body.Write(b)
		if lines++; lines == *batch {
			if err := postBody("http://"+*vl+"/insert/jsonline", "application/stream+json", body.Bytes()); err != nil {
				return fmt.Errorf("victoria-logs ingest: %w", err)
			}
			body.Reset()
			lines = 0
		}
		return nil
	})
	if err == nil && lines > 0 {
		err = postBody("http://"+*vl+"/insert/jsonline", "application/stream+json", body.Bytes())
	}
	if err != nil {
		return err
	}
	// every line must be searchable before the clock stops
	for {
		if _, err := httpc.Get("http://" + *vl + "/internal/force_flush"); err != nil {
			return err
		}
		rows, err := vlQuery(*vl, "* | stats count() as n")
		if err != nil {
			return err
		}
		if len(rows) == 1 && strings.Contains(rows[0], `"n":"`+strconv.Itoa(*n)+`"`) {
			break
		}
		if time.Since(t0) > 20*time.Minute {
			return fmt.Errorf("victoria-logs does not show %d lines: %q", *n, rows)
		}
		time.Sleep(200 * time.Millisecond)
	}
	res.VLSecs = time.Since(t0).Seconds()
	fmt.Fprintf(os.Stderr, "victoria-logs: %d lines in %.1fs\n", *n, res.VLSecs)
	// let background merges settle before measuring the disk
	httpc.Get("http://" + *vl + "/internal/force_merge")
	time.Sleep(15 * time.Second)
	if res.SluiceBytes, err = dirBytes(*sd, ""); err != nil {
		return err
	}
	if res.AccelBytes, err = dirBytes(*sd, ".acc"); err != nil {
		return err
	}
	if res.VLBytes, err = dirBytes(*vd, ""); err != nil {
		return err
	}
	return writeJSON(*out, res)
}

func postBody(u, ctype string, body []byte) error {
	resp, err := httpc.Post(u, ctype, bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %s: %s", u, resp.Status, msg)
	}
	return nil
}

// appendJSONString appends s as a JSON string (the lines are ASCII).
func appendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, fmt.Sprintf(`\u%04x`, c)...)
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// dirBytes sums the sizes of the regular files under dir whose names end in suffix.
func dirBytes(dir, suffix string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && strings.HasSuffix(d.Name(), suffix) {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += info.Size()
		}
		return nil
	})
	return n, err
}

// vlQuery runs a LogsQL query and returns the response lines.
func vlQuery(addr, q string) ([]string, error) {
	var rows []string
	_, err := vlStream(addr, q, func(line []byte) { rows = append(rows, string(line)) })
	return rows, err
}

// vlStream runs a LogsQL query and calls fn with every response line; it returns the count.
func vlStream(addr, q string, fn func([]byte)) (int, error) {
	resp, err := httpc.Get("http://" + addr + "/select/logsql/query?query=" + url.QueryEscape(q))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return 0, fmt.Errorf("victoria-logs %q: %s: %s", q, resp.Status, msg)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	n := 0
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		n++
		if fn != nil {
			fn(sc.Bytes())
		}
	}
	return n, sc.Err()
}

// Question is one of the five compared queries.
type Question struct {
	Name   string
	Sluice string // sluice query
	VL     string // LogsQL
	Table  bool   // sluice answers with a table (else entries, drained with REQ_STREAMING)
	// Want returns the expected answer size for n lines: entries (or rows).
	Want func(n int) int
}

var questions = []Question{
	{Name: "needle", Sluice: `tag=peer grep "items/1234567 "`, VL: `"1234567"`, Want: func(int) int { return 1 }},
	{Name: "1% substring filter", Sluice: `tag=peer grep "status=503"`, VL: `"status=503"`, Want: func(n int) int { return (n + 62) / 100 }},
	{Name: "plain count", Sluice: `tag=peer count | table`, VL: `* | stats count() as n`, Table: true, Want: func(int) int { return 1 }},
	{Name: "count by extracted field", Sluice: `tag=peer kv host | count by host | table`, VL: `* | extract "host=<host> " | stats by (host) count() as n`,
		Table: true, Want: func(int) int { return len(hosts) }},
	{Name: "export every entry", Sluice: `tag=peer`, VL: `*`, Want: func(n int) int { return n }},
}

// Run is one timed question on one system.
type Run struct {
	Wall, CPU float64 // seconds; CPU is the server's user+system time over the run
	Answer    int     // entries or rows received
}

// QueryResult is what query writes: every run of every question on each system.
type QueryResult struct {
	Label      string
	GOMAXPROCS string // of the sluiced process, as reported by the caller
	Entries    int
	Sluice, VL map[string][]Run
	Command    string
}

func query(args []string) error {
	fs := flag.NewFlagSet("query", flag.ContinueOnError)
	sl := fs.String("sluice", "", "sluiced `host:port`")
	spid := fs.Int("sluice-pid", 0, "sluiced `pid` (0: the listener of the port)")
	vl := fs.String("vl", "", "victoria-logs `host:port` (empty: sluice only)")
	vpid := fs.Int("vl-pid", 0, "victoria-logs `pid`")
	runs := fs.Int("runs", 3, "runs of each question on each system")
	n := fs.Int("n", 4_000_000, "lines loaded")
	label := fs.String("label", "", "label of this run")
	procs := fs.String("gomaxprocs", "", "GOMAXPROCS of sluiced, for the record")
	only := fs.String("only", "", "comma-separated question names to run (default all)")
	out := fs.String("out", "", "result `file` (JSON)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	res := QueryResult{Label: *label, GOMAXPROCS: *procs, Entries: *n, Sluice: map[string][]Run{}, VL: map[string][]Run{},
		Command: "peerbench query " + strings.Join(args, " ")}
	var err error
	if *spid == 0 {
		if *spid, err = pidOf(*sl); err != nil {
			return err
		}
	}
	if *vl != "" && *vpid == 0 {
		if *vpid, err = pidOf(*vl); err != nil {
			return err
		}
	}
	start := dataStart(time.Now())
	for _, q := range questions {
		if *only != "" && !strings.Contains(","+*only+",", ","+q.Name+",") {
			continue
		}
		for r := 0; r < *runs; r++ {
			run, err := timed(*spid, func() (int, error) { return sluiceAsk(*sl, q, start) })
			if err != nil {
				return fmt.Errorf("sluice %s: %w", q.Name, err)
			}
			if want := q.Want(*n); run.Answer != want {
				return fmt.Errorf("sluice %s: %d results, want %d", q.Name, run.Answer, want)
			}
			res.Sluice[q.Name] = append(res.Sluice[q.Name], run)
			fmt.Fprintf(os.Stderr, "sluice %-26s %.3fs wall %.3fs cpu\n", q.Name, run.Wall, run.CPU)
			if *vl == "" {
				continue
			}
			run, err = timed(*vpid, func() (int, error) { return vlStream(*vl, q.VL, nil) })
			if err != nil {
				return fmt.Errorf("victoria-logs %s: %w", q.Name, err)
			}
			if want := q.Want(*n); run.Answer != want {
				return fmt.Errorf("victoria-logs %s: %d results, want %d", q.Name, run.Answer, want)
			}
			res.VL[q.Name] = append(res.VL[q.Name], run)
			fmt.Fprintf(os.Stderr, "vl     %-26s %.3fs wall %.3fs cpu\n", q.Name, run.Wall, run.CPU)
		}
	}
	return writeJSON(*out, res)
}

func pidOf(addr string) (int, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, err
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return 0, err
	}
	return loadgen.FindListenerPID(p)
}

// timed runs fn and measures its wall time and pid's CPU time over it.
func timed(pid int, fn func() (int, error)) (Run, error) {
	c0, err := loadgen.CPUTime(pid)
	if err != nil {
		return Run{}, err
	}
	t0 := time.Now()
	n, err := fn()
	wall := time.Since(t0)
	if err != nil {
		return Run{}, err
	}
	c1, err := loadgen.CPUTime(pid)
	if err != nil {
		return Run{}, err
	}
	return Run{Wall: wall.Seconds(), CPU: (c1 - c0).Seconds(), Answer: n}, nil
}

// sluiceAsk launches q on a new search socket and reads the whole answer: every entry through
// REQ_STREAMING, or the table's rows once the search finished.
func sluiceAsk(addr string, q Question, start time.Time) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	t := loadgen.Target{Addr: addr}
	c, err := loadgen.Dial(ctx, loadgen.DialConfig{URL: t.SearchURL(), ReadBuffer: 1 << 20})
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if err := c.Subscribe([]string{"PONG", "parse", "search", "attach"}); err != nil {
		return 0, err
	}
	s, err := c.Launch(loadgen.SearchParams{Query: q.Sluice, Start: start.Add(-time.Hour), End: start.Add(26 * time.Hour)})
	if err != nil {
		return 0, err
	}
	deadline := time.Now().Add(10 * time.Minute)
	if !q.Table {
		st, err := c.Stream(s, deadline, false)
		return int(st.Entries), err
	}
	if _, err := c.WaitFinished(s, time.Millisecond, deadline); err != nil {
		return 0, err
	}
	pg, err := c.GetEntries(s, 0, 10000, false, nil)
	return int(pg.Entries), err
}

func writeJSON(p string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if p == "" {
		_, err = os.Stdout.Write(append(b, '\n'))
		return err
	}
	return os.WriteFile(p, append(b, '\n'), 0o644)
}

func readJSON(p string, v any) error {
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func median(runs []Run, f func(Run) float64) float64 {
	if len(runs) == 0 {
		return 0
	}
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = f(r)
	}
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}
