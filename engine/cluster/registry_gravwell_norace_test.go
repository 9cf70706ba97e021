//go:build !race

package cluster_test

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	gwclient "github.com/gravwell/gravwell/v3/client"
	"github.com/gravwell/gravwell/v3/client/types"
)

// TestNoRaceRegistryGravwellClient drives the real Gravwell Go client (v3.8.40) against
// webserver B for a search launched on webserver A: ListSearchStatuses lists it, AttachSearch
// relays it (WaitForSearch, every entry read in pages, identical to reading it on A),
// DownloadSearch streams the same bytes as from A, DeleteSearch removes it on A, and another
// principal's AttachSearch is refused as for an unknown ID. NOTE: built without -race because
// the client races in its own DetachSearch (engine TestNoRaceGravwellClientDetach).
func TestNoRaceRegistryGravwellClient(t *testing.T) {
	c := startRegCluster(t)
	login := func(url, who string) *gwclient.Client {
		t.Helper()
		cl, err := gwclient.New(strings.TrimPrefix(url, "http://"), false, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := cl.ImportLoginToken("tok-" + who); err != nil {
			t.Fatal(err)
		}
		return cl
	}
	onA, onB := login(c.webA.url, "alice"), login(c.webB.url, "alice")
	s, err := onA.StartBackgroundSearch("tag=app", c.start, c.end, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := onA.WaitForSearch(s); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "B to list the search", func() bool {
		st, err := onB.ListSearchStatuses()
		return err == nil && len(st) == 1 && st[0].ID == s.ID && st[0].UID == 1
	})

	att, err := onB.AttachSearch(s.ID)
	if err != nil || att.RenderMod != "text" {
		t.Fatalf("AttachSearch through B: %+v %v", att, err)
	}
	if err := onB.WaitForSearch(att); err != nil {
		t.Fatalf("WaitForSearch through B: %v", err)
	}
	if err := att.Ping(); err != nil {
		t.Fatalf("Search.Ping through B: %v", err)
	}
	var viaA, viaB []types.StringTagEntry
	for first := uint64(0); first < regEntries; first += 1000 {
		ea, err := onA.GetEntries(s, first, first+1000)
		if err != nil {
			t.Fatal(err)
		}
		eb, err := onB.GetEntries(att, first, first+1000)
		if err != nil {
			t.Fatalf("GetEntries through B: %v", err)
		}
		viaA, viaB = append(viaA, ea...), append(viaB, eb...)
	}
	if len(viaA) != regEntries || !reflect.DeepEqual(viaA, viaB) {
		t.Fatalf("entries: %d through A, %d through B, equal %v", len(viaA), len(viaB), reflect.DeepEqual(viaA, viaB))
	}
	download := func(cl *gwclient.Client) []byte {
		t.Helper()
		rc, err := cl.DownloadSearch(s.ID, types.TimeRange{}, "json")
		if err != nil {
			t.Fatalf("DownloadSearch: %v", err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if da, db := download(onA), download(onB); len(da) == 0 || string(da) != string(db) {
		t.Fatalf("download: %d bytes from A, %d through B", len(da), len(db))
	}
	onB.DetachSearch(att)

	if _, err := login(c.webB.url, "carol").AttachSearch(s.ID); err == nil || err.Error() != "search "+s.ID+" not found" {
		t.Fatalf("carol's AttachSearch through B: %v", err)
	}
	if err := onB.DeleteSearch(s.ID); err != nil {
		t.Fatalf("DeleteSearch through B: %v", err)
	}
	if _, err := onA.SearchStatus(s.ID); !errors.Is(err, gwclient.ErrNotFound) {
		t.Fatalf("the search on A after DeleteSearch through B: %v", err)
	}
}
