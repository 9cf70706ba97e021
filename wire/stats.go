package wire

import (
	"net/netip"
	"time"
)

// Stats socket payload types (PROTOCOL.md §2). The server builds them once per period and encodes
// them with AppendSysDesc, AppendPing, AppendSysStats, AppendIdxStats and AppendIgstStats (current
// shapes, /api/ws/stats, §2.2–§2.6) or their Documented twins (seed shapes, /ws/stats, §2.7).
//
// JSON objects keyed by host or address are held as slices whose elements carry their key (Host,
// Addr, Key). The encoders write such maps in ascending byte order of the key, whatever the order
// of the slice, and write only the first element of a key that appears more than once. JSON
// arrays (IndexStats, Disks, the documented ping and sysStats lists) keep the slice order.

// SysInfo describes one host for sysDesc (PROTOCOL.md §2.2, §2.7).
type SysInfo struct {
	Host          string // the map key: "webserver" or an indexer address "host:port"
	VirtSystem    string // virtualisation system, e.g. "kvm", "xen"; current shape only
	VirtRole      string // "host" or "guest"; current shape only
	CPUCount      int    // logical CPUs
	CPUModel      string
	CPUMhz        string // a string, e.g. "3500"
	CPUCache      string // KB as a string, e.g. "512"
	CPUMIPS       string // BogoMIPS as a string; documented shape only
	TotalMemoryMB uint64 // MiB
	SystemVersion string // kernel version, e.g. "6.1.0-18-amd64"
	Error         string // set when the host could not be described
}

// PingState is the keepalive state of one indexer (PROTOCOL.md §2.3).
type PingState struct {
	Addr  string // indexer address; the map key of the current shape
	State string // "OK" or "Disconnected"
}

// PingPayload is the data of a ping message (PROTOCOL.md §2.3, §2.7).
type PingPayload struct {
	States []PingState
	Error  string
}

// SysStatsPayload is the data of a sysStats message (PROTOCOL.md §2.4, §2.7).
type SysStatsPayload struct {
	Hosts []SysStats
	Error string
}

// SysStats is the sysStats entry of one host (PROTOCOL.md §2.4 "SysStats (per host)").
// Stats is nil when the host's figures are unavailable; it is only read by the encoders.
type SysStats struct {
	Host  string // the map key (current shape) or "Name" (documented shape)
	Stats *HostSysStats
	Error string
}

// HostSysStats are the periodic figures of one host (PROTOCOL.md §2.4 HostSysStats). FreeMemory
// and CachedMemory exist only in the documented shape (§2.7); ProcessHeapAllocation and the
// fields after CPUUsage only in the current one.
type HostSysStats struct {
	Uptime                uint64  // seconds
	TotalMemory           uint64  // bytes
	FreeMemory            uint64  // bytes (MemFree); documented shape only
	CachedMemory          uint64  // bytes (page cache); documented shape only
	ProcessHeapAllocation uint64  // bytes allocated on the server process heap
	ProcessSysReserved    uint64  // bytes the server process obtained from the OS
	MemoryUsedPercent     float64 // 0–100
	Disks                 []DiskStats
	CPUUsage              float64 // percent 0–100, whole machine
	CPUCount              int
	HostHash              string // stable identifier of the physical host
	Net                   NetStats
	IO                    []DiskIO
	VirtSystem            string
	VirtRole              string
	BuildInfo             BuildInfo
	LoadAverage           LoadAverage
	Iowait                float64 // percent
}

// DiskStats is one mounted file system (PROTOCOL.md §2.4 DiskStats).
type DiskStats struct {
	Mount     string
	Partition string // device
	Total     uint64 // bytes
	Used      uint64 // bytes
	ID        string // stable per host, mount and partition; current shape only
}

// DiskIO is the throughput of one block device (PROTOCOL.md §2.4 DiskIO).
type DiskIO struct {
	Device string
	Read   uint64 // bytes/s
	Write  uint64 // bytes/s
}

// NetStats is the network throughput of a host, loopback excluded.
type NetStats struct {
	Up   uint64 // bytes/s transmitted
	Down uint64 // bytes/s received
}

// LoadAverage is the 1, 5 and 15 minute load average; its JSON keys are lowercase
// ("load1", "load5", "load15").
type LoadAverage struct {
	Load1, Load5, Load15 float64
}

// BuildInfo is the server's version (PROTOCOL.md §2.4 BuildInfo).
type BuildInfo struct {
	Major, Minor, Point uint32
	BuildDate           time.Time // always written; zero is "0001-01-01T00:00:00Z"
	BuildID             string
	GUIBuildID          string
}

// IdxStatsPayload is the data of an idxStats message (PROTOCOL.md §2.5, §2.7).
type IdxStatsPayload struct {
	Indexers []IdxStats
	Error    string
}

// IdxStats are the well statistics of one indexer (PROTOCOL.md §2.5 IdxStats). The current shape
// always carries UUID; a UUID that is not canonical 8-4-4-4-12 hex is written as the nil UUID,
// since the Go client fails to decode anything else.
type IdxStats struct {
	Addr       string // the map key
	UUID       string
	Error      string
	IndexStats []IndexManagerStats
}

// IndexManagerStats are the storage locations of one well (PROTOCOL.md §2.5).
type IndexManagerStats struct {
	Name  string // well name
	Stats []IndexerStats
}

// IndexerStats is one storage location of a well (PROTOCOL.md §2.5 IndexerStats). The
// documented shape writes only Data, Entries and Path.
type IndexerStats struct {
	ID          string // unique well ID
	Data        uint64 // bytes stored
	Entries     uint64 // entries stored
	Path        string
	Cold        bool
	Accelerator string
	Extractor   string
}

// IgstStatsPayload is the data of an igstStats message (PROTOCOL.md §2.6). Both stats paths
// use the same shape.
type IgstStatsPayload struct {
	Indexers []IngestStats
	Error    string
}

// IngestStats are the ingest figures of one indexer (PROTOCOL.md §2.6 IngestStats). Tails are
// oldest first.
type IngestStats struct {
	Addr              string // the map key
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
	Ingesters         []IngesterStats
	Missing           []IngesterState
}

// IngesterStats is one connected ingester (PROTOCOL.md §2.6 IngesterStats).
type IngesterStats struct {
	RemoteAddress string // e.g. "tcp://10.0.0.7:43684"
	Count         uint64 // entries
	Size          uint64 // bytes
	Uptime        time.Duration
	Tags          []string
	Name          string
	Version       string
	UUID          string
	State         IngesterState
}

// IngesterState describes an ingester (PROTOCOL.md §2.6 IngesterState). Children nil is written
// as null; Configuration and Metadata are raw JSON, written only when they are valid JSON (an
// invalid one is left out, and only that path allocates: json.Valid's error).
type IngesterState struct {
	UUID          string
	Name          string
	Version       string
	Label         string
	IP            netip.Addr // invalid is written as ""; a zone is dropped, v4-mapped prints as IPv4
	Hostname      string
	Entries       uint64
	Size          uint64
	Uptime        time.Duration
	Tags          []string
	CacheState    string
	CacheSize     uint64
	LastSeen      time.Time
	Children      []IngesterChild
	Configuration []byte
	Metadata      []byte
}

// IngesterChild is one entry of IngesterState.Children.
type IngesterChild struct {
	Key   string
	State IngesterState
}

// keyOrder walks the indexes of a slice in ascending byte order of a key, skipping repeated
// keys (the first element with a key wins). An already strictly ascending slice is walked in
// O(n); otherwise each step selects the next key in O(n), which suits the few hosts of a stats
// payload. It allocates nothing.
type keyOrder[T any] struct {
	s       []T
	key     func(*T) string
	sorted  bool
	started bool
	i       int
	prev    string
}

func newKeyOrder[T any](s []T, key func(*T) string) keyOrder[T] {
	o := keyOrder[T]{s: s, key: key, sorted: true, i: -1}
	for i := 1; i < len(s); i++ {
		if key(&s[i-1]) >= key(&s[i]) {
			o.sorted = false
			break
		}
	}
	return o
}

// next returns the next index, or -1 when done.
func (o *keyOrder[T]) next() int {
	if o.sorted {
		o.i++
		if o.i >= len(o.s) {
			return -1
		}
		return o.i
	}
	best := -1
	var bestKey string
	for i := range o.s {
		k := o.key(&o.s[i])
		if o.started && k <= o.prev {
			continue
		}
		if best < 0 || k < bestKey {
			best, bestKey = i, k
		}
	}
	if best >= 0 {
		o.started, o.prev = true, bestKey
	}
	return best
}

func sysInfoKey(h *SysInfo) string         { return h.Host }
func pingStateKey(p *PingState) string     { return p.Addr }
func sysStatsKey(h *SysStats) string       { return h.Host }
func idxStatsKey(x *IdxStats) string       { return x.Addr }
func ingestStatsKey(x *IngestStats) string { return x.Addr }
func ingesterChildKey(c *IngesterChild) string {
	return c.Key
}
