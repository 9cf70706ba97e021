package engine

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicehq/sluice/engine/search"
	"github.com/sluicehq/sluice/engine/store"
)

// engineMetrics are the engine's own Prometheus series; the websocket server registers its
// connection, message and limit series itself.
type engineMetrics struct {
	launches *prometheus.CounterVec // by outcome: ok, or the reason a launch was refused
	// Per principal (its name: never a token; "local" or "anonymous" for the shared ones).
	principalLaunches *prometheus.CounterVec // by principal
	principalLimits   *prometheus.CounterVec // by principal and limit field
	principalRequests *prometheus.CounterVec // by principal
	principalIngest   *prometheus.CounterVec // ingest body bytes, by principal
}

func newEngineMetrics(e *Engine, reg prometheus.Registerer) *engineMetrics {
	m := &engineMetrics{
		launches: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluice_search_launches_total",
			Help: "Search launches by outcome: ok, or the refusal reason (a limit's config field, parse, range, share, other)."},
			[]string{"outcome"}),
		principalLaunches: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluice_principal_search_launches_total",
			Help: "Search launches accepted, by principal name."}, []string{"principal"}),
		principalLimits: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluice_principal_limit_hits_total",
			Help: "Per-principal limits hit (MaxSearchesPerPrincipal, MaxIngestBytesPerSecond), by principal name and limit field."},
			[]string{"principal", "limit"}),
		principalRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluice_principal_http_requests_total",
			Help: "HTTP requests admitted (websocket upgrades excepted), by principal name."}, []string{"principal"}),
		principalIngest: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluice_principal_ingest_body_bytes_total",
			Help: "Ingest request body bytes read, by principal name."}, []string{"principal"}),
	}
	reg.MustRegister(m.launches, m.principalLaunches, m.principalLimits, m.principalRequests, m.principalIngest,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sluice_searches_live",
			Help: "Live searches (pending, running, finished or background)."},
			func() float64 { return float64(e.manager.Len()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sluice_memory_budget_used_bytes",
			Help: "Bytes reserved from memory_budget_mb (Search.MemoryBudget) by searches, render stores, stats rings and sockets."},
			func() float64 { return float64(e.manager.Memory().Used()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sluice_memory_budget_peak_bytes",
			Help: "The most bytes ever reserved from memory_budget_mb at once."},
			func() float64 { return float64(e.manager.Memory().Peak()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sluice_memory_budget_bytes",
			Help: "memory_budget_mb (Search.MemoryBudget) in bytes."},
			func() float64 { return float64(e.manager.Memory().Limit()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sluice_render_disk_used_bytes",
			Help: "Render store file bytes of all live searches, against render_disk_budget_mb (Search.RenderDiskBudget)."},
			func() float64 { return float64(e.manager.Disk().Used()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sluice_search_blocks_total",
			Help: "Store blocks the searches' scans considered (in their range, with a selected tag)."},
			func() float64 { return float64(e.manager.ScanTotals().Blocks) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sluice_search_blocks_skipped_total",
			Help: "Of sluice_search_blocks_total, blocks skipped unread because their accelerator showed no entry could match."},
			func() float64 { return float64(e.manager.ScanTotals().Skipped) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sluice_budget_refusals_total",
			Help: "Reservations the memory and render-disk budgets refused."},
			func() float64 { return float64(e.manager.Memory().Refusals() + e.manager.Disk().Refusals()) }),
	)
	if e.store != nil {
		reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sluice_ingested_entries_total",
				Help: "Entries stored since the store was opened."},
				func() float64 { return float64(e.store.IngestCounters().TotalCount) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sluice_ingested_bytes_total",
				Help: "Entry bytes stored since the store was opened."},
				func() float64 { return float64(e.store.IngestCounters().TotalSize) }),
		)
		for _, d := range []struct {
			name, help string
			v          func(c *store.DamageCounters) uint64
		}{
			{"sluice_store_quarantined_ranges_total", "Damaged shard ranges skipped in place and quarantined (at start-up or by a scan).",
				func(c *store.DamageCounters) uint64 { return c.BlocksQuarantined }},
			{"sluice_store_quarantined_bytes_total", "Bytes of the quarantined ranges.",
				func(c *store.DamageCounters) uint64 { return c.BytesQuarantined }},
			{"sluice_store_quarantined_entries_total", "Entries the quarantined ranges held, where a header or index says.",
				func(c *store.DamageCounters) uint64 { return c.EntriesQuarantined }},
			{"sluice_store_tails_cut_total", "Torn, uncommitted or damaged shard tails cut at start-up.",
				func(c *store.DamageCounters) uint64 { return c.TailsCut }},
			{"sluice_store_tail_bytes_cut_total", "Bytes of the cut tails (damaged ones are kept in <shard>.cut-<offset>).",
				func(c *store.DamageCounters) uint64 { return c.BytesCut }},
			{"sluice_store_scan_damage_skips_total", "Damaged ranges that scans skipped and reported in a search Warning.",
				func(c *store.DamageCounters) uint64 { return c.ScanSkips }},
			{"sluice_store_index_rejected_total", "Shard index files found corrupt or stale at start-up and ignored.",
				func(c *store.DamageCounters) uint64 { return c.IndexRejected }},
			{"sluice_store_metadata_copies_repaired_total", "Copies of metadata files (indexer.uuid, block.key, WELL, tags.log) found damaged, missing or differing and rewritten from the other copy.",
				func(c *store.DamageCounters) uint64 { return c.CopiesRepaired }},
		} {
			reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: d.name, Help: d.help},
				func() float64 { c := e.store.DamageCounters(); return float64(d.v(&c)) }))
		}
	}
	return m
}

// launchOutcome names the outcome of a launch for sluice_search_launches_total.
func launchOutcome(err error) string {
	var le *search.LimitError
	var pe *search.ParseError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &le):
		return le.Field
	case errors.As(err, &pe):
		return "parse"
	case errors.Is(err, search.ErrRange):
		return "range"
	}
	return "other"
}
