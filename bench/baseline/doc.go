// Package baseline is the server a user would otherwise write for sluice's two jobs, kept only
// so that benchmarks can measure sluice against it: gorilla/websocket and encoding/json, one
// goroutine per connection (two for stats subscribers, as in gorilla's own chat example).
//
// It is meant to be a fair, competent implementation, not a straw man: one encoder and one
// reused buffer per connection, each message written as one frame with one syscall, broadcasts
// encoded and framed once (websocket.PreparedMessage), pooled write buffers for idle
// subscribers, slow subscribers dropped instead of stalling the others, deadlines on every
// read and write.
//
// StatsServer is the stats socket (PROTOCOL.md §2): Subs → ACK, then whatever Broadcast sends to
// the subscribers of that type. StreamServer is the subset of the search socket (§3, §4, §6)
// that the load generator drives: Subs → ACK, PONG, a search launch with its response and
// acknowledgement, attach, and the output-channel requests REQ_STREAMING (17), REQ_GET_ENTRIES
// (16), REQ_ENTRY_COUNT (3) and REQ_CLOSE (1) over a fixed result list.
package baseline
