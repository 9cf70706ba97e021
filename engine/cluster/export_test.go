package cluster

// PartialChunksFrom returns how many chunks of partial aggregates n received from indexer name.
func (n *Node) PartialChunksFrom(name string) uint64 {
	n.chunkMu.Lock()
	defer n.chunkMu.Unlock()
	return n.chunks[name]
}
