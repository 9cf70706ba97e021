// Command sluiced is the sluice server: an embedded durable store with demo data, the
// Gravwell-compatible search and stats websockets, HTTP ingest and Prometheus metrics.
//
// Usage:
//
//	sluiced [-listen 127.0.0.1:8080] [-data ./data] [-demo=true] [-config FILE] [-tls-cert FILE -tls-key FILE]
//	sluiced token add NAME [-admin] [-gid N]... [-uid N] [-config FILE]
//	sluiced --version
//	sluiced verify [-data DIR] [-repair] [-v]   (offline store check; exit 1 on damage)
//
// Every flag can also be set in the JSON config file and through SLUICE_* environment
// variables; see README.md.
package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/cmd/internal/version"
	"github.com/sluicehq/sluice/demo"
	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/access"
	"github.com/sluicehq/sluice/engine/cluster"
	"github.com/sluicehq/sluice/engine/store"
)

func main() {
	if len(os.Args) == 2 && (os.Args[1] == "-version" || os.Args[1] == "--version") {
		fmt.Println(version.String("sluiced"))
		return
	}
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return // -h: the usage was printed; asking for help is not an error
		}
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.msg != "" {
				fmt.Fprintln(os.Stderr, "sluiced:", ee.msg)
			}
			os.Exit(ee.code)
		}
		fmt.Fprintln(os.Stderr, "sluiced:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) > 0 && args[0] == "token" {
		return runToken(args[1:], os.Stdout)
	}
	if len(args) > 0 && args[0] == "verify" {
		return runVerify(args[1:], os.Stdout, os.Stderr)
	}
	s, err := loadSettings(args, os.LookupEnv)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	setMemoryLimit(s, os.LookupEnv)
	return serve(ctx, s, nil)
}

// setMemoryLimit gives the Go runtime a soft memory limit of memory_budget_mb plus
// memory_overhead_mb, so that the garbage collector keeps the heap near what the budget has
// handed out instead of letting it grow to twice the live data (GOGC). GOMEMLIMIT, when set,
// wins. It returns the limit set, 0 when none.
func setMemoryLimit(s settings, env func(string) (string, bool)) int64 {
	if _, ok := env("GOMEMLIMIT"); ok {
		return 0
	}
	budget, overhead := s.MemoryBudgetMB, s.MemoryOverheadMB
	if budget <= 0 {
		budget = defaultMemoryBudgetMB
	}
	if overhead <= 0 {
		overhead = defaultMemoryOverheadMB
	}
	limit := (budget + overhead) << 20
	debug.SetMemoryLimit(limit)
	return limit
}

// Defaults of the memory settings, as in engine's search.ManagerConfig.
const (
	defaultMemoryBudgetMB   = 4096
	defaultMemoryOverheadMB = 64
)

// serve runs sluiced with settings s until ctx is done; ready, when set, is called with the
// listening address once the server accepts connections.
func serve(ctx context.Context, s settings, ready func(addr string)) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(s.LogLevel)); err != nil {
		return fmt.Errorf("log level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	cfg := engineConfig(s, logger)
	ac := cfg.Access
	ac.Tokens = s.Tokens
	pol, err := access.NewPolicy(ac)
	if err != nil {
		return err
	}
	tlsOn := s.TLSCert != ""
	if err := pol.CheckListen(s.Listen, tlsOn, s.AllowInsecure); err != nil {
		return err
	}
	var tlsCfg *tls.Config
	if tlsOn {
		cert, err := tls.LoadX509KeyPair(s.TLSCert, s.TLSKey)
		if err != nil {
			return fmt.Errorf("tls_cert/tls_key: %w", err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
			NextProtos: []string{"http/1.1"}} // websockets upgrade over HTTP/1.1 only
	}
	if len(s.Tokens) > 0 && !tlsOn && !access.IsLoopback(hostOf(s.Listen)) {
		logger.Warn("legacy tokens (SLUICE_TOKENS) travel in clear text over plain TCP: set tls_cert and tls_key")
	}
	ln, err := net.Listen("tcp", s.Listen)
	if err != nil {
		return err
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	ccfg, clustered, err := clusterConfig(s, ln.Addr().String(), logger)
	if err != nil {
		ln.Close()
		return err
	}
	var node *cluster.Node
	attach := func(*engine.Engine) error { return nil }
	if clustered {
		if node, attach, err = startCluster(ccfg, &cfg, "/"); err != nil {
			ln.Close()
			return err
		}
		logger.Info("cluster node", "name", ccfg.Name, "role", ccfg.Role, "nats", ccfg.URL)
	}
	eng, err := engine.New(cfg)
	if err != nil {
		ln.Close()
		if node != nil {
			node.Close()
		}
		return err
	}
	if err := attach(eng); err != nil {
		node.Close()
		eng.Close()
		ln.Close()
		return err
	}
	if s.Demo && node == nil {
		n, err := eng.SeedDemo(ctx, s.DemoCount)
		if err != nil {
			eng.Close()
			ln.Close()
			return fmt.Errorf("demo data: %w", err)
		}
		if n > 0 {
			logger.Info("demo data stored", "entries", n)
		}
		if err := keepDemoAlive(ctx, eng, s, n > 0, logger); err != nil {
			eng.Close()
			ln.Close()
			return fmt.Errorf("demo data: %w", err)
		}
	}
	srv := &http.Server{Handler: eng.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	scheme := "http"
	if tlsOn {
		scheme = "https"
	}
	url := scheme + "://" + ln.Addr().String()
	names := make([]string, 0, len(cfg.Access.Principals))
	for _, p := range cfg.Access.Principals {
		names = append(names, p.Name)
	}
	logger.Info("sluiced listening", "addr", ln.Addr().String(), "data", s.Data, "tls", tlsOn,
		"principals", strings.Join(names, ","), "legacy_tokens", len(s.Tokens),
		"search", strings.Replace(url, "http", "ws", 1)+"/api/ws/search",
		"stats", strings.Replace(url, "http", "ws", 1)+"/api/ws/stats", "metrics", url+"/metrics")
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err = <-errc:
	case <-ctx.Done():
		logger.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = srv.Shutdown(sctx)
		cancel()
	}
	if node != nil {
		if cerr := node.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}
	if cerr := eng.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// hostOf returns the host part of a listen address ("" when it has none).
func hostOf(addr string) string {
	h, _, _ := net.SplitHostPort(addr)
	return h
}

func engineConfig(s settings, logger *slog.Logger) engine.Config {
	var cfg engine.Config
	cfg.DataDir = s.Data
	cfg.Logger = logger
	cfg.Server.Tokens = s.Tokens
	cfg.Server.AllowedOrigins = s.AllowedOrigins
	cfg.Access.Principals = s.Principals
	cfg.Access.AllowedHosts = s.AllowedHosts
	cfg.Access.MetricsPublic = s.MetricsPublic
	cfg.Access.ConsolePublic = s.ConsolePublic
	cfg.Access.SessionLifetime = time.Duration(s.SessionLifetime)
	cfg.Access.MaxSessions = s.MaxSessions
	cfg.Access.MaxIngestBytesPerSecond = s.MaxIngestBytesPerSecond
	cfg.Server.MaxConnsPerPrincipal = s.MaxConnsPerPrincipal
	cfg.Search.MaxSearchesPerPrincipal = s.MaxSearchesPerPrincipal
	cfg.Search.MaxSearchDuration = time.Duration(s.MaxSearchDuration)
	cfg.Search.MaxSearchCPU = time.Duration(s.MaxSearchCPU)
	cfg.Search.MaxQueryBytes = s.MaxQueryBytes
	cfg.Search.MaxQueryPatterns = s.MaxQueryPatterns
	cfg.Server.MaxConns = s.MaxConns
	cfg.Server.MaxMessageSize = s.MaxMessageSize
	cfg.Server.MaxBacklogBytes = s.MaxBacklogBytes
	cfg.Store.MaxEntrySize = s.MaxEntrySize
	for _, w := range s.Wells {
		cfg.Store.Wells = append(cfg.Store.Wells, store.WellConfig{Name: w.Name, Tags: w.Tags,
			MaxAge: time.Duration(w.MaxAge), MaxBytes: w.MaxBytes, Accel: w.Accelerator})
	}
	cfg.Store.MaxTags = s.MaxTags
	cfg.Search.MaxSearchesPerClient = s.MaxSearchesPerClient
	cfg.Search.MaxSearches = s.MaxSearches
	cfg.Search.RenderLimit = s.RenderStoreLimitMB << 20
	cfg.Search.MemoryBudget = s.MemoryBudgetMB << 20
	cfg.Search.RenderDiskBudget = s.RenderDiskBudgetMB << 20
	cfg.Search.SearchReserve = s.SearchReserveKB << 10
	cfg.Search.StreamBlock = s.StreamBlock
	cfg.Search.FullResolution = s.FullResolutionStats
	cfg.Search.Workers = s.SearchWorkers
	cfg.Stats.IndexerAddr = s.IndexerAddr
	cfg.Stats.PingPeriod = time.Duration(s.PingPeriod)
	cfg.REST.KeepAlive = time.Duration(s.RESTKeepAlive)
	cfg.REST.ChunkSize = s.DownloadChunkKB << 10
	cfg.REST.WriteTimeout = time.Duration(s.DownloadWriteTimeout)
	cfg.Stats.SysStatsPeriod = time.Duration(s.SysStatsPeriod)
	cfg.Stats.IdxStatsPeriod = time.Duration(s.IdxStatsPeriod)
	return cfg
}

// keepDemoAlive keeps a demo store current: it marks a freshly seeded store, tops up the gap
// between the newest entry and now (so the last 24 hours always hold data, however long the
// server was down), and starts the live feed of s.DemoRate entries per second. Stores of real
// logs (no marker, tags other than the demo's) are left alone.
func keepDemoAlive(ctx context.Context, eng *engine.Engine, s settings, seeded bool, logger *slog.Logger) error {
	st := eng.Store()
	if st == nil {
		return nil
	}
	if seeded {
		if err := demo.Mark(s.Data); err != nil {
			return err
		}
	}
	var tags []string
	for id := uint16(0); ; id++ {
		name, ok := st.TagName(id)
		if !ok || id == 65535 {
			break
		}
		tags = append(tags, name)
	}
	if !demo.IsDemoStore(s.Data, tags) {
		logger.Info("demo: the store holds other data; not refreshing it or feeding it demo entries")
		return nil
	}
	if _, newest, ok := st.TimeBounds(); ok && !seeded {
		n, err := demo.Refresh(ctx, eng, time.Unix(0, newest), time.Now(), s.DemoCount)
		if err != nil {
			return err
		}
		if n > 0 {
			logger.Info("demo data brought up to now", "entries", n, "since", time.Unix(0, newest).UTC())
		}
	}
	if s.DemoRate < 0 {
		return nil
	}
	go func() {
		err := demo.Feed(ctx, eng, demo.FeedConfig{Rate: s.DemoRate})
		if err != nil && ctx.Err() == nil {
			logger.Error("demo live feed stopped", "err", err)
		}
	}()
	logger.Info("demo live feed on (-demo=false turns it off)", "entries_per_second", cmp.Or(s.DemoRate, demo.DefaultFeedRate))
	return nil
}
