package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/bench/baseline"
	"github.com/sluicehq/sluice/bench/loadgen"
)

func TestMuxRoutes(t *testing.T) {
	srv := httptest.NewServer(newMux(baseline.NewStreamServer(baseline.GenerateEntries(10)), baseline.NewStatsServer()))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	for _, path := range []string{"/api/ws/search", "/ws/search", "/api/ws/stats", "/ws/stats"} {
		c, err := loadgen.Dial(context.Background(), loadgen.DialConfig{URL: "ws://" + host + path})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if err := c.Subscribe([]string{"ping", "search"}); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		c.Close()
	}
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "go_goroutines") {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	if err := run("127.0.0.1:0", -1, 0, 1024); err == nil {
		t.Fatal("negative -entries accepted")
	}
	if err := run("not an address", 10, 0, 1024); err == nil {
		t.Fatal("bad -listen accepted")
	}
}
