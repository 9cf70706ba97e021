package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sluicehq/sluice/collect"
	"github.com/sluicehq/sluice/engine/store"
	"github.com/sluicehq/sluice/wire"
)

// offsetsFile records, per partition, the last stream sequence stored in the local store, so
// a redelivered message (stored, then the process died before its acknowledgement arrived)
// is not stored twice.
const offsetsFile = "cluster-offsets.json"

// indexer owns partitions: it holds their leases, consumes them into its store and answers
// scans of its store.
type indexer struct {
	n   *Node
	st  *store.Store
	dir string
	kv  jetstream.KeyValue // partition leases (TTL DeadAfter)
	hv  jetstream.KeyValue // partition holders: who stored which sequences (no TTL)

	mu      sync.Mutex
	offsets map[int]uint64 // partition → last stored stream sequence
	fresh   bool           // no offsets file: a new store (a replacement may rebuild)
	owned   map[int]*owner

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// owner is the consumption of one owned partition.
type owner struct {
	part    int
	rev     uint64    // lease revision
	renewed time.Time // when the lease was last written
	cancel  context.CancelFunc
	done    chan struct{}
}

func newIndexer(n *Node, st *store.Store, dir string) (*indexer, error) {
	x := &indexer{n: n, st: st, dir: dir, offsets: map[int]uint64{}, owned: map[int]*owner{}}
	b, err := os.ReadFile(filepath.Join(dir, offsetsFile))
	if err == nil {
		var m map[string]uint64
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("cluster: cannot parse %s: %w", filepath.Join(dir, offsetsFile), err)
		}
		for k, v := range m {
			p, err := strconv.Atoi(k)
			if err != nil {
				return nil, fmt.Errorf("cluster: %s: bad partition %q", offsetsFile, k)
			}
			x.offsets[p] = v
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	ctx, cancel := context.WithTimeout(n.ctx, 30*time.Second)
	defer cancel()
	if x.kv, err = n.openBucket(ctx, jetstream.KeyValueConfig{Bucket: PartitionBucket,
		Description: "sluice partition leases: key pN = owning indexer", TTL: n.cfg.DeadAfter}); err != nil {
		return nil, err
	}
	if x.hv, err = n.openBucket(ctx, jetstream.KeyValueConfig{Bucket: HolderBucket,
		Description: "sluice partition holders: key pN = [{Node, From}] in order of taking"}); err != nil {
		return nil, err
	}
	x.fresh = len(x.offsets) == 0
	x.ctx, x.cancel = context.WithCancel(context.Background())
	return x, nil
}

// start answers scans and tag queries and begins taking partitions.
func (x *indexer) start() error {
	n := x.n
	for subj, h := range map[string]nats.MsgHandler{scanSubject + n.cfg.Name: x.serveScan,
		tagsSubject + n.cfg.Name: x.serveTags} {
		sub, err := n.nc.Subscribe(subj, h)
		if err != nil {
			return fmt.Errorf("cluster: subscribe %s: %w", subj, err)
		}
		n.subs = append(n.subs, sub)
	}
	if x.fresh && !n.cfg.RebuildFrom.IsZero() {
		if err := x.rebuildAll(); err != nil {
			return err
		}
	}
	x.wg.Add(1)
	go x.balance()
	return nil
}

// describe adds the indexer's figures to a heartbeat.
func (x *indexer) describe(hb *heartbeat) {
	hb.UUID = x.st.IndexerUUID()
	for _, w := range x.st.Stats() {
		hb.Wells = append(hb.Wells, collect.WellStats{Name: w.Name, ID: w.ID, Path: w.Path, Bytes: w.Bytes, Entries: w.Entries})
	}
	hb.Ingest = collect.IngestCounters(x.st.IngestCounters())
	hb.MinTS, hb.MaxTS, hb.HasData = x.st.TimeBounds()
	x.mu.Lock()
	for p := range x.owned {
		hb.Partitions = append(hb.Partitions, p)
	}
	x.mu.Unlock()
	slices.Sort(hb.Partitions)
}

// balance renews the leases every heartbeat and takes or gives back partitions so that each
// live indexer owns its share (partitions / live indexers, one more for the first
// partitions mod live indexers in name order).
func (x *indexer) balance() {
	defer x.wg.Done()
	// one heartbeat first, so that the others' heartbeats have arrived
	t := time.NewTicker(x.n.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-x.ctx.Done():
			return
		case <-t.C:
		}
		x.rebalance()
	}
}

func leaseKey(p int) string { return "p" + strconv.Itoa(p) }

func (x *indexer) rebalance() {
	n := x.n
	ctx, cancel := context.WithTimeout(x.ctx, n.cfg.DeadAfter/2)
	defer cancel()
	// renew; a lease whose revision moved on is lost at once, one we could not renew for
	// most of its TTL is given up before it can expire under us
	for _, o := range x.ownedList() {
		rev, err := x.kv.Update(ctx, leaseKey(o.part), []byte(n.cfg.Name), o.rev)
		if err == nil {
			o.rev, o.renewed = rev, time.Now()
			continue
		}
		if x.ctx.Err() != nil {
			return
		}
		if errors.Is(err, jetstream.ErrKeyExists) || time.Since(o.renewed) > n.cfg.DeadAfter*3/4 {
			n.log.Warn("cluster: partition lease lost; stopping its consumption", "partition", o.part, "err", err)
			x.release(o, false)
		}
	}
	// share: partitions / live indexers, the first (partitions mod live) by name one more
	live := n.members.liveIndexers(time.Now())
	rank := slices.Index(live, n.cfg.Name)
	if rank < 0 { // our own heartbeat not seen yet
		live, rank = append(live, n.cfg.Name), len(live)
	}
	share := n.cfg.Partitions / len(live)
	if rank < n.cfg.Partitions%len(live) {
		share++
	}
	x.mu.Lock()
	have := len(x.owned)
	x.mu.Unlock()
	// give back what is over the share, highest partitions first
	for p := n.cfg.Partitions - 1; p >= 0 && have > share; p-- {
		x.mu.Lock()
		o := x.owned[p]
		x.mu.Unlock()
		if o != nil {
			x.release(o, true)
			have--
		}
	}
	// take free partitions up to the share, starting at an offset of our own so that indexers
	// starting together do not all race for partition 0
	off := int(fnv32(n.cfg.Name) % uint32(n.cfg.Partitions))
	for i := 0; i < n.cfg.Partitions && have < share; i++ {
		p := (off + i) % n.cfg.Partitions
		x.mu.Lock()
		_, mine := x.owned[p]
		x.mu.Unlock()
		if mine {
			continue
		}
		rev, err := x.kv.Create(ctx, leaseKey(p), []byte(n.cfg.Name))
		if err != nil {
			continue // taken, or NATS unreachable: next round
		}
		x.take(p, rev)
		have++
	}
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

// release stops consuming o's partition; with giveBack it also deletes the lease so that
// another indexer takes the partition at once.
func (x *indexer) release(o *owner, giveBack bool) {
	o.cancel()
	<-o.done
	x.mu.Lock()
	delete(x.owned, o.part)
	x.mu.Unlock()
	if giveBack {
		ctx, cancel := context.WithTimeout(context.Background(), x.n.cfg.Heartbeat)
		_ = x.kv.Delete(ctx, leaseKey(o.part), jetstream.LastRevision(o.rev))
		cancel()
	}
	x.n.log.Info("cluster: partition released", "partition", o.part)
}

// take starts consuming partition p, whose lease has revision rev.
func (x *indexer) take(p int, rev uint64) {
	ctx, cancel := context.WithCancel(x.ctx)
	o := &owner{part: p, rev: rev, renewed: time.Now(), cancel: cancel, done: make(chan struct{})}
	x.mu.Lock()
	x.owned[p] = o
	x.mu.Unlock()
	x.n.log.Info("cluster: partition taken", "partition", p)
	go func() {
		defer close(o.done)
		if err := x.consume(ctx, p); err != nil && ctx.Err() == nil {
			x.n.log.Error("cluster: partition consumption stopped", "partition", p, "err", err)
		}
	}()
}

// ownedList returns the partitions owned now.
func (x *indexer) ownedList() []*owner {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := make([]*owner, 0, len(x.owned))
	for _, o := range x.owned {
		out = append(out, o)
	}
	return out
}

// stop ends every consumption; with giveBack the leases are deleted.
func (x *indexer) stop(giveBack bool) {
	x.cancel()
	x.wg.Wait()
	owned := x.ownedList()
	for _, o := range owned {
		if giveBack {
			x.release(o, true)
		} else {
			o.cancel()
			<-o.done
		}
	}
}

func partSubject(p int) string { return entrySubject + strconv.Itoa(p) + ".>" }

// consume pulls partition p's durable consumer until ctx ends: each batch is stored (the store
// returns once it is fsynced) and then acknowledged.
func (x *indexer) consume(ctx context.Context, p int) error {
	n := x.n
	cons, err := n.js.CreateOrUpdateConsumer(ctx, StreamName, jetstream.ConsumerConfig{
		Durable: "part-" + strconv.Itoa(p), FilterSubject: partSubject(p),
		AckPolicy: jetstream.AckAllPolicy, AckWait: n.cfg.DeadAfter,
		MaxAckPending: 4 * n.cfg.FetchBatch, DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return fmt.Errorf("consumer: %w", err)
	}
	if err := x.recordHolder(ctx, p, cons); err != nil {
		return fmt.Errorf("holders: %w", err)
	}
	var ents []wire.Entry
	for ctx.Err() == nil {
		batch, err := cons.Fetch(n.cfg.FetchBatch, jetstream.FetchMaxWait(n.cfg.Heartbeat))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			n.log.Warn("cluster: fetch failed", "partition", p, "err", err)
			sleepCtx(ctx, n.cfg.Heartbeat)
			continue
		}
		var msgs []jetstream.Msg
		for m := range batch.Messages() {
			msgs = append(msgs, m)
		}
		if len(msgs) == 0 {
			continue
		}
		if ents, err = x.storeMsgs(p, msgs, ents[:0]); err != nil {
			n.log.Error("cluster: cannot store partition batch; it will be redelivered", "partition", p, "err", err)
			sleepCtx(ctx, n.cfg.Heartbeat)
			continue
		}
		// AckAll: the last acknowledges the batch. Acknowledged only after the store's fsync.
		if err := msgs[len(msgs)-1].Ack(); err != nil {
			n.log.Warn("cluster: ack failed; the batch will be redelivered and skipped", "partition", p, "err", err)
		}
	}
	return nil
}

// storeMsgs decodes the messages newer than the partition's offset, stores them in one
// Ingest and records the new offset.
func (x *indexer) storeMsgs(p int, msgs []jetstream.Msg, ents []wire.Entry) ([]wire.Entry, error) {
	x.mu.Lock()
	held := x.offsets[p]
	x.mu.Unlock()
	last := held
	var tagIDs []uint16
	defer func() { x.st.ReleaseTags(tagIDs) }() // the store's holds end with the batch
	for _, m := range msgs {
		md, err := m.Metadata()
		if err != nil {
			return ents, err
		}
		seq := md.Sequence.Stream
		if seq <= held {
			continue // stored before a crash or a lost acknowledgement
		}
		name := m.Headers().Get(tagHeader)
		id, err := x.st.TagID(name)
		if err != nil {
			return ents, fmt.Errorf("message %d: %w", seq, err)
		}
		tagIDs = append(tagIDs, id)
		ents, err = decodeEntries(ents, m.Data(), func(uint64) (uint16, error) { return id, nil })
		if err != nil {
			return ents, fmt.Errorf("message %d: %w", seq, err)
		}
		last = max(last, seq)
	}
	if len(ents) > 0 {
		if err := x.st.Ingest(ents); err != nil {
			return ents, err
		}
	}
	if last != held {
		return ents, x.setOffset(p, last)
	}
	return ents, nil
}

// setOffset records that partition p is stored up to stream sequence seq (file replaced
// atomically and fsynced).
func (x *indexer) setOffset(p int, seq uint64) error {
	x.mu.Lock()
	x.offsets[p] = seq
	m := make(map[string]uint64, len(x.offsets))
	for k, v := range x.offsets {
		m[strconv.Itoa(k)] = v
	}
	x.mu.Unlock()
	b, _ := json.Marshal(m)
	path := filepath.Join(x.dir, offsetsFile)
	f, err := os.CreateTemp(x.dir, offsetsFile+".tmp*")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("cluster: cannot record offsets: %w", err)
	}
	return nil
}

// holder is one entry of a partition's holder list: Node stored the partition's messages from
// stream sequence From up to the next holder's From.
type holder struct {
	Node string
	From uint64
}

// recordHolder appends this node to partition p's holders, starting after the consumer's
// acknowledgement floor (what earlier holders stored).
func (x *indexer) recordHolder(ctx context.Context, p int, cons jetstream.Consumer) error {
	info, err := cons.Info(ctx)
	if err != nil {
		return err
	}
	from := info.AckFloor.Stream + 1
	for ctx.Err() == nil {
		var list []holder
		var rev uint64
		e, err := x.hv.Get(ctx, leaseKey(p))
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return err
		default:
			rev = e.Revision()
			if err := json.Unmarshal(e.Value(), &list); err != nil {
				return fmt.Errorf("partition %d holders: %w", p, err)
			}
		}
		if k := len(list); k > 0 && list[k-1].Node == x.n.cfg.Name {
			return nil // still ours since we last took it
		}
		list = append(list, holder{Node: x.n.cfg.Name, From: from})
		b, _ := json.Marshal(list)
		if rev == 0 {
			_, err = x.hv.Create(ctx, leaseKey(p), b)
		} else {
			_, err = x.hv.Update(ctx, leaseKey(p), b, rev)
		}
		if err == nil {
			return nil
		}
		// somebody else wrote meanwhile (a former holder cannot: the lease is ours): retry
	}
	return ctx.Err()
}

// rebuildAll replays into this (new, empty) store every stream range this node's name held
// before, from Config.RebuildFrom on: a replacement indexer, started under the dead one's
// name on a fresh disk, gets back exactly the entries the dead one had stored, while the
// partitions go on with whoever holds them now.
func (x *indexer) rebuildAll() error {
	n := x.n
	ctx, cancel := context.WithCancel(n.ctx)
	defer cancel()
	for p := 0; p < n.cfg.Partitions; p++ {
		e, err := x.hv.Get(ctx, leaseKey(p))
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("cluster: rebuild: partition %d: %w", p, err)
		}
		var list []holder
		if err := json.Unmarshal(e.Value(), &list); err != nil {
			return fmt.Errorf("cluster: rebuild: partition %d holders: %w", p, err)
		}
		cons, err := n.js.Consumer(ctx, StreamName, "part-"+strconv.Itoa(p))
		if err != nil {
			return fmt.Errorf("cluster: rebuild: partition %d: %w", p, err)
		}
		info, err := cons.Info(ctx)
		if err != nil {
			return fmt.Errorf("cluster: rebuild: partition %d: %w", p, err)
		}
		for i, h := range list {
			if h.Node != n.cfg.Name {
				continue
			}
			to := info.AckFloor.Stream // still ours when we died: up to what was acknowledged
			if i+1 < len(list) {
				to = list[i+1].From - 1
			}
			if to < h.From {
				continue
			}
			if err := x.replay(ctx, p, h.From, to); err != nil {
				return fmt.Errorf("cluster: rebuild: partition %d [%d, %d]: %w", p, h.From, to, err)
			}
		}
	}
	return nil
}

// replay stores partition p's messages with stream sequences in [from, to] that JetStream
// received at or after Config.RebuildFrom.
func (x *indexer) replay(ctx context.Context, p int, from, to uint64) error {
	n := x.n
	n.log.Info("cluster: rebuilding from the stream", "partition", p, "from_seq", from, "to_seq", to, "since", n.cfg.RebuildFrom)
	cons, err := n.js.OrderedConsumer(ctx, StreamName, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{partSubject(p)}, DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq: from})
	if err != nil {
		return err
	}
	var ents []wire.Entry
	for ctx.Err() == nil {
		batch, err := cons.Fetch(n.cfg.FetchBatch, jetstream.FetchMaxWait(n.cfg.Heartbeat))
		if err != nil {
			return err
		}
		var msgs []jetstream.Msg
		done, got := false, 0
		for m := range batch.Messages() {
			got++
			md, err := m.Metadata()
			if err != nil {
				return err
			}
			if md.Sequence.Stream > to {
				done = true
				continue
			}
			if !md.Timestamp.Before(n.cfg.RebuildFrom) {
				msgs = append(msgs, m)
			}
			if md.Sequence.Stream == to || md.NumPending == 0 {
				done = true
			}
		}
		if len(msgs) > 0 {
			if ents, err = x.storeMsgs(p, msgs, ents[:0]); err != nil {
				return err
			}
		}
		if done || got == 0 {
			break
		}
	}
	return ctx.Err()
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
