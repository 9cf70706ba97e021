package ingest

import (
	"bytes"
	"testing"
	"testing/iotest"
)

// FuzzLines checks that Lines (over a reader that returns one byte at a time) and splitLines
// agree, and that no returned line is empty, over the limit, or holds a newline.
func FuzzLines(f *testing.F) {
	for _, s := range []string{"", "a\nb", "a\r\n\r\nb\r", "\n\n", "abcdefgh\nabc", "x\ry\n"} {
		f.Add([]byte(s), uint8(4))
	}
	f.Fuzz(func(t *testing.T, in []byte, max uint8) {
		m := int(max%16) + 1
		var got []numberedLine
		l := NewLines(iotest.OneByteReader(bytes.NewReader(in)), m)
		for l.Next() {
			b := l.Bytes()
			if len(b) == 0 || len(b) > m || bytes.IndexByte(b, '\n') >= 0 {
				t.Fatalf("bad line %q (max %d)", b, m)
			}
			got = append(got, numberedLine{l.Line(), string(b)})
		}
		if l.Err() == nil && l.Consumed() != int64(len(in)) {
			t.Fatalf("consumed %d of %d", l.Consumed(), len(in))
		}
		var got2 []numberedLine
		err2 := splitLines(in, m, func(b []byte, n int) error {
			got2 = append(got2, numberedLine{n, string(b)})
			return nil
		})
		if !equalLines(got, got2) || errString(l.Err()) != errString(err2) {
			t.Fatalf("Lines %v %v, splitLines %v %v", got, l.Err(), got2, err2)
		}
	})
}
