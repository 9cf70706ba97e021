package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Tag log: the file starts with tagLogMagic; each record is
//
//	name length uint8 | name | CRC32C of (length byte + name) uint32 LE
//
// Record i (0-based) defines tag ID i. Records are appended and fsynced before TagID returns.
var tagLogMagic = []byte("SLTAGS1\n")

// tagTable maps tag names to IDs and to wells. names and wellOf only grow, and only under mu
// held for writing, so a reader may keep slice headers taken under the read lock.
type tagTable struct {
	mu     sync.RWMutex
	f      *os.File
	size   int64 // committed length of the tag log
	names  []string
	wellOf []uint16 // tag ID → index into Store.wells
	byName map[string]uint16
	route  func(name string) uint16
}

// openTags loads (or creates) the tag log at p, cutting a torn tail.
func openTags(p string, log *slog.Logger, route func(string) uint16) (*tagTable, error) {
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, errors.New("store: cannot open tag log: " + err.Error())
	}
	t := &tagTable{f: f, byName: make(map[string]uint16), route: route}
	if err := t.load(p, log); err != nil {
		f.Close()
		return nil, err
	}
	return t, nil
}

func (t *tagTable) load(p string, log *slog.Logger) error {
	b, err := io.ReadAll(t.f)
	if err != nil {
		return errors.New("store: cannot read tag log: " + err.Error())
	}
	if len(b) == 0 {
		if _, err := t.f.WriteAt(tagLogMagic, 0); err != nil {
			return errors.New("store: cannot write tag log: " + err.Error())
		}
		if err := t.f.Sync(); err != nil {
			return errors.New("store: cannot sync tag log: " + err.Error())
		}
		if err := syncDir(p); err != nil {
			return err
		}
		t.size = int64(len(tagLogMagic))
		return nil
	}
	tl, err := parseTagLog(b, 0)
	if err != nil {
		return errors.New("store: tag log " + p + ": " + err.Error())
	}
	for _, name := range tl.names {
		t.add(name)
	}
	off := tl.end
	if off < len(b) {
		log.Warn("store: cut torn tail of tag log", "file", p, "offset", off, "bytes", len(b)-off)
		if err := t.f.Truncate(int64(off)); err != nil {
			return errors.New("store: cannot truncate tag log: " + err.Error())
		}
		if err := t.f.Sync(); err != nil {
			return errors.New("store: cannot sync tag log: " + err.Error())
		}
	}
	t.size = int64(off)
	return nil
}

// tagLog is a parsed tag log: names[i] is tag ID i; end is the length of the valid prefix.
type tagLog struct {
	names []string
	end   int
}

// parseTagLog parses a whole tag log. Records after the first torn or corrupt one are left
// out (end says where). It fails for a bad header, an invalid or duplicate name, or too many
// tags.
func parseTagLog(b []byte, committed uint64) (tagLog, error) {
	var tl tagLog
	if len(b) < len(tagLogMagic) || string(b[:len(tagLogMagic)]) != string(tagLogMagic) {
		return tl, errors.New("bad header")
	}
	seen := make(map[string]bool)
	off := len(tagLogMagic)
	for off < len(b) {
		name, n, ok := parseTagRecord(b[off:])
		if !ok {
			break
		}
		if validName(name) != nil {
			return tl, errors.New("invalid tag name at offset " + strconv.Itoa(off))
		}
		if seen[name] {
			return tl, errors.New("duplicate tag " + strconv.Quote(name))
		}
		if len(tl.names) == MaxTags {
			return tl, errors.New("more than 65536 tags")
		}
		seen[name] = true
		tl.names = append(tl.names, name)
		off += n
	}
	tl.end = off
	return tl, nil
}

// parseTagRecord decodes one record; ok is false for a short or corrupt record.
func parseTagRecord(b []byte) (name string, n int, ok bool) {
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

func appendTagRecord(dst []byte, name string) []byte {
	start := len(dst)
	dst = append(dst, byte(len(name)))
	dst = append(dst, name...)
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], crcTable))
}

// add registers name as the next ID. Caller holds mu for writing (or owns t exclusively).
func (t *tagTable) add(name string) uint16 {
	id := uint16(len(t.names))
	t.names = append(t.names, name)
	t.wellOf = append(t.wellOf, t.route(name))
	t.byName[name] = id
	return id
}

// view returns the current tags. The slices stay valid and unchanged up to their length.
func (t *tagTable) view() (names []string, wellOf []uint16) {
	t.mu.RLock()
	names, wellOf = t.names, t.wellOf
	t.mu.RUnlock()
	return names, wellOf
}

// TagID returns the ID of tag name, creating it if new. A new tag is durable (fsynced) when
// TagID returns. Names are 1..MaxTagLength bytes of [A-Za-z0-9_.-]; errors wrap ErrInvalidTag
// or ErrTooManyTags. Safe for concurrent use.
func (s *Store) TagID(name string) (uint16, error) {
	t := s.tags
	t.mu.RLock()
	id, ok := t.byName[name]
	t.mu.RUnlock()
	if ok {
		return id, nil
	}
	if err := validName(name); err != nil {
		return 0, fmt.Errorf("%w %q: %s", ErrInvalidTag, truncate(name, 80), err)
	}
	if s.isClosed() {
		return 0, ErrClosed
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if id, ok := t.byName[name]; ok {
		return id, nil
	}
	if len(t.names) >= MaxTags {
		return 0, ErrTooManyTags
	}
	if t.f == nil {
		return 0, ErrClosed
	}
	rec := appendTagRecord(nil, name)
	_, err := t.f.WriteAt(rec, t.size)
	if err == nil {
		err = t.f.Sync()
	}
	if err != nil {
		// The next record is written at t.size again; a leftover partial record after it
		// fails its checksum and is cut on the next Open.
		if terr := t.f.Truncate(t.size); terr != nil {
			err = joinErrors(err, terr)
		}
		return 0, fmt.Errorf("store: cannot create tag %q: %w", name, err)
	}
	t.size += int64(len(rec))
	return t.add(name), nil
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
	if int(id) >= len(names) {
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
			if ok, _ := path.Match(p, name); ok {
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
