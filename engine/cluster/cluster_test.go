package cluster_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/cluster"
)

// TestClusterSearchEqualsSingleNode: two indexers and two webservers on a three-server NATS
// cluster; entries ingested through one webserver and searched through the other give the
// same entry, table and chart results as one node holding all the data.
func TestClusterSearchEqualsSingleNode(t *testing.T) {
	url := startNATS(t)
	idx1 := startNode(t, nodeConfig(url, "idx-1", cluster.RoleIndexer), "")
	idx2 := startNode(t, nodeConfig(url, "idx-2", cluster.RoleIndexer), "")
	webA := startNode(t, nodeConfig(url, "web-a", cluster.RoleWebserver), "")
	webB := startNode(t, nodeConfig(url, "web-b", cluster.RoleWebserver), "")

	// the single-node reference
	ref, err := engine.New(engine.Config{DataDir: t.TempDir(), Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ref.Close() })
	refSrv := newServer(t, ref)

	// wait until both indexers hold partitions, so both get data
	waitSpread(t, webB, 2)
	const n, m = 3000, 200
	batches := [][]jsonEntry{appEntries("app", 0, n/2, 977*time.Millisecond), appEntries("app", n/2, n/2, 977*time.Millisecond),
		appEntries("other", 0, m, 3*time.Second+time.Millisecond)}
	for _, b := range batches {
		if code, body := postIngest(t, webA.url, b); code != 200 {
			t.Fatalf("cluster ingest: %d %s", code, body)
		}
		if code, body := postIngest(t, refSrv, b); code != 200 {
			t.Fatalf("reference ingest: %d %s", code, body)
		}
	}
	waitFor(t, 20*time.Second, "indexers to store every entry", func() bool { return idx1.stored()+idx2.stored() == n+m })
	if idx1.stored() == 0 || idx2.stored() == 0 {
		t.Fatalf("entries not spread: idx-1 %d, idx-2 %d", idx1.stored(), idx2.stored())
	}

	cw := dial(t, webB.url, "/api/ws/search", "PONG", "parse", "search", "attach")
	cr := dial(t, refSrv, "/api/ws/search", "PONG", "parse", "search", "attach")
	start, end := base.Add(-time.Minute), base.Add(2*time.Hour)
	for _, q := range []string{
		"tag=app",
		"tag=* grep h1",
		"tag=app json host bytes | table host bytes",
		"tag=app json host bytes | sum bytes by host | table host sum",
		"tag=app json host | count by host over 1m | chart count by host",
		"tag=other json i | stats count mean(i) | table",
	} {
		chW, cntW := cw.search(q, start, end)
		chR, cntR := cr.search(q, start, end)
		if cntW.EntryCount != cntR.EntryCount || cntW.EntryCount == 0 || cntW.Warning != "" {
			t.Fatalf("%q: cluster %+v, single node %+v", q, cntW, cntR)
		}
		req := map[string]any{"ID": 16, "EntryRange": map[string]any{"First": 0, "Last": 10000}}
		var gotW, gotR struct{ Entries json.RawMessage }
		cw.do(chW, req, &gotW)
		cr.do(chR, req, &gotR)
		if !bytes.Equal(gotW.Entries, gotR.Entries) {
			t.Fatalf("%q: results differ\ncluster:     %.600s\nsingle node: %.600s", q, gotW.Entries, gotR.Entries)
		}
	}
}
