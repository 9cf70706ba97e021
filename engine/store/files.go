package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
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

// loadUUID returns the indexer UUID kept in p, creating a random version 4 UUID if p does not
// exist.
func loadUUID(p string) (string, error) {
	b, err := os.ReadFile(p)
	if err == nil {
		u := strings.TrimSpace(string(b))
		if !validUUID(u) {
			return "", errors.New("store: " + p + " does not hold a valid UUID")
		}
		return u, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", errors.New("store: cannot read indexer UUID: " + err.Error())
	}
	u := newUUID()
	if err := writeFileAtomic(p, []byte(u+"\n")); err != nil {
		return "", err
	}
	return u, nil
}

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
