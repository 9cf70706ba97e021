//go:build !race

package engine_test

import (
	"strings"
	"testing"
	"time"

	gwclient "github.com/gravwell/gravwell/v3/client"
)

// TestNoRaceAccessGravwellClient drives the real Gravwell Go client (v3.8.40) with
// ImportLoginToken, as a script holding an API token does: it sends the token both as
// "Authorization: Bearer" and as the websocket protocol. Ownership holds for it as for any
// client: another principal's search is not found, a shared or admin one attaches. NOTE: built
// without -race because the client races in its own DetachSearch (see
// TestNoRaceGravwellClientDetach); `make test` runs it in its race-free pass.
func TestNoRaceAccessGravwellClient(t *testing.T) {
	ts := startServer(t, withPrincipals)
	ingestApp(t, ts, "app", 300, time.Second)
	host := strings.TrimPrefix(ts.srv.URL, "http://")
	login := func(token string) *gwclient.Client {
		t.Helper()
		c, err := gwclient.New(host, false, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.ImportLoginToken(token); err != nil {
			t.Fatal(err)
		}
		return c
	}
	end := base.Add(hour)
	alice := login("tok-alice")
	private, err := alice.StartSearch("tag=app", base, end, false)
	if err != nil {
		t.Fatalf("alice's launch: %v", err)
	}
	defer alice.DetachSearch(private)
	// This client version has no GIDs in its launch request: alice shares with group 100
	// from another client.
	ws := dialAs(t, ts, "tok-alice")
	shared := ws.launchNoAck(map[string]any{"SearchString": "tag=app", "GIDs": []int32{100}}, base, end)
	ws.send("search", map[string]any{"Ok": true, "OutputSearchSubproto": shared.OutputSearchSubproto})
	if err := alice.WaitForSearch(private); err != nil {
		t.Fatal(err)
	}
	ents, err := alice.GetEntries(private, 0, 300)
	if err != nil || len(ents) != 300 {
		t.Fatalf("alice reads %d entries of her search: %v", len(ents), err)
	}

	for _, c := range []struct {
		token, id, wantErr string
	}{
		{"tok-bob", private.ID, "search " + private.ID + " not found"},
		{"tok-carol", shared.SearchID, "search " + shared.SearchID + " not found"},
		{"tok-bob", shared.SearchID, ""},
		{"tok-root", private.ID, ""},
	} {
		s, err := login(c.token).AttachSearch(c.id)
		switch {
		case c.wantErr != "" && (err == nil || err.Error() != c.wantErr):
			t.Fatalf("%s attaching to %s: %v, want %q", c.token, c.id, err, c.wantErr)
		case c.wantErr == "" && err != nil:
			t.Fatalf("%s attaching to %s: %v", c.token, c.id, err)
		case c.wantErr == "":
			cl := login(c.token)
			if err := cl.WaitForSearch(s); err != nil {
				t.Fatal(err)
			}
			if ents, err := cl.GetEntries(s, 0, 300); err != nil || len(ents) != 300 {
				t.Fatalf("%s reads %d entries of %s: %v", c.token, len(ents), c.id, err)
			}
			cl.DetachSearch(s)
		}
	}
	// A token that names no principal gets no socket.
	if _, err := login("tok-nobody").StartSearch("tag=app", base, end, false); err == nil {
		t.Fatal("a launch with an unknown token succeeded")
	}
}
