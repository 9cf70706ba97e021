package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
)

// blockMeta is one block in a shard's in-memory index.
type blockMeta struct {
	off int64 // offset of the block header in the shard file
	blockHeader
	acc *bloom // the block's accelerator (accel.go); nil: the block is always read
	sum []byte // the block's summary (summary.go), checked; nil: counts need a decode
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

	// bad lists the shard's quarantined ranges, loaded from and recorded in <shard>.bad.
	// Guarded by Store.mu like blocks, and append-only, so a scan may keep a prefix.
	bad []badRange
	// idxProblem is why the index file was ignored at load ("" when it was used or absent).
	idxProblem string
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

// loadEnv is what loading shards needs besides the shard itself.
type loadEnv struct {
	committed uint64    // last durable group commit
	key       *blockKey // nil: the store has no block key yet (only version 1 blocks)
	log       *slog.Logger
	buf       []byte // scratch for block bodies
	dc        *damageCounters
	// findings, when not nil, receives every recovery decision (Verify).
	findings *[]Finding
}

// note records a recovery decision for Verify.
func (env *loadEnv) note(f Finding) {
	if env.findings != nil {
		*env.findings = append(*env.findings, f)
	}
}

// loadShard opens a shard file and recovers it. Blocks covered by a valid index file are
// taken from it, and their on-disk headers are compared with the index (a cheap check: a
// header that differs has its body checksummed, and a block whose body fails is quarantined).
// Every block after the index is read and checksummed. Damage is contained to what is
// damaged:
//
//   - a block that fails in the middle of the file is skipped in place and quarantined
//     (recorded in <shard>.bad with its byte range, entries and time range), and loading
//     resumes at the next valid block: right after the block when its header is intact (the
//     length chain), else at the next byte offset holding a block magic, a header that passes
//     its checksum, a body that passes its own, a commit sequence number between the last
//     valid block's and COMMIT's, and timestamps inside the shard's window;
//   - blocks of a group commit that never reached COMMIT (whole or torn) are cut: they were
//     never acknowledged, and they can only be at the end of the file;
//   - a damaged tail (no valid block after the damage) is cut too, after its bytes are copied
//     to <shard>.cut-<offset> and recorded in <shard>.bad; a tail shorter than a block header
//     is a torn write and is cut without a copy.
//
// Every decision is logged with file, offset, bytes and entries, and counted.
func loadShard(w *well, p string, start int64, env *loadEnv) (*shard, error) {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return nil, errors.New("store: cannot open shard: " + err.Error())
	}
	sh, err := recoverShard(w, f, p, start, env, true)
	if err != nil {
		f.Close()
		return nil, err
	}
	return sh, nil
}

// recoverShard is loadShard on an open file. With write false it changes nothing on disk
// (verify without -repair): the decisions are only returned in sh.bad and sh.cuts.
func recoverShard(w *well, f *os.File, p string, start int64, env *loadEnv, write bool) (*shard, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, errors.New("store: cannot stat shard: " + err.Error())
	}
	fsize := st.Size()
	sh := &shard{w: w, start: start, path: p, f: f}
	sh.refs.Store(1)
	known, malformed, err := readBadFile(p + badSuffix)
	if err != nil {
		return nil, errors.New("store: cannot read quarantine sidecar: " + err.Error())
	}
	if malformed > 0 {
		env.log.Warn("store: quarantine sidecar has malformed lines; they are ignored", "file", p+badSuffix, "lines", malformed)
	}
	for _, r := range known {
		if r.action == actionSkipped && r.off+r.size <= fsize || r.action == actionCut {
			sh.bad = append(sh.bad, r)
		}
	}
	ld := loader{sh: sh, env: env, fsize: fsize, write: write}
	idx, covered, idxErr := readIdx(p+idxSuffix, fsize, env.committed, env.key)
	switch {
	case idxErr == nil:
		for _, b := range idx {
			sh.addBlock(b)
		}
		sh.size = covered
		sh.idxSize = covered
		if err := ld.checkIndexed(); err != nil {
			return nil, err
		}
	case !errors.Is(idxErr, os.ErrNotExist):
		env.dc.idxRejected.Add(1)
		sh.idxProblem = idxErr.Error()
		env.log.Warn("store: shard index ignored; validating the whole shard", "file", p+idxSuffix, "reason", idxErr.Error())
		env.note(Finding{File: p + idxSuffix, Offset: -1, Bytes: -1, Entries: -1, Kind: "index file rejected",
			Detail: idxErr.Error(), Action: "ignored; the shard is validated block by block and the index rewritten at close"})
	}
	if err := ld.scanFrom(sh.size); err != nil {
		return nil, err
	}
	if errors.Is(idxErr, errIdxPastEnd) {
		if err := ld.reportTruncated(idx); err != nil {
			return nil, err
		}
	}
	sh.wsize = sh.size
	return sh, nil
}

// loader walks a shard file during recovery.
type loader struct {
	sh     *shard
	env    *loadEnv
	fsize  int64
	minSeq uint64 // sequence number of the last valid block: later blocks have one >= it
	write  bool
	hdr    [blockHeaderSize]byte
	acc    map[int64]accRecs // the shard's .acc records, read when first needed
}

// fromSummaries names the entries, time range and tags of a damaged range whose headers are
// lost (r.entries -1) from the block summaries in the shard's .acc sidecar (read before Open
// rebuilds it), when a block with a summary starts exactly at the range: the blocks of the
// range are then the ones with summaries at offsets inside it (every committed block gets its
// records with its group, and Open rebuilds missing ones from readable blocks). Otherwise the
// count stays unknown.
func (ld *loader) fromSummaries(r *badRange) {
	if r.entries >= 0 {
		return
	}
	ld.loadAcc()
	if first, ok := ld.acc[r.off]; !ok || first.sum == nil {
		return
	}
	var n, lo, hi int64
	var mask uint64
	blocks := 0
	for off, rec := range ld.acc {
		if off < r.off || off >= r.off+r.size || rec.sum == nil {
			continue
		}
		c, minTS, maxTS, m, ok := summaryTotals(rec.sum)
		if !ok {
			return
		}
		if blocks == 0 || minTS < lo {
			lo = minTS
		}
		if blocks == 0 || maxTS > hi {
			hi = maxTS
		}
		n += c
		mask |= m
		blocks++
	}
	r.entries, r.minTS, r.maxTS, r.tagMask = n, lo, hi, mask
	r.reason += " (entries and time range from the summaries of its " + strconv.Itoa(blocks) + " block(s) in the .acc sidecar)"
}

// blockAt checks the block at off. It returns its header, whether the header itself is valid,
// and "" or why the block is not a valid committed block of this shard.
func (ld *loader) blockAt(off int64) (blockHeader, bool, string, error) {
	sh := ld.sh
	if ld.fsize-off < blockHeaderSize {
		return blockHeader{}, false, errShortHeader.Error(), nil
	}
	if _, err := sh.f.ReadAt(ld.hdr[:], off); err != nil {
		return blockHeader{}, false, "", errors.New("store: cannot read shard " + sh.path + ": " + err.Error())
	}
	h, err := parseHeader(ld.hdr[:], ld.env.key)
	switch {
	case err != nil:
		return h, false, err.Error(), nil
	case h.v1 && ld.env.key != nil && h.seq >= ld.env.key.since:
		return h, false, "unkeyed (version 1) block header from a commit after the store had a block key", nil
	case h.minTS < sh.start || h.maxTS-sh.start >= sh.w.dur:
		return h, false, "block outside the shard's time window", nil
	case h.seq > ld.env.committed:
		return h, true, "block of a group commit that never completed", nil
	case h.seq < ld.minSeq:
		return h, false, "block older than the block before it", nil
	case ld.fsize-off-blockHeaderSize < int64(h.bodyLen):
		return h, true, "short block body", nil
	}
	reason, err := ld.checkBody(off, &h)
	return h, true, reason, err
}

// checkBody reads the body of the block at off and checks it against h.
func (ld *loader) checkBody(off int64, h *blockHeader) (string, error) {
	if cap(ld.env.buf) < int(h.bodyLen) {
		ld.env.buf = make([]byte, h.bodyLen)
	}
	body := ld.env.buf[:h.bodyLen]
	if _, err := ld.sh.f.ReadAt(body, off+blockHeaderSize); err != nil {
		return "", errors.New("store: cannot read shard " + ld.sh.path + ": " + err.Error())
	}
	if crc32.Checksum(body, crcTable) != h.bodyCRC {
		return errBodyCRC.Error(), nil
	}
	return "", nil
}

// scanFrom validates blocks from off to the end of the file (see loadShard).
func (ld *loader) scanFrom(off int64) error {
	sh := ld.sh
	if n := len(sh.blocks); n > 0 {
		ld.minSeq = sh.blocks[n-1].seq
	}
	for off < ld.fsize {
		h, hdrOK, reason, err := ld.blockAt(off)
		if err != nil {
			return err
		}
		if reason == "" {
			sh.addBlock(blockMeta{off: off, blockHeader: h})
			ld.minSeq = h.seq
			off = sh.size
			continue
		}
		if hdrOK && h.seq > ld.env.committed {
			return ld.cutTail(off, reason, false, nil)
		}
		if ld.fsize-off < blockHeaderSize {
			return ld.cutTail(off, "torn block header", false, nil)
		}
		// The length chain first: a block with an intact header but a damaged body is
		// followed by the next block. Else search byte by byte, from inside the damaged block
		// (bytes may have been lost, moving the next block closer).
		next, found := int64(0), false
		if hdrOK && off+h.size() <= ld.fsize {
			if _, _, r, err := ld.blockAt(off + h.size()); err != nil {
				return err
			} else if r == "" {
				next, found = off+h.size(), true
			}
		}
		if !found {
			from := off + 1
			if hdrOK {
				from = off + blockHeaderSize
			}
			if next, found, err = ld.resync(from); err != nil {
				return err
			}
		}
		if !found {
			// NOTE: bytes without a valid header right after the coverage of an index file
			// whose last block belongs to the last durable commit were written after that
			// commit (Close writes the index after every commit of the session), so they were
			// never acknowledged: garbage or a torn write, not lost data.
			if !hdrOK && sh.idxSize == off && len(sh.blocks) > 0 && sh.blocks[len(sh.blocks)-1].seq == ld.env.committed {
				return ld.cutTail(off, reason+" after the last durable commit", false, nil)
			}
			if !hdrOK && ld.afterLastRecorded(off) {
				return ld.cutTail(off, reason+"; no block record in "+filepath.Base(sh.path)+accSuffix+
					" starts here or later, while the block before has one: never a committed block (garbage or a torn write)", false, nil)
			}
			return ld.cutTail(off, reason, true, hdrIf(hdrOK, &h))
		}
		r := rangeOf(off, next-off, hdrIf(hdrOK, &h), actionSkipped, reason)
		ld.fromSummaries(&r)
		if err := ld.quarantine(&r); err != nil {
			return err
		}
		off = next
		sh.size = max(sh.size, next)
	}
	return nil
}

func hdrIf(ok bool, h *blockHeader) *blockHeader {
	if ok {
		return h
	}
	return nil
}

// rangeOf describes a damaged range; h is its block header when one is trustworthy.
func rangeOf(off, size int64, h *blockHeader, action, reason string) badRange {
	r := badRange{off: off, size: size, entries: -1, action: action, reason: reason}
	if h != nil {
		r.entries, r.minTS, r.maxTS, r.tagMask = int64(h.count), h.minTS, h.maxTS, h.tagMask
	}
	return r
}

// afterLastRecorded reports whether the bytes at off, right after the shard's last valid
// block, were never a committed block, by the .acc sidecar: the last valid block has its
// summary record and no record starts at off or later. The committer appends the records of
// each group (all its blocks of a shard in one write) after the group is durable, and Open
// rebuilds the records of readable blocks, so a committed block at off would have one.
func (ld *loader) afterLastRecorded(off int64) bool {
	sh := ld.sh
	if len(sh.blocks) == 0 {
		return false
	}
	last := &sh.blocks[len(sh.blocks)-1]
	if last.off+last.size() != off {
		return false
	}
	ld.loadAcc()
	rec, ok := ld.acc[last.off]
	if !ok || rec.sum == nil || checkSummary(rec.sum, &last.blockHeader) != nil {
		return false
	}
	for o := range ld.acc {
		if o >= off {
			return false
		}
	}
	return true
}

// loadAcc reads the shard's .acc records once (before Open rebuilds the file).
func (ld *loader) loadAcc() {
	if ld.acc == nil {
		data, _ := os.ReadFile(ld.sh.path + accSuffix)
		ld.acc, _ = parseAccFile(data)
	}
}

// resyncChunk is how much of the file resync reads at a time.
const resyncChunk = 1 << 20

// resync finds the first valid block at or after from (see loadShard for "valid").
func (ld *loader) resync(from int64) (int64, bool, error) {
	buf := make([]byte, resyncChunk)
	for pos := from; pos+blockHeaderSize <= ld.fsize; {
		n, err := ld.sh.f.ReadAt(buf, pos)
		if n == 0 && err != nil {
			return 0, false, errors.New("store: cannot read shard " + ld.sh.path + ": " + err.Error())
		}
		chunk := buf[:n]
		for i := 0; ; {
			j := indexMagic(chunk[i:])
			if j < 0 {
				break
			}
			cand := pos + int64(i+j)
			_, _, reason, err := ld.blockAt(cand)
			if err != nil {
				return 0, false, err
			}
			if reason == "" {
				return cand, true, nil
			}
			i += j + 1
		}
		if int64(n) < resyncChunk {
			break
		}
		pos += int64(n) - int64(len(blockMagic)-1) // a magic may straddle two chunks
	}
	return 0, false, nil
}

// indexMagic returns the index of the first block magic (either version) in b, or -1.
func indexMagic(b []byte) int {
	for off := 0; ; {
		j := bytes.Index(b[off:], blockMagic[:3])
		if j < 0 || off+j+3 >= len(b) {
			return -1
		}
		if v := b[off+j+3]; v == blockMagic[3] || v == blockMagicV1[3] {
			return off + j
		}
		off += j + 1
	}
}

// quarantine records a damaged range left in place: in the shard, the sidecar (when
// writing), the log and the counters. A range already in the sidecar is not recorded twice.
func (ld *loader) quarantine(r *badRange) error {
	sh := ld.sh
	for _, k := range sh.bad {
		if k.off == r.off && k.action == r.action {
			ld.env.log.Warn("store: damaged range stays quarantined", "file", sh.path, "offset", r.off,
				"bytes", r.size, "entries", r.entries, "reason", r.reason)
			return nil // Verify lists it with the sidecar's other ranges
		}
	}
	sh.bad = append(sh.bad, *r)
	ld.env.dc.countRange(r)
	ld.env.log.Warn("store: damaged block skipped and quarantined; reading resumes at the next valid block",
		"file", sh.path, "offset", r.off, "bytes", r.size, "entries", r.entries, "reason", r.reason)
	ld.env.note(Finding{File: sh.path, Offset: r.off, Bytes: r.size, Entries: r.entries, Kind: "damaged block",
		Damage: true, Detail: r.reason, Action: "skipped and quarantined in " + filepath.Base(sh.path) + badSuffix})
	if !ld.write {
		return nil
	}
	return appendBadFile(sh.path+badSuffix, r)
}

// cutTail cuts the file at off. keep copies the bytes to <shard>.cut-<off> and records them
// in the sidecar first (damaged acknowledged data); otherwise they are a torn or uncommitted
// write that was never acknowledged. h is the header of the block at off, if trustworthy.
func (ld *loader) cutTail(off int64, reason string, keep bool, h *blockHeader) error {
	sh := ld.sh
	n := ld.fsize - off
	r := rangeOf(off, n, h, actionCut, reason)
	if !keep {
		ld.env.dc.tails.Add(1)
		ld.env.dc.cutBytes.Add(uint64(n))
		ld.env.log.Warn("store: cut torn or uncommitted shard tail", "file", sh.path, "offset", off, "bytes", n, "reason", reason)
		ld.env.note(Finding{File: sh.path, Offset: off, Bytes: n, Entries: -1, Kind: "torn or uncommitted tail",
			Detail: reason, Action: "cut (never acknowledged)"})
	} else {
		ld.fromSummaries(&r)
		sh.bad = append(sh.bad, r)
		ld.env.dc.countRange(&r)
		ld.env.log.Warn("store: cut damaged shard tail; its bytes are kept beside the shard", "file", sh.path,
			"offset", off, "bytes", n, "entries", r.entries, "copy", cutName(sh.path, off), "reason", reason)
		ld.env.note(Finding{File: sh.path, Offset: off, Bytes: n, Entries: r.entries, Kind: "damaged tail", Damage: true,
			Detail: reason, Action: "cut; bytes kept in " + filepath.Base(cutName(sh.path, off))})
	}
	if !ld.write {
		return nil
	}
	if keep {
		if err := copyRange(sh.f, off, n, cutName(sh.path, off)); err != nil {
			return err
		}
		if err := appendBadFile(sh.path+badSuffix, &r); err != nil {
			return err
		}
	}
	err := sh.f.Truncate(off)
	if err == nil {
		err = sh.f.Sync()
	}
	if err != nil {
		return errors.New("store: cannot cut shard tail: " + err.Error())
	}
	ld.fsize = off
	return nil
}

// copyRange copies n bytes at off of f to a new file p, durably.
func copyRange(f *os.File, off, n int64, p string) error {
	data := make([]byte, n)
	if _, err := f.ReadAt(data, off); err != nil {
		return errors.New("store: cannot read damaged tail: " + err.Error())
	}
	out, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return errors.New("store: cannot keep damaged tail: " + err.Error())
	}
	if err := writeSyncClose(out, data); err != nil {
		return errors.New("store: cannot keep damaged tail: " + err.Error())
	}
	return syncDir(p)
}

// reportTruncated quarantines, as cut ranges, the blocks an index lists that recovery did not
// find (by header, so blocks that only moved are not reported): the shard file was truncated
// or lost bytes, and the index says how many entries over which time range went with them.
func (ld *loader) reportTruncated(idx []blockMeta) error {
	sh := ld.sh
	have := make(map[blockHeader]bool, len(sh.blocks))
	for i := range sh.blocks {
		have[sh.blocks[i].blockHeader] = true
	}
	for i := range idx {
		b := &idx[i]
		if have[b.blockHeader] || slices.ContainsFunc(sh.bad, func(r badRange) bool { return r.off == b.off }) {
			continue
		}
		r := rangeOf(b.off, b.size(), &b.blockHeader, actionCut, "the shard file ends before this block or lost its bytes; its index lists it")
		sh.bad = append(sh.bad, r)
		ld.env.dc.countRange(&r)
		ld.env.log.Warn("store: block listed in the shard index is missing from the shard file", "file", sh.path,
			"offset", r.off, "bytes", r.size, "entries", r.entries)
		ld.env.note(Finding{File: sh.path, Offset: r.off, Bytes: r.size, Entries: r.entries, Kind: "missing block", Damage: true,
			Detail: r.reason, Action: "recorded in " + filepath.Base(sh.path) + badSuffix + "; searches report it"})
		if ld.write {
			if err := appendBadFile(sh.path+badSuffix, &r); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkIndexed compares the on-disk header of every block the index covers with the index's
// copy. A block whose header differs has its body checked against the index header: an intact
// body stays readable (scans use the index's header), a damaged one is quarantined.
func (ld *loader) checkIndexed() error {
	sh := ld.sh
	var want []byte
	for i := range sh.blocks {
		b := &sh.blocks[i]
		if sh.isBad(b.off) {
			continue
		}
		if _, err := sh.f.ReadAt(ld.hdr[:], b.off); err != nil {
			return errors.New("store: cannot read shard " + sh.path + ": " + err.Error())
		}
		want = b.appendHeader(want[:0], ld.env.key)
		if bytes.Equal(want, ld.hdr[:]) {
			continue
		}
		reason, err := ld.checkBody(b.off, &b.blockHeader)
		if err != nil {
			return err
		}
		if reason == "" {
			ld.env.log.Warn("store: block header on disk differs from the shard index; body intact, read with the index's header",
				"file", sh.path, "offset", b.off, "bytes", blockHeaderSize, "entries", b.count)
			ld.env.note(Finding{File: sh.path, Offset: b.off, Bytes: blockHeaderSize, Entries: int64(b.count), Kind: "damaged block header",
				Damage: true, Detail: "differs from the index's copy; the body is intact", Action: "read with the index's header (nothing lost while the index lives)"})
			continue
		}
		r := rangeOf(b.off, b.size(), &b.blockHeader, actionSkipped, "block header and body damaged")
		if err := ld.quarantine(&r); err != nil {
			return err
		}
	}
	return nil
}

// isBad reports whether the block at off is quarantined. Caller holds Store.mu or owns sh.
func (sh *shard) isBad(off int64) bool { return skippedIn(sh.bad, off) }

// Index files (version 2; version 1 files, without offsets, are still read):
//
//	magic "SLIDX2\n\x00" | covered size uint64 | block count uint32 |
//	per block: offset uint64 | block header | CRC32C of everything before it
//
// Offsets are needed because quarantined ranges leave gaps between blocks.
const idxSuffix = ".idx"

var (
	idxMagicV1 = []byte("SLIDX1\n\x00")
	idxMagic   = []byte("SLIDX2\n\x00")
)

// appendIdx encodes the shard's index.
func (sh *shard) appendIdx(dst []byte, key *blockKey) []byte {
	start := len(dst)
	dst = append(dst, idxMagic...)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(sh.size))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(sh.blocks)))
	for i := range sh.blocks {
		dst = binary.LittleEndian.AppendUint64(dst, uint64(sh.blocks[i].off))
		dst = sh.blocks[i].appendHeader(dst, key)
	}
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], crcTable))
}

// errIdxMissing wraps os.ErrNotExist for a shard without an index file.
var errIdxMissing = fmt.Errorf("no index file: %w", os.ErrNotExist)

// readIdx loads an index file. It fails when the file is missing (an error wrapping
// os.ErrNotExist), corrupt, covers more than the shard file holds or names an uncommitted
// block; the caller then validates the whole file.
func readIdx(p string, fsize int64, committed uint64, key *blockKey) ([]blockMeta, int64, error) {
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, errIdxMissing
	}
	if err != nil {
		return nil, 0, errors.New("cannot read index file: " + err.Error())
	}
	return parseIdx(b, fsize, committed, key)
}

// parseIdx decodes an index file's contents (see readIdx): the blocks and the file size they
// cover.
func parseIdx(b []byte, fsize int64, committed uint64, key *blockKey) (blocks []blockMeta, size int64, err error) {
	if len(b) < len(idxMagic)+12+4 {
		return nil, 0, errors.New("index file too short")
	}
	v2 := string(b[:len(idxMagic)]) == string(idxMagic)
	if !v2 && string(b[:len(idxMagicV1)]) != string(idxMagicV1) {
		return nil, 0, errors.New("index file has a bad magic")
	}
	body := b[:len(b)-4]
	if crc32.Checksum(body, crcTable) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return nil, 0, errors.New("index file checksum mismatch")
	}
	size = int64(binary.LittleEndian.Uint64(body[len(idxMagic):]))
	n := int(binary.LittleEndian.Uint32(body[len(idxMagic)+8:]))
	recs := body[len(idxMagic)+12:]
	recSize := blockHeaderSize
	if v2 {
		recSize += 8
	}
	var pastEnd error
	if size > fsize {
		pastEnd = fmt.Errorf("%w: it covers %d bytes, the shard holds %d", errIdxPastEnd, size, fsize)
	}
	if uint64(len(recs)) != uint64(n)*uint64(recSize) {
		return nil, 0, errors.New("index file length does not match its block count")
	}
	blocks = make([]blockMeta, 0, n)
	end := int64(0)
	for i := 0; i < n; i++ {
		rec := recs[i*recSize:]
		off := end
		if v2 {
			off = int64(binary.LittleEndian.Uint64(rec))
			rec = rec[8:]
		}
		h, err := parseHeader(rec, key)
		switch {
		case err != nil:
			return nil, 0, errors.New("index file block " + strconv.Itoa(i) + ": " + err.Error())
		case h.seq > committed:
			return nil, 0, errors.New("index file names a block of a group commit that never completed")
		case off < end || off+h.size() > size:
			return nil, 0, errors.New("index file block " + strconv.Itoa(i) + " overlaps another or lies past the covered size")
		}
		blocks = append(blocks, blockMeta{off: off, blockHeader: h})
		end = off + h.size()
	}
	if !v2 && end != size {
		return nil, 0, errors.New("index file blocks do not cover its size")
	}
	if pastEnd != nil {
		return blocks, size, pastEnd // the blocks say what the shard held before it was cut
	}
	return blocks, size, nil
}

// errIdxPastEnd is wrapped by readIdx's error for an intact index file that covers more than
// the shard file holds: the shard was truncated, and the index lists the blocks it lost.
var errIdxPastEnd = errors.New("index file covers more than the shard holds")
