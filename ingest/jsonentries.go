package ingest

import (
	"encoding/base64"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/sluicehq/sluice/wire"
	"github.com/valyala/fastjson"
)

// DefaultMaxEntries is the per-request entry count limit used when a MaxEntries setting is zero.
const DefaultMaxEntries = 1 << 20

// Tagger resolves tag names to the store's tag IDs, creating new tags as needed. The store's
// TagID method satisfies it; its errors (an invalid name, for instance) are reported to the
// client as bad input.
type Tagger interface {
	TagID(name string) (uint16, error)
}

// JSONOptions configures ParseJSONEntries. The zero value works except for Tagger, which is
// required.
type JSONOptions struct {
	Tagger       Tagger     // resolves "Tag" names (required)
	Tag          string     // tag of entries without "Tag"; "" makes "Tag" required
	SRC          netip.Addr // source of entries without "SRC" or with "SRC":""
	Now          int64      // Unix ns for entries without "TS"; 0 means time.Now()
	MaxEntrySize int        // largest entry in bytes; DefaultMaxEntrySize when <= 0
	MaxEntries   int        // most entries per body; DefaultMaxEntries when <= 0
}

var parserPool fastjson.ParserPool

// zeroTimeJSON is the zero time as the protocol writes it; as an ingest TS it means "unset".
const zeroTimeJSON = "0001-01-01T00:00:00Z"

// ParseJSONEntries decodes a JSON array of entries in the shape of the protocol's SearchEntry
// (PROTOCOL.md §5.2):
//
//	[{"TS":"2024-05-01T09:59:58.816Z","Tag":"syslog","SRC":"10.0.0.5","Data":"aGVsbG8="}]
//
// Keys match in any case. Each field:
//
//   - TS: an RFC 3339 time (see ExtractTime for the accepted variants; no zone means UTC) or
//     epoch seconds/ms/µs/ns as a number (told apart by magnitude). Missing, null or
//     "0001-01-01T00:00:00Z" (the protocol's zero time) means opt.Now. Times outside
//     1677–2262 are rejected.
//   - Tag: a tag name, resolved with opt.Tagger; missing means opt.Tag.
//   - SRC: an IPv4 or IPv6 address; missing, null or "" means opt.SRC.
//   - Data: the entry bytes in standard base64 (padding optional), as SearchEntry carries them.
//   - Text: the entry bytes as a plain JSON string (stored as its UTF-8 encoding), for people
//     who write entries by hand. Exactly one of Data and Text must be given.
//   - Enumerated: ignored, so search output can be fed back in. Any other key is an error.
//
// Everything is validated before any tag is resolved, so a bad body creates no tags; only when
// the Tagger refuses a name do the tags resolved before it stay (a tag holds no entries). Errors
// are *InputError (naming the array index and field), *EntryTooLargeError or
// *TooManyEntriesError. The entries' Data share one new buffer owned by the caller.
func ParseJSONEntries(body []byte, opt JSONOptions) ([]wire.Entry, error) {
	if opt.Tagger == nil {
		panic("BUG: ingest: JSONOptions.Tagger is nil")
	}
	maxEntry := opt.MaxEntrySize
	if maxEntry <= 0 {
		maxEntry = DefaultMaxEntrySize
	}
	maxEntries := opt.MaxEntries
	if maxEntries <= 0 {
		maxEntries = DefaultMaxEntries
	}
	now := opt.Now
	if now == 0 {
		now = time.Now().UnixNano()
	}

	p := parserPool.Get()
	defer parserPool.Put(p)
	v, err := p.ParseBytes(body)
	if err != nil {
		return nil, &InputError{Index: -1, Msg: "malformed JSON", Err: err}
	}
	arr, err := v.Array()
	if err != nil {
		return nil, &InputError{Index: -1, Msg: "body is a JSON " + v.Type().String() + ", not an array of entries"}
	}
	if len(arr) > maxEntries {
		return nil, &TooManyEntriesError{Limit: maxEntries}
	}

	// Decoded data is never longer than its JSON text, so one buffer of len(body) holds all
	// entries without moving.
	d := jsonDecoder{arena: make([]byte, 0, len(body)), src: opt.SRC, now: now, maxEntry: maxEntry}
	entries := make([]wire.Entry, len(arr))
	tagIdx := make([]int, len(arr)) // index into d.tags; -1 for the default tag
	visit := d.visit
	for i, ev := range arr {
		o, err := ev.Object()
		if err != nil {
			return nil, &InputError{Index: i, Msg: "entry is a JSON " + ev.Type().String() + ", not an object"}
		}
		d.begin(i)
		o.Visit(visit)
		if d.err != nil {
			return nil, d.err
		}
		if d.err = d.end(&entries[i]); d.err != nil {
			return nil, d.err
		}
		if d.tag < 0 && opt.Tag == "" {
			return nil, &InputError{Index: i, Field: "Tag", Msg: "missing, and the request names no default tag (tag= query parameter)"}
		}
		tagIdx[i] = d.tag
	}

	// Resolve the tags now that the whole body is known to be good.
	ids := make([]uint16, len(d.tags))
	for k, name := range d.tags {
		id, err := opt.Tagger.TagID(name)
		if err != nil {
			return nil, &InputError{Index: d.tagFirst[k], Field: "Tag", Msg: "tag " + strconv.Quote(name), Err: err}
		}
		ids[k] = id
	}
	var defID uint16
	resolvedDef := false
	for i := range entries {
		if k := tagIdx[i]; k >= 0 {
			entries[i].Tag = ids[k]
			continue
		}
		if !resolvedDef {
			id, err := opt.Tagger.TagID(opt.Tag)
			if err != nil {
				return nil, &InputError{Index: -1, Msg: "query parameter \"tag\": tag " + strconv.Quote(opt.Tag), Err: err}
			}
			defID, resolvedDef = id, true
		}
		entries[i].Tag = defID
	}
	return entries, nil
}

// jsonDecoder holds the state of ParseJSONEntries across the Visit callbacks of one body.
type jsonDecoder struct {
	arena    []byte
	src      netip.Addr
	now      int64
	maxEntry int
	scratch  []byte

	tags     []string // distinct tag names in order of first use
	tagFirst []int    // index of the first entry using each tag

	// per entry
	index   int
	err     error
	seen    uint8
	ts      int64
	entSRC  netip.Addr
	tag     int
	dataOff int
	dataEnd int
}

const (
	seenTS uint8 = 1 << iota
	seenTag
	seenSRC
	seenData
	seenText
	seenEnum
)

func (d *jsonDecoder) begin(i int) {
	d.index, d.err, d.seen = i, nil, 0
	d.ts, d.entSRC, d.tag = d.now, d.src, -1
	d.dataOff, d.dataEnd = 0, 0
}

func (d *jsonDecoder) fail(field, msg string, err error) {
	if d.err == nil {
		d.err = &InputError{Index: d.index, Field: field, Msg: msg, Err: err}
	}
}

// visit handles one key of an entry object.
func (d *jsonDecoder) visit(key []byte, v *fastjson.Value) {
	if d.err != nil {
		return
	}
	var bit uint8
	var field string
	switch {
	case len(key) == 2 && lowerEq(key, "ts"):
		bit, field = seenTS, "TS"
	case len(key) == 3 && lowerEq(key, "tag"):
		bit, field = seenTag, "Tag"
	case len(key) == 3 && lowerEq(key, "src"):
		bit, field = seenSRC, "SRC"
	case len(key) == 4 && lowerEq(key, "data"):
		bit, field = seenData, "Data"
	case len(key) == 4 && lowerEq(key, "text"):
		bit, field = seenText, "Text"
	case len(key) == 10 && lowerEq(key, "enumerated"):
		bit, field = seenEnum, "Enumerated"
	default:
		d.fail("", "unknown field "+quoteTrunc(key)+" (want TS, Tag, SRC, Data or Text)", nil)
		return
	}
	if d.seen&bit != 0 {
		d.fail(field, "given twice", nil)
		return
	}
	d.seen |= bit
	switch bit {
	case seenTS:
		d.parseTS(v)
	case seenTag:
		b, err := v.StringBytes()
		if err != nil {
			d.fail(field, "want a tag name string, got JSON "+v.Type().String(), nil)
			return
		}
		d.tag = d.tagIndex(b)
	case seenSRC:
		d.parseSRC(v)
	case seenData, seenText:
		if v.Type() == fastjson.TypeNull {
			d.fail(field, "is null", nil)
			return
		}
		b, err := v.StringBytes()
		if err != nil {
			d.fail(field, "want a string, got JSON "+v.Type().String(), nil)
			return
		}
		d.dataOff = len(d.arena)
		if bit == seenText {
			d.arena = append(d.arena, b...)
		} else if d.arena, err = appendBase64(d.arena, b); err != nil {
			d.fail(field, "invalid base64 (use Text for a plain string)", err)
			return
		}
		d.dataEnd = len(d.arena)
	}
}

func (d *jsonDecoder) parseTS(v *fastjson.Value) {
	switch v.Type() {
	case fastjson.TypeNull:
		return
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		if string(b) == zeroTimeJSON {
			return
		}
		sec, nsec, end, ok := wire.ScanRFC3339(b, 0)
		if !ok || end != len(b) {
			d.fail("TS", "cannot parse "+quoteTrunc(b)+" as an RFC 3339 time", nil)
			return
		}
		ts, ok := toNanos(sec, nsec)
		if !ok {
			d.fail("TS", "time "+quoteTrunc(b)+" is out of range (1677-09-22 to 2262-04-11)", nil)
			return
		}
		d.ts = ts
	case fastjson.TypeNumber:
		d.scratch = v.MarshalTo(d.scratch[:0])
		sec, nsec, end, ok := wire.ScanEpoch(d.scratch, 0, false)
		if !ok || end != len(d.scratch) {
			d.fail("TS", "cannot parse "+quoteTrunc(d.scratch)+" as epoch time (want a non-negative number of s, ms, µs or ns)", nil)
			return
		}
		ts, ok := toNanos(sec, nsec)
		if !ok {
			d.fail("TS", "epoch time "+quoteTrunc(d.scratch)+" is out of range", nil)
			return
		}
		d.ts = ts
	default:
		d.fail("TS", "want an RFC 3339 string or an epoch number, got JSON "+v.Type().String(), nil)
	}
}

func (d *jsonDecoder) parseSRC(v *fastjson.Value) {
	if v.Type() == fastjson.TypeNull {
		return
	}
	b, err := v.StringBytes()
	if err != nil {
		d.fail("SRC", "want an IP address string, got JSON "+v.Type().String(), nil)
		return
	}
	if len(b) == 0 {
		return
	}
	a, err := netip.ParseAddr(string(b))
	if err != nil {
		d.fail("SRC", "cannot parse "+quoteTrunc(b)+" as an IP address", nil)
		return
	}
	if a.Zone() != "" {
		d.fail("SRC", zoneMsg(b), nil)
		return
	}
	d.entSRC = a.Unmap()
}

func (d *jsonDecoder) tagIndex(name []byte) int {
	for k, t := range d.tags {
		if t == string(name) {
			return k
		}
	}
	d.tags = append(d.tags, string(name))
	d.tagFirst = append(d.tagFirst, d.index)
	return len(d.tags) - 1
}

// end checks the entry's required fields and fills e.
func (d *jsonDecoder) end(e *wire.Entry) error {
	switch {
	case d.seen&(seenData|seenText) == 0:
		return &InputError{Index: d.index, Field: "Data", Msg: "missing (give Data in base64 or Text)"}
	case d.seen&(seenData|seenText) == seenData|seenText:
		return &InputError{Index: d.index, Field: "Text", Msg: "given with Data (give one of them)"}
	}
	if n := d.dataEnd - d.dataOff; n > d.maxEntry {
		return &EntryTooLargeError{Index: d.index, Size: n, Limit: d.maxEntry}
	}
	*e = wire.Entry{TS: d.ts, SRC: d.entSRC, Data: d.arena[d.dataOff:d.dataEnd:d.dataEnd]}
	return nil
}

// appendBase64 decodes standard base64, padded or not, onto dst.
func appendBase64(dst, src []byte) ([]byte, error) {
	enc := base64.StdEncoding
	if len(src)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	n, need := len(dst), enc.DecodedLen(len(src))
	dst = slices.Grow(dst, need)
	m, err := enc.Decode(dst[n:n+need], src)
	return dst[:n+m], err
}
