package store

import (
	"bytes"
	"errors"
	"os"
	"strconv"
)

// The tag log is kept in two copies, tags.log and tags.log.copy, written with the same bytes
// at the same offsets and fsynced together by every group commit that adds tags (before
// COMMIT). A record damaged in one copy is read from the other, so one damaged block of either
// file loses no tag name. Stores from before the copy existed open from tags.log alone, and
// the copy is created from it.

// tagCopyFault is one fault in one copy of the tag log.
type tagCopyFault struct {
	copy     int // 0: tags.log, 1: tags.log.copy
	off, n   int // byte range; n -1 for the whole file
	what     string
	restored bool // the other copy held the bytes
}

// tagLogMerge is the outcome of reading both copies of the tag log.
type tagLogMerge struct {
	good   []byte // the committed log both copies must hold (version 2)
	tl     tagLog // parsed good; tl.damaged lists records damaged in both copies
	faults []tagCopyFault
	// missing marks a copy that does not exist (a store from before the copy, or a lost file).
	missing [2]bool
}

// mergeTagLogs reconciles the two copies of the tag log (nil: the file does not exist): it
// patches each copy's damaged records, bad header and lost committed tail with the other's
// bytes at the same offsets, keeps the better result, and lists each copy's faults. It fails
// only when no copy has a valid header (or an invalid record passes its checksum).
func mergeTagLogs(a, b []byte, committed uint64) (tagLogMerge, error) {
	var m tagLogMerge
	m.missing = [2]bool{a == nil, b == nil}
	copies := [2][]byte{a, b}
	type cand struct {
		out []byte
		tl  tagLog
		err error
	}
	var best *cand
	for i := range 2 {
		x, y := copies[i], copies[1-i]
		if x == nil {
			continue
		}
		c := &cand{out: patchTagLog(x, y, committed)}
		c.tl, c.err = parseTagLog(c.out, committed)
		switch {
		case best == nil, best.err != nil && c.err == nil:
			best = c
		case c.err != nil:
		case len(c.tl.damaged) < len(best.tl.damaged) || len(c.tl.damaged) == len(best.tl.damaged) && c.tl.end > best.tl.end:
			best = c
		}
	}
	if best == nil {
		return m, nil // neither exists: a new store
	}
	if best.err != nil {
		return m, best.err
	}
	m.tl = best.tl
	m.good = best.out[:best.tl.end]
	if m.tl.v1 {
		m.good = append([]byte(nil), tagLogMagic...)
		for id, name := range m.tl.names {
			if name != "" {
				m.good = appendTagRecord(m.good, name, uint16(id), 0)
			}
		}
		m.tl.end = len(m.good) // tl.v1 stays set: both copies are rewritten as version 2
	}
	lostInBoth := func(off, n int) bool {
		for _, r := range best.tl.damaged {
			if r[0] < off+max(n, 1) && r[1] > off {
				return true
			}
		}
		return false
	}
	for i, x := range copies {
		if x == nil || m.tl.v1 {
			continue
		}
		tl, err := parseTagLog(x, committed)
		if err != nil {
			m.faults = append(m.faults, tagCopyFault{copy: i, off: 0, n: -1, what: err.Error(), restored: true})
			continue
		}
		for _, r := range tl.damaged {
			m.faults = append(m.faults, tagCopyFault{copy: i, off: r[0], n: r[1] - r[0],
				what: "record fails its checksum", restored: !lostInBoth(r[0], r[1]-r[0])})
		}
		if tl.end < len(m.good) {
			m.faults = append(m.faults, tagCopyFault{copy: i, off: tl.end, n: len(m.good) - tl.end,
				what: "committed records missing or damaged at the end", restored: true})
		} else if len(tl.damaged) == 0 && !bytes.HasPrefix(x, m.good) {
			m.faults = append(m.faults, tagCopyFault{copy: i, off: 0, n: -1, what: "differs from the other copy", restored: true})
		}
	}
	return m, nil
}

// patchTagLog returns x with the bytes of its damaged records, a bad header and a lost
// committed tail replaced by y's bytes at the same offsets (the copies are written
// identically), as long as that changes something.
func patchTagLog(x, y []byte, committed uint64) []byte {
	out := bytes.Clone(x)
	var ty tagLog
	var errY error = errors.New("no copy")
	if y != nil {
		ty, errY = parseTagLog(y, committed)
	}
	hdr := len(tagLogMagic)
	for range 64 {
		tl, err := parseTagLog(out, committed)
		changed := false
		switch {
		case err != nil:
			if len(y) >= hdr && (len(out) < hdr || !bytes.Equal(out[:hdr], y[:hdr])) {
				out = append(bytes.Clone(y[:hdr]), out[min(hdr, len(out)):]...)
				changed = true
			}
		default:
			for _, r := range tl.damaged {
				if r[1] <= len(y) && !bytes.Equal(out[r[0]:r[1]], y[r[0]:r[1]]) {
					copy(out[r[0]:r[1]], y[r[0]:r[1]])
					changed = true
				}
			}
			if !changed && errY == nil && ty.end > tl.end {
				out = append(out[:tl.end], y[tl.end:ty.end]...)
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	return out
}

// String describes f for logs and Verify.
func (f *tagCopyFault) String() string {
	s := f.what
	if f.n >= 0 {
		s += " (offset " + strconv.Itoa(f.off) + ", " + strconv.Itoa(f.n) + " bytes)"
	}
	return s
}

// tagCopyPath returns the path of copy i of the tag log at p.
func tagCopyPath(p string, i int) string {
	if i == 1 {
		return p + copySuffix
	}
	return p
}

// readOptional reads p, returning nil (not an error) when it does not exist or is empty (a
// file created by a crash before its first write).
func readOptional(p string) ([]byte, error) {
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) || len(b) == 0 {
		return nil, nil
	}
	return b, err
}
