package wire

// Counters are one pipeline module's statistics for one time bucket or chunk
// (PROTOCOL.md §5.11 SearchModuleStats, without the name).
type Counters struct {
	InputCount     uint64
	OutputCount    uint64
	InputBytes     uint64
	OutputBytes    uint64
	Duration       int64 // nanoseconds
	ScratchWritten uint64
}

// Merge adds o into c the way the protocol combines buckets: counts and bytes are summed,
// Duration takes the maximum.
func (c *Counters) Merge(o *Counters) {
	c.InputCount += o.InputCount
	c.OutputCount += o.OutputCount
	c.InputBytes += o.InputBytes
	c.OutputBytes += o.OutputBytes
	c.ScratchWritten += o.ScratchWritten
	if o.Duration > c.Duration {
		c.Duration = o.Duration
	}
}

// IsZero reports whether c holds no data.
func (c *Counters) IsZero() bool { return *c == Counters{} }
