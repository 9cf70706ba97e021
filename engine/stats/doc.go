// Package stats keeps a search's pipeline statistics (PROTOCOL.md §5.11) in a per-CPU sharded
// ring of time buckets and aggregates them into SetCount chunks for the stats requests
// (§4.5.9–§4.5.17).
//
// A Ring covers one search range. Pipeline workers call Record with their own shard number and
// never contend with each other; readers call Aggregate at any time, concurrently with the
// writers, and merge the shards. Memory is allocated per touched chunk of buckets, not for the
// whole range up front, and nothing is allocated once a chunk exists.
package stats
