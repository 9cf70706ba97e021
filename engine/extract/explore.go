package extract

import (
	"strconv"

	"github.com/sluicehq/sluice/wire"
)

// ExploreConfig bounds the data explorer's output per entry. The zero value works.
type ExploreConfig struct {
	MaxDepth    int // nesting levels of JSON shown as SubElements; default 8
	MaxElements int // elements per entry, nested ones included; default 512
}

func (c ExploreConfig) withDefaults() ExploreConfig {
	if c.MaxDepth <= 0 {
		c.MaxDepth = 8
	}
	if c.MaxElements <= 0 {
		c.MaxElements = 512
	}
	return c
}

// Filter operator lists offered for explorer elements (PROTOCOL.md §5.8).
const (
	numberFilters = `["==","!=",">",">=","<","<="]`
	stringFilters = `["==","!=","~","!~"]`
	otherFilters  = `["==","!="]`
)

// AppendExplore appends one ExploreResult JSON object (PROTOCOL.md §5.8) for an entry's data
// and tag name, with the default ExploreConfig. See ExploreConfig.AppendExplore.
func AppendExplore(dst []byte, data []byte, tagName string) []byte {
	return ExploreConfig{}.AppendExplore(dst, data, tagName)
}

// AppendExplore appends one ExploreResult JSON object for data: it tries, in order, a JSON
// object or array, a syslog message (RFC 5424 or RFC 3164), key=value pairs and comma-separated
// columns, and describes the first that fits as Elements whose Module and Path can be turned
// into a search filter (§3.4). When nothing fits, Module is "" and Elements is omitted.
// WordOffsets is never emitted. The output is always valid JSON, whatever data holds.
func (c ExploreConfig) AppendExplore(dst []byte, data []byte, tagName string) []byte {
	ex := explorer{cfg: c.withDefaults()}
	dst = append(dst, '{')
	mark := len(dst)
	module := ""
	switch {
	case ex.json(&dst, data):
		module = "json"
	case ex.syslog(&dst, data):
		module = "syslog"
	case ex.kv(&dst, data):
		module = "kv"
	case ex.csv(&dst, data):
		module = "csv"
	default:
		dst = dst[:mark]
	}
	if len(dst) > mark {
		dst = append(dst, ',')
	}
	dst = append(dst, `"Module":`...)
	dst = wire.AppendString(dst, module)
	dst = append(dst, `,"Tag":`...)
	dst = wire.AppendString(dst, tagName)
	return append(dst, '}')
}

type explorer struct {
	cfg     ExploreConfig
	n       int    // elements written
	path    []byte // current JSON path
	scratch []byte
}

// beginElement writes `{"Module":m,"Name":name,"Path":path,"Value":` .
func beginElement(dst []byte, module string, name, path []byte) []byte {
	dst = append(dst, `{"Module":`...)
	dst = wire.AppendString(dst, module)
	dst = append(dst, `,"Name":`...)
	dst = wire.AppendString(dst, name)
	dst = append(dst, `,"Path":`...)
	dst = wire.AppendString(dst, path)
	return append(dst, `,"Value":`...)
}

func endElement(dst []byte, filters string) []byte {
	dst = append(dst, `,"Filters":`...)
	dst = append(dst, filters...)
	return append(dst, '}')
}

// textElement writes an element for a text value, typed as a number when it reads as one.
func textElement(dst []byte, module string, name, path, val []byte) []byte {
	dst = beginElement(dst, module, name, path)
	switch kind, i, f := ParseNumber(val); kind {
	case IntNumber:
		dst = strconv.AppendInt(dst, i, 10)
		return endElement(dst, numberFilters)
	case FloatNumber:
		dst = wire.AppendFloat(dst, f)
		return endElement(dst, numberFilters)
	}
	dst = wire.AppendString(dst, val)
	return endElement(dst, stringFilters)
}

func (ex *explorer) json(pdst *[]byte, data []byte) bool {
	i := skipWS(data, 0)
	if i >= len(data) || (data[i] != '{' && data[i] != '[') {
		return false
	}
	end, ok := skipValue(data, i)
	if !ok || skipWS(data, end) != len(data) {
		return false
	}
	dst := append(*pdst, `"Elements":[`...)
	mark := len(dst)
	dst = ex.jsonChildren(dst, data[i:end], 1)
	if len(dst) == mark {
		dst = dst[:mark-len(`"Elements":[`)]
		*pdst = dst
		return true
	}
	*pdst = append(dst, ']')
	return true
}

// jsonChildren writes the elements for the members of the object or array raw.
func (ex *explorer) jsonChildren(dst []byte, raw []byte, depth int) []byte {
	base := len(ex.path)
	first := true
	emit := func(vs, ve int) {
		if ex.n >= ex.cfg.MaxElements {
			return
		}
		ex.n++
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = ex.jsonElement(dst, raw[vs:ve], depth)
	}
	if raw[0] == '{' {
		var it objectIter
		it.init(raw, 0)
		for {
			key, esc, vs, ve, more := it.next()
			if !more || ex.n >= ex.cfg.MaxElements {
				break
			}
			ex.path = ex.path[:base]
			if base > 0 {
				ex.path = append(ex.path, '.')
			}
			k := key
			if esc {
				start := len(ex.scratch)
				var ok bool
				if ex.scratch, ok = AppendUnescapedJSON(ex.scratch, key); !ok {
					continue
				}
				k = ex.scratch[start:]
			}
			ex.path = appendPathKey(ex.path, k)
			emit(vs, ve)
		}
	} else {
		var it arrayIter
		it.init(raw, 0)
		for n := 0; ; n++ {
			vs, ve, more := it.next()
			if !more || ex.n >= ex.cfg.MaxElements {
				break
			}
			ex.path = ex.path[:base]
			if base > 0 {
				ex.path = append(ex.path, '.')
			}
			ex.path = append(ex.path, '[')
			ex.path = strconv.AppendInt(ex.path, int64(n), 10)
			ex.path = append(ex.path, ']')
			emit(vs, ve)
		}
	}
	ex.path = ex.path[:base]
	return dst
}

// appendPathKey appends a member name as a path component, quoting it when it holds bytes
// that have a meaning in paths or queries.
func appendPathKey(dst, k []byte) []byte {
	plain := len(k) > 0
	for _, c := range k {
		if c <= ' ' || c == '.' || c == '[' || c == ']' || c == '"' || c == '\\' || c == '|' ||
			c == '=' || c == '!' || c == '<' || c == '>' || c == '~' || c == ',' || c >= 0x7f {
			plain = false
			break
		}
	}
	if plain {
		return append(dst, k...)
	}
	dst = append(dst, '"')
	for _, c := range k {
		if c == '"' || c == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}

func (ex *explorer) jsonElement(dst []byte, raw []byte, depth int) []byte {
	dst = beginElement(dst, "json", ex.path, ex.path)
	v, scratch, ok := decodeValue(raw, ex.scratch[:0])
	ex.scratch = scratch
	if !ok {
		dst = wire.AppendString(dst, raw)
		return endElement(dst, stringFilters)
	}
	switch v.Kind {
	case JSONString:
		dst = wire.AppendString(dst, v.Bytes)
		return endElement(dst, stringFilters)
	case JSONInt:
		dst = strconv.AppendInt(dst, v.Int, 10)
		return endElement(dst, numberFilters)
	case JSONFloat:
		dst = wire.AppendFloat(dst, v.Float)
		return endElement(dst, numberFilters)
	case JSONBool:
		dst = wire.AppendBool(dst, v.Bool)
		return endElement(dst, otherFilters)
	case JSONNull:
		dst = append(dst, "null"...)
		return endElement(dst, otherFilters)
	}
	// object or array: the raw text as the value, the members as SubElements
	dst = wire.AppendString(dst, raw)
	if depth < ex.cfg.MaxDepth && ex.n < ex.cfg.MaxElements {
		dst = append(dst, `,"SubElements":[`...)
		mark := len(dst)
		dst = ex.jsonChildren(dst, raw, depth+1)
		if len(dst) == mark {
			dst = dst[:mark-len(`,"SubElements":[`)]
		} else {
			dst = append(dst, ']')
		}
	}
	return endElement(dst, otherFilters)
}

func (ex *explorer) syslog(pdst *[]byte, data []byte) bool {
	var s Syslog
	if !ParseSyslog(data, 0, &s) || !s.RFC5424 && s.Priority < 0 && !s.HasTS {
		return false
	}
	dst := append(*pdst, `"Elements":[`...)
	first := true
	sep := func() {
		if !first {
			dst = append(dst, ',')
		}
		first = false
	}
	num := func(name string, v int) {
		if v < 0 {
			return
		}
		sep()
		dst = beginElement(dst, "syslog", []byte(name), []byte(name))
		dst = strconv.AppendInt(dst, int64(v), 10)
		dst = endElement(dst, numberFilters)
	}
	str := func(name string, v []byte) {
		if v == nil {
			return
		}
		sep()
		dst = beginElement(dst, "syslog", []byte(name), []byte(name))
		dst = wire.AppendString(dst, v)
		dst = endElement(dst, stringFilters)
	}
	num("Facility", s.Facility)
	num("Severity", s.Severity)
	num("Priority", s.Priority)
	if s.RFC5424 {
		num("Version", s.Version)
	}
	str("Timestamp", s.Timestamp)
	str("Hostname", s.Hostname)
	str("Appname", s.Appname)
	str("ProcID", s.ProcID)
	str("MsgID", s.MsgID)
	if s.StructuredData != nil {
		n := 0
		for i := 0; ; {
			e, next, ok := NextSD(s.StructuredData, i)
			if !ok {
				break
			}
			if i == 0 {
				str("StructuredID", e.ID)
			}
			i = next
			for j := 0; n < ex.cfg.MaxElements; n++ {
				name, raw, nj, ok := NextSDParam(e.Params, j)
				if !ok {
					break
				}
				j = nj
				ex.path = append(ex.path[:0], "Structured["...)
				ex.path = append(ex.path, e.ID...)
				ex.path = append(ex.path, "]."...)
				ex.path = append(ex.path, name...)
				ex.scratch = AppendSDValue(ex.scratch[:0], raw)
				sep()
				dst = textElement(dst, "syslog", ex.path, ex.path, ex.scratch)
			}
		}
	}
	str("Message", s.Message)
	*pdst = append(dst, ']')
	return true
}

func isKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}

func (ex *explorer) kv(pdst *[]byte, data []byte) bool {
	cfg := KV{Quoted: true}
	pairs := 0
	covered := 0
	for i := 0; ; {
		k, v, next, ok := cfg.Next(data, i)
		if !ok {
			break
		}
		i = next
		good := true
		for _, c := range k {
			if !isKeyByte(c) {
				good = false
				break
			}
		}
		if good {
			pairs++
			covered += len(k) + len(v) + 1
		}
	}
	// two pairs, or a single pair that is the whole entry
	if pairs < 2 && !(pairs == 1 && covered+2 >= len(TrimSpace(data))) {
		return false
	}
	dst := append(*pdst, `"Elements":[`...)
	first := true
	for i := 0; ex.n < ex.cfg.MaxElements; {
		k, v, next, ok := cfg.Next(data, i)
		if !ok {
			break
		}
		i = next
		good := true
		for _, c := range k {
			if !isKeyByte(c) {
				good = false
				break
			}
		}
		if !good || seenKey(data[:kvStart(data, k)], &cfg, k) {
			continue
		}
		ex.n++
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = textElement(dst, "kv", k, k, v)
	}
	*pdst = append(dst, ']')
	return true
}

// kvStart returns the offset of k inside data (k is a sub-slice of data).
func kvStart(data, k []byte) int {
	if len(k) == 0 {
		return 0
	}
	return cap(data) - cap(k)
}

// seenKey reports whether key occurs as a pair key in data already.
func seenKey(data []byte, cfg *KV, key []byte) bool {
	_, ok := cfg.Lookup(data, string(key))
	return ok
}

func (ex *explorer) csv(pdst *[]byte, data []byte) bool {
	if !hasByte(data, ',') {
		return false
	}
	dst := append(*pdst, `"Elements":[`...)
	var name []byte
	for i, n := 0, 0; ex.n < ex.cfg.MaxElements; n++ {
		col, next, scratch, more := NextCSV(data, i, ex.scratch[:0])
		ex.scratch = scratch
		if !more {
			break
		}
		i = next
		ex.n++
		if n > 0 {
			dst = append(dst, ',')
		}
		name = append(name[:0], '[')
		name = strconv.AppendInt(name, int64(n), 10)
		name = append(name, ']')
		dst = textElement(dst, "csv", name, name, col)
	}
	*pdst = append(dst, ']')
	return true
}
