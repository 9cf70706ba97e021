package render

import (
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/sluicehq/sluice/engine/budget"
	"github.com/sluicehq/sluice/wire"
)

// Result is one search's render store: everything the search's renderer keeps, and the answers
// to every render-module request about it (PROTOCOL.md §4–§6).
//
// Concurrency: one pipeline (or embedder) calls Add, Progress, SetInfo and Finish, in any
// goroutines; any number of consumers call Handle and Stream at the same time. Readers of
// stored entries take no lock at all (see arena); the small shared state (SearchInfo,
// metadata, table columns, chart and gauge values) sits behind an RWMutex held only for the
// time it takes to copy or encode it. A Result does not depend on the search package: an
// embedder can push its own entries and statistics into it.
type Result struct {
	spec Spec
	kind kind
	args renderArgs
	raw  bool // the raw renderer: ContainsBinaryEntries
	// noZoom: the renderer ignores time windows (gauge, numbercard, table -nt).
	noZoom bool

	wmu      sync.Mutex // serialises writers: Add, Finish, Release
	arena    arena      // entry fragments or table rows
	lastTS   int64
	orderW   uint32 // writer's copy of order
	extraTag map[uint16]uint16
	lastTag  [2]uint16 // store ID and search number of the previous entry's tag
	hasLast  bool
	enc      wire.EntryEncoder
	rowEVs   []*wire.EV // table scratch: the row's value per column

	count    atomic.Uint64 // entries that entered the renderer
	order    atomic.Uint32 // orderDesc|orderAsc while the stored results are in that time order
	finished atomic.Bool
	released atomic.Bool
	over     atomic.Bool
	dropMin  atomic.Int64
	dropMax  atomic.Int64
	dropSeen atomic.Bool
	current  atomic.Int64
	hasCur   atomic.Bool
	condSize atomic.Int64 // bytes held by chart and gauge values
	condN    atomic.Int64 // chart time slices or gauge values held
	tags     atomic.Pointer[tagSet]

	mu         sync.RWMutex
	info       wire.SearchInfo
	finishedAt time.Time
	meta       metadata
	columns    []string // table columns (grow only)
	colIdx     map[string]int
	chart      chartState
	gauge      gaugeState
	warnSeries uint64 // chart points dropped by MaxSeries

	notifyMu sync.Mutex
	notify   chan struct{}
	waiting  bool

	overWarning atomic.Pointer[string]
	warning     atomic.Pointer[string] // set by Warn: e.g. store data the scan could not read
}

const (
	orderDesc = 1 << iota // every stored result's TS is <= the one before it
	orderAsc              // every stored result's TS is >= the one before it
)

// tagSet is the search's tag numbering: names and the encoded Tags map.
type tagSet struct {
	names []string
	json  []byte
}

func newTagSet(names []string) *tagSet {
	return &tagSet{names: names, json: wire.AppendTags(nil, names)}
}

// NewResult returns an empty Result for spec. It fails when the renderer or its arguments are
// invalid (see Validate).
func NewResult(spec Spec) (*Result, error) {
	spec.defaults()
	args, err := parseArgs(spec.Renderer, spec.Args)
	if err != nil {
		return nil, err
	}
	rd, _ := Lookup(spec.Renderer)
	k := rd.family
	r := &Result{spec: spec, kind: k, args: args, raw: spec.Renderer == "raw",
		noZoom: rd.TimeZoomDisabled(spec.Args), orderW: orderDesc | orderAsc}
	r.order.Store(orderDesc | orderAsc)
	r.arena.init(spec.Dir, spec.WriteBuffer, spec.Limit, spec.Memory, spec.Disk)
	r.arena.anonymous = spec.Anonymous
	if k == kindEntries || k == kindTable {
		// The launch minimum: the write buffer and the first index segment.
		if err := r.arena.reserveBuffer(); err != nil {
			return nil, err
		}
	}
	r.tags.Store(newTagSet(append([]string(nil), spec.TagNames...)))
	r.meta.init(&r.spec)
	r.info.Descending = true
	switch k {
	case kindTable:
		r.columns = append([]string(nil), args.columns...)
		r.colIdx = make(map[string]int)
		for i, c := range r.columns {
			r.colIdx[c] = i
		}
	case kindChart:
		r.chart.init()
	case kindGauge:
		r.gauge.init(args.columns)
	}
	r.notify = make(chan struct{})
	return r, nil
}

// Renderer returns the renderer name.
func (r *Result) Renderer() string { return r.spec.Renderer }

// Count returns the number of entries that have entered the renderer.
func (r *Result) Count() uint64 { return r.count.Load() }

// OverLimit reports whether the render store reached its limit and dropped results (§5.12).
func (r *Result) OverLimit() bool { return r.over.Load() }

// Limit returns the render store's limit in bytes.
func (r *Result) Limit() int64 { return r.spec.Limit }

// Finished reports whether Finish has been called.
func (r *Result) Finished() bool { return r.finished.Load() }

// Add takes a batch of pipeline output. Non-condensing renderers encode each entry to its
// SearchEntry JSON once, here, into the arena; tables encode their row; charts and gauges
// update their values. Nothing of batch is kept: entries may be reused after Add returns.
// Past Spec.Limit entries are counted but not stored (PROTOCOL.md §5.12).
func (r *Result) Add(batch []wire.Entry) {
	if len(batch) == 0 {
		return
	}
	r.wmu.Lock()
	if r.released.Load() {
		r.wmu.Unlock()
		return
	}
	// Pass 1, no shared lock: encode into the arena.
	switch r.kind {
	case kindEntries:
		for i := range batch {
			r.addEntry(&batch[i])
		}
	case kindTable:
		for i := range batch {
			r.addRow(&batch[i])
		}
	}
	// Pass 2: the state readers share.
	r.mu.Lock()
	for i := range batch {
		e := &batch[i]
		r.meta.add(e, r.searchTag(e.Tag), r)
		switch r.kind {
		case kindChart:
			r.addPoint(e)
		case kindGauge:
			r.addGauge(e)
		}
	}
	if r.kind == kindChart {
		r.chart.sortSlices()
	}
	r.mu.Unlock()
	r.order.Store(r.orderW)
	r.arena.publish()
	r.takeLost()
	r.count.Add(uint64(len(batch)))
	r.wmu.Unlock()
	r.wake()
}

// Progress records the timestamp the search has reached (REQ_STATS_GET_LOCATION Current and
// SearchInfo.LastUpdate).
func (r *Result) Progress(ts int64) {
	r.current.Store(ts)
	r.hasCur.Store(true)
}

// Finish marks the search complete; err, when not nil, becomes SearchInfo.Error
// (PROTOCOL.md §4.4). Requests answered after Finish report Finished: true, and streams send
// their terminator.
func (r *Result) Finish(err error) {
	r.wmu.Lock()
	r.mu.Lock()
	if r.finishedAt.IsZero() {
		r.finishedAt = time.Now()
	}
	if err != nil {
		r.info.Error = err.Error()
	}
	r.mu.Unlock()
	r.finished.Store(true)
	r.wmu.Unlock()
	r.wake()
}

// Warn sets a warning about the results (for example damaged store data the search skipped);
// every later response carries it in Warning, after the render-store limit warning if both
// apply. Safe for concurrent use.
func (r *Result) Warn(msg string) { r.warning.Store(&msg) }

// SetInfo lets the search fill or update its SearchInfo under the Result's lock. The live
// fields (StoreSize, IndexSize, ItemCount, Duration, LastUpdate, MinZoomWindow when 0) are
// computed when a response is written. fn must not keep the pointer.
func (r *Result) SetInfo(fn func(*wire.SearchInfo)) {
	r.mu.Lock()
	fn(&r.info)
	r.mu.Unlock()
}

// Info returns a copy of the SearchInfo with its live fields filled in, for attach replies.
// Its slices are shared with the Result and must not be modified.
func (r *Result) Info() wire.SearchInfo {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.liveInfo()
}

// AppendInfo appends the SearchInfo JSON object with its live fields filled in (for attach
// replies and embedders).
func (r *Result) AppendInfo(dst []byte) []byte {
	r.mu.RLock()
	si := r.liveInfo()
	dst = wire.AppendSearchInfo(dst, &si)
	r.mu.RUnlock()
	return dst
}

// AppendError appends a RESP_ERROR reply to req carrying msg and the current state, with req's
// Addendum echoed (PROTOCOL.md §4.4): for failures found outside Handle, such as a second
// REQ_STREAMING on a channel.
func (r *Result) AppendError(dst []byte, req *wire.Request, msg string) []byte {
	b := r.base(req)
	return wire.AppendErrorResponse(dst, &b, msg)
}

// Release drops the stored results, for a deleted search. Later requests answer RESP_ERROR
// and streams end with an error; responses being written keep the memory they already hold.
func (r *Result) Release() {
	r.wmu.Lock()
	r.released.Store(true)
	r.arena.release()
	r.spec.Memory.Release(r.condSize.Swap(0))
	r.wmu.Unlock()
	r.wake()
}

// liveInfo returns the SearchInfo with live fields; r.mu must be held.
func (r *Result) liveInfo() wire.SearchInfo {
	si := r.info
	v := r.arena.snapshot()
	si.StoreSize = r.storeSize(&v)
	si.IndexSize = v.n * itemSize
	si.ItemCount = r.items(&v)
	if !si.Started.IsZero() {
		end := r.finishedAt
		if end.IsZero() {
			end = time.Now()
		}
		if d := end.Sub(si.Started); d > 0 {
			si.Duration = d
		}
	}
	if r.hasCur.Load() {
		si.LastUpdate = time.Unix(0, r.current.Load()).UTC()
	}
	if si.MinZoomWindow == 0 && r.spec.Ring != nil {
		si.MinZoomWindow = uint64(max(r.spec.Ring.Width()/1e9, 1))
	}
	if !si.TimeZoomDisabled {
		si.TimeZoomDisabled = r.noZoom
	}
	if si.Tags == nil {
		si.Tags = r.tags.Load().names
	}
	return si
}

func (r *Result) storeSize(v *view) int64 {
	return v.size + r.condSize.Load()
}

// items returns the number of results that can be fetched: entries, table rows, chart time
// slices or gauge values.
func (r *Result) items(v *view) int64 {
	switch r.kind {
	case kindEntries, kindTable:
		return v.n
	}
	return r.condN.Load()
}

// searchTag maps a store tag ID to the search's tag number; only the writer calls it.
func (r *Result) searchTag(id uint16) uint16 {
	if r.spec.TagIndex == nil {
		return id
	}
	if r.hasLast && r.lastTag[0] == id {
		return r.lastTag[1]
	}
	if n, ok := r.spec.TagIndex[id]; ok {
		r.lastTag, r.hasLast = [2]uint16{id, n}, true
		return n
	}
	if n, ok := r.extraTag[id]; ok {
		return n
	}
	// An entry from a tag the search did not name: number it after the known ones.
	old := r.tags.Load()
	if len(old.names) >= 1<<16 {
		return uint16(len(old.names) - 1)
	}
	name := strconv.Itoa(int(id))
	if r.spec.TagName != nil {
		name = r.spec.TagName(id)
	}
	names := append(append([]string(nil), old.names...), name)
	n := uint16(len(names) - 1)
	if r.extraTag == nil {
		r.extraTag = make(map[uint16]uint16)
	}
	r.extraTag[id] = n
	r.tags.Store(newTagSet(names))
	return n
}

// storeTagName returns the name of store tag ID id; readers may call it (TagIndex is never
// written after NewResult). A tag the search did not name is given by its decimal ID.
func (r *Result) storeTagName(id uint16) string {
	if r.spec.TagIndex == nil {
		return r.tagName(id)
	}
	if n, ok := r.spec.TagIndex[id]; ok {
		return r.tagName(n)
	}
	if r.spec.TagName != nil {
		return r.spec.TagName(id)
	}
	return strconv.Itoa(int(id))
}

// tagName returns the name of search tag number n.
func (r *Result) tagName(n uint16) string {
	names := r.tags.Load().names
	if int(n) < len(names) {
		return names[n]
	}
	return strconv.Itoa(int(n))
}

func (r *Result) addEntry(e *wire.Entry) {
	tag := r.searchTag(e.Tag)
	if r.over.Load() {
		r.drop(e.TS)
		return
	}
	frag := r.enc.AppendSearchEntry(r.arena.room(2*len(e.Data)+1024), e, tag)
	var fl uint8
	if r.raw && !printable(e.Data) {
		fl = flagBinary
	}
	if !r.arena.commit(frag, e.TS, tag, fl) {
		r.stopped()
		r.drop(e.TS)
		return
	}
	r.trackOrder(e.TS)
}

// stopped marks the result over its limit because the arena stopped taking results, and
// reports why once: the Warning, the log line and the counter of Spec.OnLimit.
func (r *Result) stopped() {
	if r.over.Load() {
		return
	}
	field, limit := r.spec.LimitField, r.spec.Limit
	var msg string
	var be *budget.Error
	switch err := r.arena.full; {
	case err == errStoreFull:
		msg = "render store limit reached (" + field + ": " + strconv.FormatInt(limit, 10) + " bytes)"
	case errors.As(err, &be):
		field, limit = be.Field, be.Limit
		msg = be.Error()
	case err == errReleased:
		return
	default:
		field, limit = "disk", 0
		msg = clientDiskError(err)
	}
	r.setOver(field, limit, msg)
}

// clientDiskError describes a render-store file error for a search Warning, which clients
// see: the reason without the server's paths.
func clientDiskError(err error) string {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return "render store: the server's disk is full"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return "render store: cannot " + pe.Op + " its file: " + pe.Err.Error()
	}
	return "render store: cannot write its file"
}

// setOver marks the result over a limit with the Warning msg and calls Spec.OnLimit.
func (r *Result) setOver(field string, limit int64, msg string) {
	w := msg + ": results in LimitDroppedRange were not stored"
	if !r.overWarning.CompareAndSwap(nil, &w) {
		r.over.Store(true)
		return
	}
	r.over.Store(true)
	if r.spec.OnLimit != nil {
		r.spec.OnLimit(field, limit, w)
	}
}

// takeLost records the results a failed write took back as dropped.
func (r *Result) takeLost() {
	a := &r.arena
	if a.lost == 0 {
		return
	}
	r.stopped()
	segs := *a.segs.Load()
	for i := a.n; i < a.n+a.lost; i++ {
		if int(i>>segShift) < len(segs) {
			r.drop(segs[i>>segShift][i&segMask].ts)
		}
	}
	a.lost = 0
}

// drop records a result that was not stored in LimitDroppedRange; only the writer calls it.
func (r *Result) drop(ts int64) {
	r.over.Store(true)
	if !r.dropSeen.Load() {
		r.dropMin.Store(ts)
		r.dropMax.Store(ts)
		r.dropSeen.Store(true)
		return
	}
	if ts < r.dropMin.Load() {
		r.dropMin.Store(ts)
	}
	if ts > r.dropMax.Load() {
		r.dropMax.Store(ts)
	}
}

func (r *Result) trackOrder(ts int64) {
	if r.arena.n > 1 {
		if ts > r.lastTS {
			r.orderW &^= orderDesc
		}
		if ts < r.lastTS {
			r.orderW &^= orderAsc
		}
	}
	r.lastTS = ts
}

// printable reports whether b is valid UTF-8 without control characters other than tab, line
// feed and carriage return.
func printable(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		i += size
	}
	return true
}

// wake releases every Stream waiting for new results.
func (r *Result) wake() {
	r.notifyMu.Lock()
	if r.waiting {
		close(r.notify)
		r.notify = make(chan struct{})
		r.waiting = false
	}
	r.notifyMu.Unlock()
}

// waitChan returns a channel closed by the next Add, Finish or Release.
func (r *Result) waitChan() <-chan struct{} {
	r.notifyMu.Lock()
	r.waiting = true
	ch := r.notify
	r.notifyMu.Unlock()
	return ch
}

// cloneString copies a name that may point into pooled batch memory.
func cloneString(s string) string { return strings.Clone(s) }
