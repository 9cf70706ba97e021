package search

import (
	"bytes"
	"cmp"
	"net/netip"
	"strconv"

	"github.com/sluicehq/sluice/engine/extract"
	"github.com/sluicehq/sluice/wire"
)

// cmpOp is an inline filter operator.
type cmpOp uint8

const (
	opEq cmpOp = iota
	opNe
	opLt
	opLe
	opGt
	opGe
	opContains
	opNotContains
)

var opNames = map[string]cmpOp{"==": opEq, "!=": opNe, "<": opLt, "<=": opLe, ">": opGt, ">=": opGe, "~": opContains, "!~": opNotContains}

// inlineFilter is a compiled `field OP value` test of an extraction module.
//
// Comparison rules: numbers compare numerically with numeric filter values; IPs compare as
// addresses, and `~` / `!~` with a CIDR prefix test membership (`SrcIP ~ 10.0.0.0/8`);
// timestamps compare with RFC 3339 filter values; everything else compares as text (the value's
// ValueStr form), with `<`... ordering bytes lexicographically. A missing field passes `!=` and
// `!~` and fails every other operator (the module's -s flag drops it regardless).
type inlineFilter struct {
	op      cmpOp
	text    []byte
	numKind int
	i       int64
	f       float64
	ip      netip.Addr
	prefix  netip.Prefix
	hasPfx  bool
	ts      int64
	hasTS   bool
}

// newInlineFilter compiles a filter; the error string is empty on success.
func newInlineFilter(op, value string) (*inlineFilter, string) {
	o, ok := opNames[op]
	if !ok {
		return nil, "unknown operator " + strconv.Quote(op) + "; expected ==, !=, <, <=, >, >=, ~ or !~"
	}
	f := &inlineFilter{op: o, text: []byte(value)}
	f.numKind, f.i, f.f = extract.ParseNumber(f.text)
	if f.numKind == extract.IntNumber {
		f.f = float64(f.i)
	}
	f.ip, _ = extract.ParseIP(f.text)
	if pfx, err := netip.ParsePrefix(value); err == nil {
		f.prefix, f.hasPfx = pfx.Masked(), true
	}
	f.ts, f.hasTS = extract.ParseRFC3339(f.text)
	return f, ""
}

// match reports whether a value passes the filter; present is false for a missing field.
func (f *inlineFilter) match(v wire.Value, present bool) bool {
	if !present {
		return f.op == opNe || f.op == opNotContains
	}
	switch {
	case f.numKind != extract.NotNumber && isNumeric(v.Type):
		if f.numKind == extract.IntNumber {
			if iv, ok := v.Int(); ok {
				return f.order(cmp.Compare(iv, f.i))
			}
		}
		fv, _ := v.Float()
		if fv != fv { // NaN equals nothing
			return f.op == opNe || f.op == opNotContains
		}
		return f.order(cmpFloat(fv, f.f))
	case v.Type == wire.TypeIP && (f.ip.IsValid() || f.hasPfx):
		addr, ok := netip.AddrFromSlice(v.B)
		if !ok {
			break
		}
		if f.hasPfx && (f.op == opContains || f.op == opNotContains) {
			return f.prefix.Contains(addr) == (f.op == opContains)
		}
		if f.ip.IsValid() {
			return f.order(addr.Compare(f.ip))
		}
	case v.Type == wire.TypeTS && f.hasTS:
		return f.order(cmp.Compare(int64(v.N), f.ts))
	}
	var tmp [64]byte
	text := appendValueText(tmp[:0], v)
	switch f.op {
	case opContains:
		return bytes.Contains(text, f.text)
	case opNotContains:
		return !bytes.Contains(text, f.text)
	}
	return f.order(bytes.Compare(text, f.text))
}

// order applies an ordering operator to a comparison result; ~ and !~ on ordered values mean
// equality.
func (f *inlineFilter) order(c int) bool {
	switch f.op {
	case opEq, opContains:
		return c == 0
	case opNe, opNotContains:
		return c != 0
	case opLt:
		return c < 0
	case opLe:
		return c <= 0
	case opGt:
		return c > 0
	}
	return c >= 0
}

func isNumeric(t wire.ValueType) bool {
	return t >= wire.TypeByte && t <= wire.TypeFloat64 || t == wire.TypeDuration
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
