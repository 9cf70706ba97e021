// Package engine is the sluice façade: it wires the store, the search manager, the render
// stores, the stats collectors and the websocket server together and serves them as one
// http.Handler. Embedders import it to serve the Gravwell search protocol for their own data.
//
//	eng, err := engine.New(engine.Config{DataDir: "./data"})
//	...
//	http.ListenAndServe("127.0.0.1:8080", eng.Handler())
//
// Routes: / (the web console, package web), /api/ws/search and /ws/search (search socket),
// /api/ws/stats (current stats shapes) and /ws/stats (the documented shapes), POST /api/ingest,
// the REST API of Gravwell's clients (/api/searchctrl…, /api/parse, downloads, exports,
// /api/stats/…, /api/version, /api/info/whoami, /api/ingest/lines; see engine/rest),
// GET /metrics.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sluicehq/sluice/collect"
	"github.com/sluicehq/sluice/demo"
	"github.com/sluicehq/sluice/engine/access"
	"github.com/sluicehq/sluice/engine/budget"
	"github.com/sluicehq/sluice/engine/extract"
	"github.com/sluicehq/sluice/engine/rest"
	"github.com/sluicehq/sluice/engine/search"
	"github.com/sluicehq/sluice/engine/server"
	"github.com/sluicehq/sluice/engine/store"
	"github.com/sluicehq/sluice/ingest"
	"github.com/sluicehq/sluice/web"
	"github.com/sluicehq/sluice/wire"
)

// Config configures an Engine. The zero value serves embedded searches only; set DataDir for
// the embedded store.
type Config struct {
	// DataDir is the embedded store's directory. Empty means no store: only searches an
	// embedder registers with Embed are served.
	DataDir string
	Store   store.Config  // Dir is taken from DataDir
	Server  server.Config // websocket limits, legacy tokens and origins, compression
	// Access names the principals and the Host, Origin and /metrics rules of every route.
	// Server.Tokens and Server.AllowedOrigins are added to it.
	Access access.Config
	Search search.ManagerConfig
	Stats  StatsConfig
	Ingest ingest.HandlerConfig
	REST   rest.Limits  // the REST API's attach keep-alive and download chunk size
	Web    web.Config   // the web console served at /
	Logger *slog.Logger // default slog.Default()
	// Registry receives the engine's metrics; nil creates a private one served on /metrics.
	Registry *prometheus.Registry
	// Cluster, when set, makes the engine a node of a cluster; nil is a single node.
	Cluster *ClusterHooks
}

// StatsConfig configures the stats socket.
type StatsConfig struct {
	IndexerAddr     string        // indexer key in stats payloads; default "127.0.0.1:9404"
	PingPeriod      time.Duration // default 5s
	SysStatsPeriod  time.Duration // default 5s
	IdxStatsPeriod  time.Duration // default 10s
	IgstStatsPeriod time.Duration // default 10s
	ProcRoot        string        // root of /proc and /sys, for tests; default "/"
}

// wsPaths are the websocket routes; the websocket server admits their upgrades itself with
// the same policy, so that refusals keep PROTOCOL.md §1.2's order and upgrade metrics.
var wsPaths = []string{"/api/ws/search", "/ws/search", "/api/ws/stats", "/ws/stats"}

// Engine is a running sluice instance.
type Engine struct {
	cfg     Config
	log     *slog.Logger
	store   *store.Store
	srv     *server.Server
	manager *search.Manager
	hub     *collect.Hub
	stats   *statsService
	mux     *http.ServeMux
	handler http.Handler // mux behind the access policy
	access  *access.Policy
	metrics *engineMetrics
	rest    *rest.API
	cancel  context.CancelFunc
	done    chan struct{}
	// tmpRender is the private render store directory of an engine without DataDir.
	tmpRender string
}

// CheckListen refuses to listen beyond loopback when no tokens are configured.
func CheckListen(addr string, tokens []string) error { return server.CheckListen(addr, tokens) }

// New opens the store (when DataDir is set) and starts the collectors. Close releases it.
func New(cfg Config) (*Engine, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
		cfg.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	e := &Engine{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux(), done: make(chan struct{})}
	if cfg.DataDir != "" {
		sc := cfg.Store
		sc.Dir = cfg.DataDir
		if sc.Logger == nil {
			sc.Logger = cfg.Logger
		}
		st, err := store.Open(sc)
		if err != nil {
			return nil, err
		}
		e.store = st
	}
	pol, err := newPolicy(&cfg)
	if err != nil {
		e.closeStore()
		return nil, err
	}
	e.access = pol
	cfg.Server.Access = pol
	srv, err := server.New(cfg.Server, cfg.Logger, cfg.Registry)
	if err != nil {
		e.closeStore()
		return nil, err
	}
	e.srv = srv
	sc := cfg.Search
	if sc.Logger == nil {
		sc.Logger = cfg.Logger
	}
	if err := e.prepareRenderDir(&sc); err != nil {
		e.closeStore()
		return nil, err
	}
	limitHits := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluice_render_limit_hits_total",
		Help: "Searches that went over a limit while running, by field (render_store_limit_mb, render_disk_budget_mb, memory_budget_mb, disk)."},
		[]string{"field"})
	cfg.Registry.MustRegister(limitHits)
	userOnLimit := sc.OnLimit
	sc.OnLimit = func(field string) {
		limitHits.WithLabelValues(field).Inc()
		if userOnLimit != nil {
			userOnLimit(field)
		}
	}
	e.meterSearchCPU(&sc, cfg.Registry)
	if cfg.Cluster != nil && cfg.Cluster.Searches != nil {
		sc.Claims = cfg.Cluster.Searches // search IDs unique across the cluster's webservers
	}
	if cfg.Cluster != nil {
		e.manager = search.NewManager(sc, cfg.Cluster.Source, cfg.Cluster.Tags, extract.AppendExplore)
	} else if e.store != nil {
		e.manager = search.NewManager(sc, e.store, e.store, extract.AppendExplore)
	} else {
		e.manager = search.NewManager(sc, nil, nil, extract.AppendExplore)
	}
	e.hub = collect.NewHub(e.hubConfig())
	e.stats = newStatsService(e.hub, cfg.Logger)
	e.metrics = newEngineMetrics(e, cfg.Registry)
	ss := newSearchService(e.manager, cfg.Logger, e.metrics)
	if cfg.Cluster != nil {
		ss.remote = cfg.Cluster.Searches // attach to another webserver's search
	}

	for _, p := range []string{"/api/ws/search", "/ws/search"} {
		srv.Handle(p, ss)
	}
	srv.Handle("/api/ws/stats", e.stats.service(false))
	srv.Handle("/ws/stats", e.stats.service(true))
	for _, p := range wsPaths {
		e.mux.Handle(p, srv)
	}
	ingestThrottle := access.NewThrottle(cfg.Access.MaxIngestBytesPerSecond) // one per process: every ingest route
	var sink ingest.Sink
	if e.store != nil {
		sink = ingestSink{e.store}
	}
	if cfg.Cluster != nil {
		sink = cfg.Cluster.Ingest
	}
	if sink != nil {
		ic := cfg.Ingest
		if ic.MaxEntrySize == 0 {
			ic.MaxEntrySize = cfg.Store.MaxEntrySize // the store's limit, so oversize entries get a 400
		}
		if ic.Logger == nil {
			ic.Logger = cfg.Logger
		}
		e.mux.Handle("/api/ingest", e.throttleIngest(ingest.NewHandler(sink, ic), ingestThrottle))
	}
	e.rest = e.newREST(ingestThrottle) // the REST API of Gravwell's clients (engine/rest, searchctrl.go)
	e.mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{}))
	wc := cfg.Web
	wc.Login = !pol.Open() && !pol.ConsolePublic()
	console := web.Handler(wc) // behind a login when principals or tokens are set (auth.go)
	e.mux.Handle("GET /{$}", console)
	e.mux.Handle("GET "+web.Prefix, console)
	e.mux.Handle("GET /favicon.ico", console)
	e.mux.Handle("GET /login.css", console)
	e.loginRoutes(cfg.Registry)
	e.handler = e.guard(e.mux, cfg.Registry)

	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	go func() {
		defer close(e.done)
		e.hub.Run(ctx, e.stats.publish)
	}()
	return e, nil
}

// Handler returns the HTTP handler serving every route of the engine, each behind the access
// policy (Config.Access): a handler reached through it finds the request's principal with
// access.FromContext.
func (e *Engine) Handler() http.Handler { return e.handler }

// Access returns the engine's access policy.
func (e *Engine) Access() *access.Policy { return e.access }

// Store returns the embedded store, or nil when the engine has none.
func (e *Engine) Store() *store.Store { return e.store }

// Memory returns the process-wide memory budget (memory_budget_mb) the searches reserve from:
// a cluster indexer's shares of searches reserve from it too.
func (e *Engine) Memory() *budget.Budget { return e.manager.Memory() }

// Ingest stores entries in the embedded store; it returns nil only once they are durable.
// Tags must come from TagID.
func (e *Engine) Ingest(entries []wire.Entry) error {
	if e.store == nil {
		return errors.New("engine: no store configured (Config.DataDir is empty)")
	}
	return e.store.Ingest(entries)
}

// TagID returns the store's ID for a tag name, creating the tag if it is new.
func (e *Engine) TagID(name string) (uint16, error) {
	if e.store == nil {
		return 0, errors.New("engine: no store configured (Config.DataDir is empty)")
	}
	return e.store.TagID(name)
}

// SeedDemo fills an empty store with the deterministic demo data set (about a million entries
// over the last 24 hours when count is 0) and returns how many entries it stored. A store that
// already holds data is left alone, and so is a cluster node's (its data comes from the cluster).
func (e *Engine) SeedDemo(ctx context.Context, count int) (int, error) {
	if e.store == nil || e.cfg.Cluster != nil {
		return 0, nil
	}
	if _, _, ok := e.store.TimeBounds(); ok {
		return 0, nil
	}
	if count <= 0 {
		count = demo.DefaultCount
	}
	e.log.Info("empty store: seeding the demo data set (tags syslog, weblog, netflow; -demo=false turns this off)", "entries", count)
	n := 0
	err := demo.Generate(demo.Config{Now: time.Now(), Count: count, TagID: e.store.TagID}, func(batch []wire.Entry) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		n += len(batch)
		return e.store.Ingest(batch)
	})
	return n, err
}

// Close stops the collectors, cancels every search, closes the websocket server and the store.
func (e *Engine) Close() error {
	e.cancel()
	<-e.done
	e.rest.Close()
	e.manager.Close()
	err := e.srv.Close()
	if e.tmpRender != "" {
		os.RemoveAll(e.tmpRender)
	}
	if cerr := e.closeStore(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	return err
}

// prepareRenderDir sets the directory of the render store files: Search.RenderDir, else
// <DataDir>/render, else a private temporary directory removed by Close. Files a crashed
// process left there are removed (the store's lock is held by then, so they are not another
// live process's).
func (e *Engine) prepareRenderDir(sc *search.ManagerConfig) error {
	switch {
	case sc.RenderDir != "":
	case e.cfg.DataDir != "":
		sc.RenderDir = filepath.Join(e.cfg.DataDir, "render")
	default:
		dir, err := os.MkdirTemp("", "sluice-render-")
		if err != nil {
			return fmt.Errorf("engine: render store directory: %w", err)
		}
		sc.RenderDir, sc.RenderAnonymous, e.tmpRender = dir, true, dir
		return nil
	}
	if err := os.MkdirAll(sc.RenderDir, 0o700); err != nil {
		return fmt.Errorf("engine: render store directory: %w", err)
	}
	left, _ := filepath.Glob(filepath.Join(sc.RenderDir, "search-*.render"))
	for _, f := range left {
		if err := os.Remove(f); err != nil {
			return fmt.Errorf("engine: removing a render store left by an earlier run: %w", err)
		}
	}
	if len(left) > 0 {
		e.log.Info("removed render stores left by an earlier run", "dir", sc.RenderDir, "files", len(left))
	}
	return nil
}

func (e *Engine) closeStore() error {
	if e.store == nil {
		return nil
	}
	return e.store.Close()
}

// ingestSink is the store as the HTTP ingest handler's sink: a store that is closed or has
// disabled ingest after a failed write answers ingest.ErrUnavailable (503), not a 500.
type ingestSink struct{ *store.Store }

func (s ingestSink) Ingest(entries []wire.Entry) error {
	err := s.Store.Ingest(entries)
	if errors.Is(err, store.ErrClosed) || errors.Is(err, store.ErrFailed) {
		return fmt.Errorf("%w: %w", ingest.ErrUnavailable, err)
	}
	return err
}
