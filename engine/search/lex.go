package search

import (
	"strings"
)

// token is one whitespace-separated word of a module invocation. Double-quoted segments may
// occur anywhere in a word and may hold white space, '|' and operators; inside quotes \" stands
// for a quote and \\ for a backslash, while any other backslash sequence is kept as written for
// the module to interpret (grep, kv and fields decode \t, \xNN ...).
type token struct {
	text   string // the word with quotes removed
	raw    string // the word exactly as written
	pos    int    // byte offset of the word in the query
	quoted bool   // the word holds a quoted segment
}

// segment is the text of one module between pipes.
type segment struct {
	text string
	pos  int
}

// splitPipes splits a query at the '|' characters outside quotes. An unbalanced quote is
// reported with the index of the segment it starts in.
func splitPipes(q string) ([]segment, *ParseError) {
	var segs []segment
	start := 0
	inQuote := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case inQuote && c == '\\' && i+1 < len(q):
			i++
		case c == '"':
			inQuote = !inQuote
		case c == '|' && !inQuote:
			segs = append(segs, segment{text: q[start:i], pos: start})
			start = i + 1
		}
	}
	if inQuote {
		return nil, &ParseError{ModuleIndex: len(segs), Offset: strings.LastIndexByte(q, '"'),
			Msg: "unbalanced quote: a double quote is opened and never closed"}
	}
	return append(segs, segment{text: q[start:], pos: start}), nil
}

// lexWords splits a segment into tokens.
func lexWords(seg segment) []token {
	var toks []token
	s := seg.text
	for i := 0; i < len(s); {
		if isSpace(s[i]) {
			i++
			continue
		}
		start := i
		inQuote, quoted := false, false
		for i < len(s) && (inQuote || !isSpace(s[i])) {
			switch {
			case inQuote && s[i] == '\\' && i+1 < len(s):
				i++
			case s[i] == '"':
				inQuote = !inQuote
				quoted = true
			}
			i++
		}
		raw := s[start:i]
		toks = append(toks, token{text: unquote(raw), raw: raw, pos: seg.pos + start, quoted: quoted})
	}
	return toks
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// unquote removes the double quotes of a word and decodes \" and \\ inside them.
func unquote(raw string) string {
	if strings.IndexByte(raw, '"') < 0 {
		return raw
	}
	var b strings.Builder
	inQuote := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '"':
			inQuote = !inQuote
		case inQuote && c == '\\' && i+1 < len(raw) && (raw[i+1] == '"' || raw[i+1] == '\\'):
			i++
			b.WriteByte(raw[i])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// quote returns s as a word that lexes back to s: as it is when it needs no quotes, otherwise
// in double quotes with '"' and '\' escaped.
func quote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n\r\f\v\"|\\=!<>~,()") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// decodeEscapes interprets printf-style escapes in a module argument: \n \r \t \\ \" \xNN and
// \* (a literal asterisk; kept as "\*" when keepStar is set so grep can tell it from a
// wildcard). Unknown escapes are kept as written.
func decodeEscapes(s string, keepStar bool) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case '\\':
			b.WriteByte('\\')
		case '"':
			b.WriteByte('"')
		case '*', '?':
			if keepStar {
				b.WriteByte('\\')
			}
			b.WriteByte(s[i])
		case 'x':
			if i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
				b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
				i += 2
			} else {
				b.WriteString(`\x`)
			}
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// splitOp splits a word at the first comparison operator outside quotes:
// `status==404` → "status", "==", "404". ok is false when the word holds no operator.
// A lone '=' counts as "==".
func splitOp(raw string) (left, op, right string, ok bool) {
	inQuote := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if inQuote {
			if c == '\\' {
				i++
			} else if c == '"' {
				inQuote = false
			}
			continue
		}
		switch c {
		case '"':
			inQuote = true
		case '=', '!', '<', '>', '~':
			n := 1
			if i+1 < len(raw) {
				two := raw[i : i+2]
				if two == "==" || two == "!=" || two == "<=" || two == ">=" || two == "!~" {
					n = 2
				}
			}
			op = raw[i : i+n]
			if op == "!" {
				continue // a lone '!' is part of a name
			}
			if op == "=" {
				op = "=="
			}
			return raw[:i], op, raw[i+n:], true
		}
	}
	return raw, "", "", false
}
