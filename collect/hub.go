package collect

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// Stats socket message types (PROTOCOL.md §2.1).
const (
	TypeSysDesc   = "sysDesc"
	TypePing      = "ping"
	TypeSysStats  = "sysStats"
	TypeIdxStats  = "idxStats"
	TypeIgstStats = "igstStats"
)

// WebserverHost is the host key of the server itself (PROTOCOL.md §2.1 "Host keys").
const WebserverHost = "webserver"

// DefaultIndexerAddr is the host key of the embedded store when HubConfig.IndexerAddr is empty.
const DefaultIndexerAddr = "127.0.0.1:9404"

// periodic lists the periodic types in the order Run publishes them when several are due.
var periodic = [...]string{TypePing, TypeSysStats, TypeIdxStats, TypeIgstStats}

// IndexerSource is what the hub needs from an indexer (the engine adapts its store to it).
// Its methods are called from the hub's goroutines, at most once per period each.
type IndexerSource interface {
	// IndexerUUID returns the indexer's UUID in canonical 8-4-4-4-12 form.
	IndexerUUID() string
	// Stats returns one WellStats per storage location of every well, in display order.
	Stats() []WellStats
	// IngestCounters returns the ingest totals and tails.
	IngestCounters() IngestCounters
}

// WellStats is one storage location of a well. Locations with the same Name are one well in
// idxStats (hot first, then cold, in the order given).
type WellStats struct {
	Name        string
	ID          string // unique well ID
	Path        string
	Bytes       uint64
	Entries     uint64
	Cold        bool
	Accelerator string // e.g. "fulltext"; empty when none
	Extractor   string
}

// IngestCounters are an indexer's ingest figures for igstStats (PROTOCOL.md §2.6). Tails are
// oldest first; the last element is the current (partial) second or hour. NOTE: the fields are
// those of engine/store.IngestCounters, in the same order, so that the engine converts one into
// the other with a plain type conversion.
type IngestCounters struct {
	TotalCount        uint64     // entries ingested since the indexer started
	TotalSize         uint64     // bytes ingested since the indexer started
	EntriesPerSecond  float64    // over the last few seconds
	BytesPerSecond    float64    // over the last few seconds
	LastDayCount      uint64     // entries in the last 24 hours
	LastDaySize       uint64     // bytes in the last 24 hours
	EntriesMinuteTail [60]uint64 // entries per second over the last minute
	BytesMinuteTail   [60]uint64 // bytes per second over the last minute
	EntriesHourTail   [24]uint64 // entries per hour over the last day
	BytesHourTail     [24]uint64 // bytes per hour over the last day
}

// Sources are the figures a Hub reports. The zero value reports this machine as the webserver
// only.
type Sources struct {
	// Store is the embedded indexer; nil means no indexer: no ping states, no idxStats or
	// igstStats entries and only the webserver host.
	Store IndexerSource
	// IndexerAddr is the indexer's host key. Default DefaultIndexerAddr.
	IndexerAddr string
	// Collector samples this machine. Default NewCollector(Config{}).
	Collector *Collector
	// Cluster, when set, replaces this machine and Store: every host comes from it, and a
	// change of the host set is published as a fresh sysDesc (PROTOCOL.md §2.1 step 5).
	Cluster ClusterSource
}

// HubConfig configures a Hub. The zero value works: periods default to PROTOCOL.md §2.1's
// choice (ping 5 s, sysStats 5 s, idxStats 10 s, igstStats 10 s).
type HubConfig struct {
	Sources
	PingPeriod      time.Duration
	SysStatsPeriod  time.Duration
	IdxStatsPeriod  time.Duration
	IgstStatsPeriod time.Duration
}

// Packet is one stats message in both payload shapes: complete JSON messages
// {"type":…,"data":…} without a frame header. Current is for /api/ws/stats, Documented for
// /ws/stats (PROTOCOL.md §2.7); for igstStats, which has one shape, both are the same slice.
type Packet struct {
	Type       string
	Current    []byte
	Documented []byte
}

// Hub builds the stats packets (PROTOCOL.md §2): each periodic type once per period, in both
// shapes, handed to a publish callback. It does not know subscribers. Both hosts it reports,
// "webserver" and the indexer, describe this machine; the process figures appear only on the
// webserver, as in PROTOCOL.md Appendix B. A Hub is safe for concurrent use.
type Hub struct {
	cfg     HubConfig
	periods [len(periodic)]time.Duration
	running atomic.Bool

	descOnce sync.Once
	desc     Packet
	descMu   sync.Mutex // cluster mode: guards desc, descSig, descPub
	descSig  string     // cluster mode: host keys of desc
	descPub  string     // cluster mode: host keys of the sysDesc last published by Run

	mu       sync.Mutex
	at       [len(periodic)]time.Time // when the figures of each type were last refreshed
	web, idx wire.HostSysStats
	sysErr   string
	ping     wire.PingPayload
	sys      wire.SysStatsPayload
	idxP     wire.IdxStatsPayload
	igstP    wire.IgstStatsPayload
	wells    []wire.IndexManagerStats

	cur, doc []byte // Run's encode buffers
}

// NewHub returns a Hub for cfg with defaults applied.
func NewHub(cfg HubConfig) *Hub {
	if cfg.IndexerAddr == "" {
		cfg.IndexerAddr = DefaultIndexerAddr
	}
	if cfg.Collector == nil {
		cfg.Collector = NewCollector(Config{})
	}
	h := &Hub{cfg: cfg}
	for i, p := range [...]struct {
		d   time.Duration
		def time.Duration
	}{{cfg.PingPeriod, 5 * time.Second}, {cfg.SysStatsPeriod, 5 * time.Second},
		{cfg.IdxStatsPeriod, 10 * time.Second}, {cfg.IgstStatsPeriod, 10 * time.Second}} {
		h.periods[i] = p.d
		if p.d <= 0 {
			h.periods[i] = p.def
		}
	}
	if cfg.Cluster != nil {
		return h
	}
	h.sys.Hosts = []wire.SysStats{{Host: WebserverHost, Stats: &h.web}}
	if cfg.Store != nil {
		h.ping.States = []wire.PingState{{Addr: cfg.IndexerAddr, State: "OK"}}
		h.sys.Hosts = append(h.sys.Hosts, wire.SysStats{Host: cfg.IndexerAddr, Stats: &h.idx})
		h.idxP.Indexers = []wire.IdxStats{{Addr: cfg.IndexerAddr}}
		h.igstP.Indexers = []wire.IngestStats{{Addr: cfg.IndexerAddr}}
	}
	return h
}

// Periods returns the ping, sysStats, idxStats and igstStats periods in effect.
func (h *Hub) Periods() (ping, sysStats, idxStats, igstStats time.Duration) {
	return h.periods[0], h.periods[1], h.periods[2], h.periods[3]
}

// SysDesc returns the sysDesc packet (PROTOCOL.md §2.2, §2.7), read from the Collector on the
// first call. The bytes are shared and never change: do not modify them.
func (h *Hub) SysDesc() Packet {
	if h.cfg.Cluster != nil {
		p, _ := h.clusterSysDesc(time.Now(), false)
		return p
	}
	h.descOnce.Do(func() {
		info := h.cfg.Collector.SysDesc()
		hosts := []wire.SysInfo{info}
		hosts[0].Host = WebserverHost
		if h.cfg.Store != nil {
			info.Host = h.cfg.IndexerAddr
			hosts = append(hosts, info)
		}
		cur := wire.AppendSysDesc(wire.BeginMessage(nil, TypeSysDesc), hosts)
		doc := wire.AppendSysDescDocumented(wire.BeginMessage(nil, TypeSysDesc), hosts)
		h.desc = Packet{Type: TypeSysDesc, Current: wire.EndMessage(cur)[wire.HeaderRoom:],
			Documented: wire.EndMessage(doc)[wire.HeaderRoom:]}
	})
	return h.desc
}

// Build returns a packet of type typ (ping, sysStats, idxStats or igstStats) for a subscriber
// that just arrived (PROTOCOL.md §2.1 step 4). It encodes the latest figures, refreshing them at
// now when they were never read or are older than two periods (Run is not running). The bytes
// are new and belong to the caller. Build(TypeSysDesc, …) returns SysDesc(); an unknown type
// gives the zero Packet.
//
// NOTE: Build does not refresh figures that Run keeps fresh: a sample taken just before Run's
// would leave Run's rates measured over a few milliseconds.
func (h *Hub) Build(typ string, now time.Time) Packet {
	if typ == TypeSysDesc {
		return h.SysDesc()
	}
	i := typeIndex(typ)
	if i < 0 {
		return Packet{}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.at[i].IsZero() || now.Sub(h.at[i]) >= 2*h.periods[i] {
		h.refresh(i, now)
	}
	cur, doc := h.encode(i, nil, nil)
	return h.packet(i, cur, doc)
}

// Run publishes each periodic type once per period until ctx is done: it refreshes the figures,
// encodes both shapes into buffers it reuses, and calls publish, which must copy what it keeps
// before returning (the bytes are overwritten next period). The first packets come one period
// after Run starts; subscribers get earlier ones from Build. Periods missed because publish or
// a source was slow are skipped, not bunched. Only one Run may be active; a second returns at
// once.
func (h *Hub) Run(ctx context.Context, publish func(Packet)) {
	if !h.running.CompareAndSwap(false, true) {
		return
	}
	defer h.running.Store(false)
	start := time.Now()
	if h.cfg.Cluster != nil {
		h.clusterSysDesc(start, true) // subscribers so far got this one on Open
	}
	var next [len(periodic)]time.Time
	for i := range next {
		next[i] = start.Add(h.periods[i])
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		due := next[0]
		for _, t := range next[1:] {
			if t.Before(due) {
				due = t
			}
		}
		timer.Reset(time.Until(due))
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		now := time.Now()
		for i := range next {
			if now.Before(next[i]) {
				continue
			}
			if h.cfg.Cluster != nil && periodic[i] == TypePing {
				if p, changed := h.clusterSysDesc(now, true); changed {
					publish(p)
				}
			}
			publish(h.tick(i, now))
			if ctx.Err() != nil {
				return
			}
			next[i] = next[i].Add(h.periods[i])
			if !next[i].After(now) {
				next[i] = now.Add(h.periods[i])
			}
		}
	}
}

// tick refreshes and encodes type i into Run's buffers. Figures younger than half a period
// (Build read them moments ago) are published as they are, for the same reason.
func (h *Hub) tick(i int, now time.Time) Packet {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.at[i].IsZero() || now.Sub(h.at[i]) >= h.periods[i]/2 {
		h.refresh(i, now)
	}
	h.cur, h.doc = h.encode(i, h.cur[:0], h.doc[:0])
	return h.packet(i, h.cur, h.doc)
}

func (h *Hub) packet(i int, cur, doc []byte) Packet {
	p := Packet{Type: periodic[i], Current: cur[wire.HeaderRoom:], Documented: cur[wire.HeaderRoom:]}
	if doc != nil {
		p.Documented = doc[wire.HeaderRoom:]
	}
	return p
}

func typeIndex(typ string) int {
	for i, t := range periodic {
		if t == typ {
			return i
		}
	}
	return -1
}

// refresh reads the figures of type i at now. h.mu must be held.
func (h *Hub) refresh(i int, now time.Time) {
	h.at[i] = now
	if h.cfg.Cluster != nil {
		h.refreshCluster(i, now)
		return
	}
	switch periodic[i] {
	case TypeSysStats:
		s, err := h.cfg.Collector.Sample(now)
		h.web = s
		h.idx = s
		h.idx.ProcessHeapAllocation, h.idx.ProcessSysReserved = 0, 0
		h.sysErr = ""
		if err != nil {
			h.sysErr = err.Error()
		}
		for j := range h.sys.Hosts {
			h.sys.Hosts[j].Error = h.sysErr
		}
	case TypeIdxStats:
		if h.cfg.Store == nil {
			return
		}
		x := &h.idxP.Indexers[0]
		x.UUID = h.cfg.Store.IndexerUUID()
		h.wells = groupWells(h.wells, h.cfg.Store.Stats())
		x.IndexStats = h.wells
	case TypeIgstStats:
		if h.cfg.Store == nil {
			return
		}
		setIngest(&h.igstP.Indexers[0], h.cfg.Store.IngestCounters())
	}
}

// encode appends both shapes of type i, each after wire.HeaderRoom spare bytes, to cur and doc.
// doc is nil for igstStats, whose one shape is in cur. h.mu must be held. It allocates nothing
// when the buffers have room.
func (h *Hub) encode(i int, cur, doc []byte) ([]byte, []byte) {
	typ := periodic[i]
	cur = wire.BeginMessage(cur, typ)
	switch typ {
	case TypePing:
		cur = wire.AppendPing(cur, &h.ping)
		doc = wire.AppendPingDocumented(wire.BeginMessage(doc, typ), &h.ping)
	case TypeSysStats:
		cur = wire.AppendSysStats(cur, &h.sys)
		doc = wire.AppendSysStatsDocumented(wire.BeginMessage(doc, typ), &h.sys)
	case TypeIdxStats:
		cur = wire.AppendIdxStats(cur, &h.idxP)
		doc = wire.AppendIdxStatsDocumented(wire.BeginMessage(doc, typ), &h.idxP)
	case TypeIgstStats:
		cur = wire.AppendIgstStats(cur, &h.igstP)
		return wire.EndMessage(cur), nil
	}
	return wire.EndMessage(cur), wire.EndMessage(doc)
}

// groupWells turns storage locations into one IndexManagerStats per well name, in order of
// first appearance, reusing dst and its Stats slices.
func groupWells(dst []wire.IndexManagerStats, locs []WellStats) []wire.IndexManagerStats {
	all := dst[:cap(dst)]
	n := 0
	for k := range locs {
		l := &locs[k]
		j := -1
		for m := 0; m < n; m++ {
			if all[m].Name == l.Name {
				j = m
				break
			}
		}
		if j < 0 {
			if n == len(all) {
				all = append(all, wire.IndexManagerStats{})
				all = all[:cap(all)]
			}
			j = n
			n++
			all[j].Name = l.Name
			all[j].Stats = all[j].Stats[:0]
		}
		all[j].Stats = append(all[j].Stats, wire.IndexerStats{ID: l.ID, Data: l.Bytes, Entries: l.Entries,
			Path: l.Path, Cold: l.Cold, Accelerator: l.Accelerator, Extractor: l.Extractor})
	}
	return all[:n]
}

// setIngest copies c into s. QuotaUsed and QuotaMax stay 0 (no licence quota: unlimited);
// Ingesters and Missing stay empty, since sluice ingests through its own HTTP endpoint and CLI,
// not through connected ingesters.
func setIngest(s *wire.IngestStats, c IngestCounters) {
	s.TotalCount, s.TotalSize = c.TotalCount, c.TotalSize
	s.EntriesPerSecond, s.BytesPerSecond = c.EntriesPerSecond, c.BytesPerSecond
	s.LastDayCount, s.LastDaySize = c.LastDayCount, c.LastDaySize
	s.EntriesMinuteTail, s.BytesMinuteTail = c.EntriesMinuteTail, c.BytesMinuteTail
	s.EntriesHourTail, s.BytesHourTail = c.EntriesHourTail, c.BytesHourTail
}
