package engine_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
)

// TestAccessLimitsPerPrincipal: a principal with many sockets cannot take more than its
// MaxSearchesPerPrincipal searches or MaxConnsPerPrincipal connections, and the others keep
// theirs; in loopback mode the same limits hold per remote address.
func TestAccessLimitsPerPrincipal(t *testing.T) {
	ts := startServer(t, func(c *engine.Config) {
		withPrincipals(c)
		c.Search.MaxSearches = 20
		c.Search.MaxSearchesPerClient = 2
		c.Search.MaxSearchesPerPrincipal = 5
		c.Server.MaxConnsPerPrincipal = 4
	})
	ingestApp(t, ts, "app", 10, time.Second)
	end := base.Add(hour)

	// Alice spreads her launches over four sockets: two each would be eight, she gets five.
	var alice []*client
	for i := 0; i < 4; i++ {
		alice = append(alice, dialAs(t, ts, "tok-alice"))
	}
	launched, refused := 0, ""
	for _, c := range alice {
		for j := 0; j < 2; j++ {
			c.send("search", map[string]any{"SearchString": "tag=app", "SearchStart": base.Format(time.RFC3339Nano),
				"SearchEnd": end.Format(time.RFC3339Nano), "Background": true})
			var r launchResp
			c.recv("search", &r)
			if r.Error == "" {
				launched++
				c.send("search", map[string]any{"Ok": true, "OutputSearchSubproto": r.OutputSearchSubproto})
			} else {
				refused = r.Error
			}
		}
	}
	if launched != 5 || refused != "search: limit MaxSearchesPerPrincipal=5 reached for alice" {
		t.Fatalf("alice launched %d (refusal %q), want 5 and the MaxSearchesPerPrincipal refusal", launched, refused)
	}
	// Her fifth socket is refused; bob still connects and launches.
	conn, resp, err := dialWith(t, ts.url+"/api/ws/search", nil, []string{"tok-alice"})
	if err == nil || conn != nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("alice's fifth socket: %v %+v", err, resp)
	}
	bob := dialAs(t, ts, "tok-bob")
	bob.launch("tag=app", base, end)
	// Closing a socket gives its connection back.
	alice[0].conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, _, err := dialWith(t, ts.url+"/api/ws/search", nil, []string{"tok-alice"})
		if err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("alice cannot reconnect after closing a socket: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The limits are on /metrics under the principal's name.
	code, b := httpDo(t, "GET", ts.srv.URL+"/metrics", bearer("tok-root"), nil)
	for _, want := range []string{`sluice_principal_limit_hits_total{limit="MaxSearchesPerPrincipal",principal="alice"} 3`,
		`sluice_ws_limit_hits_total{limit="MaxConnsPerPrincipal"}`, `sluice_principal_search_launches_total{principal="bob"} 1`} {
		if code != 200 || !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestAccessLimitsPerAddress: with no principals the per-principal limits count per remote
// address.
func TestAccessLimitsPerAddress(t *testing.T) {
	ts := startServer(t, func(c *engine.Config) {
		c.Search.MaxSearchesPerClient = 1
		c.Search.MaxSearchesPerPrincipal = 2
		c.Server.MaxConnsPerPrincipal = 3
	})
	ingestApp(t, ts, "app", 10, time.Second)
	var cs []*client
	for i := 0; i < 3; i++ {
		cs = append(cs, dial(t, ts.url+"/api/ws/search", "search"))
	}
	cs[0].launch("tag=app", base, base.Add(hour))
	cs[1].launch("tag=app", base, base.Add(hour))
	cs[2].send("search", map[string]any{"SearchString": "tag=app", "SearchStart": base.Format(time.RFC3339Nano),
		"SearchEnd": base.Add(hour).Format(time.RFC3339Nano)})
	var r launchResp
	cs[2].recv("search", &r)
	if r.Error != "search: limit MaxSearchesPerPrincipal=2 reached for addr 127.0.0.1" {
		t.Fatalf("third launch from 127.0.0.1: %+v", r)
	}
	conn, resp, err := dialWith(t, ts.url+"/api/ws/stats", nil, nil)
	if err == nil || conn != nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("fourth socket from 127.0.0.1: %v %+v", err, resp)
	}
}

// TestAccessIngestThrottle: a principal over MaxIngestBytesPerSecond is slowed, told so in
// Sluice-Limit, and loses nothing.
func TestAccessIngestThrottle(t *testing.T) {
	const rate = 20000
	ts := startServer(t, func(c *engine.Config) {
		withPrincipals(c)
		c.Access.MaxIngestBytesPerSecond = rate
	})
	var body strings.Builder
	n := 0
	for body.Len() < 2*rate+rate/2 {
		body.WriteString("2024-05-01T09:00:01Z " + strings.Repeat("x", 100) + "\n")
		n++
	}
	req, _ := http.NewRequest("POST", ts.srv.URL+"/api/ingest?tag=web", strings.NewReader(body.String()))
	req.Header.Set("Authorization", "Bearer tok-alice")
	start := time.Now()
	resp, err := (&http.Client{Timeout: 20 * time.Second, Transport: httpTransport}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	took := time.Since(start)
	// One second's burst, then rate bytes a second: 2.5 rates take at least 1.5 s.
	if resp.StatusCode != 200 || resp.Header.Get("Sluice-Limit") != "MaxIngestBytesPerSecond" || took < 1400*time.Millisecond {
		t.Fatalf("throttled ingest: %s, Sluice-Limit %q, took %v", resp.Status, resp.Header.Get("Sluice-Limit"), took)
	}
	// Another principal has its own bucket.
	start = time.Now()
	code, b := httpDo(t, "POST", ts.srv.URL+"/api/ingest?tag=web", bearer("tok-bob"), strings.NewReader("2024-05-01T09:00:02Z hi\n"))
	if code != 200 || time.Since(start) > time.Second {
		t.Fatalf("bob's ingest: %d %s after %v", code, b, time.Since(start))
	}
	c := dialAs(t, ts, "tok-root")
	r := c.launch("tag=web", base, base.Add(hour))
	if got := c.waitDone(r.OutputSearchSubproto); got != uint64(n+1) {
		t.Fatalf("stored %d entries, want %d", got, n+1)
	}
}

// TestAccessSearchRunLimits: a search past MaxSearchDuration or MaxSearchCPU stops, keeps its
// partial results and says which limit stopped it; query size and pattern count are bounded in
// the parse reply and at launch.
func TestAccessSearchRunLimits(t *testing.T) {
	for _, field := range []string{"MaxSearchDuration", "MaxSearchCPU"} {
		t.Run(field, func(t *testing.T) {
			ts := startServer(t, func(c *engine.Config) {
				if field == "MaxSearchDuration" {
					c.Search.MaxSearchDuration = 20 * time.Millisecond
				} else {
					c.Search.MaxSearchCPU = 20 * time.Millisecond
				}
			})
			ingestApp(t, ts, "app", 50000, time.Millisecond)
			c := dial(t, ts.url+"/api/ws/search", "search", "attach")
			// Many wildcard patterns, none matching: every entry is tried against all of them.
			q := "tag=app grep -v" + strings.Repeat(" *q*u*x*z*", 200) + " | count"
			r := c.launch(q, base, base.Add(hour))
			c.waitDone(r.OutputSearchSubproto)
			info := c.attachTo(r.SearchID).Info
			want := "search: stopped at limit " + field + "=20ms; the results are partial"
			if field == "MaxSearchCPU" { // the message also says how much CPU was used
				want = "search: stopped at limit MaxSearchCPU=20ms ("
			}
			if !strings.HasPrefix(info.Error, want) || !strings.HasSuffix(info.Error, "; the results are partial") {
				t.Fatalf("SearchInfo.Error %q, want %q…", info.Error, want)
			}
		})
	}

	ts := startServer(t, func(c *engine.Config) {
		c.Search.MaxQueryBytes = 100
		c.Search.MaxQueryPatterns = 3
	})
	c := dial(t, ts.url+"/api/ws/search", "parse", "search")
	for q, want := range map[string]string{
		"tag=app grep " + strings.Repeat("a", 100): "query is 113 bytes: limit MaxQueryBytes=100 reached",
		"tag=app grep a b | grep c d":              "query has 4 patterns: limit MaxQueryPatterns=3 reached",
	} {
		var p struct {
			GoodQuery  bool
			ParseError string
		}
		c.send("parse", map[string]any{"SearchString": q, "Sequence": 1})
		c.recv("parse", &p)
		if p.GoodQuery || p.ParseError != want {
			t.Errorf("parse %q: %+v, want %q", q, p, want)
		}
		c.send("search", map[string]any{"SearchString": q, "SearchStart": base.Format(time.RFC3339Nano),
			"SearchEnd": base.Add(hour).Format(time.RFC3339Nano)})
		var r launchResp
		c.recv("search", &r)
		if r.Error != want {
			t.Errorf("launch %q: %q, want %q", q, r.Error, want)
		}
	}
}
