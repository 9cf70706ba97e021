package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/cespare/xxhash/v2"

	"github.com/sluicehq/sluice/engine/extract"
	"github.com/sluicehq/sluice/wire"
)

// Named-field accelerators. A field value is indexed as the hash of its space's name, a 0
// byte and the value (ASCII lower-cased), in the same per-block bloom filter as fulltext
// tokens, so the sidecar format is the same for every extractor. A space names one field of
// one extractor with its options (Space); a query's `==` filter builds the same Space from
// its module and asks for the value's term. A value that reads as a number is also indexed
// as its float64 (Space.Number), because `==` compares numbers numerically ("404.0" equals
// 404), and one that reads as an IP address as its address (Space.IP). Every accelerator
// also indexes SRC (SrcTerm).

// accelSpec is a compiled AccelConfig: what its blocks' bloom filters hold. It is immutable.
type accelSpec struct {
	extractor string
	spaces    []uint64 // ids of the spaces indexed, fulltext and src included
	canon     string   // canonical text of what is indexed (the well's ACCEL file)

	fields []Space // per field, its space
	// per extractor
	kv      extract.KV
	keys    *extract.KVKeys // kv: the fields' keys, for kv.Find
	paths   []extract.JSONPath
	syslog  []extract.SyslogField
	cols    []int // csv: column per field
	maxCol  int
	re      *regexp.Regexp
	reGroup []int // regex: subexpression index per field
}

// Space is one indexed field: its name (extractor, options, field) and the id a Filter uses
// to ask whether a well indexes it. Build spaces with JSONSpace, KVSpace, SyslogSpace,
// CSVSpace and RegexSpace.
type Space struct {
	prefix string // name + "\x00"
	id     uint64
}

func newSpace(name string) Space {
	return Space{prefix: name + "\x00", id: xxhash.Sum64String("sluice-accel-space\x00" + name)}
}

var spaceSrc = newSpace("src")

// JSONSpace is the space of the json extractor's path (as written, e.g. "user.name").
func JSONSpace(path string) Space { return newSpace("json\x00" + path) }

// KVSpace is the space of the kv extractor's key with options cfg (Sep, Delims, Quoted).
func KVSpace(cfg extract.KV, key string) Space {
	return newSpace("kv\x00" + kvCanon(cfg) + "\x00" + key)
}

// kvCanon is the canonical text of kv options: the separator, the sorted delimiter set and
// the quoting flag.
func kvCanon(cfg extract.KV) string {
	sep, d := cfg.Sep, cfg.Delims
	if sep == "" {
		sep = "="
	}
	if d == "" {
		d = " \t"
	}
	ds := []byte(d)
	slices.Sort(ds)
	ds = slices.Compact(ds)
	return sep + "\x00" + string(ds) + "\x00" + strconv.FormatBool(cfg.Quoted)
}

// SyslogSpace is the space of a syslog field (Hostname, Appname, Structured[ID].KEY, ...).
func SyslogSpace(field string) Space { return newSpace("syslog\x00" + field) }

// CSVSpace is the space of the csv extractor's 0-based column col.
func CSVSpace(col int) Space { return newSpace("csv\x00" + strconv.Itoa(col)) }

// RegexSpace is the space of the named group of the regex extractor's pattern.
func RegexSpace(pattern, group string) Space { return newSpace("regex\x00" + pattern + "\x00" + group) }

// Value returns the term of text value v in s (case does not matter).
func (s Space) Value(v string) Term {
	var scratch []byte
	return Term{space: s.id, hash: nonZero(s.valueHash([]byte(v), &scratch))}
}

// Number returns the term of numeric value f in s: every indexed value that reads as a
// number equal to f has it.
func (s Space) Number(f float64) Term {
	var scratch []byte
	return Term{space: s.id, hash: nonZero(s.numberHash(f, &scratch))}
}

func (s Space) valueHash(v []byte, scratch *[]byte) uint64 {
	b := append((*scratch)[:0], s.prefix...)
	for _, c := range v {
		b = append(b, lowerASCII[c])
	}
	*scratch = b
	return xxhash.Sum64(b)
}

func (s Space) numberHash(f float64, scratch *[]byte) uint64 {
	if f == 0 {
		f = 0 // -0 equals 0
	}
	b := append(append((*scratch)[:0], s.prefix...), 1)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
	*scratch = b
	return xxhash.Sum64(b)
}

// IP returns the term of IP address a in s: every indexed value that reads as an address
// equal to a (an IPv4 address and its IPv4-mapped form alike) has it.
func (s Space) IP(a netip.Addr) Term {
	var scratch []byte
	return Term{space: s.id, hash: nonZero(s.ipHash(a, &scratch))}
}

func (s Space) ipHash(a netip.Addr, scratch *[]byte) uint64 {
	b16 := a.As16()
	b := append(append(append((*scratch)[:0], s.prefix...), 2), b16[:]...)
	*scratch = b
	return xxhash.Sum64(b)
}

// SrcTerm returns the term of source address a (an IPv4 address and its IPv4-mapped IPv6
// form are the same source).
func SrcTerm(a netip.Addr) Term {
	var scratch []byte
	return Term{space: spaceSrc.id, hash: nonZero(srcHash(a, &scratch))}
}

func srcHash(a netip.Addr, scratch *[]byte) uint64 {
	b16 := a.As16()
	b := append(append((*scratch)[:0], spaceSrc.prefix...), b16[:]...)
	*scratch = b
	return xxhash.Sum64(b)
}

// indexes reports whether blocks built with s answer for space id. A nil spec (a block
// loaded before its well's spec was known) answers for fulltext tokens only.
func (s *accelSpec) indexes(id uint64) bool {
	if s == nil {
		return id == spaceFulltext
	}
	for _, x := range s.spaces {
		if x == id {
			return true
		}
	}
	return false
}

// maxAccelFields bounds AccelConfig.Fields.
const maxAccelFields = 64

// compileAccel validates c's extractor options and compiles them; field names the config
// path for errors.
func compileAccel(c *AccelConfig, field string) (*accelSpec, error) {
	s := &accelSpec{extractor: c.Extractor, spaces: []uint64{spaceSrc.id}}
	named := c.Extractor != "fulltext" && c.Extractor != "none"
	bad := func(what, msg string) error { return errors.New(field + "." + what + ": " + msg) }
	switch {
	case !named && len(c.Fields) > 0:
		return nil, bad("Fields", "the "+c.Extractor+" extractor takes no fields")
	case named && c.Extractor != "regex" && len(c.Fields) == 0:
		return nil, bad("Fields", "the "+c.Extractor+" extractor needs at least one field to index")
	case len(c.Fields) > maxAccelFields:
		return nil, bad("Fields", strconv.Itoa(len(c.Fields))+" fields, more than "+strconv.Itoa(maxAccelFields))
	case c.Header != "" && c.Extractor != "csv":
		return nil, bad("Header", "only the csv extractor takes a header")
	case c.Pattern != "" && c.Extractor != "regex":
		return nil, bad("Pattern", "only the regex extractor takes a pattern")
	case (c.Delimiters != "" || c.Separator != "" || c.Quoted) && c.Extractor != "kv":
		return nil, bad("Delimiters", "delimiters, separator and quoted are kv extractor options")
	}
	for i, f := range c.Fields {
		if f == "" {
			return nil, bad("Fields["+strconv.Itoa(i)+"]", "empty field name")
		}
		if slices.Index(c.Fields, f) < i {
			return nil, bad("Fields["+strconv.Itoa(i)+"]", "duplicate field "+strconv.Quote(f))
		}
	}
	fieldErr := func(i int, msg string) error {
		return bad("Fields["+strconv.Itoa(i)+"]", strconv.Quote(c.Fields[i])+": "+msg)
	}
	switch c.Extractor {
	case "none":
		s.spaces = nil
	case "fulltext":
		s.spaces = append(s.spaces, spaceFulltext)
	case "json":
		for i, f := range c.Fields {
			p, err := extract.ParseJSONPath(f)
			if err != nil {
				return nil, fieldErr(i, "bad JSON path: "+err.Error())
			}
			s.paths = append(s.paths, p)
			s.fields = append(s.fields, JSONSpace(f))
		}
	case "kv":
		s.kv = extract.KV{Sep: c.Separator, Delims: c.Delimiters, Quoted: c.Quoted}
		s.kv.Compile()
		s.keys = s.kv.Keys(c.Fields...)
		for _, f := range c.Fields {
			s.fields = append(s.fields, KVSpace(s.kv, f))
		}
	case "syslog":
		for i, f := range c.Fields {
			sf, _, ok := extract.ParseSyslogField(f)
			if sf.Kind == extract.SyslogTimestamp {
				return nil, fieldErr(i, "timestamps cannot be indexed")
			}
			if !ok {
				return nil, fieldErr(i, "unknown syslog field; expected Facility, Severity, Priority, Version, "+
					"Hostname, Appname, ProcID, MsgID, Message, StructuredData, StructuredID or Structured[ID].KEY")
			}
			s.syslog = append(s.syslog, sf)
			s.fields = append(s.fields, SyslogSpace(f))
		}
	case "csv":
		header, err := parseCSVHeader(c.Header)
		if err != nil {
			return nil, bad("Header", err.Error())
		}
		for i, f := range c.Fields {
			col, _, ok := extract.ColumnIndex(f, header)
			if !ok {
				return nil, fieldErr(i, "expected a column as [N] or a name from the header")
			}
			s.cols = append(s.cols, col)
			s.maxCol = max(s.maxCol, col)
			s.fields = append(s.fields, CSVSpace(col))
		}
	case "regex":
		if c.Pattern == "" {
			return nil, bad("Pattern", "the regex extractor needs a pattern with named groups")
		}
		re, err := regexp.Compile(c.Pattern)
		if err != nil {
			return nil, bad("Pattern", "bad regular expression: "+err.Error())
		}
		s.re = re
		names := re.SubexpNames()
		groups := c.Fields
		if len(groups) == 0 {
			for _, n := range names {
				if n != "" && !slices.Contains(groups, n) {
					groups = append(groups, n)
				}
			}
			if len(groups) == 0 {
				return nil, bad("Pattern", "no named groups (?P<name>...) to index")
			}
		}
		for i, g := range groups {
			k := slices.Index(names, g)
			if k <= 0 {
				return nil, fieldErr(i, "no such named group in the pattern")
			}
			if slices.Index(names[k+1:], g) >= 0 {
				if len(c.Fields) == 0 {
					return nil, bad("Pattern", "two groups are named "+strconv.Quote(g))
				}
				return nil, fieldErr(i, "the pattern names two groups so")
			}
			s.reGroup = append(s.reGroup, k)
			s.fields = append(s.fields, RegexSpace(c.Pattern, g))
		}
	}
	for _, sp := range s.fields {
		s.spaces = append(s.spaces, sp.id)
	}
	// the canonical text leaves out the engine and collision rate: a filter built at another
	// rate answers the same terms
	cc := *c
	cc.Engine, cc.CollisionRate, cc.spec = "", 0, nil
	b, err := json.Marshal(struct {
		Version int `json:"version"`
		AccelConfig
	}{accelVersion, cc})
	if err != nil {
		return nil, err
	}
	s.canon = string(b)
	return s, nil
}

// accelVersion is the version of what blooms index; a well whose ACCEL file records another
// version or spec has its accelerators rebuilt at Open. Version 2 added SRC and named fields;
// version 3: a JSON lookup reads a document only as far as its path (a value before damage
// is found). Bump it whenever engine/extract changes which value a field has, or an
// accelerator built by the old code could skip a block the query modules now match.
const accelVersion = 3

// parseCSVHeader splits a csv header as the csv module's -h does.
func parseCSVHeader(h string) ([]string, error) {
	if len(h) > 1<<16 {
		return nil, errors.New("longer than 65536 bytes")
	}
	var out []string
	hb := []byte(h)
	for i := 0; ; {
		col, next, _, more := extract.NextCSV(hb, i, nil)
		if !more {
			break
		}
		out = append(out, string(col))
		i = next
	}
	return out, nil
}

// fieldScratch is an accelBuilder's scratch for field extraction.
type fieldScratch struct {
	at    []int
	buf   []byte
	vals  [][]byte
	found []bool
	msg   extract.Syslog
}

// addValue adds text value v of a field, and its number or address when it reads as one.
func (ab *accelBuilder) addValue(sp Space, v []byte) {
	ab.addHash(sp.valueHash(v, &ab.scratch))
	if len(v) == 0 || len(v) > 64 {
		return
	}
	switch kind, i, f := extract.ParseNumber(v); kind {
	case extract.IntNumber:
		ab.addHash(sp.numberHash(float64(i), &ab.scratch))
	case extract.FloatNumber:
		ab.addHash(sp.numberHash(f, &ab.scratch))
	}
	if c := v[0]; c == ':' || c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' {
		if a, ok := extract.ParseIP(v); ok {
			ab.addHash(sp.ipHash(a, &ab.scratch))
		}
	}
}

// addFields adds the values of s's fields in e's data, found as the query modules find them.
func (s *accelSpec) addFields(ab *accelBuilder, e *wire.Entry) {
	fx, data := &ab.fx, e.Data
	switch s.extractor {
	case "json":
		if cap(fx.at) < len(s.paths) {
			fx.at = make([]int, len(s.paths))
		}
		at := fx.at[:len(s.paths)]
		extract.FindJSONMembers(data, s.paths, at)
		for k := range s.paths {
			var jv extract.JSONValue
			var ok bool
			switch off := at[k]; {
			case off >= 0:
				jv, fx.buf, ok = extract.LookupJSONAt(data, off, &s.paths[k], fx.buf[:0])
			case off == -2:
				jv, fx.buf, ok = extract.LookupJSON(data, &s.paths[k], fx.buf[:0])
			}
			if !ok {
				continue
			}
			sp := s.fields[k]
			switch jv.Kind {
			case extract.JSONString:
				ab.addHash(sp.valueHash(jv.Bytes, &ab.scratch))
				if n := len(jv.Bytes); n >= 2 && n <= 64 {
					if a, ok := extract.ParseIP(jv.Bytes); ok {
						ab.addHash(sp.ipHash(a, &ab.scratch))
					}
				}
			case extract.JSONObject, extract.JSONArray:
				ab.addHash(sp.valueHash(jv.Bytes, &ab.scratch))
			case extract.JSONInt:
				ab.addValue(sp, jv.Bytes)
				ab.addHash(sp.numberHash(float64(jv.Int), &ab.scratch))
			case extract.JSONFloat:
				ab.addValue(sp, jv.Bytes)
				ab.addHash(sp.numberHash(jv.Float, &ab.scratch))
			case extract.JSONBool:
				ab.addHash(sp.valueHash(strconv.AppendBool(fx.buf[:0], jv.Bool), &ab.scratch))
			}
		}
	case "kv":
		// the first pair of each key, as the kv module reads it (KV.Find)
		n := s.keys.Len()
		if cap(fx.vals) < n {
			fx.vals, fx.found = make([][]byte, n), make([]bool, n)
		}
		vals, found := fx.vals[:n], fx.found[:n]
		clear(found)
		s.kv.Find(data, s.keys, vals, found)
		for k, sp := range s.fields {
			if found[k] {
				ab.addValue(sp, vals[k])
			}
		}
	case "syslog":
		if !extract.ParseSyslog(data, e.TS, &fx.msg) {
			return
		}
		for k := range s.syslog {
			s.addSyslog(ab, k)
		}
	case "csv":
		pos := 0
		for col := 0; col <= s.maxCol; col++ {
			var v []byte
			var more bool
			v, pos, fx.buf, more = extract.NextCSV(data, pos, fx.buf[:0])
			if !more {
				break
			}
			for k, c := range s.cols {
				if c == col {
					ab.addValue(s.fields[k], v)
				}
			}
		}
	case "regex":
		loc := s.re.FindSubmatchIndex(data)
		if loc == nil {
			return
		}
		for k, g := range s.reGroup {
			if loc[2*g] >= 0 {
				ab.addValue(s.fields[k], data[loc[2*g]:loc[2*g+1]])
			}
		}
	}
}

func (s *accelSpec) addSyslog(ab *accelBuilder, k int) {
	m, sp := &ab.fx.msg, s.fields[k]
	num := func(v int) {
		if v >= 0 {
			ab.addValue(sp, strconv.AppendInt(ab.fx.buf[:0], int64(v), 10))
		}
	}
	str := func(b []byte) {
		if b != nil {
			ab.addHash(sp.valueHash(b, &ab.scratch))
		}
	}
	switch f := &s.syslog[k]; f.Kind {
	case extract.SyslogFacility:
		num(m.Facility)
	case extract.SyslogSeverity:
		num(m.Severity)
	case extract.SyslogPriority:
		num(m.Priority)
	case extract.SyslogVersion:
		if m.RFC5424 {
			num(m.Version)
		}
	case extract.SyslogHostname:
		str(m.Hostname)
	case extract.SyslogAppname:
		str(m.Appname)
	case extract.SyslogProcID:
		str(m.ProcID)
	case extract.SyslogMsgID:
		str(m.MsgID)
	case extract.SyslogMessage:
		str(m.Message)
	case extract.SyslogStructuredData:
		str(m.StructuredData)
	case extract.SyslogStructuredID:
		if el, _, ok := extract.NextSD(m.StructuredData, 0); ok {
			str(el.ID)
		}
	case extract.SyslogStructured:
		var val []byte
		var ok bool
		val, ab.fx.buf, ok = extract.LookupSD(m.StructuredData, f.SDID, f.SDKey, ab.fx.buf[:0])
		if ok {
			ab.addValue(sp, val)
		}
	}
}

// accelSpecName is the file in a well directory that records what its accelerators index
// (accelSpec.canon); Open rebuilds a well's accelerators when it differs from the config.
const accelSpecName = "ACCEL"

// accelStale reports whether the well's sidecar records were built for another spec than
// its configuration's (or by a version that did not record one), so they must be rebuilt.
func (w *well) accelStale() bool {
	b, err := os.ReadFile(filepath.Join(w.dir, accelSpecName))
	return err != nil || strings.TrimSpace(string(b)) != w.accel.spec.canon
}

// saveAccelSpec records the well's accelerator spec after its sidecars were made to match it.
func (w *well) saveAccelSpec() error {
	return writeFileAtomic(filepath.Join(w.dir, accelSpecName), []byte(w.accel.spec.canon+"\n"))
}

// readAccelSpec returns the spec recorded in well directory dir, nil when there is none or
// it cannot be read (verify then checks fulltext tokens only).
func readAccelSpec(dir string) *accelSpec {
	b, err := os.ReadFile(filepath.Join(dir, accelSpecName))
	if err != nil {
		return nil
	}
	var c AccelConfig
	var v struct {
		Version int `json:"version"`
	}
	if json.Unmarshal(b, &v) != nil || v.Version != accelVersion || json.Unmarshal(b, &c) != nil {
		return nil
	}
	if c.check("ACCEL") != nil {
		return nil
	}
	return c.spec
}
