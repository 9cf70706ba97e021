package cluster

import (
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine/access"
	"github.com/sluicehq/sluice/wire"
)

// testRegistry is a registry of node name with a fixed secret, enough to make and check
// proxy credentials.
func testRegistry(name string) *Registry {
	return &Registry{n: &Node{cfg: Config{Name: name, ProxyCredentialTTL: 30 * time.Second}}, secret: []byte("test secret")}
}

func TestProxiedPath(t *testing.T) {
	f := func(path string, want bool) {
		t.Helper()
		if got := proxiedPath(path, "123"); got != want {
			t.Fatalf("proxiedPath(%q, 123) = %v, want %v", path, got, want)
		}
	}
	f("/api/searchctrl/123", true)
	f("/api/searchctrl/123/download/json", true)
	f("/api/searchctrl/123/entries", true)
	f("/api/ws/search", true)
	f("/ws/search", true)
	f("/api/searchctrl/1234", false)
	f("/api/searchctrl/12", false)
	f("/api/searchctrl", false)
	f("/api/searchctrl/all", false)
	f("/api/ws/stats", false)
	f("/api/ingest", false)
	f("/api/searchctrl/123x", false)
}

func TestReplyID(t *testing.T) {
	f := func(data string, want uint32, wantOK bool) {
		t.Helper()
		got, ok := replyID([]byte(data))
		if got != want || ok != wantOK {
			t.Fatalf("replyID(%q) = %d %v, want %d %v", data, got, ok, want, wantOK)
		}
	}
	f(`{"ID":3,"Finished":true}`, 3, true)
	f(`{"ID":17}`, 17, true)
	f(`{"ID":4294967295,"Error":"x"}`, wire.RespError, true)
	f(`{"ID":99999999999}`, 0, false)
	f(`{"ID":}`, 0, false)
	f(`{"Error":"x"}`, 0, false)
	f(``, 0, false)
}

func TestProxyCredentialSuccess(t *testing.T) {
	from, to := testRegistry("web-b"), testRegistry("web-a")
	now := time.Now()
	for _, p := range []*access.Principal{{Name: "alice", UID: 1, GIDs: []int32{100, 200}}, {Name: "root", UID: 4, Admin: true}, access.Local} {
		c, why := to.verify(from.credential(p, "123", "web-a"), now)
		if why != "" || c.Name != p.Name || c.UID != p.UID || c.Admin != p.Admin || len(c.GIDs) != len(p.GIDs) ||
			c.Search != "123" || c.From != "web-b" {
			t.Fatalf("%s: %+v %q", p.Name, c, why)
		}
	}
}

func TestProxyCredentialFailure(t *testing.T) {
	from, to := testRegistry("web-b"), testRegistry("web-a")
	alice := &access.Principal{Name: "alice", UID: 1}
	now := time.Now()
	good := from.credential(alice, "123", "web-a")
	head, sig, _ := strings.Cut(good, ".")
	f := func(cred string, at time.Time, want string) {
		t.Helper()
		if _, why := to.verify(cred, at); !strings.Contains(why, want) || want == "" && why != "" {
			t.Fatalf("verify(%.40q) = %q, want %q", cred, why, want)
		}
	}
	f(good, now, "")
	f(from.credential(alice, "123", "web-c"), now, "it is for node web-c")
	f(good, now.Add(31*time.Second), "expired")
	f(good, now.Add(-61*time.Second), "expiry too far ahead")
	f(from.credential(alice, "12a", "web-a"), now, "malformed search ID")
	f(head+"."+sig[1:], now, "bad signature")
	f(head[1:]+"."+sig, now, "bad signature")
	f("", now, "malformed")
	f("no-dot", now, "malformed")
	f(head+".", now, "bad signature")
	other := testRegistry("web-b")
	other.secret = []byte("another secret")
	f(other.credential(alice, "123", "web-a"), now, "bad signature")
}

// FuzzProxyCredential: verify never panics, and accepts only what was signed with the secret.
func FuzzProxyCredential(f *testing.F) {
	from, to := testRegistry("web-b"), testRegistry("web-a")
	good := from.credential(&access.Principal{Name: "alice", UID: 1, GIDs: []int32{100}}, "123", "web-a")
	for _, s := range []string{good, "", ".", "x.y", good + "x", strings.Replace(good, ".", "..", 1)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cred string) {
		c, why := to.verify(cred, time.Now())
		if why == "" && cred != good && c.Search != "123" {
			t.Fatalf("accepted %q: %+v", cred, c)
		}
	})
}

// TestRelayReplied: the relay pops a request per reply, a stream's only at its terminator or
// an error, and a REQ_CLOSE reply ends the channel even in the middle of a stream.
func TestRelayReplied(t *testing.T) {
	rl := &relay{}
	push := func(ids ...uint32) {
		for _, id := range ids {
			rl.pending = append(rl.pending, pendingReq{id: id})
		}
	}
	f := func(reply string, wantClosed bool, wantPending int) {
		t.Helper()
		if closed := rl.replied([]byte(reply)); closed != wantClosed || len(rl.pending) != wantPending {
			t.Fatalf("replied(%s): closed %v, %d pending; want %v, %d", reply, closed, len(rl.pending), wantClosed, wantPending)
		}
	}
	push(3, 17, 16)
	f(`{"ID":3,"Finished":true}`, false, 2)
	f(`{"ID":17,"Tags":{"Finished":1},"Finished":false,"Entries":[]}`, false, 2)
	f(`{"ID":17,"Finished":true,"EntryCount":0,"Entries":[]}`, false, 1)
	f(`{"ID":4294967295,"Error":"bad"}`, false, 0)
	push(17)
	f(`{"ID":4294967295,"Error":"deleted"}`, false, 0) // a stream ended by an error
	push(17, 1)
	rl.closing = true
	f(`{"ID":17,"Finished":false,"Entries":[]}`, false, 2)
	f(`{"ID":1}`, true, 0)
}
