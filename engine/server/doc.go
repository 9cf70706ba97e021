// Package server serves routing websockets (PROTOCOL.md §1): the HTTP upgrade with
// authentication and origin checks, RFC 6455 framing and policy on top of gobwas/ws
// primitives, permessage-deflate, the {"Subs":[...]} negotiation and the {"type","data"}
// envelope, sessions with bounded outbound backlogs, keepalive and idle timeouts.
//
// Connections are parked in engine/netpoll: an idle session costs a few hundred bytes and no
// goroutine. Input is parsed incrementally from a worker's shared read buffer; a partial
// message buffer exists only while a message is incomplete. Output is framed in place (the
// payload is preceded by wire.HeaderRoom spare bytes) and written with one syscall; what the
// kernel does not take is queued up to Config.MaxBacklogBytes.
//
// server knows sessions and frames, not queries: a Service registered with Handle receives
// each session's messages.
package server
