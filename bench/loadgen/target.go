package loadgen

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"
)

// Hard caps on every scenario, whatever the flags say.
const (
	MaxSubscribers = 200_000
	MaxConsumers   = 256
	MaxReaders     = 256
	MaxDuration    = 10 * time.Minute
	MaxRequests    = 10_000_000
)

// Target is the server under test.
type Target struct {
	Addr        string // host:port of the server; must be loopback
	StatsPath   string // default /api/ws/stats
	SearchPath  string // default /api/ws/search
	MetricsPath string // default /metrics; "-" disables the goroutine count
	PID         int    // server process; 0 finds the process listening on Addr's port
	Token       string // credential, if the server wants one
	Sources     int    // 127.0.0.x source addresses to spread connections over (default 8)
}

func (t *Target) check() error {
	if t.Addr == "" {
		return fmt.Errorf("loadgen: no target address")
	}
	return CheckLoopback(t.Addr)
}

func (t *Target) wsURL(path, def string) string {
	if path == "" {
		path = def
	}
	return "ws://" + t.Addr + path
}

// StatsURL returns the stats socket URL.
func (t *Target) StatsURL() string { return t.wsURL(t.StatsPath, "/api/ws/stats") }

// SearchURL returns the search socket URL.
func (t *Target) SearchURL() string { return t.wsURL(t.SearchPath, "/api/ws/search") }

func (t *Target) sources() []net.IP {
	n := t.Sources
	if n <= 0 {
		n = 8
	}
	return SourceAddrs(t.Addr, n)
}

// ServerSample is a snapshot of the server process. Goroutines is -1 when unknown.
type ServerSample struct {
	RSS        int64         `json:"rss_bytes"`
	CPU        time.Duration `json:"cpu_ns"`
	Goroutines int           `json:"goroutines"`
}

// server resolves the server's PID (once) and samples it. Failures become notes, never errors:
// a run against a server whose process is invisible still reports client-side figures.
type server struct {
	t     *Target
	pid   int
	notes *[]string
}

func newServer(t *Target, notes *[]string) *server {
	s := &server{t: t, pid: t.PID, notes: notes}
	if s.pid == 0 {
		_, port, err := net.SplitHostPort(t.Addr)
		p, err2 := strconv.Atoi(port)
		if err == nil && err2 == nil {
			s.pid, err = FindListenerPID(p)
		}
		if err != nil || err2 != nil {
			s.note("server process unknown, no RSS/CPU figures: %v", err)
		}
	}
	return s
}

func (s *server) note(format string, args ...any) {
	*s.notes = append(*s.notes, fmt.Sprintf(format, args...))
}

// cpu returns the server's CPU time so far; false when the process is unknown or unreadable
// (the failure becomes a note).
func (s *server) cpu() (time.Duration, bool) {
	if s.pid <= 0 {
		return 0, false
	}
	d, err := CPUTime(s.pid)
	if err != nil {
		s.note("%v", err)
		return 0, false
	}
	return d, true
}

func (s *server) sample(ctx context.Context) ServerSample {
	out := ServerSample{Goroutines: -1}
	if s.pid > 0 {
		var err error
		if out.RSS, err = RSS(s.pid); err != nil {
			s.note("%v", err)
		}
		if out.CPU, err = CPUTime(s.pid); err != nil {
			s.note("%v", err)
		}
	}
	if s.t.MetricsPath != "-" {
		path := s.t.MetricsPath
		if path == "" {
			path = "/metrics"
		}
		if g, err := Goroutines(ctx, "http://"+s.t.Addr+path); err == nil {
			out.Goroutines = g
		}
	}
	return out
}
