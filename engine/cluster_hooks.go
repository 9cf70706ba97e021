package engine

import (
	"github.com/sluicehq/sluice/collect"
	"github.com/sluicehq/sluice/engine/search"
	"github.com/sluicehq/sluice/ingest"
)

// ClusterHooks make an Engine one node of a sluice cluster (package engine/cluster builds
// them): searches read from Source, tag patterns resolve through Tags, POST /api/ingest stores
// through Ingest, and the stats sockets report Stats' hosts. The embedded store, when the
// engine has one, is then the cluster's business (an indexer's partitions), not the engine's.
type ClusterHooks struct {
	Source search.Source
	Tags   search.TagResolver
	Ingest ingest.Sink
	Stats  collect.ClusterSource
}
