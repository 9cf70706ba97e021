package store

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Damage is a stretch of a shard file that could not be read: a block that failed its
// checksum or did not decode, or bytes between two valid blocks that hold no valid block.
// Scans report it through ScanQuery.OnDamage instead of failing, so a search over damaged data
// finishes with what is readable and says what it could not read.
type Damage struct {
	Well   string // well name
	Shard  int64  // start of the shard's time window, Unix ns
	Offset int64  // byte offset of the damaged range in the shard file
	Bytes  int64  // length of the range
	// Entries is how many entries the range held, from its block header (or the shard index
	// when the header itself is damaged); -1 when no trustworthy header says.
	Entries int64
	// MinTS and MaxTS bound the timestamps of the lost entries, Unix ns. When Entries is -1
	// they are the shard's whole time window.
	MinTS, MaxTS int64
	Reason       string // what is wrong, e.g. "block body checksum mismatch"
}

// badRange is a quarantined range of a shard file, kept in the shard's sidecar file
// (<shard>.bad) so the decision survives restarts and `sluiced verify` can list it.
type badRange struct {
	off, size int64
	entries   int64 // -1: unknown
	minTS     int64 // valid when entries >= 0
	maxTS     int64
	tagMask   uint64 // 0: unknown (every tag may be affected)
	action    string // "skipped" (left in place, not read) or "cut" (moved to <shard>.cut-<offset>)
	reason    string
}

// Quarantine actions recorded in the sidecar.
const (
	actionSkipped = "skipped"
	actionCut     = "cut"
)

// badSuffix names a shard's quarantine sidecar: one text line per damaged range.
const badSuffix = ".bad"

// cutName returns the file that keeps the bytes of a tail cut at off, for forensics.
func cutName(shardPath string, off int64) string {
	return shardPath + ".cut-" + strconv.FormatInt(off, 10)
}

// appendBadLine encodes r as one sidecar line.
func (r *badRange) appendBadLine(dst []byte) []byte {
	for i, v := range [...]int64{r.off, r.size, r.entries, r.minTS, r.maxTS} {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = append(dst, badIntKeys[i]...)
		dst = append(dst, '=')
		dst = strconv.AppendInt(dst, v, 10)
	}
	dst = append(dst, " tag_mask="...)
	dst = strconv.AppendUint(dst, r.tagMask, 16)
	dst = append(dst, " action="...)
	dst = append(dst, r.action...)
	dst = append(dst, " reason="...)
	dst = append(dst, strings.ReplaceAll(r.reason, "\n", " ")...)
	return append(dst, '\n')
}

// badIntKeys are the integer fields of a sidecar line, in order.
var badIntKeys = [...]string{"offset", "bytes", "entries", "min_ts", "max_ts"}

// parseBadLine decodes one sidecar line.
func parseBadLine(line string) (badRange, bool) {
	var r badRange
	rest := line
	next := func(key string) (string, bool) {
		v, ok := strings.CutPrefix(rest, key+"=")
		if !ok {
			return "", false
		}
		if key == "reason" {
			rest = ""
			return v, true
		}
		i := strings.IndexByte(v, ' ')
		if i < 0 {
			return "", false
		}
		rest = v[i+1:]
		return v[:i], true
	}
	ints := []*int64{&r.off, &r.size, &r.entries, &r.minTS, &r.maxTS}
	for i, k := range badIntKeys {
		v, ok := next(k)
		if !ok {
			return r, false
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return r, false
		}
		*ints[i] = n
	}
	v, ok := next("tag_mask")
	if !ok {
		return r, false
	}
	m, err := strconv.ParseUint(v, 16, 64)
	if err != nil {
		return r, false
	}
	r.tagMask = m
	if r.action, ok = next("action"); !ok || r.action != actionSkipped && r.action != actionCut {
		return r, false
	}
	if r.reason, ok = next("reason"); !ok {
		return r, false
	}
	if r.off < 0 || r.size <= 0 || r.entries < -1 {
		return r, false
	}
	return r, true
}

// readBadFile loads a shard's sidecar. Malformed lines are returned as count bad so the
// caller can report them; a missing file is no ranges.
func readBadFile(p string) (ranges []badRange, malformed int, err error) {
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		r, ok := parseBadLine(line)
		if !ok {
			malformed++
			continue
		}
		ranges = append(ranges, r)
	}
	return ranges, malformed, nil
}

// appendBadFile appends r to the sidecar at p and fsyncs it (and, for a new file, its
// directory).
func appendBadFile(p string, r *badRange) error {
	_, statErr := os.Stat(p)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return errors.New("store: cannot record quarantine: " + err.Error())
	}
	var line []byte
	if statErr != nil {
		line = append(line, "# sluice quarantine: damaged ranges of the shard file beside this one\n"...)
	}
	if err := writeSyncClose(f, r.appendBadLine(line)); err != nil {
		return errors.New("store: cannot record quarantine: " + err.Error())
	}
	if statErr != nil {
		return syncDir(p)
	}
	return nil
}

// damage returns r as a Damage of shard sh.
func (r *badRange) damage(sh *shard) Damage {
	d := Damage{Well: sh.w.name, Shard: sh.start, Offset: r.off, Bytes: r.size, Entries: r.entries,
		MinTS: r.minTS, MaxTS: r.maxTS, Reason: r.reason}
	if r.entries < 0 {
		d.MinTS, d.MaxTS = sh.start, sh.start+sh.w.dur-1
	}
	return d
}

// overlaps reports whether r may hold entries selected by a scan of [start, end) with tag
// mask mask.
func (r *badRange) overlaps(sh *shard, mask uint64, start, end int64) bool {
	minTS, maxTS := r.minTS, r.maxTS
	if r.entries < 0 {
		minTS, maxTS = sh.start, sh.start+sh.w.dur-1
	}
	if r.tagMask != 0 && r.tagMask&mask == 0 {
		return false
	}
	return maxTS >= start && minTS < end
}

// DamageCounters count the store's damage decisions since Open (exported on /metrics).
type DamageCounters struct {
	BlocksQuarantined  uint64 // damaged ranges skipped in place (at Open or found by a scan)
	BytesQuarantined   uint64 // their bytes
	EntriesQuarantined uint64 // entries their headers or the index say they held (when known)
	TailsCut           uint64 // torn or damaged shard tails cut at Open
	BytesCut           uint64 // bytes cut (damaged tails are kept in <shard>.cut-<offset>)
	ScanSkips          uint64 // damaged blocks or ranges a scan skipped and reported
	IndexRejected      uint64 // shard index files that were corrupt or stale and ignored
	// CopiesRepaired counts copies of metadata files (indexer.uuid, block.key, WELL,
	// tags.log) found damaged, missing or differing and rewritten from the other copy.
	CopiesRepaired uint64
}

// damageCounters is the atomic form of DamageCounters.
type damageCounters struct {
	blocks, bytes, entries, tails, cutBytes, skips, idxRejected, copies atomic.Uint64
}

func (c *damageCounters) snapshot() DamageCounters {
	return DamageCounters{
		BlocksQuarantined: c.blocks.Load(), BytesQuarantined: c.bytes.Load(), EntriesQuarantined: c.entries.Load(),
		TailsCut: c.tails.Load(), BytesCut: c.cutBytes.Load(), ScanSkips: c.skips.Load(), IndexRejected: c.idxRejected.Load(),
		CopiesRepaired: c.copies.Load(),
	}
}

// DamageCounters returns the damage decisions taken since Open.
func (s *Store) DamageCounters() DamageCounters { return s.damage.snapshot() }

// countRange counts a newly quarantined range.
func (c *damageCounters) countRange(r *badRange) {
	if r.action == actionCut {
		c.tails.Add(1)
		c.cutBytes.Add(uint64(r.size))
	} else {
		c.blocks.Add(1)
		c.bytes.Add(uint64(r.size))
	}
	if r.entries > 0 {
		c.entries.Add(uint64(r.entries))
	}
}

// FormatDamage summarises damage reports for a search Warning: how many entries and bytes
// over which time range could not be read, and why. It returns "" for none.
func FormatDamage(ds []Damage) string {
	if len(ds) == 0 {
		return ""
	}
	var entries, bytes int64
	unknown := 0
	minTS, maxTS := ds[0].MinTS, ds[0].MaxTS
	var reasons []string
	for _, d := range ds {
		if d.Entries >= 0 {
			entries += d.Entries
		} else {
			unknown++
		}
		bytes += d.Bytes
		minTS, maxTS = min(minTS, d.MinTS), max(maxTS, d.MaxTS)
		if len(reasons) < 3 && !slices.Contains(reasons, d.Reason) {
			reasons = append(reasons, d.Reason)
		}
	}
	b := make([]byte, 0, 256)
	b = append(b, "damaged data skipped: "...)
	switch {
	case unknown == 0:
		b = strconv.AppendInt(b, entries, 10)
		b = append(b, " entries"...)
	case entries > 0:
		b = strconv.AppendInt(b, entries, 10)
		b = append(b, " entries plus an unknown number"...)
	default:
		b = append(b, "an unknown number of entries"...)
	}
	b = append(b, " ("...)
	b = strconv.AppendInt(b, bytes, 10)
	b = append(b, " bytes in "...)
	b = strconv.AppendInt(b, int64(len(ds)), 10)
	if len(ds) == 1 {
		b = append(b, " damaged range) between "...)
	} else {
		b = append(b, " damaged ranges) between "...)
	}
	b = time.Unix(0, minTS).UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, " and "...)
	b = time.Unix(0, maxTS).UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, " could not be read: "...)
	b = append(b, strings.Join(reasons, "; ")...)
	b = append(b, "; the rest of the range was searched (run sluiced verify)"...)
	return string(b)
}

// removeQuarantine removes a dropped shard's sidecar and the copies of its cut tails.
func removeQuarantine(shardPath string, bad []badRange) error {
	var errs []error
	for _, r := range bad {
		if r.action == actionCut {
			errs = append(errs, removeIfExists(cutName(shardPath, r.off)))
		}
	}
	errs = append(errs, removeIfExists(shardPath+badSuffix))
	return joinErrors(errs...)
}

// quarantineBlock records a published block that a scan found damaged: later scans skip it
// unread (and report it), the sidecar keeps it across restarts, and the decision is logged
// and counted. It returns the damage to report. Safe for concurrent use.
func (s *Store) quarantineBlock(sh *shard, b *blockMeta, reason string) Damage {
	r := rangeOf(b.off, b.size(), &b.blockHeader, actionSkipped, reason)
	s.mu.Lock()
	if sh.isBad(b.off) {
		s.mu.Unlock()
		return r.damage(sh) // another scan quarantined it first
	}
	sh.bad = append(sh.bad, r)
	s.mu.Unlock()
	s.damage.countRange(&r)
	s.log.Warn("store: damaged block found by a scan; skipped and quarantined", "file", sh.path, "offset", r.off,
		"bytes", r.size, "entries", r.entries, "reason", reason)
	s.sidecarMu.Lock()
	err := appendBadFile(sh.path+badSuffix, &r)
	s.sidecarMu.Unlock()
	if err != nil {
		s.log.Error("store: cannot record quarantined block; later scans find it again", "file", sh.path, "offset", r.off, "err", err)
	}
	return r.damage(sh)
}

// blockError is a block a scan could not use: a read error, or a block that fails its
// checksum or does not decode (which wraps ErrCorrupt).
type blockError struct {
	read bool
	err  error
}

func (e *blockError) Error() string {
	if e.read {
		return "store: cannot read block: " + e.err.Error()
	}
	return "store: corrupt block: " + e.err.Error()
}

func (e *blockError) Unwrap() []error {
	if e.read {
		return []error{e.err}
	}
	return []error{ErrCorrupt, e.err}
}

// damaged turns a scan's failure to use block b of sh into the damage to report. A block that
// fails its checks is quarantined; a read error is logged and skipped but not quarantined, as
// it may pass.
func (s *Store) damaged(sh *shard, b *blockMeta, err error) Damage {
	be, ok := err.(*blockError)
	if ok && !be.read {
		return s.quarantineBlock(sh, b, be.err.Error())
	}
	s.log.Error("store: cannot read block; skipped", "file", sh.path, "offset", b.off,
		"bytes", b.size(), "entries", b.count, "err", err)
	r := rangeOf(b.off, b.size(), &b.blockHeader, actionSkipped, "read error")
	return r.damage(sh)
}

// summaryTotals reads what a block summary (summary.go) says about its whole block: entries,
// time bounds and tag mask. ok is false for a malformed or inconsistent summary.
func summaryTotals(sum []byte) (count, minTS, maxTS int64, mask uint64, ok bool) {
	r := summaryReader{b: sum}
	bodyCRC := binary.LittleEndian.Uint32(r.fixed(4))
	ntags := r.uvarint()
	if r.err || ntags == 0 || ntags > 64*1024 {
		return 0, 0, 0, 0, false
	}
	minTS, maxTS = MaxTimestamp, MinTimestamp
	for range ntags {
		tag := binary.LittleEndian.Uint16(r.fixed(2))
		first := int64(binary.LittleEndian.Uint64(r.fixed(8)))
		last := first + int64(r.uvarint())
		ngran := r.uvarint()
		if r.err || ngran == 0 || ngran > maxBlockRaw {
			return 0, 0, 0, 0, false
		}
		for range ngran {
			r.uvarint()
			count += int64(r.uvarint())
			r.uvarint()
		}
		mask |= tagBit(tag)
		minTS, maxTS = min(minTS, first), max(maxTS, last)
	}
	if r.err || count <= 0 || count > maxBlockRaw {
		return 0, 0, 0, 0, false
	}
	h := blockHeader{count: uint32(count), minTS: minTS, maxTS: maxTS, tagMask: mask, bodyCRC: bodyCRC}
	if checkSummary(sum, &h) != nil {
		return 0, 0, 0, 0, false
	}
	return count, minTS, maxTS, mask, true
}
