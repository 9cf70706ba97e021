package cluster

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sluicehq/sluice/ingest"
	"github.com/sluicehq/sluice/wire"
)

// tagHeader carries an entry message's tag name.
const tagHeader = "Sluice-Tag"

// publishTimeout bounds the wait for JetStream's acknowledgements of one ingest.
const publishTimeout = 30 * time.Second

// publisher is the ingest.Sink of a cluster node: it publishes entries to the stream.
type publisher struct{ n *Node }

// TagID numbers a tag name on this node (tags travel by name).
func (p *publisher) TagID(name string) (uint16, error) { return p.n.tags.TagID(name) }

// MatchTags resolves tag patterns over the live indexers' tags (for the REST tag routes).
func (p *publisher) MatchTags(patterns []string) ([]uint16, []string) {
	return (&remoteTags{n: p.n}).MatchTags(patterns)
}

// TagName returns the name this node numbered id with.
func (p *publisher) TagName(id uint16) (string, bool) { return p.n.tags.name(id) }

// partitionOf spreads entries over partitions by timestamp (splitmix64 of the second), so
// every indexer holds a share of every time range and a search uses them all.
func partitionOf(ts int64, parts int) int {
	z := uint64(ts/1e9) + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return int(z % uint64(parts))
}

// Ingest publishes entries, one message per partition and tag (split at MaxMessageBytes), and
// returns nil only when JetStream acknowledged every message, i.e. stored it with the stream's
// replicas. NOTE: when it fails, messages acknowledged before the failure stay in the stream
// and will be stored: a failed ingest is not all-or-nothing across messages.
func (p *publisher) Ingest(entries []wire.Entry) error {
	n := p.n
	type key struct {
		part int
		tag  uint16
	}
	groups := map[key][]int{}
	var order []key
	for i := range entries {
		k := key{partitionOf(entries[i].TS, n.cfg.Partitions), entries[i].Tag}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	var futs []jetstream.PubAckFuture
	zero := func(uint16) uint64 { return 0 }
	for _, k := range order {
		name, ok := n.tags.name(k.tag)
		if !ok {
			return fmt.Errorf("cluster: ingest: tag ID %d was not numbered by this node's TagID", k.tag)
		}
		subject := entrySubject + strconv.Itoa(k.part) + "." + name
		idx := groups[k]
		for len(idx) > 0 {
			// one message: as many entries as fit MaxMessageBytes (at least one)
			size, m := 16, 0
			for m < len(idx) && (m == 0 || size+entrySize(&entries[idx[m]]) <= n.cfg.MaxMessageBytes) {
				size += entrySize(&entries[idx[m]])
				m++
			}
			batch := make([]wire.Entry, m)
			for j := 0; j < m; j++ {
				batch[j] = entries[idx[j]]
			}
			idx = idx[m:]
			msg := &nats.Msg{Subject: subject, Header: nats.Header{tagHeader: []string{name}},
				Data: appendEntries(make([]byte, 0, size), batch, zero)}
			f, err := n.js.PublishMsgAsync(msg)
			if err != nil {
				return fmt.Errorf("%w: cluster: cannot publish to %s: %w", ingest.ErrUnavailable, subject, err)
			}
			futs = append(futs, f)
		}
	}
	timer := time.NewTimer(publishTimeout)
	defer timer.Stop()
	var errs []error
	for _, f := range futs {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			errs = append(errs, err)
		case <-timer.C:
			return fmt.Errorf("%w: cluster: JetStream did not acknowledge within %s", ingest.ErrUnavailable, publishTimeout)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: cluster: %d of %d messages not stored: %w", ingest.ErrUnavailable, len(errs), len(futs), errors.Join(errs...))
	}
	return nil
}
