package search

import (
	"bytes"
	"math"
	"net/netip"
	"strconv"
	"time"

	"github.com/sluicehq/sluice/engine/extract"
	"github.com/sluicehq/sluice/wire"
)

// Pseudo fields every entry has; an enumerated value of the same name takes precedence.
const (
	fieldSRC       = "SRC"       // the entry's source address (IP)
	fieldTAG       = "TAG"       // the entry's tag ID (uint16)
	fieldDATA      = "DATA"      // the entry's data (bytes)
	fieldTIMESTAMP = "TIMESTAMP" // the entry's timestamp (timestamp)
)

func isPseudo(name string) bool {
	return name == fieldSRC || name == fieldTAG || name == fieldDATA || name == fieldTIMESTAMP
}

// lookup returns the value named name of an entry: its last enumerated value of that name, or
// a pseudo field. IP bytes of SRC are copied into the arena.
func lookup(e *wire.Entry, name string, ar *arena) (wire.Value, bool) {
	for i := len(e.EVs) - 1; i >= 0; i-- {
		if e.EVs[i].Name == name {
			return e.EVs[i].Value, true
		}
	}
	switch name {
	case fieldDATA:
		return wire.BytesValue(e.Data), true
	case fieldTIMESTAMP:
		return wire.TSValue(e.TS), true
	case fieldTAG:
		return wire.Value{Type: wire.TypeUint16, N: uint64(e.Tag)}, true
	case fieldSRC:
		if !e.SRC.IsValid() {
			return wire.Value{}, false
		}
		return ipValue(e.SRC, ar), true
	}
	return wire.Value{}, false
}

// source returns the bytes a module reads: the entry data, or the text of the enumerated
// value field (-e). Non-byte values are formatted into the arena.
func source(e *wire.Entry, field string, ar *arena) ([]byte, bool) {
	if field == "" {
		return e.Data, true
	}
	v, ok := lookup(e, field, ar)
	if !ok {
		return nil, false
	}
	if v.Type == wire.TypeBytes || v.Type == wire.TypeString {
		return v.B, true
	}
	var tmp [64]byte
	return ar.copy(appendValueText(tmp[:0], v)), true
}

func ipValue(a netip.Addr, ar *arena) wire.Value {
	if a.Is4() {
		b := a.As4()
		return wire.IPValue(ar.copy(b[:]))
	}
	b := a.As16()
	return wire.IPValue(ar.copy(b[:]))
}

// textValue types extracted text (PROTOCOL.md §5.3): integers → int64, decimals → float64,
// IP addresses → IP, RFC 3339 times → timestamp, anything else → string over b. Numbers with
// leading zeros ("007") stay strings.
func textValue(b []byte, ar *arena) wire.Value {
	if len(b) == 0 {
		return wire.StringValue(b)
	}
	if c := b[0]; (c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.') && !leadingZero(b) {
		switch kind, i, f := extract.ParseNumber(b); kind {
		case extract.IntNumber:
			return wire.IntValue(i)
		case extract.FloatNumber:
			return wire.FloatValue(f)
		}
	}
	return stringValue(b, ar)
}

// leadingZero reports text such as "007" or "-012": an identifier, not a number, so it stays
// text ("0", "0.5" and "-0.5" are numbers).
func leadingZero(b []byte) bool {
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		b = b[1:]
	}
	return len(b) > 1 && b[0] == '0' && b[1] >= '0' && b[1] <= '9'
}

// stringValue types a JSON string: an IP address or an RFC 3339 time keeps its type, anything
// else is a string. Numbers in strings stay strings.
func stringValue(b []byte, ar *arena) wire.Value {
	if n := len(b); n >= 2 && n <= 45 && (isHexDigit(b[0]) || b[0] == ':') {
		// NOTE: IPv4 bytes go straight into the arena; through netip.Addr they cost a
		// twentieth of kv extraction
		if v4, ok := extract.ParseIPv4(b); ok {
			d := ar.alloc(4)
			copy(d, v4[:])
			return wire.IPValue(d)
		}
		if bytes.IndexByte(b, ':') >= 0 {
			if a, ok := extract.ParseIP(b); ok {
				return ipValue(a, ar)
			}
		}
	}
	if len(b) >= 20 && b[4] == '-' {
		if ts, ok := extract.ParseRFC3339(b); ok {
			return wire.TSValue(ts)
		}
	}
	return wire.StringValue(b)
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// appendValueText appends the ValueStr form of v (PROTOCOL.md §5.3).
func appendValueText(dst []byte, v wire.Value) []byte {
	switch v.Type {
	case wire.TypeBytes, wire.TypeString:
		return append(dst, v.B...)
	case wire.TypeBool:
		return strconv.AppendBool(dst, v.N != 0)
	case wire.TypeByte, wire.TypeUint16, wire.TypeUint32, wire.TypeUint64:
		return strconv.AppendUint(dst, v.N, 10)
	case wire.TypeInt8, wire.TypeInt16, wire.TypeInt32, wire.TypeInt64:
		return strconv.AppendInt(dst, int64(v.N), 10)
	case wire.TypeFloat32, wire.TypeFloat64:
		return strconv.AppendFloat(dst, math.Float64frombits(v.N), 'G', 12, 64)
	case wire.TypeIP:
		if a, ok := netip.AddrFromSlice(v.B); ok {
			return a.AppendTo(dst)
		}
	case wire.TypeMAC:
		for i, c := range v.B {
			if i > 0 {
				dst = append(dst, ':')
			}
			dst = append(dst, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		}
		return dst
	case wire.TypeTS:
		ns := int64(v.N)
		sec, nsec := ns/1e9, ns%1e9
		if nsec < 0 {
			sec--
			nsec += 1e9
		}
		return wire.AppendRFC3339(dst, sec, int32(nsec))
	case wire.TypeDuration:
		q := wire.AppendDuration(dst, time.Duration(int64(v.N)))
		// AppendDuration quotes; drop the quotes in place
		body := q[len(dst)+1 : len(q)-1]
		return append(dst, body...)
	}
	return dst
}

// numeric returns v as a number: integers exactly (isInt), floats, and text that reads as a
// number. ok is false for anything else.
func numeric(v wire.Value) (i int64, f float64, isInt, ok bool) {
	switch v.Type {
	case wire.TypeFloat32, wire.TypeFloat64:
		return 0, math.Float64frombits(v.N), false, true
	case wire.TypeBytes, wire.TypeString:
		switch kind, i, f := extract.ParseNumber(v.B); kind {
		case extract.IntNumber:
			return i, float64(i), true, true
		case extract.FloatNumber:
			return 0, f, false, true
		}
		return 0, 0, false, false
	case wire.TypeUint64:
		if v.N > math.MaxInt64 {
			return 0, float64(v.N), false, true
		}
	}
	if iv, ok := v.Int(); ok {
		return iv, float64(iv), true, true
	}
	return 0, 0, false, false
}

// appendKey appends a self-delimiting binary encoding of v, used for group-by and unique keys.
// Equal values give equal encodings; numbers of different integer types stay distinct.
func appendKey(dst []byte, v wire.Value) []byte {
	dst = append(dst, byte(v.Type))
	switch v.Type {
	case wire.TypeBytes, wire.TypeString, wire.TypeIP, wire.TypeMAC:
		dst = appendUvarint(dst, uint64(len(v.B)))
		return append(dst, v.B...)
	}
	n := v.N
	return append(dst, byte(n), byte(n>>8), byte(n>>16), byte(n>>24), byte(n>>32), byte(n>>40), byte(n>>48), byte(n>>56))
}

func appendUvarint(dst []byte, x uint64) []byte {
	for x >= 0x80 {
		dst = append(dst, byte(x)|0x80)
		x >>= 7
	}
	return append(dst, byte(x))
}
