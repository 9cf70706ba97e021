package extract

import (
	"encoding/binary"
	"errors"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// JSONKind is the kind of a JSON value found by LookupJSON.
type JSONKind uint8

// JSON value kinds.
const (
	JSONInvalid JSONKind = iota
	JSONString
	JSONInt // an integer that fits in int64
	JSONFloat
	JSONBool
	JSONNull
	JSONObject
	JSONArray
)

// JSONValue is a typed JSON value. Bytes holds the unescaped text of a string, the literal of a
// number, and the raw JSON text of an object or array; Int, Float and Bool hold the decoded
// scalars.
type JSONValue struct {
	Kind  JSONKind
	Int   int64
	Float float64
	Bool  bool
	Bytes []byte
}

// JSONPath is a compiled path into a JSON document: dotted member names and array indexes,
// e.g. `a.b.[0].c`, `a.b[0]`, `fields."search-id"`. It is immutable and safe for concurrent use.
type JSONPath struct {
	elems []pathElem
	text  string
}

type pathElem struct {
	key   string
	index int // >= 0: array element; -1: object member key
}

// ErrBadPath is wrapped by ParseJSONPath errors.
var ErrBadPath = errors.New("extract: bad JSON path")

// MaxPathDepth bounds the number of components of a JSON path.
const MaxPathDepth = 64

// ParseJSONPath compiles a JSON path. Components are separated by '.'; a component is a bare
// member name, a double-quoted member name (with \" and \\ escapes) or an array index in
// brackets, which may also follow a name directly (`a[0]`).
func ParseJSONPath(s string) (JSONPath, error) {
	p := JSONPath{text: s}
	i := 0
	if s == "" {
		return p, errors.Join(ErrBadPath, errors.New("empty path"))
	}
	for i < len(s) {
		if len(p.elems) >= MaxPathDepth {
			return JSONPath{}, errors.Join(ErrBadPath, errors.New("too many components"))
		}
		switch s[i] {
		case '[':
			j := i + 1
			for j < len(s) && s[j] != ']' {
				j++
			}
			if j == len(s) || j == i+1 {
				return JSONPath{}, errors.Join(ErrBadPath, errors.New("unterminated or empty index in "+strconv.Quote(s)))
			}
			n, ok := ParseInt([]byte(s[i+1 : j]))
			if !ok || n < 0 || n > 1<<30 || s[i+1] == '+' || s[i+1] == '-' {
				return JSONPath{}, errors.Join(ErrBadPath, errors.New("bad array index in "+strconv.Quote(s)))
			}
			p.elems = append(p.elems, pathElem{index: int(n)})
			i = j + 1
		case '"':
			var key []byte
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				key = append(key, s[j])
			}
			if j == len(s) {
				return JSONPath{}, errors.Join(ErrBadPath, errors.New("unbalanced quote in "+strconv.Quote(s)))
			}
			p.elems = append(p.elems, pathElem{key: string(key), index: -1})
			i = j + 1
		case '.':
			return JSONPath{}, errors.Join(ErrBadPath, errors.New("empty component in "+strconv.Quote(s)))
		default:
			j := i
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				j++
			}
			p.elems = append(p.elems, pathElem{key: s[i:j], index: -1})
			i = j
		}
		if i < len(s) {
			switch s[i] {
			case '.':
				i++
				if i == len(s) {
					return JSONPath{}, errors.Join(ErrBadPath, errors.New("trailing dot in "+strconv.Quote(s)))
				}
			case '[':
			default:
				return JSONPath{}, errors.Join(ErrBadPath, errors.New("expected '.' after component in "+strconv.Quote(s)))
			}
		}
	}
	return p, nil
}

// String returns the path as it was written.
func (p *JSONPath) String() string { return p.text }

// Name returns the default enumerated value name for the path: its last component, e.g. "c"
// for `a.b.c` and "[0]" for `groups.[0]`.
func (p *JSONPath) Name() string {
	if len(p.elems) == 0 {
		return ""
	}
	e := p.elems[len(p.elems)-1]
	if e.index >= 0 {
		return "[" + strconv.Itoa(e.index) + "]"
	}
	return e.key
}

// LookupJSON finds the value at path p in the JSON document data. String values are unescaped:
// without escapes Bytes points into data, otherwise the text is appended to scratch and the
// grown scratch is returned. ok is false when the path does not exist or the document is
// malformed on the way to it. It does not allocate unless scratch must grow.
func LookupJSON(data []byte, p *JSONPath, scratch []byte) (v JSONValue, scratchOut []byte, ok bool) {
	return lookupFrom(data, skipWS(data, 0), p.elems, scratch)
}

// FindJSONMembers walks the top-level object of data once and, for every path of ps whose
// first component is a member name, stores in at[k] the offset in data of the value of the
// first member with that name, or -1 when there is none (or data is not an object, or is
// malformed before it). Paths whose first component is an array index get -2: look them up
// with LookupJSON. The walk stops once every path has its member. LookupJSONAt then finishes
// each path from its offset; together they give what LookupJSON gives for each path, with
// one pass over the object instead of one per path. at must have len(ps) elements. It does
// not allocate.
func FindJSONMembers(data []byte, ps []JSONPath, at []int) {
	left := 0
	for k := range ps {
		at[k] = -1
		if len(ps[k].elems) == 0 || ps[k].elems[0].index >= 0 {
			at[k] = -2
			continue
		}
		left++
	}
	i := skipWS(data, 0)
	if left == 0 || i >= len(data) || data[i] != '{' {
		return
	}
	var it objectIter
	it.init(data, i)
	for {
		key, esc, vs, more := it.key()
		if !more {
			return
		}
		for k := range ps {
			if at[k] == -1 && keyEquals(key, esc, ps[k].elems[0].key) {
				at[k] = vs
				left--
			}
		}
		// NOTE: the last member wanted is not skipped (often a nested object, such as the
		// "client" of "client.ip", that LookupJSONAt walks anyway)
		if left == 0 {
			return
		}
		if _, more = it.skip(vs); !more {
			return
		}
	}
}

// LookupJSONAt finishes the lookup of path p in data from the offset FindJSONMembers found
// for it (which must be >= 0): results and scratch as for LookupJSON.
func LookupJSONAt(data []byte, off int, p *JSONPath, scratch []byte) (v JSONValue, scratchOut []byte, ok bool) {
	return lookupFrom(data, off, p.elems[1:], scratch)
}

// lookupFrom follows elems from the value at data[i] and decodes the value it reaches.
func lookupFrom(data []byte, i int, elems []pathElem, scratch []byte) (v JSONValue, scratchOut []byte, ok bool) {
	for _, e := range elems {
		if i >= len(data) {
			return v, scratch, false
		}
		found := -1
		if e.index >= 0 {
			if data[i] != '[' {
				return v, scratch, false
			}
			var it arrayIter
			it.init(data, i)
			for n := 0; ; n++ {
				start, _, more := it.next()
				if !more {
					break
				}
				if n == e.index {
					found = start
					break
				}
			}
		} else {
			if data[i] != '{' {
				return v, scratch, false
			}
			var it objectIter
			it.init(data, i)
			for {
				key, esc, vs, more := it.key()
				if !more {
					break
				}
				if keyEquals(key, esc, e.key) {
					found = vs // not skipped: the next step reads it
					break
				}
				if _, more = it.skip(vs); !more {
					break
				}
			}
		}
		if found < 0 {
			return v, scratch, false
		}
		i = found
	}
	end, ok := skipValue(data, i)
	if !ok {
		return v, scratch, false
	}
	v, scratch, ok = decodeValue(data[i:end], scratch)
	return v, scratch, ok
}

// decodeValue decodes one complete JSON value (no surrounding space).
func decodeValue(raw []byte, scratch []byte) (JSONValue, []byte, bool) {
	var v JSONValue
	if len(raw) == 0 {
		return v, scratch, false
	}
	switch c := raw[0]; {
	case c == '"':
		body := raw[1 : len(raw)-1]
		v.Kind = JSONString
		if !hasByte(body, '\\') {
			v.Bytes = body
			return v, scratch, true
		}
		start := len(scratch)
		var ok bool
		scratch, ok = AppendUnescapedJSON(scratch, body)
		if !ok {
			return JSONValue{}, scratch[:start], false
		}
		v.Bytes = scratch[start:len(scratch):len(scratch)]
		return v, scratch, true
	case c == '{':
		v.Kind, v.Bytes = JSONObject, raw
	case c == '[':
		v.Kind, v.Bytes = JSONArray, raw
	case c == 't':
		v.Kind, v.Bool, v.Bytes = JSONBool, true, raw
	case c == 'f':
		v.Kind, v.Bytes = JSONBool, raw
	case c == 'n':
		v.Kind, v.Bytes = JSONNull, raw
	default:
		kind, n, f := ParseNumber(raw)
		switch kind {
		case IntNumber:
			v.Kind, v.Int = JSONInt, n
		case FloatNumber:
			v.Kind, v.Float = JSONFloat, f
		default:
			return v, scratch, false
		}
		v.Bytes = raw
	}
	return v, scratch, true
}

func hasByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// keyEquals compares a raw (still escaped) member name with want.
func keyEquals(raw []byte, esc bool, want string) bool {
	if !esc {
		return string(raw) == want
	}
	if len(raw) < len(want) {
		return false // escapes only make the text shorter
	}
	var tmp [256]byte
	u, ok := AppendUnescapedJSON(tmp[:0], raw)
	return ok && string(u) == want
}

// AppendUnescapedJSON appends the unescaped form of the body of a JSON string (without quotes)
// to dst. Invalid escapes make ok false; lone surrogates become U+FFFD.
func AppendUnescapedJSON(dst, s []byte) (out []byte, ok bool) {
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			j := i + 1
			for j < len(s) && s[j] != '\\' {
				j++
			}
			dst = append(dst, s[i:j]...)
			i = j
			continue
		}
		if i+1 >= len(s) {
			return dst, false
		}
		switch s[i+1] {
		case '"', '\\', '/':
			dst = append(dst, s[i+1])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(s[i+2:])
			if !ok {
				return dst, false
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4AfterU(s[i:]); ok {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						i += 6
						dst = utf8.AppendRune(dst, dec)
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default:
			return dst, false
		}
		i += 2
	}
	return dst, true
}

func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

func hex4AfterU(s []byte) (rune, bool) {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return 0, false
	}
	return hex4(s[2:])
}

// MaxJSONDepth bounds nesting while skipping values.
const MaxJSONDepth = 1000

func skipWS(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// scanString returns the index after the closing quote of the string starting at data[i]
// (which must be '"') and whether the string holds escapes.
//
// NOTE: it looks at eight bytes at a time for the bytes that end or interrupt a string (quote,
// backslash, control characters); the byte-at-a-time switch it replaces was a fifth of json
// extraction's time, most of it inside long values such as user agents.
func scanString(data []byte, i int) (end int, esc bool, ok bool) {
	i++
	for i < len(data) {
		if i+8 <= len(data) {
			if m := stringStops(binary.LittleEndian.Uint64(data[i:])); m == 0 {
				i += 8
				continue
			} else {
				i += bits.TrailingZeros64(m) / 8
			}
		}
		switch c := data[i]; {
		case c == '"':
			return i + 1, esc, true
		case c == '\\':
			esc = true
			i += 2
		case c < 0x20:
			return 0, false, false
		default:
			i++
		}
	}
	return 0, false, false
}

// Byte-parallel masks over a little-endian word of eight bytes: the high bit of each byte of
// the result is set exactly where the byte qualifies (no carries between bytes).
const (
	lo7 = 0x7f7f7f7f7f7f7f7f
	hi1 = 0x8080808080808080
)

// zeroBytes marks the zero bytes of x.
func zeroBytes(x uint64) uint64 { return ^((x&lo7 + lo7) | x) & hi1 }

// stringStops marks the quotes, backslashes and control characters (< 0x20) of x.
func stringStops(x uint64) uint64 {
	const quotes, backslashes = 0x2222222222222222, 0x5c5c5c5c5c5c5c5c
	ctl := ^((x&lo7 + 0x6060606060606060) | x) & hi1
	return zeroBytes(x^quotes) | zeroBytes(x^backslashes) | ctl
}

// skipValue returns the index just after the JSON value starting at data[i]. It checks
// structure (brackets, strings, literals) but not number syntax in depth.
func skipValue(data []byte, i int) (int, bool) {
	if i >= len(data) {
		return 0, false
	}
	switch c := data[i]; c {
	case '"':
		end, _, ok := scanString(data, i)
		return end, ok
	case '{', '[':
		var stack [MaxJSONDepth / 8]byte // bit per level: 1 = object
		depth := 0
		push := func(obj bool) bool {
			if depth >= MaxJSONDepth {
				return false
			}
			if obj {
				stack[depth>>3] |= 1 << (depth & 7)
			} else {
				stack[depth>>3] &^= 1 << (depth & 7)
			}
			depth++
			return true
		}
		for i < len(data) {
			switch c := data[i]; c {
			case '{', '[':
				if !push(c == '{') {
					return 0, false
				}
				i++
			case '}', ']':
				if depth == 0 {
					return 0, false
				}
				depth--
				isObj := stack[depth>>3]&(1<<(depth&7)) != 0
				if isObj != (c == '}') {
					return 0, false
				}
				i++
				if depth == 0 {
					return i, true
				}
			case '"':
				end, _, ok := scanString(data, i)
				if !ok {
					return 0, false
				}
				i = end
			case ' ', '\t', '\n', '\r', ',', ':':
				i++
			default:
				j := i
				for j < len(data) && isScalarByte(data[j]) {
					j++
				}
				if j == i {
					return 0, false
				}
				i = j
			}
		}
		return 0, false
	default:
		j := i
		for j < len(data) && isScalarByte(data[j]) {
			j++
		}
		if j == i {
			return 0, false
		}
		switch string(data[i:j]) {
		case "true", "false", "null":
			return j, true
		}
		if c == '-' || c >= '0' && c <= '9' {
			return j, true
		}
		return 0, false
	}
}

func isScalarByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'E'
}

// objectIter walks the members of a JSON object.
type objectIter struct {
	data []byte
	i    int
	done bool
	n    int
}

func (it *objectIter) init(data []byte, i int) {
	it.data, it.i, it.done, it.n = data, i+1, false, 0
}

// next returns the raw member name (without quotes), whether it holds escapes, and the
// bounds of the member value. more is false at the end or on malformed input.
func (it *objectIter) next() (key []byte, esc bool, vs, ve int, more bool) {
	key, esc, vs, more = it.key()
	if !more {
		return nil, false, 0, 0, false
	}
	if ve, more = it.skip(vs); !more {
		return nil, false, 0, 0, false
	}
	return key, esc, vs, ve, true
}

// key returns the next member's raw name, whether it holds escapes, and where its value
// starts; skip must follow before the next call. more is false at the end or on malformed
// input.
func (it *objectIter) key() (key []byte, esc bool, vs int, more bool) {
	if it.done {
		return nil, false, 0, false
	}
	d := it.data
	i := skipWS(d, it.i)
	if it.n > 0 {
		if i < len(d) && d[i] == ',' {
			i = skipWS(d, i+1)
		} else {
			it.done = true
			return nil, false, 0, false
		}
	}
	if i >= len(d) || d[i] != '"' {
		it.done = true
		return nil, false, 0, false
	}
	kend, esc, ok := scanString(d, i)
	if !ok {
		it.done = true
		return nil, false, 0, false
	}
	key = d[i+1 : kend-1]
	i = skipWS(d, kend)
	if i >= len(d) || d[i] != ':' {
		it.done = true
		return nil, false, 0, false
	}
	return key, esc, skipWS(d, i+1), true
}

// skip passes the value that starts at data[vs] (as key returned it) and returns its end.
func (it *objectIter) skip(vs int) (ve int, more bool) {
	ve, ok := skipValue(it.data, vs)
	if !ok {
		it.done = true
		return 0, false
	}
	it.i = ve
	it.n++
	return ve, true
}

// arrayIter walks the elements of a JSON array.
type arrayIter struct {
	data []byte
	i    int
	done bool
	n    int
}

func (it *arrayIter) init(data []byte, i int) {
	it.data, it.i, it.done, it.n = data, i+1, false, 0
}

func (it *arrayIter) next() (vs, ve int, more bool) {
	if it.done {
		return 0, 0, false
	}
	d := it.data
	i := skipWS(d, it.i)
	if it.n > 0 {
		if i < len(d) && d[i] == ',' {
			i = skipWS(d, i+1)
		} else {
			it.done = true
			return 0, 0, false
		}
	}
	if i >= len(d) || d[i] == ']' {
		it.done = true
		return 0, 0, false
	}
	ve, ok := skipValue(d, i)
	if !ok {
		it.done = true
		return 0, 0, false
	}
	it.i = ve
	it.n++
	return i, ve, true
}
