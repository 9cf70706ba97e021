package store

import (
	"errors"
	"strconv"
)

// Sentinel errors. Callers test them with errors.Is.
var (
	// ErrClosed is returned by calls on a closed Store.
	ErrClosed = errors.New("store: closed")
	// ErrInvalidTag is wrapped by errors about tag names that are empty, too long or use
	// characters outside [A-Za-z0-9_.-].
	ErrInvalidTag = errors.New("store: invalid tag name")
	// ErrTooManyTags is returned by TagID when all 65536 tag IDs are taken.
	ErrTooManyTags = errors.New("store: too many tags")
	// ErrCorrupt is wrapped by the error Verify returns when it finds damage. Scans do not
	// return it: they skip damaged blocks and report them through ScanQuery.OnDamage.
	ErrCorrupt = errors.New("store: corrupt data")
	// ErrFailed is wrapped by Ingest errors after a failed write could not be rolled back; the
	// Store then refuses further ingest until it is reopened (recovery cuts the partial tail).
	ErrFailed = errors.New("store: ingest disabled after an unrecoverable write error")
)

// EntryError rejects an Ingest call because of one entry. Nothing of the call is stored.
type EntryError struct {
	Index int // index of the offending entry in the Ingest slice
	// Field names the wire.Entry field at fault when the entry itself is bad input ("TS",
	// "SRC", "Data"); "" when the caller, not its input, is at fault (an unknown tag ID).
	Field  string
	Reason string // what is wrong with it
	Err    error  // the underlying error, e.g. a *LimitError; may be nil
}

// EntryIndex returns Index (for callers that map errors without importing this package).
func (e *EntryError) EntryIndex() int { return e.Index }

// EntryField returns Field.
func (e *EntryError) EntryField() string { return e.Field }

// Error returns "store: entry N: reason".
func (e *EntryError) Error() string {
	return "store: entry " + strconv.Itoa(e.Index) + ": " + e.Reason
}

// Unwrap returns the underlying error.
func (e *EntryError) Unwrap() error { return e.Err }

// LimitError reports that a value exceeded a configured limit. Field names the Config field.
type LimitError struct {
	Field string // Config field name, e.g. "MaxEntrySize"
	Limit int64  // the configured limit
	Value int64  // the offending value
}

// Error names the field, the value and the limit.
func (e *LimitError) Error() string {
	return "store: " + e.Field + " exceeded: " + strconv.FormatInt(e.Value, 10) + " > " +
		strconv.FormatInt(e.Limit, 10)
}

// multiError joins errors on one line; errors.Is and errors.As see each of them.
type multiError []error

func (m multiError) Error() string {
	s := ""
	for i, e := range m {
		if i > 0 {
			s += "; "
		}
		s += e.Error()
	}
	return s
}

func (m multiError) Unwrap() []error { return m }

// joinErrors returns nil, the only non-nil error, or a multiError of the non-nil errors.
func joinErrors(errs ...error) error {
	var m multiError
	for _, e := range errs {
		if e != nil {
			m = append(m, e)
		}
	}
	switch len(m) {
	case 0:
		return nil
	case 1:
		return m[0]
	}
	return m
}
