package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"math"
	"os"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/sluicehq/sluice/wire"
)

// Tag log: the file starts with tagLogMagic; each record is
//
//	name length uint8 | name | tag ID uint16 | commit sequence uint64 |
//	CRC32C of everything before it in the record, uint32 LE
//
// A new tag is only in memory (pending) until the first group commit holding entries of it:
// the committer appends its record, with the group's sequence number, and fsyncs the log
// before it writes COMMIT. So a tag becomes durable with its first entries, and never without
// them: Open drops records of groups that never reached COMMIT, and a request that failed
// leaves no tag behind. A later record for the same ID gives the ID a new name (an ID reused
// after retention removed all data of its old tag); a later record for the same name moves
// the name. Version 1 logs (SLTAGS1: name records in ID order, no IDs or sequence numbers)
// are rewritten as version 2 on Open.
var (
	tagLogMagicV1 = []byte("SLTAGS1\n")
	tagLogMagic   = []byte("SLTAGS2\n")
)

// tagTable maps tag names to IDs and to wells. names and wellOf are replaced, never changed
// in place below their length (appends excepted), under mu held for writing, so a reader
// may keep slice headers taken under the read lock. A free ID has name "".
type tagTable struct {
	mu      sync.RWMutex
	f       *os.File // tags.log
	fc      *os.File // tags.log.copy, written with the same bytes
	size    int64    // committed length of the tag log
	names   []string // tag ID → name; "" for a free ID
	wellOf  []uint16 // tag ID → index into Store.wells
	durable []bool   // the ID's record is in the log (it has committed entries)
	refs    []int32  // holders: TagID calls not yet matched by ReleaseTags
	acq     []uint64 // epoch of the ID's last TagID
	epoch   uint64
	byName  map[string]uint16
	free    []uint16 // free IDs below len(names)
	live    int      // IDs in use
	max     int      // Config.MaxTags
	mayFree bool     // data was dropped (or Open ran) since the last reclaim
	route   func(name string) uint16
}

// openTags loads (or creates) the tag log at p and its copy (see tagcopy.go): a record
// damaged in one copy is read from the other and the copy rewritten, a torn or uncommitted
// tail is cut from both. Each decision is logged and counted in dc.
func openTags(p string, committed uint64, max int, log *slog.Logger, route func(string) uint16, dc *damageCounters) (*tagTable, error) {
	t := &tagTable{byName: make(map[string]uint16), route: route, max: max, mayFree: true}
	if err := t.load(p, committed, log, dc); err != nil {
		t.closeFiles()
		return nil, err
	}
	return t, nil
}

// closeFiles closes both copies of the log. Caller holds mu or owns t.
func (t *tagTable) closeFiles() error {
	var errs []error
	for _, f := range []*os.File{t.f, t.fc} {
		if f != nil {
			errs = append(errs, f.Close())
		}
	}
	t.f, t.fc = nil, nil
	return joinErrors(errs...)
}

func (t *tagTable) load(p string, committed uint64, log *slog.Logger, dc *damageCounters) error {
	var copies [2][]byte
	for i := range copies {
		b, err := readOptional(tagCopyPath(p, i))
		if err != nil {
			return errors.New("store: cannot read tag log: " + err.Error())
		}
		copies[i] = b
	}
	m, err := mergeTagLogs(copies[0], copies[1], committed)
	if err != nil {
		return errors.New("store: tag log " + p + " and its copy: " + err.Error())
	}
	if m.good == nil { // a new store
		m.good = tagLogMagic
	}
	for _, f := range m.faults {
		if f.restored {
			dc.copies.Add(1)
			log.Error("store: damaged tag log copy; its records are read from the other copy, which is rewritten over it",
				"file", tagCopyPath(p, f.copy), "offset", f.off, "bytes", f.n, "problem", f.what)
		}
	}
	for _, r := range m.tl.damaged {
		log.Error("store: tag log record damaged in both copies; the tag it named has no name until the record is restored, "+
			"and no free tag ID is reused", "file", p, "offset", r[0], "bytes", r[1]-r[0])
	}
	if m.missing[1] && !m.missing[0] {
		log.Info("store: tag log copy created", "file", p+copySuffix, "bytes", len(m.good))
	} else if m.missing[0] && !m.missing[1] {
		dc.copies.Add(1)
		log.Error("store: tag log missing; restored from its copy", "file", p, "bytes", len(m.good))
	}
	if m.tl.v1 {
		log.Info("store: tag log upgraded to version 2", "file", p, "tags", len(m.tl.names))
	}
	for i := range copies {
		cp := tagCopyPath(p, i)
		have := copies[i]
		switch {
		case have != nil && bytes.Equal(have, m.good):
		case have != nil && !m.tl.v1 && bytes.HasPrefix(have, m.good):
			log.Warn("store: cut torn or uncommitted tail of tag log", "file", cp, "offset", len(m.good), "bytes", len(have)-len(m.good))
			if err := os.Truncate(cp, int64(len(m.good))); err != nil {
				return errors.New("store: cannot truncate tag log: " + err.Error())
			}
		default:
			if err := writeFileAtomic(cp, m.good); err != nil {
				return err
			}
		}
		f, err := os.OpenFile(cp, os.O_RDWR, 0)
		if err != nil {
			return errors.New("store: cannot open tag log: " + err.Error())
		}
		if i == 0 {
			t.f = f
		} else {
			t.fc = f
		}
	}
	for _, f := range []*os.File{t.f, t.fc} {
		if err := f.Sync(); err != nil {
			return errors.New("store: cannot sync tag log: " + err.Error())
		}
	}
	t.size = int64(len(m.good))
	for id, name := range m.tl.names {
		t.grow()
		if name != "" {
			t.set(uint16(id), name)
			t.durable[id] = true
		} else if len(m.tl.damaged) == 0 { // else the ID may be the lost record's: never reuse it
			t.free = append(t.free, uint16(id))
		}
	}
	return nil
}

// tagLog is a parsed tag log: names[id] is tag ID id's name ("" for none); end is the length
// of the valid, committed prefix; v1 marks a version 1 log.
type tagLog struct {
	names []string
	end   int
	v1    bool
	// damaged lists byte ranges [off, end) of version 2 records that failed their checksum
	// in the middle of the log; parsing resumed at the next valid record after each.
	damaged [][2]int
}

// parseTagLog parses a whole tag log. Parsing stops at the first torn or corrupt record, or
// (version 2) at the first record of a group commit after committed (end says where). It
// fails for a bad header, an invalid or duplicate name, or too many tags.
func parseTagLog(b []byte, committed uint64) (tagLog, error) {
	var tl tagLog
	switch {
	case len(b) >= len(tagLogMagic) && string(b[:len(tagLogMagic)]) == string(tagLogMagic):
	case len(b) >= len(tagLogMagicV1) && string(b[:len(tagLogMagicV1)]) == string(tagLogMagicV1):
		tl.v1 = true
	default:
		return tl, errors.New("bad header")
	}
	byName := make(map[string]int)
	off := len(tagLogMagic)
	for off < len(b) {
		var name string
		var n, id int
		if tl.v1 {
			var ok bool
			if name, n, ok = parseTagRecordV1(b[off:]); !ok {
				break
			}
			if _, dup := byName[name]; dup {
				return tl, errors.New("duplicate tag " + strconv.Quote(name))
			}
			id = len(tl.names)
		} else {
			var seq uint64
			var ok bool
			name, id, seq, n, ok = parseTagRecord(b[off:])
			if ok && seq > committed {
				break // the uncommitted tail
			}
			if !ok {
				// a damaged record in the middle loses one tag's name, not every tag after
				// it: resume at the next valid committed record, if there is one
				next := nextTagRecord(b, off+1, committed)
				if next < 0 {
					break // a torn tail
				}
				tl.damaged = append(tl.damaged, [2]int{off, next})
				off = next
				continue
			}
		}
		if validName(name) != nil {
			return tl, errors.New("invalid tag name at offset " + strconv.Itoa(off))
		}
		if id >= MaxTags {
			return tl, errors.New("more than 65536 tags")
		}
		for len(tl.names) <= id {
			tl.names = append(tl.names, "")
		}
		if old, ok := byName[name]; ok && old != id {
			tl.names[old] = "" // the name moved to a new ID
		}
		if prev := tl.names[id]; prev != "" && prev != name {
			delete(byName, prev) // the ID was reused
		}
		tl.names[id] = name
		byName[name] = id
		off += n
	}
	tl.end = off
	return tl, nil
}

// nextTagRecord returns the offset of the first valid, committed version 2 record at or after
// from, or -1.
func nextTagRecord(b []byte, from int, committed uint64) int {
	for q := from; q < len(b); q++ {
		if name, id, seq, _, ok := parseTagRecord(b[q:]); ok && seq <= committed && id < MaxTags && validName(name) == nil {
			return q
		}
	}
	return -1
}

// parseTagRecordV1 decodes one version 1 record; ok is false for a short or corrupt record.
func parseTagRecordV1(b []byte) (name string, n int, ok bool) {
	if len(b) < 1 {
		return "", 0, false
	}
	l := int(b[0])
	if l == 0 || len(b) < 1+l+4 {
		return "", 0, false
	}
	if crc32.Checksum(b[:1+l], crcTable) != binary.LittleEndian.Uint32(b[1+l:]) {
		return "", 0, false
	}
	return string(b[1 : 1+l]), 1 + l + 4, true
}

// parseTagRecord decodes one record; ok is false for a short or corrupt record.
func parseTagRecord(b []byte) (name string, id int, seq uint64, n int, ok bool) {
	if len(b) < 1 {
		return "", 0, 0, 0, false
	}
	l := int(b[0])
	n = 1 + l + 2 + 8 + 4
	if l == 0 || len(b) < n {
		return "", 0, 0, 0, false
	}
	if crc32.Checksum(b[:n-4], crcTable) != binary.LittleEndian.Uint32(b[n-4:]) {
		return "", 0, 0, 0, false
	}
	id = int(binary.LittleEndian.Uint16(b[1+l:]))
	seq = binary.LittleEndian.Uint64(b[1+l+2:])
	return string(b[1 : 1+l]), id, seq, n, true
}

func appendTagRecord(dst []byte, name string, id uint16, seq uint64) []byte {
	start := len(dst)
	dst = append(dst, byte(len(name)))
	dst = append(dst, name...)
	dst = binary.LittleEndian.AppendUint16(dst, id)
	dst = binary.LittleEndian.AppendUint64(dst, seq)
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], crcTable))
}

// grow adds one free ID slot at the end. Caller holds mu for writing (or owns t).
func (t *tagTable) grow() {
	t.names = append(t.names, "")
	t.wellOf = append(t.wellOf, 0)
	t.durable = append(t.durable, false)
	t.refs = append(t.refs, 0)
	t.acq = append(t.acq, 0)
}

// set gives ID id the name, copying names and wellOf first so readers holding the old
// slices see no change. Caller holds mu for writing (or owns t).
func (t *tagTable) set(id uint16, name string) {
	t.names, t.wellOf = slices.Clone(t.names), slices.Clone(t.wellOf)
	t.names[id] = name
	t.wellOf[id] = t.route(name)
	t.byName[name] = id
	t.live++
}

// release frees ID id. Caller holds mu for writing.
func (t *tagTable) release(id uint16) {
	delete(t.byName, t.names[id])
	t.names = slices.Clone(t.names)
	t.names[id] = ""
	t.durable[id], t.refs[id] = false, 0
	t.free = append(t.free, id)
	t.live--
}

// alloc gives name a free ID (a reused one first) as a pending tag. Caller holds mu for
// writing and has checked the limit.
func (t *tagTable) alloc(name string) uint16 {
	var id uint16
	if n := len(t.free); n > 0 {
		id = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		id = uint16(len(t.names))
		t.grow()
	}
	t.set(id, name)
	return id
}

// view returns the current tags. The slices stay valid and unchanged up to their length.
func (t *tagTable) view() (names []string, wellOf []uint16) {
	t.mu.RLock()
	names, wellOf = t.names, t.wellOf
	t.mu.RUnlock()
	return names, wellOf
}

// tagLimitError reports that Config.MaxTags tags exist; it matches ErrTooManyTags and
// *LimitError.
type tagLimitError struct{ le LimitError }

func (e *tagLimitError) Error() string {
	return "store: too many tags: Config.MaxTags=" + strconv.FormatInt(e.le.Limit, 10) +
		" tags exist (a tag is kept while entries of it are stored; tags whose data retention removed are reused)"
}

func (e *tagLimitError) Unwrap() []error { return []error{ErrTooManyTags, &e.le} }

// TagID returns the ID of tag name, creating it if new, and holds it for the caller until
// ReleaseTags. A new tag exists in memory at once (LookupTag, MatchTags and TagName see it)
// and becomes durable with the first Ingest of entries carrying it; a tag whose entries never
// commit is gone after a restart, and at once when its last holder releases it. Names are
// 1..MaxTagLength bytes of [A-Za-z0-9_.-]; errors wrap ErrInvalidTag, or ErrTooManyTags (and
// a *LimitError naming Config.MaxTags) when MaxTags tags exist and none can be reclaimed.
// Callers that never call ReleaseTags keep their tags for the Store's lifetime, which is
// safe; callers that release let a failed request's new tags go. Safe for concurrent use.
func (s *Store) TagID(name string) (uint16, error) {
	t := s.tags
	for reclaimed := false; ; reclaimed = true {
		t.mu.Lock()
		if id, ok := t.byName[name]; ok {
			t.hold(id)
			t.mu.Unlock()
			return id, nil
		}
		if err := validName(name); err != nil {
			t.mu.Unlock()
			return 0, fmt.Errorf("%w %q: %s", ErrInvalidTag, truncate(name, 80), err)
		}
		if t.f == nil {
			t.mu.Unlock()
			return 0, ErrClosed
		}
		if t.live < t.max {
			id := t.alloc(name)
			t.hold(id)
			t.mu.Unlock()
			return id, nil
		}
		mayFree := t.mayFree
		t.mu.Unlock()
		if reclaimed || !mayFree {
			return 0, &tagLimitError{LimitError{Field: "MaxTags", Limit: int64(t.max), Value: int64(t.max) + 1}}
		}
		s.reclaimTags()
	}
}

// hold records a TagID of id. Caller holds mu for writing.
func (t *tagTable) hold(id uint16) {
	t.refs[id]++
	t.epoch++
	t.acq[id] = t.epoch
}

// ReleaseTags ends the holds that TagID calls took on ids (one per call). A tag that is not
// durable (no entries of it committed) and has no holder left is forgotten and its ID freed.
// Releasing an ID not held is a no-op. Safe for concurrent use.
func (s *Store) ReleaseTags(ids []uint16) {
	t := s.tags
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, id := range ids {
		if int(id) >= len(t.names) || t.names[id] == "" || t.refs[id] == 0 {
			continue
		}
		t.refs[id]--
		if t.refs[id] == 0 && !t.durable[id] {
			t.release(id)
		}
	}
}

// reclaimTags frees durable tags that no entry carries any more (retention dropped their
// data) and no caller holds, so their IDs can be reused. It reads every block that may hold
// them, so TagID runs it only when the limit is reached and data was dropped since the last
// run. Tags of damaged ranges are kept (their data may come back from a backup).
func (s *Store) reclaimTags() {
	t := s.tags
	t.mu.Lock()
	start := t.epoch
	var cand []uint16
	for id := range t.names {
		if t.names[id] != "" && t.durable[id] && t.refs[id] == 0 {
			cand = append(cand, uint16(id))
		}
	}
	t.mayFree = false
	t.mu.Unlock()
	if len(cand) == 0 {
		return
	}
	var mu sync.Mutex
	var seen [1024]uint64
	var damaged uint64
	err := s.ScanUnordered(context.Background(), ScanQuery{Tags: cand, Start: MinTimestamp, End: MaxTimestamp,
		OnDamage: func(d Damage) { damaged = math.MaxUint64 }}, runtime.GOMAXPROCS(0),
		func(_ int, b []wire.Entry) error {
			mu.Lock()
			for i := range b {
				seen[b[i].Tag>>6] |= 1 << (b[i].Tag & 63)
			}
			mu.Unlock()
			return nil
		})
	if err != nil {
		s.log.Warn("store: cannot reclaim tags without data", "err", err)
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var freed []string
	for _, id := range cand {
		if seen[id>>6]&(1<<(id&63)) != 0 || damaged&tagBit(id) != 0 {
			continue
		}
		if t.names[id] == "" || !t.durable[id] || t.refs[id] != 0 || t.acq[id] > start {
			continue // taken again while the scan ran
		}
		freed = append(freed, t.names[id])
		t.release(id)
	}
	if len(freed) > 0 {
		s.log.Info("store: tags with no data left were freed for reuse", "tags", len(freed), "first", freed[0])
	}
}

// pendingRecords returns the tag records a group commit must write for the tags in ids that
// are not durable yet (each once), appended to dst, and the IDs it covers.
func (t *tagTable) pendingRecords(dst []byte, ids []uint16, seq uint64, done []uint16) ([]byte, []uint16) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, id := range ids {
		if int(id) >= len(t.names) || t.durable[id] || t.names[id] == "" || slices.Contains(done, id) {
			continue
		}
		dst = appendTagRecord(dst, t.names[id], id, seq)
		done = append(done, id)
	}
	return dst, done
}

// markDurable records that the log now holds recs (size bytes) for ids.
func (t *tagTable) markDurable(ids []uint16, size int64) {
	t.mu.Lock()
	for _, id := range ids {
		t.durable[id] = true
	}
	t.size += size
	t.mu.Unlock()
}

// LookupTag returns the ID of an existing tag. Safe for concurrent use.
func (s *Store) LookupTag(name string) (uint16, bool) {
	s.tags.mu.RLock()
	id, ok := s.tags.byName[name]
	s.tags.mu.RUnlock()
	return id, ok
}

// TagName returns the name of tag ID id. Safe for concurrent use.
func (s *Store) TagName(id uint16) (string, bool) {
	names, _ := s.tags.view()
	if int(id) >= len(names) || names[id] == "" {
		return "", false
	}
	return names[id], true
}

// MatchTags resolves tag patterns to existing tags. A pattern without wildcards names one tag
// (ignored if it does not exist); a pattern with shell wildcards (path.Match syntax: * ? [...])
// matches every existing tag it fits, in name order. Results follow the patterns' order with
// duplicates removed; ids and names are parallel. Malformed patterns match nothing. No tags
// are created. The returned slices are new.
func (s *Store) MatchTags(patterns []string) (ids []uint16, names []string) {
	t := s.tags
	t.mu.RLock()
	defer t.mu.RUnlock()
	seen := make(map[uint16]bool)
	var matched []string
	for _, p := range patterns {
		if !strings.ContainsAny(p, `*?[\`) {
			if id, ok := t.byName[p]; ok && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
				names = append(names, p)
			}
			continue
		}
		matched = matched[:0]
		for _, name := range t.names {
			if ok, _ := path.Match(p, name); ok && name != "" {
				matched = append(matched, name)
			}
		}
		slices.Sort(matched)
		for _, name := range matched {
			id := t.byName[name]
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
				names = append(names, name)
			}
		}
	}
	return ids, names
}

// truncate shortens s for error messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
