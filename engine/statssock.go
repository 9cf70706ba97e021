package engine

import (
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/sluicehq/sluice/collect"
	"github.com/sluicehq/sluice/engine/server"
)

// statsTypes are the periodic stats-socket message types (PROTOCOL.md §2.1).
var statsTypes = [...]string{"ping", "sysStats", "idxStats", "igstStats"}

// statsService serves /api/ws/stats (current shapes) and /ws/stats (documented shapes, §2.7).
// Each packet is encoded once per period by the hub and framed once per shape; the same
// bytes go to every subscriber of that type and shape.
type statsService struct {
	hub *collect.Hub
	log *slog.Logger

	mu   sync.Mutex
	subs [2]map[*server.Session]uint8       // [documented] session → bit i set: subscribed to statsTypes[i]; descBit: to sysDesc
	last [2][len(statsTypes)]*server.Shared // latest packet per shape and type
	snap []*server.Session                  // publish's reused snapshot of one type's subscribers
}

func newStatsService(hub *collect.Hub, log *slog.Logger) *statsService {
	s := &statsService{hub: hub, log: log}
	for i := range s.subs {
		s.subs[i] = map[*server.Session]uint8{}
	}
	return s
}

// descBit marks a subscriber of sysDesc, which a cluster republishes when its hosts change.
const descBit = 1 << 7

// statsEndpoint is the server.Service of one stats path.
type statsEndpoint struct {
	s          *statsService
	documented int // 1 on /ws/stats
}

func (s *statsService) service(documented bool) server.Service {
	ep := &statsEndpoint{s: s}
	if documented {
		ep.documented = 1
	}
	return ep
}

func payloadFor(p collect.Packet, documented int) []byte {
	if documented == 1 {
		return p.Documented
	}
	return p.Current
}

// Open sends sysDesc first (always, when subscribed), then one packet of every subscribed
// periodic type, then adds the session to the broadcast set.
func (ep *statsEndpoint) Open(sess *server.Session, subs []string) {
	s := ep.s
	var mask uint8
	desc := false
	for _, name := range subs {
		desc = desc || name == "sysDesc"
		for i, t := range statsTypes {
			if name == t {
				mask |= 1 << i
			}
		}
	}
	if desc {
		m := server.NewShared(payloadFor(s.hub.SysDesc(), ep.documented))
		err := sess.SendShared(m)
		m.Release()
		if err != nil {
			return
		}
	}
	for i := range statsTypes {
		if mask&(1<<i) == 0 {
			continue
		}
		m := s.latest(ep.documented, i)
		err := sess.SendShared(m)
		m.Release()
		if err != nil {
			return
		}
	}
	if desc {
		mask |= descBit
	}
	s.mu.Lock()
	s.subs[ep.documented][sess] = mask
	s.mu.Unlock()
}

// latest returns the newest packet of statsTypes[i] in one shape, with a reference for the
// caller. Before the type's first broadcast it is built once, on demand, and kept for the
// subscribers that follow, so a crowd connecting at start costs one encoding, not one each.
func (s *statsService) latest(doc, i int) *server.Shared {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.last[doc][i]; m != nil {
		m.Retain()
		return m
	}
	p := s.hub.Build(statsTypes[i], time.Now())
	for d := range s.last {
		s.last[d][i] = server.NewShared(payloadFor(p, d)) // the cache's reference
	}
	m := s.last[doc][i]
	m.Retain()
	return m
}

// Message ignores client messages: the stats socket is server-push only (§1.7).
func (ep *statsEndpoint) Message(*server.Session, string, []byte) {}

// Closed removes the session from the broadcast set.
func (ep *statsEndpoint) Closed(sess *server.Session) {
	s := ep.s
	s.mu.Lock()
	delete(s.subs[ep.documented], sess)
	s.mu.Unlock()
}

// publish frames a hub packet once per shape and sends it to every subscriber of its type.
// It runs on the hub's goroutine only.
func (s *statsService) publish(p collect.Packet) {
	if p.Type == collect.TypeSysDesc {
		s.publishDesc(p)
		return
	}
	i := slices.Index(statsTypes[:], p.Type)
	if i < 0 {
		return
	}
	for doc := range s.last {
		m := server.NewShared(payloadFor(p, doc))
		s.mu.Lock()
		if old := s.last[doc][i]; old != nil {
			old.Release()
		}
		m.Retain() // the cache's reference
		s.last[doc][i] = m
		s.snap = s.snap[:0]
		for sess, mask := range s.subs[doc] {
			if mask&(1<<i) != 0 {
				s.snap = append(s.snap, sess)
			}
		}
		s.mu.Unlock()
		s.broadcast(m, s.snap)
		m.Release()
	}
}

// publishDesc sends a fresh sysDesc (a cluster's host set changed, PROTOCOL.md §2.1 step 5)
// to every subscriber of sysDesc. New subscribers get it from the hub on Open.
func (s *statsService) publishDesc(p collect.Packet) {
	for doc := range s.subs {
		m := server.NewShared(payloadFor(p, doc))
		s.mu.Lock()
		s.snap = s.snap[:0]
		for sess, mask := range s.subs[doc] {
			if mask&descBit != 0 {
				s.snap = append(s.snap, sess)
			}
		}
		s.mu.Unlock()
		s.broadcast(m, s.snap)
		m.Release()
	}
}

// broadcastChunk is the fewest sessions worth a goroutine of their own.
const broadcastChunk = 256

// broadcast sends m to every session, the writes spread over one goroutine per CPU: each send
// is a write syscall on its own socket, so on N CPUs the fan-out takes about 1/N of the time a
// single writer would (the kernel floor of BENCHMARKS.md is one writer).
func (s *statsService) broadcast(m *server.Shared, sessions []*server.Session) {
	workers := min(runtime.GOMAXPROCS(0), (len(sessions)+broadcastChunk-1)/broadcastChunk)
	send := func(part []*server.Session) {
		for _, sess := range part {
			if err := sess.SendShared(m); err != nil {
				s.log.Debug("stats subscriber dropped", "session", sess.ID(), "err", err)
			}
		}
	}
	if workers <= 1 {
		send(sessions)
		return
	}
	var wg sync.WaitGroup
	per := (len(sessions) + workers - 1) / workers
	for lo := 0; lo < len(sessions); lo += per {
		part := sessions[lo:min(lo+per, len(sessions))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			send(part)
		}()
	}
	wg.Wait()
}
