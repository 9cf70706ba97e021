// Package cluster runs sluice on more than one machine, on NATS JetStream (PROTOCOL.md §2.1
// host keys; DESIGN.md "Beyond one machine").
//
// Every node connects to NATS and publishes a heartbeat (subject sluice.hb.NAME) with its
// role, host description, host statistics and, for indexers, its wells and ingest counters;
// every node keeps the others' latest heartbeats, so the stats sockets of any node list the
// whole cluster, and a node silent past Config.DeadAfter is reported "Disconnected".
//
// Ingest goes through the JetStream stream SLUICE_ENTRIES, subjects
// sluice.entries.PARTITION.TAG: a node's /api/ingest publishes a request's entries and answers
// only once JetStream acknowledged every message (stored with Config.Replicas copies). Each
// partition is owned by one indexer at a time, by a lease in the key-value bucket
// sluice_partitions; the owner pulls the partition's durable consumer, stores the entries in
// its local store and acknowledges them after the store's fsync. When an owner dies its lease
// expires and a live indexer takes the partition over where the consumer stands. The bucket
// sluice_holders records who stored which stream sequences of each partition; a replacement
// started under a dead indexer's name on an empty disk with Config.RebuildFrom replays exactly
// those ranges (received since that time) into its store.
//
// Delivery is at least once: a batch stored by an indexer that dies before JetStream receives
// its acknowledgement is delivered again (to the next owner) and stored twice; nothing
// acknowledged to an ingesting client is lost while the stream keeps it (Config.MaxAge).
//
// Searches fan out: the node's search.Source sends the scan to every indexer (subject
// sluice.scan.NAME). For a mergeable query (search.PartialSource, partial.go) each indexer runs
// the query's share, up to its first condensing module, on its own store with
// Config.SearchWorkers goroutines and streams back the encoded partial aggregate and its module
// statistics; the webserver merges the shares in indexer-name order and finishes the pipeline.
// For other queries each indexer scans its own store (accelerators and workers included) and
// streams the entries back; the webserver merges the streams in time order and runs the
// pipeline and renderers. Either way chunks travel one in flight per indexer (the webserver
// answers each chunk when it has taken it, which is the flow control). An indexer that is
// dead, or silent past Config.SearchTimeout mid-search, ends its stream with a warning on the
// search naming it and the time range whose entries are missing.
//
// Webservers share a search registry (Node.Searches), the key-value bucket sluice_searches: a
// record per search names the webserver holding it, its HTTP address, the owner's UID, GIDs
// and Global, the query, state and launch time. Creating the record claims the search ID, so
// IDs are unique across webservers. Any webserver lists the cluster's searches a principal may
// see, and a client reaches a search through any webserver: the holder serves it, another
// webserver relays its search-socket attach (proxy_ws.go) and reverse-proxies its REST routes
// (proxy.go), authorised on the holder as the client's principal by an HMAC credential
// (proxy_auth.go, ProxyHeader). The searches of a dead webserver are answered as gone, naming
// it, until Config.RegistryRetention passes.
package cluster
