package engine

import (
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicehq/sluice/engine/access"
	"github.com/sluicehq/sluice/engine/search"
	"github.com/sluicehq/sluice/web"
)

// newPolicy builds the engine's access policy from Config.Access, adding the legacy
// Server.Tokens and Server.AllowedOrigins.
func newPolicy(cfg *Config) (*access.Policy, error) {
	ac := cfg.Access
	ac.Tokens = append(append([]string(nil), ac.Tokens...), cfg.Server.Tokens...)
	ac.AllowedOrigins = append(append([]string(nil), ac.AllowedOrigins...), cfg.Server.AllowedOrigins...)
	if d := clusterDelegate(cfg); d != nil {
		ac.Delegate = d
	}
	return access.NewPolicy(ac)
}

// guard puts every route behind the access policy: Host and Origin rules for all of them, and
// a principal in the request's context (access.FromContext). The login page, its stylesheet
// and POST /login and /logout need no credential (Host and Origin still hold); /metrics is
// public only with MetricsPublic, the console's files (/, /console/…) only with ConsolePublic:
// a browser navigating to them without a credential is sent to /login. Websocket routes go to
// the websocket server, which admits them with the same Policy.Admit and counts refusals in
// sluice_ws_upgrades_failed_total.
func (e *Engine) guard(h http.Handler, reg prometheus.Registerer) http.Handler {
	refused := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluice_http_refused_total",
		Help: "HTTP requests (websocket upgrades included) refused by the access policy, by reason: host, origin, auth."},
		[]string{"reason"})
	reg.MustRegister(refused)
	public := func(r *http.Request) bool {
		switch p := r.URL.Path; {
		case r.Method == http.MethodPost && (p == web.LoginPath || p == web.LogoutPath):
			return true // they check the token, or end a session, themselves
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			return false
		case web.Public(p):
			return true
		case p == "/metrics":
			return e.access.MetricsPublic()
		}
		return e.access.ConsolePublic() && web.Console(r.URL.Path)
	}
	login := func(r *http.Request) string {
		if web.Console(r.URL.Path) {
			return web.LoginPath
		}
		return ""
	}
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := access.FromContext(r.Context()); p != nil {
			e.metrics.principalRequests.WithLabelValues(p.Name).Inc()
		}
		h.ServeHTTP(w, r)
	})
	guarded := e.access.Handler(counted, access.HandlerOptions{Public: public, Login: login, OnRefuse: func(r *http.Request, ref *access.Refusal) {
		refused.WithLabelValues(ref.Reason).Inc()
		e.srv.LogLimited(slog.LevelInfo, "refused:"+ref.Reason, "request refused", "reason", ref.Reason,
			"method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "err", ref.Message)
	}})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slices.Contains(wsPaths, r.URL.Path) {
			e.srv.ServeHTTP(w, r) // admitted by the server: same Policy.Admit
			return
		}
		guarded.ServeHTTP(w, r)
	})
}

// loginRoutes serves the console's login: GET /login (the page), POST /login (the token from
// its form: a valid one starts a session, sets its cookie and goes to /; an invalid one shows
// the page again with 401 and the reason) and POST /logout (ends the session, clears the
// cookie, goes to /login). Logins are logged and counted by principal and outcome in
// sluice_console_logins_total; neither the token nor the session ID is ever logged.
func (e *Engine) loginRoutes(reg prometheus.Registerer) {
	logins := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluice_console_logins_total",
		Help: "Console logins (POST /login) by outcome: ok, invalid (a wrong token), or the limit refused (MaxSessions)."},
		[]string{"outcome"})
	reg.MustRegister(logins, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sluice_console_sessions",
		Help: "Console sessions held (at most MaxSessions)."}, func() float64 { return float64(e.access.Sessions()) }))
	pol := e.access
	page := func(w http.ResponseWriter, status int, msg string) {
		web.LoginPage(w, status, msg, pol.Open(), pol.SessionLifetime())
	}
	e.mux.HandleFunc("GET "+web.LoginPath, func(w http.ResponseWriter, r *http.Request) {
		page(w, http.StatusOK, "")
	})
	e.mux.HandleFunc("POST "+web.LoginPath, func(w http.ResponseWriter, r *http.Request) {
		if pol.Open() {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
		p := pol.Verify(strings.TrimSpace(r.PostFormValue("token")))
		if p == nil {
			logins.WithLabelValues("invalid").Inc()
			e.srv.LogLimited(slog.LevelInfo, "login:invalid", "console login refused: invalid token", "remote", r.RemoteAddr)
			page(w, http.StatusUnauthorized, "That token is not valid. Check that it was pasted whole and try again.")
			return
		}
		if ref := pol.StartSession(w, r, p); ref != nil {
			logins.WithLabelValues("MaxSessions").Inc()
			e.srv.LogLimited(slog.LevelWarn, "login:limit", "console login refused", "principal", p.Name, "err", ref.Message)
			page(w, ref.Status, ref.Message)
			return
		}
		logins.WithLabelValues("ok").Inc()
		e.log.Info("console login", "principal", p.Name, "remote", r.RemoteAddr)
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	e.mux.HandleFunc("POST "+web.LogoutPath, func(w http.ResponseWriter, r *http.Request) {
		pol.EndSession(w, r)
		if p := access.FromContext(r.Context()); p != nil {
			e.log.Info("console logout", "principal", p.Name, "remote", r.RemoteAddr)
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, web.LoginPath, http.StatusSeeOther)
	})
}

// meterSearchCPU counts every search's CPU time (search.ManagerConfig.OnSearchCPU) in
// sluice_search_cpu_seconds_total, by the principal that launched it (its name, from the
// search's UID: never a token), keeping any OnSearchCPU the embedder set.
func (e *Engine) meterSearchCPU(sc *search.ManagerConfig, reg prometheus.Registerer) {
	cpu := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluice_search_cpu_seconds_total",
		Help: "CPU time of search runs as the kernel accounts it (per-thread CPU clocks, the time MaxSearchCPU bounds), by principal name."},
		[]string{"principal"})
	reg.MustRegister(cpu)
	user := sc.OnSearchCPU
	sc.OnSearchCPU = func(s *search.Search, used time.Duration) {
		cpu.WithLabelValues(e.principalName(s.UID)).Add(used.Seconds())
		if user != nil {
			user(s, used)
		}
	}
}

// principalName names the principal with the given UID: a configured principal's name, or
// "local" (loopback mode) or "anonymous" (legacy tokens) for UID 0.
func (e *Engine) principalName(uid int32) string {
	for _, p := range e.access.Principals() {
		if p.UID == uid {
			return p.Name
		}
	}
	if e.access.Open() {
		return access.Local.Name
	}
	return access.Anonymous.Name
}

// throttleIngest counts the ingest body bytes of each principal and, with t set
// (Access.MaxIngestBytesPerSecond), slows each principal's bodies to its rate. A throttled
// request is logged and counted in sluice_principal_limit_hits_total, and its reply carries
// "Sluice-Limit: MaxIngestBytesPerSecond".
func (e *Engine) throttleIngest(h http.Handler, t *access.Throttle) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := access.FromContext(r.Context())
		name := "unknown"
		if p != nil {
			name = p.Name
		}
		body := io.Reader(r.Body)
		if t != nil {
			key := access.LimitKey(p, r.RemoteAddr)
			body = t.Reader(r.Context(), key, body, func() {
				w.Header().Set("Sluice-Limit", "MaxIngestBytesPerSecond")
				e.metrics.principalLimits.WithLabelValues(name, "MaxIngestBytesPerSecond").Inc()
				e.srv.LogLimited(slog.LevelInfo, "throttle:"+key, "ingest slowed: limit reached", "limit", "MaxIngestBytesPerSecond",
					"value", t.Rate(), "principal", name, "key", key)
			})
		}
		r.Body = countedBody{body, r.Body, e.metrics.principalIngest.WithLabelValues(name)}
		h.ServeHTTP(w, r)
	})
}

// countedBody is a request body whose bytes are counted.
type countedBody struct {
	r io.Reader
	c io.Closer
	n prometheus.Counter
}

func (b countedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n.Add(float64(n))
	return n, err
}

func (b countedBody) Close() error { return b.c.Close() }
