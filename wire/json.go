package wire

import (
	"encoding/base64"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// safeSet[b] is true when ASCII byte b needs no escaping inside a JSON string.
var safeSet = func() (s [utf8.RuneSelf]bool) {
	for i := 0x20; i < utf8.RuneSelf; i++ {
		s[i] = i != '"' && i != '\\'
	}
	return s
}()

// AppendString appends s as a quoted JSON string. It is the one string escaper of sluice,
// modelled on encoding/json's appendString: control bytes become \n, \r, \t or \u00XX,
// U+2028 and U+2029 are escaped, and invalid UTF-8 becomes U+FFFD. HTML characters are left
// as they are (no client needs them escaped). It never uses strconv.AppendQuote, whose \x01
// form is not JSON.
func AppendString[T string | []byte](dst []byte, s T) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if safeSet[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		var r rune
		var size int
		switch v := any(s).(type) {
		case string:
			r, size = utf8.DecodeRuneInString(v[i:])
		case []byte:
			r, size = utf8.DecodeRune(v[i:])
		}
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendBool appends true or false.
func AppendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}

// AppendFloat appends f as encoding/json would write a float64: shortest round-trip form,
// plain notation for 1e-6 <= |f| < 1e21, exponent form otherwise. NaN and ±Inf, which JSON
// cannot carry, are written as null (PROTOCOL.md §7).
func AppendFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9, as encoding/json does
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// AppendBase64 appends the standard base64 encoding of b, with padding, as a JSON string.
func AppendBase64(dst []byte, b []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}

// ZeroTimeJSON is the JSON form of the zero time for both Time and Timestamp fields.
const ZeroTimeJSON = `"0001-01-01T00:00:00Z"`

// AppendTime appends t as a quoted UTC RFC 3339 time with up to nine fractional digits and
// trailing zeros removed, the form of Go's time.Time JSON encoding (PROTOCOL.md §7). The zero
// time is written as "0001-01-01T00:00:00Z".
func AppendTime(dst []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(dst, ZeroTimeJSON...)
	}
	dst = append(dst, '"')
	dst = AppendRFC3339(dst, t.Unix(), int32(t.Nanosecond()))
	return append(dst, '"')
}

// AppendUnixNano appends the quoted UTC RFC 3339 form of the Unix time ns nanoseconds.
func AppendUnixNano(dst []byte, ns int64) []byte {
	sec, nsec := ns/1e9, ns%1e9
	if nsec < 0 {
		sec--
		nsec += 1e9
	}
	dst = append(dst, '"')
	dst = AppendRFC3339(dst, sec, int32(nsec))
	return append(dst, '"')
}

// AppendRFC3339 appends the unquoted UTC RFC 3339 form of Unix time sec+nsec (nsec in
// [0,1e9)), trailing fractional zeros removed. Years outside 0000–9999 are clamped to the
// nearest valid instant, since no client can decode them.
func AppendRFC3339(dst []byte, sec int64, nsec int32) []byte {
	const minSec, maxSec = -62167219200, 253402300799 // 0000-01-01, 9999-12-31T23:59:59
	if sec < minSec {
		sec, nsec = minSec, 0
	} else if sec > maxSec {
		sec, nsec = maxSec, 999999999
	}
	days := sec / 86400
	rem := sec % 86400
	if rem < 0 {
		rem += 86400
		days--
	}
	y, m, d := civil(days)
	dst = append(dst,
		byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10), 'T',
		byte('0'+rem/36000), byte('0'+rem/3600%10), ':',
		byte('0'+rem%3600/600), byte('0'+rem%3600/60%10), ':',
		byte('0'+rem%60/10), byte('0'+rem%10))
	return append(appendFraction(dst, nsec), 'Z')
}

// appendFraction appends ".ddddddddd" for nsec nanoseconds with trailing zeros removed, or
// nothing when nsec is 0 (Go's RFC3339Nano rule).
func appendFraction(dst []byte, nsec int32) []byte {
	if nsec == 0 {
		return dst
	}
	var frac [10]byte
	frac[0] = '.'
	n := nsec
	for i := 9; i >= 1; i-- {
		frac[i] = byte('0' + n%10)
		n /= 10
	}
	end := 10
	for frac[end-1] == '0' {
		end--
	}
	return append(dst, frac[:end]...)
}

// civil converts days since 1970-01-01 to a proleptic Gregorian date
// (Howard Hinnant's days_from_civil inverse).
func civil(days int64) (y, m, d int64) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// AppendDuration appends d as a quoted Go duration string ("77.137567ms", "0s").
func AppendDuration(dst []byte, d time.Duration) []byte {
	var tmp [32]byte
	b := appendDurationText(tmp[:0], d)
	return AppendString(dst, b)
}

func appendDurationText(dst []byte, d time.Duration) []byte {
	// time.Duration.String allocates; this reproduces its output through a stack buffer.
	var buf [32]byte
	w := len(buf)
	u := uint64(d)
	neg := d < 0
	if neg {
		u = -u
	}
	if u < uint64(time.Second) {
		var prec int
		w--
		buf[w] = 's'
		w--
		switch {
		case u == 0:
			return append(dst, "0s"...)
		case u < uint64(time.Microsecond):
			prec = 0
			buf[w] = 'n'
		case u < uint64(time.Millisecond):
			prec = 3
			w-- // U+00B5 is two bytes
			copy(buf[w:], "µ")
		default:
			prec = 6
			buf[w] = 'm'
		}
		w, u = fmtFrac(buf[:w], u, prec)
		w = fmtInt(buf[:w], u)
	} else {
		w--
		buf[w] = 's'
		w, u = fmtFrac(buf[:w], u, 9)
		w = fmtInt(buf[:w], u%60)
		u /= 60
		if u > 0 {
			w--
			buf[w] = 'm'
			w = fmtInt(buf[:w], u%60)
			u /= 60
			if u > 0 {
				w--
				buf[w] = 'h'
				w = fmtInt(buf[:w], u)
			}
		}
	}
	if neg {
		w--
		buf[w] = '-'
	}
	return append(dst, buf[w:]...)
}

func fmtFrac(buf []byte, v uint64, prec int) (nw int, nv uint64) {
	w := len(buf)
	print := false
	for i := 0; i < prec; i++ {
		digit := v % 10
		print = print || digit != 0
		if print {
			w--
			buf[w] = byte(digit) + '0'
		}
		v /= 10
	}
	if print {
		w--
		buf[w] = '.'
	}
	return w, v
}

func fmtInt(buf []byte, v uint64) int {
	w := len(buf)
	if v == 0 {
		w--
		buf[w] = '0'
	} else {
		for v > 0 {
			w--
			buf[w] = byte(v%10) + '0'
			v /= 10
		}
	}
	return w
}
