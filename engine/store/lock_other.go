//go:build !unix

package store

import (
	"errors"
	"os"
)

// lockDir creates p exclusively. Without flock, a stale LOCK left by a crashed process must be
// removed by hand; the error says so.
func lockDir(p string) (*os.File, error) {
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, errors.New("store: cannot lock data directory (remove " + p + " if no sluice process uses it): " + err.Error())
	}
	return f, nil
}

// unlockDir releases the lock taken by lockDir.
func unlockDir(f *os.File) error {
	err := f.Close()
	if rerr := os.Remove(f.Name()); err == nil {
		err = rerr
	}
	return err
}
