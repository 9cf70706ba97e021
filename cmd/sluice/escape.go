package main

import (
	"unicode/utf8"
)

const lowerHex = "0123456789abcdef"

// appendTerminalSafe appends s for display on a terminal. Only what a terminal would act on
// is escaped: tab, newline and carriage return as \t, \n, \r; other C0 controls, DEL, C1
// controls (which include the escape sequence introducers) and bytes that are not UTF-8 as
// \xNN; the bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069), which reorder
// what is shown, as \uNNNN. Everything else, quotes and backslashes included, is left as it is.
func appendTerminalSafe[T string | []byte](dst []byte, s T) []byte {
	for i := 0; i < len(s); {
		b := s[i]
		if b >= 0x20 && b < 0x7f {
			dst = append(dst, b)
			i++
			continue
		}
		if b < utf8.RuneSelf {
			switch b {
			case '\t':
				dst = append(dst, '\\', 't')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			default:
				dst = append(dst, '\\', 'x', lowerHex[b>>4], lowerHex[b&15])
			}
			i++
			continue
		}
		var r rune
		var n int
		switch v := any(s).(type) {
		case string:
			r, n = utf8.DecodeRuneInString(v[i:])
		case []byte:
			r, n = utf8.DecodeRune(v[i:])
		}
		switch {
		case r == utf8.RuneError && n == 1:
			dst = append(dst, '\\', 'x', lowerHex[b>>4], lowerHex[b&15])
		case r >= 0x80 && r < 0xa0, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			dst = append(dst, '\\', 'u', lowerHex[r>>12&15], lowerHex[r>>8&15], lowerHex[r>>4&15], lowerHex[r&15])
		default:
			dst = append(dst, string(s[i:i+n])...)
		}
		i += n
	}
	return dst
}

// isJSONNumber reports whether s is a JSON number (RFC 8259 §6): table cells that are
// numbers are written as numbers in NDJSON. "007", "1.", "+1", "NaN" and "Inf" are not.
func isJSONNumber(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	i := 0
	if s[i] == '-' {
		i++
	}
	digits := func() int {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - j
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}
