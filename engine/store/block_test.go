package store

import (
	"bytes"
	"encoding/binary"
	"math"
	"net/netip"
	"slices"
	"testing"

	"github.com/sluicehq/sluice/wire"
)

// entriesFromBytes derives a sorted, valid entry list from arbitrary bytes: each entry takes
// a control byte (tag, address kind, length) and that many data bytes.
func entriesFromBytes(b []byte) []wire.Entry {
	var es []wire.Entry
	ts := int64(1e18)
	for len(b) > 0 && len(es) < 1000 {
		c := b[0]
		b = b[1:]
		n := min(int(c>>3), len(b))
		e := wire.Entry{TS: ts, Tag: uint16(c&7) * 1000, Data: b[:n]}
		switch c % 3 {
		case 1:
			e.SRC = netip.AddrFrom4([4]byte{c, 1, 2, 3})
		case 2:
			e.SRC = netip.AddrFrom16([16]byte{0x20, 1, 15: c})
		}
		b = b[n:]
		ts += int64(c & 0x11)
		es = append(es, e)
	}
	return es
}

// encodeTestBlock encodes es (sorted) into one block.
func encodeTestBlock(es []wire.Entry, codec uint8) []byte {
	var raw []byte
	var mask uint64
	for i := range es {
		raw = appendRecord(raw, &es[i])
		mask |= tagBit(es[i].Tag)
	}
	b, _ := appendBlock(nil, raw, len(es), es[0].TS, es[len(es)-1].TS, mask, codec, testKey)
	return b
}

// testKey is the block key of blocks built outside a Store in tests.
var testKey = &blockKey{secret: [blockKeySize]byte{1, 2, 3, 4, 5, 6, 7, 8}, since: 1}

// decodeTestBlock parses and decodes a whole block with an accept-all filter.
func decodeTestBlock(b []byte, descending bool) ([]wire.Entry, error) {
	h, err := parseHeader(b, testKey)
	if err != nil {
		return nil, err
	}
	if int64(len(b)) < h.size() {
		return nil, errShortHeader
	}
	raw, err := decodeBody(&h, b[blockHeaderSize:h.size()], nil)
	if err != nil {
		return nil, err
	}
	f := recordFilter{start: 0, end: math.MaxInt64, descending: descending}
	_, out, err := decodeRecords(&h, raw, nil, &f)
	return out, err
}

func sameEntries(a, b []wire.Entry) bool {
	return slices.EqualFunc(a, b, func(x, y wire.Entry) bool {
		return x.TS == y.TS && x.Tag == y.Tag && x.SRC == y.SRC && bytes.Equal(x.Data, y.Data)
	})
}

func TestBlockRoundTrip(t *testing.T) {
	es := newLineGen(1).entries(500, 1e18, 3, []uint16{0, 1, 70})
	es[10].SRC = netip.Addr{}
	es[11].SRC = netip.MustParseAddr("2001:db8::7")
	es[12].Data = nil
	for _, codec := range []uint8{codecNone, codecS2, codecZstd} {
		b := encodeTestBlock(es, codec)
		got, err := decodeTestBlock(b, false)
		if err != nil || !sameEntries(got, es) {
			t.Fatalf("codec %d: round trip failed: %v", codec, err)
		}
		got, err = decodeTestBlock(b, true)
		rev := slices.Clone(es)
		slices.Reverse(rev)
		if err != nil || !sameEntries(got, rev) {
			t.Fatalf("codec %d: descending round trip failed: %v", codec, err)
		}
		// every single-byte corruption and every truncation is caught
		for i := 0; i < len(b); i += 1 + len(b)/97 {
			c := bytes.Clone(b)
			c[i] ^= 0x01
			if _, err := decodeTestBlock(c, false); err == nil {
				t.Fatalf("codec %d: flipped byte %d not detected", codec, i)
			}
			if _, err := decodeTestBlock(b[:i], false); err == nil {
				t.Fatalf("codec %d: truncation to %d bytes not detected", codec, i)
			}
		}
	}
}

func TestDecodeRecordsFilter(t *testing.T) {
	es := []wire.Entry{{TS: 10, Tag: 1}, {TS: 20, Tag: 2}, {TS: 30, Tag: 1}, {TS: 40, Tag: 1}, {TS: 50, Tag: 2}}
	b := encodeTestBlock(es, codecS2)
	h, _ := parseHeader(b, testKey)
	raw, err := decodeBody(&h, b[blockHeaderSize:], nil)
	if err != nil {
		t.Fatal(err)
	}
	var tags [1024]uint64
	tags[0] = 1 << 1
	f := func(start, end int64, desc bool, want ...int64) {
		t.Helper()
		_, out, err := decodeRecords(&h, raw, nil, &recordFilter{start: start, end: end, tags: &tags, descending: desc})
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, e := range out {
			got = append(got, e.TS)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("[%d,%d) desc=%v: got %v, want %v", start, end, desc, got, want)
		}
	}
	f(0, 100, false, 10, 30, 40)
	f(0, 100, true, 40, 30, 10)
	f(30, 40, false, 30)
	f(11, 30, true)
	f(10, 41, true, 40, 30, 10)
}

// FuzzDecodeBlock: arbitrary bytes never panic the block or record decoders, and entries
// derived from the input survive encode → decode with every codec.
func FuzzDecodeBlock(f *testing.F) {
	es := newLineGen(2).entries(20, 1e18, 7, []uint16{3, 4})
	for _, codec := range []uint8{codecNone, codecS2, codecZstd} {
		b := encodeTestBlock(es, codec)
		f.Add(b)
		f.Add(b[:len(b)-1])
		f.Add(b[blockHeaderSize:])
	}
	f.Add([]byte{})
	f.Add([]byte("SLB1"))
	f.Add([]byte{0xff, 'a', 'b', 'c', 0x10, 'x', 'y'})
	f.Fuzz(func(t *testing.T, in []byte) {
		// 1. as a whole block
		if out, err := decodeTestBlock(in, false); err == nil {
			for _, e := range out {
				if len(e.Data) > len(in) {
					t.Fatal("entry data larger than input")
				}
			}
		}
		// 2. as raw records under a permissive header
		if len(in) > 0 {
			h := blockHeader{count: uint32(in[0]) + 1, rawLen: uint32(len(in) - 1), minTS: 0, maxTS: MaxTimestamp - 1, tagMask: math.MaxUint64}
			raw := in[1:]
			if len(raw) >= 8 {
				h.minTS = int64(binary.LittleEndian.Uint64(raw)) // so a first record can match
			}
			_, out, err := decodeRecords(&h, raw, nil, &recordFilter{start: math.MinInt64, end: math.MaxInt64})
			if err == nil && len(out) != int(h.count) {
				t.Fatalf("decoded %d of %d records", len(out), h.count)
			}
		}
		// 3. round trip of entries built from the input
		es := entriesFromBytes(in)
		if len(es) == 0 {
			return
		}
		for _, codec := range []uint8{codecNone, codecS2, codecZstd} {
			got, err := decodeTestBlock(encodeTestBlock(es, codec), false)
			if err != nil || !sameEntries(got, es) {
				t.Fatalf("codec %d: round trip of %d entries failed: %v", codec, len(es), err)
			}
		}
	})
}

// TestBlockHeaderKey: a keyed (version 2) header is accepted only with the key it was sealed
// with; version 1 headers are still read (old stores) and re-encode to the same bytes.
func TestBlockHeaderKey(t *testing.T) {
	es := newLineGen(2).entries(50, 1e18, 3, []uint16{1})
	b := encodeTestBlock(es, codecS2)
	if string(b[:4]) != "SLB2" {
		t.Fatalf("new block magic %q", b[:4])
	}
	h, err := parseHeader(b, testKey)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.appendHeader(nil, testKey); !bytes.Equal(got, b[:blockHeaderSize]) {
		t.Fatal("keyed header does not re-encode to its bytes")
	}
	other := &blockKey{secret: [blockKeySize]byte{9}, since: 1}
	if _, err := parseHeader(b, other); err != errHeaderCRC {
		t.Fatalf("header sealed with another key: %v", err)
	}
	if _, err := parseHeader(b, nil); err != errNoBlockKey {
		t.Fatalf("keyed header without a key: %v", err)
	}
	var raw []byte
	for i := range es {
		raw = appendRecord(raw, &es[i])
	}
	v1, hv1 := appendBlock(nil, raw, len(es), es[0].TS, es[len(es)-1].TS, tagBit(1), codecS2, nil)
	if string(v1[:4]) != "SLB1" || !hv1.v1 {
		t.Fatalf("unkeyed block magic %q", v1[:4])
	}
	for _, k := range []*blockKey{nil, testKey, other} {
		h, err := parseHeader(v1, k)
		if err != nil || h != hv1 {
			t.Fatalf("version 1 header with key %v: %+v, %v", k, h, err)
		}
		if got := h.appendHeader(nil, k); !bytes.Equal(got, v1[:blockHeaderSize]) {
			t.Fatal("version 1 header does not re-encode to its bytes")
		}
	}
	setSeq(b, 77, testKey)
	if h, err := parseHeader(b, testKey); err != nil || h.seq != 77 {
		t.Fatalf("after setSeq: %+v, %v", h, err)
	}
}
