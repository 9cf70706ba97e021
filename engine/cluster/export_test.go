package cluster

import "github.com/sluicehq/sluice/engine/access"

// PartialChunksFrom returns how many chunks of partial aggregates n received from indexer name.
func (n *Node) PartialChunksFrom(name string) uint64 {
	n.chunkMu.Lock()
	defer n.chunkMu.Unlock()
	return n.chunks[name]
}

// ProxyCredential makes the proxy credential this webserver would send node to for p's request
// about search id (tests forge and replay credentials with it).
func (r *Registry) ProxyCredential(p *access.Principal, id, to string) string {
	return r.credential(p, id, to)
}
