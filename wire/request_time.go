package wire

import (
	"math"
	"time"
)

// Time bounds used when decoding request timestamps (PROTOCOL.md §4.1, §7).
const (
	// unsetBeforeSec is 0001-01-02T00:00:00Z in Unix seconds: request times before it are the
	// zero time written in some time zone (the Go client sends "0000-12-31T16:07:02-07:52") and
	// mean "unset".
	unsetBeforeSec = -EpochOffsetYear1 + 86400
	minNanoSec     = math.MinInt64 / 1000000000 // first second representable in int64 nanoseconds
	maxNanoSec     = math.MaxInt64 / 1000000000 // last one
)

// ParseRFC3339 parses an RFC 3339 date-time ("2024-05-01T09:00:00.000Z",
// "2024-05-01T11:00:00+02:00") into Unix seconds and nanoseconds, without allocating.
// It accepts years 0000–9999, 'T'/'t', 'Z'/'z' or a ±hh:mm offset, and any number of
// fractional digits (digits past the ninth are truncated, as Go's time package does).
// Seconds must be 00–59 and the day must exist in its month.
func ParseRFC3339[T string | []byte](s T) (sec int64, nsec int32, ok bool) {
	if len(s) < len("2006-01-02T15:04:05Z") {
		return 0, 0, false
	}
	if s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' {
		return 0, 0, false
	}
	year, ok1 := digits4(s[0], s[1], s[2], s[3])
	month, ok2 := digits2(s[5], s[6])
	day, ok3 := digits2(s[8], s[9])
	hour, ok4 := digits2(s[11], s[12])
	minute, ok5 := digits2(s[14], s[15])
	second, ok6 := digits2(s[17], s[18])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return 0, 0, false
	}
	if month < 1 || month > 12 || day < 1 || day > DaysInMonth(month, year) ||
		hour > 23 || minute > 59 || second > 59 {
		return 0, 0, false
	}
	i := 19
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		var frac int32
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			if i-start < 9 {
				frac = frac*10 + int32(s[i]-'0')
			}
		}
		n := i - start
		if n == 0 {
			return 0, 0, false
		}
		for ; n < 9; n++ {
			frac *= 10
		}
		nsec = frac
	}
	var offset int64
	switch rest := len(s) - i; {
	case rest == 1 && (s[i] == 'Z' || s[i] == 'z'):
	case rest == 6 && (s[i] == '+' || s[i] == '-') && s[i+3] == ':':
		oh, okh := digits2(s[i+1], s[i+2])
		om, okm := digits2(s[i+4], s[i+5])
		if !okh || !okm || oh > 23 || om > 59 {
			return 0, 0, false
		}
		offset = int64(oh*3600 + om*60)
		if s[i] == '-' {
			offset = -offset
		}
	default:
		return 0, 0, false
	}
	sec = DaysFromCivil(int64(year), int64(month), int64(day))*86400 +
		int64(hour*3600+minute*60+second) - offset
	return sec, nsec, true
}

// TimeFromUnix converts Unix seconds and nanoseconds from ParseRFC3339 into a UTC time.Time,
// mapping anything before 0001-01-02T00:00:00Z to the zero time.Time (PROTOCOL.md §7).
func TimeFromUnix(sec int64, nsec int32) time.Time {
	if sec < unsetBeforeSec {
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

// unixNanoClamped converts seconds and nanoseconds to Unix nanoseconds, clamping instants
// outside int64 nanoseconds (before 1677 or after 2262) to the nearest representable one.
func unixNanoClamped(sec int64, nsec int32) int64 {
	switch {
	case sec < minNanoSec:
		return math.MinInt64
	case sec >= maxNanoSec:
		if sec == maxNanoSec && int64(nsec) <= math.MaxInt64%1000000000 {
			return sec*1e9 + int64(nsec)
		}
		return math.MaxInt64
	}
	return sec*1e9 + int64(nsec)
}

func digits2(a, b byte) (int, bool) {
	if a < '0' || a > '9' || b < '0' || b > '9' {
		return 0, false
	}
	return int(a-'0')*10 + int(b-'0'), true
}

func digits4(a, b, c, d byte) (int, bool) {
	hi, ok1 := digits2(a, b)
	lo, ok2 := digits2(c, d)
	return hi*100 + lo, ok1 && ok2
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// DaysInMonth returns the number of days of month m (1–12) in year y.
func DaysInMonth(m, y int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// DaysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian date
// (Howard Hinnant's days_from_civil; the inverse of civil in json.go).
func DaysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
