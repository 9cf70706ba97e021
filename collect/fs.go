package collect

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// FS is the root under which the collector reads proc/…, sys/… and etc/… (procfs-style
// injection): "/" for this machine, a fixture directory in tests. The zero value reads "/".
type FS struct {
	Root string
}

// path returns the host path of rel ("proc/stat") under the root.
func (fs FS) path(rel string) string {
	root := fs.Root
	if root == "" {
		root = "/"
	}
	return filepath.Join(root, rel)
}

// isHost reports whether fs reads this machine's own root.
func (fs FS) isHost() bool {
	return fs.Root == "" || filepath.Clean(fs.Root) == "/"
}

// FileTooLargeError reports a file under the root larger than Config.MaxFileSize.
type FileTooLargeError struct {
	Path  string
	Limit int
}

func (e *FileTooLargeError) Error() string {
	return fmt.Sprintf("collect: %s is larger than Config.MaxFileSize (%d bytes)", e.Path, e.Limit)
}

// readFile reads rel into buf (reused, grown as needed) and returns the bytes read, at most max.
// /proc files report size 0, so it reads until EOF rather than trusting Stat.
func (fs FS) readFile(rel string, buf []byte, max int) ([]byte, error) {
	buf = buf[:0]
	f, err := os.Open(fs.path(rel))
	if err != nil {
		return buf, fmt.Errorf("collect: %w", err)
	}
	defer f.Close()
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, 4096)
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > max {
			return buf[:0], &FileTooLargeError{Path: fs.path(rel), Limit: max}
		}
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, fmt.Errorf("collect: %w", err)
		}
	}
}

// exists reports whether rel exists under the root.
func (fs FS) exists(rel string) bool {
	_, err := os.Stat(fs.path(rel))
	return err == nil
}
