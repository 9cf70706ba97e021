// Command baseline-server serves bench/baseline — the gorilla/websocket + encoding/json server
// a user would otherwise write — so that sluice-load can measure it exactly as it measures
// sluice:
//
//	/api/ws/search, /ws/search   StreamServer over -entries generated syslog entries
//	/api/ws/stats, /ws/stats     StatsServer broadcasting a ~-packet byte ping every -interval
//	/metrics                     Prometheus metrics of the process (go_goroutines, …)
//
// It listens on loopback by default.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/sluicehq/sluice/bench/baseline"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8081", "listen `address`")
	entries := flag.Int("entries", 1_000_000, "entries every search returns")
	interval := flag.Duration("interval", 5*time.Second, "ping broadcast period (0: none)")
	packet := flag.Int("packet", 1024, "approximate ping packet size in bytes")
	flag.Parse()
	if err := run(*listen, *entries, *interval, *packet); err != nil {
		fmt.Fprintln(os.Stderr, "baseline-server:", err)
		os.Exit(1)
	}
}

func run(listen string, n int, interval time.Duration, packet int) error {
	if n < 0 || n > 50_000_000 {
		return fmt.Errorf("-entries %d is outside [0, 50000000]", n)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	t0 := time.Now()
	stream := baseline.NewStreamServer(baseline.GenerateEntries(n))
	stats := baseline.NewStatsServer()
	slog.Info("baseline-server ready", "addr", ln.Addr().String(), "entries", n, "generated_in", time.Since(t0), "pid", os.Getpid())

	srv := &http.Server{Handler: newMux(stream, stats), ReadHeaderTimeout: 10 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if interval > 0 {
		ping := baseline.PingPacket(packet)
		go func() {
			t := time.NewTicker(interval)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					if _, err := stats.Broadcast("ping", ping); err != nil {
						slog.Error("broadcast", "err", err)
					}
				}
			}
		}()
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newMux routes the protocol's paths (PROTOCOL.md §1.1) and /metrics.
func newMux(stream, stats http.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/api/ws/search", stream)
	mux.Handle("/ws/search", stream)
	mux.Handle("/api/ws/stats", stats)
	mux.Handle("/ws/stats", stats)
	mux.Handle("/metrics", promhttp.Handler())
	return mux
}
