// Package rest serves the REST API that Gravwell's clients call (module
// github.com/gravwell/gravwell/v3, client v3.8.40) in their shapes: search control
// (/api/searchctrl…: list, status, details, background, save, stop, group, attach, ping,
// detach, delete, launch, render requests, stats, explore), downloads of a search's results in
// its renderer's download formats, a resumable NDJSON export past every page cap
// (/api/searchctrl/{id}/entries), POST /api/parse, /api/version, /api/info/whoami,
// /api/testauth, the REST stats (/api/stats/…), /api/tags and the ingest routes the client uses
// (/api/ingest/lines, /api/ingest/internal, /api/ingest/test).
//
// Every search route calls the same protocol core as the search socket: search.ParseReply,
// Manager.LaunchWire, Search.StartReply and render.Result.Handle answer a request the same way
// whichever transport carried it. Results are read from the render store as they are written
// out (render.Result.Read), a chunk at a time, so a download or export holds one chunk in
// memory however large the result is; a slow reader slows only its own response.
//
// Ownership follows Gravwell (access.CanSee, through search.Manager.Lookup): a principal sees
// a search it owns, one shared with one of its groups, a global one, or any as an admin; any
// other search ID is answered exactly as one that does not exist (404). The principal comes
// from the access policy that guards every route of the engine (access.FromContext). Users, groups, dashboards, macros, resources, scheduled searches,
// licences and the rest of Gravwell's management API are out of scope and answer 404 with a
// JSON error saying so.
package rest

import (
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice/engine/access"
	"github.com/sluicehq/sluice/engine/search"
	"github.com/sluicehq/sluice/ingest"
)

// Version is what GET /api/version reports.
type Version struct {
	APIMajor, APIMinor  uint32 // Gravwell's REST API version the routes follow (0.2 for client v3.8.40)
	Major, Minor, Point uint32 // sluice's own version
	BuildDate           time.Time
	BuildID             string
}

// Store is what the ingest and tag routes need of the entry store.
type Store interface {
	ingest.Sink
	// MatchTags returns the IDs and names of the tags matching the patterns ("*": all).
	MatchTags(patterns []string) (ids []uint16, names []string)
	// TagName returns the name of tag id.
	TagName(id uint16) (string, bool)
}

// Limits are the REST API's own settings (engine.Config.REST). The zero value works.
type Limits struct {
	// KeepAlive is how long a REST attachment (POST /api/searchctrl/{id}/attach) lasts without
	// a ping before it is detached; default 60s.
	KeepAlive time.Duration
	// ChunkSize is the size of the writes of downloads and exports: results are encoded into
	// a buffer of about this size, which is written (blocking while the client is slow) before
	// the next is encoded; default 64 KiB. A download holds about one chunk and one render-store
	// read (256 KiB) however large the result.
	ChunkSize int
	// WriteTimeout bounds each write of a download or export: a client that takes longer to
	// accept one chunk is disconnected (and logged), so a reader that stops reading cannot
	// hold its response open forever; default 60s.
	WriteTimeout time.Duration
}

// Config configures the routes. Manager is required; the rest may be zero.
type Config struct {
	Manager *search.Manager
	// Store serves /api/tags and the ingest routes; nil answers them 404.
	Store Store
	// Stats returns the JSON data of a stats type: sysDesc, ping, sysStats, idxStats,
	// igstStats or wellStats, in the shapes of Gravwell's REST stats. nil answers them 404.
	Stats func(typ string) ([]byte, error)
	// Version is reported by GET /api/version.
	Version Version
	Limits
	// Ingest holds the limits of the ingest routes (MaxEntrySize, MaxBodySize for
	// /api/ingest/internal; MaxEntries is the batch size of /api/ingest/lines).
	Ingest ingest.HandlerConfig
	// IngestWrap, when set, wraps the ingest routes (the engine's per-principal ingest
	// throttle and byte counter).
	IngestWrap func(http.Handler) http.Handler
	Logger     *slog.Logger
	// Remote, when set, reaches the searches other webservers of a cluster hold: the list
	// routes include them and a route about a search this server does not hold is served by
	// it (see Remote).
	Remote Remote
}

func (c *Config) defaults() {
	if c.KeepAlive <= 0 {
		c.KeepAlive = 60 * time.Second
	}
	if c.ChunkSize <= 0 {
		c.ChunkSize = 64 << 10
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 60 * time.Second
	}
	if c.Ingest.MaxEntrySize <= 0 {
		c.Ingest.MaxEntrySize = ingest.DefaultMaxEntrySize
	}
	if c.Ingest.MaxEntries <= 0 {
		c.Ingest.MaxEntries = ingest.DefaultMaxEntries
	}
	if c.Ingest.MaxBodySize <= 0 {
		c.Ingest.MaxBodySize = ingest.DefaultMaxBodySize
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// API is the REST API of one engine. It is safe for concurrent use.
type API struct {
	cfg Config
	m   *search.Manager
	log *slog.Logger

	mu       sync.Mutex
	attached map[string]*attachment  // REST attachments by search ID and caller
	hooked   map[*search.Search]bool // searches whose deletion hook forgets their attachments
	closed   bool
	janitor  *time.Timer
}

// New returns the REST API for cfg.
func New(cfg Config) *API {
	cfg.defaults()
	return &API{cfg: cfg, m: cfg.Manager, log: cfg.Logger, attached: map[string]*attachment{},
		hooked: map[*search.Search]bool{}}
}

// Close detaches every REST attachment.
func (a *API) Close() {
	a.mu.Lock()
	a.closed = true
	atts := a.attached
	a.attached = map[string]*attachment{}
	if a.janitor != nil {
		a.janitor.Stop()
	}
	a.mu.Unlock()
	for _, at := range atts {
		at.s.Detach()
	}
}

// Register adds every route to mux. Routes are listed in the README ("REST API").
func (a *API) Register(mux *http.ServeMux) {
	h := func(pattern string, fn func(w http.ResponseWriter, r *http.Request, c *access.Principal)) {
		if strings.Contains(pattern, "{id}") {
			fn = a.remoteFirst(fn)
		}
		mux.Handle(pattern, a.authed(fn))
	}
	// Searches.
	h("POST /api/parse", a.parse)
	h("GET /api/searchctrl", a.list)
	h("GET /api/searchctrl/all", a.listAll)
	h("GET /api/searchctrl/details", a.listDetails)
	h("POST /api/searchctrl/launch", a.launch)
	h("GET /api/searchctrl/{id}", a.status)
	h("DELETE /api/searchctrl/{id}", a.delete)
	h("GET /api/searchctrl/{id}/details", a.details)
	h("PATCH /api/searchctrl/{id}/background", a.background)
	h("PUT /api/searchctrl/{id}/background", a.background)
	h("PATCH /api/searchctrl/{id}/save", a.save)
	h("PUT /api/searchctrl/{id}/save", a.save)
	h("PUT /api/searchctrl/{id}/stop", a.stop)
	h("PATCH /api/searchctrl/{id}/stop", a.stop)
	h("PUT /api/searchctrl/{id}/group", a.group)
	h("PUT /api/searchctrl/{id}/groups", a.groups)
	h("PUT /api/searchctrl/{id}/global", a.global)
	h("POST /api/searchctrl/{id}/attach", a.attach)
	h("GET /api/searchctrl/{id}/attach", a.attach)
	h("PUT /api/searchctrl/{id}/ping", a.ping)
	h("POST /api/searchctrl/{id}/ping", a.ping)
	h("GET /api/searchctrl/{id}/ping", a.ping)
	h("PUT /api/searchctrl/{id}/detach", a.detach)
	h("POST /api/searchctrl/{id}/detach", a.detach)
	h("POST /api/searchctrl/{id}/request", a.request)
	h("GET /api/searchctrl/{id}/stats", a.stats)
	h("GET /api/searchctrl/{id}/stats/overview", a.statsOverview)
	h("GET /api/searchctrl/{id}/renderer/{renderer}/explore", a.explore)
	h("GET /api/searchctrl/{id}/download/{format}", a.download)
	h("GET /api/searchctrl/{id}/entries", a.export)
	// Info and stats.
	mux.HandleFunc("GET /api/test", func(w http.ResponseWriter, r *http.Request) { writeRaw(w, http.StatusOK, []byte("{}")) })
	h("GET /api/testauth", func(w http.ResponseWriter, r *http.Request, c *access.Principal) {
		writeRaw(w, http.StatusOK, []byte("{}"))
	})
	h("GET /api/version", a.version)
	h("GET /api/info/whoami", a.whoami)
	h("GET /api/settings", a.settings)
	h("GET /api/tags", a.tags)
	for _, t := range statsTypes {
		h("GET /api/stats/"+t, a.statsRoute(t))
	}
	a.storageRoutes(h)
	// Ingest.
	hi := func(pattern string, fn func(w http.ResponseWriter, r *http.Request, c *access.Principal)) {
		var hd http.Handler = a.authed(fn)
		if a.cfg.IngestWrap != nil {
			hd = a.cfg.IngestWrap(hd)
		}
		mux.Handle(pattern, hd)
	}
	hi("HEAD /api/ingest/test", a.ingestTest)
	hi("GET /api/ingest/test", a.ingestTest)
	hi("POST /api/ingest/lines", a.ingestLines)
	hi("PUT /api/ingest/internal", a.ingestInternal)
	hi("POST /api/ingest/internal", a.ingestInternal)
	// Out of scope, and everything else under /api/ that no route serves: JSON 404s.
	h("POST /api/searchctrl/import", func(w http.ResponseWriter, r *http.Request, _ *access.Principal) {
		writeError(w, &Error{Status: http.StatusNotFound, Field: "path", Msg: "importing a Gravwell search archive is out of scope: " +
			"re-ingest a sluice archive download with POST /api/ingest/lines?type=reimport"})
	})
	h("/api/", func(w http.ResponseWriter, r *http.Request, _ *access.Principal) {
		writeError(w, &Error{Status: http.StatusNotFound, Field: "path", Msg: "no route " + r.Method + " " + truncate(r.URL.Path)})
	})
	for _, p := range outOfScope {
		mux.Handle(p, a.authed(a.outOfScope))
		mux.Handle(p+"/", a.authed(a.outOfScope))
	}
}

// authed hands fn the request's principal, which the access policy in front of every route
// (access.Policy.Handler) put in its context; a request without one is refused.
func (a *API) authed(fn func(w http.ResponseWriter, r *http.Request, c *access.Principal)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := access.FromContext(r.Context())
		if c == nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="sluice"`) // RFC 9110 §15.5.2
			writeError(w, &Error{Status: http.StatusUnauthorized, Field: "Authorization",
				Msg: "missing or invalid token: send Authorization: Bearer TOKEN or Gravwell-Token"})
			return
		}
		fn(w, r, c)
	})
}

// outOfScope lists the Gravwell API families sluice does not serve.
var outOfScope = []string{"/api/users", "/api/groups", "/api/dashboards", "/api/macros", "/api/resources",
	"/api/scheduledsearches", "/api/license", "/api/kits", "/api/templates", "/api/pivots", "/api/files",
	"/api/library", "/api/flows", "/api/alerts", "/api/playbooks", "/api/secrets", "/api/tokens",
	"/api/notifications", "/api/searchhistory", "/api/autoextractors", "/api/mfa", "/api/login",
	"/api/logout", "/api/cbac", "/api/mail", "/api/logging", "/api/backup",
	"/api/deployment", "/api/indexer", "/api/ingesters", "/api/libs", "/api/explore"}

func (a *API) outOfScope(w http.ResponseWriter, r *http.Request, _ *access.Principal) {
	family := r.URL.Path
	for _, p := range outOfScope {
		if family == p || strings.HasPrefix(family, p+"/") {
			family = p
			break
		}
	}
	writeError(w, &Error{Status: http.StatusNotFound, Field: "path", Msg: family +
		" is out of scope: sluice serves searches, downloads, stats, info and ingest, not Gravwell's " +
		"users, groups, dashboards, macros, resources, scheduled searches, licences or other management objects"})
}
