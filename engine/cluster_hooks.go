package engine

import (
	"context"
	"net/http"

	"github.com/sluicehq/sluice/collect"
	"github.com/sluicehq/sluice/engine/access"
	"github.com/sluicehq/sluice/engine/rest"
	"github.com/sluicehq/sluice/engine/search"
	"github.com/sluicehq/sluice/ingest"
)

// ClusterHooks make an Engine one node of a sluice cluster (package engine/cluster builds
// them): searches read from Source, tag patterns resolve through Tags, POST /api/ingest stores
// through Ingest, and the stats sockets report Stats' hosts. The embedded store, when the
// engine has one, is then the cluster's business (an indexer's partitions), not the engine's.
// Searches, when set, is the cluster's search registry (attach through any webserver).
type ClusterHooks struct {
	Source   search.Source
	Tags     search.TagResolver
	Ingest   ingest.Sink
	Stats    collect.ClusterSource
	Searches ClusterSearches
}

// ClusterSearches is the search registry of a cluster's webservers (engine/cluster): search
// IDs are claimed in it (unique across webservers), the REST list routes include the other
// webservers' searches, a REST route or a search-socket attach about a search another
// webserver holds is proxied to that webserver as the caller's principal, and the requests
// another webserver proxies here are authenticated by it.
type ClusterSearches interface {
	search.IDClaimer
	rest.Remote
	// Authenticate decides a request carrying the cluster's internal proxy credential
	// (access.Config.Delegate).
	Authenticate(r *http.Request) (p *access.Principal, handled bool, reason string)
	// Attach attaches principal p to search id on the webserver that holds it, relaying the
	// output channel the client knows as channel: it returns the attach reply to send (the
	// AttachSearchResponse, Subproto set to channel), send, which forwards one of the client's
	// requests on channel, and stop, which ends the relay when the client's socket closes.
	// Every message of the holder's channel is handed to deliver, in order, from one
	// goroutine; ended is called once the channel is over (its REQ_CLOSE answered). Nil send
	// and a nil error mean no other webserver holds a search id that p may see; an error
	// (naming the webserver when it is gone) is the attach's answer.
	Attach(ctx context.Context, p *access.Principal, id, channel string, deliver func(data []byte) error,
		ended func()) (send func(data []byte), stop func(), reply []byte, err error)
}

// clusterDelegate returns the access delegate of cfg's cluster: the registry's check of the
// internal proxy credential; nil for a single node.
func clusterDelegate(cfg *Config) func(r *http.Request) (*access.Principal, bool, string) {
	if cfg.Cluster == nil || cfg.Cluster.Searches == nil {
		return nil
	}
	return cfg.Cluster.Searches.Authenticate
}
