package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/wire"
)

// startEngine runs a real engine on loopback holding n entries tagged app, one per second
// from an hour ago, with JSON bodies {"i":i,"host":"h<i%3>"}.
func startEngine(t *testing.T, n int) (url string) {
	t.Helper()
	eng, err := engine.New(engine.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(eng.Handler())
	t.Cleanup(func() { srv.Close(); eng.Close() })
	tag, err := eng.TagID("app")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Hour)
	batch := make([]wire.Entry, n)
	for i := range batch {
		batch[i] = wire.Entry{TS: start.Add(time.Duration(i) * time.Second).UnixNano(), Tag: tag,
			Data: []byte(fmt.Sprintf(`{"i":%d,"host":"h%d"}`, i, i%3))}
	}
	if err := eng.Ingest(batch); err != nil {
		t.Fatal(err)
	}
	return srv.URL
}

func runCLI(t *testing.T, url string, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	g := &globalFlags{Server: url, Stdout: &out}
	cmd := commands[args[0]]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cmd(ctx, g, args[1:]); err != nil {
		t.Fatalf("sluice %s: %v (stderr %s)", strings.Join(args, " "), err, errOut.String())
	}
	return out.String()
}

func TestSearchCommandFormats(t *testing.T) {
	url := startEngine(t, 2500)
	// ndjson pages through everything (several REQ_GET_ENTRIES pages) newest first.
	out := runCLI(t, url, "search", "--format", "ndjson", "--page", "1000", "tag=app")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2500 {
		t.Fatalf("ndjson: %d lines, want 2500", len(lines))
	}
	var first struct {
		TS, SRC, Tag, Data string
		Enumerated         map[string]string
	}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first.Tag != "app" || first.Data != `{"i":2499,"host":"h0"}` {
		t.Fatalf("first ndjson line: %+v", first)
	}
	// --limit stops early; the table has a header.
	out = runCLI(t, url, "search", "--limit", "5", "tag=app")
	if n := strings.Count(out, "\n"); n != 6 || !strings.HasPrefix(out, "TS") {
		t.Fatalf("table with limit 5:\n%s", out)
	}
	// A condensing query in csv.
	out = runCLI(t, url, "search", "--format", "csv", "tag=app json host | count by host | table host count")
	if !strings.HasPrefix(out, "host,count\n") || strings.Count(out, "\n") != 4 {
		t.Fatalf("csv table:\n%s", out)
	}
	for _, h := range []string{"h0,834", "h1,833", "h2,833"} {
		if !strings.Contains(out, h+"\n") {
			t.Errorf("csv table lacks %q:\n%s", h, out)
		}
	}
}

func TestStreamAndStatsOfCommands(t *testing.T) {
	url := startEngine(t, 2500)
	debug := filepath.Join(t.TempDir(), "debug.log")
	var out bytes.Buffer
	g := &globalFlags{Server: url, Stdout: &out, Debug: debug}
	if err := runStream(context.Background(), g, []string{"tag=app"}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2500 {
		t.Fatalf("stream: %d lines", len(lines))
	}
	var e struct{ TS, Data string }
	if err := json.Unmarshal([]byte(lines[10]), &e); err != nil || e.TS == "" || e.Data == "" {
		t.Fatalf("stream line %q: %v", lines[10], err)
	}
	log, err := os.ReadFile(debug)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), `> {"data":{"ID":17}`) || !strings.Contains(string(log), `"Finished":true`) {
		t.Fatalf("debug log lacks the streaming request or terminator:\n%.500s", log)
	}
	table := runCLI(t, url, "stats-of", "--chunks", "4", "--start", "-61m", "tag=app")
	rows := strings.Split(strings.TrimSpace(table), "\n")
	if len(rows) != 6 { // header, 4 chunks, bucket count
		t.Fatalf("stats-of: %d lines, want 6:\n%s", len(rows), table)
	}
	total := 0
	for _, r := range rows[1:5] { // TS, module words "sort by time", IN, OUT, ...
		if f := strings.Fields(r); len(f) >= 6 && f[1] == "sort" {
			n, _ := strconv.Atoi(f[5])
			total += n
		}
	}
	if total != 2500 {
		t.Fatalf("stats-of: chunks sum to %d entries, want 2500:\n%s", total, table)
	}
}

func TestSearchCommandErrors(t *testing.T) {
	url := startEngine(t, 10)
	g := &globalFlags{Server: url, Stdout: &bytes.Buffer{}}
	ctx := context.Background()
	for _, args := range [][]string{
		{"tag=app | nosuchmodule"},
		{"--format", "xml", "tag=app"},
		{"--start", "yesterday", "tag=app"},
		{"--start", "-1h", "--end", "-2h", "tag=app"},
		{},
	} {
		if err := runSearch(ctx, g, args); err == nil {
			t.Errorf("search %q succeeded; want an error", args)
		}
	}
	if err := runSearch(ctx, &globalFlags{Server: "http://127.0.0.1:1"}, []string{"tag=app"}); err == nil ||
		!strings.Contains(err.Error(), "cannot connect") {
		t.Errorf("unreachable server: %v", err)
	}
}
