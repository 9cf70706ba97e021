package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// Block summaries let a scan answer a count without decompressing a block. Next to its bloom
// filter, every block (of every well, whatever its accelerator) gets a summary record in the
// shard's .acc sidecar: for each tag in the block, its exact first and last timestamps and,
// per granule (SummaryGranule, one second aligned to the Unix epoch) holding entries of the
// tag, how many entries and how many bytes of entry data. A caller that needs only counts per
// tag and per time bucket (ScanQuery.Meta) gets them from the summary when every granule of
// every selected tag lies inside the scan range and inside one of the caller's buckets; any
// other block (a granule cut by the range or by a bucket edge, or no intact summary) is
// decoded and delivered as usual. So a summary changes how a scan gets its counts, never what
// they are.
//
// Encoding of a summary (the record payload after its block offset and kind byte):
//
//	body CRC uint32 (the block's, to match the record with its block) | tags uvarint |
//	per tag, ascending: tag uint16 | first TS int64 | last-first uvarint | granules uvarint |
//	  per granule, ascending: distance to the previous granule uvarint (0 for the first, which
//	  is the granule of the first TS; the last is the granule of the last TS) |
//	  entries uvarint (> 0) | data bytes uvarint
//
// In memory a block keeps its summary encoded (blockMeta.sum, a few bytes per granule and
// tag); parseSummary checks one against its block header when the sidecar is loaded, so a
// scan reads it without checks.

// SummaryGranule is the time resolution of block summaries, in nanoseconds: whole seconds of
// the Unix epoch. A bucket grid (MetaQuery) aligned to whole seconds, with a width of whole
// seconds, cuts no granule.
const SummaryGranule = int64(time.Second)

// summaryBuilder builds the summary of one block from its entries in timestamp order. It is
// reused: steady-state building allocates only the summary it returns.
type summaryBuilder struct {
	tags []tagAcc
	last int // index in tags of the previous entry's tag
}

// tagAcc is one tag's share of the block being summarised.
type tagAcc struct {
	tag      uint16
	min, max int64
	gran     int64  // current granule
	gc, gb   uint64 // its entries and bytes
	prev     int64  // previous granule written to enc
	n        int    // granules written to enc
	enc      []byte // granules written so far
}

func (sb *summaryBuilder) reset() {
	sb.tags = sb.tags[:0]
	sb.last = 0
}

// add adds one entry; entries come in timestamp order.
func (sb *summaryBuilder) add(ts int64, tag uint16, dataLen int) {
	i := sb.last
	if i >= len(sb.tags) || sb.tags[i].tag != tag {
		i = slices.IndexFunc(sb.tags, func(t tagAcc) bool { return t.tag == tag })
		if i < 0 {
			i = len(sb.tags)
			if i < cap(sb.tags) {
				sb.tags = sb.tags[:i+1]
				enc := sb.tags[i].enc[:0]
				sb.tags[i] = tagAcc{enc: enc}
			} else {
				sb.tags = append(sb.tags, tagAcc{})
			}
			t := &sb.tags[i]
			t.tag, t.min, t.gran, t.prev = tag, ts, ts/SummaryGranule, ts/SummaryGranule
		}
		sb.last = i
	}
	t := &sb.tags[i]
	if g := ts / SummaryGranule; g != t.gran {
		t.flush()
		t.gran = g
	}
	t.max = ts
	t.gc++
	t.gb += uint64(dataLen)
}

// flush writes the current granule.
func (t *tagAcc) flush() {
	t.enc = binary.AppendUvarint(t.enc, uint64(t.gran-t.prev))
	t.enc = binary.AppendUvarint(t.enc, t.gc)
	t.enc = binary.AppendUvarint(t.enc, t.gb)
	t.prev, t.gc, t.gb = t.gran, 0, 0
	t.n++
}

// build returns the summary of the entries added since reset, for a block whose body has
// checksum bodyCRC.
func (sb *summaryBuilder) build(bodyCRC uint32) []byte {
	slices.SortFunc(sb.tags, func(a, b tagAcc) int { return int(a.tag) - int(b.tag) })
	size := 4 + binary.MaxVarintLen64
	for i := range sb.tags {
		t := &sb.tags[i]
		t.flush()
		size += 2 + 8 + 2*binary.MaxVarintLen64 + len(t.enc)
	}
	out := make([]byte, 0, size)
	out = binary.LittleEndian.AppendUint32(out, bodyCRC)
	out = binary.AppendUvarint(out, uint64(len(sb.tags)))
	for i := range sb.tags {
		t := &sb.tags[i]
		out = binary.LittleEndian.AppendUint16(out, t.tag)
		out = binary.LittleEndian.AppendUint64(out, uint64(t.min))
		out = binary.AppendUvarint(out, uint64(t.max-t.min))
		out = binary.AppendUvarint(out, uint64(t.n))
		out = append(out, t.enc...)
	}
	sb.last = 0
	return slices.Clip(out)
}

var errSummary = errors.New("malformed block summary")

// summaryReader walks an encoded summary. It moves an offset, never the slice, so that
// walking writes no pointer (no GC write barrier in the scan's inner loop).
type summaryReader struct {
	b   []byte
	pos int
	err bool
}

func (r *summaryReader) uvarint() uint64 {
	if r.pos < len(r.b) && r.b[r.pos] < 0x80 { // inlined: most granule fields are one byte
		r.pos++
		return uint64(r.b[r.pos-1])
	}
	return r.uvarintSlow()
}

// granule reads one granule record: the granule's distance from the previous one, its entry
// count and its data bytes. Records whose three fields take one or two bytes each (nearly all)
// are read with the position in a register; others go through uvarint.
func (r *summaryReader) granule() (dg, c, n uint64) {
	b, p := r.b, r.pos
	if p+6 <= len(b) {
		var ok1, ok2, ok3 bool
		dg, p, ok1 = uvarint2(b, p)
		c, p, ok2 = uvarint2(b, p)
		n, p, ok3 = uvarint2(b, p)
		if ok1 && ok2 && ok3 {
			r.pos = p
			return dg, c, n
		}
	}
	return r.uvarint(), r.uvarint(), r.uvarint()
}

// uvarint2 reads a varint of one or two bytes at b[p] (b must hold two bytes there) and
// reports false for a longer one.
func uvarint2(b []byte, p int) (uint64, int, bool) {
	b0, b1 := b[p], b[p+1]
	if b0 < 0x80 {
		return uint64(b0), p + 1, true
	}
	return uint64(b0&0x7f) | uint64(b1)<<7, p + 2, b1 < 0x80
}

func (r *summaryReader) uvarintSlow() uint64 {
	v, n := binary.Uvarint(r.b[min(r.pos, len(r.b)):])
	if n <= 0 {
		r.err, r.pos = true, len(r.b)
		return 0
	}
	r.pos += n
	return v
}

func (r *summaryReader) fixed(n int) []byte {
	if len(r.b)-r.pos < n {
		r.err, r.pos = true, len(r.b)
		return make([]byte, n)
	}
	r.pos += n
	return r.b[r.pos-n : r.pos]
}

// checkSummary checks an encoded summary against its block's header: body checksum, entry
// count, time bounds and tag mask must agree, and the summary must be well formed (granules
// ascending and inside their tag's bounds, counts adding up).
func checkSummary(sum []byte, h *blockHeader) error {
	r := summaryReader{b: sum}
	if binary.LittleEndian.Uint32(r.fixed(4)) != h.bodyCRC {
		return errors.New("block summary belongs to another block (body checksum differs)")
	}
	ntags := r.uvarint()
	if r.err || ntags == 0 || ntags > 64*1024 {
		return errSummary
	}
	var count, mask uint64
	minTS, maxTS := int64(MaxTimestamp), int64(MinTimestamp)
	prevTag := -1
	for range ntags {
		tag := int(binary.LittleEndian.Uint16(r.fixed(2)))
		first := int64(binary.LittleEndian.Uint64(r.fixed(8)))
		span := r.uvarint()
		ngran := r.uvarint()
		if r.err || tag <= prevTag || first < h.minTS || span > uint64(h.maxTS-first) || ngran == 0 || ngran > uint64(h.count) {
			return errSummary
		}
		last := first + int64(span)
		prevTag = tag
		mask |= tagBit(uint16(tag))
		minTS, maxTS = min(minTS, first), max(maxTS, last)
		g := first / SummaryGranule
		for k := range ngran {
			d, c, _ := r.uvarint(), r.uvarint(), r.uvarint()
			if r.err || c == 0 || (k == 0) != (d == 0) || d > uint64(last/SummaryGranule-g) {
				return errSummary
			}
			g += int64(d)
			count += c
		}
		if g != last/SummaryGranule || count > uint64(h.count) {
			return errSummary
		}
	}
	if r.pos != len(r.b) || count != uint64(h.count) || mask != h.tagMask || minTS != h.minTS || maxTS != h.maxTS {
		return errors.New("block summary does not match its block header")
	}
	return nil
}

// MetaQuery asks a scan to answer blocks from their summaries instead of decoding them, for a
// caller that needs, of each selected entry, only its tag, its time bucket and its data
// length. A block is answered when, for every selected tag it holds, every granule of the
// tag's entries lies inside [ScanQuery.Start, ScanQuery.End) and inside one bucket of the
// grid; then Add gets its counts and the scan delivers none of its entries. Every other block
// is decoded and its entries delivered as usual. A Source that has no summaries (a remote
// one) may ignore MetaQuery and deliver every entry.
type MetaQuery struct {
	// Origin and Width define the caller's buckets: bucket k holds [Origin+k·Width,
	// Origin+(k+1)·Width). Origin must not be after ScanQuery.Start and Width must be positive
	// (otherwise no block is answered). With both whole multiples of SummaryGranule, only
	// granules cut by the range ends keep a block from being answered.
	Origin, Width int64
	// Add receives the counts of one answered block, on the goroutine that would have
	// received its entries (worker 0 for Scan, the worker's number for ScanUnordered). b is
	// valid only during the call. An error stops the scan and is returned by it.
	Add func(worker int, b *MetaBlock) error
}

// MetaBlock is what a block summary says about the selected entries of one block.
type MetaBlock struct {
	Tags []MetaTag // one per selected tag the block holds, ascending by tag
}

// MetaTag is one tag's share of a MetaBlock.
type MetaTag struct {
	Tag          uint16
	Newest       int64  // the newest timestamp of the tag's entries in the block
	Count, Bytes uint64 // entries, and bytes of their data
	// Buckets splits Count and Bytes by bucket of the MetaQuery's grid, in time order. TS is
	// a timestamp inside the bucket, no earlier than the tag's first entry in it (any
	// timestamp of the bucket for the caller).
	Buckets []MetaBucket
}

// MetaBucket is a tag's entries in one bucket.
type MetaBucket struct {
	TS           int64
	Count, Bytes uint64
}

// metaAnswer is a scanning goroutine's reusable state for answering blocks from summaries.
type metaAnswer struct {
	mb      MetaBlock
	buckets []MetaBucket
}

// answer fills a.mb from block b's summary for the tags selected by f and the grid of m and
// reports whether the whole block could be answered.
func (a *metaAnswer) answer(b *blockMeta, f *recordFilter, m *MetaQuery) bool {
	if b.sum == nil || m.Width <= 0 || m.Origin > f.start {
		return false
	}
	a.mb.Tags = a.mb.Tags[:0]
	buckets := a.buckets[:0] // a local: appending writes no pointer to the heap
	defer func() { a.buckets = buckets }()
	r := summaryReader{b: b.sum, pos: 4}
	ntags := r.uvarint()
	origin, width := uint64(m.Origin), uint64(m.Width)
	for range ntags {
		tag := binary.LittleEndian.Uint16(r.fixed(2))
		first := int64(binary.LittleEndian.Uint64(r.fixed(8)))
		last := first + int64(r.uvarint())
		ngran := r.uvarint()
		if !f.accepts(tag) {
			skipGranules(&r, ngran)
			continue
		}
		if last < f.start || first >= f.end {
			skipGranules(&r, ngran) // none of the tag's entries is in range
			continue
		}
		if last >= f.end {
			return false // the newest entry in range is not known
		}
		t := MetaTag{Tag: tag, Newest: last}
		lo := len(buckets)
		end := uint64(0) // offset past the current bucket; 0: none yet
		g := first / SummaryGranule
		for range ngran {
			dg, c, n := r.granule()
			g += int64(dg)
			gLo, gHi := max(g*SummaryGranule, first), min(g*SummaryGranule+SummaryGranule-1, last)
			if gHi < f.start {
				continue // before the range
			}
			if gLo < f.start {
				return false // the range start cuts the granule
			}
			off, offHi := uint64(gLo)-origin, uint64(gHi)-origin
			if end == 0 || off >= end {
				end = (off/width + 1) * width
				buckets = append(buckets, MetaBucket{TS: gLo})
			}
			if offHi >= end {
				return false // a bucket edge cuts the granule
			}
			bk := &buckets[len(buckets)-1]
			bk.Count += c
			bk.Bytes += n
			t.Count += c
			t.Bytes += n
		}
		t.Buckets = buckets[lo:len(buckets):len(buckets)]
		a.mb.Tags = append(a.mb.Tags, t)
	}
	if r.err {
		panic("BUG: store: a block summary checked at load does not parse")
	}
	// buckets may have moved while growing: re-slice every tag's from the final array
	at := 0
	for i := range a.mb.Tags {
		n := len(a.mb.Tags[i].Buckets)
		a.mb.Tags[i].Buckets = buckets[at : at+n : at+n]
		at += n
	}
	return true
}

// skipGranules moves r past n granules.
func skipGranules(r *summaryReader, n uint64) {
	for range 3 * n {
		r.uvarint()
	}
}

// release drops what a pooled answerer should not keep.
func (a *metaAnswer) release() {
	clear(a.mb.Tags)
	a.mb.Tags = a.mb.Tags[:0]
	a.buckets = a.buckets[:0]
}

// buildSummary returns the summary of the block holding keys' entries (in timestamp order),
// whose body has checksum bodyCRC.
func buildSummary(sb *summaryBuilder, entries []wire.Entry, keys []ingestKey, bodyCRC uint32) []byte {
	sb.reset()
	for _, k := range keys {
		e := &entries[k.i]
		sb.add(e.TS, e.Tag, len(e.Data))
	}
	return sb.build(bodyCRC)
}

// summaryOf returns the summary of a block from its decoded entries, in timestamp order.
func summaryOf(sb *summaryBuilder, h *blockHeader, ents []wire.Entry) []byte {
	sb.reset()
	for i := range ents {
		sb.add(ents[i].TS, ents[i].Tag, len(ents[i].Data))
	}
	return sb.build(h.bodyCRC)
}

// summaryMatches reports whether sum is the summary of the block with header h and entries
// ents (all of them, in timestamp order).
func summaryMatches(sb *summaryBuilder, sum []byte, h *blockHeader, ents []wire.Entry) bool {
	return bytes.Equal(sum, summaryOf(sb, h, ents))
}

// add hands the answered block to m.Add, when any of its entries is selected.
func (a *metaAnswer) add(m *MetaQuery, worker int) error {
	if len(a.mb.Tags) == 0 {
		return nil
	}
	return m.Add(worker, &a.mb)
}
