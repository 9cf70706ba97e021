package collect

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// nextLine splits b at the first newline.
func nextLine(b []byte) (line, rest []byte) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}

// nextField returns the first field of b separated by spaces or tabs, and the rest.
func nextField(b []byte) (field, rest []byte) {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	j := i
	for j < len(b) && b[j] != ' ' && b[j] != '\t' {
		j++
	}
	return b[i:j], b[j:]
}

// fieldsN splits b into at most len(dst) fields and returns how many it found.
func fieldsN(b []byte, dst [][]byte) int {
	n := 0
	for n < len(dst) {
		var f []byte
		f, b = nextField(b)
		if len(f) == 0 {
			break
		}
		dst[n] = f
		n++
	}
	return n
}

var errNotNumber = errors.New("not an unsigned decimal number")

// parseUint parses an unsigned decimal number without allocating.
func parseUint(b []byte) (uint64, error) {
	if len(b) == 0 || len(b) > 20 {
		return 0, errNotNumber
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, errNotNumber
		}
		d := uint64(c - '0')
		if v > (1<<64-1-d)/10 {
			return 0, errNotNumber
		}
		v = v*10 + d
	}
	return v, nil
}

// parseError describes a malformed /proc file. The offending text is truncated.
func parseError(file string, line int, text []byte, err error) error {
	const max = 64
	if len(text) > max {
		text = append(text[:max:max], "..."...)
	}
	if line > 0 {
		return fmt.Errorf("collect: cannot parse %s: line %d %q: %w", file, line, text, err)
	}
	return fmt.Errorf("collect: cannot parse %s: %q: %w", file, text, err)
}

// unescapeOctal undoes the \ooo escapes of /proc/self/mountinfo and /proc/mounts
// (space \040, tab \011, newline \012, backslash \134).
func unescapeOctal(b []byte) string {
	if bytes.IndexByte(b, '\\') < 0 {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+3 < len(b) && b[i+1] <= '3' && isOctal(b[i+1]) && isOctal(b[i+2]) && isOctal(b[i+3]) {
			v := (b[i+1]-'0')<<6 | (b[i+2]-'0')<<3 | (b[i+3] - '0')
			out = append(out, v)
			i += 3
			continue
		}
		out = append(out, b[i])
	}
	return string(out)
}

func isOctal(c byte) bool { return '0' <= c && c <= '7' }

func parseFloat(b []byte) (float64, error) {
	return strconv.ParseFloat(string(b), 64)
}
