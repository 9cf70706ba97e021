package cluster_test

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sluicehq/sluice/engine/cluster"
)

// TestClusterOnDebianNATS runs an indexer and a webserver against the nats-server binary on the
// PATH (Debian's 2.9 in CI: .ci/run installs it), started by the test as
// `nats-server -js -a 127.0.0.1 -p PORT -sd DIR`: ingest, search, and the stats view.
func TestClusterOnDebianNATS(t *testing.T) {
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		if os.Getenv("SLUICE_REQUIRE_NATS_SERVER") != "" { // set by .ci/run
			t.Fatal("nats-server is not installed (.ci/run installs Debian's)")
		}
		t.Skip("nats-server not on the PATH (apt-get install nats-server)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "-js", "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-sd", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	url := "nats://127.0.0.1:" + strconv.Itoa(port)
	waitFor(t, 10*time.Second, "nats-server to accept clients", func() bool {
		nc, err := nats.Connect(url)
		if err != nil {
			return false
		}
		nc.Close()
		return true
	})
	single := func(name string, role cluster.Role) cluster.Config {
		c := nodeConfig(url, name, role)
		c.Replicas = 1
		return c
	}
	idx := startNode(t, single("idx-1", cluster.RoleIndexer), "")
	web := startNode(t, single("web-a", cluster.RoleWebserver), "")
	waitSpread(t, web, 1)
	const n = 500
	if code, body := postIngest(t, web.url, appEntries("app", 0, n, time.Second)); code != 200 {
		t.Fatalf("ingest: %d %s", code, body)
	}
	waitFor(t, 20*time.Second, "the indexer to store every entry", func() bool { return idx.stored() == n })
	c := dial(t, web.url, "/api/ws/search", "PONG", "parse", "search", "attach")
	if _, cnt := c.search("tag=app json host | count by host | table", base, base.Add(time.Hour)); cnt.EntryCount != 3 || cnt.Warning != "" {
		t.Fatalf("count by host: %+v", cnt)
	}
	if _, cnt := c.search("tag=app", base, base.Add(time.Hour)); cnt.EntryCount != n {
		t.Fatalf("entries: %+v", cnt)
	}
}
