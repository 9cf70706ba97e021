package server

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/sluicehq/sluice/engine/access"
	"github.com/sluicehq/sluice/wire"
)

// handshakeTimeout bounds writing the 101 response.
const handshakeTimeout = 5 * time.Second

// ServeHTTP upgrades a request for a path registered with Handle to a routing websocket.
// Refusals, in this order (PROTOCOL.md §1.2): unknown path 404; not a websocket upgrade
// (a plain GET) 400; then access.Policy.Admit: Host not allowed 403, Origin not allowed 403,
// missing or invalid credential 401 with body {"Error":"<reason>"}; MaxConns reached or server
// closing 503. The admitted principal is the session's (Session.Principal).
// A malformed handshake (bad key or version) is answered by gobwas/ws with 400 or 426.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt := (*s.routes.Load())[r.URL.Path]
	svc := rt.svc
	if svc == nil {
		s.refuse(w, r, http.StatusNotFound, "not_found", "server: no websocket endpoint at "+strconv.Quote(r.URL.Path))
		return
	}
	if !isUpgrade(r) {
		s.refuse(w, r, http.StatusBadRequest, "not_upgrade", "server: websocket upgrade required (GET with Upgrade: websocket and Connection: Upgrade)")
		return
	}
	// A request that came through access.Policy.Handler was admitted there already.
	p := access.FromContext(r.Context())
	if p == nil {
		var ref *access.Refusal
		if p, ref = s.access.Admit(r); ref != nil {
			s.refuse(w, r, ref.Status, ref.Reason, ref.Message)
			return
		}
	}
	if s.closed.Load() {
		s.refuse(w, r, http.StatusServiceUnavailable, "closing", "server: shutting down")
		return
	}
	if n := s.reserved.Add(1); n > int64(s.cfg.MaxConns) {
		s.reserved.Add(-1)
		s.limit("MaxConns", int64(s.cfg.MaxConns), "remote", r.RemoteAddr)
		s.refuse(w, r, http.StatusServiceUnavailable, "max_conns", "server: too many connections (MaxConns "+strconv.Itoa(s.cfg.MaxConns)+")")
		return
	}
	s.m.conns.Add(1)
	key := access.LimitKey(p, r.RemoteAddr)
	if !s.reserveKey(key) {
		s.unreserve("")
		s.limit("MaxConnsPerPrincipal", int64(s.cfg.MaxConnsPerPrincipal), "principal", key)
		s.refuse(w, r, http.StatusTooManyRequests, "max_conns_per_principal", "server: too many connections for "+
			key+" (MaxConnsPerPrincipal "+strconv.Itoa(s.cfg.MaxConnsPerPrincipal)+")")
		return
	}

	u := ws.HTTPUpgrader{Timeout: handshakeTimeout}
	if p := firstProtocol(r.Header); p != "" {
		u.Header = http.Header{"Sec-Websocket-Protocol": {p}}
	}
	deflate := false
	if s.cfg.Compression.Enabled() {
		u.Negotiate = func(opt httphead.Option) (httphead.Option, error) { return negotiateDeflate(opt, &deflate) }
	}
	conn, rw, _, err := u.Upgrade(r, w)
	if err != nil {
		if conn != nil {
			conn.Close()
		}
		s.unreserve(key)
		s.upgradeFailed("handshake", r, err.Error())
		return
	}
	var pre []byte
	if rw != nil && rw.Reader.Buffered() > 0 {
		// A client may send its Subs right behind the handshake; those bytes are in the HTTP
		// server's buffer, not in the socket.
		b, _ := rw.Reader.Peek(rw.Reader.Buffered())
		pre = bytes.Clone(b)
	}
	sess := s.newSession(svc, rt.path, deflate, p)
	sess.key = key
	s.m.connsTotal.Add(1)
	if deflate {
		s.m.deflateSessions.Add(1)
	}
	if _, err := s.poller.Add(conn, sess, pre); err != nil {
		s.removeSession(sess)
		if deflate {
			s.m.deflateSessions.Add(-1)
		}
		s.unreserve(key)
		s.upgradeFailed("poller", r, err.Error())
	}
}

// reserveKey counts one more connection for limit key, unless that passes MaxConnsPerPrincipal.
func (s *Server) reserveKey(key string) bool {
	s.kmu.Lock()
	defer s.kmu.Unlock()
	if s.perKey[key] >= s.cfg.MaxConnsPerPrincipal {
		return false
	}
	s.perKey[key]++
	return true
}

// unreserve releases a connection's MaxConns slot and, when key is set, its
// MaxConnsPerPrincipal slot.
func (s *Server) unreserve(key string) {
	s.reserved.Add(-1)
	s.m.conns.Add(-1)
	if key == "" {
		return
	}
	s.kmu.Lock()
	if s.perKey[key]--; s.perKey[key] <= 0 {
		delete(s.perKey, key)
	}
	s.kmu.Unlock()
}

// refuse answers a request that is not upgraded: text body, or {"Error":...} for 401.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, reason, msg string) {
	s.upgradeFailed(reason, r, msg)
	h := w.Header()
	if status == http.StatusUnauthorized {
		h.Set("Content-Type", "application/json")
		h.Set("WWW-Authenticate", `Bearer realm="sluice"`) // RFC 9110 §15.5.2
		w.WriteHeader(status)
		b := wire.GetBuffer()
		b.B = append(b.B[:0], `{"Error":`...)
		b.B = wire.AppendString(b.B, msg)
		b.B = append(b.B, "}\n"...)
		w.Write(b.B)
		wire.PutBuffer(b)
		return
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	if status == http.StatusBadRequest {
		h.Set("Sec-WebSocket-Version", "13")
	}
	w.WriteHeader(status)
	w.Write([]byte(msg + "\n"))
}

func (s *Server) upgradeFailed(reason string, r *http.Request, msg string) {
	s.m.upgradeFailed.WithLabelValues(reason).Inc()
	s.m.upgradeFailedN.Add(1)
	s.logs.log(s.log, levelInfo, "upgrade:"+reason, "server: websocket upgrade refused",
		"reason", reason, "path", r.URL.Path, "remote", r.RemoteAddr, "err", msg)
}

// isUpgrade reports whether r asks for a websocket upgrade (RFC 6455 §4.2.1 items 1, 3, 4).
func isUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet &&
		headerHasToken(r.Header, "Upgrade", "websocket") &&
		headerHasToken(r.Header, "Connection", "upgrade")
}

func headerHasToken(h http.Header, key, token string) bool {
	for _, v := range h.Values(key) {
		for v != "" {
			var t string
			t, v, _ = strings.Cut(v, ",")
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// firstProtocol returns the first non-empty Sec-WebSocket-Protocol token (PROTOCOL.md §1.2
// rule 2), echoed byte for byte in the 101 response; "" when the header is absent or empty.
func firstProtocol(h http.Header) string {
	for _, v := range h.Values("Sec-WebSocket-Protocol") {
		for v != "" {
			var t string
			t, v, _ = strings.Cut(v, ",")
			if t = strings.TrimSpace(t); t != "" {
				return t
			}
		}
	}
	return ""
}
