package wire

import (
	"strconv"
	"sync"
	"time"

	"github.com/valyala/fastjson"
)

// FilterRequest is a filter the client asks to insert into a query (PROTOCOL.md §3.4).
type FilterRequest struct {
	Tag    string
	Module string
	Args   string
	Path   string
	Name   string
	Op     string
	Value  string
}

// ParseSearchRequest is a request on the parse channel (PROTOCOL.md §3.3).
type ParseSearchRequest struct {
	SearchString string
	Sequence     uint64
	Filters      []FilterRequest
}

// StartSearchRequest is a message on the search channel (PROTOCOL.md §3.4): either a launch
// (it has a SearchString key) or an acknowledgement (it has an OK/Ok key). Times before
// 0001-01-02 and null times are the zero time.Time.
type StartSearchRequest struct {
	SearchString    string
	HasSearchString bool // the message had a SearchString key: it is a launch
	SearchStart     time.Time
	SearchEnd       time.Time
	Background      bool
	NoHistory       bool
	Preview         bool
	NonTemporal     bool
	Metadata        []byte // raw JSON, nil when absent or null
	Addendum        []byte // raw JSON, nil when absent or null
	Name            string
	Filters         []FilterRequest
	LaunchInfo      LaunchInfo
	GIDs            []int32
	Global          bool
	// FullResolutionStats is the non-standard switch that lifts the stats bucket cap (§5.11).
	FullResolutionStats bool

	// OK is the acknowledgement's OK (or Ok, any case); HasOK says the key was present.
	OK                   bool
	HasOK                bool
	OutputSearchSubproto string

	// IsLaunch is true for a launch (a message with a SearchString key), IsAck for an
	// acknowledgement (an OK/Ok key and no SearchString). Both false: neither (§3.4).
	IsLaunch bool
	IsAck    bool
}

// AttachSearchRequest is a request on the attach channel (PROTOCOL.md §3.6). ID is the search
// ID; a JSON number is accepted and converted to its decimal text.
type AttachSearchRequest struct {
	ID string
}

var parseSearchKeys = [...]string{"SearchString", "Sequence", "Filters"}

// ParseSearchRequest decodes a parse-channel request into dst (overwritten). Strings are copied.
// The error names the field ("Sequence: number overflows uint64: -1").
func (p *RequestParser) ParseSearchRequest(data []byte, dst *ParseSearchRequest) error {
	*dst = ParseSearchRequest{}
	v, err := p.parseObject(data)
	if err != nil {
		return err
	}
	var f [len(parseSearchKeys)]field
	visitFields(v, parseSearchKeys[:], f[:])
	var d decoder
	d.p = p
	dst.SearchString = d.str("SearchString", f[0].v)
	if x := f[1].v; present(x) {
		n, msg := p.uint(x, 64)
		d.fail("Sequence", msg)
		dst.Sequence = n
	}
	dst.Filters = d.filters(f[2].v)
	return d.err
}

var startSearchKeys = [...]string{"SearchString", "SearchStart", "SearchEnd", "Background",
	"NoHistory", "Preview", "NonTemporal", "Metadata", "Addendum", "Name", "Filters", "LaunchInfo",
	"GIDs", "Global", "FullResolutionStats", "OK", "OutputSearchSubproto"}

// StartSearchRequest decodes a search-channel message into dst (overwritten): a launch or an
// acknowledgement. Raw JSON fields and strings are copied.
func (p *RequestParser) StartSearchRequest(data []byte, dst *StartSearchRequest) error {
	*dst = StartSearchRequest{}
	v, err := p.parseObject(data)
	if err != nil {
		return err
	}
	var f [len(startSearchKeys)]field
	visitFields(v, startSearchKeys[:], f[:])
	d := decoder{p: p}
	dst.HasSearchString = present(f[0].v)
	dst.SearchString = d.str("SearchString", f[0].v)
	dst.SearchStart = d.time("SearchStart", f[1].v)
	dst.SearchEnd = d.time("SearchEnd", f[2].v)
	dst.Background = d.bool("Background", f[3].v)
	dst.NoHistory = d.bool("NoHistory", f[4].v)
	dst.Preview = d.bool("Preview", f[5].v)
	dst.NonTemporal = d.bool("NonTemporal", f[6].v)
	dst.Metadata = d.raw(f[7].v)
	dst.Addendum = d.raw(f[8].v)
	dst.Name = d.str("Name", f[9].v)
	dst.Filters = d.filters(f[10].v)
	dst.LaunchInfo = d.launchInfo(f[11].v)
	dst.GIDs = d.gids(f[12].v)
	dst.Global = d.bool("Global", f[13].v)
	dst.FullResolutionStats = d.bool("FullResolutionStats", f[14].v)
	dst.HasOK = present(f[15].v)
	dst.OK = d.bool("OK", f[15].v)
	dst.OutputSearchSubproto = d.str("OutputSearchSubproto", f[16].v)
	dst.IsLaunch = dst.HasSearchString
	dst.IsAck = !dst.HasSearchString && dst.HasOK
	return d.err
}

var attachKeys = [...]string{"ID"}

// AttachSearchRequest decodes an attach-channel request into dst (overwritten). A missing or
// empty ID is an error.
func (p *RequestParser) AttachSearchRequest(data []byte, dst *AttachSearchRequest) error {
	*dst = AttachSearchRequest{}
	v, err := p.parseObject(data)
	if err != nil {
		return err
	}
	var f [1]field
	visitFields(v, attachKeys[:], f[:])
	x := f[0].v
	switch {
	case !present(x):
		return &RequestError{Field: "ID", Msg: "missing search ID"}
	case x.Type() == fastjson.TypeString:
		s, _ := x.StringBytes()
		if len(s) == 0 {
			return &RequestError{Field: "ID", Msg: "missing search ID"}
		}
		dst.ID = string(s)
	case x.Type() == fastjson.TypeNumber:
		n, msg := p.uint(x, 64)
		if msg != "" {
			return &RequestError{Field: "ID", Msg: msg}
		}
		dst.ID = strconv.FormatUint(n, 10)
	default:
		return &RequestError{Field: "ID", Msg: "expected a string, got " + x.Type().String()}
	}
	return nil
}

// decoder collects the first error while decoding the fields of a base-channel request.
type decoder struct {
	p   *RequestParser
	err error
}

func (d *decoder) fail(field, msg string) {
	if msg != "" && d.err == nil {
		d.err = &RequestError{Field: field, Msg: msg}
	}
}

func (d *decoder) str(name string, v *fastjson.Value) string {
	if !present(v) {
		return ""
	}
	if v.Type() != fastjson.TypeString {
		d.fail(name, "expected a string, got "+v.Type().String())
		return ""
	}
	s, _ := v.StringBytes()
	return string(s)
}

func (d *decoder) bool(name string, v *fastjson.Value) bool {
	if !present(v) {
		return false
	}
	switch v.Type() {
	case fastjson.TypeTrue:
		return true
	case fastjson.TypeFalse:
		return false
	}
	d.fail(name, "expected a bool, got "+v.Type().String())
	return false
}

func (d *decoder) time(name string, v *fastjson.Value) time.Time {
	if !present(v) {
		return time.Time{}
	}
	if v.Type() != fastjson.TypeString {
		d.fail(name, "not an RFC 3339 time: expected a string, got "+v.Type().String())
		return time.Time{}
	}
	s, _ := v.StringBytes()
	sec, nsec, ok := ParseRFC3339(s)
	if !ok {
		d.fail(name, "not an RFC 3339 time: "+quoteTrunc(s))
		return time.Time{}
	}
	return TimeFromUnix(sec, nsec)
}

func (d *decoder) raw(v *fastjson.Value) []byte {
	if !present(v) {
		return nil
	}
	return v.MarshalTo(nil)
}

var filterKeys = [...]string{"Tag", "Module", "Args", "Path", "Name", "Op", "Value"}

func (d *decoder) filters(v *fastjson.Value) []FilterRequest {
	if !present(v) {
		return nil
	}
	if v.Type() != fastjson.TypeArray {
		d.fail("Filters", "expected an array, got "+v.Type().String())
		return nil
	}
	a, _ := v.Array()
	out := make([]FilterRequest, len(a))
	for i, e := range a {
		name := "Filters[" + strconv.Itoa(i) + "]"
		if !present(e) {
			continue
		}
		if e.Type() != fastjson.TypeObject {
			d.fail(name, "expected an object, got "+e.Type().String())
			continue
		}
		var f [len(filterKeys)]field
		visitFields(e, filterKeys[:], f[:])
		fr := &out[i]
		for j, s := range []*string{&fr.Tag, &fr.Module, &fr.Args, &fr.Path, &fr.Name, &fr.Op, &fr.Value} {
			*s = d.str(name+"."+filterKeys[j], f[j].v)
		}
	}
	return out
}

var launchInfoKeys = [...]string{"method", "reference", "started", "expires"}

func (d *decoder) launchInfo(v *fastjson.Value) LaunchInfo {
	var li LaunchInfo
	if !present(v) {
		return li
	}
	if v.Type() != fastjson.TypeObject {
		d.fail("LaunchInfo", "expected an object, got "+v.Type().String())
		return li
	}
	var f [len(launchInfoKeys)]field
	visitFields(v, launchInfoKeys[:], f[:])
	li.Method = d.str("LaunchInfo.method", f[0].v)
	li.Reference = d.str("LaunchInfo.reference", f[1].v)
	li.Started = d.time("LaunchInfo.started", f[2].v)
	li.Expires = d.time("LaunchInfo.expires", f[3].v)
	return li
}

func (d *decoder) gids(v *fastjson.Value) []int32 {
	if !present(v) {
		return nil
	}
	if v.Type() != fastjson.TypeArray {
		d.fail("GIDs", "expected an array, got "+v.Type().String())
		return nil
	}
	a, _ := v.Array()
	out := make([]int32, 0, len(a))
	for i, e := range a {
		if !present(e) {
			out = append(out, 0)
			continue
		}
		n, msg := d.p.int64(e)
		if msg == "" && (n < -1<<31 || n > 1<<31-1) {
			msg = "number overflows int32: " + strconv.FormatInt(n, 10)
		}
		if msg != "" {
			d.fail("GIDs["+strconv.Itoa(i)+"]", msg)
			return nil
		}
		out = append(out, int32(n))
	}
	return out
}

// parserPool serves the package-level conveniences below.
var parserPool = sync.Pool{New: func() any { return new(RequestParser) }}

// ParseParseSearchRequest decodes a parse-channel request with a pooled RequestParser. Prefer
// RequestParser.ParseSearchRequest on a connection's own parser.
func ParseParseSearchRequest(data []byte) (ParseSearchRequest, error) {
	p := parserPool.Get().(*RequestParser)
	defer parserPool.Put(p)
	var r ParseSearchRequest
	err := p.ParseSearchRequest(data, &r)
	return r, err
}

// ParseStartSearchRequest decodes a search-channel message with a pooled RequestParser.
func ParseStartSearchRequest(data []byte) (StartSearchRequest, error) {
	p := parserPool.Get().(*RequestParser)
	defer parserPool.Put(p)
	var r StartSearchRequest
	err := p.StartSearchRequest(data, &r)
	return r, err
}

// ParseAttachSearchRequest decodes an attach-channel request with a pooled RequestParser and
// returns the search ID.
func ParseAttachSearchRequest(data []byte) (string, error) {
	p := parserPool.Get().(*RequestParser)
	defer parserPool.Put(p)
	var r AttachSearchRequest
	err := p.AttachSearchRequest(data, &r)
	return r.ID, err
}
