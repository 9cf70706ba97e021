package wire

import (
	"math"
	"net/netip"
	"time"
)

// Entry is one log entry as it flows through sluice: out of the store, through the pipeline
// and into the render store (PROTOCOL.md §5.2 SearchEntry).
//
// Tag is the store's global tag ID; renderers map it to the search's own tag numbers.
// Data and the EVs' byte values usually point into pooled batch memory: an Entry is valid only
// for the duration of the call that handed it out, and whoever keeps it must copy.
type Entry struct {
	TS   int64      // Unix nanoseconds
	SRC  netip.Addr // zero Addr when the source is unknown
	Tag  uint16
	Data []byte
	EVs  []EV // enumerated values attached by the pipeline; nil for store output
}

// EV is one enumerated value: a name and a typed value (PROTOCOL.md §5.3 EnumeratedPair).
type EV struct {
	Name  string
	Value Value
}

// ValueType is an enumerated value's type code (PROTOCOL.md §5.3).
type ValueType uint8

// Enumerated value type codes, exactly as on the wire.
const (
	TypeBytes    ValueType = 1
	TypeBool     ValueType = 2
	TypeByte     ValueType = 3
	TypeInt8     ValueType = 4
	TypeInt16    ValueType = 5
	TypeUint16   ValueType = 6
	TypeInt32    ValueType = 7
	TypeUint32   ValueType = 8
	TypeInt64    ValueType = 9
	TypeUint64   ValueType = 10
	TypeFloat32  ValueType = 11
	TypeFloat64  ValueType = 12
	TypeString   ValueType = 13
	TypeMAC      ValueType = 14
	TypeIP       ValueType = 15
	TypeTS       ValueType = 16
	TypeDuration ValueType = 17
)

// Value is a typed enumerated value without boxing.
//
// Numbers, bools, timestamps and durations live in N: signed integers and durations as int64
// bits, unsigned integers as uint64, floats as float64 bits, bools as 0/1, timestamps as Unix
// nanoseconds. Bytes, strings, MAC addresses and IPs (4 or 16 bytes) live in B, which may point
// into the entry's data.
type Value struct {
	Type ValueType
	N    uint64
	B    []byte
}

// Constructors. They do not copy B.

// StringValue returns a TypeString value over b.
func StringValue(b []byte) Value { return Value{Type: TypeString, B: b} }

// BytesValue returns a TypeBytes value over b.
func BytesValue(b []byte) Value { return Value{Type: TypeBytes, B: b} }

// IntValue returns a TypeInt64 value.
func IntValue(v int64) Value { return Value{Type: TypeInt64, N: uint64(v)} }

// UintValue returns a TypeUint64 value.
func UintValue(v uint64) Value { return Value{Type: TypeUint64, N: v} }

// FloatValue returns a TypeFloat64 value.
func FloatValue(v float64) Value { return Value{Type: TypeFloat64, N: math.Float64bits(v)} }

// BoolValue returns a TypeBool value.
func BoolValue(v bool) Value {
	if v {
		return Value{Type: TypeBool, N: 1}
	}
	return Value{Type: TypeBool}
}

// TSValue returns a TypeTS value for Unix nanoseconds ns.
func TSValue(ns int64) Value { return Value{Type: TypeTS, N: uint64(ns)} }

// DurationValue returns a TypeDuration value.
func DurationValue(d time.Duration) Value { return Value{Type: TypeDuration, N: uint64(d)} }

// IPValue returns a TypeIP value; b must hold 4 or 16 bytes.
func IPValue(b []byte) Value { return Value{Type: TypeIP, B: b} }

// IsNumber reports whether v is an integer, float or bool type.
func (v Value) IsNumber() bool {
	return v.Type >= TypeBool && v.Type <= TypeFloat64
}

// Float returns v as a float64 when it is numeric (integers, floats, bools, durations);
// ok is false otherwise.
func (v Value) Float() (f float64, ok bool) {
	switch v.Type {
	case TypeBool, TypeByte, TypeUint16, TypeUint32, TypeUint64:
		return float64(v.N), true
	case TypeInt8, TypeInt16, TypeInt32, TypeInt64, TypeDuration:
		return float64(int64(v.N)), true
	case TypeFloat32, TypeFloat64:
		return math.Float64frombits(v.N), true
	}
	return 0, false
}

// Int returns v as an int64 when it is an integer type; ok is false otherwise.
func (v Value) Int() (i int64, ok bool) {
	switch v.Type {
	case TypeBool, TypeByte, TypeUint16, TypeUint32, TypeUint64:
		return int64(v.N), true
	case TypeInt8, TypeInt16, TypeInt32, TypeInt64, TypeDuration:
		return int64(v.N), true
	}
	return 0, false
}
