package wire_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// Mirrors of the real clients' stats types, written from the tables of PROTOCOL.md §2.2–§2.7:
// the Go client decodes each current payload with encoding/json into types like these (note
// CPUMhz string, Uptime uint64, IdxStats.UUID a UUID type that refuses "", IP a net.IP), and the
// omitempty tags state the spec's emit rules. The documented mirrors follow the seed's examples,
// which print every field.

// statsClUUID decodes like a UUID type: only a canonical 8-4-4-4-12 hex string is accepted.
type statsClUUID string

func (u *statsClUUID) UnmarshalText(b []byte) error {
	if len(b) != 36 {
		return fmt.Errorf("invalid UUID length: %d", len(b))
	}
	for i, c := range b {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return fmt.Errorf("invalid UUID format")
			}
			continue
		}
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return fmt.Errorf("invalid UUID format")
		}
	}
	*u = statsClUUID(b)
	return nil
}

func (u statsClUUID) MarshalText() ([]byte, error) { return []byte(u), nil }

type statsClSysInfo struct {
	VirtSystem    string `json:",omitempty"`
	VirtRole      string `json:",omitempty"`
	CPUCount      int    `json:",omitempty"`
	CPUModel      string `json:",omitempty"`
	CPUMhz        string `json:",omitempty"`
	CPUCache      string `json:",omitempty"`
	TotalMemoryMB uint64 `json:",omitempty"`
	SystemVersion string `json:",omitempty"`
	Error         string `json:",omitempty"`
}

type statsClPing struct {
	States map[string]string `json:",omitempty"`
	Error  string            `json:",omitempty"`
}

type statsClSysStatsMsg struct {
	Stats map[string]statsClSysStats `json:",omitempty"`
	Error string                     `json:",omitempty"`
}

type statsClSysStats struct {
	Stats *statsClHostSysStats `json:",omitempty"`
	Error string               `json:",omitempty"`
}

type statsClHostSysStats struct {
	Uptime                uint64  `json:",omitempty"`
	TotalMemory           uint64  `json:",omitempty"`
	ProcessHeapAllocation uint64  `json:",omitempty"`
	ProcessSysReserved    uint64  `json:",omitempty"`
	MemoryUsedPercent     float64 `json:",omitempty"`
	Disks                 []statsClDiskStats
	CPUUsage              float64
	CPUCount              int `json:",omitempty"`
	HostHash              string
	Net                   struct{ Up, Down uint64 }
	IO                    []statsClDiskIO
	VirtSystem            string `json:",omitempty"`
	VirtRole              string `json:",omitempty"`
	BuildInfo             statsClBuildInfo
	LoadAverage           struct {
		Load1  float64 `json:"load1"`
		Load5  float64 `json:"load5"`
		Load15 float64 `json:"load15"`
	}
	Iowait float64
}

type statsClDiskStats struct {
	Mount     string
	Partition string
	Total     uint64
	Used      uint64
	ID        string
}

type statsClDiskIO struct {
	Device string
	Read   uint64
	Write  uint64
}

type statsClBuildInfo struct {
	Major, Minor, Point uint32
	BuildDate           time.Time
	BuildID             string `json:",omitempty"`
	GUIBuildID          string `json:",omitempty"`
}

type statsClIdxMsg struct {
	Stats map[string]statsClIdxStats `json:",omitempty"`
	Error string                     `json:",omitempty"`
}

type statsClIdxStats struct {
	UUID       statsClUUID
	Error      string `json:",omitempty"`
	IndexStats []statsClIndexManagerStats
}

type statsClIndexManagerStats struct {
	Name  string
	Stats []statsClIndexerStats
}

type statsClIndexerStats struct {
	ID          string
	Data        uint64
	Entries     uint64
	Path        string
	Cold        bool
	Accelerator string `json:",omitempty"`
	Extractor   string `json:",omitempty"`
}

type statsClIgstMsg struct {
	Stats map[string]statsClIngestStats `json:",omitempty"`
	Error string                        `json:",omitempty"`
}

type statsClIngestStats struct {
	QuotaUsed         uint64
	QuotaMax          uint64
	EntriesPerSecond  float64
	BytesPerSecond    float64
	TotalCount        uint64
	TotalSize         uint64
	LastDayCount      uint64
	LastDaySize       uint64
	EntriesHourTail   [24]uint64
	EntriesMinuteTail [60]uint64
	BytesHourTail     [24]uint64
	BytesMinuteTail   [60]uint64
	Ingesters         []statsClIngesterStats
	Missing           []statsClIngesterState
}

type statsClIngesterStats struct {
	RemoteAddress string
	Count         uint64
	Size          uint64
	Uptime        time.Duration
	Tags          []string
	Name          string
	Version       string
	UUID          string
	State         statsClIngesterState
}

type statsClIngesterState struct {
	UUID          string
	Name          string
	Version       string
	Label         string
	IP            net.IP
	Hostname      string
	Entries       uint64
	Size          uint64
	Uptime        time.Duration
	Tags          []string
	CacheState    string
	CacheSize     uint64
	LastSeen      time.Time
	Children      map[string]statsClIngesterState
	Configuration json.RawMessage `json:",omitempty"`
	Metadata      json.RawMessage `json:",omitempty"`
}

// Documented shapes (/ws/stats, PROTOCOL.md §2.7): every field of the seed, always present.

type statsDocSysInfo struct {
	CPUCount      int
	CPUModel      string
	CPUMhz        string
	CPUCache      string
	CPUMIPS       string
	TotalMemoryMB uint64
	SystemVersion string
	Error         string `json:",omitempty"`
}

type statsDocPing struct {
	Error  string
	States []struct{ Addr, State string }
}

type statsDocSysStatsMsg struct {
	Error string
	Stats []statsDocHostEntry
}

type statsDocHostEntry struct {
	Name  string
	Error string
	Host  statsDocHost
}

type statsDocHost struct {
	Uptime       uint64
	TotalMemory  uint64
	FreeMemory   uint64
	CachedMemory uint64
	Disks        []statsDocDisk
	CPUUsage     float64
	Net          struct{ Up, Down uint64 }
}

type statsDocDisk struct {
	Mount     string
	Partition string
	Total     uint64
	Used      uint64
}

type statsDocIdxMsg struct {
	Stats map[string]statsDocIdxStats
	Error string `json:",omitempty"`
}

type statsDocIdxStats struct {
	Error      string `json:",omitempty"`
	IndexStats []statsDocWell
}

type statsDocWell struct {
	Name  string
	Stats []statsDocWellStats
}

type statsDocWellStats struct {
	Data    uint64
	Entries uint64
	Path    string
}

// Conversions from the wire values to what a client must decode, applying the spec's rules:
// first key wins, [] for empty arrays, the nil UUID for a bad one, raw JSON only when valid.

func statsMirrorSysDesc(hosts []wire.SysInfo) map[string]statsClSysInfo {
	m := map[string]statsClSysInfo{}
	for _, h := range hosts {
		if _, dup := m[h.Host]; dup {
			continue
		}
		m[h.Host] = statsClSysInfo{h.VirtSystem, h.VirtRole, h.CPUCount, h.CPUModel, h.CPUMhz,
			h.CPUCache, h.TotalMemoryMB, h.SystemVersion, h.Error}
	}
	return m
}

func statsMirrorSysDescDoc(hosts []wire.SysInfo) map[string]statsDocSysInfo {
	m := map[string]statsDocSysInfo{}
	for _, h := range hosts {
		if _, dup := m[h.Host]; dup {
			continue
		}
		m[h.Host] = statsDocSysInfo{h.CPUCount, h.CPUModel, h.CPUMhz, h.CPUCache, h.CPUMIPS,
			h.TotalMemoryMB, h.SystemVersion, h.Error}
	}
	return m
}

func statsMirrorPing(p *wire.PingPayload) statsClPing {
	out := statsClPing{Error: p.Error}
	for _, s := range p.States {
		if out.States == nil {
			out.States = map[string]string{}
		}
		if _, dup := out.States[s.Addr]; !dup {
			out.States[s.Addr] = s.State
		}
	}
	return out
}

func statsMirrorPingDoc(p *wire.PingPayload) statsDocPing {
	out := statsDocPing{Error: p.Error, States: []struct{ Addr, State string }{}}
	for _, s := range p.States {
		out.States = append(out.States, struct{ Addr, State string }{s.Addr, s.State})
	}
	return out
}

func statsMirrorHost(s *wire.HostSysStats) *statsClHostSysStats {
	if s == nil {
		return nil
	}
	out := &statsClHostSysStats{
		Uptime: s.Uptime, TotalMemory: s.TotalMemory, ProcessHeapAllocation: s.ProcessHeapAllocation,
		ProcessSysReserved: s.ProcessSysReserved, MemoryUsedPercent: s.MemoryUsedPercent,
		Disks: []statsClDiskStats{}, CPUUsage: s.CPUUsage, CPUCount: s.CPUCount, HostHash: s.HostHash,
		IO: []statsClDiskIO{}, VirtSystem: s.VirtSystem, VirtRole: s.VirtRole, Iowait: s.Iowait,
		BuildInfo: statsClBuildInfo{s.BuildInfo.Major, s.BuildInfo.Minor, s.BuildInfo.Point,
			s.BuildInfo.BuildDate.UTC(), s.BuildInfo.BuildID, s.BuildInfo.GUIBuildID},
	}
	out.Net.Up, out.Net.Down = s.Net.Up, s.Net.Down
	out.LoadAverage.Load1, out.LoadAverage.Load5, out.LoadAverage.Load15 = s.LoadAverage.Load1, s.LoadAverage.Load5, s.LoadAverage.Load15
	for _, d := range s.Disks {
		out.Disks = append(out.Disks, statsClDiskStats{d.Mount, d.Partition, d.Total, d.Used, d.ID})
	}
	for _, d := range s.IO {
		out.IO = append(out.IO, statsClDiskIO{d.Device, d.Read, d.Write})
	}
	return out
}

func statsMirrorSysStats(p *wire.SysStatsPayload) statsClSysStatsMsg {
	out := statsClSysStatsMsg{Error: p.Error}
	for i := range p.Hosts {
		h := &p.Hosts[i]
		if out.Stats == nil {
			out.Stats = map[string]statsClSysStats{}
		}
		if _, dup := out.Stats[h.Host]; !dup {
			out.Stats[h.Host] = statsClSysStats{Stats: statsMirrorHost(h.Stats), Error: h.Error}
		}
	}
	return out
}

func statsMirrorSysStatsDoc(p *wire.SysStatsPayload) statsDocSysStatsMsg {
	out := statsDocSysStatsMsg{Error: p.Error, Stats: []statsDocHostEntry{}}
	for i := range p.Hosts {
		h := &p.Hosts[i]
		e := statsDocHostEntry{Name: h.Host, Error: h.Error}
		e.Host.Disks = []statsDocDisk{}
		if s := h.Stats; s != nil {
			e.Host.Uptime, e.Host.TotalMemory, e.Host.FreeMemory, e.Host.CachedMemory = s.Uptime, s.TotalMemory, s.FreeMemory, s.CachedMemory
			e.Host.CPUUsage = s.CPUUsage
			e.Host.Net.Up, e.Host.Net.Down = s.Net.Up, s.Net.Down
			for _, d := range s.Disks {
				e.Host.Disks = append(e.Host.Disks, statsDocDisk{d.Mount, d.Partition, d.Total, d.Used})
			}
		}
		out.Stats = append(out.Stats, e)
	}
	return out
}

func statsMirrorIdx(p *wire.IdxStatsPayload) statsClIdxMsg {
	out := statsClIdxMsg{Error: p.Error}
	for i := range p.Indexers {
		x := &p.Indexers[i]
		if out.Stats == nil {
			out.Stats = map[string]statsClIdxStats{}
		}
		if _, dup := out.Stats[x.Addr]; dup {
			continue
		}
		var u statsClUUID
		if u.UnmarshalText([]byte(x.UUID)) != nil {
			u = "00000000-0000-0000-0000-000000000000"
		}
		e := statsClIdxStats{UUID: u, Error: x.Error, IndexStats: []statsClIndexManagerStats{}}
		for _, w := range x.IndexStats {
			mw := statsClIndexManagerStats{Name: w.Name, Stats: []statsClIndexerStats{}}
			for _, s := range w.Stats {
				mw.Stats = append(mw.Stats, statsClIndexerStats{s.ID, s.Data, s.Entries, s.Path, s.Cold, s.Accelerator, s.Extractor})
			}
			e.IndexStats = append(e.IndexStats, mw)
		}
		out.Stats[x.Addr] = e
	}
	return out
}

func statsMirrorIdxDoc(p *wire.IdxStatsPayload) statsDocIdxMsg {
	out := statsDocIdxMsg{Stats: map[string]statsDocIdxStats{}, Error: p.Error}
	for i := range p.Indexers {
		x := &p.Indexers[i]
		if _, dup := out.Stats[x.Addr]; dup {
			continue
		}
		e := statsDocIdxStats{Error: x.Error, IndexStats: []statsDocWell{}}
		for _, w := range x.IndexStats {
			mw := statsDocWell{Name: w.Name, Stats: []statsDocWellStats{}}
			for _, s := range w.Stats {
				mw.Stats = append(mw.Stats, statsDocWellStats{s.Data, s.Entries, s.Path})
			}
			e.IndexStats = append(e.IndexStats, mw)
		}
		out.Stats[x.Addr] = e
	}
	return out
}

func statsMirrorIngesterState(s *wire.IngesterState) statsClIngesterState {
	out := statsClIngesterState{UUID: s.UUID, Name: s.Name, Version: s.Version, Label: s.Label,
		Hostname: s.Hostname, Entries: s.Entries, Size: s.Size, Uptime: s.Uptime, Tags: statsNonNil(s.Tags),
		CacheState: s.CacheState, CacheSize: s.CacheSize, LastSeen: s.LastSeen.UTC()}
	if s.IP.IsValid() {
		out.IP = net.IP(s.IP.WithZone("").Unmap().AsSlice())
	}
	if s.Children != nil {
		out.Children = map[string]statsClIngesterState{}
		for i := range s.Children {
			c := &s.Children[i]
			if _, dup := out.Children[c.Key]; !dup {
				out.Children[c.Key] = statsMirrorIngesterState(&c.State)
			}
		}
	}
	if len(s.Configuration) > 0 && json.Valid(s.Configuration) {
		out.Configuration = s.Configuration
	}
	if len(s.Metadata) > 0 && json.Valid(s.Metadata) {
		out.Metadata = s.Metadata
	}
	return out
}

func statsMirrorIgst(p *wire.IgstStatsPayload) statsClIgstMsg {
	out := statsClIgstMsg{Error: p.Error}
	for i := range p.Indexers {
		x := &p.Indexers[i]
		if out.Stats == nil {
			out.Stats = map[string]statsClIngestStats{}
		}
		if _, dup := out.Stats[x.Addr]; dup {
			continue
		}
		e := statsClIngestStats{QuotaUsed: x.QuotaUsed, QuotaMax: x.QuotaMax, EntriesPerSecond: x.EntriesPerSecond,
			BytesPerSecond: x.BytesPerSecond, TotalCount: x.TotalCount, TotalSize: x.TotalSize,
			LastDayCount: x.LastDayCount, LastDaySize: x.LastDaySize, EntriesHourTail: x.EntriesHourTail,
			EntriesMinuteTail: x.EntriesMinuteTail, BytesHourTail: x.BytesHourTail, BytesMinuteTail: x.BytesMinuteTail,
			Ingesters: []statsClIngesterStats{}, Missing: []statsClIngesterState{}}
		for j := range x.Ingesters {
			g := &x.Ingesters[j]
			e.Ingesters = append(e.Ingesters, statsClIngesterStats{g.RemoteAddress, g.Count, g.Size, g.Uptime,
				statsNonNil(g.Tags), g.Name, g.Version, g.UUID, statsMirrorIngesterState(&g.State)})
		}
		for j := range x.Missing {
			e.Missing = append(e.Missing, statsMirrorIngesterState(&x.Missing[j]))
		}
		out.Stats[x.Addr] = e
	}
	return out
}

func statsNonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// statsIP is a test helper for literal addresses.
func statsIP(s string) netip.Addr { return netip.MustParseAddr(s) }
