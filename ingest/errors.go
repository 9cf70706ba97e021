package ingest

import (
	"strconv"
)

// InputError is bad client input, with the place it was found. Its message reads
// "ingest: line 17: reason" for newline-delimited input and
// `ingest: entry 3: field "TS": reason` for JSON input.
type InputError struct {
	Line  int    // 1-based line of newline-delimited input; 0 when not applicable
	Index int    // 0-based array index of JSON input; -1 when not applicable
	Field string // JSON field (as the protocol spells it: TS, Tag, SRC, Data, Text); "" when none
	Msg   string // the reason
	Err   error  // the underlying error, if any (returned by Unwrap)
}

func (e *InputError) Error() string {
	b := make([]byte, 0, 64+len(e.Msg))
	b = append(b, "ingest: "...)
	b = appendPlace(b, e.Line, e.Index)
	if e.Field != "" {
		b = append(b, "field "...)
		b = strconv.AppendQuote(b, e.Field)
		b = append(b, ": "...)
	}
	b = append(b, e.Msg...)
	if e.Err != nil {
		b = append(b, ": "...)
		b = append(b, e.Err.Error()...)
	}
	return string(b)
}

// Unwrap returns the underlying error.
func (e *InputError) Unwrap() error { return e.Err }

func appendPlace(b []byte, line, index int) []byte {
	switch {
	case line > 0:
		b = append(b, "line "...)
		b = strconv.AppendInt(b, int64(line), 10)
		b = append(b, ": "...)
	case index >= 0:
		b = append(b, "entry "...)
		b = strconv.AppendInt(b, int64(index), 10)
		b = append(b, ": "...)
	}
	return b
}

// EntryTooLargeError reports an entry over the MaxEntrySize limit.
type EntryTooLargeError struct {
	Line  int // 1-based line of newline-delimited input; 0 when not applicable
	Index int // 0-based array index of JSON input; -1 when not applicable
	Size  int // the entry's size in bytes (for a line: without its line ending)
	Limit int // the MaxEntrySize in force
}

func (e *EntryTooLargeError) Error() string {
	b := make([]byte, 0, 96)
	b = append(b, "ingest: "...)
	b = appendPlace(b, e.Line, e.Index)
	b = append(b, "entry is "...)
	b = strconv.AppendInt(b, int64(e.Size), 10)
	b = append(b, " bytes, over the limit MaxEntrySize="...)
	b = strconv.AppendInt(b, int64(e.Limit), 10)
	return string(b)
}

// BodyTooLargeError reports a request body over the MaxBodySize limit.
type BodyTooLargeError struct {
	Limit int64 // the MaxBodySize in force
}

func (e *BodyTooLargeError) Error() string {
	return "ingest: request body is over the limit MaxBodySize=" + strconv.FormatInt(e.Limit, 10) + " bytes"
}

// TooManyEntriesError reports a request with more entries than the MaxEntries limit.
type TooManyEntriesError struct {
	Limit int // the MaxEntries in force
}

func (e *TooManyEntriesError) Error() string {
	return "ingest: request holds more than MaxEntries=" + strconv.Itoa(e.Limit) + " entries"
}

// quoteTrunc quotes at most 64 bytes of b for an error message.
func quoteTrunc(b []byte) string {
	const max = 64
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "..."
	}
	return strconv.Quote(string(b))
}
