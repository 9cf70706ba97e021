package cluster_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/access"
	"github.com/sluicehq/sluice/engine/cluster"
	"github.com/sluicehq/sluice/engine/search"
)

// Principals of the registry tests: alice and bob share group 100, carol is alone, root is
// an admin. Each one's token is "tok-" and the name.
var regPrincipals = []struct {
	name  string
	uid   int32
	gids  []int32
	admin bool
}{{"alice", 1, []int32{100}, false}, {"bob", 2, []int32{100}, false}, {"carol", 3, nil, false}, {"root", 4, nil, true}}

func regAccess() access.Config {
	var ac access.Config
	for _, p := range regPrincipals {
		ac.Principals = append(ac.Principals, access.PrincipalConfig{Name: p.name, UID: p.uid, GIDs: p.gids,
			Admin: p.admin, TokenHash: access.HashToken("tok-" + p.name)})
	}
	return ac
}

// webNode is a webserver with the search registry, principals configured, served on a
// loopback address it advertises to the cluster.
type webNode struct {
	*testNode
	reg *cluster.Registry
}

// startWeb starts webserver name with its search registry.
func startWeb(t testing.TB, url, name string) *webNode {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := nodeConfig(url, name, cluster.RoleWebserver)
	cfg.HTTPAddr = ln.Addr().String()
	node, err := cluster.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := node.Searches()
	if err != nil {
		node.Close()
		t.Fatal(err)
	}
	var _ engine.ClusterSearches = reg
	ecfg := engine.Config{Logger: cfg.Logger, Access: regAccess()}
	ecfg.Search.Grace = 100 * time.Millisecond
	ecfg.Cluster = &engine.ClusterHooks{Source: node.Source(), Tags: node.Tags(), Ingest: node.Ingest(),
		Stats: node.Stats(), Searches: reg}
	eng, err := engine.New(ecfg)
	if err != nil {
		node.Close()
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(eng.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	n := &testNode{name: name, node: node, eng: eng, srv: srv, url: srv.URL}
	t.Cleanup(func() { n.close(t) })
	return &webNode{testNode: n, reg: reg}
}

// regCluster is a NATS cluster with one indexer holding test data and two webservers.
type regCluster struct {
	idx        *testNode
	webA, webB *webNode
	start, end time.Time
}

const regEntries = 2500

func startRegCluster(t testing.TB) *regCluster { return startRegClusterN(t, regEntries) }

// startRegClusterN is startRegCluster with n entries.
func startRegClusterN(t testing.TB, n int) *regCluster {
	t.Helper()
	url := startNATS(t)
	idx := startNode(t, nodeConfig(url, "idx-1", cluster.RoleIndexer), "")
	c := &regCluster{idx: idx, webA: startWeb(t, url, "web-a"), webB: startWeb(t, url, "web-b"),
		start: base.Add(-time.Minute), end: base.Add(2 * time.Hour)}
	waitSpread(t, c.webA.testNode, 1)
	ents := appEntries("app", 0, n, 977*time.Millisecond*regEntries/time.Duration(n))
	b, _ := json.Marshal(ents)
	resp := httpDo(t, "POST", c.webA.url+"/api/ingest", "root", b)
	if resp.code != 200 {
		t.Fatalf("ingest: %d %s", resp.code, resp.body)
	}
	waitFor(t, 30*time.Second, "the indexer to store every entry", func() bool { return idx.stored() == uint64(n) })
	return c
}

type httpReply struct {
	code int
	body []byte
}

// httpDo sends a request as principal who (its token as a bearer; "" sends none).
func httpDo(t testing.TB, method, url, who string, body []byte) httpReply {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if who != "" {
		req.Header.Set("Authorization", "Bearer tok-"+who)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return httpReply{resp.StatusCode, b}
}

// dialAs opens a search socket as principal who.
func dialAs(t testing.TB, httpURL, who string, subs ...string) *wsClient {
	t.Helper()
	return dialHeader(t, httpURL, "/api/ws/search", http.Header{"Authorization": {"Bearer tok-" + who}}, subs...)
}

// launch launches query as the socket's principal with extra launch fields, acknowledges it
// and waits for it to finish; it returns the search ID and its output channel.
func (c *wsClient) launch(query string, start, end time.Time, extra map[string]any) (id, channel string) {
	c.t.Helper()
	req := map[string]any{"SearchString": query, "SearchStart": start.Format(time.RFC3339Nano),
		"SearchEnd": end.Format(time.RFC3339Nano)}
	for k, v := range extra {
		req[k] = v
	}
	c.write(map[string]any{"type": "search", "data": req})
	var r struct {
		Error                string
		SearchID             string
		OutputSearchSubproto string
	}
	if err := json.Unmarshal(c.recv("search"), &r); err != nil || r.Error != "" || r.SearchID == "" {
		c.t.Fatalf("launch %q: %+v %v", query, r, err)
	}
	c.write(map[string]any{"type": "search", "data": map[string]any{"Ok": true, "OutputSearchSubproto": r.OutputSearchSubproto}})
	c.waitFinished(r.OutputSearchSubproto)
	return r.SearchID, r.OutputSearchSubproto
}

// attachReply is the attach channel's reply.
type attachReply struct {
	Error       string
	Subproto    string
	RendererMod string
	Info        *struct {
		ID        string
		UID       int32
		UserQuery string
	}
}

func (c *wsClient) attach(id string) attachReply {
	c.t.Helper()
	c.write(map[string]any{"type": "attach", "data": map[string]any{"ID": id}})
	var r attachReply
	if err := json.Unmarshal(c.recv("attach"), &r); err != nil {
		c.t.Fatal(err)
	}
	return r
}

// stream runs REQ_STREAMING on channel and returns the entries of every block, in order,
// and the number of blocks including the terminator.
func (c *wsClient) stream(channel string) ([]json.RawMessage, int) {
	c.t.Helper()
	c.write(map[string]any{"type": channel, "data": map[string]any{"ID": 17}})
	var out []json.RawMessage
	for blocks := 1; blocks < 10000; blocks++ {
		var b struct {
			ID       uint32
			Error    string
			Finished bool
			Entries  []json.RawMessage
		}
		if err := json.Unmarshal(c.recv(channel), &b); err != nil {
			c.t.Fatal(err)
		}
		if b.ID != 17 || b.Error != "" {
			c.t.Fatalf("stream block: ID %d, error %q", b.ID, b.Error)
		}
		out = append(out, b.Entries...)
		if b.Finished {
			return out, blocks
		}
	}
	c.t.Fatal("stream did not end")
	return nil, 0
}

// listIDs returns the IDs GET /api/searchctrl lists on url for who, with their states.
func listIDs(t testing.TB, url, who string) map[string]string {
	t.Helper()
	r := httpDo(t, "GET", url+"/api/searchctrl", who, nil)
	if r.code != 200 {
		t.Fatalf("list: %d %s", r.code, r.body)
	}
	var st []struct {
		ID       string
		State    string
		Progress string
	}
	if err := json.Unmarshal(r.body, &st); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range st {
		out[s.ID] = s.State + " " + s.Progress
	}
	return out
}

// TestRegistryAttachAnywhere: a search launched on webserver A is listed on B to those who may
// see it, attached through B (every entry streamed identical to A's own channel), downloaded
// and exported through B byte for byte as from A, refused through B to a principal who may not
// see it (exactly as an unknown ID), and deleted through B on A.
func TestRegistryAttachAnywhere(t *testing.T) {
	c := startRegCluster(t)
	a := dialAs(t, c.webA.url, "alice", "PONG", "parse", "search", "attach")
	id, chA := a.launch("tag=app", c.start, c.end, nil)
	sharedID, _ := a.launch("tag=app json host | count by host | table", c.start, c.end, map[string]any{"GIDs": []int32{100}})

	// Listing on B: alice sees both, bob the shared one, carol neither, root both.
	waitFor(t, 5*time.Second, "B to list A's searches", func() bool { return len(listIDs(t, c.webB.url, "alice")) == 2 })
	for who, want := range map[string][]string{"alice": {id, sharedID}, "bob": {sharedID}, "carol": nil, "root": {id, sharedID}} {
		got := listIDs(t, c.webB.url, who)
		if len(got) != len(want) {
			t.Fatalf("%s lists %v on B, want %v", who, got, want)
		}
		for _, w := range want {
			if _, ok := got[w]; !ok {
				t.Fatalf("%s lists %v on B, want %v", who, got, want)
			}
		}
	}

	// Attach through B and stream every entry: identical to A's own channel.
	b := dialAs(t, c.webB.url, "alice", "PONG", "attach")
	ar := b.attach(id)
	if ar.Error != "" || ar.Subproto == "" || ar.Info == nil || ar.Info.ID != id || ar.Info.UID != 1 || ar.RendererMod != "text" {
		t.Fatalf("attach through B: %+v", ar)
	}
	cntB := b.waitFinished(ar.Subproto)
	if cntB.EntryCount != regEntries {
		t.Fatalf("count through B: %+v", cntB)
	}
	viaA, blocksA := a.stream(chA)
	viaB, blocksB := b.stream(ar.Subproto)
	if len(viaA) != regEntries || len(viaB) != len(viaA) || blocksA != blocksB {
		t.Fatalf("streamed %d entries in %d blocks through A, %d in %d through B", len(viaA), blocksA, len(viaB), blocksB)
	}
	for i := range viaA {
		if !bytes.Equal(viaA[i], viaB[i]) {
			t.Fatalf("entry %d differs:\nA %s\nB %s", i, viaA[i], viaB[i])
		}
	}
	// Pages and a PONG on the relayed socket still work after the stream.
	page := map[string]any{"ID": 16, "EntryRange": map[string]any{"First": 100, "Last": 200}}
	if pa, pb := a.do(chA, page, nil), b.do(ar.Subproto, page, nil); !bytes.Equal(pa, pb) {
		t.Fatalf("page differs:\nA %.300s\nB %.300s", pa, pb)
	}
	b.write(map[string]any{"type": "PONG", "data": map[string]any{}})
	b.recv("PONG")

	// REST through B, byte for byte as from A: status, download, export.
	for _, path := range []string{"/download/json", "/download/text", "/entries", "/details"} {
		ra := httpDo(t, "GET", c.webA.url+"/api/searchctrl/"+id+path, "alice", nil)
		rb := httpDo(t, "GET", c.webB.url+"/api/searchctrl/"+id+path, "alice", nil)
		if ra.code != 200 || rb.code != 200 || (path != "/details" && !bytes.Equal(ra.body, rb.body)) {
			t.Fatalf("GET %s: A %d %d bytes, B %d %d bytes: %.300s", path, ra.code, len(ra.body), rb.code, len(rb.body), rb.body)
		}
	}

	// Ownership through B: carol is refused exactly as for an ID nobody has; bob (group 100)
	// reads the shared search through B.
	unknown := "1234567890"
	if ar := dialAs(t, c.webB.url, "carol", "attach").attach(id); ar.Error != "search "+id+" not found" {
		t.Fatalf("carol attaching through B: %+v", ar)
	}
	if ar := dialAs(t, c.webB.url, "carol", "attach").attach(unknown); ar.Error != "search "+unknown+" not found" {
		t.Fatalf("attaching an unknown ID through B: %+v", ar)
	}
	for _, path := range []string{"", "/download/json", "/entries"} {
		rc := httpDo(t, "GET", c.webB.url+"/api/searchctrl/"+id+path, "carol", nil)
		ru := httpDo(t, "GET", c.webB.url+"/api/searchctrl/"+unknown+path, "carol", nil)
		if rc.code != 404 || ru.code != 404 || strings.ReplaceAll(string(rc.body), id, unknown) != string(ru.body) {
			t.Fatalf("carol GET %s through B: %d %s; unknown: %d %s", path, rc.code, rc.body, ru.code, ru.body)
		}
	}
	if r := httpDo(t, "DELETE", c.webB.url+"/api/searchctrl/"+id, "carol", nil); r.code != 404 {
		t.Fatalf("carol deleting through B: %d %s", r.code, r.body)
	}
	bob := dialAs(t, c.webB.url, "bob", "attach")
	if ar := bob.attach(sharedID); ar.Error != "" || ar.RendererMod != "table" {
		t.Fatalf("bob attaching the shared search through B: %+v", ar)
	}
	if ar := bob.attach(id); ar.Error != "search "+id+" not found" {
		t.Fatalf("bob attaching alice's private search through B: %+v", ar)
	}

	// Sharing changed through B reaches A and then the registry: bob sees it on B's list and
	// attaches through B.
	if r := httpDo(t, "PUT", c.webB.url+"/api/searchctrl/"+id+"/groups", "alice", []byte(`{"GIDs":[100]}`)); r.code != 200 {
		t.Fatalf("sharing through B: %d %s", r.code, r.body)
	}
	waitFor(t, 5*time.Second, "bob to list the newly shared search on B", func() bool {
		_, ok := listIDs(t, c.webB.url, "bob")[id]
		return ok
	})
	if ar := bob.attach(id); ar.Error != "" {
		t.Fatalf("bob attaching the newly shared search through B: %+v", ar)
	}

	// Delete through B reaches A; the record goes, and B then answers not found.
	if r := httpDo(t, "DELETE", c.webB.url+"/api/searchctrl/"+id, "alice", nil); r.code != 200 {
		t.Fatalf("delete through B: %d %s", r.code, r.body)
	}
	if r := httpDo(t, "GET", c.webA.url+"/api/searchctrl/"+id, "root", nil); r.code != 404 {
		t.Fatalf("the search is still live on A after a delete through B: %d %s", r.code, r.body)
	}
	waitFor(t, 5*time.Second, "the record to go", func() bool { _, ok := listIDs(t, c.webB.url, "alice")[id]; return !ok })
	if r := httpDo(t, "GET", c.webB.url+"/api/searchctrl/"+id, "alice", nil); r.code != 404 {
		t.Fatalf("status after delete through B: %d %s", r.code, r.body)
	}
	// The relayed channel says the search is gone, as A's own would.
	var er struct {
		ID    uint32
		Error string
	}
	b.do(ar.Subproto, map[string]any{"ID": 3}, &er)
	if er.Error == "" {
		t.Fatalf("request on a relayed channel of a deleted search: %+v", er)
	}
	// REQ_CLOSE on the relayed channel is answered, and the channel ends.
	b.do(ar.Subproto, map[string]any{"ID": 1}, nil)
}

// TestRegistryOwnerGone: when the webserver holding a search dies, attaching or reading it
// through another webserver answers at once with an error naming the dead webserver (never a
// hang), a request on a relayed channel gets RESP_ERROR naming it, the list marks the search
// GONE, and a delete clears its record.
func TestRegistryOwnerGone(t *testing.T) {
	c := startRegCluster(t)
	a := dialAs(t, c.webA.url, "alice", "PONG", "search", "attach")
	id, _ := a.launch("tag=app", c.start, c.end, map[string]any{"Background": true})
	waitFor(t, 5*time.Second, "B to list A's search", func() bool { _, ok := listIDs(t, c.webB.url, "alice")[id]; return ok })
	b := dialAs(t, c.webB.url, "alice", "attach")
	ar := b.attach(id)
	if ar.Error != "" {
		t.Fatalf("attach through B: %+v", ar)
	}
	addrA := strings.TrimPrefix(c.webA.url, "http://")

	killed := time.Now()
	c.webA.kill(t)
	t.Logf("killing A took %s", time.Since(killed))
	// A request on the relayed channel: answered RESP_ERROR naming A, not left waiting.
	var er struct {
		ID       uint32
		Error    string
		Addendum json.RawMessage
	}
	began := time.Now()
	b.do(ar.Subproto, map[string]any{"ID": 3, "Addendum": map[string]int{"n": 7}}, &er)
	if er.ID != 0xFFFFFFFF || !strings.Contains(er.Error, "web-a ("+addrA+")") || string(er.Addendum) != `{"n":7}` {
		t.Fatalf("request on a relayed channel after A died: %+v", er)
	}
	// Attach and REST at once: A does not answer, and the error names it.
	if ar := dialAs(t, c.webB.url, "alice", "attach").attach(id); !strings.Contains(ar.Error, "webserver web-a ("+addrA+")") {
		t.Fatalf("attach through B right after A died: %+v", ar)
	}
	// (502 while B still counts A alive, 410 once DeadAfter has passed on a slow machine)
	if r := httpDo(t, "GET", c.webB.url+"/api/searchctrl/"+id, "alice", nil); (r.code != 502 && r.code != 410) ||
		!strings.Contains(string(r.body), "webserver web-a ("+addrA+")") {
		t.Fatalf("status through B right after A died: %d %s", r.code, r.body)
	}
	t.Logf("the answers about the dead webserver took %s", time.Since(began))
	if d := time.Since(began); d > 10*time.Second {
		t.Fatalf("the answers about a dead webserver took %s", d)
	}
	// Past DeadAfter the registry knows A is gone: listed GONE, answered 410 and "is gone".
	waitFor(t, 3*testDeadAfter, "B to list the search as gone", func() bool {
		return strings.HasPrefix(listIDs(t, c.webB.url, "alice")[id], "GONE gone: webserver web-a")
	})
	ar = dialAs(t, c.webB.url, "alice", "attach").attach(id)
	if want := "search " + id + " is gone: webserver web-a (" + addrA + ") is not answering"; !strings.HasPrefix(ar.Error, want) {
		t.Fatalf("attach through B after A is dead: %q, want %q…", ar.Error, want)
	}
	if r := httpDo(t, "GET", c.webB.url+"/api/searchctrl/"+id+"/entries", "alice", nil); r.code != 410 || !strings.Contains(string(r.body), "web-a") {
		t.Fatalf("export through B after A is dead: %d %s", r.code, r.body)
	}
	if r := httpDo(t, "GET", c.webB.url+"/api/searchctrl/"+id, "carol", nil); r.code != 404 {
		t.Fatalf("carol asking about alice's gone search: %d %s", r.code, r.body)
	}
	if r := httpDo(t, "DELETE", c.webB.url+"/api/searchctrl/"+id, "alice", nil); r.code != 200 {
		t.Fatalf("deleting a gone search: %d %s", r.code, r.body)
	}
	if _, ok := listIDs(t, c.webB.url, "alice")[id]; ok {
		t.Fatal("a deleted gone search is still listed")
	}
}

// TestRegistryProxyCredential: the holder accepts a proxy credential only when it is
// genuine, meant for it, unexpired and used for its search; a forged one is refused 401, and
// a genuine one authorises exactly its principal (carol's credential reads nothing of
// alice's).
func TestRegistryProxyCredential(t *testing.T) {
	c := startRegCluster(t)
	a := dialAs(t, c.webA.url, "alice", "search")
	id, _ := a.launch("tag=app", c.start, c.end, nil)
	other, _ := a.launch("tag=app", c.start, c.end, nil)
	alice := &access.Principal{Name: "alice", UID: 1, GIDs: []int32{100}}
	carol := &access.Principal{Name: "carol", UID: 3}
	get := func(path, cred string) httpReply {
		t.Helper()
		req, _ := http.NewRequest("GET", c.webA.url+path, nil)
		req.Header.Set(cluster.ProxyHeader, cred)
		req.Header.Set("Authorization", "Bearer tok-root") // ignored: the proxy credential decides
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return httpReply{resp.StatusCode, b}
	}
	good := c.webB.reg.ProxyCredential(alice, id, "web-a")
	if r := get("/api/searchctrl/"+id, good); r.code != 200 {
		t.Fatalf("a genuine credential: %d %s", r.code, r.body)
	}
	for name, tc := range map[string]struct{ path, cred, want string }{
		"other search":  {"/api/searchctrl/" + other, good, "it is for search " + id},
		"other route":   {"/api/searchctrl", good, "it is for search " + id},
		"other node":    {"/api/searchctrl/" + id, c.webB.reg.ProxyCredential(alice, id, "web-b"), "it is for node web-b"},
		"tampered":      {"/api/searchctrl/" + id, "x" + good, "bad signature"},
		"malformed":     {"/api/searchctrl/" + id, "nonsense", "malformed"},
		"self-made MAC": {"/api/searchctrl/" + id, strings.Split(good, ".")[0] + ".AAAA", "bad signature"},
	} {
		if r := get(tc.path, tc.cred); r.code != 401 || !strings.Contains(string(r.body), tc.want) {
			t.Fatalf("%s: %d %s, want 401 %q", name, r.code, r.body, tc.want)
		}
	}
	// carol's genuine credential serves carol: alice's search is not found for her.
	if r := get("/api/searchctrl/"+id, c.webB.reg.ProxyCredential(carol, id, "web-a")); r.code != 404 {
		t.Fatalf("carol's credential on alice's search: %d %s", r.code, r.body)
	}
}

// TestRegistryIDsUnique: a claimed ID is refused to every other webserver (search.ErrIDTaken,
// which makes the manager draw another), and searches launched on both webservers get
// distinct IDs, each listed once on both.
func TestRegistryIDsUnique(t *testing.T) {
	c := startRegCluster(t)
	s := &search.Search{ID: "4242424242", Query: &search.Query{Raw: "tag=app"}}
	if err := c.webA.reg.Claim(s); err != nil {
		t.Fatal(err)
	}
	if err := c.webB.reg.Claim(s); !errors.Is(err, search.ErrIDTaken) {
		t.Fatalf("claiming a taken ID on B: %v", err)
	}
	c.webA.reg.Release(s)
	// A released ID can be claimed again. The bucket has 3 replicas and direct gets, which any
	// replica may answer before it has applied the delete (Create then refuses the key), so the
	// claim is retried for a while; in production a refused ID is simply drawn again.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		err := c.webB.reg.Claim(s)
		if err == nil {
			break
		}
		if !errors.Is(err, search.ErrIDTaken) || time.Now().After(deadline) {
			t.Fatalf("claiming a released ID on B: %v", err)
		}
	}
	c.webB.reg.Release(s)

	a := dialAs(t, c.webA.url, "root", "search")
	b := dialAs(t, c.webB.url, "root", "search")
	ids := map[string]bool{}
	for i := 0; i < 4; i++ {
		for _, ws := range []*wsClient{a, b} {
			id, _ := ws.launch("tag=app", c.start, c.end, nil)
			if ids[id] {
				t.Fatalf("ID %s given twice", id)
			}
			ids[id] = true
		}
	}
	for _, url := range []string{c.webA.url, c.webB.url} {
		waitFor(t, 5*time.Second, "every search listed", func() bool {
			got := listIDs(t, url, "root")
			for id := range ids {
				if _, ok := got[id]; !ok {
					return false
				}
			}
			return len(got) == len(ids)
		})
	}
}
