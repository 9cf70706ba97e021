package access

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// SessionCookie is the name of the web console's session cookie, set by StartSession after a
// login (POST /login) and cleared by EndSession (POST /logout).
const SessionCookie = "sluice_session"

// Session defaults (Config.SessionLifetime, Config.MaxSessions).
const (
	DefaultSessionLifetime = 12 * time.Hour
	DefaultMaxSessions     = 1024
)

// sessionIDLen is the length of a session ID: 32 random bytes in unpadded base64url.
const sessionIDLen = 43

// sessions maps the console's session IDs to principals. The cookie holds a random ID, never
// the token; the server keeps only the ID's SHA-256, the principal and the expiry, so neither
// the token nor a usable ID is in memory or in a log. Sessions end at their fixed expiry
// (Config.SessionLifetime from the login), at logout, or when the process restarts.
type sessions struct {
	mu       sync.Mutex
	m        map[[32]byte]session
	max      int
	lifetime time.Duration
	now      func() time.Time
}

type session struct {
	p       *Principal
	expires time.Time
}

func newSessions(max int, lifetime time.Duration) *sessions {
	if max <= 0 {
		max = DefaultMaxSessions
	}
	if lifetime <= 0 {
		lifetime = DefaultSessionLifetime
	}
	return &sessions{m: map[[32]byte]session{}, max: max, lifetime: lifetime, now: time.Now}
}

// ParseSessionID checks a session cookie's value: 43 base64url characters (32 bytes). It
// returns the key the session is kept under (the ID's SHA-256).
func ParseSessionID(v string) ([32]byte, bool) {
	var b [32]byte
	if len(v) != sessionIDLen {
		return [32]byte{}, false
	}
	if n, err := base64.RawURLEncoding.Decode(b[:], []byte(v)); err != nil || n != len(b) {
		return [32]byte{}, false
	}
	return sha256.Sum256([]byte(v)), true
}

// start creates a session for p and returns its ID and expiry; a full table (after expired
// sessions are dropped) is refused naming MaxSessions.
func (s *sessions) start(p *Principal) (string, time.Time, *Refusal) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", time.Time{}, &Refusal{Status: http.StatusServiceUnavailable, Reason: "session",
			Message: "access: cannot read random bytes for a session: " + err.Error()}
	}
	id := base64.RawURLEncoding.EncodeToString(b[:])
	now := s.now()
	exp := now.Add(s.lifetime)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= s.max {
		for k, v := range s.m {
			if !now.Before(v.expires) {
				delete(s.m, k)
			}
		}
	}
	if len(s.m) >= s.max {
		return "", time.Time{}, &Refusal{Status: http.StatusServiceUnavailable, Reason: "session",
			Message: "access: limit MaxSessions=" + strconv.Itoa(s.max) + " reached: too many console sessions; try again once some expire or log out"}
	}
	s.m[sha256.Sum256([]byte(id))] = session{p: p, expires: exp}
	return id, exp, nil
}

// lookup returns the principal of a live session ID, or nil and why not.
func (s *sessions) lookup(id string) (*Principal, string) {
	k, ok := ParseSessionID(id)
	if !ok {
		return nil, "access: malformed session cookie; log in again"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[k]
	if !ok {
		return nil, "access: unknown session (logged out, or the server restarted); log in again"
	}
	if !s.now().Before(v.expires) {
		delete(s.m, k)
		return nil, "access: session expired; log in again"
	}
	return v.p, ""
}

// end drops the session with ID id, if any.
func (s *sessions) end(id string) {
	if k, ok := ParseSessionID(id); ok {
		s.mu.Lock()
		delete(s.m, k)
		s.mu.Unlock()
	}
}

// count returns the sessions held (expired ones not yet dropped included).
func (s *sessions) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// Verify returns the principal whose token is token, or nil. In loopback mode (Open) it
// returns Local whatever the token.
func (pol *Policy) Verify(token string) *Principal {
	if pol.Open() {
		return Local
	}
	if token == "" {
		return nil
	}
	return pol.lookup(token)
}

// StartSession starts a console session for p and sets its cookie on w: HttpOnly,
// SameSite=Strict, Path=/, Secure when r came over TLS, expiring with the session. The cookie
// holds a random session ID, never the token.
func (pol *Policy) StartSession(w http.ResponseWriter, r *http.Request, p *Principal) *Refusal {
	id, exp, ref := pol.sessions.start(p)
	if ref != nil {
		return ref
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: id, Path: "/", Expires: exp,
		MaxAge: int(pol.sessions.lifetime / time.Second), HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	return nil
}

// EndSession ends the session r's cookie names (if any) and clears the cookie on w.
func (pol *Policy) EndSession(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		pol.sessions.end(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
}

// Sessions returns how many console sessions the policy holds.
func (pol *Policy) Sessions() int { return pol.sessions.count() }

// ConsolePublic reports Config.ConsolePublic.
func (pol *Policy) ConsolePublic() bool { return pol.consolePublic }

// SessionLifetime returns how long a console session lasts (Config.SessionLifetime).
func (pol *Policy) SessionLifetime() time.Duration { return pol.sessions.lifetime }
