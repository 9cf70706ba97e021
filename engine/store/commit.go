package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

// commitLog is the COMMIT file, which makes each group commit atomic across shard files.
//
// Every block carries the sequence number of the group commit that wrote it. After a group's
// blocks are written and fsynced, the committer stores the group's number in the COMMIT file
// and fsyncs it; only then are the group's Ingest calls acknowledged. On Open, blocks with a
// number above the stored one belong to a group that never finished and are cut, so a call
// that had not returned when the process died is either entirely present (its group committed
// just before the crash) or entirely absent, never partly.
//
// The file has two 16-byte slots, each "sequence uint64 | CRC32C of it uint32 | 4 zero bytes";
// commit n writes slot n%2, so a torn slot write leaves the other slot with n-1.
type commitLog struct {
	f    *os.File
	path string
	seq  uint64 // last durable commit
	buf  [16]byte
}

const commitSlot = 16

// openCommitLog opens or creates the COMMIT file. ok is false when the file exists but neither
// slot is valid; the caller then trusts every checksummed block and rewrites it.
func openCommitLog(p string) (c *commitLog, ok bool, err error) {
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, false, errors.New("store: cannot open commit log: " + err.Error())
	}
	c = &commitLog{f: f, path: p}
	var b [2 * commitSlot]byte
	n, err := f.ReadAt(b[:], 0)
	if err != nil && err != io.EOF {
		f.Close()
		return nil, false, errors.New("store: cannot read commit log: " + err.Error())
	}
	if n == 0 {
		for i := range uint64(2) {
			if err := c.write(0, i, &defaultHooks); err != nil {
				f.Close()
				return nil, false, err
			}
		}
		if err := syncDir(p); err != nil {
			f.Close()
			return nil, false, err
		}
		return c, true, nil
	}
	for i := 0; i+commitSlot <= n; i += commitSlot {
		s := b[i : i+commitSlot]
		seq := binary.LittleEndian.Uint64(s)
		if crc32.Checksum(s[:8], crcTable) == binary.LittleEndian.Uint32(s[8:]) {
			ok = true
			c.seq = max(c.seq, seq)
		}
	}
	return c, ok, nil
}

// commit makes group seq durable.
func (c *commitLog) commit(seq uint64, hk *fileHooks) error {
	if err := c.write(seq, seq&1, hk); err != nil {
		return err
	}
	c.seq = seq
	return nil
}

func (c *commitLog) write(seq, slot uint64, hk *fileHooks) error {
	binary.LittleEndian.PutUint64(c.buf[:], seq)
	binary.LittleEndian.PutUint32(c.buf[8:], crc32.Checksum(c.buf[:8], crcTable))
	if _, err := hk.writeAt(c.f, c.buf[:], int64(slot*commitSlot)); err != nil {
		return fmt.Errorf("store: cannot write commit log: %w", err)
	}
	if err := hk.sync(c.f); err != nil {
		return fmt.Errorf("store: cannot sync commit log: %w", err)
	}
	return nil
}
