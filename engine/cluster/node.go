package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sluicehq/sluice/collect"
	"github.com/sluicehq/sluice/engine/budget"
	"github.com/sluicehq/sluice/engine/search"
	"github.com/sluicehq/sluice/engine/store"
	"github.com/sluicehq/sluice/ingest"
)

// Stream and bucket names.
const (
	StreamName      = "SLUICE_ENTRIES"
	entrySubject    = "sluice.entries."
	PartitionBucket = "sluice_partitions"
	HolderBucket    = "sluice_holders"
)

// Node is this process's membership of a cluster: its NATS connection, heartbeats, the view
// of the other nodes, and, depending on the role, the indexer's partitions and scan service
// and the webserver's ingest publisher and fan-out search source.
type Node struct {
	cfg     Config
	log     *slog.Logger
	nc      *nats.Conn
	js      jetstream.JetStream
	members *members
	tags    *tagTable
	started time.Time

	mu  sync.Mutex
	idx *indexer  // set by AttachStore
	reg *Registry // set by Searches

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	subs   []*nats.Subscription

	memory        *budget.Budget // the engine's memory budget: indexer shares reserve from it (SetMemory)
	partialShares atomic.Uint64  // indexer shares of mergeable queries received whole
	chunkMu       sync.Mutex
	chunks        map[string]uint64 // partial chunks received, by indexer
}

// New connects to NATS, creates the entry stream when it does not exist, starts the
// heartbeats and begins tracking the other nodes. An indexer role starts storing only once
// AttachStore gives it its store.
func New(cfg Config) (*Node, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	nc, err := nats.Connect(cfg.URL, cfg.natsOptions()...)
	if err != nil {
		return nil, fmt.Errorf("cluster: cannot connect to NATS %s: %w", cfg.URL, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("cluster: JetStream: %w", err)
	}
	n := &Node{cfg: cfg, log: cfg.Logger.With("node", cfg.Name), nc: nc, js: js,
		members: newMembers(cfg.Name, cfg.DeadAfter), tags: newTagTable(), started: time.Now()}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	if err := n.ensureStream(); err != nil {
		nc.Close()
		return nil, err
	}
	sub, err := nc.Subscribe(hbSubject+"*", n.members.receive)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("cluster: subscribe heartbeats: %w", err)
	}
	n.subs = append(n.subs, sub)
	n.beat(false)
	n.wg.Add(1)
	go n.heartbeats()
	return n, nil
}

// ensureStream creates the entry stream, or checks that an existing one has this node's
// partition count.
func (n *Node) ensureStream() error {
	ctx, cancel := context.WithTimeout(n.ctx, 30*time.Second)
	defer cancel()
	return retry(ctx, func() error {
		_, err := n.js.CreateStream(ctx, jetstream.StreamConfig{Name: StreamName,
			Subjects: []string{entrySubject + ">"}, Storage: jetstream.FileStorage,
			Replicas: n.cfg.Replicas, MaxAge: n.cfg.MaxAge, Retention: jetstream.LimitsPolicy,
			Description: fmt.Sprintf("sluice entries, %d partitions", n.cfg.Partitions)})
		if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return fmt.Errorf("cluster: cannot create stream %s: %w", StreamName, err)
		}
		return nil
	})
}

// retry calls fn until it succeeds or ctx ends (then it returns fn's last error): a NATS
// cluster that is still forming answers "no suitable peers for placement" for a moment.
func retry(ctx context.Context, fn func() error) error {
	for {
		err := fn()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// openBucket creates the key-value bucket of cfg (file storage, Config.Replicas copies) or
// opens it when it exists.
func (n *Node) openBucket(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	cfg.Replicas, cfg.Storage = n.cfg.Replicas, jetstream.FileStorage
	var kv jetstream.KeyValue
	err := retry(ctx, func() error {
		var err error
		kv, err = n.js.CreateKeyValue(ctx, cfg)
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = n.js.KeyValue(ctx, cfg.Bucket)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: bucket %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}

// heartbeats publishes this node's heartbeat every Config.Heartbeat until Close.
func (n *Node) heartbeats() {
	defer n.wg.Done()
	t := time.NewTicker(n.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
			n.beat(false)
		}
	}
}

// beat samples this node and publishes its heartbeat.
func (n *Node) beat(stopping bool) {
	now := time.Now()
	hb := heartbeat{Name: n.cfg.Name, Role: n.cfg.Role, IndexerKey: n.cfg.IndexerKey,
		HTTPAddr: n.cfg.HTTPAddr, Started: n.started, Stopping: stopping, Desc: n.cfg.Collector.SysDesc()}
	sys, err := n.cfg.Collector.Sample(now)
	hb.Sys = sys
	if err != nil {
		hb.SysErr = err.Error()
	}
	n.mu.Lock()
	idx := n.idx
	n.mu.Unlock()
	if idx != nil {
		idx.describe(&hb)
	}
	b, err := json.Marshal(&hb)
	if err != nil {
		n.log.Error("cluster: cannot encode heartbeat", "err", err)
		return
	}
	if err := n.nc.Publish(hbSubject+n.cfg.Name, b); err != nil {
		n.log.Warn("cluster: heartbeat not sent", "err", err)
	}
}

// Nodes returns every node this node has heard of, sorted by name.
func (n *Node) Nodes() []NodeState { return n.members.snapshot(time.Now()) }

// Stats returns the cluster's hosts for the stats sockets.
func (n *Node) Stats() collect.ClusterSource { return n.members }

// Source returns the search source that fans a scan out to every indexer.
func (n *Node) Source() search.Source { return &remoteSource{n: n} }

// Tags returns the tag resolver of searches: tag patterns are matched on every live indexer.
func (n *Node) Tags() search.TagResolver { return &remoteTags{n: n} }

// Ingest returns the ingest sink that publishes to the entry stream.
func (n *Node) Ingest() ingest.Sink { return &publisher{n: n} }

// AttachStore makes this node an indexer over st, whose files live in dir: it starts taking
// partitions and answering scans. Only for roles that index.
func (n *Node) AttachStore(st *store.Store, dir string) error {
	if !n.cfg.Role.Indexes() {
		return fmt.Errorf("cluster: role %s keeps no store", n.cfg.Role)
	}
	idx, err := newIndexer(n, st, dir)
	if err != nil {
		return err
	}
	n.mu.Lock()
	n.idx = idx
	n.mu.Unlock()
	return idx.start()
}

// SetMemory gives an indexer the process's memory budget (memory_budget_mb, the engine's
// Memory), which its shares of mergeable queries then reserve from as they grow; without it
// they are bounded only by the requester's MaxGroups and MaxSortBytes. Call it before
// AttachStore.
func (n *Node) SetMemory(b *budget.Budget) { n.memory = b }

// Close leaves the cluster: the indexer stops taking entries (its leases are released, so
// another indexer takes its partitions at once), a last heartbeat says it is stopping, and
// the NATS connection drains.
func (n *Node) Close() error {
	n.mu.Lock()
	idx, reg := n.idx, n.reg
	n.mu.Unlock()
	if idx != nil {
		idx.stop(true)
	}
	if reg != nil {
		reg.close() // this webserver's searches end with it
	}
	n.cancel()
	n.wg.Wait()
	n.beat(true)
	for _, s := range n.subs {
		_ = s.Unsubscribe()
	}
	err := n.nc.Drain()
	for i := 0; i < 100 && !n.nc.IsClosed(); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	return err
}

// Kill drops the node without a word, as a crash would (tests): no lease release, no last
// heartbeat, the NATS connection closed at once, nothing acknowledged that was not yet.
func (n *Node) Kill() {
	n.mu.Lock()
	idx := n.idx
	n.mu.Unlock()
	n.nc.Close()
	if idx != nil {
		idx.stop(false)
	}
	n.cancel()
	n.wg.Wait()
}
