package collect

import (
	"strings"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// ClusterSource supplies the hosts of a sluice cluster (engine/cluster keeps them from NATS
// heartbeats). When Sources.Cluster is set the hub reports these hosts instead of this machine
// and its embedded store.
type ClusterSource interface {
	// Hosts returns every node known at now, in a stable order. The slice and what it points
	// to belong to the caller.
	Hosts(now time.Time) []ClusterHost
}

// ClusterHost is one host of a cluster as the stats socket reports it.
type ClusterHost struct {
	// Key is the host key: WebserverHost for the webserver part of this process, an indexer's
	// address key, or another webserver's key.
	Key     string
	Indexer bool // listed in ping, idxStats and igstStats
	// Alive is false once the node has been silent past the cluster's dead timeout: ping says
	// "Disconnected" and its stats carry an Error.
	Alive  bool
	Desc   wire.SysInfo
	Sys    wire.HostSysStats
	SysErr string
	UUID   string // indexers: the store's UUID
	Wells  []WellStats
	Ingest IngestCounters
}

// clusterDesc returns the sysDesc hosts of a cluster and their key signature.
func clusterDesc(hosts []ClusterHost) ([]wire.SysInfo, string) {
	out := make([]wire.SysInfo, len(hosts))
	var sig strings.Builder
	for i := range hosts {
		out[i] = hosts[i].Desc
		out[i].Host = hosts[i].Key
		sig.WriteString(hosts[i].Key)
		sig.WriteByte(0)
	}
	return out, sig.String()
}

// refreshCluster rebuilds the payload of type i from the cluster's hosts. h.mu must be held.
// NOTE: cluster payloads are rebuilt (allocated) each period; they are built once per period
// for all subscribers, so this is not a per-subscriber cost.
func (h *Hub) refreshCluster(i int, now time.Time) {
	hosts := h.cfg.Cluster.Hosts(now)
	switch periodic[i] {
	case TypePing:
		h.ping.States = h.ping.States[:0]
		for _, x := range hosts {
			if x.Indexer {
				st := "OK"
				if !x.Alive {
					st = "Disconnected"
				}
				h.ping.States = append(h.ping.States, wire.PingState{Addr: x.Key, State: st})
			}
		}
	case TypeSysStats:
		h.sys.Hosts = make([]wire.SysStats, len(hosts))
		for k := range hosts {
			x := &hosts[k]
			st := x.Sys
			h.sys.Hosts[k] = wire.SysStats{Host: x.Key, Stats: &st, Error: x.SysErr}
			if !x.Alive {
				h.sys.Hosts[k] = wire.SysStats{Host: x.Key, Error: "node silent past the cluster's dead timeout"}
			}
		}
	case TypeIdxStats:
		h.idxP.Indexers = h.idxP.Indexers[:0]
		for _, x := range hosts {
			if !x.Indexer {
				continue
			}
			s := wire.IdxStats{Addr: x.Key, UUID: x.UUID, IndexStats: groupWells(nil, x.Wells)}
			if s.UUID == "" {
				s.UUID = "00000000-0000-0000-0000-000000000000" // the Go client cannot decode ""
			}
			if !x.Alive {
				s.Error = "node silent past the cluster's dead timeout"
			}
			h.idxP.Indexers = append(h.idxP.Indexers, s)
		}
	case TypeIgstStats:
		h.igstP.Indexers = h.igstP.Indexers[:0]
		for _, x := range hosts {
			if !x.Indexer {
				continue
			}
			s := wire.IngestStats{Addr: x.Key}
			setIngest(&s, x.Ingest)
			h.igstP.Indexers = append(h.igstP.Indexers, s)
		}
	}
}

// clusterSysDesc returns the sysDesc packet for the current host set, re-encoded only when
// the set of keys changed, and whether it differs from the one Run last published; publishing
// records it as published.
func (h *Hub) clusterSysDesc(now time.Time, publishing bool) (Packet, bool) {
	hosts, sig := clusterDesc(h.cfg.Cluster.Hosts(now))
	h.descMu.Lock()
	defer h.descMu.Unlock()
	if h.descSig != sig || h.desc.Current == nil {
		cur := wire.AppendSysDesc(wire.BeginMessage(nil, TypeSysDesc), hosts)
		doc := wire.AppendSysDescDocumented(wire.BeginMessage(nil, TypeSysDesc), hosts)
		h.desc = Packet{Type: TypeSysDesc, Current: wire.EndMessage(cur)[wire.HeaderRoom:],
			Documented: wire.EndMessage(doc)[wire.HeaderRoom:]}
		h.descSig = sig
	}
	changed := h.descPub != sig
	if publishing {
		h.descPub = sig
	}
	return h.desc, changed
}
