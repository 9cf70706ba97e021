package server

import (
	"errors"
	"strconv"
)

// Errors returned by Session methods.
var (
	// ErrClosed is returned by Send, SendShared and WaitWritable once the session is closed
	// or closing.
	ErrClosed = errors.New("server: session closed")
	// ErrBacklogFull is returned by Send and SendShared when the session's queued output would
	// pass Config.MaxBacklogBytes; the session is then closed with 1008.
	ErrBacklogFull = errors.New("server: outbound backlog over MaxBacklogBytes")
	// ErrWriteStalled is returned by WaitWritable when the session was cut off because its
	// queued output made no progress for Config.WriteStallTimeout.
	ErrWriteStalled = errors.New("server: write stalled past WriteStallTimeout")
)

// LimitError reports a Config limit that was hit: Field is the Config field's name, Limit its
// value (bytes, connections or nanoseconds).
type LimitError struct {
	Field string
	Limit int64
}

// Error implements error.
func (e *LimitError) Error() string {
	return "server: limit " + e.Field + " (" + strconv.FormatInt(e.Limit, 10) + ") exceeded"
}
