package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/bench/baseline"
)

func TestRefusesNonLoopback(t *testing.T) {
	for _, cmd := range []string{"idle", "stream", "paged", "mixed"} {
		var out, errb bytes.Buffer
		err := run([]string{cmd, "-addr", "192.0.2.10:8080", "-pid", "1"}, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), "non-loopback") {
			t.Fatalf("%s against a non-loopback address: %v", cmd, err)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(nil, &out, &errb); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Fatalf("no command: %v", err)
	}
	if err := run([]string{"flood"}, &out, &errb); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Fatalf("unknown command: %v", err)
	}
	if err := run([]string{"idle", "-n", "1000000"}, &out, &errb); err == nil || !strings.Contains(err.Error(), "cap") {
		t.Fatalf("over the cap: %v", err)
	}
	if err := run([]string{"stream", "-end", "yesterday"}, &out, &errb); err == nil || !strings.Contains(err.Error(), "-end") {
		t.Fatalf("bad time: %v", err)
	}
}

func TestStreamJSONAgainstBaseline(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/api/ws/search", baseline.NewStreamServer(baseline.GenerateEntries(1500)))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	var out, errb bytes.Buffer
	addr := strings.TrimPrefix(srv.URL, "http://")
	if err := run([]string{"stream", "-addr", addr, "-m", "2", "-json", "-metrics-path", "-"}, &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	var res struct {
		Entries  uint64 `json:"entries"`
		Fairness float64
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || res.Entries != 3000 {
		t.Fatalf("result %s: %v", out.String(), err)
	}
	out.Reset()
	file := filepath.Join(t.TempDir(), "paged.json")
	if err := run([]string{"paged", "-addr", addr, "-n", "5", "-page", "500", "-metrics-path", "-", "-out", file}, &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "requests:      5 in") {
		t.Fatalf("paged report:\n%s", out.String())
	}
	var paged struct {
		Requests uint64 `json:"requests"`
	}
	if b, err := os.ReadFile(file); err != nil || json.Unmarshal(b, &paged) != nil || paged.Requests != 5 {
		t.Fatalf("-out file: %s, %v", b, err)
	}
}
