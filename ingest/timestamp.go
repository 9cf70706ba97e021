package ingest

import (
	"bytes"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// ScanWindow is how far into a line (in bytes) ExtractTime looks for a timestamp that is not at
// a fixed place: a timestamp must start within the first ScanWindow bytes. JSON time fields are
// looked for in the whole line.
const ScanWindow = 256

// SyslogFutureSlack is how far past now an RFC 3164 timestamp (which has no year) may lie and
// still be placed in the current year (wire.SyslogFutureSlack, where the parsers live).
const SyslogFutureSlack = wire.SyslogFutureSlack

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
		if sec, nsec, _, ok := wire.ScanEpoch(line, i, true); ok {
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
			if sec, nsec, _, ok := wire.ScanRFC3339(line, p); ok {
				return toNanos(sec, nsec)
			}
		}
		// Apache: "[02/Jan/2006:" puts the colon at +12.
		if p := c - 12; p >= 0 && line[p] == '[' {
			if sec, nsec, _, ok := wire.ScanApacheTime(line, p); ok {
				return toNanos(sec, nsec)
			}
		}
		// RFC 3164: "Jan  2 15:" or "Jan 02 15:" puts the colon at +9, "Jan 02 2006 15:" at +14.
		for _, d := range [2]int{9, 14} {
			if p := c - d; p >= 0 && (p == 0 || line[p-1] == ' ' || line[p-1] == '>') {
				if sec, nsec, _, ok := wire.ScanRFC3164(line, p, now.UnixNano()); ok {
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
