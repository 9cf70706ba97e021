package search

import (
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/engine/render"
	"github.com/sluicehq/sluice/wire"
)

// ParseError is a query that does not parse. Msg is the protocol's ParseError text (§3.3): it
// names the module and says what was expected, e.g. "bogusmodule is not a valid module" or
// `grep: unknown flag "-x"; expected -v, -i, -s, -simple or -e FIELD`.
type ParseError struct {
	ModuleIndex int    // 0-based index, in pipeline order, of the module that failed
	Offset      int    // byte offset in the query where the problem was found
	Msg         string // user-facing message
}

// Error returns Msg unchanged: it is sent to clients as it is.
func (e *ParseError) Error() string { return e.Msg }

// ModuleSpec is one parsed pipeline module.
type ModuleSpec struct {
	Name       string   // module name, e.g. "grep"
	Args       []string // argument words with quotes removed
	Raw        string   // the invocation, words as written joined by single spaces, e.g. `grep -i "a b"`
	Condensing bool     // the module sees every entry before it emits (count, stats, sort, ...)
	Implicit   bool     // inserted by the parser (the "sort by time" before raw/text/hex/pcap)
	Produces   []string // enumerated values the module creates
	Consumes   []string // enumerated values the module reads
	Window     int64    // "over" window in nanoseconds; 0 when none

	impl moduleImpl
}

// ModuleHint describes a module for clients (PROTOCOL.md §3.3 ModuleHint). It is the wire
// type itself, so the socket writes what Hints returns without converting.
type ModuleHint = wire.ModuleHint

// ModuleInfo names a pipeline module for the statistics (PROTOCOL.md §5.11 Name and Args): the
// wire type itself, so render stores take StatsModules as it is.
type ModuleInfo = wire.ModuleInfo

// Query is a parsed query. It is immutable after Parse (except Raw, which callers may set to the
// text the user typed) and may be Run any number of times, concurrently.
type Query struct {
	Raw         string   // the text given to Parse
	TagPatterns []string // tag names and shell wildcards; ["default"] when the query names none
	// Modules are the pipeline modules in order, including the implicit "sort by time" the
	// parser inserts for raw/text/hex/pcap when no module condenses. The renderer is not one.
	Modules      []ModuleSpec
	Renderer     string   // renderer name; "text" when the query names none
	RendererArgs []string // renderer arguments, quotes removed
	RenderCmd    string   // the renderer invocation, e.g. "table SrcIP count"
	// CollapsingIndex is the index in Modules of the first condensing module, or len(Modules)
	// when none condenses (PROTOCOL.md §3.4).
	CollapsingIndex int
	// Window is the longest "over" window of any module, in nanoseconds; 0 when none.
	Window int64

	text             string // the text given to Parse, which Raw may no longer be
	tagExplicit      bool
	rendererExplicit bool
	render           *render.Renderer
}

// IsRenderer reports whether name is a renderer the parser accepts (one of render.All).
func IsRenderer(name string) bool {
	_, ok := render.Lookup(name)
	return ok
}

// Parse parses a query. Its error is always a *ParseError.
func Parse(query string) (*Query, error) {
	q, perr := parse(query)
	if perr != nil {
		return nil, perr
	}
	return q, nil
}

func parse(query string) (*Query, *ParseError) {
	q := &Query{Raw: query, text: query}
	segs, perr := splitPipes(query)
	if perr != nil {
		return nil, perr
	}
	first := lexWords(segs[0])
	if len(first) > 0 && !first[0].quoted && strings.HasPrefix(first[0].raw, "tag=") {
		pats, perr := parseTags(first[0])
		if perr != nil {
			return nil, perr
		}
		q.TagPatterns, q.tagExplicit = pats, true
		first = first[1:]
	} else {
		q.TagPatterns = []string{"default"}
	}
	var mods [][]token
	if len(first) > 0 {
		mods = append(mods, first)
	} else if !q.tagExplicit {
		if len(segs) == 1 {
			return nil, &ParseError{Msg: "empty query: expected tag=NAME and/or a module"}
		}
		return nil, &ParseError{Offset: segs[1].pos - 1, Msg: "empty module: expected a module name before '|'"}
	}
	for _, s := range segs[1:] {
		toks := lexWords(s)
		if len(toks) == 0 {
			return nil, &ParseError{ModuleIndex: len(mods), Offset: s.pos,
				Msg: "empty module: expected a module name after '|'"}
		}
		mods = append(mods, toks)
	}
	for i, toks := range mods {
		name := toks[0].text
		if rd, ok := render.Lookup(name); ok && !toks[0].quoted {
			if i != len(mods)-1 {
				return nil, &ParseError{ModuleIndex: i, Offset: toks[0].pos,
					Msg: name + " is a renderer and must be the last module"}
			}
			q.Renderer, q.rendererExplicit = name, true
			raws := make([]string, len(toks))
			for j, t := range toks {
				raws[j] = t.raw
			}
			q.RenderCmd = strings.Join(raws, " ")
			for _, t := range toks[1:] {
				q.RendererArgs = append(q.RendererArgs, t.text)
			}
			// The renderer's own argument parser, the one NewResult runs at launch.
			if err := rd.Parse(q.RendererArgs); err != nil {
				return nil, &ParseError{ModuleIndex: i, Offset: toks[0].pos,
					Msg: strings.TrimPrefix(err.Error(), "render: ")}
			}
			q.render = rd
			break
		}
		def, ok := modules[name]
		if !ok || toks[0].quoted {
			return nil, &ParseError{ModuleIndex: i, Offset: toks[0].pos, Msg: name + " is not a valid module"}
		}
		spec, perr := parseModule(i, def, toks)
		if perr != nil {
			return nil, perr
		}
		q.Modules = append(q.Modules, spec)
	}
	if q.Renderer == "" {
		q.Renderer, q.RenderCmd = "text", "text"
		q.render, _ = render.Lookup("text")
	}
	q.CollapsingIndex = len(q.Modules)
	for i := range q.Modules {
		if q.Modules[i].Condensing {
			q.CollapsingIndex = i
			break
		}
	}
	for i := range q.Modules {
		if q.Modules[i].Window > q.Window {
			q.Window = q.Modules[i].Window
		}
	}
	if !q.render.Condensing && q.CollapsingIndex == len(q.Modules) {
		// raw/text/hex/pcap keep the store's time order: an implicit, pass-through sort by time.
		q.Modules = append(q.Modules, ModuleSpec{Name: "sort", Args: []string{"by", "time"},
			Raw: "sort by time", Implicit: true, impl: passThrough{}})
		q.CollapsingIndex = len(q.Modules)
	}
	return q, nil
}

// parseTags parses `tag=a,b*`.
func parseTags(t token) ([]string, *ParseError) {
	spec := t.raw[len("tag="):]
	if spec == "" {
		return nil, &ParseError{Offset: t.pos, Msg: "tag=: expected one or more tag names after tag="}
	}
	pats := strings.Split(spec, ",")
	for _, p := range pats {
		if p == "" {
			return nil, &ParseError{Offset: t.pos, Msg: "tag=: empty tag name in " + strconv.Quote(t.raw)}
		}
		for i := 0; i < len(p); i++ {
			c := p[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_.-*?[]^!", c) >= 0) {
				return nil, &ParseError{Offset: t.pos + 4, Msg: "tag=: invalid character " + strconv.QuoteRune(rune(c)) +
					" in tag " + strconv.Quote(p) + "; tags hold letters, digits, '_', '.', '-' and wildcards"}
			}
		}
	}
	return pats, nil
}

// Effective returns the query as it runs: the tag specification (explicit even when the query
// relied on the default), the modules as written (without the implicit sort) and the renderer
// when the query names one. It parses back to the same Query.
func (q *Query) Effective() string {
	var b strings.Builder
	b.WriteString("tag=")
	b.WriteString(strings.Join(q.TagPatterns, ","))
	n := 0
	for i := range q.Modules {
		if q.Modules[i].Implicit {
			continue
		}
		if n == 0 {
			b.WriteByte(' ')
		} else {
			b.WriteString(" | ")
		}
		b.WriteString(q.Modules[i].Raw)
		n++
	}
	if q.rendererExplicit {
		if n == 0 {
			b.WriteByte(' ')
		} else {
			b.WriteString(" | ")
		}
		b.WriteString(q.RenderCmd)
	}
	return b.String()
}

// Hints returns a ModuleHint per pipeline module, implicit ones included (PROTOCOL.md §3.3).
func (q *Query) Hints() []ModuleHint {
	if len(q.Modules) == 0 {
		return nil
	}
	out := make([]ModuleHint, len(q.Modules))
	for i, m := range q.Modules {
		out[i] = ModuleHint{Name: m.Name, ProducedEVs: m.Produces, ConsumedEVs: m.Consumes, Condensing: m.Condensing}
	}
	return out
}

// StatsModules returns the Name and Args of every pipeline module, implicit ones included, in
// the order their statistics are recorded (module index i of the stats ring is Modules[i]).
func (q *Query) StatsModules() []ModuleInfo {
	out := make([]ModuleInfo, len(q.Modules))
	for i, m := range q.Modules {
		out[i] = ModuleInfo{Name: m.Name, Args: m.Raw}
	}
	return out
}

// RendererCondensing reports whether the query's renderer condenses (table, chart, gauge,
// numbercard).
func (q *Query) RendererCondensing() bool { return q.render.Condensing }

// RendererInfo returns the registry entry of the query's renderer.
func (q *Query) RendererInfo() *render.Renderer { return q.render }

// TimeZoomDisabled reports whether the results lose their time order, so a renderer cannot
// zoom into a time range of them: true when the pipeline sorts by anything but time.
func (q *Query) TimeZoomDisabled() bool {
	for i := range q.Modules {
		if s, ok := q.Modules[i].impl.(*sortSpec); ok && s.key != sortTime {
			return true
		}
	}
	return false
}

// TagsExplicit reports whether the query named its tags (false when it relies on "default").
func (q *Query) TagsExplicit() bool { return q.tagExplicit }
