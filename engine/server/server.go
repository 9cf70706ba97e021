package server

import (
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sluicehq/sluice/engine/access"
	"github.com/sluicehq/sluice/engine/netpoll"
)

// Service handles the sessions of one routing-websocket endpoint (see Server.Handle). Its
// methods run on the netpoll worker that serves the session and must not block for long.
type Service interface {
	// Open runs after a successful Subs negotiation; the ACK is already queued. subs are
	// de-duplicated and are the session's base channels.
	Open(sess *Session, subs []string)
	// Message runs for each enveloped message whose type is a registered channel of sess.
	// data is the raw JSON of "data", valid only during the call. Calls for one session never
	// overlap and come in arrival order. Messages for unregistered channel names are dropped
	// by the server.
	Message(sess *Session, channel string, data []byte)
	// Closed runs once when a session that was opened ends, after which Send fails. It never
	// overlaps Open or Message for the same session.
	Closed(sess *Session)
}

// Server upgrades HTTP requests to routing websockets and serves their sessions. Create it
// with New, register endpoints with Handle, and mount it as an http.Handler.
type Server struct {
	cfg    Config
	log    *slog.Logger
	m      *metrics
	poller *netpoll.Poller
	logs   logLimiter

	routes atomic.Pointer[map[string]route]
	rmu    sync.Mutex // serialises Handle

	access     *access.Policy
	nextID     atomic.Uint64
	reserved   atomic.Int64 // connections counted against MaxConns
	kmu        sync.Mutex
	perKey     map[string]int // connections counted against MaxConnsPerPrincipal
	closed     atomic.Bool
	mu         sync.Mutex
	sessions   []*Session // index = Session.slot
	sweepStop  chan struct{}
	sweepDone  chan struct{}
	sweepEvery time.Duration
}

// New returns a Server with cfg's limits (zero fields take their defaults), logging to logger
// (nil: slog.Default()) and registering its metrics on reg (nil: not registered).
func New(cfg Config, logger *slog.Logger, reg prometheus.Registerer) (*Server, error) {
	cfg.setDefaults()
	if logger == nil {
		logger = slog.Default()
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	pol := cfg.Access
	if pol == nil {
		if pol, err = access.NewPolicy(access.Config{Tokens: cfg.Tokens, AllowedOrigins: cfg.AllowedOrigins}); err != nil {
			return nil, err
		}
	}
	p, err := netpoll.New(netpoll.Config{
		Workers:         cfg.Workers,
		ReadBufferSize:  cfg.ReadBufferSize,
		MaxBacklogBytes: cfg.MaxBacklogBytes,
		Portable:        cfg.Portable,
		Logger:          logger,
	})
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:       cfg,
		log:       logger,
		m:         m,
		poller:    p,
		access:    pol,
		perKey:    map[string]int{},
		sweepStop: make(chan struct{}),
		sweepDone: make(chan struct{}),
	}
	empty := map[string]route{}
	s.routes.Store(&empty)
	s.sweepEvery = min(cfg.NegotiationTimeout, cfg.IdleTimeout, cfg.WriteStallTimeout, cfg.CloseTimeout) / 8
	s.sweepEvery = min(max(s.sweepEvery, 5*time.Millisecond), time.Second)
	go s.sweep()
	return s, nil
}

// Handle registers svc for routing websockets at path (matched exactly against the request
// URL path). A later Handle for the same path replaces the service for new connections.
func (s *Server) Handle(path string, svc Service) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	old := *s.routes.Load()
	next := make(map[string]route, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[path] = route{svc: svc, path: path}
	s.routes.Store(&next)
}

// route is a registered endpoint. Sessions keep its path string rather than the request's,
// which would keep the whole request line alive for as long as the connection lasts.
type route struct {
	svc  Service
	path string
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats {
	return Stats{
		Conns:           s.m.conns.Load(),
		ConnsTotal:      s.m.connsTotal.Load(),
		MessagesIn:      s.m.msgsIn.Load(),
		MessagesOut:     s.m.msgsOut.Load(),
		BytesIn:         s.m.bytesIn.Load(),
		BytesOut:        s.m.bytesOut.Load(),
		BacklogCloses:   s.m.backlogCloses.Load(),
		UpgradesFailed:  s.m.upgradeFailedN.Load(),
		LimitHits:       s.m.limitsN.Load(),
		DeflateSessions: s.m.deflateSessions.Load(),
	}
}

// NumSessions returns the number of sessions not yet ended.
func (s *Server) NumSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// Close refuses new upgrades, sends every session a 1001 close frame, waits up to
// CloseTimeout for the peers to answer, then aborts what is left and waits for every
// Service.Closed call. It returns after all server goroutines have stopped.
func (s *Server) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	s.mu.Lock()
	all := slices.Clone(s.sessions)
	s.mu.Unlock()
	for _, sess := range all {
		sess.closeWith(ws.StatusGoingAway, "server shutting down", false, nil)
	}
	deadline := time.Now().Add(s.cfg.CloseTimeout)
	for s.NumSessions() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	close(s.sweepStop)
	<-s.sweepDone
	return s.poller.Close(s.cfg.CloseTimeout + 5*time.Second)
}

// limit counts and logs a hit of the Config limit field.
func (s *Server) limit(field string, value int64, attrs ...any) {
	s.m.limitHits.WithLabelValues(field).Inc()
	s.m.limitsN.Add(1)
	attrs = append(attrs, "limit", field, "value", value)
	s.logs.log(s.log, slog.LevelWarn, "limit:"+field, "server: limit "+field+" hit", attrs...)
}

func (s *Server) addSession(sess *Session) {
	s.mu.Lock()
	sess.slot = len(s.sessions)
	s.sessions = append(s.sessions, sess)
	s.mu.Unlock()
}

func (s *Server) removeSession(sess *Session) {
	s.mu.Lock()
	if i := sess.slot; i >= 0 && i < len(s.sessions) && s.sessions[i] == sess {
		last := len(s.sessions) - 1
		s.sessions[i] = s.sessions[last]
		s.sessions[i].slot = i
		s.sessions[last] = nil
		s.sessions = s.sessions[:last]
		sess.slot = -1
	}
	s.mu.Unlock()
}

// sweep is the one timer of the server: every sweepEvery it checks each session's
// negotiation deadline, idle time, write stall and close handshake.
func (s *Server) sweep() {
	defer close(s.sweepDone)
	t := time.NewTicker(s.sweepEvery)
	defer t.Stop()
	var batch []*Session
	for {
		select {
		case <-s.sweepStop:
			return
		case <-t.C:
		}
		s.mu.Lock()
		batch = append(batch[:0], s.sessions...)
		s.mu.Unlock()
		now := netpoll.Now()
		for _, sess := range batch {
			sess.check(now)
		}
		clear(batch)
	}
}
