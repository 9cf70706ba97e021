package ingest

import (
	"bytes"
	"time"
)

// ScanWindow is how far into a line (in bytes) ExtractTime looks for a timestamp that is not at
// a fixed place: a timestamp must start within the first ScanWindow bytes. JSON time fields are
// looked for in the whole line.
const ScanWindow = 256

// SyslogFutureSlack is how far past now an RFC 3164 timestamp (which has no year) may lie and
// still be placed in the current year.
//
// NOTE: RFC 3164 stamps are in the sender's local time, which ExtractTime reads as UTC, so a
// stamp from a sender east of Greenwich can look up to 14 hours ahead. Without slack such a
// line would be dated a year back.
const SyslogFutureSlack = 24 * time.Hour

// The range of Unix seconds whose nanosecond form fits an int64 (1677-09-21 to 2262-04-11).
const (
	minUnixSec = -9223372036
	maxUnixSec = 9223372035
)

// ExtractTime finds the timestamp of a log line and returns it as Unix nanoseconds. ok is false
// when no timestamp is recognised or the one found is out of range (outside 1677–2262); callers
// then fall back to the arrival time. now is used only to infer the year of RFC 3164 stamps.
//
// Recognised, tried in this order:
//
//  1. A JSON object (the line starts with '{') with a top-level field "ts", "time",
//     "timestamp" or "@timestamp" (any case; the first one that parses wins) whose value is
//     epoch seconds, milliseconds, microseconds or nanoseconds (a number or a string of digits,
//     told apart by magnitude; seconds and milliseconds may carry a fraction) or an RFC 3339
//     string.
//  2. Bare epoch time at the start of the line: exactly 10 (seconds, optional fraction),
//     13 (milliseconds, optional fraction), 16 (microseconds) or 19 (nanoseconds) digits,
//     followed by the end of the line or a byte that is not a letter, digit, '.', '-' or ':'.
//  3. The first of the forms below that starts within the first ScanWindow bytes (first by the
//     position of its first colon).
//
// RFC 3339 / ISO 8601: 2006-01-02T15:04:05 with 'T' or a space between date and time, '-' or
// '/' between date fields, an optional fraction after '.' or ',', and an optional zone (Z,
// ±hh:mm, ±hhmm, ±hh, or " ±hhmm" as in Go's time.Time.String); no zone means UTC. It must not
// follow a letter or digit. This covers RFC 5424 syslog (<PRI>1 TIMESTAMP ...), whose nil
// timestamp "-" leaves the rest of the line to be searched, and Go's log package.
//
// Apache/nginx access log time: [02/Jan/2006:15:04:05 -0700].
//
// RFC 3164 syslog time: "Jan  2 15:04:05" or "Jan 02 15:04:05", optionally with a year before
// the time ("Jan 02 2006 15:04:05"), at the line start, after "<PRI>" or after a space. It is
// read as UTC; without a year, the year is the latest that does not put the stamp more than
// SyslogFutureSlack after now.
//
// ExtractTime does not allocate and is safe for concurrent use.
func ExtractTime(line []byte, now time.Time) (ts int64, ok bool) {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	if i == len(line) {
		return 0, false
	}
	switch c := line[i]; {
	case c == '{':
		if ts, ok = jsonTime(line[i:]); ok {
			return ts, true
		}
	case isDigit(c):
		if sec, nsec, _, ok := parseEpoch(line, i, true); ok {
			return toNanos(sec, nsec)
		}
	}
	return scanTime(line, now)
}

// scanTime finds the first timestamp in the window by its first colon: every scanned format
// has a colon at a fixed distance from its start, and bytes.IndexByte finds colons fast.
func scanTime(line []byte, now time.Time) (int64, bool) {
	limit := len(line)
	if limit > ScanWindow+16 {
		limit = ScanWindow + 16
	}
	for off := 0; off < limit; {
		c := bytes.IndexByte(line[off:limit], ':')
		if c < 0 {
			break
		}
		c += off
		off = c + 1
		// RFC 3339: "2006-01-02T15:" puts the colon at +13.
		if p := c - 13; p >= 0 && (p == 0 || !isAlnum(line[p-1])) {
			if sec, nsec, _, ok := parseRFC3339(line, p); ok {
				return toNanos(sec, nsec)
			}
		}
		// Apache: "[02/Jan/2006:" puts the colon at +12.
		if p := c - 12; p >= 0 && line[p] == '[' {
			if sec, nsec, ok := parseApache(line, p); ok {
				return toNanos(sec, nsec)
			}
		}
		// RFC 3164: "Jan  2 15:" or "Jan 02 15:" puts the colon at +9, "Jan 02 2006 15:" at +14.
		for _, d := range [2]int{9, 14} {
			if p := c - d; p >= 0 && (p == 0 || line[p-1] == ' ' || line[p-1] == '>') {
				if sec, nsec, ok := parse3164(line, p, now); ok {
					return toNanos(sec, nsec)
				}
			}
		}
	}
	return 0, false
}

// toNanos combines seconds and nanoseconds, rejecting times outside the int64 range.
func toNanos(sec, nsec int64) (int64, bool) {
	if sec < minUnixSec || sec > maxUnixSec {
		return 0, false
	}
	return sec*1e9 + nsec, true
}

func isDigit(c byte) bool { return c-'0' <= 9 }

func isAlnum(c byte) bool {
	return c-'0' <= 9 || (c|0x20)-'a' <= 'z'-'a'
}

// dig2 reads two ASCII digits at s[i:i+2]; i+2 must be <= len(s).
func dig2(s []byte, i int) (int, bool) {
	a, b := s[i]-'0', s[i+1]-'0'
	if a > 9 || b > 9 {
		return 0, false
	}
	return int(a)*10 + int(b), true
}

// dig4 reads four ASCII digits at s[i:i+4]; i+4 must be <= len(s).
func dig4(s []byte, i int) (int, bool) {
	hi, ok1 := dig2(s, i)
	lo, ok2 := dig2(s, i+2)
	return hi*100 + lo, ok1 && ok2
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

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian date
// (Howard Hinnant's days_from_civil).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := m + 9
	if m > 2 {
		mp = m - 3
	}
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// validDate reports whether y-m-d and h:mi:s are a valid calendar date and time of day
// (a leap second, s == 60, is accepted and runs into the next minute).
func validDate(y, m, d, h, mi, s int) bool {
	if m < 1 || m > 12 || d < 1 || h > 23 || mi > 59 || s > 60 {
		return false
	}
	dim := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m]
	if m == 2 && isLeap(y) {
		dim = 29
	}
	return d <= dim
}

func civilSec(y, m, d, h, mi, s int) int64 {
	return daysFromCivil(y, m, d)*86400 + int64(h*3600+mi*60+s)
}

// parseRFC3339 parses an RFC 3339 / ISO 8601 timestamp starting at s[i] (see ExtractTime for
// the accepted forms). end is the index after the timestamp.
func parseRFC3339(s []byte, i int) (sec, nsec int64, end int, ok bool) {
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
	y, ok1 := dig4(s, i)
	mo, ok2 := dig2(s, i+5)
	d, ok3 := dig2(s, i+8)
	h, ok4 := dig2(s, i+11)
	mi, ok5 := dig2(s, i+14)
	se, ok6 := dig2(s, i+17)
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
	h, okh := dig2(s, i+1)
	if !okh || h > 23 {
		return 0, 0, false
	}
	j, m := i+3, 0
	switch {
	case len(s)-j >= 3 && s[j] == ':' && isDigit(s[j+1]):
		mm, okm := dig2(s, j+1)
		if !okm || mm > 59 {
			return 0, 0, false
		}
		m, j = mm, j+3
	case len(s)-j >= 2 && isDigit(s[j]):
		mm, okm := dig2(s, j)
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
	h, ok1 := dig2(s, i)
	mi, ok2 := dig2(s, i+3)
	se, ok3 := dig2(s, i+6)
	if !(ok1 && ok2 && ok3) {
		return 0, 0, 0, 0, 0, false
	}
	end = i + 8
	if end+1 < len(s) && s[end] == '.' && isDigit(s[end+1]) {
		nsec, end = parseFrac(s, end+1)
	}
	return h, mi, se, nsec, end, true
}

// parse3164 parses an RFC 3164 timestamp at s[i] ("Jan  2 15:04:05", "Jan 02 15:04:05",
// "Jan 02 2006 15:04:05").
func parse3164(s []byte, i int, now time.Time) (sec, nsec int64, ok bool) {
	if len(s)-i < 15 || s[i+3] != ' ' {
		return 0, 0, false
	}
	mo := monthIndex(s[i], s[i+1], s[i+2])
	if mo == 0 {
		return 0, 0, false
	}
	j := i + 4
	var d int
	switch {
	case s[j] == ' ' && isDigit(s[j+1]):
		d, j = int(s[j+1]-'0'), j+2
	case isDigit(s[j]) && isDigit(s[j+1]):
		d, _ = dig2(s, j)
		j += 2
	default:
		return 0, 0, false
	}
	if j >= len(s) || s[j] != ' ' {
		return 0, 0, false
	}
	j++
	year := 0
	if len(s)-j >= 5 && s[j+4] == ' ' {
		y, oky := dig4(s, j)
		if !oky {
			return 0, 0, false
		}
		year, j = y, j+5
	}
	h, mi, se, nsec, end, ok := parseClock(s, j)
	if !ok || (end < len(s) && isDigit(s[end])) {
		return 0, 0, false
	}
	if year != 0 {
		if !validDate(year, mo, d, h, mi, se) {
			return 0, 0, false
		}
		return civilSec(year, mo, d, h, mi, se), nsec, true
	}
	// The latest year that does not put the stamp too far into the future; Feb 29 looks back
	// to the last leap year.
	limit := now.Unix() + int64(SyslogFutureSlack/time.Second)
	ny := now.UTC().Year()
	for y := ny + 1; y >= ny-8; y-- {
		if !validDate(y, mo, d, h, mi, se) {
			continue
		}
		if t := civilSec(y, mo, d, h, mi, se); t <= limit {
			return t, nsec, true
		}
	}
	return 0, 0, false
}

// parseApache parses an access log time "[02/Jan/2006:15:04:05 -0700]" at s[i] ('['). The
// zone may be missing (UTC) and the seconds may carry a fraction.
func parseApache(s []byte, i int) (sec, nsec int64, ok bool) {
	if len(s)-i < 22 || s[i+3] != '/' || s[i+7] != '/' || s[i+12] != ':' {
		return 0, 0, false
	}
	d, ok1 := dig2(s, i+1)
	mo := monthIndex(s[i+4], s[i+5], s[i+6])
	y, ok2 := dig4(s, i+8)
	h, mi, se, nsec, j, ok3 := parseClock(s, i+13)
	if !(ok1 && ok2 && ok3) || mo == 0 || !validDate(y, mo, d, h, mi, se) {
		return 0, 0, false
	}
	off := 0
	if j < len(s) && s[j] == ' ' {
		o, n, ok := parseOffset(s, j+1, false)
		if !ok {
			return 0, 0, false
		}
		off, j = o, n
	}
	if j >= len(s) || s[j] != ']' {
		return 0, 0, false
	}
	return civilSec(y, mo, d, h, mi, se) - int64(off), nsec, true
}

// parseEpoch parses epoch time at s[i]. With strict, the integer part must have exactly 10,
// 13, 16 or 19 digits and be followed by the end or a delimiter; otherwise any number of
// digits is read and the unit is told by magnitude (< 1e11 seconds, < 1e14 ms, < 1e17 µs,
// else ns). Only seconds and milliseconds may carry a fraction.
func parseEpoch(s []byte, i int, strict bool) (sec, nsec int64, end int, ok bool) {
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
