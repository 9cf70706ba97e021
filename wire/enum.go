package wire

import (
	"encoding/binary"
	"math"
	"net/netip"
	"strconv"
	"time"
)

// AppendEnumerated appends evs as a JSON array of EnumeratedPair (PROTOCOL.md §5.3); no values
// give [] (never null, §8 A31).
func AppendEnumerated(dst []byte, evs []EV) []byte {
	dst = append(dst, '[')
	for i := range evs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendEnumeratedPair(dst, &evs[i])
	}
	return append(dst, ']')
}

// AppendEnumeratedPair appends {"Name":…,"ValueStr":…,"Value":{"Type":…,"Data":…}}.
func AppendEnumeratedPair(dst []byte, ev *EV) []byte {
	dst = append(dst, `{"Name":`...)
	dst = AppendString(dst, ev.Name)
	dst = append(dst, `,"ValueStr":`...)
	dst = AppendValueStr(dst, ev.Value)
	dst = append(dst, `,"Value":{"Type":`...)
	dst = strconv.AppendUint(dst, uint64(ev.Value.Type), 10)
	dst = append(dst, `,"Data":`...)
	dst = AppendValueData(dst, ev.Value)
	return append(dst, `}}`...)
}

// AppendValueData appends the quoted standard base64 (with padding) of v's binary encoding
// (PROTOCOL.md §5.3): little-endian integers, IEEE-754 bits, timestamps as int64 seconds since
// 0001-01-01 plus uint32 nanoseconds, durations as int64 nanoseconds, raw bytes otherwise.
func AppendValueData(dst []byte, v Value) []byte {
	var tmp [16]byte
	var b []byte
	switch v.Type {
	case TypeBool, TypeByte, TypeInt8:
		tmp[0] = byte(v.N)
		if v.Type == TypeBool && v.N != 0 {
			tmp[0] = 1
		}
		b = tmp[:1]
	case TypeInt16, TypeUint16:
		binary.LittleEndian.PutUint16(tmp[:], uint16(v.N))
		b = tmp[:2]
	case TypeInt32, TypeUint32:
		binary.LittleEndian.PutUint32(tmp[:], uint32(v.N))
		b = tmp[:4]
	case TypeInt64, TypeUint64, TypeFloat64, TypeDuration:
		binary.LittleEndian.PutUint64(tmp[:], v.N)
		b = tmp[:8]
	case TypeFloat32:
		binary.LittleEndian.PutUint32(tmp[:], math.Float32bits(float32(math.Float64frombits(v.N))))
		b = tmp[:4]
	case TypeTS:
		sec, nsec := splitNano(int64(v.N))
		binary.LittleEndian.PutUint64(tmp[:], uint64(sec+EpochOffsetYear1))
		binary.LittleEndian.PutUint32(tmp[8:], uint32(nsec))
		b = tmp[:12]
	default:
		b = v.B
	}
	return appendBase64Fast(dst, b)
}

// AppendValueStr appends v's ValueStr text (PROTOCOL.md §5.3) as a quoted JSON string.
func AppendValueStr(dst []byte, v Value) []byte {
	switch v.Type {
	case TypeBool, TypeByte, TypeInt8, TypeInt16, TypeUint16, TypeInt32, TypeUint32, TypeInt64,
		TypeUint64, TypeFloat32, TypeFloat64, TypeMAC, TypeIP, TypeTS, TypeDuration:
		// These texts never need escaping.
		dst = append(dst, '"')
		dst = AppendValueText(dst, v)
		return append(dst, '"')
	}
	return AppendString(dst, v.B)
}

// AppendValueText appends v's ValueStr text unquoted and unescaped: decimal integers, floats as
// strconv.FormatFloat(f, 'G', 12, 64) ("1.5", "1E+21"), MAC addresses as 00:1b:21:3a:4c:5d,
// IPs as net.IP prints them, timestamps as UTC RFC 3339 with nanoseconds, durations as Go
// duration text, and the bytes themselves for strings and byte slices.
func AppendValueText(dst []byte, v Value) []byte {
	switch v.Type {
	case TypeBool:
		return AppendBool(dst, v.N != 0)
	case TypeByte:
		return strconv.AppendUint(dst, uint64(uint8(v.N)), 10)
	case TypeInt8:
		return strconv.AppendInt(dst, int64(int8(v.N)), 10)
	case TypeInt16:
		return strconv.AppendInt(dst, int64(int16(v.N)), 10)
	case TypeUint16:
		return strconv.AppendUint(dst, uint64(uint16(v.N)), 10)
	case TypeInt32:
		return strconv.AppendInt(dst, int64(int32(v.N)), 10)
	case TypeUint32:
		return strconv.AppendUint(dst, uint64(uint32(v.N)), 10)
	case TypeInt64:
		return strconv.AppendInt(dst, int64(v.N), 10)
	case TypeUint64:
		return strconv.AppendUint(dst, v.N, 10)
	case TypeFloat32, TypeFloat64:
		return strconv.AppendFloat(dst, math.Float64frombits(v.N), 'G', 12, 64)
	case TypeMAC:
		for i, c := range v.B {
			if i > 0 {
				dst = append(dst, ':')
			}
			dst = append(dst, hexDigits[c>>4], hexDigits[c&0xF])
		}
		return dst
	case TypeIP:
		return appendIPText(dst, v.B)
	case TypeTS:
		sec, nsec := splitNano(int64(v.N))
		return AppendRFC3339(dst, sec, nsec)
	case TypeDuration:
		return appendDurationText(dst, time.Duration(v.N))
	}
	return append(dst, v.B...)
}

// appendIPText writes b (4 or 16 bytes) as net.IP.String does: IPv4 and IPv4-mapped IPv6 in
// dotted form, other IPv6 in RFC 5952 form; any other length as "?" and hex, nothing for none.
func appendIPText(dst []byte, b []byte) []byte {
	switch len(b) {
	case 0:
		return dst
	case 4, 16:
		a, _ := netip.AddrFromSlice(b)
		return a.Unmap().AppendTo(dst)
	}
	dst = append(dst, '?')
	for _, c := range b {
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0xF])
	}
	return dst
}

// splitNano splits Unix nanoseconds into seconds and a non-negative nanosecond remainder.
func splitNano(ns int64) (sec int64, nsec int32) {
	sec, n := ns/1e9, ns%1e9
	if n < 0 {
		sec--
		n += 1e9
	}
	return sec, int32(n)
}
