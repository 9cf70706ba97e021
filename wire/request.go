package wire

import (
	"strconv"

	"github.com/valyala/fastjson"
)

// Request is one render-module request on a search's output channel (PROTOCOL.md §4.1):
// BaseRequest with its EntryRange and Stats parts. Decode it with RequestParser.Parse; a Request
// is reused across calls and its Addendum buffer with it.
type Request struct {
	ID            uint32
	HasID         bool // the request had a numeric ID
	EntryRange    EntryRange
	HasEntryRange bool // EntryRange was present (and not null)
	Stats         StatsRequest
	HasStats      bool // Stats was present (and not null)
	// Addendum is the raw JSON of the request's Addendum (whitespace between tokens removed,
	// everything else as sent), nil when absent or null. It is echoed in the response (§4.3).
	// It points into the Request's own buffer and is valid until the next Parse into it.
	Addendum []byte
	// Err is the first decoding failure, nil when the request decoded cleanly. Handlers answer
	// a request with Err set with RESP_ERROR carrying Err.Error() (§4.4).
	Err error

	buf []byte
}

// EntryRange is the EntryRange of a request or response (PROTOCOL.md §4.1): indexes
// [First, Last) and a time window [StartTS, EndTS). Times are Unix nanoseconds, meaningful only
// when the matching Has flag is true; an unset time is written as the zero time.
type EntryRange struct {
	First, Last          uint64
	StartTS, EndTS       int64
	HasStartTS, HasEndTS bool
}

// StatsRequest is the Stats object of a stats request (PROTOCOL.md §4.1 SearchStatsRequest).
// SetStart and SetEnd are Unix nanoseconds, meaningful only when their Has flag is true.
type StatsRequest struct {
	SetCount               int64
	SetStart, SetEnd       int64
	HasSetStart, HasSetEnd bool
}

// Reset clears r for reuse, keeping its buffer.
func (r *Request) Reset() {
	buf := r.buf[:0]
	*r = Request{buf: buf}
}

// RequestError is a request that cannot be decoded. Field is the JSON path of the offending
// field ("EntryRange.First"), empty when the request as a whole is bad. Its text is what the
// client sees in RESP_ERROR, so it names the field first: "EntryRange.First: number overflows
// uint64: 18446744073709551616".
type RequestError struct {
	Field string
	Msg   string
}

func (e *RequestError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// DefaultMaxRequestSize is RequestParser.MaxSize when it is zero.
const DefaultMaxRequestSize = 1 << 20

// RequestParser decodes requests of one connection (PROTOCOL.md §4.1, §3.3, §3.4, §3.6).
// Keys are matched ignoring ASCII case, an exact-case key winning over a folded one (§0);
// unknown keys are ignored and null means absent. It wraps one fastjson.Parser and allocates
// nothing per request in steady state. A RequestParser is not safe for concurrent use.
type RequestParser struct {
	// MaxSize is the largest request, in bytes, the parser accepts; default
	// DefaultMaxRequestSize. Larger requests fail before parsing.
	MaxSize int

	p       fastjson.Parser
	scratch []byte
}

// Parse decodes the render request data (the "data" value of the envelope) into req, which
// is reset first. Decoding continues past a bad field so that the Addendum is still captured for
// the error reply; the first failure is returned and also kept in req.Err.
func (p *RequestParser) Parse(data []byte, req *Request) error {
	req.Reset()
	v, err := p.parseObject(data)
	if err != nil {
		req.Err = err
		return err
	}
	var f [4]field
	visitFields(v, requestKeys[:], f[:])
	if a := f[3].v; a != nil && a.Type() != fastjson.TypeNull {
		req.buf = a.MarshalTo(req.buf[:0])
		req.Addendum = req.buf
	}
	switch id := f[0].v; {
	case id == nil || id.Type() == fastjson.TypeNull:
		req.fail("ID", "missing request ID")
	case id.Type() == fastjson.TypeString:
		s, _ := id.StringBytes()
		req.fail("ID", "request ID must be a number, got string "+quoteTrunc(s))
	default:
		n, err := p.uint(id, 32)
		if err != "" {
			req.fail("ID", err)
		} else {
			req.ID, req.HasID = uint32(n), true
		}
	}
	if er := f[1].v; er != nil && er.Type() != fastjson.TypeNull {
		req.HasEntryRange = p.entryRange(er, req)
	}
	if st := f[2].v; st != nil && st.Type() != fastjson.TypeNull {
		req.HasStats = p.statsRequest(st, req)
	}
	return req.Err
}

var requestKeys = [...]string{"ID", "EntryRange", "Stats", "Addendum"}
var entryRangeKeys = [...]string{"First", "Last", "StartTS", "EndTS"}
var statsKeys = [...]string{"SetCount", "SetStart", "SetEnd"}

func (r *Request) fail(field, msg string) {
	if r.Err == nil {
		r.Err = &RequestError{Field: field, Msg: msg}
	}
}

func (p *RequestParser) entryRange(v *fastjson.Value, req *Request) bool {
	if v.Type() != fastjson.TypeObject {
		req.fail("EntryRange", "expected an object, got "+v.Type().String())
		return false
	}
	var f [4]field
	visitFields(v, entryRangeKeys[:], f[:])
	er := &req.EntryRange
	ok := true
	if x := f[0].v; present(x) {
		n, err := p.uint(x, 64)
		if err != "" {
			req.fail("EntryRange.First", err)
			ok = false
		}
		er.First = n
	}
	if x := f[1].v; present(x) {
		n, err := p.uint(x, 64)
		if err != "" {
			req.fail("EntryRange.Last", err)
			ok = false
		}
		er.Last = n
	}
	ok = p.timeField(f[2].v, "EntryRange.StartTS", req, &er.StartTS, &er.HasStartTS) && ok
	ok = p.timeField(f[3].v, "EntryRange.EndTS", req, &er.EndTS, &er.HasEndTS) && ok
	return ok
}

func (p *RequestParser) statsRequest(v *fastjson.Value, req *Request) bool {
	if v.Type() != fastjson.TypeObject {
		req.fail("Stats", "expected an object, got "+v.Type().String())
		return false
	}
	var f [3]field
	visitFields(v, statsKeys[:], f[:])
	st := &req.Stats
	ok := true
	if x := f[0].v; present(x) {
		n, err := p.int64(x)
		if err != "" {
			req.fail("Stats.SetCount", err)
			ok = false
		}
		st.SetCount = n
	}
	ok = p.timeField(f[1].v, "Stats.SetStart", req, &st.SetStart, &st.HasSetStart) && ok
	ok = p.timeField(f[2].v, "Stats.SetEnd", req, &st.SetEnd, &st.HasSetEnd) && ok
	return ok
}

// timeField decodes an optional timestamp field x into *ns and *set, recording a failure
// under name in req. It reports whether the field was absent or valid.
func (p *RequestParser) timeField(x *fastjson.Value, name string, req *Request, ns *int64, set *bool) bool {
	if !present(x) {
		return true
	}
	v, isSet, err := p.timestamp(x)
	*ns, *set = v, isSet
	if err != "" {
		req.fail(name, err)
		return false
	}
	return true
}

// parseObject checks the size and parses data, which must be a JSON object.
func (p *RequestParser) parseObject(data []byte) (*fastjson.Value, error) {
	max := p.MaxSize
	if max <= 0 {
		max = DefaultMaxRequestSize
	}
	if len(data) > max {
		return nil, &RequestError{Msg: "request of " + strconv.Itoa(len(data)) +
			" bytes exceeds RequestParser.MaxSize (" + strconv.Itoa(max) + ")"}
	}
	v, err := p.p.ParseBytes(data)
	if err != nil {
		return nil, &RequestError{Msg: "request is not valid JSON: " + err.Error()}
	}
	if v.Type() != fastjson.TypeObject {
		return nil, &RequestError{Msg: "request is not a JSON object, got " + v.Type().String()}
	}
	return v, nil
}

// field is the value chosen for one known key and whether its key matched exactly.
type field struct {
	v     *fastjson.Value
	exact bool
}

// visitFields picks, for each name in names, the value of the object's matching key: keys match
// ignoring ASCII case, an exact match wins over a folded one, and among equals the last wins
// (as encoding/json overwrites).
func visitFields(v *fastjson.Value, names []string, out []field) {
	o, _ := v.Object()
	o.Visit(func(key []byte, val *fastjson.Value) {
		for i, name := range names {
			if len(key) != len(name) {
				continue
			}
			exact := string(key) == name
			if !exact && !equalFoldASCII(key, name) {
				continue
			}
			if exact || !out[i].exact {
				out[i] = field{v: val, exact: exact}
			}
			return
		}
	})
}

// equalFoldASCII reports whether a equals b under ASCII case folding (request keys, §0).
func equalFoldASCII(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func present(v *fastjson.Value) bool { return v != nil && v.Type() != fastjson.TypeNull }

// numberLiteral returns the raw text of a JSON number value in the parser's scratch buffer.
func (p *RequestParser) numberLiteral(v *fastjson.Value) []byte {
	p.scratch = v.MarshalTo(p.scratch[:0])
	return p.scratch
}

// uint decodes v as an unsigned integer of the given bit size, strictly as encoding/json
// does: a JSON number without fraction or exponent, in range. The error is "" on success.
func (p *RequestParser) uint(v *fastjson.Value, bits int) (uint64, string) {
	if v.Type() != fastjson.TypeNumber {
		return 0, "expected a number, got " + v.Type().String()
	}
	lit := p.numberLiteral(v)
	neg, ok := checkNumber(lit)
	if !ok {
		return 0, "invalid number " + quoteTrunc(lit)
	}
	if !isInteger(lit) {
		return 0, "number is not an integer: " + truncate(lit)
	}
	if neg {
		return 0, "number overflows uint" + strconv.Itoa(bits) + ": " + truncate(lit)
	}
	n, err := strconv.ParseUint(b2s(lit), 10, bits)
	if err != nil {
		return 0, "number overflows uint" + strconv.Itoa(bits) + ": " + truncate(lit)
	}
	return n, ""
}

// int64 decodes v as a signed 64-bit integer, strictly.
func (p *RequestParser) int64(v *fastjson.Value) (int64, string) {
	if v.Type() != fastjson.TypeNumber {
		return 0, "expected a number, got " + v.Type().String()
	}
	lit := p.numberLiteral(v)
	if _, ok := checkNumber(lit); !ok {
		return 0, "invalid number " + quoteTrunc(lit)
	}
	if !isInteger(lit) {
		return 0, "number is not an integer: " + truncate(lit)
	}
	n, err := strconv.ParseInt(b2s(lit), 10, 64)
	if err != nil {
		return 0, "number overflows int64: " + truncate(lit)
	}
	return n, ""
}

// timestamp decodes v as an RFC 3339 string. set is false for times before
// 0001-01-02T00:00:00Z, which mean "unset" (PROTOCOL.md §4.1).
func (p *RequestParser) timestamp(v *fastjson.Value) (ns int64, set bool, msg string) {
	if v.Type() != fastjson.TypeString {
		return 0, false, "not an RFC 3339 time: expected a string, got " + v.Type().String()
	}
	s, _ := v.StringBytes()
	sec, nsec, ok := ParseRFC3339(s)
	if !ok {
		return 0, false, "not an RFC 3339 time: " + quoteTrunc(s)
	}
	if sec < unsetBeforeSec {
		return 0, false, ""
	}
	return unixNanoClamped(sec, nsec), true, ""
}

// checkNumber validates the JSON number grammar (RFC 8259 §6), which fastjson does not.
func checkNumber(b []byte) (neg, ok bool) {
	i := 0
	if i < len(b) && b[i] == '-' {
		neg = true
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return neg, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		j := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == j {
			return neg, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == j {
			return neg, false
		}
	}
	return neg, i == len(b)
}

func isInteger(b []byte) bool {
	for _, c := range b {
		if c == '.' || c == 'e' || c == 'E' {
			return false
		}
	}
	return true
}

// maxEcho bounds how much of a bad input value an error message repeats.
const maxEcho = 64

func truncate(b []byte) string {
	if len(b) > maxEcho {
		return string(b[:maxEcho]) + "..."
	}
	return string(b)
}

func quoteTrunc(b []byte) string {
	return strconv.Quote(truncate(b))
}
