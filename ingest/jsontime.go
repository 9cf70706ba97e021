package ingest

import "github.com/sluicehq/sluice/wire"

// jsonTime finds the first top-level time field ("ts", "time", "timestamp", "@timestamp", any
// case) of the JSON object at the start of s and parses its value. It walks the object without
// decoding it: nested values are skipped, malformed input simply fails.
func jsonTime(s []byte) (int64, bool) {
	i := 1 // s[0] == '{'
	for {
		i = skipSpace(s, i)
		if i >= len(s) || s[i] != '"' {
			return 0, false
		}
		ks := i + 1
		ke, esc := scanString(s, ks)
		if ke < 0 {
			return 0, false
		}
		i = skipSpace(s, ke+1)
		if i >= len(s) || s[i] != ':' {
			return 0, false
		}
		i = skipSpace(s, i+1)
		if i >= len(s) {
			return 0, false
		}
		if !esc && isTimeKey(s[ks:ke]) {
			if ts, ok := jsonTimeValue(s, i); ok {
				return ts, true
			}
		}
		if i = skipValue(s, i); i < 0 {
			return 0, false
		}
		i = skipSpace(s, i)
		if i >= len(s) || s[i] != ',' {
			return 0, false
		}
		i++
	}
}

// isTimeKey reports whether k is ts, time, timestamp or @timestamp in any case.
func isTimeKey(k []byte) bool {
	if len(k) > 0 && k[0] == '@' {
		k = k[1:]
		return len(k) == 9 && lowerEq(k, "timestamp")
	}
	switch len(k) {
	case 2:
		return lowerEq(k, "ts")
	case 4:
		return lowerEq(k, "time")
	case 9:
		return lowerEq(k, "timestamp")
	}
	return false
}

// lowerEq reports whether ASCII k equals lower-case want ignoring case; len(k) == len(want).
func lowerEq(k []byte, want string) bool {
	for i := 0; i < len(want); i++ {
		if k[i]|0x20 != want[i] {
			return false
		}
	}
	return true
}

// jsonTimeValue parses a time value at s[i]: an epoch number, or a string holding an epoch
// number or an RFC 3339 time (the whole string must be the time).
func jsonTimeValue(s []byte, i int) (int64, bool) {
	if s[i] == '"' {
		e, esc := scanString(s, i+1)
		if e < 0 || esc || e == i+1 {
			return 0, false
		}
		v := s[i+1 : e]
		if sec, nsec, end, ok := wire.ScanRFC3339(v, 0); ok && end == len(v) {
			return toNanos(sec, nsec)
		}
		if sec, nsec, end, ok := wire.ScanEpoch(v, 0, false); ok && end == len(v) {
			return toNanos(sec, nsec)
		}
		return 0, false
	}
	sec, nsec, end, ok := wire.ScanEpoch(s, i, false)
	if !ok || (end < len(s) && (isAlnum(s[end]) || s[end] == '.')) {
		return 0, false // negative, exponent form, or not a number
	}
	return toNanos(sec, nsec)
}

func skipSpace(s []byte, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// scanString returns the index of the closing quote of the string whose body starts at s[i],
// or -1, and whether the body holds escapes.
func scanString(s []byte, i int) (end int, esc bool) {
	for i < len(s) {
		switch s[i] {
		case '"':
			return i, esc
		case '\\':
			esc = true
			i += 2
			continue
		}
		i++
	}
	return -1, esc
}

// skipValue returns the index after the JSON value at s[i], or -1 when it is malformed or cut
// off. Scalars are skipped loosely (up to the next delimiter); objects and arrays by nesting.
func skipValue(s []byte, i int) int {
	switch s[i] {
	case '"':
		e, _ := scanString(s, i+1)
		if e < 0 {
			return -1
		}
		return e + 1
	case '{', '[':
		depth := 0
		for i < len(s) {
			switch s[i] {
			case '"':
				e, _ := scanString(s, i+1)
				if e < 0 {
					return -1
				}
				i = e
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	}
	for i < len(s) {
		switch s[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return i
		}
		i++
	}
	return i
}
