// Package loadgen drives a server that speaks the search and stats websocket protocol
// (PROTOCOL.md §2, §3, §4, §6) with many connections at once and measures what it costs: the
// library behind bench/cmd/sluice-load. It works against any compatible server, so the same
// run measures sluice and bench/baseline.
//
// Every scenario is bounded in connections and time and refuses targets that are not loopback
// addresses (CheckLoopback): the load generator is a measuring instrument for one machine, not
// a traffic generator for the network.
//
// Scenarios:
//   - RunIdle: N idle stats subscribers over several 127.0.0.x source addresses; server RSS and
//     goroutines per connection; broadcast delivery spread (first to last subscriber) per packet.
//   - RunStream: M consumers each draining REQ_STREAMING to its terminator; entries/s, MB/s,
//     fairness between consumers, server CPU per entry.
//   - RunPaged: readers issuing REQ_GET_ENTRIES pages back to back; requests/s and latency.
//   - RunMixed: idle subscribers while streams run; broadcast rhythm (inter-arrival jitter).
//
// Server-side figures come from /proc/PID (RSS from status, CPU from stat) and from the
// server's Prometheus /metrics (go_goroutines) when it has one.
package loadgen
