package ingest

import (
	"bufio"
	"bytes"
	"io"
)

// DefaultMaxEntrySize is the entry size limit used when a MaxEntrySize setting is zero (1 MiB,
// the store's default).
const DefaultMaxEntrySize = 1 << 20

// linesBufferSize is the read buffer of Lines; longer lines are gathered in a second buffer.
const linesBufferSize = 64 << 10

// Lines splits a newline-delimited stream into entries, like bufio.Scanner with rules for logs:
// a line ends at '\n', a trailing '\r' is removed, empty lines are skipped (but counted), the
// last line needs no newline, and a line longer than the limit stops the scan with an
// *EntryTooLargeError that names the line number and the line's full size.
//
// Use it as
//
//	l := ingest.NewLines(r, 0)
//	for l.Next() {
//		use(l.Bytes())
//	}
//	if err := l.Err(); err != nil { ... }
//
// A Lines is not safe for concurrent use.
type Lines struct {
	r     *bufio.Reader
	max   int
	line  int   // number of the current line
	n     int64 // bytes consumed
	cur   []byte
	long  []byte
	err   error
	atEOF bool
}

// NewLines returns a Lines reading r with the entry size limit maxEntrySize
// (DefaultMaxEntrySize when <= 0).
func NewLines(r io.Reader, maxEntrySize int) *Lines {
	if maxEntrySize <= 0 {
		maxEntrySize = DefaultMaxEntrySize
	}
	return &Lines{r: bufio.NewReaderSize(r, linesBufferSize), max: maxEntrySize}
}

// Next advances to the next non-empty line and reports whether there is one. It returns false
// at the end of the stream or on an error (see Err).
func (l *Lines) Next() bool {
	for {
		if l.err != nil || l.atEOF {
			l.cur = nil
			return false
		}
		l.line++
		b, err := l.r.ReadSlice('\n')
		l.n += int64(len(b))
		if err == bufio.ErrBufferFull {
			b, err = l.readLong(b)
		}
		switch {
		case err == io.EOF:
			l.atEOF = true
		case err != nil:
			l.err = err
			l.cur = nil
			return false
		}
		if b == nil {
			continue // l.err is set or the line was over the limit
		}
		b = trimEOL(b)
		if len(b) > l.max {
			l.err = &EntryTooLargeError{Line: l.line, Index: -1, Size: len(b), Limit: l.max}
			l.cur = nil
			return false
		}
		if len(b) == 0 {
			continue
		}
		l.cur = b
		return true
	}
}

// readLong gathers a line longer than the read buffer. Past the limit it stops keeping bytes,
// counts the rest of the line, sets l.err and returns nil.
func (l *Lines) readLong(first []byte) ([]byte, error) {
	l.long = append(l.long[:0], first...)
	for {
		b, err := l.r.ReadSlice('\n')
		l.n += int64(len(b))
		if len(l.long)+len(b) <= l.max+2 { // room for "\r\n"
			l.long = append(l.long, b...)
			if err == bufio.ErrBufferFull {
				continue
			}
			return l.long, err
		}
		// Over the limit: count the rest. size excludes the line ending; tail keeps the last
		// two bytes seen to find it.
		size := len(l.long) + len(b)
		var tail [2]byte
		tail[0], tail[1] = lastTwo(l.long, b)
		for err == bufio.ErrBufferFull {
			b, err = l.r.ReadSlice('\n')
			l.n += int64(len(b))
			size += len(b)
			if len(b) >= 2 {
				tail[0], tail[1] = b[len(b)-2], b[len(b)-1]
			} else if len(b) == 1 {
				tail[0], tail[1] = tail[1], b[0]
			}
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		if tail[1] == '\n' {
			size--
			if tail[0] == '\r' {
				size--
			}
		}
		// size >= max+1: the kept bytes already exceeded max plus the longest line ending.
		l.err = &EntryTooLargeError{Line: l.line, Index: -1, Size: size, Limit: l.max}
		return nil, nil
	}
}

func lastTwo(a, b []byte) (byte, byte) {
	switch {
	case len(b) >= 2:
		return b[len(b)-2], b[len(b)-1]
	case len(b) == 1 && len(a) >= 1:
		return a[len(a)-1], b[0]
	case len(a) >= 2:
		return a[len(a)-2], a[len(a)-1]
	}
	return 0, 0
}

// trimEOL removes a trailing "\n" and then a trailing "\r".
func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// Bytes returns the current line without its line ending. It is valid until the next call to
// Next.
func (l *Lines) Bytes() []byte { return l.cur }

// Line returns the 1-based number of the current line (empty lines count).
func (l *Lines) Line() int { return l.line }

// Consumed returns how many bytes of the stream have been read up to and including the current
// line and its line ending.
func (l *Lines) Consumed() int64 { return l.n }

// Err returns the error that stopped Next, or nil at a clean end of the stream.
func (l *Lines) Err() error { return l.err }

// splitLines calls fn for each non-empty line of body with the rules of Lines, without copying.
// It stops at the first error from fn or the first line over max bytes.
func splitLines(body []byte, max int, fn func(line []byte, lineno int) error) error {
	for lineno := 1; len(body) > 0; lineno++ {
		var b []byte
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			b, body = body[:i], body[i+1:]
		} else {
			b, body = body, nil
		}
		b = trimEOL(b)
		if len(b) > max {
			return &EntryTooLargeError{Line: lineno, Index: -1, Size: len(b), Limit: max}
		}
		if len(b) == 0 {
			continue
		}
		if err := fn(b, lineno); err != nil {
			return err
		}
	}
	return nil
}
