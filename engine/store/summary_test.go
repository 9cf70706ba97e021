package store

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sluicehq/sluice/wire"
)

// metaKey is one (tag, bucket) cell of a count.
type metaKey struct {
	tag    uint16
	bucket uint64
}

type metaCell struct{ count, bytes uint64 }

// metaCounts is what a count-only caller learns from a scan: per tag and bucket, entries and
// bytes; per tag, the newest timestamp.
type metaCounts struct {
	mu     sync.Mutex
	cells  map[metaKey]metaCell
	newest map[uint16]int64
}

func newMetaCounts() *metaCounts {
	return &metaCounts{cells: map[metaKey]metaCell{}, newest: map[uint16]int64{}}
}

func (m *metaCounts) add(tag uint16, bucket uint64, ts int64, count, bytes uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.cells[metaKey{tag, bucket}]
	c.count += count
	c.bytes += bytes
	m.cells[metaKey{tag, bucket}] = c
	if n, ok := m.newest[tag]; !ok || ts > n {
		m.newest[tag] = ts
	}
}

func (m *metaCounts) equal(t *testing.T, what string, want *metaCounts) {
	t.Helper()
	if len(m.cells) != len(want.cells) || len(m.newest) != len(want.newest) {
		t.Fatalf("%s: %d cells and %d tags, want %d and %d", what, len(m.cells), len(m.newest), len(want.cells), len(want.newest))
	}
	for k, c := range want.cells {
		if m.cells[k] != c {
			t.Fatalf("%s: tag %d bucket %d: got %+v, want %+v", what, k.tag, k.bucket, m.cells[k], c)
		}
	}
	for tag, ts := range want.newest {
		if m.newest[tag] != ts {
			t.Fatalf("%s: tag %d newest %d, want %d", what, tag, m.newest[tag], ts)
		}
	}
}

// metaScan counts q's entries by (tag, bucket of the grid origin/width) with one of the scans,
// with or without the summaries (meta), and returns the counts and the scan's block counts.
func metaScan(t *testing.T, s *Store, q ScanQuery, origin, width int64, meta bool, workers int) (*metaCounts, ScanCounts) {
	t.Helper()
	got := newMetaCounts()
	bucket := func(ts int64) uint64 { return (uint64(ts) - uint64(origin)) / uint64(width) }
	var sc ScanCounts
	q.Counts = &sc
	if meta {
		q.Meta = &MetaQuery{Origin: origin, Width: width, Add: func(w int, b *MetaBlock) error {
			if w < 0 || w >= max(workers, 1) {
				t.Errorf("Meta.Add from worker %d of %d", w, workers)
			}
			for _, mt := range b.Tags {
				var n, nb uint64
				for _, bk := range mt.Buckets {
					if bk.TS < q.Start || bk.TS >= q.End {
						t.Errorf("bucket TS %d outside [%d, %d)", bk.TS, q.Start, q.End)
					}
					got.add(mt.Tag, bucket(bk.TS), mt.Newest, bk.Count, bk.Bytes)
					n, nb = n+bk.Count, nb+bk.Bytes
				}
				if n != mt.Count || nb != mt.Bytes {
					t.Errorf("tag %d: buckets add up to %d/%d, totals %d/%d", mt.Tag, n, nb, mt.Count, mt.Bytes)
				}
			}
			return nil
		}}
	}
	each := func(batch []wire.Entry) {
		for i := range batch {
			e := &batch[i]
			got.add(e.Tag, bucket(e.TS), e.TS, 1, uint64(len(e.Data)))
		}
	}
	var err error
	if workers == 0 {
		err = s.Scan(context.Background(), q, func(b []wire.Entry) error { each(b); return nil })
	} else {
		err = s.ScanUnordered(context.Background(), q, workers, func(_ int, b []wire.Entry) error { each(b); return nil })
	}
	if err != nil {
		t.Fatal(err)
	}
	return got, sc
}

// summaryStore opens a store with many small blocks of several interleaved tags, timestamps
// with sub-second parts and runs of equal ones, over about 300 seconds.
func summaryStore(t *testing.T, r *rand.Rand, dir string) (*Store, []uint16) {
	s := openT(t, Config{Dir: dir, BlockSize: 1 << 10 * (1 + r.IntN(4))})
	ids := tagIDs(t, s, "a", "b", "c", "d")
	const base = int64(1_700_000_000) * 1e9
	for call := 0; call < 4; call++ {
		ents := make([]wire.Entry, 500+r.IntN(500))
		for i := range ents {
			ts := base + r.Int64N(300e9)
			if r.IntN(4) == 0 {
				ts -= ts % 1e9 // on a granule edge
			}
			ents[i] = wire.Entry{TS: ts, Tag: ids[r.IntN(1+r.IntN(len(ids)))], Data: []byte(strings.Repeat("x", r.IntN(60)))}
		}
		if err := s.Ingest(ents); err != nil {
			t.Fatal(err)
		}
	}
	return s, ids
}

// TestSummaryEqualsDecode is the summaries' property test: over generated data (several tags
// per block, timestamps on and off granule edges), random ranges and bucket grids (aligned to
// granules or cutting them), and blocks whose summary is missing, counting with ScanQuery.Meta
// gives exactly the counts, bytes and newest timestamps of decoding every entry, through Scan
// and ScanUnordered; and aligned grids answer most blocks from their summaries.
func TestSummaryEqualsDecode(t *testing.T) {
	var answered, considered int64
	for seed := uint64(1); seed <= 12; seed++ {
		r := rand.New(rand.NewPCG(seed, 10))
		s, ids := summaryStore(t, r, t.TempDir())
		// drop some summaries, as for blocks whose record was lost and could not be rebuilt
		s.mu.Lock()
		for _, w := range s.wells {
			for _, sh := range w.shards {
				for i := range sh.blocks {
					if r.IntN(8) == 0 {
						sh.blocks[i].sum = nil
					}
				}
			}
		}
		s.mu.Unlock()
		const base = int64(1_700_000_000) * 1e9
		for qn := 0; qn < 30; qn++ {
			tags := []uint16{ids[r.IntN(len(ids))]}
			if r.IntN(2) == 0 {
				tags = append(tags, ids[r.IntN(len(ids))])
			}
			aligned := r.IntN(3) > 0
			start, end := base+r.Int64N(200e9)-20e9, base+100e9+r.Int64N(250e9)
			width := (1 + r.Int64N(5)) * 1e9
			if aligned {
				start, end = start-start%1e9, end-end%1e9
			} else if r.IntN(2) == 0 {
				width = 1e9 + r.Int64N(3e9)
			}
			if r.IntN(10) == 0 {
				start, end = 0, MaxTimestamp
			}
			origin := start - r.Int64N(2)*width
			q := ScanQuery{Tags: tags, Start: start, End: end}
			want, _ := metaScan(t, s, q, origin, width, false, 0)
			for _, workers := range []int{0, 1, 3} {
				got, c := metaScan(t, s, q, origin, width, true, workers)
				got.equal(t, "seed "+itoa(seed)+" query "+itoa(uint64(qn)), want)
				if aligned && workers == 0 && origin%1e9 == 0 {
					answered += c.Summarised
					considered += c.Blocks
				}
				if c.Summarised > c.Blocks {
					t.Fatalf("summarised %d of %d blocks", c.Summarised, c.Blocks)
				}
			}
		}
	}
	if considered == 0 || answered*10 < considered*7 {
		t.Fatalf("aligned grids answered %d of %d blocks from summaries", answered, considered)
	}
}

func itoa(v uint64) string { return string(appendUint(nil, v)) }

func appendUint(b []byte, v uint64) []byte {
	if v >= 10 {
		b = appendUint(b, v/10)
	}
	return append(b, byte('0'+v%10))
}

// TestSummaryRebuilt: summaries survive a reopen; at Open a sidecar without them (written
// before they existed), a deleted one, and a summary record of another block (checksum
// intact, header disagrees) are rebuilt to the very summaries ingest built.
func TestSummaryRebuilt(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(3, 3))
	s, _ := summaryStore(t, r, dir)
	sums := func(s *Store) map[string][]byte {
		out := map[string][]byte{}
		s.mu.RLock()
		defer s.mu.RUnlock()
		for _, w := range s.wells {
			for _, sh := range w.shards {
				for i := range sh.blocks {
					if sh.blocks[i].sum == nil {
						t.Fatalf("%s: block %d has no summary", sh.path, sh.blocks[i].off)
					}
					out[sh.path+"@"+itoa(uint64(sh.blocks[i].off))] = sh.blocks[i].sum
				}
			}
		}
		return out
	}
	want := sums(s)
	if st := s.Stats(); st[0].SummaryBytes == 0 || st[0].SummaryBytes >= st[0].Bytes/2 {
		t.Fatalf("summary bytes %d of %d", st[0].SummaryBytes, st[0].Bytes)
	}
	s.Close()
	accs, _ := filepath.Glob(filepath.Join(dir, "wells", "default", "*"+accSuffix))
	if len(accs) != 1 {
		t.Fatalf("sidecars %v", accs)
	}
	orig, _ := os.ReadFile(accs[0])
	recs, intact := parseAccFile(orig)
	if !intact || len(recs) != len(want) {
		t.Fatalf("sidecar: %d blocks, intact %v; want %d", len(recs), intact, len(want))
	}
	check := func(what string, damage func()) {
		t.Helper()
		damage()
		log := &syncBuf{}
		s := openT(t, Config{Dir: dir, Logger: slogTo(log)})
		got := sums(s)
		s.Close()
		for k, v := range want {
			if string(got[k]) != string(v) {
				t.Fatalf("%s: summary of %s differs after rebuild", what, k)
			}
		}
		if after, _ := os.ReadFile(accs[0]); string(after) != string(orig) {
			t.Fatalf("%s: rewritten sidecar differs (%d vs %d bytes)", what, len(after), len(orig))
		}
		if !strings.Contains(log.String(), "rebuilt shard accelerators and summaries") {
			t.Fatalf("%s: rebuild not logged: %s", what, log.String())
		}
	}
	check("blooms only", func() {
		out := append([]byte(nil), accMagic...)
		for off, r := range recs {
			out = appendAccRecord(out, off, r.bloom)
		}
		os.WriteFile(accs[0], out, 0o644)
	})
	check("deleted", func() { os.Remove(accs[0]) })
	check("summary of another block", func() {
		out := append([]byte(nil), accMagic...)
		var offs []int64
		for off := range recs {
			offs = append(offs, off)
		}
		for i, off := range offs {
			out = appendAccRecord(out, off, recs[off].bloom)
			out = appendSumRecord(out, off, recs[offs[(i+1)%len(offs)]].sum)
		}
		os.WriteFile(accs[0], out, 0o644)
	})
}

// FuzzCheckSummary: checkSummary never panics, and a summary it accepts can be answered
// from (answer walks it without checks) for any range and grid.
func FuzzCheckSummary(f *testing.F) {
	var sb summaryBuilder
	sb.reset()
	sb.add(1e9+5, 3, 10)
	sb.add(1e9+7, 70, 0)
	sb.add(3e9, 3, 4)
	good := sb.build(42)
	f.Add(good, int64(1e9+5), int64(3e9), uint64(tagBit(3)|tagBit(70)), uint32(3), int64(0), int64(4e9), int64(1e9))
	f.Add(good[:len(good)-1], int64(1e9+5), int64(3e9), uint64(tagBit(3)|tagBit(70)), uint32(3), int64(2e9), int64(4e9), int64(2e9))
	f.Fuzz(func(t *testing.T, sum []byte, minTS, maxTS int64, mask uint64, count uint32, start, end, width int64) {
		if len(sum) < 4 {
			return
		}
		h := blockHeader{bodyCRC: 42, minTS: minTS, maxTS: maxTS, tagMask: mask, count: count}
		sum = append([]byte{42, 0, 0, 0}, sum[4:]...)
		if minTS < MinTimestamp || maxTS >= MaxTimestamp || minTS > maxTS || checkSummary(sum, &h) != nil {
			return
		}
		var tags [1024]uint64
		tags[0] = ^uint64(0)
		tags[1] = ^uint64(0)
		b := blockMeta{blockHeader: h, sum: sum}
		var a metaAnswer
		if start <= end {
			a.answer(&b, &recordFilter{start: start, end: end, tags: &tags}, &MetaQuery{Origin: start, Width: width})
		}
	})
}
