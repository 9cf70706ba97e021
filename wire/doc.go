// Package wire is the protocol layer of sluice: request IDs and types, request parsing,
// hand-written append-style JSON encoders, in-place websocket framing and pooled buffers.
//
// wire is bytes in, bytes out. It imports no other sluice package; engine/ composes it.
// Every encoder has the form AppendX(dst []byte, ...) []byte and allocates nothing when dst
// has room. Output times are UTC RFC 3339 (PROTOCOL.md §7); NaN and ±Inf are written as null.
package wire
