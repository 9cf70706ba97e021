package search

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/sluicehq/sluice/wire"
)

// Wire form of a Partial, for a cluster's indexers to send their share of a mergeable query to
// the webserver (see PartialSource), and of the module statistics the share recorded.
//
// A share is sent as chunks, each decodable on its own; every chunk is
//
//	version byte (partialWireVersion) | kind byte | body
//
// with these kinds (uvarint and varint as in encoding/binary, f64 = 8 bytes little-endian of
// math.Float64bits, so floats cross exactly):
//
//	'A' aggregation groups: module uvarint | ops uvarint | window varint | count uvarint |
//	    count × { ts varint | first varint | tag uvarint | allInt bitmap, ceil(ops/8) bytes |
//	              one value per by field | ops × accum }
//	    value = type byte | N uvarint | B (uvarint len+1, 0 = nil) + bytes
//	    accum = mask uvarint | the fields whose bit is set, in bit order: n varint, isum varint,
//	            fsum f64, (float: no payload), imin varint, imax varint, fmin f64, fmax f64,
//	            mean f64, m2 f64, unique: count uvarint + count × (len uvarint + key), keys sorted
//	'S' sort buffer: module uvarint | count uvarint | count × entry
//	    entry = wire.AppendEntryBinary with the tag ID | EV count uvarint |
//	            EV count × (name len uvarint + name | value)
//	'T' statistics: width varint | count uvarint | count × { module uvarint | bucket uvarint |
//	    mask uvarint | the Counters fields whose bit is set, in field order, as uvarint (Duration varint) }
//
// A chunk never has to be trusted: decoding checks every count against the bytes left before
// allocating (a count of n elements needs at least n bytes), every length against the chunk,
// the module index, operation count and window against the query's, and the groups and sort
// bytes against RunOptions.MaxGroups and MaxSortBytes (LimitExceededError naming the field) and
// the memory budget (memory_budget_mb). Decoded memory is at most a copy of the chunk plus
// per-element headers proportional to its length.
const partialWireVersion = 1

// Chunk kinds.
const (
	wireAgg   = 'A'
	wireSort  = 'S'
	wireStats = 'T'
)

// ErrPartialWire is wrapped by every error decoding a malformed partial chunk.
var ErrPartialWire = errors.New("search: malformed partial")

// accum field bits on the wire, in payload order.
const (
	accN = 1 << iota
	accIsum
	accFsum
	accFloat
	accImin
	accImax
	accFmin
	accFmax
	accMean
	accM2
	accUnique
)

// Encode writes pt's state as chunks of at most maxBytes each (a group or sorted entry bigger
// than that goes alone) and hands each chunk to send, which may keep it. An empty
// Partial sends nothing. pt must not be fed or finished during the call.
func (pt *Partial) Encode(maxBytes int, send func(chunk []byte) error) error {
	p := pt.p
	w := chunkWriter{max: maxBytes, send: send}
	switch st := p.stages[p.ci].(type) {
	case *aggStage:
		w.head = appendAggHead(nil, p.ci, st)
		for i := range st.groups {
			w.start()
			w.body = st.appendGroup(w.body, &st.groups[i])
			if err := w.item(); err != nil {
				return err
			}
		}
	case *sortStage:
		w.head = binary.AppendUvarint([]byte{partialWireVersion, wireSort}, uint64(p.ci))
		for i := range st.items {
			w.start()
			w.body = appendWireEntry(w.body, &st.items[i].e)
			if err := w.item(); err != nil {
				return err
			}
		}
	default:
		panic("BUG: partial of a query whose condensing stage does not merge")
	}
	return w.flush()
}

// chunkWriter cuts a stream of encoded items into chunks (head, item count, items) of at most
// max bytes, unless one item alone is bigger.
type chunkWriter struct {
	max  int
	head []byte
	body []byte
	mark int // where the last item starts in body
	n    int // items in body
	send func([]byte) error
}

// start marks the start of the next item, appended to body by the caller.
func (w *chunkWriter) start() { w.mark = len(w.body) }

// item counts the item just appended to body; the items before it go out as a chunk first
// when it would not fit with them.
func (w *chunkWriter) item() error {
	if w.n > 0 && len(w.head)+binary.MaxVarintLen64+len(w.body) > w.max {
		last := append([]byte(nil), w.body[w.mark:]...)
		w.body = w.body[:w.mark]
		if err := w.flush(); err != nil {
			return err
		}
		w.body = append(w.body, last...)
	}
	w.n++
	return nil
}

func (w *chunkWriter) flush() error {
	if w.n == 0 {
		return nil
	}
	c := make([]byte, 0, len(w.head)+binary.MaxVarintLen64+len(w.body))
	c = append(c, w.head...)
	c = binary.AppendUvarint(c, uint64(w.n))
	c = append(c, w.body...)
	w.body, w.n = w.body[:0], 0
	return w.send(c)
}

func appendAggHead(dst []byte, module int, g *aggStage) []byte {
	dst = append(dst, partialWireVersion, wireAgg)
	dst = binary.AppendUvarint(dst, uint64(module))
	dst = binary.AppendUvarint(dst, uint64(len(g.s.ops)))
	return binary.AppendVarint(dst, g.window)
}

// appendGroup encodes one group and its accumulators.
func (g *aggStage) appendGroup(dst []byte, grp *aggGroup) []byte {
	dst = binary.AppendVarint(dst, grp.ts)
	dst = binary.AppendVarint(dst, grp.first)
	dst = binary.AppendUvarint(dst, uint64(grp.tag))
	var bits byte
	for k, all := range grp.allInt {
		if all {
			bits |= 1 << (k % 8)
		}
		if k%8 == 7 || k == len(grp.allInt)-1 {
			dst = append(dst, bits)
			bits = 0
		}
	}
	for _, v := range grp.by {
		dst = appendWireValue(dst, v)
	}
	for k := range g.s.ops {
		dst = g.accs[grp.acc+k].appendWire(dst)
	}
	return dst
}

func (a *accum) appendWire(dst []byte) []byte {
	var mask uint64
	set := func(bit uint64, on bool) {
		if on {
			mask |= bit
		}
	}
	set(accN, a.n != 0)
	set(accIsum, a.isum != 0)
	set(accFsum, math.Float64bits(a.fsum) != 0)
	set(accFloat, a.float)
	set(accImin, a.imin != 0)
	set(accImax, a.imax != 0)
	set(accFmin, math.Float64bits(a.fmin) != 0)
	set(accFmax, math.Float64bits(a.fmax) != 0)
	set(accMean, math.Float64bits(a.mean) != 0)
	set(accM2, math.Float64bits(a.m2) != 0)
	set(accUnique, a.unique != nil)
	dst = binary.AppendUvarint(dst, mask)
	if mask&accN != 0 {
		dst = binary.AppendVarint(dst, a.n)
	}
	if mask&accIsum != 0 {
		dst = binary.AppendVarint(dst, a.isum)
	}
	if mask&accFsum != 0 {
		dst = appendF64(dst, a.fsum)
	}
	if mask&accImin != 0 {
		dst = binary.AppendVarint(dst, a.imin)
	}
	if mask&accImax != 0 {
		dst = binary.AppendVarint(dst, a.imax)
	}
	for _, f := range [...]struct {
		bit uint64
		v   float64
	}{{accFmin, a.fmin}, {accFmax, a.fmax}, {accMean, a.mean}, {accM2, a.m2}} {
		if mask&f.bit != 0 {
			dst = appendF64(dst, f.v)
		}
	}
	if mask&accUnique != 0 {
		keys := make([]string, 0, len(a.unique))
		for k := range a.unique {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = binary.AppendUvarint(dst, uint64(len(keys)))
		for _, k := range keys {
			dst = binary.AppendUvarint(dst, uint64(len(k)))
			dst = append(dst, k...)
		}
	}
	return dst
}

func appendF64(dst []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f))
}

func appendWireValue(dst []byte, v wire.Value) []byte {
	dst = append(dst, byte(v.Type))
	dst = binary.AppendUvarint(dst, v.N)
	if v.B == nil {
		return append(dst, 0)
	}
	dst = binary.AppendUvarint(dst, uint64(len(v.B))+1)
	return append(dst, v.B...)
}

func appendWireEntry(dst []byte, e *wire.Entry) []byte {
	dst = wire.AppendEntryBinary(dst, e, uint64(e.Tag))
	dst = binary.AppendUvarint(dst, uint64(len(e.EVs)))
	for _, ev := range e.EVs {
		dst = binary.AppendUvarint(dst, uint64(len(ev.Name)))
		dst = append(dst, ev.Name...)
		dst = appendWireValue(dst, ev.Value)
	}
	return dst
}

// AddWire decodes one chunk written by Encode (of a Partial of the same query and options) and
// merges it into pt, as Merge would merge the Partial it came from. Errors wrap ErrPartialWire,
// or are a *LimitExceededError or *budget.Error when the chunk would pass a limit; pt is then
// unusable. b is not retained.
func (pt *Partial) AddWire(b []byte) error {
	o := &Partial{p: newPipeline(pt.p.q, nil, nil, *pt.p.opt)}
	if err := o.decode(b); err != nil {
		return err
	}
	return pt.Merge(o)
}

// decode fills the empty Partial o from chunk b.
func (o *Partial) decode(b []byte) error {
	r := wireReader{b: b}
	if v := r.byte(); v != partialWireVersion {
		return fmt.Errorf("%w: version %d, want %d", ErrPartialWire, v, partialWireVersion)
	}
	kind := r.byte()
	p := o.p
	if m := r.uvarint(); r.err == nil && m != uint64(p.ci) {
		return fmt.Errorf("%w: module %d, the query's condensing module is %d", ErrPartialWire, m, p.ci)
	}
	var err error
	switch st := p.stages[p.ci].(type) {
	case *aggStage:
		if kind != wireAgg {
			return fmt.Errorf("%w: chunk kind %q for an aggregation", ErrPartialWire, kind)
		}
		err = st.decode(&r)
	case *sortStage:
		if kind != wireSort {
			return fmt.Errorf("%w: chunk kind %q for a sort", ErrPartialWire, kind)
		}
		err = st.decode(&r)
	}
	if err != nil {
		return err
	}
	if r.err != nil {
		return r.err
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrPartialWire, len(r.b))
	}
	return nil
}

// minWireGroup is the fewest bytes a group takes on the wire with nby by fields and nops ops.
func minWireGroup(nby, nops int) int { return 3 + (nops+7)/8 + 3*nby + nops }

func (g *aggStage) decode(r *wireReader) error {
	nops := len(g.s.ops)
	if n := r.uvarint(); r.err == nil && n != uint64(nops) {
		return fmt.Errorf("%w: %d operations, the query's module has %d", ErrPartialWire, n, nops)
	}
	if w := r.varint(); r.err == nil && w != g.window {
		return fmt.Errorf("%w: window %d, the query's is %d", ErrPartialWire, w, g.window)
	}
	count := r.count(minWireGroup(len(g.s.by), nops))
	if r.err != nil {
		return r.err
	}
	if count > g.rc.opt.MaxGroups {
		return &LimitExceededError{Module: g.s.module, Field: "MaxGroups", Limit: int64(g.rc.opt.MaxGroups)}
	}
	own := bytes.Clone(r.b) // the by values' bytes alias this copy
	r.b = own
	g.groups = slices.Grow(g.groups, count)
	g.accs = slices.Grow(g.accs, count*nops)
	for range count {
		grp := aggGroup{acc: len(g.accs), allInt: make([]bool, nops)}
		grp.ts, grp.first = r.varint(), r.varint()
		tag := r.uvarint()
		if tag > math.MaxUint16 {
			r.fail("tag %d", tag)
		}
		grp.tag = uint16(tag)
		for k := 0; k < nops; k += 8 {
			bits := r.byte()
			for j := k; j < min(k+8, nops); j++ {
				grp.allInt[j] = bits&(1<<(j-k)) != 0
			}
		}
		key := g.key[:0]
		if g.window > 0 {
			key = appendWindowKey(key, grp.ts)
		}
		if len(g.s.by) > 0 {
			grp.by = make([]wire.Value, len(g.s.by))
			for k := range grp.by {
				grp.by[k] = r.value()
				key = appendKey(key, grp.by[k])
			}
		}
		g.key = key
		for range nops {
			var a accum
			a.decode(r)
			g.accs = append(g.accs, a)
		}
		if r.err != nil {
			return r.err
		}
		if _, dup := g.index[string(key)]; dup {
			return fmt.Errorf("%w: group %d repeats a key", ErrPartialWire, len(g.groups))
		}
		if err := g.mem.add(g.rc, g.groupBytes(len(key)), "aggregation groups"); err != nil {
			return err
		}
		g.index[string(key)] = int32(len(g.groups))
		g.groups = append(g.groups, grp)
	}
	return nil
}

func (a *accum) decode(r *wireReader) {
	mask := r.uvarint()
	if mask >= accUnique<<1 {
		r.fail("accumulator fields %#x", mask)
		return
	}
	if mask&accN != 0 {
		a.n = r.varint()
	}
	if mask&accIsum != 0 {
		a.isum = r.varint()
	}
	if mask&accFsum != 0 {
		a.fsum = r.f64()
	}
	a.float = mask&accFloat != 0
	if mask&accImin != 0 {
		a.imin = r.varint()
	}
	if mask&accImax != 0 {
		a.imax = r.varint()
	}
	for _, f := range [...]struct {
		bit uint64
		v   *float64
	}{{accFmin, &a.fmin}, {accFmax, &a.fmax}, {accMean, &a.mean}, {accM2, &a.m2}} {
		if mask&f.bit != 0 {
			*f.v = r.f64()
		}
	}
	if mask&accUnique != 0 {
		n := r.count(1)
		a.unique = make(map[string]struct{}, n)
		for range n {
			k := r.bytes(r.count(1))
			if r.err != nil {
				return
			}
			a.unique[string(k)] = struct{}{}
		}
	}
}

// minWireEntry is the fewest bytes an entry takes on the wire.
const minWireEntry = 5

func (g *sortStage) decode(r *wireReader) error {
	count := r.count(minWireEntry)
	if r.err != nil {
		return r.err
	}
	ents := make([]wire.Entry, 0, min(count, 1024))
	var evs []wire.EV
	names := map[string]string{}
	for range count {
		var e wire.Entry
		tag, k, err := wire.ReadEntryBinary(r.b, &e)
		if err != nil || tag > math.MaxUint16 {
			r.fail("entry %d: %v (tag %d)", len(ents), err, tag)
			return r.err
		}
		r.b = r.b[k:]
		e.Tag = uint16(tag)
		nev := r.count(3)
		start := len(evs)
		for range nev {
			name := r.bytes(r.count(1))
			s, ok := names[string(name)]
			if !ok {
				s = string(name)
				names[s] = s
			}
			evs = append(evs, wire.EV{Name: s, Value: r.value()})
		}
		if r.err != nil {
			return r.err
		}
		if nev > 0 {
			e.EVs = evs[start:len(evs):len(evs)]
		}
		ents = append(ents, e)
		if len(ents) == cap(ents) {
			// process copies the entries into the stage's own buffers and checks MaxSortBytes
			g.rc.ar.reset()
			if _, err := g.process(ents); err != nil {
				return err
			}
			ents, evs = ents[:0], evs[:0]
		}
	}
	g.rc.ar.reset()
	_, err := g.process(ents)
	return err
}

// wireReader reads a chunk; the first problem sticks in err (wrapping ErrPartialWire) and every
// later read returns zero values.
type wireReader struct {
	b   []byte
	err error
}

func (r *wireReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: "+format, append([]any{ErrPartialWire}, args...)...)
	}
	r.b = nil
}

func (r *wireReader) byte() byte {
	if len(r.b) == 0 {
		r.fail("truncated")
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *wireReader) uvarint() uint64 {
	v, k := binary.Uvarint(r.b)
	if k <= 0 {
		r.fail("bad or truncated number")
		return 0
	}
	r.b = r.b[k:]
	return v
}

func (r *wireReader) varint() int64 {
	v, k := binary.Varint(r.b)
	if k <= 0 {
		r.fail("bad or truncated number")
		return 0
	}
	r.b = r.b[k:]
	return v
}

func (r *wireReader) f64() float64 {
	return math.Float64frombits(binary.LittleEndian.Uint64(r.bytes(8)))
}

// bytes returns the next n bytes (aliasing the chunk), or n zero bytes after a failure.
func (r *wireReader) bytes(n int) []byte {
	if n > len(r.b) {
		r.fail("truncated: %d bytes wanted, %d left", n, len(r.b))
		return make([]byte, min(n, 16))[:min(n, 16)]
	}
	b := r.b[:n:n]
	r.b = r.b[n:]
	return b
}

// count reads a count of elements that take at least minSize bytes each, refusing one the
// rest of the chunk cannot hold.
func (r *wireReader) count(minSize int) int {
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)/minSize) {
		r.fail("count %d exceeds what the %d bytes left can hold", n, len(r.b))
	}
	if r.err != nil {
		return 0
	}
	return int(n)
}

func (r *wireReader) value() wire.Value {
	v := wire.Value{Type: wire.ValueType(r.byte()), N: r.uvarint()}
	if l := r.uvarint(); l > 0 && r.err == nil {
		if l-1 > uint64(len(r.b)) {
			r.fail("value of %d bytes, %d left", l-1, len(r.b))
			return wire.Value{}
		}
		v.B = r.bytes(int(l - 1))
	}
	return v
}

// StatsTally is a StatsRecorder that keeps every module's counters per time bucket in memory,
// so that a share of a query run elsewhere (an indexer) can send them to the node whose stats
// ring shows the search (the webserver): EncodeStats then ReplayStats give that ring exactly
// the counters it would have recorded running the share itself (Duration excepted: it is the
// remote node's time). Shards are recorded without locks, one goroutine each.
type StatsTally struct {
	start, width int64
	shards       []map[tallyKey]wire.Counters
}

type tallyKey struct{ module, bucket int64 }

// NewStatsTally returns a tally of buckets width ns wide from start, for shards 0..shards-1.
func NewStatsTally(start, width int64, shards int) *StatsTally {
	t := &StatsTally{start: start, width: width, shards: make([]map[tallyKey]wire.Counters, max(shards, 1))}
	for i := range t.shards {
		t.shards[i] = map[tallyKey]wire.Counters{}
	}
	return t
}

// Width implements StatsRecorder.
func (t *StatsTally) Width() int64 { return t.width }

// Record implements StatsRecorder.
func (t *StatsTally) Record(shard, module int, ts int64, c *wire.Counters) {
	m := t.shards[uint(shard)%uint(len(t.shards))]
	k := tallyKey{int64(module), (ts - t.start) / t.width}
	x := m[k]
	x.Merge(c)
	m[k] = x
}

// counter field bits on the wire.
const (
	ctrIn = 1 << iota
	ctrOut
	ctrInBytes
	ctrOutBytes
	ctrDuration
	ctrScratch
)

// EncodeStats sends the tally as chunks of at most maxBytes, in module and bucket order.
// Nothing is sent when nothing was recorded.
func (t *StatsTally) EncodeStats(maxBytes int, send func(chunk []byte) error) error {
	all := map[tallyKey]wire.Counters{}
	for _, m := range t.shards {
		for k, c := range m {
			x := all[k]
			x.Merge(&c)
			all[k] = x
		}
	}
	keys := make([]tallyKey, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b tallyKey) int {
		return cmp.Or(cmp.Compare(a.module, b.module), cmp.Compare(a.bucket, b.bucket))
	})
	w := chunkWriter{max: maxBytes, send: send}
	w.head = binary.AppendVarint([]byte{partialWireVersion, wireStats}, t.width)
	for _, k := range keys {
		c := all[k]
		w.start()
		w.body = binary.AppendUvarint(w.body, uint64(k.module))
		w.body = binary.AppendUvarint(w.body, uint64(k.bucket))
		var mask uint64
		for i, on := range [...]bool{c.InputCount != 0, c.OutputCount != 0, c.InputBytes != 0, c.OutputBytes != 0, c.Duration != 0, c.ScratchWritten != 0} {
			if on {
				mask |= 1 << i
			}
		}
		w.body = binary.AppendUvarint(w.body, mask)
		for i, v := range [...]uint64{c.InputCount, c.OutputCount, c.InputBytes, c.OutputBytes} {
			if mask&(1<<i) != 0 {
				w.body = binary.AppendUvarint(w.body, v)
			}
		}
		if mask&ctrDuration != 0 {
			w.body = binary.AppendVarint(w.body, c.Duration)
		}
		if mask&ctrScratch != 0 {
			w.body = binary.AppendUvarint(w.body, c.ScratchWritten)
		}
		if err := w.item(); err != nil {
			return err
		}
	}
	return w.flush()
}

// IsStatsChunk reports whether chunk is a statistics chunk (StatsTally.EncodeStats) rather than
// a Partial's (Partial.Encode).
func IsStatsChunk(chunk []byte) bool { return len(chunk) > 1 && chunk[1] == wireStats }

// StatsRecord is one bucket's counters of one module, decoded from a statistics chunk.
type StatsRecord struct {
	Module int
	TS     int64 // the bucket's start
	C      wire.Counters
}

// DecodeStats appends the records of a statistics chunk of query q over [start, end) to dst.
// Only modules a share runs (up to the first condensing one) and buckets inside the range are
// accepted, so that replaying them into a stats ring of the search is always in bounds; the
// chunk's bucket width must be width.
func (q *Query) DecodeStats(dst []StatsRecord, chunk []byte, start, end, width int64) ([]StatsRecord, error) {
	r := wireReader{b: chunk}
	if v := r.byte(); v != partialWireVersion {
		return dst, fmt.Errorf("%w: version %d, want %d", ErrPartialWire, v, partialWireVersion)
	}
	if k := r.byte(); k != wireStats {
		return dst, fmt.Errorf("%w: chunk kind %q, want statistics", ErrPartialWire, k)
	}
	if w := r.varint(); r.err == nil && (w != width || w <= 0) {
		return dst, fmt.Errorf("%w: bucket width %d, want %d", ErrPartialWire, w, width)
	}
	n := r.count(3)
	buckets := uint64(max(end-start, 0)) / uint64(max(width, 1))
	for range n {
		m, bk, mask := r.uvarint(), r.uvarint(), r.uvarint()
		if r.err != nil {
			break
		}
		if m > uint64(q.CollapsingIndex) || bk > buckets || mask >= 1<<6 {
			return dst, fmt.Errorf("%w: module %d, bucket %d, fields %#x out of range", ErrPartialWire, m, bk, mask)
		}
		var c wire.Counters
		for i, f := range [...]*uint64{&c.InputCount, &c.OutputCount, &c.InputBytes, &c.OutputBytes} {
			if mask&(1<<i) != 0 {
				*f = r.uvarint()
			}
		}
		if mask&ctrDuration != 0 {
			c.Duration = r.varint()
		}
		if mask&ctrScratch != 0 {
			c.ScratchWritten = r.uvarint()
		}
		dst = append(dst, StatsRecord{Module: int(m), TS: start + int64(bk)*width, C: c})
	}
	if r.err != nil {
		return dst, r.err
	}
	if len(r.b) != 0 {
		return dst, fmt.Errorf("%w: %d trailing bytes", ErrPartialWire, len(r.b))
	}
	return dst, nil
}
