package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sluicehq/sluice/engine/search"
	"github.com/sluicehq/sluice/engine/store"
	"github.com/sluicehq/sluice/wire"
)

const (
	scanSubject = "sluice.scan."
	tagsSubject = "sluice.tags."
)

// scanRequest asks an indexer to scan its store; its chunks go to the request's reply subject.
type scanRequest struct {
	Tags       []string // tag names; a chunk's tag index points into this list
	Start, End int64
	Ascending  bool
	Filter     [][][]uint64 `json:",omitempty"` // store.Filter clauses: the accelerators' block filter
	// Partial, when set, asks for the indexer's share of a mergeable query (partial.go)
	// instead of entries; TagIDs are then the requester's IDs of Tags, in order.
	Partial *search.PartialRequest `json:",omitempty"`
	TagIDs  []uint16               `json:",omitempty"`
}

// Chunk kinds: the first byte of every chunk.
const (
	chunkEntries = 'E' // followed by an entry batch (codec.go)
	chunkDamage  = 'D' // followed by a JSON store.Damage: data the indexer's scan could not read
	chunkEnd     = 'Z' // the scan is over; followed by an error text, empty on success
	chunkPartial = 'P' // followed by a chunk of the indexer's share (search.Partial.Encode, search.StatsTally)
)

// serveScan runs a scan of the local store and streams it to the requester in chunks of at
// most MaxMessageBytes, each sent as a request that the requester answers when it has taken
// the chunk: one chunk in flight, so a slow webserver slows this scan and nothing piles up.
// A requester that stops answering (gone, or gave up) ends the scan.
func (x *indexer) serveScan(msg *nats.Msg) {
	if msg.Reply == "" {
		return
	}
	var req scanRequest
	if err := json.Unmarshal(msg.Data, &req); err != nil {
		_ = x.n.nc.Publish(msg.Reply, append([]byte{chunkEnd}, "cluster: bad scan request: "+err.Error()...))
		return
	}
	if req.Partial != nil {
		go x.scanPartial(msg.Reply, req)
		return
	}
	go x.scan(msg.Reply, req)
}

func (x *indexer) scan(reply string, req scanRequest) {
	n := x.n
	ctx, cancel := context.WithCancel(x.ctx)
	defer cancel()
	ids := make([]uint16, 0, len(req.Tags))
	index := map[uint16]uint64{}
	for i, name := range req.Tags {
		if id, ok := x.st.LookupTag(name); ok {
			ids = append(ids, id)
			index[id] = uint64(i)
		}
	}
	tagIdx := func(id uint16) uint64 { return index[id] }
	buf := []byte{chunkEntries}
	count := 0
	var body []byte
	flush := func() error {
		if count == 0 {
			return nil
		}
		buf = appendChunk(buf[:1], count, body)
		body, count = body[:0], 0
		_, err := n.nc.Request(reply, buf, n.cfg.SearchTimeout)
		return err
	}
	var dmgErr error
	onDamage := func(d store.Damage) {
		// before the entries past the damage, in the same in-order stream
		if err := flush(); err != nil {
			dmgErr = err
			return
		}
		b, _ := json.Marshal(&d)
		if _, err := n.nc.Request(reply, append([]byte{chunkDamage}, b...), n.cfg.SearchTimeout); err != nil {
			dmgErr = err
		}
	}
	err := x.st.Scan(ctx, store.ScanQuery{Tags: ids, Start: req.Start, End: req.End, Ascending: req.Ascending,
		Filter: store.FilterFromClauses(req.Filter), OnDamage: onDamage},
		func(batch []wire.Entry) error {
			if dmgErr != nil {
				return dmgErr
			}
			for i := range batch {
				if count > 0 && len(body)+entrySize(&batch[i]) > n.cfg.MaxMessageBytes-16 {
					if err := flush(); err != nil {
						return err
					}
				}
				body = appendEntry(body, &batch[i], tagIdx(batch[i].Tag))
				count++
			}
			return nil
		})
	if err == nil {
		err = flush()
	}
	if err != nil && (errors.Is(err, nats.ErrTimeout) || errors.Is(err, nats.ErrNoResponders)) {
		n.log.Info("cluster: scan abandoned: the requester stopped answering", "err", err)
		return
	}
	end := []byte{chunkEnd}
	if err != nil {
		end = append(end, err.Error()...)
	}
	_ = n.nc.Publish(reply, end)
}

// appendChunk writes an entry chunk: the kind byte already in dst, then the batch.
func appendChunk(dst []byte, count int, body []byte) []byte {
	dst = append(dst, codecVersion)
	dst = appendUvarint(dst, uint64(count))
	return append(dst, body...)
}

func appendUvarint(dst []byte, v uint64) []byte {
	for v >= 0x80 {
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}

// serveTags answers a tag query: for each pattern, the names of this store's tags it matches.
func (x *indexer) serveTags(msg *nats.Msg) {
	var patterns []string
	if err := json.Unmarshal(msg.Data, &patterns); err != nil {
		return
	}
	out := make([][]string, len(patterns))
	for i, p := range patterns {
		_, out[i] = x.st.MatchTags([]string{p})
	}
	b, _ := json.Marshal(out)
	_ = msg.Respond(b)
}

// remoteTags resolves tag patterns on every live indexer.
type remoteTags struct{ n *Node }

// MatchTags implements search.TagResolver with the store's rules (PROTOCOL-compatible:
// wildcard matches in name order, results in pattern order, no duplicates) over the union of
// the live indexers' tags. An indexer that does not answer within SearchTimeout is left out.
func (t *remoteTags) MatchTags(patterns []string) (ids []uint16, names []string) {
	n := t.n
	req, _ := json.Marshal(patterns)
	per := make([][]string, len(patterns))
	for _, name := range n.members.liveIndexers(time.Now()) {
		msg, err := n.nc.Request(tagsSubject+name, req, n.cfg.SearchTimeout)
		if err != nil {
			n.log.Warn("cluster: indexer did not answer a tag query", "indexer", name, "err", err)
			continue
		}
		var got [][]string
		if json.Unmarshal(msg.Data, &got) != nil || len(got) != len(patterns) {
			continue
		}
		for i := range got {
			per[i] = append(per[i], got[i]...)
		}
	}
	seen := map[string]bool{}
	for i := range per {
		slices.Sort(per[i])
		for _, name := range slices.Compact(per[i]) {
			if seen[name] {
				continue
			}
			seen[name] = true
			id, err := n.tags.TagID(name)
			if err != nil {
				continue
			}
			ids = append(ids, id)
			names = append(names, name)
		}
	}
	return ids, names
}

// remoteSource is the search.Source of a cluster node: a scan is sent to every indexer and
// their streams are merged in time order.
type remoteSource struct{ n *Node }

// stream is one indexer's answer to a scan.
type stream struct {
	name, key string
	sub       *nats.Subscription
	ch        chan *nats.Msg
	ents      []wire.Entry // decoded, not yet merged
	pos       int
	done      bool
	lastTS    int64 // the last timestamp merged from this indexer
	got       bool  // lastTS is set
}

// Scan implements search.Source. Dead indexers, and live ones that stop answering for
// SearchTimeout, end their part with a search warning (search.Warn) naming the indexer and
// the time range whose entries are missing; the scan itself goes on with the others.
func (s *remoteSource) Scan(ctx context.Context, q store.ScanQuery, fn func(batch []wire.Entry) error) error {
	n := s.n
	req := scanRequest{Start: q.Start, End: q.End, Ascending: q.Ascending, Filter: q.Filter.Clauses()}
	for _, id := range q.Tags {
		if name, ok := n.tags.name(id); ok {
			req.Tags = append(req.Tags, name)
		}
	}
	if len(req.Tags) == 0 || q.End <= q.Start {
		return nil
	}
	body, _ := json.Marshal(&req)
	var streams []*stream
	defer func() {
		for _, st := range streams {
			_ = st.sub.Unsubscribe()
		}
	}()
	for _, node := range n.members.snapshot(time.Now()) {
		if !node.Role.Indexes() {
			continue
		}
		if !node.Alive {
			if node.HasData && node.MinTS < q.End && node.MaxTS >= q.Start {
				lost(q, node.Name, node.IndexerKey, "is down", max(node.MinTS, q.Start), min(node.MaxTS, q.End-1))
			}
			continue
		}
		st := &stream{name: node.Name, key: node.IndexerKey, ch: make(chan *nats.Msg, 4)}
		inbox := n.nc.NewRespInbox()
		sub, err := n.nc.ChanSubscribe(inbox, st.ch)
		if err != nil {
			return fmt.Errorf("cluster: scan: %w", err)
		}
		st.sub = sub
		streams = append(streams, st)
		if err := n.nc.PublishRequest(scanSubject+node.Name, inbox, body); err != nil {
			return fmt.Errorf("cluster: scan: %w", err)
		}
	}
	// newer reports whether a comes before b in the scan's order
	newer := func(a, b int64) bool {
		if q.Ascending {
			return a < b
		}
		return a > b
	}
	out := make([]wire.Entry, 0, 1024)
	for {
		// every stream needs a head entry, or to be done
		var best *stream
		for _, st := range streams {
			for !st.done && st.pos == len(st.ents) {
				if err := s.next(ctx, st, q); err != nil {
					return err
				}
			}
			if st.done {
				continue
			}
			if best == nil || newer(st.ents[st.pos].TS, best.ents[best.pos].TS) {
				best = st
			}
		}
		if best == nil {
			break
		}
		e := best.ents[best.pos]
		best.pos++
		best.lastTS, best.got = e.TS, true
		out = append(out, e)
		if len(out) == cap(out) {
			if err := fn(out); err != nil {
				return err
			}
			out = out[:0]
		}
	}
	if len(out) > 0 {
		return fn(out)
	}
	return ctx.Err()
}

// next waits for st's next chunk and decodes it; it gives st up with a warning when the
// indexer is declared dead or stays silent for SearchTimeout.
func (s *remoteSource) next(ctx context.Context, st *stream, q store.ScanQuery) error {
	n := s.n
	timeout := time.NewTimer(n.cfg.SearchTimeout)
	defer timeout.Stop()
	tick := time.NewTicker(n.cfg.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case msg := <-st.ch:
			if len(msg.Data) == 0 {
				continue
			}
			switch msg.Data[0] {
			case chunkEnd:
				st.done = true
				if len(msg.Data) > 1 {
					return fmt.Errorf("cluster: indexer %s: %s", st.name, msg.Data[1:])
				}
				return nil
			case chunkDamage:
				if err := damaged(msg, st.name, q); err != nil {
					return err
				}
				// no entries yet: the caller waits for the next chunk
				st.pos, st.ents = 0, st.ents[:0]
				return nil
			case chunkEntries:
				var err error
				st.ents, err = decodeEntries(st.ents[:0], msg.Data[1:], func(i uint64) (uint16, error) {
					if i >= uint64(len(q.Tags)) {
						return 0, fmt.Errorf("%w: tag index %d of %d", errCodec, i, len(q.Tags))
					}
					return q.Tags[i], nil
				})
				st.pos = 0
				if err != nil {
					return fmt.Errorf("cluster: indexer %s: %w", st.name, err)
				}
				// taken: the indexer may send the next chunk while this one is merged
				_ = msg.Respond(nil)
				return nil
			}
		case <-tick.C:
			if !s.alive(st.name) {
				s.giveUp(st, q, "is down")
				return nil
			}
		case <-timeout.C:
			s.giveUp(st, q, "did not answer for "+n.cfg.SearchTimeout.String())
			return nil
		}
	}
}

// damaged passes the damage report of indexer name in msg on to q.OnDamage (the search's
// warning) and acknowledges it.
func damaged(msg *nats.Msg, name string, q store.ScanQuery) error {
	var d store.Damage
	if err := json.Unmarshal(msg.Data[1:], &d); err != nil {
		return fmt.Errorf("cluster: indexer %s: bad damage report: %w", name, err)
	}
	d.Reason = "indexer " + name + ": " + d.Reason
	if q.OnDamage != nil {
		q.OnDamage(d)
	}
	return msg.Respond(nil)
}

func (s *remoteSource) alive(name string) bool {
	for _, node := range s.n.members.snapshot(time.Now()) {
		if node.Name == name {
			return node.Alive
		}
	}
	return false
}

// giveUp ends st, reporting the range it had not yet delivered as lost.
func (s *remoteSource) giveUp(st *stream, q store.ScanQuery, why string) {
	st.done = true
	_ = st.sub.Unsubscribe()
	lo, hi := q.Start, q.End-1
	if st.got {
		if q.Ascending {
			lo = st.lastTS
		} else {
			hi = st.lastTS
		}
	}
	lost(q, st.name, st.key, why+" mid-search", lo, hi)
	s.n.log.Warn("cluster: search gave up on an indexer", "indexer", st.name, "why", why)
}

// lost reports, through q.OnDamage (the search's warning, PROTOCOL.md §4.3 Warning), that an
// indexer's entries between lo and hi (Unix ns, inclusive) are missing from the results.
func lost(q store.ScanQuery, name, key, why string, lo, hi int64) {
	if q.OnDamage == nil {
		return
	}
	q.OnDamage(store.Damage{Well: "*", Entries: -1, MinTS: lo, MaxTS: hi,
		Reason: "indexer " + name + " (" + key + ") " + why + ": its entries between " + fmtTS(lo) + " and " + fmtTS(hi) + " are missing"})
}

func fmtTS(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339Nano) }
