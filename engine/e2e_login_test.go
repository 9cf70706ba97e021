package engine_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/access"
)

// noFollow sends one request and returns its response without following redirects.
func noFollow(t *testing.T, method, u string, hdr http.Header, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	cl := &http.Client{Transport: httpTransport, Timeout: readTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestAccessConsoleLogin: with principals configured, the console's page and files need a
// principal; a browser is sent to /login, whose form posts the token; a valid one gets a
// session cookie (HttpOnly, SameSite=Strict, Path=/, bounded, never the token) that then
// authenticates the page, the REST routes and the websockets; a wrong one gets 401 and the
// page again; a cross-origin login is refused; a cookie-authenticated state change needs an
// Origin; logout ends the session. Logs and /metrics name the principal, never the token or
// the session ID.
func TestAccessConsoleLogin(t *testing.T) {
	logs := &lockedBuf{}
	ts := startServer(t, func(c *engine.Config) {
		withPrincipals(c)
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	u := ts.srv.URL
	nav := http.Header{"Accept": {"text/html"}, "Sec-Fetch-Mode": {"navigate"}, "Sec-Fetch-Site": {"none"}}

	// No credential: a browser navigating to the console is sent to the login page; a script
	// and the console's files get 401; the login page and its stylesheet are served.
	resp, _ := noFollow(t, "GET", u+"/", nav, "")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("GET / (navigating) without a credential: %d Location %q, want 303 /login", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, path := range []string{"/", "/console/app.js", "/console/style.css", "/favicon.ico", "/api/tags"} {
		if resp, body := noFollow(t, "GET", u+path, nil, ""); resp.StatusCode != http.StatusUnauthorized || strings.Contains(body, "import") {
			t.Errorf("GET %s without a credential: %d", path, resp.StatusCode)
		}
	}
	resp, body := noFollow(t, "GET", u+"/login", nav, "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `action="/login"`) || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "form-action 'self'") {
		t.Fatalf("GET /login: %d %q", resp.StatusCode, body)
	}
	if resp, _ := noFollow(t, "GET", u+"/login.css", nil, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /login.css: %d", resp.StatusCode)
	}

	form := func(token string) string { return url.Values{"token": {token}}.Encode() }
	post := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {u}}

	// A wrong token: 401, the page again with the reason, no cookie.
	resp, body = noFollow(t, "POST", u+"/login", post, form("tok-wrong"))
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "That token is not valid") || len(resp.Cookies()) != 0 {
		t.Fatalf("POST /login with a wrong token: %d cookies %v body %q", resp.StatusCode, resp.Cookies(), body)
	}
	// A cross-origin login (another page posting the form): refused before the token is looked at.
	xo := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {"http://evil.example"}, "Sec-Fetch-Site": {"cross-site"}}
	if resp, _ := noFollow(t, "POST", u+"/login", xo, form("tok-alice")); resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
		t.Fatalf("cross-origin POST /login: %d cookies %v, want 403 and none", resp.StatusCode, resp.Cookies())
	}

	// The right token: a session cookie and a redirect to the console.
	resp, _ = noFollow(t, "POST", u+"/login", post, form("tok-alice"))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("POST /login: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var ck *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == access.SessionCookie {
			ck = c
		}
	}
	if ck == nil {
		t.Fatalf("no %s cookie in %v", access.SessionCookie, resp.Header["Set-Cookie"])
	}
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.MaxAge <= 0 || ck.MaxAge > 12*3600 || ck.Secure {
		t.Errorf("cookie attributes %+v", ck)
	}
	if strings.Contains(ck.Value, "tok-alice") || len(ck.Value) != 43 {
		t.Errorf("cookie value %q", ck.Value)
	}
	withCookie := func(h http.Header) http.Header {
		h = h.Clone()
		if h == nil {
			h = http.Header{}
		}
		h.Set("Cookie", ck.Name+"="+ck.Value)
		return h
	}

	// The cookie authenticates the console, its files and the REST routes it calls.
	for _, path := range []string{"/", "/console/app.js", "/api/tags"} {
		if resp, _ := noFollow(t, "GET", u+path, withCookie(nav), ""); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s with the session cookie: %d", path, resp.StatusCode)
		}
	}
	if _, body := noFollow(t, "GET", u+"/", withCookie(nil), ""); !strings.Contains(body, `name="sluice-login" content="true"`) {
		t.Error("the page served behind the login does not say so (no Log out button)")
	}
	// ... and the websockets: a browser sends the cookie and its Origin on the upgrade.
	conn, wresp, err := dialWith(t, ts.url+"/api/ws/search", withCookie(http.Header{"Origin": {u}}), nil)
	if err != nil {
		t.Fatalf("websocket with the session cookie: %v %+v", err, wresp)
	}
	negotiate(t, conn, "PONG")
	// A state-changing request authenticated by the cookie alone needs an Origin (CSRF).
	if _, wresp, err := dialWith(t, ts.url+"/api/ws/search", withCookie(nil), nil); err == nil || wresp == nil || wresp.StatusCode != http.StatusForbidden {
		t.Errorf("websocket with the cookie and no Origin: %v, want 403", wresp)
	}
	launch := `{"SearchString":"tag=app","SearchStart":"2024-05-01T09:00:00Z","SearchEnd":"2024-05-01T10:00:00Z","Background":true}`
	if resp, body := noFollow(t, "POST", u+"/api/searchctrl/launch", withCookie(nil), launch); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Origin") {
		t.Errorf("POST launch with the cookie and no Origin: %d %s", resp.StatusCode, body)
	}
	if resp, body := noFollow(t, "POST", u+"/api/searchctrl/launch", withCookie(http.Header{"Origin": {"http://evil.example"}}), launch); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST launch with the cookie from another origin: %d %s", resp.StatusCode, body)
	}
	if resp, body := noFollow(t, "POST", u+"/api/searchctrl/launch", withCookie(http.Header{"Origin": {u}}), launch); resp.StatusCode != http.StatusOK {
		t.Errorf("POST launch with the cookie and its own Origin: %d %s", resp.StatusCode, body)
	}
	// A token in a header still works without any cookie.
	if resp, _ := noFollow(t, "GET", u+"/console/app.js", bearer("tok-bob"), ""); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /console/app.js with a bearer token: %d", resp.StatusCode)
	}

	_, metrics := noFollow(t, "GET", u+"/metrics", bearer("tok-root"), "")
	for _, want := range []string{`sluice_console_logins_total{outcome="ok"} 1`, `sluice_console_logins_total{outcome="invalid"} 1`,
		"sluice_console_sessions 1", `sluice_principal_http_requests_total{principal="alice"}`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	// Logout ends the session: the old cookie no longer works and is cleared.
	resp, _ = noFollow(t, "POST", u+"/logout", withCookie(http.Header{"Origin": {u}}), "")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("POST /logout: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if cs := resp.Cookies(); len(cs) != 1 || cs[0].Name != access.SessionCookie || cs[0].MaxAge >= 0 {
		t.Errorf("logout cookies %v: want %s cleared", cs, access.SessionCookie)
	}
	if resp, _ := noFollow(t, "GET", u+"/", withCookie(nav), ""); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("GET / with the ended session's cookie: %d, want 303 to /login", resp.StatusCode)
	}
	if resp, body := noFollow(t, "GET", u+"/api/tags", withCookie(nil), ""); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "log in again") {
		t.Errorf("GET /api/tags with the ended session's cookie: %d %s", resp.StatusCode, body)
	}

	l := logs.String()
	for _, secret := range []string{"tok-alice", "tok-wrong", ck.Value} {
		if strings.Contains(l, secret) || strings.Contains(metrics, secret) {
			t.Errorf("a token or session ID (%q) is in the log or /metrics", secret)
		}
	}
	for _, want := range []string{`msg="console login" principal=alice`, `msg="console logout" principal=alice`, "console login refused: invalid token"} {
		if !strings.Contains(l, want) {
			t.Errorf("the log lacks %q", want)
		}
	}
}

// TestAccessConsolePublic: ConsolePublic serves the console without a credential (its page then
// uses a token from its token box); MetricsPublic opens /metrics only, not the console.
func TestAccessConsolePublic(t *testing.T) {
	for _, tc := range []struct {
		console, metrics bool
		page, met        int
	}{{true, false, 200, 401}, {false, true, 401, 200}} {
		ts := startServer(t, func(c *engine.Config) {
			withPrincipals(c)
			c.Access.ConsolePublic, c.Access.MetricsPublic = tc.console, tc.metrics
		})
		resp, body := noFollow(t, "GET", ts.srv.URL+"/", nil, "")
		if resp.StatusCode != tc.page {
			t.Errorf("console_public=%v GET /: %d, want %d", tc.console, resp.StatusCode, tc.page)
		}
		if tc.console && !strings.Contains(body, `name="sluice-login" content="false"`) {
			t.Error("a public console says it is behind the login")
		}
		if resp, _ := noFollow(t, "GET", ts.srv.URL+"/metrics", nil, ""); resp.StatusCode != tc.met {
			t.Errorf("metrics_public=%v GET /metrics: %d, want %d", tc.metrics, resp.StatusCode, tc.met)
		}
	}
}
