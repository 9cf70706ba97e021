package store

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
)

// blockMeta is one block in a shard's in-memory index.
type blockMeta struct {
	off int64 // offset of the block header in the shard file
	blockHeader
}

// shard is one time partition of a well: one append-only file of blocks plus the in-memory
// index of their headers.
type shard struct {
	w     *well
	start int64 // the shard holds timestamps in [start, start+w.dur)
	path  string
	f     *os.File
	// refs counts the index's reference (1 while the shard is in its well) and running scans.
	// The file is closed when it drops to zero.
	refs atomic.Int32

	// Published state: guarded by Store.mu, written only by Open, the committer and
	// retention. blocks only grows; scans keep a prefix of it.
	blocks  []blockMeta
	size    int64 // file size covered by blocks
	entries uint64
	minTS   int64 // valid when len(blocks) > 0
	maxTS   int64
	mask    uint64 // OR of the blocks' tag masks

	// wsize is the committer's write offset. It equals size except during a commit.
	wsize int64
	// idxSize is the file size the shard's index file covers (0: none); Close rewrites the
	// index file only when size has grown past it.
	idxSize int64
}

// shardName returns the file name of the shard starting at start.
func shardName(start int64) string {
	s := strconv.FormatInt(start, 10)
	return strings.Repeat("0", 19-len(s)) + s + ".shard"
}

// parseShardName returns the start of a shard file name, or ok false.
func parseShardName(name string) (start int64, ok bool) {
	if len(name) != 25 || name[19:] != ".shard" {
		return 0, false
	}
	v, err := strconv.ParseInt(name[:19], 10, 64)
	if err != nil || v < 0 {
		return 0, false
	}
	return v, true
}

// addBlock appends b to the shard's index. Caller holds Store.mu or owns the shard.
func (sh *shard) addBlock(b blockMeta) {
	if len(sh.blocks) == 0 || b.minTS < sh.minTS {
		sh.minTS = b.minTS
	}
	if len(sh.blocks) == 0 || b.maxTS > sh.maxTS {
		sh.maxTS = b.maxTS
	}
	sh.blocks = append(sh.blocks, b)
	sh.entries += uint64(b.count)
	sh.mask |= b.tagMask
	sh.size = b.off + b.size()
}

// release drops one reference and closes the file after the last one.
func (sh *shard) release() {
	if sh.refs.Add(-1) == 0 {
		sh.f.Close()
	}
}

// loadShard opens a shard file, takes its index file for the prefix it covers, validates every
// block after that (header and body checksums, bounds inside the shard window), and cuts a
// torn or corrupt tail, logging file, offset and bytes cut. buf is scratch for block bodies.
//
// Blocks of group commits after committed (the last durable one) are cut as well.
func loadShard(w *well, p string, start int64, committed uint64, log *slog.Logger, buf *[]byte) (*shard, error) {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return nil, errors.New("store: cannot open shard: " + err.Error())
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, errors.New("store: cannot stat shard: " + err.Error())
	}
	fsize := st.Size()
	sh := &shard{w: w, start: start, path: p, f: f}
	sh.refs.Store(1)
	if blocks, ok := readIdx(p+idxSuffix, fsize, committed); ok {
		for _, b := range blocks {
			sh.addBlock(b)
		}
		sh.idxSize = sh.size
	}
	off := sh.size
	var hdr [blockHeaderSize]byte
	reason := ""
	for off < fsize && reason == "" {
		if fsize-off < blockHeaderSize {
			reason = errShortHeader.Error()
			break
		}
		if _, err := f.ReadAt(hdr[:], off); err != nil {
			f.Close()
			return nil, errors.New("store: cannot read shard " + p + ": " + err.Error())
		}
		h, err := parseHeader(hdr[:])
		switch {
		case err != nil:
			reason = err.Error()
		case h.minTS < start || h.maxTS-start >= w.dur:
			reason = "block outside the shard's time window"
		case h.seq > committed:
			reason = "block of a group commit that never completed"
		case fsize-off-blockHeaderSize < int64(h.bodyLen):
			reason = "short block body"
		}
		if reason != "" {
			break
		}
		if cap(*buf) < int(h.bodyLen) {
			*buf = make([]byte, h.bodyLen)
		}
		body := (*buf)[:h.bodyLen]
		if _, err := f.ReadAt(body, off+blockHeaderSize); err != nil {
			f.Close()
			return nil, errors.New("store: cannot read shard " + p + ": " + err.Error())
		}
		if crc32.Checksum(body, crcTable) != h.bodyCRC {
			reason = errBodyCRC.Error()
			break
		}
		sh.addBlock(blockMeta{off: off, blockHeader: h})
		off = sh.size
	}
	if off < fsize {
		log.Warn("store: cut torn or corrupt shard tail", "file", p, "offset", off, "bytes", fsize-off, "reason", reason)
		err := f.Truncate(off)
		if err == nil {
			err = f.Sync()
		}
		if err != nil {
			f.Close()
			return nil, errors.New("store: cannot cut shard tail: " + err.Error())
		}
	}
	sh.wsize = sh.size
	return sh, nil
}

// Index files: magic | covered size uint64 | block count uint32 | block headers | CRC32C.
const idxSuffix = ".idx"

var idxMagic = []byte("SLIDX1\n\x00")

// appendIdx encodes the shard's index.
func (sh *shard) appendIdx(dst []byte) []byte {
	start := len(dst)
	dst = append(dst, idxMagic...)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(sh.size))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(sh.blocks)))
	for i := range sh.blocks {
		dst = sh.blocks[i].appendHeader(dst)
	}
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], crcTable))
}

// readIdx loads an index file. ok is false when it is missing, corrupt, covers more than the
// shard file holds or names an uncommitted block; the caller then validates the whole file.
func readIdx(p string, fsize int64, committed uint64) (blocks []blockMeta, ok bool) {
	b, err := os.ReadFile(p)
	if err != nil || len(b) < len(idxMagic)+12+4 || string(b[:len(idxMagic)]) != string(idxMagic) {
		return nil, false
	}
	body := b[:len(b)-4]
	if crc32.Checksum(body, crcTable) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return nil, false
	}
	size := int64(binary.LittleEndian.Uint64(body[len(idxMagic):]))
	n := int(binary.LittleEndian.Uint32(body[len(idxMagic)+8:]))
	hdrs := body[len(idxMagic)+12:]
	if size > fsize || len(hdrs) != n*blockHeaderSize {
		return nil, false
	}
	blocks = make([]blockMeta, 0, n)
	off := int64(0)
	for i := 0; i < n; i++ {
		h, err := parseHeader(hdrs[i*blockHeaderSize:])
		if err != nil || h.seq > committed {
			return nil, false
		}
		blocks = append(blocks, blockMeta{off: off, blockHeader: h})
		off += h.size()
	}
	if off != size {
		return nil, false
	}
	return blocks, true
}
