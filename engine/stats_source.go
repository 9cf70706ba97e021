package engine

import (
	"github.com/sluicehq/sluice/collect"
	"github.com/sluicehq/sluice/engine/store"
)

// storeSource adapts the store to the figures idxStats and igstStats report.
type storeSource struct{ st *store.Store }

func (s storeSource) IndexerUUID() string { return s.st.IndexerUUID() }

func (s storeSource) Stats() []collect.WellStats {
	wells := s.st.Stats()
	out := make([]collect.WellStats, len(wells))
	for i, w := range wells {
		out[i] = collect.WellStats{Name: w.Name, ID: w.ID, Path: w.Path, Bytes: w.Bytes, Entries: w.Entries}
	}
	return out
}

func (s storeSource) IngestCounters() collect.IngestCounters {
	return collect.IngestCounters(s.st.IngestCounters())
}

func (e *Engine) hubConfig() collect.HubConfig {
	c := e.cfg.Stats
	root := c.ProcRoot
	if root == "" {
		root = "/"
	}
	src := collect.Sources{IndexerAddr: c.IndexerAddr,
		Collector: collect.NewCollector(collect.Config{FS: collect.FS{Root: root}})}
	if e.store != nil {
		src.Store = storeSource{e.store}
	}
	if e.cfg.Cluster != nil {
		src.Cluster = e.cfg.Cluster.Stats
	}
	return collect.HubConfig{Sources: src, PingPeriod: c.PingPeriod, SysStatsPeriod: c.SysStatsPeriod,
		IdxStatsPeriod: c.IdxStatsPeriod, IgstStatsPeriod: c.IgstStatsPeriod}
}
