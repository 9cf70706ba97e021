package search

import (
	"strconv"
	"strings"
	"time"
)

// moduleDef is an entry of the module table.
type moduleDef struct {
	condensing bool
	// flags maps each flag the module accepts to whether it takes an argument.
	flags map[string]bool
	parse func(p *modParser) (moduleImpl, *ParseError)
	// doc is the module's help text (docs.go).
	doc Doc
}

// modParser walks the argument words of one module invocation.
type modParser struct {
	index int
	name  string
	head  token // the module name word
	toks  []token
	i     int
	spec  *ModuleSpec
	flags map[string]string // flags given, with their arguments
}

func parseModule(index int, def moduleDef, toks []token) (ModuleSpec, *ParseError) {
	spec := ModuleSpec{Name: toks[0].text, Condensing: def.condensing}
	raws := make([]string, len(toks))
	for j, t := range toks {
		raws[j] = t.raw
		if j > 0 {
			spec.Args = append(spec.Args, t.text)
		}
	}
	spec.Raw = strings.Join(raws, " ")
	p := &modParser{index: index, name: spec.Name, head: toks[0], toks: toks[1:], spec: &spec}
	if perr := p.parseFlags(def.flags); perr != nil {
		return spec, perr
	}
	impl, perr := def.parse(p)
	if perr != nil {
		return spec, perr
	}
	spec.impl = impl
	return spec, nil
}

// errAt returns a ParseError at word t (or at the end of the module when t is nil).
func (p *modParser) errAt(t *token, msg string) *ParseError {
	off := p.head.pos
	if t != nil {
		off = t.pos
	} else if len(p.toks) > 0 {
		last := p.toks[len(p.toks)-1]
		off = last.pos + len(last.raw)
	} else {
		off += len(p.head.raw)
	}
	return &ParseError{ModuleIndex: p.index, Offset: off, Msg: p.name + ": " + msg}
}

func (p *modParser) more() bool { return p.i < len(p.toks) }

func (p *modParser) peek() *token {
	if p.i < len(p.toks) {
		return &p.toks[p.i]
	}
	return nil
}

func (p *modParser) next() *token {
	t := p.peek()
	if t != nil {
		p.i++
	}
	return t
}

// isWord reports whether t is the unquoted keyword w.
func isWord(t *token, w string) bool { return t != nil && !t.quoted && t.raw == w }

// parseFlags consumes the leading flags (unquoted words starting with '-').
func (p *modParser) parseFlags(allowed map[string]bool) *ParseError {
	for p.more() {
		t := p.peek()
		if t.quoted || len(t.raw) < 2 || t.raw[0] != '-' {
			return nil
		}
		if _, err := strconv.ParseFloat(t.raw, 64); err == nil {
			return nil // a negative number is an argument, not a flag
		}
		takesArg, ok := allowed[t.raw]
		if !ok {
			return p.errAt(t, "unknown flag "+strconv.Quote(t.raw)+"; expected "+flagList(allowed))
		}
		p.i++
		if p.flags == nil {
			p.flags = map[string]string{}
		}
		if _, dup := p.flags[t.raw]; dup {
			return p.errAt(t, "flag "+t.raw+" given twice")
		}
		arg := ""
		if takesArg {
			a := p.next()
			if a == nil {
				return p.errAt(nil, "flag "+t.raw+" needs an argument")
			}
			arg = a.text
		}
		p.flags[t.raw] = arg
	}
	return nil
}

func flagList(allowed map[string]bool) string {
	if len(allowed) == 0 {
		return "no flags"
	}
	names := make([]string, 0, len(allowed))
	for n, arg := range allowed {
		if arg {
			n += " ARG"
		}
		names = append(names, n)
	}
	sortStrings(names)
	return strings.Join(names, ", ")
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func (p *modParser) flag(name string) (string, bool) {
	v, ok := p.flags[name]
	return v, ok
}

// fieldSpec is one extraction of an extraction module: `path [op value] [as name]`.
type fieldSpec struct {
	path   string        // the path with quotes removed
	name   string        // output name
	filter *inlineFilter // nil when the spec only extracts
}

// fieldSpecs parses the remaining words as extraction specs; defName gives the output name of
// a path without "as".
func (p *modParser) fieldSpecs(defName func(path string) string) ([]fieldSpec, *ParseError) {
	var specs []fieldSpec
	for p.more() {
		t := p.next()
		left, op, right, hasOp := splitOp(t.raw)
		if hasOp && left == "" {
			return nil, p.errAt(t, "expected a field name before "+op)
		}
		fs := fieldSpec{path: unquote(left)}
		if !hasOp {
			if n := p.peek(); n != nil && !n.quoted {
				if l, o, r, ok := splitOp(n.raw); ok && l == "" {
					p.i++
					op, right, hasOp = o, r, true
				}
			}
		}
		if hasOp {
			valRaw := right
			if right == "" {
				v := p.next()
				if v == nil || isWord(v, "as") {
					return nil, p.errAt(v, "missing value after "+fs.path+" "+op)
				}
				valRaw = v.raw
			}
			f, err := newInlineFilter(op, unquote(valRaw))
			if err != "" {
				return nil, p.errAt(t, err)
			}
			fs.filter = f
		}
		fs.name = defName(fs.path)
		if isWord(p.peek(), "as") {
			p.i++
			n := p.next()
			if n == nil {
				return nil, p.errAt(nil, "expected a name after \"as\"")
			}
			fs.name = n.text
		}
		if fs.name == "" || len(fs.name) > 1024 {
			return nil, p.errAt(t, "bad output name "+strconv.Quote(fs.name))
		}
		specs = append(specs, fs)
	}
	return specs, nil
}

// produces records the output names of specs in the module's hints.
func (p *modParser) produces(specs []fieldSpec) {
	for _, s := range specs {
		p.spec.Produces = appendUnique(p.spec.Produces, s.name)
	}
}

func (p *modParser) consumes(names ...string) {
	for _, n := range names {
		if n != "" && !isPseudo(n) {
			p.spec.Consumes = appendUnique(p.spec.Consumes, n)
		}
	}
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// byOver parses an optional `by f1[,f2] f3 ...` and `over DURATION` tail.
func (p *modParser) byOver() (by []string, window int64, perr *ParseError) {
	if isWord(p.peek(), "by") {
		bt := p.next()
		for p.more() && !isWord(p.peek(), "over") {
			t := p.next()
			for _, f := range strings.Split(t.raw, ",") {
				if f == "" {
					continue
				}
				by = append(by, unquote(f))
			}
		}
		if len(by) == 0 {
			return nil, 0, p.errAt(bt, "expected one or more field names after \"by\"")
		}
	}
	if isWord(p.peek(), "over") {
		ot := p.next()
		d := p.next()
		if d == nil {
			return nil, 0, p.errAt(ot, "expected a duration after \"over\", e.g. over 5m")
		}
		w, ok := parseDuration(d.text)
		if !ok || w < int64(time.Second) || w%int64(time.Second) != 0 {
			return nil, 0, p.errAt(d, "bad window "+strconv.Quote(d.text)+"; expected a whole number of seconds or more, e.g. 30s, 5m, 1h, 1d")
		}
		window = w
	}
	if t := p.peek(); t != nil {
		return nil, 0, p.errAt(t, "unexpected "+strconv.Quote(t.raw)+"; expected by FIELDS or over DURATION")
	}
	p.spec.Window = window
	p.consumes(by...)
	return by, window, nil
}

// parseDuration parses Go durations plus d (days) and w (weeks) units: "90s", "5m", "1h30m",
// "2d", "1w".
func parseDuration(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	if n := len(s); s[n-1] == 'd' || s[n-1] == 'w' {
		v, err := strconv.ParseInt(s[:n-1], 10, 64)
		if err != nil || v <= 0 {
			return 0, false
		}
		unit := int64(24 * time.Hour)
		if s[n-1] == 'w' {
			unit *= 7
		}
		if v > (1<<62)/unit {
			return 0, false
		}
		return v * unit, true
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, false
	}
	return int64(d), true
}
