// Package render is sluice's render store: it keeps what a search's renderer produces and
// answers every render-module request of the Gravwell search protocol about it
// (PROTOCOL.md §4–§6): counts, details, tags, pages of entries, time windows, data-explorer
// views, pipeline statistics, metadata, and REQ_STREAMING.
//
// A Result is one search's store. The pipeline (or an embedder, without any search package)
// pushes entries with Add, positions with Progress and ends with Finish; consumers call
// Handle for each request and Stream for REQ_STREAMING.
//
// Non-condensing renderers (raw, text, hex, pcap) encode every entry to its SearchEntry JSON
// once, in Add, into an append-only arena of chunks that never move, with an index of
// (chunk, offset, length, timestamp). A page, a time window or a streaming block is then the
// reply header, one memcpy per chunk of contiguous fragments (each fragment is stored followed
// by its comma), and the trailer. Readers take no lock: they read items below a count the
// writer publishes atomically. Time windows use binary search while results are in time order
// (as the pipeline delivers them, newest first by default) and a scan otherwise.
//
// Condensing renderers keep rows: table rows are encoded once into the same arena; chart
// series and time slices and gauge values are kept as numbers and encoded per request.
//
// Limits are Spec fields with working defaults: the store size (Limit, PROTOCOL.md §5.12:
// past it results are counted, not stored, and replies say OverLimit with the dropped time
// range), the page clamp, the streaming block, the stats SetCount cap, table columns, chart
// series and metadata sizes.
//
// NOTE: choices this package makes where the protocol leaves room, beyond those in the spec:
//   - EntryCountValid is false once the store is over its limit: EntryCount still counts every
//     entry that reached the renderer, but no longer the entries that can be fetched.
//   - The Warning of an over-limit result names the limit; it is "" otherwise.
//   - Stats chunks of REQ_STATS_GET_RANGE overlap the search range when they start at or before
//     its end (inclusive, as the chunking is) and end after its start.
//   - Metadata "number" or "raw" is decided by a name's first value; see metadata.
//   - Gauges take the latest value of each named enumerated value; bounds come from min=/max=.
package render
