//go:build !race

package engine_test

import (
	"errors"
	"testing"
	"time"

	gwclient "github.com/gravwell/gravwell/v3/client"
)

// TestNoRaceGravwellClientDetach drives the client's websocket AttachSearch and DetachSearch
// beside the REST routes. NOTE: it is built without -race because the client itself races in
// DetachSearch (websocketRouter.SubProtoClient.Close writes its active flag under a lock that
// its reader goroutine does not take); `make test` runs it in its second, race-free pass.
func TestNoRaceGravwellClientDetach(t *testing.T) {
	ts := startServer(t, nil)
	ingestN(t, ts, "app", 20)
	c := gravwell(t, ts, "unused")
	start, end := base, base.Add(time.Hour)

	fg, err := c.StartSearch("tag=app", start, end, false)
	if err != nil {
		t.Fatalf("StartSearch: %v", err)
	}
	bg, err := c.StartBackgroundSearch("tag=app", start, end, false)
	if err != nil {
		t.Fatalf("StartBackgroundSearch: %v", err)
	}
	for _, s := range []gwclient.Search{fg, bg} {
		if err := c.WaitForSearch(s); err != nil {
			t.Fatalf("WaitForSearch: %v", err)
		}
	}
	att, err := c.AttachSearch(fg.ID)
	if err != nil || att.RenderMod != "text" {
		t.Fatalf("AttachSearch: %+v %v", att, err)
	}
	if st, err := c.SearchStatus(fg.ID); err != nil || st.AttachedClients != 2 || st.State != "ACTIVE" {
		t.Fatalf("after AttachSearch: %+v %v", st, err)
	}
	n, fin, err := c.GetAvailableEntryCount(att)
	if err != nil || n != 20 || !fin {
		t.Fatalf("GetAvailableEntryCount on the attached search: %d %v %v", n, fin, err)
	}
	if err := att.Ping(); err != nil {
		t.Fatalf("Search.Ping: %v", err)
	}
	c.DetachSearch(att)
	c.DetachSearch(fg)
	c.DetachSearch(bg)
	// The foreground search goes after the grace period (100ms here); the background one stays.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := c.SearchStatus(fg.ID)
		if errors.Is(err, gwclient.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("foreground search still there after DetachSearch: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	st, err := c.SearchStatus(bg.ID)
	if err != nil || st.State != "DORMANT/BACKGROUNDED" || st.AttachedClients != 0 {
		t.Fatalf("background search after DetachSearch: %+v %v", st, err)
	}
}
