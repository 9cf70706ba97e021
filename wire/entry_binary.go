package wire

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// The binary form of an entry's header and data that sluice's cluster sends between nodes
// (entry batches on NATS, sort buffers of partial aggregates):
//
//	TS varint (Unix ns) | tag uvarint | srcLen byte (0, 4 or 16) | src | len uvarint | data
//
// The tag is a number the enclosing message defines (an index into its tag list, or a tag ID).

// ErrEntryBinary is returned by ReadEntryBinary for bytes that are not an entry.
var ErrEntryBinary = errors.New("malformed binary entry")

// AppendEntryBinary appends e's timestamp, source and data, with tag as its tag, to dst.
func AppendEntryBinary(dst []byte, e *Entry, tag uint64) []byte {
	dst = binary.AppendVarint(dst, e.TS)
	dst = binary.AppendUvarint(dst, tag)
	switch {
	case !e.SRC.IsValid():
		dst = append(dst, 0)
	case e.SRC.Is4():
		a := e.SRC.As4()
		dst = append(append(dst, 4), a[:]...)
	default:
		a := e.SRC.As16()
		dst = append(append(dst, 16), a[:]...)
	}
	dst = binary.AppendUvarint(dst, uint64(len(e.Data)))
	return append(dst, e.Data...)
}

// EntryBinarySize is an upper bound of AppendEntryBinary's output for e.
func EntryBinarySize(e *Entry) int { return 10 + 10 + 17 + 10 + len(e.Data) }

// ReadEntryBinary decodes the entry at the start of b into e (leaving e.Tag and e.EVs alone;
// e.Data aliases b) and returns its tag number and the bytes it took. The error, wrapping
// ErrEntryBinary, names the part that is wrong.
func ReadEntryBinary(b []byte, e *Entry) (tag uint64, n int, err error) {
	ts, k := binary.Varint(b)
	if k <= 0 {
		return 0, 0, errors.Join(ErrEntryBinary, errors.New("bad timestamp"))
	}
	n += k
	tag, k = binary.Uvarint(b[n:])
	if k <= 0 {
		return 0, 0, errors.Join(ErrEntryBinary, errors.New("bad tag"))
	}
	n += k
	if n >= len(b) {
		return 0, 0, errors.Join(ErrEntryBinary, errors.New("truncated"))
	}
	sl := int(b[n])
	n++
	var src netip.Addr
	switch {
	case sl == 0:
	case sl == 4 && len(b)-n >= 4:
		src = netip.AddrFrom4([4]byte(b[n : n+4]))
	case sl == 16 && len(b)-n >= 16:
		src = netip.AddrFrom16([16]byte(b[n : n+16]))
	default:
		return 0, 0, errors.Join(ErrEntryBinary, errors.New("bad source length"))
	}
	n += sl
	dl, k := binary.Uvarint(b[n:])
	if k <= 0 || dl > uint64(len(b)-n-k) {
		return 0, 0, errors.Join(ErrEntryBinary, errors.New("bad data length"))
	}
	n += k
	e.TS, e.SRC, e.Data = ts, src, b[n:n+int(dl):n+int(dl)]
	return tag, n + int(dl), nil
}
