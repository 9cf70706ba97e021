package store

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"log/slog"
	"os"

	"github.com/sluicehq/sluice/wire"
)

// Accelerator sidecar files: one per shard, SHARD.acc, holding records about its blocks:
//
//	magic "SLACC1\n\x00"
//	records: payload length uint32 | payload | CRC32C of length and payload
//	payload: block offset uint64 | kind uint8 | kind's fields
//	  kind 1, fulltext bloom: k uint8 | words uint32 | words × uint64
//	  kind 2, block summary: the summary (summary.go)
//
// A block has at most one record of each kind. The committer appends the records of each
// group after the group is durable; they are not fsynced on their own (they are derived
// data). At Open every block of a shard is matched with its records by offset (a summary also
// by body checksum, count, bounds and tags); a missing, torn or damaged record is rebuilt from
// the block, and the file is rewritten atomically when anything had to be rebuilt or dropped.
// Files written before summaries existed hold only kind 1 records; their summaries are built
// at the first Open.
const accSuffix = ".acc"

var accMagic = []byte("SLACC1\n\x00")

const (
	accKindFulltext = 1
	accKindSummary  = 2
	accFixed        = 8 + 1 + 1 + 4
	// maxAccWords bounds one record (a block holds at most maxBlockRaw bytes of records, so
	// far fewer distinct tokens than this many bits).
	maxAccWords = maxBlockRaw / 8
	// maxAccRecord bounds a record's payload: the larger of a bloom filter and a summary (at
	// most one granule of up to 3 uvarints per record of at least recordFixed bytes, plus a
	// fixed part per tag).
	maxAccRecord = 4*maxBlockRaw + 64
)

// appendAccRecord appends the sidecar record of block off's bloom filter.
func appendAccRecord(dst []byte, off int64, b *bloom) []byte {
	start := len(dst)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(accFixed+8*len(b.bits)))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(off))
	dst = append(dst, accKindFulltext, b.k)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(b.bits)))
	for _, w := range b.bits {
		dst = binary.LittleEndian.AppendUint64(dst, w)
	}
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], crcTable))
}

// appendSumRecord appends the sidecar record of block off's summary.
func appendSumRecord(dst []byte, off int64, sum []byte) []byte {
	start := len(dst)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(9+len(sum)))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(off))
	dst = append(dst, accKindSummary)
	dst = append(dst, sum...)
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], crcTable))
}

// sumRecordSize returns the size in the sidecar of the record of a summary.
func sumRecordSize(sum []byte) int { return 4 + 9 + len(sum) + 4 }

// accRecs are the records a sidecar holds about one block.
type accRecs struct {
	bloom *bloom
	sum   []byte // unchecked against the block
}

// parseAccFile returns the intact records of a sidecar file by block offset, and whether the
// whole file was intact.
func parseAccFile(b []byte) (map[int64]accRecs, bool) {
	out := map[int64]accRecs{}
	if len(b) < len(accMagic) || string(b[:len(accMagic)]) != string(accMagic) {
		return out, false
	}
	b = b[len(accMagic):]
	for len(b) > 0 {
		if len(b) < 4 {
			return out, false
		}
		n := int(binary.LittleEndian.Uint32(b))
		if n < 9 || n > maxAccRecord || len(b) < 4+n+4 {
			return out, false
		}
		rec := b[:4+n]
		if crc32.Checksum(rec, crcTable) != binary.LittleEndian.Uint32(b[4+n:]) {
			return out, false
		}
		p := rec[4:]
		off := int64(binary.LittleEndian.Uint64(p))
		r := out[off]
		switch p[8] {
		case accKindFulltext:
			if n < accFixed {
				return out, false
			}
			k, words := p[9], int(binary.LittleEndian.Uint32(p[10:]))
			if k == 0 || k > 16 || words == 0 || n != accFixed+8*words {
				return out, false
			}
			bl := &bloom{k: k, bits: make([]uint64, words)}
			for i := range bl.bits {
				bl.bits[i] = binary.LittleEndian.Uint64(p[accFixed+8*i:])
			}
			r.bloom = bl
		case accKindSummary:
			r.sum = append([]byte(nil), p[9:]...)
		default:
			return out, false
		}
		out[off] = r
		b = b[4+n+4:]
	}
	return out, true
}

// appendAccFile appends encoded records to the sidecar of the shard at shardPath, creating it
// with its magic if needed.
func appendAccFile(shardPath string, records []byte) error {
	f, err := os.OpenFile(shardPath+accSuffix, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	if st, err := f.Stat(); err == nil && st.Size() == 0 {
		records = append(append([]byte(nil), accMagic...), records...)
	}
	_, err = f.Write(records)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// loadAccel attaches accelerators and summaries to the shard's blocks from its sidecar file,
// rebuilding what is missing or damaged (bloom filters only when the well builds them;
// summaries always; a rebuilt block is read and decoded once), and rewrites the sidecar when
// it did not match the blocks exactly. Failures are logged, never fatal: a block without an
// accelerator is simply always read, one without a summary is decoded to be counted.
//
// stale says the bloom filters were built for another spec than cfg's (accelStale): they
// are then all rebuilt, or dropped when cfg builds none. It reports whether the sidecar now
// matches cfg.
func (sh *shard) loadAccel(cfg *AccelConfig, stale bool, log *slog.Logger) bool {
	p := sh.path + accSuffix
	data, err := os.ReadFile(p)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		log.Warn("store: cannot read accelerator file; rebuilding it", "file", p, "err", err)
	}
	recs, intact := parseAccFile(data)
	if len(data) == 0 {
		intact = true
	}
	rebuilt, dropped := 0, 0
	for off, r := range recs {
		dropped += boolInt(r.bloom != nil) + boolInt(r.sum != nil)
		if stale && r.bloom != nil {
			r.bloom, intact = nil, false
			recs[off] = r
		}
	}
	var ab accelBuilder
	var sb summaryBuilder
	var comp []byte
	var c cursor
	all := recordFilter{start: MinTimestamp, end: MaxTimestamp}
	for i := range sh.blocks {
		b := &sh.blocks[i]
		if sh.isBad(b.off) {
			continue // quarantined: never read
		}
		r := recs[b.off]
		if r.bloom != nil {
			r.bloom.spec = cfg.spec
			b.acc = r.bloom
			dropped--
		}
		if r.sum != nil {
			dropped--
			if err := checkSummary(r.sum, &b.blockHeader); err != nil {
				log.Warn("store: block summary rejected; rebuilding it", "file", p, "offset", b.off, "reason", err.Error())
			} else {
				b.sum = r.sum
			}
		}
		needBloom := b.acc == nil && cfg.enabled()
		if !needBloom && b.sum != nil {
			continue
		}
		ents, err := readBlock(sh, b, &comp, &c, &all)
		if err != nil {
			log.Warn("store: cannot rebuild a block's accelerator and summary; the block will always be read", "file", sh.path, "offset", b.off, "err", err)
			continue
		}
		if needBloom {
			ab.reset()
			for k := range ents {
				ab.addEntry(cfg.spec, &ents[k])
			}
			b.acc = ab.build(cfg.CollisionRate)
			b.acc.spec = cfg.spec
		}
		if b.sum == nil {
			b.sum = summaryOf(&sb, &b.blockHeader, ents)
		}
		rebuilt++
	}
	if intact && rebuilt == 0 && dropped == 0 {
		return true
	}
	out := append([]byte(nil), accMagic...)
	for i := range sh.blocks {
		b := &sh.blocks[i]
		if b.acc != nil {
			out = appendAccRecord(out, b.off, b.acc)
		}
		if b.sum != nil {
			out = appendSumRecord(out, b.off, b.sum)
		}
	}
	if err := writeIdxFile(p, out); err != nil {
		log.Warn("store: cannot rewrite accelerator file", "file", p, "err", err)
		return false
	}
	if rebuilt > 0 || !intact {
		log.Info("store: rebuilt shard accelerators and summaries", "file", p, "rebuilt_blocks", rebuilt, "dropped_records", dropped, "damaged", !intact && !stale, "spec_changed", stale)
	}
	return true
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// accelBytes returns the bytes the well's accelerators and block summaries take on disk
// (their sidecar records), and of those the summaries'. Caller holds Store.mu.
func (w *well) accelBytes() (all, summaries uint64) {
	for _, sh := range w.shards {
		for i := range sh.blocks {
			b := &sh.blocks[i]
			if b.acc != nil {
				all += uint64(4 + accFixed + b.acc.size() + 4)
			}
			if b.sum != nil {
				n := uint64(sumRecordSize(b.sum))
				all += n
				summaries += n
			}
		}
	}
	return all, summaries
}

// buildAccel returns the accelerator of the block holding keys' entries, or nil when their
// well builds none.
func (s *Store) buildAccel(st *ingestState, entries []wire.Entry, keys []ingestKey) *bloom {
	cfg := &s.wells[keys[0].well].accel
	if !cfg.enabled() {
		return nil
	}
	st.ab.reset()
	for _, k := range keys {
		st.ab.addEntry(cfg.spec, &entries[k.i])
	}
	b := st.ab.build(cfg.CollisionRate)
	b.spec = cfg.spec
	return b
}

// accRecord is a published block's accelerator and summary waiting to be written to its
// sidecar.
type accRecord struct {
	sh  *shard
	off int64
	acc *bloom // nil: none
	sum []byte
}

// writeAccels appends the records of a committed group's accelerators and summaries to their
// shards' sidecar files, one write per shard. Committer only; a failure is logged (the blocks
// keep them in memory, and the next Open rebuilds the missing records).
func (s *Store) writeAccels(accs []accRecord) {
	var rec []byte
	for i := 0; i < len(accs); {
		sh := accs[i].sh
		rec = rec[:0]
		j := i
		for ; j < len(accs) && accs[j].sh == sh; j++ {
			if accs[j].acc != nil {
				rec = appendAccRecord(rec, accs[j].off, accs[j].acc)
			}
			rec = appendSumRecord(rec, accs[j].off, accs[j].sum)
		}
		if err := appendAccFile(sh.path, rec); err != nil {
			s.log.Warn("store: cannot write accelerator file; it is rebuilt at the next open", "file", sh.path+accSuffix, "err", err)
		}
		i = j
	}
}
