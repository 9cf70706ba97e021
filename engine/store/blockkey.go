package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// blockKeyName is the guarded file (two checksummed copies, see loadGuarded) in the data
// directory that holds the block key:
//
//	block-key <64 hex digits>
//	since <commit sequence number>
const blockKeyName = "block.key"

// blockKeySize is the length of the block key's secret.
const blockKeySize = 32

// blockKey is the per-store secret mixed into the check of every version 2 block header (see
// the block layout in block.go).
type blockKey struct {
	secret [blockKeySize]byte
	// since is the first commit sequence number of blocks written with the key. Every block
	// from it on is version 2, so an unkeyed (version 1) header with a sequence number at or
	// above it was not written by the store.
	since uint64
}

// body encodes k as the content of block.key.
func (k *blockKey) body() []byte {
	b := []byte("block-key ")
	b = hex.AppendEncode(b, k.secret[:])
	b = append(b, "\nsince "...)
	b = strconv.AppendUint(b, k.since, 10)
	return append(b, '\n')
}

// parseBlockKey decodes the content of block.key.
func parseBlockKey(b []byte) (*blockKey, bool) {
	line, rest, ok := strings.Cut(string(b), "\n")
	if !ok {
		return nil, false
	}
	hx, ok := strings.CutPrefix(line, "block-key ")
	k := &blockKey{}
	if !ok || len(hx) != 2*blockKeySize || !isLowerHex([]byte(hx)) {
		return nil, false
	}
	if _, err := hex.Decode(k.secret[:], []byte(hx)); err != nil {
		return nil, false
	}
	sinceLine, ok := strings.CutSuffix(rest, "\n")
	if !ok {
		return nil, false
	}
	v, ok := strings.CutPrefix(sinceLine, "since ")
	if !ok {
		return nil, false
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		return nil, false
	}
	k.since = n
	return k, true
}

// loadBlockKey reads the store's block key (repairing one damaged copy). It returns nil, nil
// when the store has none yet; see createBlockKey.
func loadBlockKey(dir string, log *slog.Logger, dc *damageCounters) (*blockKey, error) {
	p := filepath.Join(dir, blockKeyName)
	body, err := loadGuarded(p, nil, log, dc)
	if errors.Is(err, os.ErrNotExist) {
		if v2 := findKeyedShard(filepath.Join(dir, "wells")); v2 != "" {
			return nil, errors.New("store: " + p + " and its copy are missing, but " + v2 +
				" holds keyed blocks, which cannot be checked without it: restore " + blockKeyName + " from a backup")
		}
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	k, ok := parseBlockKey(body)
	if !ok {
		return nil, errors.New("store: " + p + " holds no valid block key")
	}
	return k, nil
}

// createBlockKey makes a new random block key for blocks from commit since on and writes it.
func createBlockKey(dir string, since uint64) (*blockKey, error) {
	k := &blockKey{since: since}
	rand.Read(k.secret[:]) // crypto/rand.Read never returns an error (Go 1.24+)
	if err := writeGuarded(filepath.Join(dir, blockKeyName), k.body()); err != nil {
		return nil, err
	}
	return k, nil
}

// findKeyedShard returns the path of a shard file whose first block is keyed (version 2), or
// "": a store without block.key must not hold any.
func findKeyedShard(wells string) string {
	ws, _ := os.ReadDir(wells)
	for _, w := range ws {
		files, _ := os.ReadDir(filepath.Join(wells, w.Name()))
		for _, f := range files {
			if _, ok := parseShardName(f.Name()); !ok {
				continue
			}
			p := filepath.Join(wells, w.Name(), f.Name())
			fh, err := os.Open(p)
			if err != nil {
				continue
			}
			var m [4]byte
			_, err = fh.ReadAt(m[:], 0)
			fh.Close()
			if err == nil && m == blockMagic {
				return p
			}
		}
	}
	return ""
}
