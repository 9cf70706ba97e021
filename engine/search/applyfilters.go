package search

import (
	"strconv"
	"strings"
)

// Filter is one FilterRequest (PROTOCOL.md §3.4): a module invocation the client wants inserted
// into the query, usually built from a data-explorer element (§5.8).
type Filter struct {
	Tag    string // the tag the element came from; informational (the query's tags are kept)
	Module string // extraction module, e.g. "json", "kv", "syslog", "csv", "fields"
	Args   string // module flags, e.g. `-d "\t"`; may be empty
	Path   string // element path, e.g. "Proto", "Question.A", "[3]"
	Name   string // output name; empty keeps the module's default
	Op     string // "==", "!=", ">", ">=", "<", "<=", "~", "!~"; empty extracts only
	Value  string // filter value
}

// ApplyFilters inserts one module invocation per filter right after the tag specification of
// query, in order, so the filters apply to the entries as stored: `tag=foo | table` with
// {Module:"json", Path:"Proto", Op:"!=", Value:"udp"} becomes `tag=foo json Proto!=udp | table`.
// It returns the effective query text, or a *ParseError when query, or the result, does not
// parse (a filter naming an unknown module or a bad path reports the filter's module index).
func ApplyFilters(query string, filters []Filter) (string, error) {
	q, perr := parse(query)
	if perr != nil {
		return "", perr
	}
	if len(filters) == 0 {
		return q.Effective(), nil
	}
	var b strings.Builder
	b.WriteString("tag=")
	b.WriteString(strings.Join(q.TagPatterns, ","))
	for i, f := range filters {
		if i == 0 {
			b.WriteByte(' ')
		} else {
			b.WriteString(" | ")
		}
		if f.Module == "" || strings.ContainsAny(f.Module, " \t\"|") {
			return "", &ParseError{ModuleIndex: i, Msg: "filter " + strconv.Itoa(i) + ": bad module " + strconv.Quote(f.Module)}
		}
		if f.Path == "" {
			return "", &ParseError{ModuleIndex: i, Msg: "filter " + strconv.Itoa(i) + ": empty Path"}
		}
		if _, ok := opNames[f.Op]; f.Op != "" && !ok {
			return "", &ParseError{ModuleIndex: i, Msg: "filter " + strconv.Itoa(i) + ": unknown operator " + strconv.Quote(f.Op) +
				"; expected ==, !=, >, >=, <, <=, ~ or !~"}
		}
		b.WriteString(f.Module)
		if f.Args != "" {
			b.WriteByte(' ')
			b.WriteString(f.Args)
		}
		b.WriteByte(' ')
		b.WriteString(quotePath(f.Path))
		if f.Op != "" {
			b.WriteString(f.Op)
			b.WriteString(quote(f.Value))
		}
		if f.Name != "" {
			b.WriteString(" as ")
			b.WriteString(quote(f.Name))
		}
	}
	for i := range q.Modules {
		if q.Modules[i].Implicit {
			continue
		}
		b.WriteString(" | ")
		b.WriteString(q.Modules[i].Raw)
	}
	if q.rendererExplicit {
		b.WriteString(" | ")
		b.WriteString(q.RenderCmd)
	}
	out := b.String()
	if _, perr := parse(out); perr != nil {
		return "", perr
	}
	return out, nil
}

// quotePath writes a filter path so the query lexer keeps it one word with no operator: paths
// are already in the module's own syntax (quoted JSON components stay as they are), so only
// white space, '|' and operator characters outside quotes force quoting of the whole path.
func quotePath(p string) string {
	inQuote := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '"' {
			inQuote = !inQuote
			continue
		}
		if inQuote {
			if c == '\\' {
				i++
			}
			continue
		}
		if isSpace(c) || strings.IndexByte("|=!<>~", c) >= 0 {
			return quote(p)
		}
	}
	if inQuote {
		return quote(p)
	}
	return p
}
