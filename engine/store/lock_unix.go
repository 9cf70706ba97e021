//go:build unix

package store

import (
	"errors"
	"os"
	"syscall"
)

// lockDir takes an exclusive advisory lock on p (created if missing) so that two Stores, in
// one process or several, never write the same directory. The lock dies with the process.
func lockDir(p string) (*os.File, error) {
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, errors.New("store: cannot open lock file: " + err.Error())
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errors.New("store: data directory is in use by another Store (" + p + " is locked)")
		}
		return nil, errors.New("store: cannot lock " + p + ": " + err.Error())
	}
	return f, nil
}

// unlockDir releases the lock taken by lockDir.
func unlockDir(f *os.File) error { return f.Close() }
