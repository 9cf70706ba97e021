package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sluicehq/sluice/engine/search"
	"github.com/sluicehq/sluice/engine/store"
)

// Partial aggregates (issue 16 step 3): for a mergeable query (search.Query.Mergeable) the
// webserver does not ask the indexers for entries. Each indexer runs the query's per-entry
// modules and its first condensing module over its own store with all its cores
// (search.RunPartial: ScanUnordered with the accelerators' block filter, one Partial per
// worker) and sends back its share, encoded (search.Partial.Encode, then its module statistics),
// in chunks with the same flow control as entries: each chunk is a request the webserver
// answers once it has decoded and merged it. The webserver merges the complete shares in
// indexer-name order and runs the rest of the pipeline (search.PartialSource).

// scanPartial runs the share of req.Partial over the local store and streams it to reply.
func (x *indexer) scanPartial(reply string, req scanRequest) {
	n := x.n
	ctx, cancel := context.WithCancel(x.ctx)
	defer cancel()
	var ids []uint16
	tagOf := map[uint16]uint16{}
	for i, name := range req.Tags {
		if id, ok := x.st.LookupTag(name); ok && i < len(req.TagIDs) {
			ids = append(ids, id)
			tagOf[id] = req.TagIDs[i]
		}
	}
	var mu sync.Mutex // damage reports come from the scan's workers
	send := func(kind byte, b []byte) error {
		mu.Lock()
		defer mu.Unlock()
		_, err := n.nc.Request(reply, append([]byte{kind}, b...), n.cfg.SearchTimeout)
		return err
	}
	var dmgErr error
	onDamage := func(d store.Damage) {
		b, _ := json.Marshal(&d)
		if err := send(chunkDamage, b); err != nil {
			mu.Lock()
			dmgErr = err
			mu.Unlock()
			cancel()
		}
	}
	var err error
	if len(ids) > 0 {
		sq := store.ScanQuery{Tags: ids, Start: req.Start, End: req.End, Filter: store.FilterFromClauses(req.Filter), OnDamage: onDamage}
		err = search.RunPartial(ctx, x.st, sq, req.Partial, tagOf, search.RunOptions{Workers: n.cfg.SearchWorkers, Memory: n.memory},
			n.cfg.MaxMessageBytes-16, func(c []byte) error { return send(chunkPartial, c) })
	}
	mu.Lock()
	if dmgErr != nil {
		err = dmgErr
	}
	mu.Unlock()
	if err != nil && (errors.Is(err, nats.ErrTimeout) || errors.Is(err, nats.ErrNoResponders)) {
		n.log.Info("cluster: partial scan abandoned: the requester stopped answering", "err", err)
		return
	}
	end := []byte{chunkEnd}
	if err != nil {
		end = append(end, err.Error()...)
	}
	_ = n.nc.Publish(reply, end)
}

// ScanPartials implements search.PartialSource: every live indexer runs its share of the
// query and streams it back; fn gets the chunks as they arrive, one at a time, and a nil
// chunk when an indexer has sent all of its share. An indexer that is down, dies, or stays
// silent for SearchTimeout is given up with a warning (q.OnDamage) naming it and the range of
// entries it holds, since none of its share counts; the others go on.
func (s *remoteSource) ScanPartials(ctx context.Context, q store.ScanQuery, preq *search.PartialRequest, fn func(string, []byte) error) error {
	n := s.n
	req := scanRequest{Start: q.Start, End: q.End, Filter: q.Filter.Clauses(), Partial: preq}
	for _, id := range q.Tags {
		if name, ok := n.tags.name(id); ok {
			req.Tags = append(req.Tags, name)
			req.TagIDs = append(req.TagIDs, id)
		}
	}
	if len(req.Tags) == 0 || q.End <= q.Start {
		return nil
	}
	body, _ := json.Marshal(&req)
	ch := make(chan *nats.Msg, 16)
	shares := map[string]*partialStream{} // by inbox
	defer func() {
		for _, ps := range shares {
			_ = ps.sub.Unsubscribe()
		}
	}()
	for _, node := range n.members.snapshot(time.Now()) {
		if !node.Role.Indexes() {
			continue
		}
		lo, hi := max(node.MinTS, q.Start), min(node.MaxTS, q.End-1)
		if !node.Alive {
			if node.HasData && lo <= hi {
				lost(q, node.Name, node.IndexerKey, "is down", lo, hi)
			}
			continue
		}
		if !node.HasData {
			lo, hi = q.Start, q.End-1
		}
		inbox := n.nc.NewRespInbox()
		sub, err := n.nc.ChanSubscribe(inbox, ch)
		if err != nil {
			return fmt.Errorf("cluster: scan: %w", err)
		}
		shares[inbox] = &partialStream{name: node.Name, key: node.IndexerKey, sub: sub, lo: lo, hi: hi, seen: time.Now()}
		if err := n.nc.PublishRequest(scanSubject+node.Name, inbox, body); err != nil {
			return fmt.Errorf("cluster: scan: %w", err)
		}
	}
	pending := len(shares)
	tick := time.NewTicker(n.cfg.Heartbeat)
	defer tick.Stop()
	for pending > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case msg := <-ch:
			ps := shares[msg.Subject]
			if ps == nil || ps.done || len(msg.Data) == 0 {
				continue
			}
			ps.seen = time.Now()
			switch msg.Data[0] {
			case chunkEnd:
				ps.done = true
				pending--
				if len(msg.Data) > 1 {
					return fmt.Errorf("cluster: indexer %s: %s", ps.name, msg.Data[1:])
				}
				n.partialShares.Add(1)
				if err := fn(ps.name, nil); err != nil {
					return err
				}
			case chunkDamage:
				if err := damaged(msg, ps.name, q); err != nil {
					return err
				}
			case chunkPartial:
				n.countChunk(ps.name)
				if err := fn(ps.name, msg.Data[1:]); err != nil {
					return fmt.Errorf("cluster: indexer %s: %w", ps.name, err)
				}
				// taken: the indexer may send its next chunk
				_ = msg.Respond(nil)
			}
		case <-tick.C:
			now := time.Now()
			for _, ps := range shares {
				if ps.done {
					continue
				}
				why := ""
				if !s.alive(ps.name) {
					why = "is down"
				} else if now.Sub(ps.seen) > n.cfg.SearchTimeout {
					why = "did not answer for " + n.cfg.SearchTimeout.String()
				}
				if why != "" {
					ps.done = true
					pending--
					_ = ps.sub.Unsubscribe()
					lost(q, ps.name, ps.key, why+" mid-search", ps.lo, ps.hi)
					n.log.Warn("cluster: search gave up on an indexer", "indexer", ps.name, "why", why)
				}
			}
		}
	}
	return ctx.Err()
}

// partialStream is one indexer's answer to a partial scan.
type partialStream struct {
	name, key string
	sub       *nats.Subscription
	lo, hi    int64     // the range of the query the indexer holds entries in (for a warning)
	seen      time.Time // the last chunk
	done      bool
}

// PartialShares returns how many indexer shares of mergeable queries (partial aggregates) this
// node has received whole, since it started.
func (n *Node) PartialShares() uint64 { return n.partialShares.Load() }

// countChunk counts a partial chunk received from indexer name.
func (n *Node) countChunk(name string) {
	n.chunkMu.Lock()
	if n.chunks == nil {
		n.chunks = map[string]uint64{}
	}
	n.chunks[name]++
	n.chunkMu.Unlock()
}
