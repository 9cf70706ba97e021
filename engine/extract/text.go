package extract

import (
	"math"
	"net/netip"
	"strconv"
	"unsafe"
)

// ParseInt parses a decimal integer with an optional sign ("-42", "+7", "0"). It rejects empty
// input, any other character and values outside int64.
func ParseInt(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	neg := false
	i := 0
	if b[0] == '-' || b[0] == '+' {
		neg = b[0] == '-'
		i = 1
		if len(b) == 1 {
			return 0, false
		}
	}
	var u uint64
	for ; i < len(b); i++ {
		c := b[i] - '0'
		if c > 9 {
			return 0, false
		}
		if u > (math.MaxUint64-9)/10 {
			return 0, false
		}
		u = u*10 + uint64(c)
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// Number kinds returned by ParseNumber.
const (
	NotNumber = iota
	IntNumber
	FloatNumber
)

// ParseNumber classifies b as a decimal integer (kind IntNumber, value in i) or a decimal
// floating-point number with a fraction and/or exponent (kind FloatNumber, value in f). Hex,
// "Inf", "NaN", underscores and leading or trailing space are not numbers. Integers that do not
// fit in int64 are returned as floats.
func ParseNumber(b []byte) (kind int, i int64, f float64) {
	if len(b) == 0 || len(b) > 64 {
		return NotNumber, 0, 0
	}
	j := 0
	if b[0] == '-' || b[0] == '+' {
		j = 1
	}
	digits, frac, exp := 0, false, false
	for ; j < len(b); j++ {
		c := b[j]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !frac && !exp:
			frac = true
		case (c == 'e' || c == 'E') && !exp && digits > 0:
			exp = true
			if j+1 < len(b) && (b[j+1] == '-' || b[j+1] == '+') {
				j++
			}
			if j+1 >= len(b) {
				return NotNumber, 0, 0
			}
		default:
			return NotNumber, 0, 0
		}
	}
	if digits == 0 {
		return NotNumber, 0, 0
	}
	if !frac && !exp {
		if v, ok := ParseInt(b); ok {
			return IntNumber, v, 0
		}
	}
	// NOTE: the unsafe string does not outlive the call: strconv copies the input into its
	// NumError on failure.
	v, err := strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
	if err != nil && !isRangeErr(err) {
		return NotNumber, 0, 0
	}
	return FloatNumber, 0, v
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// ParseIP parses a dotted-quad IPv4 address or an RFC 4291 IPv6 address (with "::" compression
// and an optional trailing dotted quad), without zones. It never allocates, also on failure,
// unlike netip.ParseAddr, so it is safe to try on every extracted value.
func ParseIP(b []byte) (netip.Addr, bool) {
	if len(b) < 2 || len(b) > 45 {
		return netip.Addr{}, false
	}
	for _, c := range b {
		if c == ':' {
			return parseIPv6(b)
		}
	}
	v4, ok := parseIPv4(b)
	if !ok {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(v4), true
}

func parseIPv4(b []byte) (ip [4]byte, ok bool) {
	part, n, digits := 0, 0, 0
	for i := 0; i <= len(b); i++ {
		if i == len(b) || b[i] == '.' {
			if digits == 0 || part > 3 {
				return ip, false
			}
			ip[part] = byte(n)
			part++
			n, digits = 0, 0
			continue
		}
		c := b[i] - '0'
		if c > 9 || digits == 3 || (digits > 0 && n == 0) {
			return ip, false // non-digit, too long, or a leading zero
		}
		n = n*10 + int(c)
		digits++
		if n > 255 {
			return ip, false
		}
	}
	return ip, part == 4
}

func parseIPv6(b []byte) (netip.Addr, bool) {
	var ip [16]byte
	ellipsis := -1
	i := 0
	if len(b) >= 2 && b[0] == ':' && b[1] == ':' {
		ellipsis = 0
		b = b[2:]
		if len(b) == 0 {
			return netip.AddrFrom16(ip), true
		}
	}
	for i < 16 {
		// one group of up to four hex digits, or a trailing IPv4 address
		off, acc := 0, 0
		for off < len(b) {
			c := b[off]
			var v int
			switch {
			case c >= '0' && c <= '9':
				v = int(c - '0')
			case c >= 'a' && c <= 'f':
				v = int(c-'a') + 10
			case c >= 'A' && c <= 'F':
				v = int(c-'A') + 10
			default:
				v = -1
			}
			if v < 0 {
				break
			}
			acc = acc<<4 | v
			off++
			if off > 4 {
				return netip.Addr{}, false
			}
		}
		if off == 0 {
			return netip.Addr{}, false
		}
		if off < len(b) && b[off] == '.' {
			if ellipsis < 0 && i != 12 || i+4 > 16 {
				return netip.Addr{}, false
			}
			v4, ok := parseIPv4(b)
			if !ok {
				return netip.Addr{}, false
			}
			copy(ip[i:], v4[:])
			i += 4
			b = nil
			break
		}
		ip[i], ip[i+1] = byte(acc>>8), byte(acc)
		i += 2
		b = b[off:]
		if len(b) == 0 {
			break
		}
		if b[0] != ':' || len(b) == 1 {
			return netip.Addr{}, false
		}
		b = b[1:]
		if b[0] == ':' {
			if ellipsis >= 0 {
				return netip.Addr{}, false
			}
			ellipsis = i
			b = b[1:]
			if len(b) == 0 {
				break
			}
		}
	}
	if len(b) != 0 {
		return netip.Addr{}, false
	}
	if i < 16 {
		if ellipsis < 0 {
			return netip.Addr{}, false
		}
		n := 16 - i
		for j := i - 1; j >= ellipsis; j-- {
			ip[j+n] = ip[j]
		}
		for j := ellipsis + n - 1; j >= ellipsis; j-- {
			ip[j] = 0
		}
	} else if ellipsis >= 0 {
		return netip.Addr{}, false // "::" must stand for at least one group
	}
	return netip.AddrFrom16(ip), true
}

// ParseRFC3339 parses an RFC 3339 timestamp ("2024-05-01T10:00:01.5Z",
// "2024-05-01 10:00:01+02:00", lower-case t and z accepted) into Unix nanoseconds without
// allocating. Fractions may have up to nine digits.
func ParseRFC3339(b []byte) (int64, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	if c := b[10]; c != 'T' && c != 't' && c != ' ' {
		return 0, false
	}
	year, ok1 := digitsN(b[0:4])
	mon, ok2 := digitsN(b[5:7])
	day, ok3 := digitsN(b[8:10])
	hh, ok4 := digitsN(b[11:13])
	mm, ok5 := digitsN(b[14:16])
	ss, ok6 := digitsN(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mon < 1 || mon > 12 || day < 1 ||
		day > daysIn(mon, year) || hh > 23 || mm > 59 || ss > 60 {
		return 0, false
	}
	i := 19
	var nsec int64
	if i < len(b) && b[i] == '.' {
		i++
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if n < 9 {
				nsec = nsec*10 + int64(b[i]-'0')
			}
			n++
			i++
		}
		if n == 0 {
			return 0, false
		}
		for ; n < 9; n++ {
			nsec *= 10
		}
	}
	if i >= len(b) {
		return 0, false
	}
	var off int64
	switch b[i] {
	case 'Z', 'z':
		i++
	case '+', '-':
		if len(b)-i != 6 || b[i+3] != ':' {
			return 0, false
		}
		oh, ok1 := digitsN(b[i+1 : i+3])
		om, ok2 := digitsN(b[i+4 : i+6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return 0, false
		}
		off = int64(oh*3600 + om*60)
		if b[i] == '-' {
			off = -off
		}
		i += 6
	default:
		return 0, false
	}
	if i != len(b) {
		return 0, false
	}
	sec := daysFromCivil(int64(year), int64(mon), int64(day))*86400 + int64(hh*3600+mm*60+ss) - off
	return sec*1e9 + nsec, true
}

func digitsN(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(mon, year int) int {
	switch mon {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian date
// (Howard Hinnant's days_from_civil).
func daysFromCivil(y, m, d int64) int64 {
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
