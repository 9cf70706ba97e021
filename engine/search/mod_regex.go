package search

import (
	"regexp"
	"slices"
	"strconv"

	"github.com/sluicehq/sluice/wire"
)

// regex [-e FIELD] PATTERN [NAME OP VALUE ...]
//
// PATTERN is a Go regular expression (RE2 syntax); entries that do not match are dropped, and
// every named capture group (?P<name>...) that took part in the match becomes an enumerated
// value typed like extracted text. Filters on named groups (`user==bob`, sluice help filters)
// drop the entries whose group fails them; a group that took no part is missing.
//
// NOTE: regexp.FindSubmatchIndex allocates its result on every match; Go's regexp has no
// append-style variant. A pattern without named groups only filters and uses Match, which
// does not allocate.
type regexSpec struct {
	re      *regexp.Regexp
	pattern string
	names   []string // per subexpression; "" for unnamed ones
	named   bool
	field   string
	specs   []fieldSpec // the filters, by group name
	groups  []int       // per spec: its subexpression
}

func parseRegex(p *modParser) (moduleImpl, *ParseError) {
	s := &regexSpec{}
	s.field, _ = p.flag("-e")
	p.consumes(s.field)
	t := p.next()
	if t == nil {
		return nil, p.errAt(nil, "missing argument: expected a regular expression")
	}
	re, err := regexp.Compile(t.text)
	if err != nil {
		return nil, p.errAt(t, "bad regular expression: "+err.Error())
	}
	s.re, s.pattern, s.names = re, t.text, re.SubexpNames()
	for _, n := range s.names {
		if n != "" {
			s.named = true
			p.spec.Produces = appendUnique(p.spec.Produces, n)
		}
	}
	if extra := p.peek(); extra != nil {
		specs, perr := p.fieldSpecs(func(n string) string { return n })
		if perr != nil {
			return nil, perr
		}
		for _, fs := range specs {
			k := slices.Index(s.names, fs.path)
			switch {
			case fs.filter == nil || fs.name != fs.path:
				return nil, p.errAt(extra, "unexpected "+strconv.Quote(fs.path)+" after the regular expression; expected filters on named groups (NAME OP VALUE), or quote a pattern that holds spaces")
			case k <= 0:
				return nil, p.errAt(extra, "filter on "+strconv.Quote(fs.path)+", which is not a named group of the pattern")
			case slices.Index(s.names[k+1:], fs.path) >= 0:
				return nil, p.errAt(extra, "filter on "+strconv.Quote(fs.path)+", which names two groups of the pattern")
			}
			s.specs, s.groups = append(s.specs, fs), append(s.groups, k)
		}
	}
	return s, nil
}

func (s *regexSpec) newStage(rc *runCtx) stage { return &regexStage{s: s, ar: rc.ar} }

type regexStage struct {
	s  *regexSpec
	ar *arena
}

func (g *regexStage) process(ents []wire.Entry) (int, error) {
	return keepEntries(ents, g.s.field, g.ar, g), nil
}

func (g *regexStage) keep(e *wire.Entry, data []byte) bool {
	s, ar := g.s, g.ar
	if !s.named {
		return s.re.Match(data)
	}
	loc := s.re.FindSubmatchIndex(data)
	if loc == nil {
		return false
	}
	for i, k := range s.groups {
		var v wire.Value
		present := loc[2*k] >= 0
		if present {
			v = textValue(data[loc[2*k]:loc[2*k+1]], ar)
		}
		if !s.specs[i].filter.match(v, present) {
			return false
		}
	}
	for k, name := range s.names {
		if name == "" || loc[2*k] < 0 {
			continue
		}
		ar.setEV(e, name, textValue(data[loc[2*k]:loc[2*k+1]], ar))
	}
	return true
}

func (g *regexStage) flush() ([]wire.Entry, error) { return nil, nil }

// length [-e FIELD] [as NAME]
//
// Attaches the byte length of the entry data (or of FIELD's text) as an int64 named "length".
type lengthSpec struct {
	field string
	name  string
}

func parseLength(p *modParser) (moduleImpl, *ParseError) {
	s := &lengthSpec{name: "length"}
	s.field, _ = p.flag("-e")
	p.consumes(s.field)
	if isWord(p.peek(), "as") {
		p.next()
		t := p.next()
		if t == nil || t.text == "" {
			return nil, p.errAt(nil, "expected a name after \"as\"")
		}
		s.name = t.text
	}
	if t := p.peek(); t != nil {
		return nil, p.errAt(t, "unexpected "+strconv.Quote(t.raw)+"; expected [-e FIELD] [as NAME]")
	}
	p.spec.Produces = []string{s.name}
	return s, nil
}

func (s *lengthSpec) newStage(rc *runCtx) stage { return &lengthStage{s: s, ar: rc.ar} }

type lengthStage struct {
	s  *lengthSpec
	ar *arena
}

func (g *lengthStage) process(ents []wire.Entry) (int, error) {
	return keepEntries(ents, g.s.field, g.ar, g), nil
}

func (g *lengthStage) keep(e *wire.Entry, data []byte) bool {
	g.ar.setEV(e, g.s.name, wire.IntValue(int64(len(data))))
	return true
}

func (g *lengthStage) flush() ([]wire.Entry, error) { return nil, nil }
