package server

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's counters. Hot-path counters are plain atomics exported through
// CounterFuncs (read at scrape time); rare events use labelled vectors.
type metrics struct {
	conns, connsTotal       atomic.Int64
	msgsIn, msgsOut         atomic.Uint64
	bytesIn, bytesOut       atomic.Uint64
	backlogCloses           atomic.Uint64
	dropped                 *prometheus.CounterVec // reason
	upgradeFailed           *prometheus.CounterVec // reason
	limitHits               *prometheus.CounterVec // limit (Config field)
	closeCodes              *prometheus.CounterVec // code
	deflateSessions         atomic.Int64
	upgradeFailedN, limitsN atomic.Uint64
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_ws_messages_dropped_total",
			Help: "Inbound websocket messages dropped, by reason (unregistered channel, malformed envelope).",
		}, []string{"reason"}),
		upgradeFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_ws_upgrades_failed_total",
			Help: "Websocket upgrade requests refused, by reason.",
		}, []string{"reason"}),
		limitHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_ws_limit_hits_total",
			Help: "Times a configured limit was hit, by Config field name.",
		}, []string{"limit"}),
		closeCodes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_ws_close_codes_sent_total",
			Help: "Websocket close frames sent, by status code.",
		}, []string{"code"}),
	}
	if reg == nil {
		return m, nil
	}
	u := func(name, help string, v *atomic.Uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(v.Load()) })
	}
	cs := []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sluice_ws_connections",
			Help: "Websocket connections open now (including upgrades in progress).",
		}, func() float64 { return float64(m.conns.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "sluice_ws_connections_total",
			Help: "Websocket connections upgraded since start.",
		}, func() float64 { return float64(m.connsTotal.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sluice_ws_deflate_sessions",
			Help: "Open websocket sessions with permessage-deflate.",
		}, func() float64 { return float64(m.deflateSessions.Load()) }),
		u("sluice_ws_messages_received_total", "Websocket messages received.", &m.msgsIn),
		u("sluice_ws_messages_sent_total", "Websocket messages sent (queued or written).", &m.msgsOut),
		u("sluice_ws_received_bytes_total", "Bytes read from websocket connections.", &m.bytesIn),
		u("sluice_ws_sent_bytes_total", "Frame bytes sent (queued or written) to websocket connections.", &m.bytesOut),
		u("sluice_ws_backlog_closes_total", "Sessions closed because their backlog passed MaxBacklogBytes.", &m.backlogCloses),
		m.dropped, m.upgradeFailed, m.limitHits, m.closeCodes,
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) closeCode(code uint16) {
	m.closeCodes.WithLabelValues(strconv.Itoa(int(code))).Inc()
}

// Stats is a snapshot of a Server's counters.
type Stats struct {
	Conns, ConnsTotal int64
	MessagesIn        uint64
	MessagesOut       uint64
	BytesIn, BytesOut uint64
	BacklogCloses     uint64
	UpgradesFailed    uint64
	LimitHits         uint64
	DeflateSessions   int64
}

// logLimiter lets at most one line per key per second through and reports how many were
// suppressed in between, so a flood of bad clients cannot flood the log.
// LogLimited logs msg at level on the server's logger, at most once a second per key (later
// lines within the second are counted and reported with the next one), so that a flood of
// bad requests cannot flood the log.
func (s *Server) LogLimited(level slog.Level, key, msg string, attrs ...any) {
	s.logs.log(s.log, level, key, msg, attrs...)
}

type logLimiter struct {
	mu   sync.Mutex
	keys map[string]*logState
}

type logState struct {
	last       time.Time
	suppressed int
}

func (l *logLimiter) log(lg *slog.Logger, level slog.Level, key, msg string, attrs ...any) {
	now := time.Now()
	l.mu.Lock()
	if l.keys == nil {
		l.keys = make(map[string]*logState)
	}
	st := l.keys[key]
	if st == nil {
		if len(l.keys) > 1024 {
			clear(l.keys)
		}
		st = &logState{}
		l.keys[key] = st
	}
	if now.Sub(st.last) < time.Second {
		st.suppressed++
		l.mu.Unlock()
		return
	}
	st.last = now
	n := st.suppressed
	st.suppressed = 0
	l.mu.Unlock()
	if n > 0 {
		attrs = append(attrs, "suppressed", n)
	}
	lg.Log(context.Background(), level, msg, attrs...)
}
