package store

import (
	"github.com/sluicehq/sluice/engine/cputime"
	"github.com/sluicehq/sluice/wire"
)

// readBlockCPU is readBlock with the CPU time of checking and decoding the block charged to
// cpu (ScanQuery.CPU; nil measures nothing), for an ordered scan (ScanUnordered measures each
// block with its callbacks: blockWorker.decode). The goroutine is locked to its thread only while
// it decodes: the read (a pread, which may block on the disk) stays outside, as does
// everything between blocks, so a measured goroutine blocks and wakes as freely as any other
// (a locked thread that blocks must hand its P over and be woken by name). The read's own CPU
// (copying from the page cache) is not counted.
func readBlockCPU(cpu *cputime.Meter, sh *shard, b *blockMeta, comp *[]byte, c *cursor, f *recordFilter) ([]wire.Entry, error) {
	if cpu == nil {
		return readBlock(sh, b, comp, c, f)
	}
	body, err := readBlockBody(sh, b, comp)
	if err != nil {
		return nil, err
	}
	sp := cpu.Begin()
	ents, err := decodeBlock(b, body, c, f)
	sp.End()
	return ents, err
}
