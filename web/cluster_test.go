package web_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/cluster"
	"github.com/sluicehq/sluice/engine/cluster/localnats"
)

// TestConsoleCluster: the dashboard of a real cluster (NATS JetStream in-process, a webserver
// and two indexers on loopback) lists every backend; an indexer that crashes is reported
// "Disconnected" in its ping state, which the dashboard shows as dead in a banner naming it
// (the page's own 30 s silence rule is not what fires here: the ping keeps arriving); when a
// node of that name comes back, its pings are OK again and the banner clears.
func TestConsoleCluster(t *testing.T) {
	chromium := findChromium(t)
	nc, err := localnats.Start(localnats.Config{Servers: 1, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Shutdown)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	type node struct {
		n   *cluster.Node
		eng *engine.Engine
		srv *httptest.Server
	}
	start := func(name string, role cluster.Role) *node {
		t.Helper()
		n, err := cluster.New(cluster.Config{URL: nc.URL(), Name: name, Role: role, IndexerKey: name + ":9404",
			Heartbeat: 200 * time.Millisecond, DeadAfter: 1500 * time.Millisecond, SearchTimeout: 3 * time.Second,
			Partitions: 2, Replicas: 1, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		cfg := engine.Config{Logger: quiet}
		dir := t.TempDir()
		if role.Indexes() {
			cfg.DataDir = dir
		}
		cfg.Stats.PingPeriod = 200 * time.Millisecond
		cfg.Stats.SysStatsPeriod = 300 * time.Millisecond
		cfg.Stats.IdxStatsPeriod = 300 * time.Millisecond
		cfg.Stats.IgstStatsPeriod = 300 * time.Millisecond
		cfg.Cluster = &engine.ClusterHooks{Source: n.Source(), Tags: n.Tags(), Ingest: n.Ingest(), Stats: n.Stats()}
		eng, err := engine.New(cfg)
		if err != nil {
			n.Close()
			t.Fatal(err)
		}
		if role.Indexes() {
			if err := n.AttachStore(eng.Store(), dir); err != nil {
				n.Close()
				eng.Close()
				t.Fatal(err)
			}
		}
		x := &node{n: n, eng: eng, srv: httptest.NewServer(eng.Handler())}
		t.Cleanup(func() {
			x.srv.Close()
			x.n.Close()
			x.eng.Close()
		})
		return x
	}
	web := start("web", cluster.RoleWebserver)
	start("idx1", cluster.RoleIndexer)
	idx2 := start("idx2", cluster.RoleIndexer)

	e := &consoleEnv{t: t, eng: web.eng, url: web.srv.URL, srvURL: web.srv.URL}
	e.startBrowser(chromium)
	e.open("/#dashboard")
	for _, host := range []string{"idx1:9404", "idx2:9404"} {
		e.waitJS("the row of "+host, fmt.Sprintf(`document.querySelector('tr[data-host=%q] .badge.ok')`, host), 15*time.Second)
	}
	e.waitJS("three backends", `document.querySelectorAll('.hosts tbody tr').length === 3`, 5*time.Second)

	// idx2 crashes: the cluster reports it Disconnected; the dashboard names it dead.
	idx2.srv.Close()
	idx2.n.Kill()
	idx2.eng.Close()
	e.waitJS("the dead banner of idx2", `document.querySelector('.banner-dead[data-backend="idx2:9404"]')`, 10*time.Second)
	banner := eval[string](e, `document.querySelector('.banner-dead[data-backend="idx2:9404"]').textContent`)
	if !strings.Contains(banner, "Backend idx2:9404 is dead: state Disconnected since") || !strings.Contains(banner, "last OK ping at") {
		t.Errorf("banner %q", banner)
	}
	e.waitJS("idx2's stats error", `/silent/.test(document.querySelector('tr[data-host="idx2:9404"] .host-error')?.textContent || '')`, 5*time.Second)
	if n := eval[int](e, `document.querySelectorAll('.banner-dead').length`); n != 1 {
		t.Errorf("%d dead banners, want only idx2's", n)
	}
	e.shot("dashboard-cluster-dead")

	// A node named idx2 comes back: OK again, banner gone.
	start("idx2", cluster.RoleIndexer)
	e.waitJS("idx2 alive again", `!document.querySelector('.banner-dead') && document.querySelector('tr[data-host="idx2:9404"] .badge.ok')`, 15*time.Second)
	e.do(chromedp.EmulateViewport(1280, 800))
	e.shot("dashboard-cluster")
	e.checkNoErrors()
}
