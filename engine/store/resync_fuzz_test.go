package store

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// resyncKey keys the version 2 blocks of resyncShard: blocks from commit 4 on.
var resyncKey = &blockKey{secret: [blockKeySize]byte{0x5a, 0xa5}, since: 4}

// resyncShard is a shard file of several small blocks, built once for FuzzResync: three
// version 1 blocks (commits 1-3, as an old store wrote them) then three keyed ones.
var resyncShard = sync.OnceValues(func() ([]byte, []blockMeta) {
	var file []byte
	var blocks []blockMeta
	g := newLineGen(9)
	for b := range 6 {
		es := g.entries(8, 1e18+int64(b)*1e6, 1000, []uint16{1, 2})
		raw := []byte{}
		var mask uint64
		for i := range es {
			raw = appendRecord(raw, &es[i])
			mask |= tagBit(es[i].Tag)
		}
		off := int64(len(file))
		var h blockHeader
		key := resyncKey
		if uint64(b+1) < resyncKey.since {
			key = nil
		}
		file, h = appendBlock(file, raw, len(es), es[0].TS, es[len(es)-1].TS, mask, []uint8{codecNone, codecS2, codecZstd}[b%3], key)
		setSeq(file[off:], uint64(b+1), key)
		h.seq = uint64(b + 1)
		blocks = append(blocks, blockMeta{off: off, blockHeader: h})
	}
	return file, blocks
})

// FuzzResync: a shard with arbitrary bytes written over it at an arbitrary offset (and
// optionally cut short) never panics recovery, and every block the damage did not touch is
// recovered intact, with the same offset and header. Recovery may keep a damaged block only
// if it still passes every check (the fuzzer wrote its own bytes back). A block recovered at
// an offset where none was written must be an unkeyed one from before the key (a copy of an
// old block's bytes): without the key, no input can make resync accept a keyed header, nor an
// unkeyed one from a commit after the key existed.
func FuzzResync(f *testing.F) {
	file, blocks := resyncShard()
	f.Add(uint32(0), []byte{0xff}, uint32(0))
	f.Add(uint32(70), []byte("SLB1SLB1SLB1"), uint32(0))
	f.Add(uint32(len(file)/2), make([]byte, 4096), uint32(0))
	f.Add(uint32(len(file)-3), []byte{1, 2, 3}, uint32(10))
	f.Add(uint32(len(file)), []byte("SLB1 garbage appended"), uint32(0))
	f.Add(uint32(200), append([]byte("SLB1"), file[4:200]...), uint32(0))
	// forged block images: keyed with another key, and unkeyed from a commit after the key
	other := &blockKey{secret: [blockKeySize]byte{1}, since: 1}
	for _, k := range []*blockKey{other, nil} {
		img, _ := forgedImage(1, 1e18+5e6, 5, k)
		f.Add(uint32(blocks[4].off+blockHeaderSize+10), img, uint32(0))
		f.Add(uint32(blocks[4].off), append(make([]byte, blockHeaderSize+3), img...), uint32(0))
	}
	f.Fuzz(func(t *testing.T, at uint32, patch []byte, cut uint32) {
		orig, blocks := resyncShard()
		data := append([]byte(nil), orig...)
		off := int64(at) % int64(len(data)+1)
		end := off + int64(len(patch))
		if end > int64(len(data)) {
			data = append(data, make([]byte, end-int64(len(data)))...)
		}
		copy(data[off:], patch)
		if c := int64(cut) % 64; c > 0 && c < int64(len(data)) {
			data = data[:int64(len(data))-c]
		}
		dir := t.TempDir()
		p := filepath.Join(dir, shardName(999997200000000000))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		fh, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		w := &well{name: "default", dir: dir, dur: int64(time.Hour)}
		env := &loadEnv{committed: 100, log: quietLogger(), dc: &damageCounters{}, key: resyncKey}
		sh, err := recoverShard(w, fh, p, 999997200000000000, env, false)
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64]blockHeader{}
		written := map[int64]bool{}
		for _, b := range blocks {
			written[b.off] = true
		}
		for _, b := range sh.blocks {
			got[b.off] = b.blockHeader
			if !written[b.off] && (!b.v1 || b.seq >= resyncKey.since) {
				t.Fatalf("resync accepted a block at %d where none was written: %+v", b.off, b.blockHeader)
			}
		}
		damagedUntil := min(int64(len(data)), int64(len(orig)))
		for _, b := range blocks {
			touched := b.off < end && b.off+b.size() > off && len(patch) > 0
			if !touched && b.off+b.size() <= damagedUntil {
				if h, ok := got[b.off]; !ok || h != b.blockHeader {
					t.Fatalf("intact block at %d lost (patch %d bytes at %d, file %d bytes); recovered %v", b.off, len(patch), off, len(data), got)
				}
			}
		}
		// every recovered block reads back
		var comp []byte
		var c cursor
		all := recordFilter{start: MinTimestamp, end: MaxTimestamp}
		for i := range sh.blocks {
			if _, err := readBlock(sh, &sh.blocks[i], &comp, &c, &all); err != nil {
				t.Fatalf("recovered block at %d does not read: %v", sh.blocks[i].off, err)
			}
		}
	})
}
