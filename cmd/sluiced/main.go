// Command sluiced is the sluice server: an embedded durable store with demo data, the
// Gravwell-compatible search and stats websockets, HTTP ingest and Prometheus metrics.
//
// Usage:
//
//	sluiced [-listen 127.0.0.1:8080] [-data ./data] [-demo=true] [-config FILE]
//
// Every flag can also be set in the JSON config file and through SLUICE_* environment
// variables; see README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/engine"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sluiced:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	s, err := loadSettings(args, os.LookupEnv)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(s.LogLevel)); err != nil {
		return fmt.Errorf("log level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	cfg := engineConfig(s, logger)
	if err := engine.CheckListen(s.Listen, s.Tokens); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.Listen)
	if err != nil {
		return err
	}
	eng, err := engine.New(cfg)
	if err != nil {
		ln.Close()
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if s.Demo {
		n, err := eng.SeedDemo(ctx, s.DemoCount)
		if err != nil {
			eng.Close()
			ln.Close()
			return fmt.Errorf("demo data: %w", err)
		}
		if n > 0 {
			logger.Info("demo data stored", "entries", n)
		}
	}
	srv := &http.Server{Handler: eng.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	url := "http://" + ln.Addr().String()
	logger.Info("sluiced listening", "addr", ln.Addr().String(), "data", s.Data,
		"search", strings.Replace(url, "http", "ws", 1)+"/api/ws/search",
		"stats", strings.Replace(url, "http", "ws", 1)+"/api/ws/stats", "metrics", url+"/metrics")
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		logger.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = srv.Shutdown(sctx)
		cancel()
	}
	if cerr := eng.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func engineConfig(s settings, logger *slog.Logger) engine.Config {
	var cfg engine.Config
	cfg.DataDir = s.Data
	cfg.Logger = logger
	cfg.Server.Tokens = s.Tokens
	cfg.Server.AllowedOrigins = s.AllowedOrigins
	cfg.Server.MaxConns = s.MaxConns
	cfg.Server.MaxMessageSize = s.MaxMessageSize
	cfg.Server.MaxBacklogBytes = s.MaxBacklogBytes
	cfg.Store.MaxEntrySize = s.MaxEntrySize
	cfg.Search.MaxSearchesPerClient = s.MaxSearchesPerClient
	cfg.Search.MaxSearches = s.MaxSearches
	cfg.Search.RenderLimit = s.RenderStoreLimitMB << 20
	cfg.Search.MemoryBudget = s.MemoryBudgetMB << 20
	cfg.Search.StreamBlock = s.StreamBlock
	cfg.Search.FullResolution = s.FullResolutionStats
	cfg.Search.Workers = s.SearchWorkers
	cfg.Stats.IndexerAddr = s.IndexerAddr
	cfg.Stats.PingPeriod = time.Duration(s.PingPeriod)
	cfg.Stats.SysStatsPeriod = time.Duration(s.SysStatsPeriod)
	cfg.Stats.IdxStatsPeriod = time.Duration(s.IdxStatsPeriod)
	return cfg
}
