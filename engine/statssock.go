package engine

import (
	"log/slog"
	"runtime"
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

	mu   sync.RWMutex
	subs [2]map[string]map[*server.Session]struct{} // [documented][type]
	last [2]map[string]*server.Shared               // latest packet per shape and type
	snap []*server.Session                          // publish's reused snapshot of one set
}

func newStatsService(hub *collect.Hub, log *slog.Logger) *statsService {
	s := &statsService{hub: hub, log: log}
	for i := range s.subs {
		s.subs[i] = map[string]map[*server.Session]struct{}{}
		s.last[i] = map[string]*server.Shared{}
		for _, t := range statsTypes {
			s.subs[i][t] = map[*server.Session]struct{}{}
		}
	}
	return s
}

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
// periodic type, then adds the session to the broadcast sets.
func (ep *statsEndpoint) Open(sess *server.Session, subs []string) {
	s := ep.s
	want := map[string]bool{}
	for _, t := range subs {
		want[t] = true
	}
	if want["sysDesc"] {
		m := server.NewShared(payloadFor(s.hub.SysDesc(), ep.documented))
		err := sess.SendShared(m)
		m.Release()
		if err != nil {
			return
		}
	}
	now := time.Now()
	for _, t := range statsTypes {
		if !want[t] {
			continue
		}
		s.mu.RLock()
		m := s.last[ep.documented][t]
		if m != nil {
			m.Retain()
		}
		s.mu.RUnlock()
		if m == nil {
			m = server.NewShared(payloadFor(s.hub.Build(t, now), ep.documented))
		}
		err := sess.SendShared(m)
		m.Release()
		if err != nil {
			return
		}
	}
	s.mu.Lock()
	for _, t := range statsTypes {
		if want[t] {
			s.subs[ep.documented][t][sess] = struct{}{}
		}
	}
	s.mu.Unlock()
}

// Message ignores client messages: the stats socket is server-push only (§1.7).
func (ep *statsEndpoint) Message(*server.Session, string, []byte) {}

// Closed removes the session from every broadcast set.
func (ep *statsEndpoint) Closed(sess *server.Session) {
	s := ep.s
	s.mu.Lock()
	for _, t := range statsTypes {
		delete(s.subs[ep.documented][t], sess)
	}
	s.mu.Unlock()
}

// publish frames a hub packet once per shape and sends it to every subscriber.
func (s *statsService) publish(p collect.Packet) {
	for doc := 0; doc < 2; doc++ {
		m := server.NewShared(payloadFor(p, doc))
		s.mu.Lock()
		if old := s.last[doc][p.Type]; old != nil {
			old.Release()
		}
		m.Retain()
		s.last[doc][p.Type] = m
		s.snap = s.snap[:0]
		for sess := range s.subs[doc][p.Type] {
			s.snap = append(s.snap, sess)
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
