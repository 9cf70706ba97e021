package wire

import "time"

// The timestamp parsers of sluice live here, in one place: ScanRFC3339 and ScanRFC3164 for
// log lines (ingest's time extraction and engine/extract's syslog fields), ScanApacheTime and
// ScanEpoch for ingest, ParseRFC3339 (request_time.go) for the strict request form, and the
// calendar (DaysFromCivil, DaysInMonth) under all of them.

// SyslogFutureSlack is how far past the reference time an RFC 3164 timestamp (which has no
// year) may lie and still be placed in the reference year.
//
// NOTE: RFC 3164 stamps are in the sender's local time, which is read as UTC, so a stamp from
// a sender east of Greenwich can look up to 14 hours ahead. Without slack such a line would
// be dated a year back.
const SyslogFutureSlack = 24 * time.Hour

func isDigit(c byte) bool { return c-'0' <= 9 }

func isAlnum(c byte) bool {
	return c-'0' <= 9 || (c|0x20)-'a' <= 'z'-'a'
}

// parseFrac reads the digits of a fraction starting at s[i] and returns the nanoseconds (only
// the first nine digits count) and the index after the last digit.
func parseFrac(s []byte, i int) (nsec int64, end int) {
	n := 0
	for i < len(s) && isDigit(s[i]) {
		if n < 9 {
			nsec = nsec*10 + int64(s[i]-'0')
			n++
		}
		i++
	}
	for ; n < 9; n++ {
		nsec *= 10
	}
	return nsec, i
}

// validDate reports whether y-m-d and h:mi:s are a valid calendar date and time of day
// (a leap second, s == 60, is accepted and runs into the next minute).
func validDate(y, m, d, h, mi, s int) bool {
	return m >= 1 && m <= 12 && d >= 1 && d <= DaysInMonth(m, y) && h <= 23 && mi <= 59 && s <= 60
}

func civilSec(y, m, d, h, mi, s int) int64 {
	return DaysFromCivil(int64(y), int64(m), int64(d))*86400 + int64(h*3600+mi*60+s)
}

// ScanRFC3339 parses an RFC 3339 / ISO 8601 timestamp starting at s[i] and returns it as Unix
// seconds and nanoseconds; end is the index after it. Accepted: 2006-01-02T15:04:05 with 'T',
// 't' or a space between date and time, '-' or '/' between date fields, an optional fraction
// after '.' or ',' (digits past the ninth are dropped), and an optional zone (Z, ±hh:mm, ±hhmm,
// ±hh, or " ±hhmm" as in Go's time.Time.String); no zone means UTC. The date must exist (a
// leap second runs into the next minute). It does not allocate. ParseRFC3339 is the strict
// form requests use.
func ScanRFC3339(s []byte, i int) (sec, nsec int64, end int, ok bool) {
	if len(s)-i < 19 {
		return 0, 0, 0, false
	}
	sep := s[i+4]
	if (sep != '-' && sep != '/') || s[i+7] != sep || s[i+13] != ':' || s[i+16] != ':' {
		return 0, 0, 0, false
	}
	if t := s[i+10]; t != 'T' && t != 't' && t != ' ' {
		return 0, 0, 0, false
	}
	y, ok1 := digits4(s[i], s[i+1], s[i+2], s[i+3])
	mo, ok2 := digits2(s[i+5], s[i+5+1])
	d, ok3 := digits2(s[i+8], s[i+8+1])
	h, ok4 := digits2(s[i+11], s[i+11+1])
	mi, ok5 := digits2(s[i+14], s[i+14+1])
	se, ok6 := digits2(s[i+17], s[i+17+1])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || !validDate(y, mo, d, h, mi, se) {
		return 0, 0, 0, false
	}
	j := i + 19
	if j+1 < len(s) && (s[j] == '.' || s[j] == ',') && isDigit(s[j+1]) {
		nsec, j = parseFrac(s, j+1)
	}
	off := 0
	if j < len(s) {
		switch s[j] {
		case 'Z', 'z':
			j++
		case '+', '-':
			if o, n, ok := parseOffset(s, j, true); ok {
				off, j = o, n
			}
		case ' ':
			// Go's time.Time.String: "2006-01-02 15:04:05.999999999 -0700 MST".
			if j+1 < len(s) && (s[j+1] == '+' || s[j+1] == '-') {
				if o, n, ok := parseOffset(s, j+1, false); ok && n-j == 6 {
					off, j = o, n
				}
			}
		}
	}
	return civilSec(y, mo, d, h, mi, se) - int64(off), nsec, j, true
}

// parseOffset parses a zone offset at s[i] ('+' or '-'): ±hh:mm, ±hhmm, or, when short is true,
// ±hh. It returns the offset in seconds east of UTC and the index after it.
func parseOffset(s []byte, i int, short bool) (off, end int, ok bool) {
	if len(s)-i < 3 {
		return 0, 0, false
	}
	h, okh := digits2(s[i+1], s[i+2])
	if !okh || h > 23 {
		return 0, 0, false
	}
	j, m := i+3, 0
	switch {
	case len(s)-j >= 3 && s[j] == ':' && isDigit(s[j+1]):
		mm, okm := digits2(s[j+1], s[j+1+1])
		if !okm || mm > 59 {
			return 0, 0, false
		}
		m, j = mm, j+3
	case len(s)-j >= 2 && isDigit(s[j]):
		mm, okm := digits2(s[j], s[j+1])
		if !okm || mm > 59 {
			return 0, 0, false
		}
		m, j = mm, j+2
	case !short:
		return 0, 0, false
	}
	if j < len(s) && isDigit(s[j]) {
		return 0, 0, false
	}
	off = h*3600 + m*60
	if s[i] == '-' {
		off = -off
	}
	return off, j, true
}

// monthIndex returns 1–12 for a three-letter English month abbreviation (any case), 0 otherwise.
func monthIndex(a, b, c byte) int {
	switch uint32(a|0x20)<<16 | uint32(b|0x20)<<8 | uint32(c|0x20) {
	case 'j'<<16 | 'a'<<8 | 'n':
		return 1
	case 'f'<<16 | 'e'<<8 | 'b':
		return 2
	case 'm'<<16 | 'a'<<8 | 'r':
		return 3
	case 'a'<<16 | 'p'<<8 | 'r':
		return 4
	case 'm'<<16 | 'a'<<8 | 'y':
		return 5
	case 'j'<<16 | 'u'<<8 | 'n':
		return 6
	case 'j'<<16 | 'u'<<8 | 'l':
		return 7
	case 'a'<<16 | 'u'<<8 | 'g':
		return 8
	case 's'<<16 | 'e'<<8 | 'p':
		return 9
	case 'o'<<16 | 'c'<<8 | 't':
		return 10
	case 'n'<<16 | 'o'<<8 | 'v':
		return 11
	case 'd'<<16 | 'e'<<8 | 'c':
		return 12
	}
	return 0
}

// parseClock parses hh:mm:ss with an optional fraction at s[i].
func parseClock(s []byte, i int) (h, mi, se int, nsec int64, end int, ok bool) {
	if len(s)-i < 8 || s[i+2] != ':' || s[i+5] != ':' {
		return 0, 0, 0, 0, 0, false
	}
	h, ok1 := digits2(s[i], s[i+1])
	mi, ok2 := digits2(s[i+3], s[i+3+1])
	se, ok3 := digits2(s[i+6], s[i+6+1])
	if !(ok1 && ok2 && ok3) {
		return 0, 0, 0, 0, 0, false
	}
	end = i + 8
	if end+1 < len(s) && s[end] == '.' && isDigit(s[end+1]) {
		nsec, end = parseFrac(s, end+1)
	}
	return h, mi, se, nsec, end, true
}

// ScanRFC3164 parses an RFC 3164 (BSD syslog) timestamp at s[i]: "Jan  2 15:04:05",
// "Jan 02 15:04:05" or "Jan 02 2006 15:04:05", month names in any case, seconds with an
// optional fraction. It is read as UTC. Without a year, the year is the latest that does not
// put the stamp more than SyslogFutureSlack after ref (Unix nanoseconds); Feb 29 looks back
// to the last leap year. end is the index after the stamp. It does not allocate.
func ScanRFC3164(s []byte, i int, ref int64) (sec, nsec int64, end int, ok bool) {
	if len(s)-i < 15 || s[i+3] != ' ' {
		return 0, 0, 0, false
	}
	mo := monthIndex(s[i], s[i+1], s[i+2])
	if mo == 0 {
		return 0, 0, 0, false
	}
	j := i + 4
	var d int
	switch {
	case s[j] == ' ' && isDigit(s[j+1]):
		d, j = int(s[j+1]-'0'), j+2
	case isDigit(s[j]) && isDigit(s[j+1]):
		d, _ = digits2(s[j], s[j+1])
		j += 2
	default:
		return 0, 0, 0, false
	}
	if j >= len(s) || s[j] != ' ' {
		return 0, 0, 0, false
	}
	j++
	year := 0
	if len(s)-j >= 5 && s[j+4] == ' ' {
		y, oky := digits4(s[j], s[j+1], s[j+2], s[j+3])
		if !oky {
			return 0, 0, 0, false
		}
		year, j = y, j+5
	}
	h, mi, se, nsec, end, ok := parseClock(s, j)
	if !ok || (end < len(s) && isDigit(s[end])) {
		return 0, 0, 0, false
	}
	if year != 0 {
		if !validDate(year, mo, d, h, mi, se) {
			return 0, 0, 0, false
		}
		return civilSec(year, mo, d, h, mi, se), nsec, end, true
	}
	// The latest year that does not put the stamp too far into the future; Feb 29 looks back
	// to the last leap year.
	limit := ref/1e9 + int64(SyslogFutureSlack/time.Second)
	ny := time.Unix(0, ref).UTC().Year()
	for y := ny + 1; y >= ny-8; y-- {
		if !validDate(y, mo, d, h, mi, se) {
			continue
		}
		if t := civilSec(y, mo, d, h, mi, se); t <= limit {
			return t, nsec, end, true
		}
	}
	return 0, 0, 0, false
}

// ScanApacheTime parses an access log time "[02/Jan/2006:15:04:05 -0700]" at s[i] ('['). The
// zone may be missing (UTC) and the seconds may carry a fraction. end is the index after ']'.
func ScanApacheTime(s []byte, i int) (sec, nsec int64, end int, ok bool) {
	if len(s)-i < 22 || s[i+3] != '/' || s[i+7] != '/' || s[i+12] != ':' {
		return 0, 0, 0, false
	}
	d, ok1 := digits2(s[i+1], s[i+2])
	mo := monthIndex(s[i+4], s[i+5], s[i+6])
	y, ok2 := digits4(s[i+8], s[i+8+1], s[i+8+2], s[i+8+3])
	h, mi, se, nsec, j, ok3 := parseClock(s, i+13)
	if !(ok1 && ok2 && ok3) || mo == 0 || !validDate(y, mo, d, h, mi, se) {
		return 0, 0, 0, false
	}
	off := 0
	if j < len(s) && s[j] == ' ' {
		o, n, ok := parseOffset(s, j+1, false)
		if !ok {
			return 0, 0, 0, false
		}
		off, j = o, n
	}
	if j >= len(s) || s[j] != ']' {
		return 0, 0, 0, false
	}
	return civilSec(y, mo, d, h, mi, se) - int64(off), nsec, j + 1, true
}

// ScanEpoch parses epoch time at s[i]. With strict, the integer part must have exactly 10,
// 13, 16 or 19 digits and be followed by the end or a delimiter; otherwise any number of
// digits is read and the unit is told by magnitude (< 1e11 seconds, < 1e14 ms, < 1e17 µs,
// else ns). Only seconds and milliseconds may carry a fraction.
func ScanEpoch(s []byte, i int, strict bool) (sec, nsec int64, end int, ok bool) {
	var v uint64
	j := i
	for j < len(s) && isDigit(s[j]) {
		if j-i >= 19 {
			return 0, 0, 0, false
		}
		v = v*10 + uint64(s[j]-'0')
		j++
	}
	n := j - i
	if n == 0 || v > 1<<63-1 {
		return 0, 0, 0, false
	}
	unit := 0 // digits below the second: 0 s, 3 ms, 6 µs, 9 ns
	if strict {
		switch n {
		case 10:
		case 13:
			unit = 3
		case 16:
			unit = 6
		case 19:
			unit = 9
		default:
			return 0, 0, 0, false
		}
	} else {
		switch {
		case v < 1e11:
		case v < 1e14:
			unit = 3
		case v < 1e17:
			unit = 6
		default:
			unit = 9
		}
	}
	var frac int64
	if unit <= 3 && j+1 < len(s) && s[j] == '.' && isDigit(s[j+1]) {
		frac, j = parseFrac(s, j+1) // in units of 1e-9 of the unit
	}
	if strict && j < len(s) {
		if c := s[j]; isAlnum(c) || c == '-' || c == ':' || c == '.' {
			return 0, 0, 0, false
		}
	}
	switch unit {
	case 0:
		return int64(v), frac, j, true
	case 3:
		return int64(v / 1e3), int64(v%1e3)*1e6 + frac/1e3, j, true
	case 6:
		return int64(v / 1e6), int64(v%1e6) * 1e3, j, true
	default:
		return int64(v / 1e9), int64(v % 1e9), j, true
	}
}
