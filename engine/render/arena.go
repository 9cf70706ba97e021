package render

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"unsafe"

	"github.com/sluicehq/sluice/engine/budget"
)

// item locates one stored result (an entry's SearchEntry fragment or a table row) in the
// render store file. Fragments lie back to back, each followed by a comma, so an item records
// only where its comma ends: it starts where the one before it ends.
type item struct {
	ts int64  // the result's timestamp, Unix nanoseconds
	w  uint64 // next (offBits) | aux << offBits | flags << (offBits+16)
}

const (
	offBits  = 40 // a render store file holds at most 1 TiB
	offMask  = 1<<offBits - 1
	maxStore = 1 << offBits
)

// next returns the offset just past the fragment's comma: where the next fragment starts.
func (it *item) next() int64 { return int64(it.w & offMask) }

// aux returns the search tag number (entries) or the number of cells (table rows).
func (it *item) aux() uint16 { return uint16(it.w >> offBits) }

// flags returns flagBinary or 0.
func (it *item) flags() uint8 { return uint8(it.w >> (offBits + 16)) }

func packItem(next int64, aux uint16, flags uint8) uint64 {
	return uint64(next) | uint64(aux)<<offBits | uint64(flags)<<(offBits+16)
}

const (
	flagBinary = 1 << iota // the entry's data is not printable UTF-8 (raw: ContainsBinaryEntries)
)

// itemSize is the RAM cost of one stored result's index entry, reported as
// SearchInfo.IndexSize.
const itemSize = int64(unsafe.Sizeof(item{}))

const (
	segShift = 10
	segItems = 1 << segShift // items per index segment
	segMask  = segItems - 1
	segBytes = segItems * itemSize

	// DefaultWriteBuffer is the default size of a render store's write buffer.
	DefaultWriteBuffer = 256 << 10
)

type segment [segItems]item

// errStoreFull is the arena's answer when a fragment would pass a limit; the Result decides
// which one from arena.full.
var errStoreFull = errors.New("render store full")

// arena is the append-only store of a result's encoded fragments (PROTOCOL.md §5.2: encoded
// once, when the result arrives) and their index. The fragments live in a file (one per
// search, under Spec.Dir, removed by release), read back through the page cache with pread;
// RAM holds the index (16 bytes per result, in segments reserved from the memory budget) and
// one bounded write buffer.
//
// Every fragment is followed by a comma, so the fragments of consecutive results form a
// ready-made JSON array body: a page, a time window or a stream block is one pread of
// contiguous bytes between a prebuilt head and trailer.
//
// NOTE: one writer, many lock-free readers. The writer (serialised by Result.wmu) encodes into
// the write buffer, writes it to the file at the end of every batch (or when it fills) and
// only then publishes the new count with an atomic store; readers load count first and read
// only items below it, whose bytes are in the file and immutable from then on. Growing index
// directories are copied and published atomically before count.
type arena struct {
	dir       string
	anonymous bool // the file's name is removed at once (Spec.Anonymous)
	bufCap    int
	limit     int64          // per-search bytes in the file (render_store_limit_mb)
	mem       *budget.Budget // index segments and the write buffer
	disk      *budget.Budget // file bytes, process-wide

	count atomic.Int64               // published items
	segs  atomic.Pointer[[]*segment] // index directory
	file  atomic.Pointer[os.File]

	// Writer state.
	f        *os.File
	n        int64  // items written (published or not)
	size     int64  // bytes of fragments and commas written or buffered: the next offset
	flushed  int64  // bytes in the file
	nFlushed int64  // items whose bytes are all in the file
	buf      []byte // bytes [flushed, size)
	memHeld  int64  // bytes reserved from mem
	diskHeld int64  // bytes reserved from disk (>= flushed)
	full     error  // why the store stopped taking results: a *budget.Error, a limit or an I/O error
	lost     int64  // items taken back by the last failed flush, at indexes [n, n+lost)
}

// init prepares an empty arena; the file is created by the first flush.
func (a *arena) init(dir string, bufCap int, limit int64, mem, disk *budget.Budget) {
	a.dir, a.bufCap, a.limit, a.mem, a.disk = dir, bufCap, min(limit, maxStore), mem, disk
	empty := []*segment{}
	a.segs.Store(&empty)
}

// reserveBuffer takes the write buffer from the memory budget: the launch minimum.
func (a *arena) reserveBuffer() error {
	if !a.mem.Reserve(int64(a.bufCap) + segBytes) {
		return a.mem.Error("a render store's write buffer and first index segment", int64(a.bufCap)+segBytes)
	}
	a.memHeld += int64(a.bufCap) + segBytes
	a.buf = make([]byte, 0, a.bufCap)
	return nil
}

// room makes sure the write buffer has at least need free bytes when it can (flushing it
// first) and returns its free room as a zero-length slice to encode into. The caller appends
// one fragment to it and hands the result to commit.
func (a *arena) room(need int) []byte {
	if a.buf == nil && a.full == nil {
		if err := a.reserveBuffer(); err != nil {
			a.full = err
		}
	}
	if cap(a.buf)-len(a.buf) < need && len(a.buf) > 0 {
		a.flush()
	}
	return a.buf[len(a.buf):]
}

// commit stores frag (the slice returned by appending to room) as a new item and reports
// whether it could; on false a.full says why. The item is written but not published.
func (a *arena) commit(frag []byte, ts int64, aux uint16, flags uint8) bool {
	need := int64(len(frag)) + 1
	if a.full != nil {
		return false
	}
	if a.size+need > a.limit {
		a.full = errStoreFull
		return false
	}
	if a.size+need > a.diskHeld {
		grant := max(need, 1<<20)
		got := a.disk.ReserveUpTo(need, grant)
		if got == 0 {
			a.full = a.disk.Error("a render store's file", need)
			return false
		}
		a.diskHeld += got
	}
	if a.n&segMask == 0 && !a.addSegment() {
		return false
	}
	it := item{ts: ts, w: packItem(a.size+need, aux, flags)}
	room := a.buf[len(a.buf):]
	switch {
	case int64(cap(room)) >= need && sameStart(frag, room):
		a.buf = a.buf[:len(a.buf)+int(need)]
		a.buf[len(a.buf)-1] = ','
	case int(need) <= cap(a.buf):
		// The fragment outgrew the buffer while it was encoded: append moved it.
		if len(a.buf)+int(need) > cap(a.buf) && !a.flush() {
			return false
		}
		a.buf = append(append(a.buf, frag...), ',')
	default:
		// Larger than the whole buffer: straight to the file.
		if !a.flush() || !a.open() || !a.writeAt(frag, a.size) || !a.writeAt([]byte{','}, a.size+int64(len(frag))) {
			return false
		}
		a.flushed += need
		a.nFlushed = a.n + 1
	}
	(*a.segs.Load())[a.n>>segShift][a.n&segMask] = it
	a.n++
	a.size += need
	return true
}

// sameStart reports whether frag was encoded in place at the start of room.
func sameStart(frag, room []byte) bool {
	return cap(room) > 0 && len(frag) > 0 && unsafe.SliceData(frag) == unsafe.SliceData(room[:1])
}

// addSegment reserves and appends an index segment for item a.n.
func (a *arena) addSegment() bool {
	segs := *a.segs.Load()
	if int(a.n>>segShift) < len(segs) {
		return true // allocated before a rollback
	}
	if a.n > 0 { // the first segment came with the write buffer
		if !a.mem.Reserve(segBytes) {
			a.full = a.mem.Error("a render store's index", segBytes)
			return false
		}
		a.memHeld += segBytes
	}
	var dir []*segment
	if len(segs) < cap(segs) {
		dir = append(segs, new(segment))
	} else {
		dir = make([]*segment, len(segs)+1, 2*len(segs)+4)
		copy(dir, segs)
		dir[len(segs)] = new(segment)
	}
	a.segs.Store(&dir)
	return true
}

// flush writes the buffer to the file. On failure the buffered items are taken back (the
// caller records them as dropped, see unflushed) and a.full says why.
func (a *arena) flush() bool {
	if len(a.buf) == 0 {
		return a.full == nil
	}
	if !a.open() || !a.writeAt(a.buf, a.flushed) {
		a.rollback()
		return false
	}
	a.flushed += int64(len(a.buf))
	a.nFlushed = a.n
	a.buf = a.buf[:0]
	return true
}

// createStore creates a render store file in dir; tests replace it to make writes fail.
var createStore = func(dir string) (*os.File, error) { return os.CreateTemp(dir, "search-*.render") }

// open creates the file on first use.
func (a *arena) open() bool {
	if a.f != nil {
		return true
	}
	f, err := createStore(a.dir)
	if err != nil {
		a.full = fmt.Errorf("render store: %w", err)
		return false
	}
	if a.anonymous {
		os.Remove(f.Name()) // the open file keeps the data until it is closed
	}
	a.f = f
	a.file.Store(f)
	return true
}

func (a *arena) writeAt(b []byte, off int64) bool {
	if _, err := a.f.WriteAt(b, off); err != nil {
		a.full = fmt.Errorf("render store: writing %s: %w", a.f.Name(), err)
		return false
	}
	return true
}

// rollback forgets the items whose bytes never reached the file; they stay readable with
// item (at indexes unflushed returns) until the next commit.
func (a *arena) rollback() {
	a.lost += a.n - a.nFlushed
	a.n, a.size, a.buf = a.nFlushed, a.flushed, a.buf[:0]
}

// publish writes the buffer and makes every written item visible to readers.
func (a *arena) publish() {
	a.flush()
	a.count.Store(a.n)
}

// release removes the file and gives back what the arena reserved; readers holding a view
// get an error from their next read.
func (a *arena) release() {
	a.count.Store(0)
	empty := []*segment{}
	a.segs.Store(&empty)
	a.file.Store(nil)
	if a.f != nil {
		a.f.Close()
		os.Remove(a.f.Name())
		a.f = nil
	}
	a.mem.Release(a.memHeld)
	a.disk.Release(a.diskHeld)
	a.memHeld, a.diskHeld = 0, 0
	a.buf, a.n, a.size, a.flushed, a.nFlushed = nil, 0, 0, 0, 0
	if a.full == nil {
		a.full = errReleased
	}
}

var errReleased = errors.New("render store released")

// view is a reader's snapshot of the arena: the published count and the directories.
type view struct {
	n    int64
	size int64 // bytes of the published items
	segs []*segment
	f    *os.File
}

// snapshot returns a consistent view of the published items.
func (a *arena) snapshot() view {
	n := a.count.Load()
	f := a.file.Load()
	segs := *a.segs.Load()
	if max := int64(len(segs)) << segShift; n > max || (n > 0 && f == nil) {
		n = 0 // released meanwhile
	}
	v := view{n: n, segs: segs, f: f}
	if n > 0 {
		v.size = v.item(n - 1).next()
	}
	return v
}

func (v *view) item(i int64) *item { return &v.segs[i>>segShift][i&segMask] }

// start returns the offset of item i's fragment.
func (v *view) start(i int64) int64 {
	if i == 0 {
		return 0
	}
	return v.item(i - 1).next()
}

// appendJoined appends the fragments of items [from, to), separated by their commas: one
// pread of contiguous bytes.
func (v *view) appendJoined(dst []byte, from, to int64) ([]byte, error) {
	if to <= from {
		return dst, nil
	}
	return v.appendBytes(dst, v.start(from), v.item(to-1).next()-1)
}

// appendFrag appends item i's fragment.
func (v *view) appendFrag(dst []byte, i int64) ([]byte, error) {
	return v.appendBytes(dst, v.start(i), v.item(i).next()-1)
}

func (v *view) appendBytes(dst []byte, off, end int64) ([]byte, error) {
	n := int(end - off)
	if cap(dst)-len(dst) < n {
		dst = growBytes(dst, n)
	}
	b := dst[len(dst) : len(dst)+n]
	if _, err := v.f.ReadAt(b, off); err != nil {
		return dst, err
	}
	return dst[:len(dst)+n], nil
}

// growBytes returns dst with room for n more bytes.
func growBytes(dst []byte, n int) []byte {
	out := make([]byte, len(dst), max(2*cap(dst), len(dst)+n))
	copy(out, dst)
	return out
}
