package store

import (
	"testing"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// codecRaw builds one block's worth (size bytes) of records of realistic log lines.
func codecRaw(size int) (raw []byte, count int, minTS, maxTS int64) {
	g := newLineGen(1)
	ts := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC).UnixNano()
	minTS = ts
	var line []byte
	for len(raw) < size {
		line = g.line(line[:0], count%3, ts)
		e := wire.Entry{TS: ts, SRC: g.addr(), Tag: uint16(count % 3), Data: line}
		raw = appendRecord(raw, &e)
		maxTS = ts
		ts += int64(time.Millisecond) + int64(g.r.IntN(1000))
		count++
	}
	return raw, count, minTS, maxTS
}

// BenchmarkCodec compares block codecs on realistic log lines: ratio (stored/raw) and
// encode/decode throughput of raw bytes. It is the measurement behind the default codec.
func BenchmarkCodec(b *testing.B) {
	raw, count, minTS, maxTS := codecRaw(DefaultBlockSize)
	for _, c := range []struct {
		name  string
		codec uint8
	}{{"s2", codecS2}, {"zstd", codecZstd}, {"none", codecNone}} {
		blk, _ := appendBlock(nil, raw, count, minTS, maxTS, 7, c.codec, testKey)
		h, err := parseHeader(blk, testKey)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name+"/decode", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			buf := make([]byte, len(raw))
			for b.Loop() {
				out, err := decodeBody(&h, blk[blockHeaderSize:], buf)
				if err != nil || len(out) != len(raw) {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(blk))/float64(len(raw)), "ratio")
		})
		b.Run(c.name+"/encode", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			dst := make([]byte, 0, 2*len(raw))
			for b.Loop() {
				dst, _ = appendBlock(dst[:0], raw, count, minTS, maxTS, 7, c.codec, testKey)
			}
			b.ReportMetric(float64(len(dst))/float64(len(raw)), "ratio")
		})
	}
}

// BenchmarkBlockHeader measures what a block header costs to seal (setSeq, run once per block
// at commit) and to check (parseHeader, run per block at Open and by resync), keyed (version
// 2: SHA-256 with the store's block key) and unkeyed (version 1: CRC32C). Bytes are the
// header's 60.
func BenchmarkBlockHeader(b *testing.B) {
	raw, count, minTS, maxTS := codecRaw(64 << 10)
	for _, c := range []struct {
		name string
		key  *blockKey
	}{{"keyed", testKey}, {"v1", nil}} {
		blk, _ := appendBlock(nil, raw, count, minTS, maxTS, 7, codecNone, c.key)
		hdr := blk[:blockHeaderSize]
		b.Run(c.name+"/seal", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(blockHeaderSize)
			seq := uint64(0)
			for b.Loop() {
				seq++
				setSeq(hdr, seq, c.key)
			}
		})
		b.Run(c.name+"/parse", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(blockHeaderSize)
			for b.Loop() {
				if _, err := parseHeader(hdr, c.key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
