package access

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestCanSee(t *testing.T) {
	alice := &Principal{Name: "alice", UID: 10, GIDs: []int32{100, 200}}
	f := func(p *Principal, owner int32, gids []int32, global, want bool) {
		t.Helper()
		if got := CanSee(p, owner, gids, global); got != want {
			t.Fatalf("CanSee(%+v, %d, %v, %v) = %v, want %v", p, owner, gids, global, got, want)
		}
		if p != nil && p.CanSee(owner, gids, global) != want {
			t.Fatal("method and function disagree")
		}
	}
	f(alice, 10, nil, false, true)               // owner
	f(alice, 11, nil, false, false)              // someone else's
	f(alice, 11, []int32{300}, false, false)     // shared with a group alice is not in
	f(alice, 11, []int32{300, 200}, false, true) // shared with one of hers
	f(alice, 11, nil, true, true)                // global
	f(&Principal{Name: "root", UID: 1, Admin: true}, 11, nil, false, true)
	f(Local, 11, nil, false, true)
	f(Anonymous, 11, nil, false, true)
	f(nil, 0, nil, false, false)
	f(nil, 0, nil, true, false)
}

func TestCanShare(t *testing.T) {
	alice := &Principal{Name: "alice", UID: 10, GIDs: []int32{100, 200}}
	if g, ok := alice.CanShare([]int32{200, 300}); ok || g != 300 {
		t.Fatalf("CanShare = %d, %v", g, ok)
	}
	if _, ok := alice.CanShare([]int32{100, 200}); !ok {
		t.Fatal("alice cannot share with her own groups")
	}
	if _, ok := alice.CanShare(nil); !ok {
		t.Fatal("alice cannot launch unshared")
	}
	if _, ok := Local.CanShare([]int32{7}); !ok {
		t.Fatal("an admin cannot share with any group")
	}
}

func TestContext(t *testing.T) {
	if FromContext(context.Background()) != nil {
		t.Fatal("principal in an empty context")
	}
	p := &Principal{Name: "x", UID: 3}
	if FromContext(NewContext(context.Background(), p)) != p {
		t.Fatal("principal lost")
	}
}

func mustPolicy(t *testing.T, cfg Config) *Policy {
	t.Helper()
	pol, err := NewPolicy(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return pol
}

func TestTokens(t *testing.T) {
	tok, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	tok2, _ := NewToken()
	if !strings.HasPrefix(tok, "sluice_") || len(tok) != len("sluice_")+43 || tok == tok2 {
		t.Fatalf("tokens %q %q", tok, tok2)
	}
	h := HashToken(tok)
	if !strings.HasPrefix(h, "sha256:") || len(h) != 71 || strings.Contains(h, tok) {
		t.Fatalf("hash %q", h)
	}
	if _, err := parseHash(h); err != nil {
		t.Fatal(err)
	}
	// Every character of a token is an RFC 7230 tchar, so it is a valid subprotocol value.
	for _, c := range tok {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			t.Fatalf("token character %q", c)
		}
	}
}

func TestNewPolicyFailure(t *testing.T) {
	good := HashToken("a")
	f := func(want string, ps ...PrincipalConfig) {
		t.Helper()
		_, err := NewPolicy(Config{Principals: ps})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("NewPolicy(%+v) = %v, want an error containing %q", ps, err, want)
		}
	}
	f("name is empty", PrincipalConfig{UID: 1, TokenHash: good})
	f(`"local" is reserved`, PrincipalConfig{Name: "local", UID: 1, TokenHash: good})
	f("only letters", PrincipalConfig{Name: "a b", UID: 1, TokenHash: good})
	f("uid must be 1 or more", PrincipalConfig{Name: "a", TokenHash: good})
	f(`uid 1 already belongs to "a"`, PrincipalConfig{Name: "a", UID: 1, TokenHash: good}, PrincipalConfig{Name: "b", UID: 1, TokenHash: HashToken("b")})
	f("name used twice", PrincipalConfig{Name: "a", UID: 1, TokenHash: good}, PrincipalConfig{Name: "a", UID: 2, TokenHash: HashToken("b")})
	f(`same token as "a"`, PrincipalConfig{Name: "a", UID: 1, TokenHash: good}, PrincipalConfig{Name: "b", UID: 2, TokenHash: good})
	f(`must start with "sha256:"`, PrincipalConfig{Name: "a", UID: 1, TokenHash: "a"})
	f("64 hex digits, got 3", PrincipalConfig{Name: "a", UID: 1, TokenHash: "sha256:abc"})
	f("not hex", PrincipalConfig{Name: "a", UID: 1, TokenHash: "sha256:" + strings.Repeat("z", 64)})
}

func TestAuthenticate(t *testing.T) {
	pol := mustPolicy(t, Config{
		Principals: []PrincipalConfig{
			{Name: "alice", UID: 10, GIDs: []int32{100}, TokenHash: HashToken("tok-alice")},
			{Name: "bob", UID: 11, TokenHash: HashToken("tok-bob")},
		},
		Tokens: []string{"legacy"},
	})
	f := func(hdr http.Header, want string) {
		t.Helper()
		r := httptest.NewRequest("GET", "http://127.0.0.1/x", nil)
		r.Header = hdr
		p, reason := pol.Authenticate(r)
		switch {
		case want == "" && p != nil:
			t.Fatalf("%v authenticated as %q", hdr, p.Name)
		case want == "" && reason == "":
			t.Fatalf("%v: refused without a reason", hdr)
		case want != "" && (p == nil || p.Name != want):
			t.Fatalf("%v: got %v (%s), want %s", hdr, p, reason, want)
		}
	}
	basic := func(user, pass string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	}
	f(http.Header{"Sec-Websocket-Protocol": {"tok-alice"}}, "alice")
	f(http.Header{"Sec-Websocket-Protocol": {"other, tok-bob"}}, "bob")
	f(http.Header{"Authorization": {"Bearer tok-bob"}}, "bob")
	f(http.Header{"Authorization": {"bearer  tok-alice "}}, "alice")
	f(http.Header{"Authorization": {basic("whoever", "tok-alice")}}, "alice")
	f(http.Header{"Gravwell-Token": {"tok-bob"}}, "bob")
	f(http.Header{"Gravwell-Token": {"legacy"}}, "anonymous")
	f(http.Header{"Sec-Websocket-Protocol": {"nope"}, "Gravwell-Token": {"tok-alice"}}, "alice")
	f(nil, "")
	f(http.Header{"Authorization": {"tok-alice"}}, "") // no scheme
	f(http.Header{"Authorization": {"Basic !!!"}}, "")
	f(http.Header{"Authorization": {basic("alice", "wrong")}}, "")
	f(http.Header{"Gravwell-Token": {"TOK-ALICE"}}, "")
	f(http.Header{"Gravwell-Token": {HashToken("tok-alice")}}, "") // the hash is not the token
	r := httptest.NewRequest("GET", "/", nil)
	if _, reason := pol.Authenticate(r); !strings.Contains(reason, "missing credential") {
		t.Fatalf("reason %q", reason)
	}
	r.Header.Set("Gravwell-Token", "x")
	if _, reason := pol.Authenticate(r); reason != "access: invalid credential" {
		t.Fatalf("reason %q", reason)
	}
	// Loopback mode: everyone is Local.
	open := mustPolicy(t, Config{})
	if p, _ := open.Authenticate(httptest.NewRequest("GET", "/", nil)); p != Local || !open.Open() {
		t.Fatalf("open policy: %v", p)
	}
}

func TestHostAllowed(t *testing.T) {
	pol := mustPolicy(t, Config{AllowedHosts: []string{"logs.example.com", "gui.example.com:8443"}})
	f := func(host string, want bool) {
		t.Helper()
		if got := pol.HostAllowed(host); got != want {
			t.Fatalf("HostAllowed(%q) = %v, want %v", host, got, want)
		}
	}
	f("", true)
	f("localhost", true)
	f("LOCALHOST:8012", true)
	f("app.localhost:80", true)
	f("127.0.0.1:8012", true)
	f("[::1]:8012", true)
	f("::1", true)
	f("10.1.2.3:80", true) // an address cannot be rebound
	f("logs.example.com:443", true)
	f("gui.example.com:8443", true)
	f("gui.example.com:8444", false)
	f("rebind.evil:8012", false)
	f("localhost.evil:8012", false)
	f("localhost.", false)
	f("127.0.0.1.nip.io:8012", false)
	if !mustPolicy(t, Config{AllowedHosts: []string{"*"}}).HostAllowed("rebind.evil") {
		t.Fatal("* does not allow every host")
	}
}

func TestAdmit(t *testing.T) {
	pol := mustPolicy(t, Config{AllowedOrigins: []string{"https://gui.example.com"}})
	f := func(method, host, origin string, upgrade bool, want string) {
		t.Helper()
		r := httptest.NewRequest(method, "http://"+host+"/api/ingest", nil)
		r.Host = host
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if upgrade {
			r.Header.Set("Upgrade", "websocket")
		}
		p, ref := pol.Admit(r)
		got := ""
		if ref != nil {
			got = ref.Reason
			if p != nil || ref.Status != 403 && ref.Status != 401 {
				t.Fatalf("refusal %+v with principal %v", ref, p)
			}
		} else if p != Local {
			t.Fatalf("admitted as %v", p)
		}
		if got != want {
			t.Fatalf("%s %s Origin %q upgrade %v: refusal %q, want %q", method, host, origin, upgrade, got, want)
		}
	}
	f("POST", "127.0.0.1:8012", "", false, "")
	f("POST", "127.0.0.1:8012", "http://127.0.0.1:8012", false, "")
	f("POST", "127.0.0.1:8012", "http://evil.example", false, "origin")     // a cross-origin simple POST
	f("POST", "127.0.0.1:8012", "null", false, "origin")                    // a sandboxed page
	f("DELETE", "127.0.0.1:8012", "https://gui.example.com", false, "")     // an allowed origin
	f("GET", "127.0.0.1:8012", "http://evil.example", false, "")            // a read: CORS keeps it
	f("GET", "127.0.0.1:8012", "http://evil.example", true, "origin")       // a websocket
	f("GET", "rebind.evil:8012", "http://rebind.evil:8012", true, "host")   // DNS rebinding
	f("POST", "rebind.evil:8012", "http://rebind.evil:8012", false, "host") // DNS rebinding
	f("GET", "rebind.evil:8012", "", false, "host")                         // even reads
	f("GET", "localhost:8012", "http://localhost:8012", true, "")

	// Fetch metadata: what another site's page makes the browser request.
	g := func(method, origin, site, mode, want string) {
		t.Helper()
		r := httptest.NewRequest(method, "http://127.0.0.1:8012/api/searchctrl/1/attach", nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		r.Header.Set("Sec-Fetch-Site", site)
		r.Header.Set("Sec-Fetch-Mode", mode)
		got := ""
		if _, ref := pol.Admit(r); ref != nil {
			got = ref.Reason
		}
		if got != want {
			t.Fatalf("%s Origin %q Sec-Fetch-Site %s mode %s: refusal %q, want %q", method, origin, site, mode, got, want)
		}
	}
	g("GET", "", "cross-site", "no-cors", "origin")                 // <img src=...>
	g("GET", "", "same-site", "no-cors", "origin")                  // another port of localhost
	g("GET", "http://evil.example", "cross-site", "cors", "origin") // fetch()
	g("GET", "https://gui.example.com", "cross-site", "cors", "")   // an allowed origin
	g("GET", "", "cross-site", "navigate", "")                      // a link to the console
	g("GET", "", "same-origin", "cors", "")                         // the console itself
	g("GET", "", "none", "navigate", "")                            // typed or bookmarked
}

func TestHandler(t *testing.T) {
	pol := mustPolicy(t, Config{Principals: []PrincipalConfig{{Name: "alice", UID: 10, TokenHash: HashToken("t")}}})
	var seen *Principal
	h := pol.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = FromContext(r.Context()) }),
		HandlerOptions{Public: func(r *http.Request) bool { return r.URL.Path == "/pub" }})
	do := func(path string, hdr http.Header) *httptest.ResponseRecorder {
		seen = nil
		r := httptest.NewRequest("GET", "http://127.0.0.1"+path, nil)
		for k, v := range hdr {
			r.Header[k] = v
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	w := do("/x", nil)
	if w.Code != 401 || !strings.Contains(w.Body.String(), `{"Error":"access: missing credential`) ||
		w.Header().Get("WWW-Authenticate") != `Bearer realm="sluice"` || len(w.Header().Values("WWW-Authenticate")) != 1 || seen != nil {
		t.Fatalf("no credential: %d %q %v", w.Code, w.Body, w.Header())
	}
	// A browser navigating to a page is asked for the token with Basic.
	w = do("/x", http.Header{"Sec-Fetch-Mode": {"navigate"}})
	if w.Code != 401 || len(w.Header().Values("WWW-Authenticate")) != 2 {
		t.Fatalf("navigation: %d %v", w.Code, w.Header())
	}
	if w = do("/x", http.Header{"Authorization": {"Bearer t"}}); w.Code != 200 || seen == nil || seen.Name != "alice" {
		t.Fatalf("with a token: %d %v", w.Code, seen)
	}
	if w = do("/pub", nil); w.Code != 200 || seen != nil {
		t.Fatalf("public without a token: %d %v", w.Code, seen)
	}
	if w = do("/pub", http.Header{"Gravwell-Token": {"t"}}); w.Code != 200 || seen == nil {
		t.Fatalf("public with a token: %d %v", w.Code, seen)
	}
	r := httptest.NewRequest("GET", "http://rebind.evil/pub", nil)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 403 || !strings.Contains(w.Body.String(), "allowed_hosts") {
		t.Fatalf("public route on a rebinding host: %d %s", w.Code, w.Body)
	}
}

func TestCheckListen(t *testing.T) {
	open := mustPolicy(t, Config{})
	legacy := mustPolicy(t, Config{Tokens: []string{"t"}})
	named := mustPolicy(t, Config{Principals: []PrincipalConfig{{Name: "a", UID: 1, TokenHash: HashToken("t")}}})
	f := func(pol *Policy, addr string, tlsOn, insecure bool, want string) {
		t.Helper()
		err := pol.CheckListen(addr, tlsOn, insecure)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Fatalf("CheckListen(%q, tls %v, insecure %v) = %v, want %q", addr, tlsOn, insecure, err, want)
		}
	}
	for _, pol := range []*Policy{open, legacy, named} {
		f(pol, "127.0.0.1:8012", false, false, "")
		f(pol, "[::1]:8012", false, false, "")
		f(pol, "localhost:8012", false, false, "")
	}
	f(open, ":8012", false, false, `":8012" (every interface) without principals or tokens`)
	f(open, "0.0.0.0:8012", true, true, "without principals or tokens")
	f(open, "192.168.1.2:8012", false, false, "without principals or tokens")
	f(open, "nonsense", false, false, "cannot check listen address")
	f(legacy, ":8012", false, false, "") // compatibility: SLUICE_TOKENS over plain TCP
	f(named, ":8012", false, false, "over plain TCP with principals")
	f(named, ":8012", true, false, "")
	f(named, ":8012", false, true, "")
}

func TestLimitKey(t *testing.T) {
	f := func(p *Principal, addr, want string) {
		t.Helper()
		if got := LimitKey(p, addr); got != want {
			t.Fatalf("LimitKey(%v, %q) = %q, want %q", p, addr, got, want)
		}
	}
	f(&Principal{Name: "alice", UID: 10}, "10.0.0.1:5555", "alice")
	f(Local, "127.0.0.1:5555", "addr 127.0.0.1")
	f(Anonymous, "[::1]:80", "addr ::1")
	f(nil, "weird", "addr weird")
}

func TestThrottle(t *testing.T) {
	if NewThrottle(0) != nil {
		t.Fatal("rate 0 throttles")
	}
	th := NewThrottle(100)
	now := time.Unix(0, 0)
	th.now = func() time.Time { return now }
	if n, _ := th.take("a", 150); n != 100 {
		t.Fatalf("burst: took %d, want 100", n)
	}
	if n, wait := th.take("a", 10); n != 0 || wait != 10*time.Millisecond {
		t.Fatalf("empty bucket: took %d, wait %v", n, wait)
	}
	if n, _ := th.take("b", 10); n != 10 {
		t.Fatalf("another key shares the bucket: took %d", n)
	}
	now = now.Add(500 * time.Millisecond)
	if n, _ := th.take("a", 100); n != 50 {
		t.Fatalf("after half a second: took %d, want 50", n)
	}
	// A reader over its rate waits and loses nothing.
	th = NewThrottle(1 << 20)
	src := strings.Repeat("x", 3<<19)
	start := time.Now()
	b, err := io.ReadAll(th.Reader(context.Background(), "k", strings.NewReader(src), nil))
	if err != nil || string(b) != src {
		t.Fatalf("read %d bytes, err %v", len(b), err)
	}
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Fatalf("1.5 MiB at 1 MiB/s with a 1 MiB burst took %v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := io.ReadAll(th.Reader(ctx, "k", strings.NewReader(src), nil)); err != context.Canceled {
		t.Fatalf("cancelled read: %v", err)
	}
}
