package engine_test

import (
	"encoding/json"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/access"
)

// Principals of the access tests: alice and bob share group 100, carol shares nothing, root
// is an admin. Each token is known here in clear; the engine sees only its hash.
var testPrincipals = []struct {
	name, token string
	uid         int32
	gids        []int32
	admin       bool
}{
	{"alice", "tok-alice", 10, []int32{100}, false},
	{"bob", "tok-bob", 11, []int32{100, 200}, false},
	{"carol", "tok-carol", 12, []int32{300}, false},
	{"root", "tok-root", 1, nil, true},
}

func withPrincipals(c *engine.Config) {
	for _, p := range testPrincipals {
		c.Access.Principals = append(c.Access.Principals, access.PrincipalConfig{
			Name: p.name, UID: p.uid, GIDs: p.gids, Admin: p.admin, TokenHash: access.HashToken(p.token)})
	}
}

func bearer(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }

// dialAs opens a search socket with token as the websocket protocol, as the browser does.
func dialAs(t *testing.T, ts *testServer, token string) *client {
	t.Helper()
	return dialAsAt(t, ts.url+"/api/ws/search", token)
}

// dialAsAt is dialAs on the search socket at url.
func dialAsAt(t *testing.T, url, token string) *client {
	t.Helper()
	conn, resp, err := dialWith(t, url, nil, []string{token})
	if err != nil {
		t.Fatalf("dial as %s: %v (%+v)", token, err, resp)
	}
	return negotiate(t, conn, "PONG", "parse", "search", "attach")
}

// listAs returns the IDs GET /api/searchctrl shows to the holder of token.
func listAs(t *testing.T, ts *testServer, token string) []string {
	t.Helper()
	code, b := httpDo(t, "GET", ts.srv.URL+"/api/searchctrl", bearer(token), nil)
	if code != http.StatusOK {
		t.Fatalf("list as %s: %d %s", token, code, b)
	}
	var all []struct {
		ID     string
		UID    int32
		GIDs   []int32
		Global bool
	}
	if err := json.Unmarshal(b, &all); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range all {
		ids = append(ids, s.ID)
	}
	slices.Sort(ids)
	return ids
}

func sorted(ids ...string) []string { slices.Sort(ids); return ids }

// TestAccessOwnership: a search is seen (listed, attached, read, streamed, deleted) only by its
// owner, an admin, a member of a group it is shared with, or everyone when it is Global;
// anybody else is told it does not exist, in the very words used for an unknown ID.
func TestAccessOwnership(t *testing.T) {
	ts := startServer(t, withPrincipals)
	ingestApp(t, ts, "app", 2500, time.Second)
	end := base.Add(hour)

	alice := dialAs(t, ts, "tok-alice")
	private := alice.launchNoAck(map[string]any{"SearchString": "tag=app"}, base, end)
	alice.send("search", map[string]any{"Ok": true, "OutputSearchSubproto": private.OutputSearchSubproto})
	shared := alice.launchNoAck(map[string]any{"SearchString": "tag=app", "GIDs": []int32{100}}, base, end)
	alice.send("search", map[string]any{"Ok": true, "OutputSearchSubproto": shared.OutputSearchSubproto})
	global := alice.launchNoAck(map[string]any{"SearchString": "tag=app", "Global": true}, base, end)
	alice.send("search", map[string]any{"Ok": true, "OutputSearchSubproto": global.OutputSearchSubproto})
	alice.waitDone(private.OutputSearchSubproto)

	// Alice may not share with a group she is not in.
	alice.send("search", map[string]any{"SearchString": "tag=app", "GIDs": []int32{200},
		"SearchStart": base.Format(time.RFC3339Nano), "SearchEnd": end.Format(time.RFC3339Nano)})
	var refused launchResp
	alice.recv("search", &refused)
	if !strings.Contains(refused.Error, "cannot share with group 200") || refused.SearchID != "" {
		t.Fatalf("launch shared with a foreign group: %+v", refused)
	}

	// SearchInfo names the owner and the sharing (Gravwell's fields, no longer constants).
	info := alice.attachTo(shared.SearchID).Info
	if info.UID != 10 || !slices.Equal(info.GIDs, []int32{100}) || info.Global {
		t.Fatalf("SearchInfo of the shared search: UID %d GIDs %v Global %v", info.UID, info.GIDs, info.Global)
	}

	// Listing.
	all := sorted(private.SearchID, shared.SearchID, global.SearchID)
	for _, c := range []struct {
		token string
		want  []string
	}{
		{"tok-alice", all},
		{"tok-root", all},
		{"tok-bob", sorted(shared.SearchID, global.SearchID)},
		{"tok-carol", sorted(global.SearchID)},
	} {
		if got := listAs(t, ts, c.token); !slices.Equal(got, c.want) {
			t.Errorf("%s lists %v, want %v", c.token, got, c.want)
		}
	}

	// Attaching: refused exactly as for an unknown ID.
	bob := dialAs(t, ts, "tok-bob")
	carol := dialAsAt(t, ts.url+"/ws/search", "tok-carol") // the other search socket, same rule
	unknown := bob.attachFails("0000000001")
	if got := bob.attachFails(private.SearchID); got != strings.ReplaceAll(unknown, "0000000001", private.SearchID) {
		t.Fatalf("bob attaching to alice's private search: %q (unknown ID: %q)", got, unknown)
	}
	carol.attachFails(private.SearchID)
	carol.attachFails(shared.SearchID)

	// Reading and streaming what they may see.
	for who, c := range map[string]*client{"bob": bob, "carol": carol} {
		ar := c.attachTo(global.SearchID)
		if got := c.waitDone(ar.Subproto); got != 2500 {
			t.Fatalf("%s: global search holds %d", who, got)
		}
		if got := streamAll(t, c, ar.Subproto); got != 2500 {
			t.Fatalf("%s streamed %d entries of the global search", who, got)
		}
	}
	ar := bob.attachTo(shared.SearchID)
	if got := streamAll(t, bob, ar.Subproto); got != 2500 {
		t.Fatalf("bob streamed %d entries of the shared search", got)
	}

	// Deleting: not found, with the body of an unknown ID.
	_, unknownBody := httpDo(t, "DELETE", ts.srv.URL+"/api/searchctrl/0000000001", bearer("tok-bob"), nil)
	for _, c := range []struct{ token, id string }{{"tok-bob", private.SearchID}, {"tok-carol", shared.SearchID}} {
		code, b := httpDo(t, "DELETE", ts.srv.URL+"/api/searchctrl/"+c.id, bearer(c.token), nil)
		if code != http.StatusNotFound || string(b) != strings.ReplaceAll(string(unknownBody), "0000000001", c.id) {
			t.Fatalf("%s deleting %s: %d %s", c.token, c.id, code, b)
		}
	}
	if got := listAs(t, ts, "tok-alice"); !slices.Equal(got, all) {
		t.Fatalf("refused deletes deleted something: %v", got)
	}
	// Bob may delete the search shared with his group, the admin any.
	if code, b := httpDo(t, "DELETE", ts.srv.URL+"/api/searchctrl/"+shared.SearchID, bearer("tok-bob"), nil); code != http.StatusOK {
		t.Fatalf("bob deleting the shared search: %d %s", code, b)
	}
	if code, b := httpDo(t, "DELETE", ts.srv.URL+"/api/searchctrl/"+private.SearchID, bearer("tok-root"), nil); code != http.StatusOK {
		t.Fatalf("root deleting alice's search: %d %s", code, b)
	}
	if got := listAs(t, ts, "tok-alice"); !slices.Equal(got, []string{global.SearchID}) {
		t.Fatalf("after the deletes alice lists %v", got)
	}
}

// streamAll runs REQ_STREAMING on channel and returns how many entries arrived before the
// terminator.
func streamAll(t *testing.T, c *client, channel string) int {
	t.Helper()
	c.send(channel, map[string]any{"ID": 17})
	total := 0
	for i := 0; i < 100; i++ {
		var b entriesResp
		c.recv(channel, &b)
		if b.ID != 17 {
			t.Fatalf("stream block: %+v", b.baseResp)
		}
		if b.Finished {
			return total
		}
		total += len(b.Entries)
	}
	t.Fatal("stream did not end")
	return 0
}

// TestAccessBrowserAttacks: in loopback mode (no credential needed) a web page the user opens
// can neither POST cross-origin nor reach any route through a DNS-rebinding host name.
func TestAccessBrowserAttacks(t *testing.T) {
	ts := startServer(t, nil)
	host := strings.TrimPrefix(ts.srv.URL, "http://")
	_, port, _ := strings.Cut(host, ":")
	ingest := ts.srv.URL + "/api/ingest?tag=web"
	line := func() *strings.Reader { return strings.NewReader("2024-05-01T09:00:01Z hello\n") }

	// A "simple" cross-origin POST (text/plain, no preflight) is refused before it is read.
	code, b := httpDo(t, "POST", ingest, http.Header{"Origin": {"http://evil.example"}, "Content-Type": {"text/plain"}}, line())
	if code != http.StatusForbidden || !strings.Contains(string(b), `origin \"http://evil.example\" not allowed`) {
		t.Fatalf("cross-origin ingest: %d %s", code, b)
	}
	code, b = httpDo(t, "DELETE", ts.srv.URL+"/api/searchctrl/1", http.Header{"Origin": {"null"}}, nil)
	if code != http.StatusForbidden {
		t.Fatalf("cross-origin delete from an opaque origin: %d %s", code, b)
	}
	// An <img> on another site's page: no Origin, but the browser marks it cross-site.
	code, b = httpDo(t, "GET", ts.srv.URL+"/api/searchctrl", http.Header{"Sec-Fetch-Site": {"cross-site"}, "Sec-Fetch-Mode": {"no-cors"}}, nil)
	if code != http.StatusForbidden {
		t.Fatalf("cross-site subresource GET: %d %s", code, b)
	}
	// DNS rebinding: Host and Origin agree, but name the attacker's host.
	evil := "rebind.evil:" + port
	for _, c := range []struct{ method, path string }{
		{"POST", "/api/ingest?tag=web"}, {"GET", "/api/searchctrl"}, {"DELETE", "/api/searchctrl/1"},
		{"GET", "/metrics"}, {"GET", "/"},
	} {
		code, b := httpDo(t, c.method, ts.srv.URL+c.path, http.Header{"Origin": {"http://" + evil}, "Host": {evil}}, line())
		if code != http.StatusForbidden || !strings.Contains(string(b), "allowed_hosts") {
			t.Fatalf("%s %s with Host %s: %d %s", c.method, c.path, evil, code, b)
		}
	}
	for _, path := range []string{"/api/ws/search", "/api/ws/stats"} {
		// The name resolves to the server, as the attacker's DNS makes it do.
		d := websocket.Dialer{HandshakeTimeout: readTimeout, NetDial: func(string, string) (net.Conn, error) { return net.Dial("tcp", host) }}
		conn, resp, err := d.Dial("ws://"+evil+path, http.Header{"Origin": {"http://" + evil}})
		if err == nil || conn != nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("websocket %s through a rebinding host: %v %+v", path, err, resp)
		}
	}
	// Nothing was stored; the same requests from the server's own origin work.
	code, b = httpDo(t, "POST", ingest, http.Header{"Origin": {ts.srv.URL}}, line())
	if code != http.StatusOK || string(b) != "{\"Stored\":1}\n" {
		t.Fatalf("same-origin ingest: %d %s", code, b)
	}
	code, b = httpDo(t, "POST", strings.Replace(ingest, "127.0.0.1", "localhost", 1), http.Header{"Origin": {"http://localhost:" + port}}, line())
	if code != http.StatusOK {
		t.Fatalf("ingest via localhost: %d %s", code, b)
	}
	c := dial(t, ts.url+"/api/ws/search", "search")
	r := c.launch("tag=web", base, base.Add(hour))
	if got := c.waitDone(r.OutputSearchSubproto); got != 2 {
		t.Fatalf("tag=web holds %d entries, want the 2 same-origin ones", got)
	}
}

// TestAccessMetrics: /metrics needs a principal once principals exist, unless MetricsPublic;
// metrics never show a token; the console at / follows the same rule.
func TestAccessMetrics(t *testing.T) {
	for _, public := range []bool{false, true} {
		ts := startServer(t, func(c *engine.Config) {
			withPrincipals(c)
			c.Server.Tokens = []string{"legacy-token"}
			c.Access.MetricsPublic = public
		})
		// The web console at / follows the same rule, whatever MetricsPublic says (it has its
		// own ConsolePublic; TestAccessConsoleLogin).
		if code, _ := httpDo(t, "GET", ts.srv.URL+"/", nil, nil); code != http.StatusUnauthorized {
			t.Fatalf("GET / (the web console) without a token: %d, want 401", code)
		}
		if code, _ := httpDo(t, "GET", ts.srv.URL+"/", bearer("tok-carol"), nil); code != http.StatusOK {
			t.Fatalf("GET / (the web console) with a token: %d", code)
		}
		for _, path := range []string{"/metrics"} {
			code, b := httpDo(t, "GET", ts.srv.URL+path, nil, nil)
			if want := map[bool]int{false: 401, true: 200}[public]; code != want {
				t.Fatalf("public=%v GET %s without a token: %d %s", public, path, code, b)
			}
			for _, tok := range []string{"tok-carol", "legacy-token"} {
				code, b = httpDo(t, "GET", ts.srv.URL+path, bearer(tok), nil)
				if code != http.StatusOK {
					t.Fatalf("GET %s with %s: %d %s", path, tok, code, b)
				}
				if strings.Contains(string(b), "tok-") || strings.Contains(string(b), "legacy-token") {
					t.Fatalf("%s shows a token", path)
				}
			}
		}
		code, _ := httpDo(t, "GET", ts.srv.URL+"/metrics", bearer("wrong"), nil)
		if want := map[bool]int{false: 401, true: 200}[public]; code != want {
			t.Fatalf("public=%v GET /metrics with a wrong token: %d", public, code)
		}
	}
}
