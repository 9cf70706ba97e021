package access

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func sessionPolicy(t *testing.T, max int, lifetime time.Duration) *Policy {
	t.Helper()
	pol, err := NewPolicy(Config{MaxSessions: max, SessionLifetime: lifetime, Principals: []PrincipalConfig{
		{Name: "alice", UID: 10, GIDs: []int32{100}, TokenHash: HashToken("tok-alice")}}})
	if err != nil {
		t.Fatal(err)
	}
	return pol
}

// login starts a session for alice on pol and returns its cookie.
func login(t *testing.T, pol *Policy, tlsOn bool) *http.Cookie {
	t.Helper()
	r := httptest.NewRequest("POST", "http://127.0.0.1:8012/login", nil)
	if tlsOn {
		r.TLS = &tls.ConnectionState{}
	}
	w := httptest.NewRecorder()
	if ref := pol.StartSession(w, r, pol.Verify("tok-alice")); ref != nil {
		t.Fatal(ref)
	}
	cs := w.Result().Cookies()
	if len(cs) != 1 {
		t.Fatalf("cookies %v", cs)
	}
	return cs[0]
}

// TestSessionCookie: the cookie's attributes, a random value that is not the token, and the
// principal it authenticates.
func TestSessionCookie(t *testing.T) {
	pol := sessionPolicy(t, 0, 0)
	c := login(t, pol, false)
	if c.Name != SessionCookie || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure ||
		c.MaxAge != int(DefaultSessionLifetime/time.Second) || c.Expires.IsZero() {
		t.Errorf("cookie %+v", c)
	}
	if c.Value == "tok-alice" || strings.Contains(c.Value, "alice") {
		t.Errorf("cookie value %q holds the token or the name", c.Value)
	}
	if c2 := login(t, pol, false); c2.Value == c.Value {
		t.Error("two logins got the same session ID")
	}
	if c := login(t, pol, true); !c.Secure {
		t.Error("a login over TLS got a cookie without Secure")
	}
	r := httptest.NewRequest("GET", "http://127.0.0.1:8012/api/tags", nil)
	r.AddCookie(c)
	if p, ref := pol.Admit(r); ref != nil || p.Name != "alice" {
		t.Fatalf("Admit with the cookie: %v %v", p, ref)
	}
	// A header credential wins over the cookie; a wrong one is not rescued by it.
	r.Header.Set("Authorization", "Bearer wrong")
	if _, ref := pol.Admit(r); ref == nil || ref.Status != 401 {
		t.Errorf("a wrong bearer token with a good cookie: %v, want 401", ref)
	}
}

// TestSessionCSRF: a state-changing request authenticated by the cookie needs an Origin, and
// an allowed one; a safe one does not.
func TestSessionCSRF(t *testing.T) {
	pol := sessionPolicy(t, 0, 0)
	c := login(t, pol, false)
	for _, tc := range []struct {
		method, origin string
		status         int
	}{
		{"GET", "", 0},
		{"POST", "", 403},
		{"DELETE", "", 403},
		{"POST", "http://evil.example", 403},
		{"POST", "http://127.0.0.1:8012", 0},
	} {
		r := httptest.NewRequest(tc.method, "http://127.0.0.1:8012/api/searchctrl/launch", nil)
		r.AddCookie(c)
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		_, ref := pol.Admit(r)
		got := 0
		if ref != nil {
			got = ref.Status
		}
		if got != tc.status {
			t.Errorf("%s Origin %q with the cookie: %v, want %d", tc.method, tc.origin, ref, tc.status)
		}
	}
	// A token in a header needs no Origin (it is not something a browser adds by itself).
	r := httptest.NewRequest("POST", "http://127.0.0.1:8012/api/searchctrl/launch", nil)
	r.Header.Set("Authorization", "Bearer tok-alice")
	if _, ref := pol.Admit(r); ref != nil {
		t.Errorf("POST with a bearer token and no Origin: %v", ref)
	}
}

// TestSessionLifecycle: expiry, logout and MaxSessions (expired sessions make room).
func TestSessionLifecycle(t *testing.T) {
	pol := sessionPolicy(t, 2, time.Hour)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	pol.sessions.now = func() time.Time { return now }
	alice := pol.Verify("tok-alice")
	if alice == nil || pol.Verify("tok-bob") != nil || pol.Verify("") != nil {
		t.Fatal("Verify")
	}
	a, _, ref := pol.sessions.start(alice)
	b, _, ref2 := pol.sessions.start(alice)
	if ref != nil || ref2 != nil {
		t.Fatal(ref, ref2)
	}
	_, _, ref = pol.sessions.start(alice)
	if ref == nil || ref.Status != http.StatusServiceUnavailable || !strings.Contains(ref.Message, "MaxSessions=2") {
		t.Fatalf("a third session: %v, want 503 naming MaxSessions", ref)
	}
	if p, _ := pol.sessions.lookup(a); p != alice {
		t.Fatal("session a")
	}
	now = now.Add(30 * time.Minute)
	pol.sessions.end(a)
	if p, why := pol.sessions.lookup(a); p != nil || !strings.Contains(why, "unknown session") {
		t.Errorf("after logout: %v %q", p, why)
	}
	now = now.Add(31 * time.Minute) // past b's hour
	if p, why := pol.sessions.lookup(b); p != nil || !strings.Contains(why, "expired") {
		t.Errorf("after expiry: %v %q", p, why)
	}
	if _, _, ref := pol.sessions.start(alice); ref != nil {
		t.Errorf("a new session once the others ended: %v", ref)
	}
	if p, why := pol.sessions.lookup("not-a-session"); p != nil || !strings.Contains(why, "malformed") {
		t.Errorf("malformed ID: %v %q", p, why)
	}
	// Expired sessions nobody looks up again are dropped when the table is full.
	now = now.Add(2 * time.Hour)
	for range 2 {
		if _, _, ref := pol.sessions.start(alice); ref != nil {
			t.Fatalf("start after every session expired: %v", ref)
		}
	}
	if n := pol.Sessions(); n != 2 {
		t.Errorf("%d sessions held, want 2", n)
	}
}

// FuzzParseSessionID: the session cookie's value is attacker-controlled. ParseSessionID never
// panics, accepts exactly 43 base64url characters, and an accepted value round-trips.
func FuzzParseSessionID(f *testing.F) {
	pol, _ := NewPolicy(Config{})
	id, _, _ := pol.sessions.start(Local)
	for _, s := range []string{id, "", "x", strings.Repeat("A", 43), strings.Repeat("_", 43), strings.Repeat("=", 43),
		strings.Repeat("A", 42) + "B", strings.Repeat("A", 44), strings.Repeat("é", 22)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		k, ok := ParseSessionID(v)
		if !ok {
			if k != ([32]byte{}) {
				t.Fatal("a refused value has a key")
			}
			return
		}
		if len(v) != sessionIDLen {
			t.Fatalf("accepted %d characters", len(v))
		}
		for _, r := range v {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				t.Fatalf("accepted %q", v)
			}
		}
		if p, _ := pol.sessions.lookup(v); p != nil && v != id {
			t.Fatalf("%q found the session of %q", v, id)
		}
	})
}
