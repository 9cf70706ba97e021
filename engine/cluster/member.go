package cluster

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sluicehq/sluice/collect"
	"github.com/sluicehq/sluice/wire"
)

const hbSubject = "sluice.hb."

// heartbeat is what a node publishes every Config.Heartbeat (JSON on sluice.hb.NAME).
type heartbeat struct {
	Name       string
	Role       Role
	IndexerKey string
	HTTPAddr   string
	Started    time.Time
	Stopping   bool // a clean shutdown: dead at once, not after DeadAfter
	Desc       wire.SysInfo
	Sys        wire.HostSysStats
	SysErr     string `json:",omitempty"`
	UUID       string `json:",omitempty"`
	Wells      []collect.WellStats
	Ingest     collect.IngestCounters
	MinTS      int64 // oldest stored entry (indexers with data)
	MaxTS      int64 // newest stored entry
	HasData    bool
	Partitions []int // partitions this indexer owns
}

// member is the latest heartbeat of a node and when it arrived.
type member struct {
	hb   heartbeat
	seen time.Time
}

// members keeps the latest heartbeat of every node seen; safe for concurrent use.
type members struct {
	self      string
	deadAfter time.Duration

	mu    sync.Mutex
	nodes map[string]*member
}

func newMembers(self string, deadAfter time.Duration) *members {
	return &members{self: self, deadAfter: deadAfter, nodes: map[string]*member{}}
}

func (ms *members) receive(msg *nats.Msg) {
	var hb heartbeat
	if err := json.Unmarshal(msg.Data, &hb); err != nil || checkName(hb.Name) != nil {
		return
	}
	ms.mu.Lock()
	ms.nodes[hb.Name] = &member{hb: hb, seen: time.Now()}
	ms.mu.Unlock()
}

func (ms *members) alive(m *member, now time.Time) bool {
	return !m.hb.Stopping && now.Sub(m.seen) < ms.deadAfter
}

// NodeState is one node as this node sees it.
type NodeState struct {
	Name       string
	Role       Role
	IndexerKey string
	HTTPAddr   string
	Alive      bool
	LastSeen   time.Time
	Partitions []int
	// MinTS and MaxTS bound the entries an indexer reported holding (HasData).
	MinTS, MaxTS int64
	HasData      bool
}

// snapshot returns every node seen, sorted by name.
func (ms *members) snapshot(now time.Time) []NodeState {
	ms.mu.Lock()
	out := make([]NodeState, 0, len(ms.nodes))
	for _, m := range ms.nodes {
		out = append(out, NodeState{Name: m.hb.Name, Role: m.hb.Role, IndexerKey: m.hb.IndexerKey,
			HTTPAddr: m.hb.HTTPAddr, Alive: ms.alive(m, now), LastSeen: m.seen,
			Partitions: m.hb.Partitions, MinTS: m.hb.MinTS, MaxTS: m.hb.MaxTS, HasData: m.hb.HasData})
	}
	ms.mu.Unlock()
	slices.SortFunc(out, func(a, b NodeState) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Hosts implements collect.ClusterSource: this node's webserver part is "webserver", other
// webservers are "webserver/NAME", indexers go by their IndexerKey. Webservers come first.
func (ms *members) Hosts(now time.Time) []collect.ClusterHost {
	ms.mu.Lock()
	var web, idx []collect.ClusterHost
	for _, m := range ms.nodes {
		alive := ms.alive(m, now)
		h := collect.ClusterHost{Alive: alive, Desc: m.hb.Desc, Sys: m.hb.Sys, SysErr: m.hb.SysErr}
		if m.hb.Role.Serves() {
			w := h
			w.Key = collect.WebserverHost
			if m.hb.Name != ms.self {
				w.Key = collect.WebserverHost + "/" + m.hb.Name
			}
			web = append(web, w)
		}
		if m.hb.Role.Indexes() {
			x := h
			x.Key, x.Indexer = m.hb.IndexerKey, true
			x.Sys.ProcessHeapAllocation, x.Sys.ProcessSysReserved = 0, 0
			x.UUID, x.Wells, x.Ingest = m.hb.UUID, slices.Clone(m.hb.Wells), m.hb.Ingest
			idx = append(idx, x)
		}
	}
	ms.mu.Unlock()
	byKey := func(a, b collect.ClusterHost) int { return strings.Compare(a.Key, b.Key) }
	slices.SortFunc(web, byKey)
	slices.SortFunc(idx, byKey)
	return append(web, idx...)
}

// liveIndexers returns the names of the indexers alive at now, sorted.
func (ms *members) liveIndexers(now time.Time) []string {
	var out []string
	for _, n := range ms.snapshot(now) {
		if n.Alive && n.Role.Indexes() {
			out = append(out, n.Name)
		}
	}
	return out
}
