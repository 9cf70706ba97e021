package ingest

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

type numberedLine struct {
	n    int
	line string
}

// readAllLines runs in through Lines (with r wrapped by wrap) and through splitLines, checks both
// agree, and returns the lines and the error.
func readAllLines(t *testing.T, in string, max int, wrap func(io.Reader) io.Reader) ([]numberedLine, error) {
	t.Helper()
	l := NewLines(wrap(strings.NewReader(in)), max)
	var got []numberedLine
	for l.Next() {
		got = append(got, numberedLine{l.Line(), string(l.Bytes())})
	}
	if l.Next() {
		t.Fatalf("Next after the end returned true")
	}
	if l.Err() == nil && l.Consumed() != int64(len(in)) {
		t.Fatalf("Consumed() = %d, want %d", l.Consumed(), len(in))
	}
	if max <= 0 {
		max = DefaultMaxEntrySize
	}
	var got2 []numberedLine
	err2 := splitLines([]byte(in), max, func(line []byte, n int) error {
		got2 = append(got2, numberedLine{n, string(line)})
		return nil
	})
	if !equalLines(got, got2) || errString(l.Err()) != errString(err2) {
		t.Fatalf("Lines and splitLines disagree:\n%v %v\n%v %v", got, l.Err(), got2, err2)
	}
	return got, l.Err()
}

func equalLines(a, b []numberedLine) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestLinesSuccess(t *testing.T) {
	f := func(in string, max int, want ...numberedLine) {
		t.Helper()
		for _, wrap := range []func(io.Reader) io.Reader{
			func(r io.Reader) io.Reader { return r },
			oneByteShort(in),
			iotest.DataErrReader,
		} {
			got, err := readAllLines(t, in, max, wrap)
			if err != nil {
				t.Fatalf("%q: unexpected error %s", in, err)
			}
			if !equalLines(got, want) {
				t.Fatalf("%q: got %v, want %v", in, got, want)
			}
		}
	}
	f("", 0)
	f("\n\n\r\n", 0)
	f("a", 0, numberedLine{1, "a"})
	f("a\nb\n", 0, numberedLine{1, "a"}, numberedLine{2, "b"})
	f("a\r\nb\r\n", 0, numberedLine{1, "a"}, numberedLine{2, "b"})
	f("a\r\n\r\n\nb", 0, numberedLine{1, "a"}, numberedLine{4, "b"})
	f("a\rb\n", 0, numberedLine{1, "a\rb"})
	f("a\r", 0, numberedLine{1, "a"})
	f(" \n\t\n", 0, numberedLine{1, " "}, numberedLine{2, "\t"})
	f("abc\nabcd\r\n", 4, numberedLine{1, "abc"}, numberedLine{2, "abcd"})
	long := strings.Repeat("x", 150_000)
	f("a\n"+long+"\r\nb", 200_000, numberedLine{1, "a"}, numberedLine{2, long}, numberedLine{3, "b"})
	f(long+"\n"+long, 150_000, numberedLine{1, long}, numberedLine{2, long})
}

func TestLinesFailure(t *testing.T) {
	f := func(in string, max int, want []numberedLine, wantErr string) {
		t.Helper()
		for _, wrap := range []func(io.Reader) io.Reader{
			func(r io.Reader) io.Reader { return r },
			oneByteShort(in),
		} {
			got, err := readAllLines(t, in, max, wrap)
			if err == nil || err.Error() != wantErr {
				t.Fatalf("%q: error %v, want %s", in, err, wantErr)
			}
			var te *EntryTooLargeError
			if !errors.As(err, &te) || te.Limit != max {
				t.Fatalf("%q: error %#v is not an *EntryTooLargeError with limit %d", in, err, max)
			}
			if !equalLines(got, want) {
				t.Fatalf("%q: got %v, want %v", in, got, want)
			}
		}
	}
	f("abcde", 4, nil, "ingest: line 1: entry is 5 bytes, over the limit MaxEntrySize=4")
	f("a\n\nabcde\r\nb", 4, []numberedLine{{1, "a"}}, "ingest: line 3: entry is 5 bytes, over the limit MaxEntrySize=4")
	long := strings.Repeat("x", 2_000_000)
	f("a\n"+long+"\r\nb", 1<<20, []numberedLine{{1, "a"}}, "ingest: line 2: entry is 2000000 bytes, over the limit MaxEntrySize=1048576")
	f("a\n"+long+"\n", 1<<20, []numberedLine{{1, "a"}}, "ingest: line 2: entry is 2000000 bytes, over the limit MaxEntrySize=1048576")
	f(long, 1<<20, nil, "ingest: line 1: entry is 2000000 bytes, over the limit MaxEntrySize=1048576")
	f(long[:70_000]+"\r\n", 69_999, nil, "ingest: line 1: entry is 70000 bytes, over the limit MaxEntrySize=69999")
	f(long[:70_000]+"\r\n", 69_998, nil, "ingest: line 1: entry is 70000 bytes, over the limit MaxEntrySize=69998")
}

func TestLinesReadError(t *testing.T) {
	boom := errors.New("boom")
	l := NewLines(io.MultiReader(strings.NewReader("a\nb"), iotest.ErrReader(boom)), 0)
	if !l.Next() || string(l.Bytes()) != "a" {
		t.Fatalf("first line: %q", l.Bytes())
	}
	if l.Next() {
		t.Fatalf("Next returned %q after a read error", l.Bytes())
	}
	if !errors.Is(l.Err(), boom) {
		t.Fatalf("Err() = %v, want boom", l.Err())
	}
}

// oneByteShort reads short inputs one byte at a time and long ones in halves (a long input one
// byte at a time is too slow for a unit test).
func oneByteShort(in string) func(io.Reader) io.Reader {
	if len(in) < 200_000 {
		return iotest.OneByteReader
	}
	return iotest.HalfReader
}
