package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/engine/access"
	"github.com/sluicehq/sluice/engine/store"
)

// settings are sluiced's configuration. Precedence, lowest first: built-in defaults, the
// -config file, SLUICE_* environment variables, command-line flags.
type settings struct {
	Listen    string `json:"listen"`     // -listen, SLUICE_LISTEN
	Data      string `json:"data"`       // -data, SLUICE_DATA
	Demo      bool   `json:"demo"`       // -demo, SLUICE_DEMO
	DemoCount int    `json:"demo_count"` // -demo-count, SLUICE_DEMO_COUNT
	// DemoRate is the demo live feed in entries per second (0: demo.DefaultFeedRate, negative:
	// no feed); -demo-rate, SLUICE_DEMO_RATE.
	DemoRate       float64  `json:"demo_rate"`
	Tokens         []string `json:"tokens"`          // SLUICE_TOKENS (comma separated)
	AllowedOrigins []string `json:"allowed_origins"` // SLUICE_ALLOWED_ORIGINS (comma separated)
	IndexerAddr    string   `json:"indexer_addr"`    // -indexer-addr, SLUICE_INDEXER_ADDR
	// Principals are the named identities, each with its token's hash (`sluiced token add`).
	Principals    []access.PrincipalConfig `json:"principals"`     // config file only
	AllowedHosts  []string                 `json:"allowed_hosts"`  // SLUICE_ALLOWED_HOSTS (comma separated)
	MetricsPublic bool                     `json:"metrics_public"` // SLUICE_METRICS_PUBLIC
	TLSCert       string                   `json:"tls_cert"`       // -tls-cert, SLUICE_TLS_CERT
	TLSKey        string                   `json:"tls_key"`        // -tls-key, SLUICE_TLS_KEY
	AllowInsecure bool                     `json:"allow_insecure"` // -allow-insecure, SLUICE_ALLOW_INSECURE
	LogLevel      string                   `json:"log_level"`      // -log-level, SLUICE_LOG_LEVEL

	// The web console's login (README: Access): console_public serves it without one.
	ConsolePublic   bool     `json:"console_public"`   // SLUICE_CONSOLE_PUBLIC
	SessionLifetime duration `json:"session_lifetime"` // SLUICE_SESSION_LIFETIME
	MaxSessions     int      `json:"max_sessions"`     // SLUICE_MAX_SESSIONS

	// Limits; zero means the engine's default.
	MaxConns             int      `json:"max_conns"`               // SLUICE_MAX_CONNS
	MaxMessageSize       int      `json:"max_message_size"`        // SLUICE_MAX_MESSAGE_SIZE
	MaxBacklogBytes      int      `json:"max_backlog_bytes"`       // SLUICE_MAX_BACKLOG_BYTES
	MaxEntrySize         int      `json:"max_entry_size"`          // SLUICE_MAX_ENTRY_SIZE
	MaxTags              int      `json:"max_tags"`                // SLUICE_MAX_TAGS (store.Config.MaxTags)
	MaxSearchesPerClient int      `json:"max_searches_per_client"` // SLUICE_MAX_SEARCHES_PER_CLIENT
	MaxSearches          int      `json:"max_searches"`            // SLUICE_MAX_SEARCHES
	RenderStoreLimitMB   int64    `json:"render_store_limit_mb"`   // SLUICE_RENDER_STORE_LIMIT_MB
	MemoryBudgetMB       int64    `json:"memory_budget_mb"`        // SLUICE_MEMORY_BUDGET_MB
	RenderDiskBudgetMB   int64    `json:"render_disk_budget_mb"`   // SLUICE_RENDER_DISK_BUDGET_MB
	MemoryOverheadMB     int64    `json:"memory_overhead_mb"`      // SLUICE_MEMORY_OVERHEAD_MB
	SearchReserveKB      int64    `json:"search_reserve_kb"`       // SLUICE_SEARCH_RESERVE_KB
	StreamBlock          int      `json:"stream_block"`            // SLUICE_STREAM_BLOCK
	FullResolutionStats  bool     `json:"full_resolution_stats"`   // SLUICE_FULL_RESOLUTION_STATS
	SearchWorkers        int      `json:"search_workers"`          // SLUICE_SEARCH_WORKERS; 0: GOMAXPROCS
	PingPeriod           duration `json:"ping_period"`             // SLUICE_PING_PERIOD
	SysStatsPeriod       duration `json:"sys_stats_period"`        // SLUICE_SYS_STATS_PERIOD
	IdxStatsPeriod       duration `json:"idx_stats_period"`        // SLUICE_IDX_STATS_PERIOD
	RESTKeepAlive        duration `json:"rest_keepalive"`          // SLUICE_REST_KEEPALIVE
	DownloadChunkKB      int      `json:"download_chunk_kb"`       // SLUICE_DOWNLOAD_CHUNK_KB
	DownloadWriteTimeout duration `json:"download_write_timeout"`  // SLUICE_DOWNLOAD_WRITE_TIMEOUT

	// Per-principal and per-search limits; zero means the engine's default.
	MaxConnsPerPrincipal    int      `json:"max_conns_per_principal"`     // SLUICE_MAX_CONNS_PER_PRINCIPAL
	MaxSearchesPerPrincipal int      `json:"max_searches_per_principal"`  // SLUICE_MAX_SEARCHES_PER_PRINCIPAL
	MaxIngestBytesPerSecond int64    `json:"max_ingest_bytes_per_second"` // SLUICE_MAX_INGEST_BYTES_PER_SECOND
	MaxSearchDuration       duration `json:"max_search_duration"`         // SLUICE_MAX_SEARCH_DURATION
	MaxSearchCPU            duration `json:"max_search_cpu"`              // SLUICE_MAX_SEARCH_CPU
	MaxQueryBytes           int      `json:"max_query_bytes"`             // SLUICE_MAX_QUERY_BYTES
	MaxQueryPatterns        int      `json:"max_query_patterns"`          // SLUICE_MAX_QUERY_PATTERNS
	// Cluster (README "Cluster"); without NATS the node is a single process as before.
	Role          string   `json:"role"`           // -role, SLUICE_ROLE: all, indexer or webserver
	NATS          string   `json:"nats"`           // -nats, SLUICE_NATS: NATS server URLs, comma separated
	NodeName      string   `json:"node_name"`      // -node-name, SLUICE_NODE_NAME; default the host name
	NATSCreds     string   `json:"nats_creds"`     // -nats-creds, SLUICE_NATS_CREDS: a .creds file
	NATSUser      string   `json:"nats_user"`      // -nats-user, SLUICE_NATS_USER
	NATSPassword  string   `json:"nats_password"`  // SLUICE_NATS_PASSWORD
	NATSToken     string   `json:"nats_token"`     // SLUICE_NATS_TOKEN
	Partitions    int      `json:"partitions"`     // -partitions, SLUICE_PARTITIONS; default 8
	Replicas      int      `json:"replicas"`       // -replicas, SLUICE_REPLICAS; default 1
	RebuildFrom   string   `json:"rebuild_from"`   // -rebuild-from, SLUICE_REBUILD_FROM: RFC 3339 time
	Heartbeat     duration `json:"heartbeat"`      // SLUICE_HEARTBEAT; default 1s
	DeadAfter     duration `json:"dead_after"`     // SLUICE_DEAD_AFTER; default 10s
	SearchTimeout duration `json:"search_timeout"` // SLUICE_SEARCH_TIMEOUT; default dead_after
	// Search registry and attach through any webserver (README "Cluster").
	ClusterSecret     string   `json:"cluster_secret"`     // SLUICE_CLUSTER_SECRET: key of the proxy credential; default a random one kept in NATS
	AdvertiseAddr     string   `json:"advertise_addr"`     // -advertise, SLUICE_ADVERTISE_ADDR: host:port other webservers reach this one at; default the listen address
	RegistryRetention duration `json:"registry_retention"` // SLUICE_REGISTRY_RETENTION; default 1h

	// Wells route tags to wells with their own retention and accelerator (config file only).
	Wells []wellSettings `json:"wells"`
}

// wellSettings is one well of the config file (store.WellConfig). A well named "default" sets
// the retention and accelerator of the well that takes every tag no other well claims.
type wellSettings struct {
	Name     string   `json:"name"`
	Tags     []string `json:"tags"`
	MaxAge   duration `json:"max_age"`
	MaxBytes int64    `json:"max_bytes"`
	// Accelerator: {"extractor": "fulltext"|"json"|"kv"|"syslog"|"csv"|"regex"|"none",
	// "fields": [...], "engine": "bloom", "collision_rate": 0.01} plus the extractor's options
	// (kv "delimiters", "separator", "quoted"; csv "header"; regex "pattern"), see
	// store.AccelConfig and the README's accelerator section; omitted, a fulltext bloom filter
	// at 1%. A bad accelerator is refused at start, naming the field (Wells[i].Accel.Fields[j]).
	Accelerator store.AccelConfig `json:"accelerator"`
}

// duration is a time.Duration that reads "5s" from JSON and the environment.
type duration time.Duration

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration string such as \"5s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	*d = duration(v)
	return err
}

func defaultSettings() settings {
	return settings{Listen: "127.0.0.1:8080", Data: "./data", Demo: true, LogLevel: "info", Role: "all"}
}

// loadSettings applies the config file, the environment and the flags in args, in that order.
func loadSettings(args []string, env func(string) (string, bool)) (settings, error) {
	s := defaultSettings()
	fs := flag.NewFlagSet("sluiced", flag.ContinueOnError)
	configFile := fs.String("config", "", "JSON config `file` (keys as in README); flags and SLUICE_* variables override it")
	listen := fs.String("listen", s.Listen, "listen `address`; without tokens only loopback is allowed")
	data := fs.String("data", s.Data, "data `directory` of the embedded store")
	demo := fs.Bool("demo", s.Demo, "seed demo data into an empty store")
	demoCount := fs.Int("demo-count", 0, "number of demo entries (default about 1,000,000)")
	demoRate := fs.Float64("demo-rate", 0, "demo live feed, entries per second (default 5; negative: off)")
	indexer := fs.String("indexer-addr", "", "indexer key reported on the stats socket (default 127.0.0.1:9404)")
	logLevel := fs.String("log-level", s.LogLevel, "debug, info, warn or error")
	tlsCert := fs.String("tls-cert", "", "PEM certificate `file`: serve https and wss (with -tls-key)")
	tlsKey := fs.String("tls-key", "", "PEM private key `file` of -tls-cert")
	allowInsecure := fs.Bool("allow-insecure", false, "serve plain TCP off loopback even with principals configured")
	role := fs.String("role", "all", "cluster role: all, indexer or webserver (indexer and webserver need -nats)")
	natsURL := fs.String("nats", "", "NATS server `URLs`, comma separated: run as a cluster node")
	nodeName := fs.String("node-name", "", "cluster node `name`, unique (default the host name)")
	natsCreds := fs.String("nats-creds", "", "NATS credentials `file`")
	natsUser := fs.String("nats-user", "", "NATS user (password in SLUICE_NATS_PASSWORD or the config file)")
	partitions := fs.Int("partitions", 0, "ingest partitions, the same on every node (default 8)")
	replicas := fs.Int("replicas", 0, "JetStream replicas of every entry (default 1)")
	rebuildFrom := fs.String("rebuild-from", "", "indexer: rebuild partitions it never held from this RFC 3339 `time`")
	advertise := fs.String("advertise", "", "webserver: `host:port` other webservers proxy attaches to (default the listen address)")
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	if fs.NArg() > 0 {
		return s, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *configFile != "" {
		b, err := os.ReadFile(*configFile)
		if err != nil {
			return s, fmt.Errorf("cannot read config: %w", err)
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			return s, fmt.Errorf("cannot parse config %s: %w", *configFile, err)
		}
	}
	if err := applyEnv(&s, env); err != nil {
		return s, err
	}
	// Flags override the config file and the environment, but only the flags given.
	flagSets := map[string]func(){
		"listen": func() { s.Listen = *listen }, "data": func() { s.Data = *data },
		"demo": func() { s.Demo = *demo }, "demo-count": func() { s.DemoCount = *demoCount },
		"demo-rate": func() { s.DemoRate = *demoRate }, "indexer-addr": func() { s.IndexerAddr = *indexer },
		"log-level": func() { s.LogLevel = *logLevel }, "tls-cert": func() { s.TLSCert = *tlsCert },
		"tls-key": func() { s.TLSKey = *tlsKey }, "allow-insecure": func() { s.AllowInsecure = *allowInsecure },
		"role": func() { s.Role = *role }, "nats": func() { s.NATS = *natsURL },
		"node-name": func() { s.NodeName = *nodeName }, "nats-creds": func() { s.NATSCreds = *natsCreds },
		"nats-user": func() { s.NATSUser = *natsUser }, "partitions": func() { s.Partitions = *partitions },
		"replicas": func() { s.Replicas = *replicas }, "rebuild-from": func() { s.RebuildFrom = *rebuildFrom },
		"advertise": func() { s.AdvertiseAddr = *advertise },
	}
	fs.VisitAll(func(f *flag.Flag) {
		if flagSets[f.Name] == nil && f.Name != "config" {
			panic("sluiced: flag -" + f.Name + " sets no setting") // caught by any test that parses
		}
	})
	fs.Visit(func(f *flag.Flag) {
		if apply := flagSets[f.Name]; apply != nil {
			apply()
		}
	})
	if (s.TLSCert == "") != (s.TLSKey == "") {
		return s, errors.New("tls_cert and tls_key must be set together")
	}
	return s, nil
}

func applyEnv(s *settings, env func(string) (string, bool)) error {
	var errs []error
	str := func(name string, dst *string) {
		if v, ok := env(name); ok {
			*dst = v
		}
	}
	list := func(name string, dst *[]string) {
		if v, ok := env(name); ok {
			*dst = nil
			for _, p := range strings.Split(v, ",") {
				if p = strings.TrimSpace(p); p != "" {
					*dst = append(*dst, p)
				}
			}
		}
	}
	num := func(name string, dst *int) {
		if v, ok := env(name); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
			*dst = n
		}
	}
	boolean := func(name string, dst *bool) {
		if v, ok := env(name); ok {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
			*dst = b
		}
	}
	dur := func(name string, dst *duration) {
		if v, ok := env(name); ok {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
			*dst = duration(d)
		}
	}
	str("SLUICE_LISTEN", &s.Listen)
	str("SLUICE_DATA", &s.Data)
	boolean("SLUICE_DEMO", &s.Demo)
	num("SLUICE_DEMO_COUNT", &s.DemoCount)
	if v, ok := env("SLUICE_DEMO_RATE"); ok {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("SLUICE_DEMO_RATE: %w", err))
		}
		s.DemoRate = f
	}
	list("SLUICE_TOKENS", &s.Tokens)
	list("SLUICE_ALLOWED_ORIGINS", &s.AllowedOrigins)
	list("SLUICE_ALLOWED_HOSTS", &s.AllowedHosts)
	boolean("SLUICE_METRICS_PUBLIC", &s.MetricsPublic)
	boolean("SLUICE_CONSOLE_PUBLIC", &s.ConsolePublic)
	dur("SLUICE_SESSION_LIFETIME", &s.SessionLifetime)
	num("SLUICE_MAX_SESSIONS", &s.MaxSessions)
	str("SLUICE_TLS_CERT", &s.TLSCert)
	str("SLUICE_TLS_KEY", &s.TLSKey)
	boolean("SLUICE_ALLOW_INSECURE", &s.AllowInsecure)
	str("SLUICE_INDEXER_ADDR", &s.IndexerAddr)
	str("SLUICE_LOG_LEVEL", &s.LogLevel)
	num("SLUICE_MAX_CONNS", &s.MaxConns)
	num("SLUICE_MAX_MESSAGE_SIZE", &s.MaxMessageSize)
	num("SLUICE_MAX_BACKLOG_BYTES", &s.MaxBacklogBytes)
	num("SLUICE_MAX_ENTRY_SIZE", &s.MaxEntrySize)
	num("SLUICE_MAX_TAGS", &s.MaxTags)
	num("SLUICE_MAX_SEARCHES_PER_CLIENT", &s.MaxSearchesPerClient)
	num("SLUICE_MAX_SEARCHES", &s.MaxSearches)
	num64 := func(name string, dst *int64) {
		if _, ok := env(name); ok {
			var n int
			num(name, &n)
			*dst = int64(n)
		}
	}
	num64("SLUICE_RENDER_STORE_LIMIT_MB", &s.RenderStoreLimitMB)
	num64("SLUICE_MEMORY_BUDGET_MB", &s.MemoryBudgetMB)
	num64("SLUICE_RENDER_DISK_BUDGET_MB", &s.RenderDiskBudgetMB)
	num64("SLUICE_MEMORY_OVERHEAD_MB", &s.MemoryOverheadMB)
	num64("SLUICE_SEARCH_RESERVE_KB", &s.SearchReserveKB)
	num("SLUICE_STREAM_BLOCK", &s.StreamBlock)
	num("SLUICE_SEARCH_WORKERS", &s.SearchWorkers)
	boolean("SLUICE_FULL_RESOLUTION_STATS", &s.FullResolutionStats)
	dur("SLUICE_PING_PERIOD", &s.PingPeriod)
	dur("SLUICE_SYS_STATS_PERIOD", &s.SysStatsPeriod)
	dur("SLUICE_IDX_STATS_PERIOD", &s.IdxStatsPeriod)
	dur("SLUICE_REST_KEEPALIVE", &s.RESTKeepAlive)
	num("SLUICE_DOWNLOAD_CHUNK_KB", &s.DownloadChunkKB)
	dur("SLUICE_DOWNLOAD_WRITE_TIMEOUT", &s.DownloadWriteTimeout)
	num("SLUICE_MAX_CONNS_PER_PRINCIPAL", &s.MaxConnsPerPrincipal)
	num("SLUICE_MAX_SEARCHES_PER_PRINCIPAL", &s.MaxSearchesPerPrincipal)
	num64("SLUICE_MAX_INGEST_BYTES_PER_SECOND", &s.MaxIngestBytesPerSecond)
	dur("SLUICE_MAX_SEARCH_DURATION", &s.MaxSearchDuration)
	dur("SLUICE_MAX_SEARCH_CPU", &s.MaxSearchCPU)
	num("SLUICE_MAX_QUERY_BYTES", &s.MaxQueryBytes)
	num("SLUICE_MAX_QUERY_PATTERNS", &s.MaxQueryPatterns)
	str("SLUICE_ROLE", &s.Role)
	str("SLUICE_NATS", &s.NATS)
	str("SLUICE_NODE_NAME", &s.NodeName)
	str("SLUICE_NATS_CREDS", &s.NATSCreds)
	str("SLUICE_NATS_USER", &s.NATSUser)
	str("SLUICE_NATS_PASSWORD", &s.NATSPassword)
	str("SLUICE_NATS_TOKEN", &s.NATSToken)
	num("SLUICE_PARTITIONS", &s.Partitions)
	num("SLUICE_REPLICAS", &s.Replicas)
	str("SLUICE_REBUILD_FROM", &s.RebuildFrom)
	dur("SLUICE_HEARTBEAT", &s.Heartbeat)
	dur("SLUICE_DEAD_AFTER", &s.DeadAfter)
	dur("SLUICE_SEARCH_TIMEOUT", &s.SearchTimeout)
	str("SLUICE_CLUSTER_SECRET", &s.ClusterSecret)
	str("SLUICE_ADVERTISE_ADDR", &s.AdvertiseAddr)
	dur("SLUICE_REGISTRY_RETENTION", &s.RegistryRetention)
	return errors.Join(errs...)
}
