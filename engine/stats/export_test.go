package stats

// BlocksAllocated returns the number of per-shard chunk blocks the ring has allocated, so tests
// can check that memory grows per touched chunk.
func (r *Ring) BlocksAllocated() int { return int(r.blocks.Load()) }

// ChunkSlots is the number of base buckets per chunk.
const ChunkSlots = chunkSlots
