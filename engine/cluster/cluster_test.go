package cluster_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/cluster"
	"github.com/sluicehq/sluice/engine/search"
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
		// mergeable: the indexers run the pipeline and send partial aggregates
		"tag=app json host bytes | count by host | table",
		"tag=* json host bytes i | stats count sum(bytes) mean(bytes) min(i) max(i) unique_count(host) by host | table",
		"tag=app json host i | stddev i by host | table",
		"tag=app json host i | variance i | table",
		"tag=app,other json host i | mean i by TAG,host | table",
		"tag=app json host bytes | sort by bytes | limit 40 | table host bytes",
		"tag=* json host | sort by host asc | table host",
		"tag=app json host bytes | sum bytes by host | chart sum by host",
		"tag=app json host bytes | mean bytes over 10m | chart mean",
		"tag=app count",
		"tag=* count by TAG | table",
		"tag=app count | chart count",
		// not mergeable (unique before any condensing module): entries, merged by time
		"tag=* json host | unique host | table host",
	} {
		pq, err := search.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		shares := webB.node.PartialShares()
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
		if got, want := webB.node.PartialShares()-shares, map[bool]uint64{true: 2}[pq.Mergeable()]; got != want {
			t.Fatalf("%q: %d partial shares received, want %d (mergeable: %v)", q, got, want, pq.Mergeable())
		}
		// the statistics: every module's counters and the overview, as a single node's
		var sumW, sumR, ovW, ovR statsReply
		cw.do(chW, map[string]any{"ID": 0x7F000005}, &sumW)
		cr.do(chR, map[string]any{"ID": 0x7F000005}, &sumR)
		if fmt.Sprint(sumW.counts()) != fmt.Sprint(sumR.counts()) || len(sumR.counts()) == 0 {
			t.Fatalf("%q: module statistics differ\ncluster:     %v\nsingle node: %v", q, sumW.counts(), sumR.counts())
		}
		ov := map[string]any{"ID": 0x7F000007, "Stats": map[string]any{"SetCount": 12}}
		cw.do(chW, ov, &ovW)
		cr.do(chR, ov, &ovR)
		if !bytes.Equal(ovW.Stats.OverviewSet, ovR.Stats.OverviewSet) || len(ovR.Stats.OverviewSet) < 10 {
			t.Fatalf("%q: overviews differ\ncluster:     %s\nsingle node: %s", q, ovW.Stats.OverviewSet, ovR.Stats.OverviewSet)
		}
	}
}

// statsReply is the part of a stats reply compared between nodes (durations differ).
type statsReply struct {
	Stats struct {
		Set []struct {
			Stats []struct{ InputCount, OutputCount, InputBytes, OutputBytes uint64 }
		}
		OverviewSet json.RawMessage
	}
}

// counts returns every module's counters per set.
func (r *statsReply) counts() [][]uint64 {
	var out [][]uint64
	for _, set := range r.Stats.Set {
		var row []uint64
		for _, m := range set.Stats {
			row = append(row, m.InputCount, m.OutputCount, m.InputBytes, m.OutputBytes)
		}
		out = append(out, row)
	}
	return out
}
