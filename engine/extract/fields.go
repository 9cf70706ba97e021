package extract

import (
	"strconv"
	"strings"
)

// NextField returns the field at data[i:] up to the delimiter delim (any byte string; empty
// means ","), and the index after the delimiter. When quoted is true, delimiters inside double
// quotes do not split. more is false once the data is exhausted: a trailing delimiter yields one
// last empty field, as strings.Split does.
func NextField(data []byte, i int, delim string, quoted bool) (field []byte, next int, more bool) {
	if delim == "" {
		delim = ","
	}
	if i > len(data) {
		return nil, i, false
	}
	j := i
	inQuote := false
	for j < len(data) {
		c := data[j]
		if quoted && c == '"' {
			inQuote = !inQuote
		} else if !inQuote && c == delim[0] && len(data)-j >= len(delim) && string(data[j:j+len(delim)]) == delim {
			return data[i:j], j + len(delim), true
		}
		j++
	}
	return data[i:j], len(data) + 1, true
}

// TrimSpace removes leading and trailing ASCII white space.
func TrimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// NextCSV returns the comma-separated column at data[i:] the way the csv module reads it:
// surrounding white space is removed, a column in double quotes may hold commas and newlines,
// and a doubled quote inside it stands for one quote (then the column is rewritten into scratch,
// which is returned grown). more is false once the data is exhausted.
func NextCSV(data []byte, i int, scratch []byte) (col []byte, next int, scratchOut []byte, more bool) {
	if i > len(data) {
		return nil, i, scratch, false
	}
	for i < len(data) && (data[i] == ' ' || data[i] == '\t') {
		i++
	}
	if i < len(data) && data[i] == '"' {
		j := i + 1
		doubled := false
		for j < len(data) {
			if data[j] == '"' {
				if j+1 < len(data) && data[j+1] == '"' {
					doubled = true
					j += 2
					continue
				}
				break
			}
			j++
		}
		if j < len(data) { // closing quote found
			body := data[i+1 : j]
			k := j + 1
			for k < len(data) && data[k] != ',' {
				k++
			}
			next := k + 1
			if k >= len(data) {
				next = len(data) + 1
			}
			if !doubled {
				return body, next, scratch, true
			}
			start := len(scratch)
			for x := 0; x < len(body); x++ {
				scratch = append(scratch, body[x])
				if body[x] == '"' {
					x++
				}
			}
			return scratch[start:len(scratch):len(scratch)], next, scratch, true
		}
	}
	j := i
	for j < len(data) && data[j] != ',' {
		j++
	}
	next = j + 1
	if j >= len(data) {
		next = len(data) + 1
	}
	return TrimSpace(data[i:j]), next, scratch, true
}

// ColumnIndex resolves a column of the fields and csv modules: "[N]" (decimal, 0x hex or 0
// octal, at most 1<<20) or a name from header. name is the column's default name: the text
// inside the brackets, or the header name.
func ColumnIndex(col string, header []string) (int, string, bool) {
	if inner, ok := strings.CutPrefix(col, "["); ok {
		inner, ok = strings.CutSuffix(inner, "]")
		if !ok {
			return 0, "", false
		}
		n, err := strconv.ParseInt(inner, 0, 32)
		if err != nil || n < 0 || n > 1<<20 {
			return 0, "", false
		}
		return int(n), inner, true
	}
	for i, h := range header {
		if h == col {
			return i, col, true
		}
	}
	return 0, "", false
}
