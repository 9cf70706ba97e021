package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/sluicehq/sluice/bench/baseline"
)

// baselineTarget serves the baseline servers on a loopback httptest server, with /metrics, and
// broadcasts a 1 KB ping every period until the test ends.
func baselineTarget(t *testing.T, entries int, period time.Duration) Target {
	t.Helper()
	stats := baseline.NewStatsServer()
	mux := http.NewServeMux()
	mux.Handle("/api/ws/search", baseline.NewStreamServer(baseline.GenerateEntries(entries)))
	mux.Handle("/api/ws/stats", stats)
	mux.Handle("/metrics", promhttp.Handler())
	srv := httptest.NewServer(mux)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(period)
		defer tick.Stop()
		ping := baseline.PingPacket(1024)
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				stats.Broadcast("ping", ping)
			}
		}
	}()
	t.Cleanup(func() {
		close(done)
		<-stopped
		srv.CloseClientConnections()
		srv.Close()
	})
	return Target{Addr: strings.TrimPrefix(srv.URL, "http://"), PID: os.Getpid(), Sources: 3}
}

func TestRunStreamAgainstBaseline(t *testing.T) {
	tg := baselineTarget(t, 3000, time.Hour)
	res, err := RunStream(context.Background(), StreamConfig{
		Target: tg, Consumers: 3, Searches: 1, Verify: true,
		Search: SearchParams{Query: "tag=syslog", Start: baseline.EntriesBase.Add(-time.Hour), End: baseline.EntriesBase},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Entries != 9000 || res.SearchEntries != 3000 || len(res.PerConsumer) != 3 || res.Messages != 3*4 {
		t.Fatalf("entries %d of %d, %d consumers, %d messages", res.Entries, res.SearchEntries, len(res.PerConsumer), res.Messages)
	}
	if res.Fairness <= 0 || res.Fairness > 1 || res.EntriesPerSec <= 0 || res.MBPerSec <= 0 || res.Bytes < 9000*100 {
		t.Fatalf("figures: %+v", res)
	}
	var sb strings.Builder
	res.WriteText(&sb)
	if !strings.Contains(sb.String(), "9000 entries") {
		t.Fatalf("report:\n%s", sb.String())
	}
}

func TestRunPagedAgainstBaseline(t *testing.T) {
	tg := baselineTarget(t, 3000, time.Hour)
	res, err := RunPaged(context.Background(), PagedConfig{
		Target: tg, Readers: 2, PageSize: 100, Requests: 50, Duration: time.Minute, Verify: true,
		Search: SearchParams{Query: "tag=syslog"},
	})
	if err != nil {
		t.Fatal(err)
	}
	// 30 full pages cover the 3000 entries, then the readers wrap: every page is full.
	if res.Requests != 50 || res.Latency.N != 50 || res.Entries != 5000 || res.Latency.P99 <= 0 || res.Latency.P50 > res.Latency.P99 {
		t.Fatalf("requests %d latency %v entries %d", res.Requests, res.Latency, res.Entries)
	}
}

func TestRunIdleAgainstBaseline(t *testing.T) {
	tg := baselineTarget(t, 0, 100*time.Millisecond)
	res, err := RunIdle(context.Background(), IdleConfig{
		Target: tg, Subscribers: 20, Duration: 1500 * time.Millisecond, Gap: 40 * time.Millisecond, Settle: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Connected != 20 || res.DialErrors != 0 || res.Disconnected != 0 {
		t.Fatalf("connected %d, dial errors %d (%s), disconnected %d", res.Connected, res.DialErrors, res.FirstDialError, res.Disconnected)
	}
	// Ten broadcasts fall in the window; allow for a loaded machine splitting a few.
	if res.Broadcasts < 3 || res.Spread.N != res.Broadcasts || res.Spread.Max >= 100*time.Millisecond {
		t.Fatalf("broadcasts %d incomplete %d spread %v", res.Broadcasts, res.Incomplete, res.Spread)
	}
	if res.Interval.P50 < 80*time.Millisecond || res.Interval.P50 > 120*time.Millisecond {
		t.Fatalf("inter-arrival %v, want about 100ms", res.Interval)
	}
	// The baseline holds two goroutines per subscriber (read pump and write pump).
	if res.Before.Goroutines < 0 || res.GoroutinesPerConn < 1.5 || res.GoroutinesPerConn > 3.5 {
		t.Fatalf("goroutines %d → %d, %.2f per connection", res.Before.Goroutines, res.After.Goroutines, res.GoroutinesPerConn)
	}
	if res.Before.RSS <= 0 || res.After.RSS <= 0 {
		t.Fatalf("RSS not read: %+v", res)
	}
	// Fifteen broadcasts begin in the 1.5 s window (give or take one at each edge, and a
	// loaded machine's delays). The "server" is this process; its CPU over the window can be
	// under one clock tick, which reads as zero and gives no per-broadcast figure.
	if res.Begun < 12 || res.Begun > 17 || res.Begun < res.Broadcasts {
		t.Fatalf("%d broadcasts begun, %d timed", res.Begun, res.Broadcasts)
	}
	want := 0.0
	if res.ServerCPU > 0 {
		want = float64(res.ServerCPU) / float64(res.Begun)
	}
	if res.ServerCPU < 0 || res.ServerCPUPerBroadcast != want {
		t.Fatalf("server CPU %v over the window, %v per broadcast", res.ServerCPU, res.ServerCPUPerBroadcast)
	}
	// The baseline broadcasts nothing but its ping.
	if n := res.BroadcastsByType["ping"]; len(res.BroadcastsByType) != 1 || n < res.Begun-2 || n > res.Begun+2 {
		t.Fatalf("broadcasts by type %v, %d of the measured type begun", res.BroadcastsByType, res.Begun)
	}
}

func TestRunMixedAgainstBaseline(t *testing.T) {
	tg := baselineTarget(t, 2000, 100*time.Millisecond)
	res, err := RunMixed(context.Background(), MixedConfig{
		IdleConfig: IdleConfig{Target: tg, Subscribers: 10, Duration: 700 * time.Millisecond, Settle: 100 * time.Millisecond}, // automatic gap
		Consumers:  1,
		Search:     SearchParams{Query: "tag=syslog"},
		Quiet:      700 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stream.Entries < 2000 || res.Stream.Entries%2000 != 0 || res.Stream.PerConsumer[0].Streams < 1 {
		t.Fatalf("stream entries %d", res.Stream.Entries)
	}
	if res.Quiet.Interval.N == 0 || res.Loaded.Interval.N == 0 {
		t.Fatalf("no inter-arrival samples: quiet %v loaded %v", res.Quiet.Interval, res.Loaded.Interval)
	}
	if res.Quiet.Gap < 20*time.Millisecond || res.Quiet.Gap > 50*time.Millisecond {
		t.Fatalf("automatic gap %v for a 100 ms period", res.Quiet.Gap)
	}
	// CPU per broadcast only for the quiet window: the streams' CPU would swamp the other.
	if res.Quiet.Begun == 0 || res.Loaded.Begun == 0 || res.Loaded.ServerCPU < 0 || res.Loaded.ServerCPUPerBroadcast != 0 || len(res.Loaded.Notes) == 0 {
		t.Fatalf("quiet: %d begun, %v CPU; loaded: %d begun, %v CPU, %v per broadcast",
			res.Quiet.Begun, res.Quiet.ServerCPU, res.Loaded.Begun, res.Loaded.ServerCPU, res.Loaded.ServerCPUPerBroadcast)
	}
	var sb strings.Builder
	res.WriteText(&sb)
	if !strings.Contains(sb.String(), "while streaming") {
		t.Fatal(sb.String())
	}
}
