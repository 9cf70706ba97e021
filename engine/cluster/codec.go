package cluster

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/sluicehq/sluice/wire"
)

// Entry batches on NATS (ingest messages and search chunks) are binary:
//
//	version byte (1)
//	count   uvarint
//	count × { TS varint (Unix ns) | tag uvarint | srcLen byte (0, 4 or 16) | src | len uvarint | data }
//
// The tag is an index the message's context defines: into the one-tag header of an ingest
// message (always 0 there), or into the Tags of the scan request a search chunk answers.
const codecVersion = 1

// errCodec is wrapped by every decoding error.
var errCodec = errors.New("cluster: malformed entry batch")

// appendEntries encodes ents after dst; tag maps an entry's Tag to its index on the wire.
func appendEntries(dst []byte, ents []wire.Entry, tag func(uint16) uint64) []byte {
	dst = append(dst, codecVersion)
	dst = binary.AppendUvarint(dst, uint64(len(ents)))
	for i := range ents {
		dst = appendEntry(dst, &ents[i], tag(ents[i].Tag))
	}
	return dst
}

func appendEntry(dst []byte, e *wire.Entry, tag uint64) []byte {
	return wire.AppendEntryBinary(dst, e, tag)
}

// entrySize is an upper bound of appendEntry's output for e.
func entrySize(e *wire.Entry) int { return wire.EntryBinarySize(e) }

// decodeEntries appends the entries of b to dst. Data aliases b. tag maps a wire tag index to
// the entry's Tag; an error from it fails the decoding.
func decodeEntries(dst []wire.Entry, b []byte, tag func(uint64) (uint16, error)) ([]wire.Entry, error) {
	if len(b) == 0 || b[0] != codecVersion {
		return dst, fmt.Errorf("%w: unknown version", errCodec)
	}
	b = b[1:]
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return dst, fmt.Errorf("%w: bad count", errCodec)
	}
	b = b[k:]
	for i := uint64(0); i < n; i++ {
		var e wire.Entry
		ti, k, err := wire.ReadEntryBinary(b, &e)
		if err != nil {
			return dst, fmt.Errorf("%w: entry %d: %v", errCodec, i, err)
		}
		b = b[k:]
		if e.Tag, err = tag(ti); err != nil {
			return dst, err
		}
		dst = append(dst, e)
	}
	if len(b) != 0 {
		return dst, fmt.Errorf("%w: %d trailing bytes", errCodec, len(b))
	}
	return dst, nil
}
