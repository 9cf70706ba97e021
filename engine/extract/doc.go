// Package extract pulls fields out of raw entry bytes without allocating: JSON paths, key=value
// pairs, RFC 5424 and RFC 3164 syslog headers, delimiter- and comma-separated fields. The search
// pipeline's extraction modules and the data explorer (PROTOCOL.md §5.8, AppendExplore) share it.
//
// Every function reads the caller's bytes in place. Results are sub-slices of the input, or of a
// caller-provided scratch buffer when a value has to be rewritten (JSON string escapes, quoted CSV
// fields); they are valid as long as those buffers are. Nothing here keeps state between calls,
// so all functions are safe for concurrent use on distinct buffers.
//
// The store's field accelerators index the values these functions find: a change to which
// value a field has must bump accelVersion in engine/store (accel_spec.go), so that blooms
// built by the old code are rebuilt.
package extract
