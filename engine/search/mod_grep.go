package search

import (
	"bytes"

	"github.com/sluicehq/sluice/wire"
)

// grep [-v] [-i] [-s] [-simple] [-e FIELD] PATTERN...
//
// Gravwell semantics: an entry passes when any pattern occurs in its data (or in the value of
// FIELD); -s (strict) requires all patterns; -v inverts the decision (so -v drops entries that
// contain any pattern, and -v -s drops those that contain all of them). Patterns are byte
// strings with printf escapes (\t, \xNN, ...) and the wildcards '*' (any run of bytes) and '?'
// (any one byte), which \* and \? escape and -simple turns off. -i folds ASCII case. An entry
// without FIELD is dropped.
type grepSpec struct {
	pats   []grepPattern
	invert bool
	strict bool
	fold   bool
	field  string
}

// grepPattern is a pattern split at its '*' wildcards.
type grepPattern struct {
	pieces []grepPiece
}

type grepPiece struct {
	lit  []byte // lower-cased when folding
	any  []bool // positions holding '?', nil when none
	fold bool
}

func parseGrep(p *modParser) (moduleImpl, *ParseError) {
	s := &grepSpec{}
	_, s.invert = p.flag("-v")
	_, s.strict = p.flag("-s")
	_, s.fold = p.flag("-i")
	_, simple := p.flag("-simple")
	s.field, _ = p.flag("-e")
	p.consumes(s.field)
	if !p.more() {
		return nil, p.errAt(nil, "missing argument: expected one or more patterns")
	}
	for p.more() {
		t := p.next()
		if t.text == "" {
			return nil, p.errAt(t, "empty pattern")
		}
		s.pats = append(s.pats, compileGrep(decodeEscapes(t.text, !simple), simple, s.fold))
	}
	return s, nil
}

func compileGrep(pat string, simple, fold bool) grepPattern {
	var g grepPattern
	var cur grepPiece
	cur.fold = fold
	flush := func() {
		if len(cur.lit) > 0 {
			g.pieces = append(g.pieces, cur)
		}
		cur = grepPiece{fold: fold}
	}
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		switch {
		case !simple && c == '\\' && i+1 < len(pat) && (pat[i+1] == '*' || pat[i+1] == '?'):
			i++
			c = pat[i]
		case !simple && c == '*':
			flush()
			continue
		case !simple && c == '?':
			if cur.any == nil {
				cur.any = make([]bool, len(cur.lit), len(pat))
			}
			cur.lit = append(cur.lit, 0)
			cur.any = append(cur.any, true)
			continue
		}
		if fold {
			c = lower(c)
		}
		cur.lit = append(cur.lit, c)
		if cur.any != nil {
			cur.any = append(cur.any, false)
		}
	}
	flush()
	return g
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// match reports whether the pattern's pieces occur in order in hay.
func (g *grepPattern) match(hay []byte) bool {
	for i := range g.pieces {
		at := g.pieces[i].index(hay)
		if at < 0 {
			return false
		}
		hay = hay[at+len(g.pieces[i].lit):]
	}
	return true
}

// index returns the first offset of the piece in hay, or -1.
func (pc *grepPiece) index(hay []byte) int {
	if !pc.fold && pc.any == nil {
		return bytes.Index(hay, pc.lit)
	}
	n := len(pc.lit)
	first := pc.lit[0]
	anyFirst := pc.any != nil && pc.any[0]
	upper := first
	if pc.fold && first >= 'a' && first <= 'z' {
		upper = first - ('a' - 'A')
	}
	for i := 0; i+n <= len(hay); i++ {
		if !anyFirst {
			// skip to the next possible first byte
			j := bytes.IndexByte(hay[i:len(hay)-n+1], first)
			if upper != first {
				if k := bytes.IndexByte(hay[i:len(hay)-n+1], upper); k >= 0 && (j < 0 || k < j) {
					j = k
				}
			}
			if j < 0 {
				return -1
			}
			i += j
		}
		if pc.equalAt(hay[i : i+n]) {
			return i
		}
	}
	return -1
}

func (pc *grepPiece) equalAt(b []byte) bool {
	for k, c := range pc.lit {
		if pc.any != nil && pc.any[k] {
			continue
		}
		h := b[k]
		if pc.fold {
			h = lower(h)
		}
		if h != c {
			return false
		}
	}
	return true
}

func (s *grepSpec) newStage(rc *runCtx) stage { return &grepStage{s: s, ar: rc.ar} }

type grepStage struct {
	s  *grepSpec
	ar *arena
}

func (g *grepStage) process(ents []wire.Entry) (int, error) {
	return keepEntries(ents, g.s.field, g.ar, g), nil
}

func (g *grepStage) keep(_ *wire.Entry, hay []byte) bool {
	s := g.s
	matched := s.strict
	for k := range s.pats {
		if s.pats[k].match(hay) != s.strict {
			matched = !s.strict
			break
		}
	}
	return matched != s.invert
}

func (g *grepStage) flush() ([]wire.Entry, error) { return nil, nil }
