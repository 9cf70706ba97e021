package rest

import (
	"errors"
	"github.com/sluicehq/sluice/engine/access"
	"net/http"
	"sort"
	"strconv"
	"time"
)

// statsTypes are the REST stats routes, /api/stats/{type}.
var statsTypes = []string{"sysDesc", "ping", "sysStats", "idxStats", "igstStats", "wellStats"}

// version serves GET /api/version: Gravwell's VersionInfo {"API":{Major,Minor},"Build":{…}}.
func (a *API) version(w http.ResponseWriter, r *http.Request, _ *access.Principal) {
	v := a.cfg.Version
	type build struct {
		Major, Minor, Point uint32
		BuildDate           time.Time `json:",omitempty"`
		BuildID             string    `json:",omitempty"`
	}
	writeJSON(w, http.StatusOK, struct {
		API   struct{ Major, Minor uint32 }
		Build build
	}{struct{ Major, Minor uint32 }{v.APIMajor, v.APIMinor}, build{v.Major, v.Minor, v.Point, v.BuildDate, v.BuildID}})
}

type groupDetails struct {
	GID  int32
	Name string
	Desc string
}

// whoami serves GET /api/info/whoami: Gravwell's UserDetails of the caller.
func (a *API) whoami(w http.ResponseWriter, r *http.Request, c *access.Principal) {
	groups := make([]groupDetails, 0, len(c.GIDs))
	for _, g := range c.GIDs {
		groups = append(groups, groupDetails{GID: g, Name: "group" + strconv.Itoa(int(g))})
	}
	var def int32
	if len(c.GIDs) > 0 {
		def = c.GIDs[0]
	}
	writeJSON(w, http.StatusOK, struct {
		UID        int32
		User       string
		Name       string
		Email      string
		Admin      bool
		Locked     bool
		DefaultGID int32 `json:",omitempty"`
		Groups     []groupDetails
		Synced     bool
	}{UID: c.UID, User: c.Name, Name: c.Name, Admin: c.Admin, DefaultGID: def, Groups: groups, Synced: true})
}

// tags serves GET /api/tags: every tag name, sorted.
func (a *API) tags(w http.ResponseWriter, r *http.Request, _ *access.Principal) {
	if a.cfg.Store == nil {
		writeError(w, notFound("path", "this server has no store, hence no tags"))
		return
	}
	_, names := a.cfg.Store.MatchTags([]string{"*"})
	names = append([]string{}, names...)
	sort.Strings(names)
	writeJSON(w, http.StatusOK, names)
}

// ErrNoSuchIndexer is what Config.Stats returns (wrapped) for a storage type naming an indexer
// UUID it does not have; the route answers 404 naming the uuid.
var ErrNoSuchIndexer = errors.New("no such indexer")

// storageRoutes serves Gravwell's storage statistics: GET /api/stats/storage/indexers
// (map of indexer UUID to StorageStats) and GET /api/stats/storage/indexer/{uuid}/wells (map
// of well name to PerWellStorageStats), from Config.Stats("storage") and
// Config.Stats("storage/UUID"). The calendar routes (per-day figures) are not kept by the
// embedded store and answer 404 saying so.
func (a *API) storageRoutes(h func(string, func(http.ResponseWriter, *http.Request, *access.Principal))) {
	h("GET /api/stats/storage/indexers", a.statsRoute("storage"))
	h("GET /api/stats/storage/indexer/{uuid}/wells", func(w http.ResponseWriter, r *http.Request, c *access.Principal) {
		a.statsRoute("storage/"+r.PathValue("uuid"))(w, r, c)
	})
	cal := func(w http.ResponseWriter, r *http.Request, _ *access.Principal) {
		writeError(w, notFound("path", "calendar statistics (entries and bytes per day) are not kept by sluice's store"))
	}
	h("POST /api/stats/storage/calendar", cal)
	h("POST /api/stats/storage/indexer/{uuid}/calendar", cal)
}

// statsRoute serves GET /api/stats/{typ}: the same figures as the stats socket's typ message
// in the shapes Gravwell's REST stats have (a map keyed by host).
func (a *API) statsRoute(typ string) func(w http.ResponseWriter, r *http.Request, _ *access.Principal) {
	return func(w http.ResponseWriter, r *http.Request, _ *access.Principal) {
		if a.cfg.Stats == nil {
			writeError(w, notFound("path", "stats are not served by this engine"))
			return
		}
		b, err := a.cfg.Stats(typ)
		if errors.Is(err, ErrNoSuchIndexer) {
			writeError(w, notFound("uuid", err.Error()))
			return
		}
		if err != nil {
			writeError(w, &Error{Status: http.StatusInternalServerError, Msg: typ + ": " + err.Error()})
			return
		}
		writeRaw(w, http.StatusOK, b)
	}
}

// ingestTest serves HEAD /api/ingest/test: 200 when the caller may ingest (the client's
// TestIngest).
func (a *API) ingestTest(w http.ResponseWriter, r *http.Request, _ *access.Principal) {
	if a.cfg.Store == nil {
		writeError(w, notFound("path", "this server has no store to ingest into"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
}

// settings serves GET /api/settings: Gravwell's GUISettings, which the client's Sync reads
// after whoami.
func (a *API) settings(w http.ResponseWriter, r *http.Request, _ *access.Principal) {
	now := time.Now()
	zone, offset := now.Zone()
	writeJSON(w, http.StatusOK, struct {
		DistributedWebservers bool
		DisableMapTileProxy   bool
		MapTileUrl            string
		DisableFeaturePopups  bool
		CloudMode             bool
		ServerTime            time.Time
		ServerTimezone        string
		ServerTimezoneOffset  int
		MaxFileSize           uint64
		MaxResourceSize       uint64
		MaxJsonRequestSize    uint64
		IngestAllowed         bool
		NonCommercial         bool
	}{DisableFeaturePopups: true, ServerTime: now, ServerTimezone: zone, ServerTimezoneOffset: offset,
		MaxJsonRequestSize: maxControlBody, IngestAllowed: a.cfg.Store != nil})
}
