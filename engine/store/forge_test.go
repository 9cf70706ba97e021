package store

import (
	"bytes"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/wire"
)

// forgedImage builds, with the store's own block encoder, a complete block image (header and
// body) of entries that were never ingested, sealed with key (nil: an unkeyed version 1
// header) and stamped with commit sequence number seq.
func forgedImage(id uint16, ts int64, seq uint64, key *blockKey) ([]byte, []rec) {
	var raw []byte
	var want []rec
	for i := range 5 {
		e := wire.Entry{TS: ts + int64(i), Tag: id, Data: []byte("forged entry " + strings.Repeat("x", i))}
		raw = appendRecord(raw, &e)
		want = append(want, recOf(&e))
	}
	img, _ := appendBlock(nil, raw, len(want), ts, ts+4, tagBit(id), codecNone, key)
	setSeq(img, seq, key)
	return img, want
}

// TestResyncRejectsForgedBlock: an entry whose Data carries a well-formed block image (built
// with the store's encoder, with a plausible sequence number and time range) is stored inside
// a real block; then the real block's header is destroyed and the index removed, so recovery
// must search the damaged block for the next valid header. A forged image without the store's
// block key (keyed with another key, or unkeyed) is not accepted; only the damaged block's own
// entries are missing. The control case forges with the store's real key and shows that
// resync would otherwise recover the forged entries (so the test can fail).
func TestResyncRejectsForgedBlock(t *testing.T) {
	for _, c := range []struct {
		name     string
		key      func(s *Store) *blockKey
		accepted bool
	}{
		{"other-key", func(*Store) *blockKey { return &blockKey{secret: [blockKeySize]byte{0xee}, since: 1} }, false},
		{"unkeyed-v1", func(*Store) *blockKey { return nil }, false},
		{"control-store-key", func(s *Store) *blockKey { return s.key }, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openT(t, Config{Dir: dir, BlockSize: 16 << 10, Compression: CompressionNone})
			id := tagIDs(t, s, "a")[0]
			g := newLineGen(5)
			var all []rec
			var forged []rec
			for b := range 5 {
				ts := 1e18 + int64(b)*1e9
				es := g.entries(40, ts, 1000, []uint16{id})
				if b == 2 {
					// the block's sequence number will be the next commit's: the forged one
					// claims the same, which resync would find plausible
					var img []byte
					img, forged = forgedImage(id, ts+500, s.commit.seq+1, c.key(s))
					es[20].Data = append(append([]byte("carrier "), img...), " end"...)
				}
				if err := s.Ingest(es); err != nil {
					t.Fatal(err)
				}
				for i := range es {
					all = append(all, recOf(&es[i]))
				}
			}
			sh := s.wells[0].shards[0]
			blocks := append([]blockMeta(nil), sh.blocks...)
			p := sh.path
			s.Close()
			if len(blocks) != 5 {
				t.Fatalf("%d blocks, want 5", len(blocks))
			}
			data, _ := os.ReadFile(p)
			victim := blocks[2]
			if !bytes.Contains(data[victim.off+blockHeaderSize:victim.off+victim.size()], []byte("SLB")) {
				t.Fatal("the forged image is not stored verbatim")
			}
			os.Remove(p + idxSuffix)
			writeAtT(t, p, victim.off, make([]byte, blockHeaderSize))
			var log syncBuf
			s = openT(t, Config{Dir: dir, Logger: slogTo(&log)})
			got := scanAll(t, s, ScanQuery{Tags: []uint16{id}, End: math.MaxInt64})
			have := map[rec]bool{}
			for _, r := range got {
				have[r] = true
			}
			if c.accepted {
				if !have[forged[0]] {
					t.Fatalf("control: resync did not accept a block sealed with the store's key\n%s", log.String())
				}
				return
			}
			for _, f := range forged {
				if have[f] {
					t.Fatalf("resync accepted a forged block: entry %+v returned\n%s", f, log.String())
				}
			}
			checkLoss(t, got, all, damagedRecs(all, blocks, victim.off, victim.off+1))
			if !strings.Contains(log.String(), "damaged block skipped and quarantined") {
				t.Fatalf("damage not logged:\n%s", log.String())
			}
		})
	}
}
