package store

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/bits"
	"net/netip"
	"strconv"
	"sync"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/sluicehq/sluice/wire"
)

// Block layout on disk (little endian):
//
//	0  [4]  magic "SLB2" (keyed header, version 2) or "SLB1" (version 1)
//	4  [1]  codec (codecNone, codecS2, codecZstd)
//	5  [3]  reserved, zero
//	8  [4]  entry count
//	12 [4]  decoded body length (records)
//	16 [4]  stored body length
//	20 [4]  CRC32C of the stored body
//	24 [8]  minimum timestamp
//	32 [8]  maximum timestamp
//	40 [8]  tag mask: bit (tag % 64) set for every tag in the block
//	48 [8]  commit sequence number of the group that wrote the block
//	56 [4]  header check of bytes 0..56: version 2, the first 4 bytes (little endian) of
//	        SHA-256(block key | bytes 0..56); version 1, their CRC32C
//	60      stored body
//
// The block key is a random per-store secret (blockKey, kept in the guarded file block.key).
// Because the header check of a version 2 block needs it, and the header holds the body's
// CRC32C, ingested data cannot carry a block image that recovery's resync (which searches a
// damaged range for the next valid header) would accept: whoever writes entries does not know
// the key. Version 1 blocks (written before stores had a key) are still read, but only with a
// commit sequence number below the key's "since": an unkeyed header from a later commit is
// forged. New blocks are always version 2.
//
// The decoded body is the block's records sorted by timestamp. One record:
//
//	TS int64 | tag uint16 | address kind uint8 (0 none, 4, 6) | 0, 4 or 16 address bytes |
//	data length uvarint | data
const (
	blockHeaderSize   = 60
	recordFixed       = 8 + 2 + 1
	maxRecordOverhead = recordFixed + 16 + binary.MaxVarintLen32
)

var (
	blockMagic   = [4]byte{'S', 'L', 'B', '2'}
	blockMagicV1 = [4]byte{'S', 'L', 'B', '1'}
)

// Codec IDs stored in block headers.
const (
	codecNone uint8 = 0
	// NOTE: S2 (default mode) is the default codec, chosen by BenchmarkCodec
	// (block_timing_test.go) and a one-off comparison of every s2 and zstd level on 512 KiB
	// blocks of generated syslog / JSON access log / netflow records, on this shared 2-core
	// AMD EPYC (stored/raw ratio, encode, decode, single core):
	//
	//	s2 default     0.335   760 MB/s   2.0 GB/s
	//	s2 better      0.315   320 MB/s   1.7 GB/s
	//	zstd fastest   0.229   225 MB/s   1.07 GB/s
	//	zstd default   0.229   160 MB/s   0.9 GB/s
	//
	// zstd saves about a third of the disk, but its decoder alone runs at about the 1 GB/s a
	// whole scan must reach (read, checksum, decode, parse), and its encoder would eat a core
	// at the 200+ MB/s of records that 1M entries/s means. S2 default leaves headroom on both
	// sides; "better" mode costs 2.4x the encode time for 6% less space. Disk is the cheaper
	// resource here. CompressionZstd remains available for stores that prefer space.
	codecS2   uint8 = 1
	codecZstd uint8 = 2
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// blockHeader is a decoded block header. It is also the in-memory index entry of a block.
type blockHeader struct {
	codec   uint8
	count   uint32
	rawLen  uint32
	bodyLen uint32
	bodyCRC uint32
	minTS   int64
	maxTS   int64
	tagMask uint64
	seq     uint64
	v1      bool // a version 1 header (CRC32C, no key)
}

// size returns the block's size on disk.
func (h *blockHeader) size() int64 { return blockHeaderSize + int64(h.bodyLen) }

// appendHeader appends the encoded header, including its check: keyed with key (which must
// not be nil) for a version 2 header.
func (h *blockHeader) appendHeader(dst []byte, key *blockKey) []byte {
	start := len(dst)
	if h.v1 {
		dst = append(dst, blockMagicV1[:]...)
	} else {
		dst = append(dst, blockMagic[:]...)
	}
	dst = append(dst, h.codec, 0, 0, 0)
	dst = binary.LittleEndian.AppendUint32(dst, h.count)
	dst = binary.LittleEndian.AppendUint32(dst, h.rawLen)
	dst = binary.LittleEndian.AppendUint32(dst, h.bodyLen)
	dst = binary.LittleEndian.AppendUint32(dst, h.bodyCRC)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(h.minTS))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(h.maxTS))
	dst = binary.LittleEndian.AppendUint64(dst, h.tagMask)
	dst = binary.LittleEndian.AppendUint64(dst, h.seq)
	return binary.LittleEndian.AppendUint32(dst, headerCheck(dst[start:], key))
}

// headerCheck returns the check of the first 56 bytes of header b: keyed for a version 2
// magic, a CRC32C for version 1.
func headerCheck(b []byte, key *blockKey) uint32 {
	if [4]byte(b[0:4]) == blockMagicV1 {
		return crc32.Checksum(b[:56], crcTable)
	}
	var in [blockKeySize + 56]byte
	copy(in[:], key.secret[:])
	copy(in[blockKeySize:], b[:56])
	sum := sha256.Sum256(in[:])
	return binary.LittleEndian.Uint32(sum[:])
}

// setSeq stamps the commit sequence number into an encoded block header b and re-seals it.
func setSeq(b []byte, seq uint64, key *blockKey) {
	binary.LittleEndian.PutUint64(b[48:], seq)
	binary.LittleEndian.PutUint32(b[56:], headerCheck(b, key))
}

var (
	errShortHeader = errors.New("short block header")
	errBadMagic    = errors.New("bad block magic")
	errHeaderCRC   = errors.New("block header checksum mismatch")
	errBodyCRC     = errors.New("block body checksum mismatch")
	errNoBlockKey  = errors.New("keyed block header, but the store has no block key")
)

// parseHeader decodes and checks a block header: magic, check (keyed with key for version 2)
// and field sanity.
func parseHeader(b []byte, key *blockKey) (blockHeader, error) {
	var h blockHeader
	if len(b) < blockHeaderSize {
		return h, errShortHeader
	}
	switch [4]byte(b[0:4]) {
	case blockMagic:
		if key == nil {
			return h, errNoBlockKey
		}
	case blockMagicV1:
		h.v1 = true
	default:
		return h, errBadMagic
	}
	if headerCheck(b, key) != binary.LittleEndian.Uint32(b[56:]) {
		return h, errHeaderCRC
	}
	h.codec = b[4]
	h.count = binary.LittleEndian.Uint32(b[8:])
	h.rawLen = binary.LittleEndian.Uint32(b[12:])
	h.bodyLen = binary.LittleEndian.Uint32(b[16:])
	h.bodyCRC = binary.LittleEndian.Uint32(b[20:])
	h.minTS = int64(binary.LittleEndian.Uint64(b[24:]))
	h.maxTS = int64(binary.LittleEndian.Uint64(b[32:]))
	h.tagMask = binary.LittleEndian.Uint64(b[40:])
	h.seq = binary.LittleEndian.Uint64(b[48:])
	switch {
	case b[5] != 0 || b[6] != 0 || b[7] != 0:
		return h, errors.New("reserved header bytes set")
	case h.codec > codecZstd:
		return h, errors.New("unknown codec " + strconv.Itoa(int(h.codec)))
	case h.count == 0:
		return h, errors.New("empty block")
	case h.rawLen > maxBlockRaw || uint64(h.count)*recordFixed > uint64(h.rawLen):
		return h, errors.New("bad decoded length " + strconv.FormatUint(uint64(h.rawLen), 10))
	case h.bodyLen > maxBlockRaw+maxBlockRaw/8:
		return h, errors.New("bad body length " + strconv.FormatUint(uint64(h.bodyLen), 10))
	case h.minTS > h.maxTS || h.minTS < MinTimestamp || h.maxTS >= MaxTimestamp:
		return h, errors.New("bad time bounds")
	case h.tagMask == 0:
		return h, errors.New("empty tag mask")
	}
	return h, nil
}

// tagBit returns the tag mask bit of a tag ID.
func tagBit(tag uint16) uint64 { return 1 << (tag & 63) }

// appendRecord appends one entry's record. The SRC zone must be empty (Ingest checks).
func appendRecord(dst []byte, e *wire.Entry) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, uint64(e.TS))
	dst = binary.LittleEndian.AppendUint16(dst, e.Tag)
	switch {
	case !e.SRC.IsValid():
		dst = append(dst, 0)
	case e.SRC.Is4():
		a := e.SRC.As4()
		dst = append(dst, 4)
		dst = append(dst, a[:]...)
	default:
		a := e.SRC.As16()
		dst = append(dst, 6)
		dst = append(dst, a[:]...)
	}
	dst = binary.AppendUvarint(dst, uint64(len(e.Data)))
	return append(dst, e.Data...)
}

// recordSize returns the encoded size of e's record.
func recordSize(e *wire.Entry) int {
	n := recordFixed + uvarintLen(uint64(len(e.Data))) + len(e.Data)
	if e.SRC.IsValid() {
		if e.SRC.Is4() {
			n += 4
		} else {
			n += 16
		}
	}
	return n
}

func uvarintLen(v uint64) int { return (bits.Len64(v|1) + 6) / 7 }

// zstd coders are shared: EncodeAll and DecodeAll are safe for concurrent use.
var (
	zstdEncoder = sync.OnceValue(func() *zstd.Encoder {
		e, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderCRC(false),
			zstd.WithLowerEncoderMem(true))
		if err != nil {
			panic("BUG: zstd encoder options: " + err.Error())
		}
		return e
	})
	zstdDecoder = sync.OnceValue(func() *zstd.Decoder {
		d, err := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(maxBlockRaw), zstd.WithDecoderConcurrency(0))
		if err != nil {
			panic("BUG: zstd decoder options: " + err.Error())
		}
		return d
	})
)

// appendBlock compresses raw (count records sorted by timestamp, with the given bounds and tag
// mask) with codec and appends the whole block, header first. It also returns the header. The
// header is version 2, keyed with key; a nil key writes version 1 (tests of old stores).
func appendBlock(dst, raw []byte, count int, minTS, maxTS int64, mask uint64, codec uint8, key *blockKey) ([]byte, blockHeader) {
	start := len(dst)
	dst = append(dst, make([]byte, blockHeaderSize)...)
	bodyStart := len(dst)
	switch codec {
	case codecS2:
		n := s2.MaxEncodedLen(len(raw))
		if cap(dst)-bodyStart < n {
			dst = append(dst[:cap(dst)], make([]byte, bodyStart+n-cap(dst))...)
		}
		body := s2.Encode(dst[bodyStart:bodyStart+n], raw)
		dst = dst[:bodyStart+len(body)]
	case codecZstd:
		dst = zstdEncoder().EncodeAll(raw, dst)
	default:
		dst = append(dst, raw...)
	}
	h := blockHeader{
		codec:   codec,
		count:   uint32(count),
		rawLen:  uint32(len(raw)),
		bodyLen: uint32(len(dst) - bodyStart),
		bodyCRC: crc32.Checksum(dst[bodyStart:], crcTable),
		minTS:   minTS,
		maxTS:   maxTS,
		tagMask: mask,
		v1:      key == nil,
	}
	h.appendHeader(dst[start:start], key)
	return dst, h
}

// decodeBody checks body against h and decodes it into buf (grown if needed, returned).
func decodeBody(h *blockHeader, body, buf []byte) ([]byte, error) {
	if uint32(len(body)) != h.bodyLen {
		return buf, errors.New("short block body")
	}
	if crc32.Checksum(body, crcTable) != h.bodyCRC {
		return buf, errBodyCRC
	}
	n := int(h.rawLen)
	switch h.codec {
	case codecNone:
		if len(body) != n {
			return buf, errors.New("stored length differs from decoded length")
		}
		return append(buf[:0], body...), nil
	case codecS2:
		if dl, err := s2.DecodedLen(body); err != nil || dl != n {
			return buf, errors.New("s2 length differs from decoded length")
		}
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		out, err := s2.Decode(buf[:n], body)
		if err != nil {
			return buf, errors.New("s2: " + err.Error())
		}
		return out, nil
	case codecZstd:
		if cap(buf) < n {
			buf = make([]byte, 0, n)
		}
		out, err := zstdDecoder().DecodeAll(body, buf[:0])
		if err != nil {
			return buf, errors.New("zstd: " + err.Error())
		}
		if len(out) != n {
			return out, errors.New("zstd length differs from decoded length")
		}
		return out, nil
	}
	return buf, errors.New("unknown codec")
}

// recordFilter selects records while decoding. A nil tags bitmap accepts every tag.
type recordFilter struct {
	start, end int64         // [start, end)
	tags       *[1024]uint64 // bitmap of accepted tag IDs
	descending bool
}

func (f *recordFilter) accepts(tag uint16) bool {
	return f.tags == nil || f.tags[tag>>6]&(1<<(tag&63)) != 0
}

var errRecord = errors.New("malformed record")

// decodeRecords parses h.count records from raw, checks them against h (count, order, bounds,
// tag mask, exact length) and stores the accepted ones into dst, which is grown to h.count if
// needed. Entries point into raw. In descending mode they are stored newest first. It returns
// dst (possibly reallocated) and the accepted entries, a sub-slice of it.
func decodeRecords(h *blockHeader, raw []byte, dst []wire.Entry, f *recordFilter) ([]wire.Entry, []wire.Entry, error) {
	n := int(h.count)
	if cap(dst) < n {
		dst = make([]wire.Entry, n)
	}
	dst = dst[:n]
	// kept entries fill dst from the front (ascending) or from the back (descending).
	lo, hi := 0, n
	prev := h.minTS
	off := 0
	for i := 0; i < n; i++ {
		if len(raw)-off < recordFixed {
			return dst, nil, errRecord
		}
		ts := int64(binary.LittleEndian.Uint64(raw[off:]))
		tag := binary.LittleEndian.Uint16(raw[off+8:])
		kind := raw[off+10]
		off += recordFixed
		if ts < prev || ts > h.maxTS || h.tagMask&tagBit(tag) == 0 {
			return dst, nil, errRecord
		}
		if i == 0 && ts != h.minTS || i == n-1 && ts != h.maxTS {
			return dst, nil, errRecord
		}
		prev = ts
		var src netip.Addr
		switch kind {
		case 0:
		case 4:
			if len(raw)-off < 4 {
				return dst, nil, errRecord
			}
			src = netip.AddrFrom4([4]byte(raw[off : off+4]))
			off += 4
		case 6:
			if len(raw)-off < 16 {
				return dst, nil, errRecord
			}
			src = netip.AddrFrom16([16]byte(raw[off : off+16]))
			off += 16
		default:
			return dst, nil, errRecord
		}
		dl, m := binary.Uvarint(raw[off:])
		if m <= 0 || dl > uint64(len(raw)-off-m) {
			return dst, nil, errRecord
		}
		off += m
		end := off + int(dl)
		if ts >= f.start && ts < f.end && f.accepts(tag) {
			e := wire.Entry{TS: ts, SRC: src, Tag: tag, Data: raw[off:end:end]}
			if f.descending {
				hi--
				dst[hi] = e
			} else {
				dst[lo] = e
				lo++
			}
		}
		off = end
	}
	if off != len(raw) {
		return dst, nil, errRecord
	}
	if f.descending {
		return dst, dst[hi:], nil
	}
	return dst, dst[:lo], nil
}
