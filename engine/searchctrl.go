package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
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
	if e.cfg.Cluster != nil && e.cfg.Cluster.Searches != nil {
		cfg.Remote = e.cfg.Cluster.Searches
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
	switch {
	case typ == "wellStats":
		return e.wellStats()
	case typ == "storage" || strings.HasPrefix(typ, "storage/"):
		return e.storageStats(strings.TrimPrefix(strings.TrimPrefix(typ, "storage"), "/"))
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
			tags := w.Tags
			if tags == nil {
				tags = []string{}
			}
			ix.Wells = append(ix.Wells, well{ID: w.ID, Name: w.Name, Tags: tags, Shards: []shard{}, Path: w.Path})
		}
		addr := e.cfg.Stats.IndexerAddr
		if addr == "" {
			addr = "127.0.0.1:9404"
		}
		out[addr] = ix
	}
	return json.Marshal(out)
}

// storageStats describes the store as Gravwell's storage statistics: with no indexer, a map of
// indexer UUID to StorageStats (coverage and totals, all hot); with one, that indexer's
// PerWellStorageStats by well name. An unknown UUID is rest.ErrNoSuchIndexer.
func (e *Engine) storageStats(indexer string) ([]byte, error) {
	type storage struct {
		CoverageStart    time.Time `json:"coverageStart"`
		CoverageEnd      time.Time `json:"coverageEnd"`
		DataIngestedHot  uint64    `json:"dataIngestedHot"`
		DataIngestedCold uint64    `json:"dataIngestedCold"`
		DataStoredHot    uint64    `json:"dataStoredHot"`
		DataStoredCold   uint64    `json:"dataStoredCold"`
		EntryCountHot    uint64    `json:"entryCountHot"`
		EntryCountCold   uint64    `json:"entryCountCold"`
	}
	type perWell struct {
		storage
		Accelerator    string   `json:"accelerator"`
		Engine         string   `json:"engine"`
		PathCold       string   `json:"pathCold"`
		PathHot        string   `json:"pathHot"`
		ShardCountCold uint64   `json:"shardCountCold"`
		ShardCountHot  uint64   `json:"shardCountHot"`
		Tags           []string `json:"tags"`
		WellName       string   `json:"wellName"`
	}
	if e.store == nil {
		if indexer != "" {
			return nil, fmt.Errorf("%w: %q (this server has no store)", rest.ErrNoSuchIndexer, indexer)
		}
		return []byte("{}"), nil
	}
	uuid := e.store.IndexerUUID()
	if indexer != "" && indexer != uuid {
		return nil, fmt.Errorf("%w: %q (this server's indexer is %s)", rest.ErrNoSuchIndexer, indexer, uuid)
	}
	var total storage
	if lo, hi, ok := e.store.TimeBounds(); ok {
		total.CoverageStart, total.CoverageEnd = time.Unix(0, lo).UTC(), time.Unix(0, hi).UTC()
	}
	wells := map[string]perWell{}
	for _, w := range e.store.Stats() {
		pw := perWell{storage: storage{DataIngestedHot: w.Bytes, DataStoredHot: w.Bytes + w.AccelBytes, EntryCountHot: w.Entries,
			CoverageStart: total.CoverageStart, CoverageEnd: total.CoverageEnd}, PathHot: w.Path, Tags: w.Tags, WellName: w.Name}
		if pw.Tags == nil {
			pw.Tags = []string{}
		}
		wells[w.Name] = pw
		total.DataIngestedHot += pw.DataIngestedHot
		total.DataStoredHot += pw.DataStoredHot
		total.EntryCountHot += pw.EntryCountHot
	}
	if indexer != "" {
		return json.Marshal(wells)
	}
	return json.Marshal(map[string]storage{uuid: total})
}
