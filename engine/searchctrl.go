package engine

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/valyala/fastjson"

	"github.com/sluicehq/sluice/engine/access"
	"github.com/sluicehq/sluice/engine/rest"
)

// restAPIVersion is the Gravwell REST API version the routes follow: that of client v3.8.40
// (types.API_VERSION_MAJOR.MINOR), so the client's CheckApiVersion passes.
const restAPIMajor, restAPIMinor = 0, 2

// newREST builds the REST API (engine/rest) over the engine's parts and registers its routes.
// Its ingest routes share the per-principal ingest throttle of POST /api/ingest.
func (e *Engine) newREST(ingestThrottle *access.Throttle) *rest.API {
	cfg := rest.Config{
		Manager:    e.manager,
		Stats:      e.restStats,
		Version:    rest.Version{APIMajor: restAPIMajor, APIMinor: restAPIMinor},
		Logger:     e.log,
		Ingest:     e.cfg.Ingest,
		Limits:     e.cfg.REST,
		IngestWrap: func(h http.Handler) http.Handler { return e.throttleIngest(h, ingestThrottle) },
	}
	if cfg.Ingest.MaxEntrySize == 0 {
		cfg.Ingest.MaxEntrySize = e.cfg.Store.MaxEntrySize
	}
	if e.store != nil {
		cfg.Store = e.store
	}
	if e.cfg.Cluster != nil {
		cfg.Store = nil // a cluster node ingests through the cluster, never into its own store
		if st, ok := e.cfg.Cluster.Ingest.(rest.Store); ok {
			cfg.Store = st
		}
	}
	api := rest.New(cfg)
	api.Register(e.mux)
	return api
}

// restStats returns the data of a stats type in the shape of Gravwell's REST stats: the stats
// socket's payload (PROTOCOL.md §2) without its wrapper: sysDesc as it is, ping's States (with
// "webserver" listed, as the REST form does), sysStats', idxStats' and igstStats' Stats maps,
// and wellStats as Gravwell's map of indexer to IndexerWellData.
func (e *Engine) restStats(typ string) ([]byte, error) {
	if typ == "wellStats" {
		return e.wellStats()
	}
	p := e.hub.Build(typ, time.Now())
	if p.Current == nil {
		return nil, errors.New("unknown stats type " + typ)
	}
	var jp fastjson.Parser
	v, err := jp.ParseBytes(p.Current)
	if err != nil {
		return nil, err
	}
	data := v.Get("data")
	if data == nil {
		return nil, errors.New(typ + ": packet has no data")
	}
	switch typ {
	case "sysDesc":
		return data.MarshalTo(nil), nil
	case "ping":
		states := data.Get("States")
		if states == nil || states.Type() != fastjson.TypeObject {
			return []byte(`{"webserver":"OK"}`), nil
		}
		states.Set("webserver", fastjson.MustParse(`"OK"`))
		return states.MarshalTo(nil), nil
	}
	stats := data.Get("Stats")
	if stats == nil {
		return []byte("{}"), nil
	}
	return stats.MarshalTo(nil), nil
}

// wellStats describes the store's wells as Gravwell's IndexerWellData, keyed by the indexer
// address.
func (e *Engine) wellStats() ([]byte, error) {
	type shard struct{}
	type well struct {
		ID     string
		Name   string
		Tags   []string
		Shards []shard
		Path   string `json:",omitempty"`
	}
	type indexer struct {
		UUID  string
		Wells []well
	}
	out := map[string]indexer{}
	if e.store != nil {
		ix := indexer{UUID: e.store.IndexerUUID(), Wells: []well{}}
		for _, w := range e.store.Stats() {
			ix.Wells = append(ix.Wells, well{ID: w.ID, Name: w.Name, Tags: []string{w.Name}, Shards: []shard{}, Path: w.Path})
		}
		addr := e.cfg.Stats.IndexerAddr
		if addr == "" {
			addr = "127.0.0.1:9404"
		}
		out[addr] = ix
	}
	return json.Marshal(out)
}
