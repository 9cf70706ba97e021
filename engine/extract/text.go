package extract

import (
	"math"
	"net/netip"
	"strconv"
	"unsafe"

	"github.com/sluicehq/sluice/wire"
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

// ParseIPv4 parses a dotted-quad IPv4 address (what ParseIP accepts for text without a colon)
// into its four bytes.
func ParseIPv4(b []byte) (ip [4]byte, ok bool) { return parseIPv4(b) }

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

// ParseRFC3339 parses b, which must be exactly one RFC 3339 time (a space may stand for the
// "T", as RFC 3339 §5.6 allows), and returns it as Unix nanoseconds. It is wire.ParseRFC3339
// with the space form added, and allocates nothing.
func ParseRFC3339(b []byte) (int64, bool) {
	var buf [40]byte
	if len(b) > 10 && b[10] == ' ' && len(b) <= len(buf) {
		n := copy(buf[:], b)
		buf[10] = 'T'
		b = buf[:n]
	}
	sec, nsec, ok := wire.ParseRFC3339(b)
	if !ok || sec > math.MaxInt64/1_000_000_000-1 || sec < math.MinInt64/1_000_000_000+1 {
		return 0, false
	}
	return sec*1e9 + int64(nsec), true
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
