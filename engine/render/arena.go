package render

import (
	"sync/atomic"
	"unsafe"
)

// item locates one stored result (an entry's SearchEntry fragment or a table row) in the arena.
type item struct {
	ts    int64  // the result's timestamp, Unix nanoseconds
	chunk uint32 // index of the arena chunk holding the fragment
	off   uint32 // fragment offset inside the chunk
	n     uint32 // fragment length, without the comma that follows it
	aux   uint16 // search tag number (entries) or number of cells (table rows)
	flags uint8  // flagBinary
}

const (
	flagBinary = 1 << iota // the entry's data is not printable UTF-8 (raw: ContainsBinaryEntries)
)

// itemSize is the index cost of one stored result, reported as SearchInfo.IndexSize.
const itemSize = int64(unsafe.Sizeof(item{}))

const (
	segShift = 10
	segItems = 1 << segShift // items per index segment
	segMask  = segItems - 1

	firstChunk = 64 << 10 // first arena chunk; chunks double up to arena.maxChunk
)

type segment [segItems]item

// arena is the append-only store of a result's encoded fragments (PROTOCOL.md §5.2 encoded
// once, when the result arrives) and their index.
//
// Fragments are appended to chunks that never move: a full chunk is left as it is and a new,
// larger one is started, so growth never copies. Every fragment is followed by a comma, so the
// fragments of consecutive results in one chunk form a ready-made JSON array body: a page is
// one memcpy per chunk it touches.
//
// NOTE: one writer, many lock-free readers. The writer (serialised by Result.wmu) fills chunk
// bytes and index items beyond the published count, then publishes with an atomic store of
// count; readers load count first and read only items below it, whose bytes are immutable from
// then on. Growing directories are copied and published atomically before count, so a reader
// that saw count also sees every segment and chunk it needs.
type arena struct {
	maxChunk int

	count  atomic.Int64               // published items
	pubSz  atomic.Int64               // bytes of the published items
	segs   atomic.Pointer[[]*segment] // index directory
	chunks atomic.Pointer[[][]byte]   // chunk directory

	// Writer state.
	n        int64  // items written (published or not)
	cur      []byte // current chunk, len = bytes used
	curIdx   uint32
	size     int64 // bytes of fragments and commas stored
	nextSize int
}

func (a *arena) init(maxChunk int) {
	a.maxChunk = maxChunk
	a.nextSize = min(firstChunk, maxChunk)
	empty := []*segment{}
	a.segs.Store(&empty)
	noChunks := [][]byte{}
	a.chunks.Store(&noChunks)
}

// tail returns the unused room of the current chunk as a zero-length slice to encode into.
// The caller appends one fragment to it and hands the result to commit.
func (a *arena) tail() []byte {
	return a.cur[len(a.cur):]
}

// commit stores frag (the slice returned by appending to tail) as a new item. When the fragment
// outgrew the chunk, append has moved it elsewhere: it is copied into a fresh chunk.
// The item is written but not published.
func (a *arena) commit(frag []byte, it item) {
	need := len(frag) + 1
	if cap(a.cur)-len(a.cur) >= need && sameStart(frag, a.cur[len(a.cur):]) {
		it.chunk, it.off = a.curIdx, uint32(len(a.cur))
		a.cur = a.cur[:len(a.cur)+need]
		a.cur[len(a.cur)-1] = ','
		a.addItem(it, int64(len(frag)))
		return
	}
	a.newChunk(need)
	copy(a.cur[:len(frag)], frag)
	it.chunk, it.off = a.curIdx, 0
	a.cur = a.cur[:need]
	a.cur[need-1] = ','
	a.addItem(it, int64(len(frag)))
}

// sameStart reports whether frag was encoded in place at the start of room.
func sameStart(frag, room []byte) bool {
	return cap(room) > 0 && len(frag) > 0 && unsafe.SliceData(frag) == unsafe.SliceData(room[:1])
}

func (a *arena) newChunk(need int) {
	size := a.nextSize
	if size < need {
		size = need
	}
	if a.nextSize < a.maxChunk {
		a.nextSize = min(a.nextSize*2, a.maxChunk)
	}
	c := make([]byte, 0, size)
	old := *a.chunks.Load()
	var dir [][]byte
	if len(old) < cap(old) {
		// The old directory has room: readers never look past their own snapshot's length,
		// and the slot being written is beyond every published length.
		dir = append(old, c)
	} else {
		dir = make([][]byte, len(old)+1, 2*len(old)+4)
		copy(dir, old)
		dir[len(old)] = c
	}
	a.chunks.Store(&dir)
	a.cur = c
	a.curIdx = uint32(len(dir) - 1)
}

func (a *arena) addItem(it item, fragLen int64) {
	it.n = uint32(fragLen)
	si := int(a.n >> segShift)
	segs := *a.segs.Load()
	if si == len(segs) {
		var dir []*segment
		if len(segs) < cap(segs) {
			dir = append(segs, new(segment))
		} else {
			dir = make([]*segment, len(segs)+1, 2*len(segs)+4)
			copy(dir, segs)
			dir[len(segs)] = new(segment)
		}
		a.segs.Store(&dir)
		segs = dir
	}
	segs[si][a.n&segMask] = it
	a.n++
	a.size += fragLen + 1
}

// publish makes every written item visible to readers.
func (a *arena) publish() {
	a.pubSz.Store(a.size)
	a.count.Store(a.n)
}

// release drops the arena's memory; readers holding a view keep what they reference.
func (a *arena) release() {
	a.count.Store(0)
	a.pubSz.Store(0)
	empty := []*segment{}
	a.segs.Store(&empty)
	noChunks := [][]byte{}
	a.chunks.Store(&noChunks)
	a.cur, a.n, a.size = nil, 0, 0
}

// view is a reader's snapshot of the arena: the published count and the directories.
type view struct {
	n      int64
	size   int64
	segs   []*segment
	chunks [][]byte
}

// snapshot returns a consistent view of the published items.
func (a *arena) snapshot() view {
	n := a.count.Load()
	size := a.pubSz.Load()
	// Chunks before segments: release empties segments first, so a reader that still sees the
	// old segments also holds the old chunks.
	chunks := *a.chunks.Load()
	segs := *a.segs.Load()
	if max := int64(len(segs)) << segShift; n > max {
		n = max // released meanwhile
	}
	return view{n: n, size: size, segs: segs, chunks: chunks}
}

func (v *view) item(i int64) *item { return &v.segs[i>>segShift][i&segMask] }

// frag returns item it's fragment bytes.
func (v *view) frag(it *item) []byte {
	return v.chunks[it.chunk][it.off : it.off+it.n : it.off+it.n]
}

// appendJoined appends the fragments of items [from, to), separated by commas: one copy per
// run of items that lie back to back in a chunk.
func (v *view) appendJoined(dst []byte, from, to int64) []byte {
	for i := from; i < to; {
		first := v.item(i)
		c := v.chunks[first.chunk]
		end := first.off + first.n
		j := i + 1
		for ; j < to; j++ {
			it := v.item(j)
			if it.chunk != first.chunk || it.off != end+1 {
				break
			}
			end = it.off + it.n
		}
		if i > from {
			dst = append(dst, ',')
		}
		dst = append(dst, c[first.off:end]...)
		i = j
	}
	return dst
}
