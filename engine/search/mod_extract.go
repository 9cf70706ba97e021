package search

import (
	"strconv"

	"github.com/sluicehq/sluice/engine/extract"
	"github.com/sluicehq/sluice/wire"
)

// extractCommon is what the extraction modules share: -e FIELD (read an enumerated value
// instead of the data) and -s (strict: drop an entry unless every extraction succeeds). An entry
// without FIELD is dropped.
type extractCommon struct {
	field    string
	strict   bool
	specs    []fieldSpec
	distinct bool // no two specs have the same output name (see evBuild)
}

func (p *modParser) extractCommon(defName func(string) string) (extractCommon, *ParseError) {
	var c extractCommon
	c.field, _ = p.flag("-e")
	_, c.strict = p.flag("-s")
	p.consumes(c.field)
	if !p.more() {
		return c, p.errAt(nil, "missing argument: expected one or more fields to extract")
	}
	specs, perr := p.fieldSpecs(defName)
	if perr != nil {
		return c, perr
	}
	c.specs = specs
	c.distinct = true
	for i := range specs {
		for j := range i {
			if specs[j].name == specs[i].name {
				c.distinct = false
			}
		}
	}
	p.produces(specs)
	return c, nil
}

// apply handles one extracted (or missing) value: it checks the spec's filter and the strict
// flag, and attaches the value through b. It reports whether the entry survives.
func (c *extractCommon) apply(b *evBuild, k int, v *wire.Value, found bool, ar *arena) bool {
	fs := &c.specs[k]
	if !found {
		if c.strict {
			return false
		}
		return fs.filter == nil || fs.filter.match(*v, false)
	}
	if fs.filter != nil && !fs.filter.match(*v, true) {
		return false
	}
	ar.addEV(b, fs.name, v)
	return true
}

// applyText applies every spec to e with the text values an extractor found (found[k] and
// vals[k] per spec, typed by textValue). It reports whether the entry survives.
func (c *extractCommon) applyText(e *wire.Entry, found []bool, vals [][]byte, ar *arena) bool {
	b := ar.beginEVs(e, c.distinct)
	keep := true
	for k := range c.specs {
		var v wire.Value
		if found[k] {
			v = textValue(vals[k], ar)
		}
		if !c.apply(&b, k, &v, found[k], ar) {
			keep = false
			break
		}
	}
	ar.endEVs(&b, keep)
	return keep
}

// json [-e FIELD] [-s] PATH [OP VALUE] [as NAME] ...
//
// PATH is dotted with array indexes (`a.b.[0].c`, quoted components for names with dots or
// dashes). Numbers become int64 or float64, strings are unescaped (and typed IP or timestamp
// when they read as one), booleans bool, objects and arrays their raw JSON bytes; null counts as
// missing. The default name is the path's last component.
type jsonSpec struct {
	extractCommon
	paths []extract.JSONPath
}

func parseJSON(p *modParser) (moduleImpl, *ParseError) {
	s := &jsonSpec{}
	var perr *ParseError
	var paths []extract.JSONPath
	var bad string
	s.extractCommon, perr = p.extractCommon(func(path string) string {
		jp, err := extract.ParseJSONPath(path)
		if err != nil {
			bad = path
			return path
		}
		paths = append(paths, jp)
		return jp.Name()
	})
	if perr != nil {
		return nil, perr
	}
	if bad != "" {
		return nil, p.errAt(nil, "bad path "+strconv.Quote(bad)+"; expected names and [N] indexes separated by dots")
	}
	s.paths = paths
	return s, nil
}

func (s *jsonSpec) newStage(rc *runCtx) stage {
	return &jsonStage{s: s, ar: rc.ar, at: make([]int, len(s.paths))}
}

type jsonStage struct {
	s  *jsonSpec
	ar *arena
	at []int // per path: offset of its top-level member's value (extract.FindJSONMembers)
}

func (g *jsonStage) process(ents []wire.Entry) (int, error) {
	return keepEntries(ents, g.s.field, g.ar, g), nil
}

func (g *jsonStage) keep(e *wire.Entry, data []byte) bool {
	s, ar := g.s, g.ar
	keep := true
	b := ar.beginEVs(e, s.distinct)
	// NOTE: one pass over the object finds every path's member; a LookupJSON per path
	// walked the object once per field.
	extract.FindJSONMembers(data, s.paths, g.at)
	for k := range s.paths {
		var jv extract.JSONValue
		var found bool
		switch off := g.at[k]; {
		case off >= 0:
			var grown []byte
			jv, grown, found = extract.LookupJSONAt(data, off, &s.paths[k], ar.scratch())
			ar.commit(grown)
		case off == -2:
			var grown []byte
			jv, grown, found = extract.LookupJSON(data, &s.paths[k], ar.scratch())
			ar.commit(grown)
		}
		var v wire.Value
		if found {
			switch jv.Kind {
			case extract.JSONString:
				v = stringValue(jv.Bytes, ar)
			case extract.JSONInt:
				v = wire.IntValue(jv.Int)
			case extract.JSONFloat:
				v = wire.FloatValue(jv.Float)
			case extract.JSONBool:
				v = wire.BoolValue(jv.Bool)
			case extract.JSONObject, extract.JSONArray:
				v = wire.BytesValue(jv.Bytes)
			default:
				found = false
			}
		}
		if !s.apply(&b, k, &v, found, ar) {
			keep = false
			break
		}
	}
	ar.endEVs(&b, keep)
	return keep
}

func (g *jsonStage) flush() ([]wire.Entry, error) { return nil, nil }

// kv [-e FIELD] [-s] [-q] [-d DELIMITERS] [-sep SEPARATOR] KEY [OP VALUE] [as NAME] ...
//
// Gravwell's flags: -sep is the key/value separator (default "="), -d the bytes that separate
// pairs (default space and tab; escapes such as "\t" allowed), -q allows double-quoted values.
// The first pair of a key wins. Values are typed like all extracted text.
type kvSpec struct {
	extractCommon
	cfg  extract.KV
	keys *extract.KVKeys // the specs' keys, for cfg.Find
}

func parseKV(p *modParser) (moduleImpl, *ParseError) {
	s := &kvSpec{}
	if d, ok := p.flag("-d"); ok {
		if d = decodeEscapes(d, false); d == "" {
			return nil, p.errAt(nil, "-d needs at least one delimiter byte")
		}
		s.cfg.Delims = d
	}
	if sep, ok := p.flag("-sep"); ok {
		if sep = decodeEscapes(sep, false); sep == "" {
			return nil, p.errAt(nil, "-sep needs a non-empty separator")
		}
		s.cfg.Sep = sep
	}
	_, s.cfg.Quoted = p.flag("-q")
	s.cfg.Compile()
	var perr *ParseError
	s.extractCommon, perr = p.extractCommon(func(k string) string { return k })
	if perr != nil {
		return nil, perr
	}
	keys := make([]string, len(s.specs))
	for k := range s.specs {
		keys[k] = s.specs[k].path
	}
	s.keys = s.cfg.Keys(keys...)
	return s, nil
}

func (s *kvSpec) newStage(rc *runCtx) stage {
	return &kvStage{s: s, ar: rc.ar, vals: make([][]byte, len(s.specs)), found: make([]bool, len(s.specs))}
}

type kvStage struct {
	s     *kvSpec
	ar    *arena
	vals  [][]byte
	found []bool
}

func (g *kvStage) process(ents []wire.Entry) (int, error) {
	return keepEntries(ents, g.s.field, g.ar, g), nil
}

func (g *kvStage) keep(e *wire.Entry, data []byte) bool {
	g.s.cfg.Find(data, g.s.keys, g.vals, g.found)
	return g.s.applyText(e, g.found, g.vals, g.ar)
}

func (g *kvStage) flush() ([]wire.Entry, error) { return nil, nil }
