package store

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// syncDir fsyncs the directory holding file p, so a new or renamed entry in it is durable.
func syncDir(p string) error {
	d, err := os.Open(filepath.Dir(p))
	if err != nil {
		return errors.New("store: cannot open directory for sync: " + err.Error())
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return errors.New("store: cannot sync directory " + filepath.Dir(p) + ": " + err.Error())
	}
	return nil
}

// writeFileAtomic replaces p with data durably: write p.tmp, fsync, rename, fsync the directory.
func writeFileAtomic(p string, data []byte) error {
	tmp := p + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return errors.New("store: cannot create " + tmp + ": " + err.Error())
	}
	err = writeSyncClose(f, data)
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp)
		return errors.New("store: cannot write " + p + ": " + err.Error())
	}
	return syncDir(p)
}

// loadUUID returns the indexer UUID kept in the guarded file p (two checksummed copies; a
// damaged copy is rewritten from the other, see loadGuarded), creating a random version 4
// UUID if neither copy exists.
func loadUUID(p string, log *slog.Logger, dc *damageCounters) (string, error) {
	body, err := loadGuarded(p, legacyUUID, log, dc)
	if errors.Is(err, os.ErrNotExist) {
		u := newUUID()
		if err := writeGuarded(p, []byte(u+"\n")); err != nil {
			return "", err
		}
		return u, nil
	}
	if err != nil {
		return "", err
	}
	u := strings.TrimSpace(string(body))
	if !validUUID(u) {
		return "", errors.New("store: " + p + " does not hold a valid UUID")
	}
	return u, nil
}

// legacyUUID accepts an indexer.uuid written before the file had a checksum and a copy.
func legacyUUID(b []byte) bool { return validUUID(strings.TrimSpace(string(b))) }

// newUUID returns a random (version 4, variant 10) UUID in canonical form.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:]) // crypto/rand.Read never returns an error (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}

// validUUID reports whether u is a canonical 8-4-4-4-12 hex UUID.
func validUUID(u string) bool {
	if len(u) != 36 {
		return false
	}
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// writeSyncClose writes data to f, fsyncs and closes it, returning the first error.
func writeSyncClose(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Guarded files. The store's small metadata files (indexer.uuid, block.key and each well's
// WELL) are kept in two copies, p and p+copySuffix, written identically. Each copy is its
// content lines followed by a checksum line over them:
//
//	<content lines>
//	crc32c <8 lowercase hex digits of the CRC32C of the content>
//
// A copy that is missing, fails its checksum or differs from the other is rewritten from the
// good one at Open (logged and counted), so one damaged block of either copy loses nothing.
// Files written before the checksum existed (legacy: no checksum line, no copy) are still
// read and are rewritten in the guarded form.
const copySuffix = ".copy"

// guardCopy is what one copy of a guarded file holds.
type guardCopy struct {
	state string // guardOK, guardLegacy, guardMissing or guardDamaged
	body  []byte // the content (guardOK, guardLegacy)
	err   error  // a read error other than "does not exist" (guardDamaged)
}

// Copy states of a guarded file.
const (
	guardOK      = "ok"
	guardLegacy  = "legacy"
	guardMissing = "missing"
	guardDamaged = "damaged"
)

// appendGuarded appends body (newline-terminated lines) and its checksum line.
func appendGuarded(dst, body []byte) []byte {
	dst = append(dst, body...)
	dst = append(dst, "crc32c "...)
	var h [4]byte
	c := crc32.Checksum(body, crcTable)
	h[0], h[1], h[2], h[3] = byte(c>>24), byte(c>>16), byte(c>>8), byte(c)
	dst = hex.AppendEncode(dst, h[:])
	return append(dst, '\n')
}

// parseGuarded returns the content of a guarded file's bytes, or ok false when the checksum
// line is missing or does not match.
func parseGuarded(b []byte) (body []byte, ok bool) {
	const line = len("crc32c 01234567\n")
	if len(b) < line || b[len(b)-1] != '\n' {
		return nil, false
	}
	body, sum := b[:len(b)-line], b[len(b)-line:]
	if len(body) > 0 && body[len(body)-1] != '\n' || string(sum[:7]) != "crc32c " {
		return nil, false
	}
	var h [4]byte
	if n, err := hex.Decode(h[:], sum[7:15]); err != nil || n != 4 || !isLowerHex(sum[7:15]) {
		return nil, false
	}
	if crc32.Checksum(body, crcTable) != uint32(h[0])<<24|uint32(h[1])<<16|uint32(h[2])<<8|uint32(h[3]) {
		return nil, false
	}
	return body, true
}

func isLowerHex(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// readGuardCopy reads one copy. legacy, when not nil, accepts the unguarded form of the file
// (only ever the primary copy).
func readGuardCopy(p string, legacy func([]byte) bool) guardCopy {
	b, err := os.ReadFile(p)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return guardCopy{state: guardMissing}
	case err != nil:
		return guardCopy{state: guardDamaged, err: err}
	}
	if body, ok := parseGuarded(b); ok {
		return guardCopy{state: guardOK, body: body}
	}
	if legacy != nil && legacy(b) {
		return guardCopy{state: guardLegacy, body: b}
	}
	return guardCopy{state: guardDamaged}
}

// guardCheck is the state of both copies of a guarded file and what to do about it.
type guardCheck struct {
	path       string
	main, copy guardCopy
	body       []byte // the content to trust; nil when neither copy holds it
	// fixMain and fixCopy say which copies must be (re)written with body.
	fixMain, fixCopy bool
}

// checkGuarded reads both copies of the guarded file p (read-only).
func checkGuarded(p string, legacy func([]byte) bool) guardCheck {
	g := guardCheck{path: p, main: readGuardCopy(p, legacy), copy: readGuardCopy(p+copySuffix, nil)}
	if g.main.state == guardLegacy && g.copy.state != guardMissing {
		// legacy files have no copy: this one was guarded and lost its checksum line (a cut
		// "shard-duration 7200000000000" can read as a valid legacy "shard-duration 72000")
		g.main = guardCopy{state: guardDamaged}
	}
	switch {
	case g.main.state == guardOK:
		g.body = g.main.body
		g.fixCopy = g.copy.state != guardOK || !bytes.Equal(g.copy.body, g.body)
	case g.copy.state == guardOK:
		g.body = g.copy.body
		g.fixMain = true
	case g.main.state == guardLegacy:
		g.body = g.main.body
		g.fixMain, g.fixCopy = true, true
	}
	return g
}

// absent reports whether neither copy exists (the file was never created).
func (g *guardCheck) absent() bool {
	return g.main.state == guardMissing && g.copy.state == guardMissing
}

// problems describes, one line per copy, what is wrong with each copy; none for a healthy
// pair or a legacy file being upgraded. damage is true when a copy that existed is damaged
// or disagrees with the other (rather than missing).
func (g *guardCheck) problems() (out []guardProblem) {
	for i, c := range [2]*guardCopy{&g.main, &g.copy} {
		p := g.path
		if i == 1 {
			p += copySuffix
		}
		switch {
		case c.state == guardDamaged && c.err != nil:
			out = append(out, guardProblem{path: p, damage: true, what: "unreadable: " + c.err.Error()})
		case c.state == guardDamaged:
			out = append(out, guardProblem{path: p, damage: true, what: "fails its checksum"})
		case c.state == guardMissing && g.body != nil && !(i == 1 && g.main.state == guardLegacy):
			out = append(out, guardProblem{path: p, what: "missing"})
		case c.state == guardOK && g.body != nil && !bytes.Equal(c.body, g.body):
			out = append(out, guardProblem{path: p, damage: true, what: "differs from " + filepath.Base(g.path)})
		}
	}
	return out
}

// guardProblem is one faulty copy of a guarded file.
type guardProblem struct {
	path   string
	damage bool
	what   string
}

// repair writes the copies that need it. Call only when body is set.
func (g *guardCheck) repair() error {
	data := appendGuarded(nil, g.body)
	if g.fixCopy {
		if err := writeFileAtomic(g.path+copySuffix, data); err != nil {
			return err
		}
	}
	if g.fixMain {
		if err := writeFileAtomic(g.path, data); err != nil {
			return err
		}
	}
	return nil
}

// writeGuarded creates both copies of a guarded file holding body.
func writeGuarded(p string, body []byte) error {
	g := guardCheck{path: p, body: body, fixMain: true, fixCopy: true}
	return g.repair()
}

// loadGuarded reads the guarded file p, repairing a damaged or missing copy from the other
// (each decision logged and counted in dc), and upgrading a legacy file. It returns
// os.ErrNotExist (wrapped) when neither copy exists, and an error naming both copies when
// neither holds valid contents.
func loadGuarded(p string, legacy func([]byte) bool, log *slog.Logger, dc *damageCounters) ([]byte, error) {
	g := checkGuarded(p, legacy)
	if g.absent() {
		return nil, fmt.Errorf("store: %s: %w", p, os.ErrNotExist)
	}
	if g.body == nil {
		return nil, errors.New("store: " + p + " and its copy " + filepath.Base(p) + copySuffix +
			" are both damaged (run sluiced verify; restore one from a backup)")
	}
	for _, pr := range g.problems() {
		dc.copies.Add(1)
		log.Warn("store: metadata file copy is damaged or missing; rewritten from the good copy", "file", pr.path,
			"problem", pr.what, "bytes", len(g.body))
	}
	if g.main.state == guardLegacy {
		log.Info("store: metadata file upgraded to two checksummed copies", "file", p, "copy", p+copySuffix)
	}
	if g.fixMain || g.fixCopy {
		if err := g.repair(); err != nil {
			return nil, err
		}
	}
	return g.body, nil
}
