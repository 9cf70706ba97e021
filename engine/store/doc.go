// Package store is sluice's embedded durable entry store.
//
// An entry is a wire.Entry: a timestamp in Unix nanoseconds, an optional source address, a
// global tag ID and raw bytes. Tags are names ([A-Za-z0-9_.-], at most MaxTagLength bytes)
// mapped to IDs that never change once given. Wells group tags: a well named "default" always
// exists and takes every tag no configured well claims. Each well is partitioned in time into
// shards of a fixed duration, and each shard is one append-only file of checksummed,
// compressed blocks.
//
// On-disk layout under Config.Dir:
//
//	LOCK                  advisory lock held while a Store is open
//	COMMIT                sequence number of the last durable group commit (commit.go)
//	indexer.uuid          the indexer UUID (canonical 8-4-4-4-12, random v4)
//	block.key             the block key: a random secret that seals every block header, so
//	                      ingested data cannot forge a block that recovery accepts (blockkey.go)
//	tags.log              append-only tag log: one checksummed record (name, ID, commit) per
//	                      tag, written with the first entries of the tag (tags.go)
//	wells/<name>/WELL     the well's shard duration, fixed when the well is created
//	wells/<name>/<start>.shard       blocks of the shard starting at <start> ns (19 digits)
//	wells/<name>/<start>.shard.idx   block offsets and headers written at Close, so reopening
//	                                 skips re-validating the shard prefix they cover
//	wells/<name>/<start>.shard.bad   quarantine sidecar: one text line per damaged range
//	                                 (offset, bytes, entries, time range, action, reason)
//	wells/<name>/<start>.shard.cut-<offset>  the bytes of a damaged tail cut at <offset>
//	wells/<name>/<start>.shard.acc   accelerator sidecar: a checksummed bloom filter of each
//	                                 block's tokens (accel.go, accel_file.go); derived data,
//	                                 rebuilt from the blocks at Open when missing or damaged
//
// indexer.uuid, block.key and WELL are guarded files: each has a second copy (<file>.copy),
// and both end in a checksum line, so one damaged copy is rewritten from the other at Open
// (loadGuarded).
//
// Durability: Ingest returns nil only after its blocks are written and fsynced (and, for new
// shard files, the directory too) and the group's sequence number is fsynced in COMMIT.
// Concurrent Ingest calls share these fsyncs through one committer goroutine (group commit).
// A failed write or fsync rolls every shard of the group back to its size before the group,
// so a failed call leaves nothing behind and acknowledged data is never touched. On Open,
// blocks not covered by a valid index file are read and checksummed, and any block of a group
// commit that never reached COMMIT (whole or torn) is cut off. So after a crash every
// acknowledged call is present and every other call is either entirely present or entirely
// absent.
//
// Damage is contained to the damaged block (see loadShard): a block that fails its checksum
// in the middle of a shard is skipped and quarantined, and reading resumes at the next valid
// block; only a tail is ever cut, and a damaged (rather than torn) tail is copied aside first.
// A block that rots after Open is found by the first scan that reads it: the scan skips it,
// reports it through ScanQuery.OnDamage and quarantines it. Every decision is logged with
// file, offset, bytes and entries, and counted (DamageCounters). Verify checks a whole data
// directory offline.
//
// Scans read only durable data: blocks become visible when their group commit succeeds.
package store
