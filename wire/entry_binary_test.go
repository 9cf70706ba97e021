package wire

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
)

func TestEntryBinaryRoundTrip(t *testing.T) {
	for _, e := range []Entry{
		{TS: -5, Data: nil},
		{TS: 1714554000123456789, SRC: netip.MustParseAddr("10.0.0.1"), Data: []byte("hello")},
		{TS: 7, SRC: netip.MustParseAddr("2001:db8::1"), Data: bytes.Repeat([]byte{0}, 300)},
	} {
		b := AppendEntryBinary([]byte{9}, &e, 70000)
		if len(b)-1 > EntryBinarySize(&e) {
			t.Fatalf("%d bytes, bound %d", len(b)-1, EntryBinarySize(&e))
		}
		var got Entry
		tag, n, err := ReadEntryBinary(b[1:], &got)
		if err != nil || tag != 70000 || n != len(b)-1 || got.TS != e.TS || got.SRC != e.SRC || !bytes.Equal(got.Data, e.Data) {
			t.Fatalf("%+v: got %+v tag %d n %d err %v", e, got, tag, n, err)
		}
		for k := 0; k < len(b)-1; k++ {
			if _, _, err := ReadEntryBinary(b[1:1+k], &got); !errors.Is(err, ErrEntryBinary) {
				t.Fatalf("%d of %d bytes: %v", k, len(b)-1, err)
			}
		}
	}
}

// FuzzReadEntryBinary: no input panics, and what decodes re-encodes, no longer, to the same entry.
func FuzzReadEntryBinary(f *testing.F) {
	e := Entry{TS: 99, SRC: netip.MustParseAddr("10.1.2.3"), Data: []byte("x=1")}
	f.Add(AppendEntryBinary(nil, &e, 3))
	f.Add([]byte{0, 0, 16, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		var got Entry
		tag, n, err := ReadEntryBinary(b, &got)
		if err != nil {
			return
		}
		again := AppendEntryBinary(nil, &got, tag)
		var e2 Entry
		tag2, n2, err := ReadEntryBinary(again, &e2)
		if err != nil || n2 != len(again) || n2 > n || tag2 != tag || e2.TS != got.TS || e2.SRC != got.SRC || !bytes.Equal(e2.Data, got.Data) {
			t.Fatalf("re-encoded %x from %x: %v", again, b[:n], err)
		}
	})
}
