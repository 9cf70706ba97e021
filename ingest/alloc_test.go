//go:build !race

package ingest

import "testing"

func TestExtractTimeNoAllocs(t *testing.T) {
	for _, c := range timeFormatLines {
		line := []byte(c.line)
		if n := testing.AllocsPerRun(100, func() { ExtractTime(line, testNow) }); n != 0 {
			t.Errorf("%s: %v allocs per ExtractTime, want 0", c.name, n)
		}
	}
}

// repeatReader returns the same bytes for ever.
type repeatReader struct{ b []byte }

func (r repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], r.b)
	}
	return n, nil
}

func TestLinesNoAllocs(t *testing.T) {
	l := NewLines(repeatReader{[]byte("2024-05-01T09:59:58Z a log line of some length\r\n\n")}, 0)
	if n := testing.AllocsPerRun(1000, func() {
		if !l.Next() || len(l.Bytes()) != 46 {
			t.Fatalf("line %q, err %v", l.Bytes(), l.Err())
		}
	}); n != 0 {
		t.Errorf("%v allocs per Lines.Next, want 0", n)
	}
}
