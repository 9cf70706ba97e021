package cluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sluicehq/sluice/engine/access"
	"github.com/sluicehq/sluice/engine/rest"
	"github.com/sluicehq/sluice/engine/search"
)

// SearchBucket is the key-value bucket of the search registry: key "s.ID" holds the record of
// search ID (searchRecord, JSON), key secretKey the proxy credential's shared secret when
// Config.ProxySecret is not set.
const SearchBucket = "sluice_searches"

const (
	searchKeyPrefix = "s."
	secretKey       = "proxy-secret"
)

// searchRecord is what the registry knows of one search: who holds it, where, who owns it
// and what it is. The holding webserver writes it at launch, rewrites it when its state or
// sharing changes, and deletes it with the search.
type searchRecord struct {
	ID          string
	Node        string    // the webserver holding the search
	Addr        string    // its HTTP address (host:port)
	NodeStarted time.Time // when that webserver started: a record of an earlier run is gone
	UID         int32
	GIDs        []int32 `json:",omitempty"`
	Global      bool    `json:",omitempty"`
	Query       string
	Effective   string `json:",omitempty"`
	Name        string `json:",omitempty"`
	State       string // pending, running, finished or stopped
	Background  bool   `json:",omitempty"`
	Consumers   int
	Launched    time.Time
	Start, End  time.Time
}

// Registry is the cluster's search registry, kept in the JetStream key-value bucket
// SearchBucket, and the proxy that lets a client reach a search through any webserver (the
// holding webserver serves it; another one relays its search socket and reverse-proxies its
// REST routes, authorised as the client's principal by an HMAC credential, proxy_auth.go).
// It implements engine.ClusterSearches; obtain it with Node.Searches. It is safe for
// concurrent use.
type Registry struct {
	n       *Node
	kv      jetstream.KeyValue
	secret  []byte
	client  *http.Client // REST proxying and nothing else
	started time.Time

	mu     sync.Mutex
	all    map[string]searchRecord // every search of the cluster, by ID, as the watch saw it
	local  map[string]*localSearch // this webserver's searches, by ID
	closed bool
}

// localSearch is one of this webserver's searches and the record last written for it.
type localSearch struct {
	s         *search.Search
	effective string // the effective query, fixed at launch
	last      []byte
}

// Searches opens the search registry of a webserver (roles webserver and all): it creates
// the bucket when needed, drops the records an earlier run of this node left, watches every
// record, and keeps this node's records up to date until Close. Call it once.
func (n *Node) Searches() (*Registry, error) {
	if !n.cfg.Role.Serves() {
		return nil, fmt.Errorf("cluster: role %s serves no searches", n.cfg.Role)
	}
	ctx, cancel := context.WithTimeout(n.ctx, 30*time.Second)
	defer cancel()
	kv, err := n.openBucket(ctx, jetstream.KeyValueConfig{Bucket: SearchBucket,
		Description: "sluice search registry: search ID -> holding webserver", MaxValueSize: int32(n.cfg.MaxMessageBytes)})
	if err != nil {
		return nil, err
	}
	r := &Registry{n: n, kv: kv, started: n.started, all: map[string]searchRecord{}, local: map[string]*localSearch{},
		client: &http.Client{Transport: proxyTransport(n.cfg)}}
	if r.secret, err = r.loadSecret(ctx); err != nil {
		return nil, err
	}
	w, err := kv.Watch(n.ctx, searchKeyPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("cluster: watch bucket %s: %w", SearchBucket, err)
	}
	// The initial values end with a nil entry: by then r.all holds every record.
	for e := range w.Updates() {
		if e == nil {
			break
		}
		r.apply(e)
	}
	r.dropStale(ctx)
	n.mu.Lock()
	n.reg = r
	n.mu.Unlock()
	n.wg.Add(2)
	go func() {
		defer n.wg.Done()
		defer w.Stop()
		for {
			select {
			case <-n.ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e != nil {
					r.apply(e)
				}
			}
		}
	}()
	go r.maintain()
	return r, nil
}

// loadSecret returns Config.ProxySecret, or the cluster's shared random secret from the
// bucket (created by the first webserver).
func (r *Registry) loadSecret(ctx context.Context) ([]byte, error) {
	if r.n.cfg.ProxySecret != "" {
		return []byte(r.n.cfg.ProxySecret), nil
	}
	var fresh [32]byte
	if _, err := rand.Read(fresh[:]); err != nil {
		return nil, err
	}
	_, err := r.kv.Create(ctx, secretKey, fresh[:])
	if err == nil {
		return fresh[:], nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return nil, fmt.Errorf("cluster: bucket %s: cannot store the proxy secret: %w", SearchBucket, err)
	}
	e, err := r.kv.Get(ctx, secretKey)
	if err != nil {
		return nil, fmt.Errorf("cluster: bucket %s: cannot read the proxy secret: %w", SearchBucket, err)
	}
	return e.Value(), nil
}

// apply folds one watched change into r.all.
func (r *Registry) apply(e jetstream.KeyValueEntry) {
	id := strings.TrimPrefix(e.Key(), searchKeyPrefix)
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.Operation() != jetstream.KeyValuePut {
		delete(r.all, id)
		return
	}
	var rec searchRecord
	if err := json.Unmarshal(e.Value(), &rec); err != nil || rec.ID != id {
		r.n.log.Warn("cluster: search registry: record does not decode", "key", e.Key(), "err", err)
		return
	}
	r.all[id] = rec
}

// dropStale deletes the records an earlier run of this node left: searches do not survive a
// restart.
func (r *Registry) dropStale(ctx context.Context) {
	r.mu.Lock()
	var stale []string
	for id, rec := range r.all {
		if rec.Node == r.n.cfg.Name && !rec.NodeStarted.Equal(r.started) {
			stale = append(stale, id)
		}
	}
	r.mu.Unlock()
	for _, id := range stale {
		r.remove(ctx, id)
	}
}

// remove deletes the record of search id.
func (r *Registry) remove(ctx context.Context, id string) {
	if err := r.kv.Delete(ctx, searchKeyPrefix+id); err != nil {
		r.n.log.Warn("cluster: search registry: cannot delete a record", "search", id, "err", err)
		return
	}
	r.mu.Lock()
	delete(r.all, id)
	r.mu.Unlock()
}

// record describes s, one of this node's searches, whose effective query is effective.
func (r *Registry) record(s *search.Search, effective string) searchRecord {
	st := s.Status()
	return searchRecord{ID: s.ID, Node: r.n.cfg.Name, Addr: r.n.cfg.HTTPAddr, NodeStarted: r.started,
		UID: st.UID, GIDs: st.GIDs, Global: st.Global, Query: s.Query.Raw, Effective: effective, Name: s.Name,
		State: st.State, Background: st.Background, Consumers: st.Consumers, Launched: s.Launched,
		Start: s.RangeStart, End: s.RangeEnd}
}

// Claim implements search.IDClaimer: it creates the record of s under its ID, which fails
// with search.ErrIDTaken when any webserver holds that ID.
func (r *Registry) Claim(s *search.Search) error {
	var effective string
	if s.Result != nil {
		effective = s.Result.Info().EffectiveQuery
	}
	rec := r.record(s, effective)
	b, err := json.Marshal(&rec)
	if err != nil {
		return err
	}
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	if closed {
		return errors.New("cluster: search registry is closed")
	}
	ctx, cancel := context.WithTimeout(r.n.ctx, r.n.cfg.RegistryTimeout)
	defer cancel()
	if _, err := r.kv.Create(ctx, searchKeyPrefix+s.ID, b); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("cluster: search ID %s: %w", s.ID, search.ErrIDTaken)
		}
		return fmt.Errorf("cluster: search registry (bucket %s, RegistryTimeout=%s): %w", SearchBucket, r.n.cfg.RegistryTimeout, err)
	}
	r.mu.Lock()
	r.local[s.ID] = &localSearch{s: s, effective: effective, last: b}
	r.all[s.ID] = rec
	r.mu.Unlock()
	return nil
}

// Release implements search.IDClaimer: it deletes the record of a deleted search.
func (r *Registry) Release(s *search.Search) {
	r.mu.Lock()
	_, mine := r.local[s.ID]
	delete(r.local, s.ID)
	closed := r.closed
	r.mu.Unlock()
	if !mine || closed {
		return
	}
	ctx, cancel := context.WithTimeout(r.n.ctx, r.n.cfg.RegistryTimeout)
	defer cancel()
	r.remove(ctx, s.ID)
}

// maintain rewrites this node's records whose search changed (state, sharing, consumers)
// every Config.Heartbeat, and deletes the records of webservers dead for longer than
// Config.RegistryRetention.
func (r *Registry) maintain() {
	defer r.n.wg.Done()
	t := time.NewTicker(r.n.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-r.n.ctx.Done():
			return
		case <-t.C:
		}
		r.refresh()
		r.expire(time.Now())
	}
}

// refresh rewrites the records of this node's searches that changed.
func (r *Registry) refresh() {
	r.mu.Lock()
	locals := make([]*localSearch, 0, len(r.local))
	for _, ls := range r.local {
		locals = append(locals, ls)
	}
	r.mu.Unlock()
	for _, ls := range locals {
		if ls.s.Deleted() {
			continue // Release removes it
		}
		rec := r.record(ls.s, ls.effective)
		b, err := json.Marshal(&rec)
		if err != nil || bytes.Equal(b, ls.last) {
			continue
		}
		ctx, cancel := context.WithTimeout(r.n.ctx, r.n.cfg.RegistryTimeout)
		_, err = r.kv.Put(ctx, searchKeyPrefix+rec.ID, b)
		cancel()
		if err != nil {
			r.n.log.Warn("cluster: search registry: cannot update a record", "search", rec.ID, "err", err)
			continue
		}
		r.mu.Lock()
		if r.local[rec.ID] == ls {
			ls.last = b
			r.all[rec.ID] = rec
		}
		r.mu.Unlock()
		if ls.s.Deleted() { // deleted while being written: Release may have run before the Put
			ctx, cancel := context.WithTimeout(r.n.ctx, r.n.cfg.RegistryTimeout)
			r.remove(ctx, rec.ID)
			cancel()
		}
	}
}

// expire deletes the records of searches whose webserver has been gone for longer than
// Config.RegistryRetention (until then they are listed and answered as gone).
func (r *Registry) expire(now time.Time) {
	r.mu.Lock()
	var old []string
	for id, rec := range r.all {
		if rec.Node == r.n.cfg.Name {
			continue
		}
		if gone, since := r.n.members.goneSince(rec, r.started, now); gone && now.Sub(since) > r.n.cfg.RegistryRetention {
			old = append(old, id)
		}
	}
	r.mu.Unlock()
	for _, id := range old {
		ctx, cancel := context.WithTimeout(r.n.ctx, r.n.cfg.RegistryTimeout)
		r.remove(ctx, id)
		cancel()
	}
}

// close deletes this node's records (its searches end with it) and stops Claim and Release.
func (r *Registry) close() {
	r.mu.Lock()
	r.closed = true
	ids := make([]string, 0, len(r.local))
	for id := range r.local {
		ids = append(ids, id)
	}
	r.local = map[string]*localSearch{}
	r.mu.Unlock()
	for _, id := range ids {
		ctx, cancel := context.WithTimeout(context.Background(), r.n.cfg.RegistryTimeout)
		r.remove(ctx, id)
		cancel()
	}
}

// lookup returns the record of search id: from the watched copy, else from the bucket (a
// launch on another webserver a moment ago may not have reached the watch yet).
func (r *Registry) lookup(ctx context.Context, id string) (searchRecord, bool) {
	r.mu.Lock()
	rec, ok := r.all[id]
	r.mu.Unlock()
	if ok || !validID(id) {
		return rec, ok
	}
	ctx, cancel := context.WithTimeout(ctx, r.n.cfg.RegistryTimeout)
	defer cancel()
	e, err := r.kv.Get(ctx, searchKeyPrefix+id)
	if err != nil || json.Unmarshal(e.Value(), &rec) != nil || rec.ID != id {
		return searchRecord{}, false
	}
	return rec, true
}

// validID reports whether id can be a key of the bucket: search IDs are digits.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}

// remote returns the record of search id when another webserver holds it and p may see it
// (access.CanSee on the record: the holder checks again on its own copy).
func (r *Registry) remote(ctx context.Context, p *access.Principal, id string) (searchRecord, bool) {
	rec, ok := r.lookup(ctx, id)
	if !ok || rec.Node == r.n.cfg.Name || !access.CanSee(p, rec.UID, rec.GIDs, rec.Global) {
		return searchRecord{}, false
	}
	return rec, true
}

// gone returns why the webserver holding rec cannot serve it, or "" when it is alive.
func (r *Registry) gone(rec searchRecord) string {
	now := time.Now()
	m, ok := r.n.members.get(rec.Node)
	who := "webserver " + rec.Node + " (" + rec.Addr + ")"
	switch {
	case !ok && now.Sub(r.started) < r.n.cfg.DeadAfter:
		return "" // not heard from yet: this node has just started, try it
	case !ok:
		return who + " has not been heard from since this webserver started " + now.Sub(r.started).Round(time.Second).String() + " ago"
	case !m.hb.Started.Equal(rec.NodeStarted):
		return who + " restarted at " + m.hb.Started.UTC().Format(time.RFC3339) + " and its searches did not survive"
	case m.hb.Stopping:
		return who + " has stopped"
	case now.Sub(m.seen) >= r.n.cfg.DeadAfter:
		return who + " is not answering: its last heartbeat was " + now.Sub(m.seen).Round(time.Second).String() +
			" ago (DeadAfter=" + r.n.cfg.DeadAfter.String() + ")"
	}
	return ""
}

// goneError is the error of a search whose webserver is gone.
func goneError(id, why string) error {
	return fmt.Errorf("search %s is gone: %s; its results cannot be reached", id, why)
}

// List implements rest.Remote: the other webservers' searches p may see (all: every one),
// newest first; those of a gone webserver say so in Gone.
func (r *Registry) List(p *access.Principal, all bool) []rest.RemoteSearch {
	r.mu.Lock()
	recs := make([]searchRecord, 0, len(r.all))
	for _, rec := range r.all {
		if rec.Node != r.n.cfg.Name && (all || access.CanSee(p, rec.UID, rec.GIDs, rec.Global)) {
			recs = append(recs, rec)
		}
	}
	r.mu.Unlock()
	out := make([]rest.RemoteSearch, 0, len(recs))
	for _, rec := range recs {
		out = append(out, rest.RemoteSearch{Summary: search.Summary{ID: rec.ID, UserQuery: rec.Query, State: rec.State,
			Background: rec.Background, Consumers: rec.Consumers, Launched: rec.Launched, StartRange: rec.Start,
			EndRange: rec.End, Name: rec.Name, UID: rec.UID, GIDs: rec.GIDs, Global: rec.Global},
			EffectiveQuery: rec.Effective, Node: rec.Node, Addr: rec.Addr, Gone: r.gone(rec)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Launched.After(out[j].Launched) })
	return out
}

// get returns the latest heartbeat of node name.
func (ms *members) get(name string) (member, bool) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	m, ok := ms.nodes[name]
	if !ok {
		return member{}, false
	}
	return *m, true
}

// goneSince reports whether the webserver holding rec is gone and since when (its last
// heartbeat, its restart, or this node's start when it was never heard from).
func (ms *members) goneSince(rec searchRecord, selfStarted, now time.Time) (bool, time.Time) {
	m, ok := ms.get(rec.Node)
	switch {
	case !ok:
		return now.Sub(selfStarted) >= ms.deadAfter, selfStarted
	case !m.hb.Started.Equal(rec.NodeStarted):
		return true, m.hb.Started
	case m.hb.Stopping || now.Sub(m.seen) >= ms.deadAfter:
		return true, m.seen
	}
	return false, time.Time{}
}
