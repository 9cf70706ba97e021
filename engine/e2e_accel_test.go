package engine_test

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/store"
	"github.com/sluicehq/sluice/wire"
)

// TestAccelFieldsEndToEnd: a well configured with a kv field accelerator, on a real server.
// A needle by field (kv user==...) and one by source (src ADDR) return, through a real
// websocket client, exactly the entries the data holds, while the accelerators skip most
// blocks (sluice_search_blocks_skipped_total on /metrics); a query they cannot help (~)
// returns the same entries and skips nothing.
func TestAccelFieldsEndToEnd(t *testing.T) {
	ts := startServer(t, func(c *engine.Config) {
		c.Store.BlockSize = 4 << 10
		c.Store.Wells = []store.WellConfig{{Name: "web", Tags: []string{"web"},
			Accel: store.AccelConfig{Extractor: "kv", Fields: []string{"user", "host"}}}}
	})
	id, err := ts.eng.TagID("web")
	if err != nil {
		t.Fatal(err)
	}
	const n = 20000
	ents := make([]wire.Entry, n)
	for i := range ents {
		ents[i] = wire.Entry{TS: base.Add(time.Duration(i) * time.Second).UnixNano(), Tag: id,
			SRC:  netip.AddrFrom4([4]byte{10, 9, byte(i / 1000), byte(i % 7)}),
			Data: []byte(fmt.Sprintf("t=%d user=u%d host=h%d path=/x/%d", i, i/10, i%5, i*7919%10007))}
	}
	for lo := 0; lo < n; lo += 5000 {
		if err := ts.eng.Ingest(ents[lo : lo+5000]); err != nil {
			t.Fatal(err)
		}
	}
	skippedTotal := func() (blocks, skipped float64) {
		code, body := httpDo(t, "GET", ts.srv.URL+"/metrics", nil, nil)
		if code != 200 {
			t.Fatalf("GET /metrics: %d", code)
		}
		for _, line := range strings.Split(string(body), "\n") {
			name, v, ok := strings.Cut(line, " ")
			f, err := strconv.ParseFloat(v, 64)
			if !ok || err != nil {
				continue
			}
			switch name {
			case "sluice_search_blocks_total":
				blocks = f
			case "sluice_search_blocks_skipped_total":
				skipped = f
			}
		}
		return blocks, skipped
	}
	c := dial(t, ts.url+"/api/ws/search", "search")
	for _, q := range []struct {
		query string
		want  func(i int) bool
		skip  bool // the accelerator must skip most blocks
	}{
		{"tag=web kv user==u1234", func(i int) bool { return i/10 == 1234 }, true},
		{`tag=web kv user=="u1234" host==h2`, func(i int) bool { return i/10 == 1234 && i%5 == 2 }, true},
		{"tag=web src 10.9.17.3", func(i int) bool { return i/1000 == 17 && i%7 == 3 }, true},
		{"tag=web kv user~u1234", func(i int) bool { return strings.Contains("u"+strconv.Itoa(i/10), "u1234") }, false},
	} {
		blocks0, skipped0 := skippedTotal()
		r := c.launch(q.query, base, base.Add(n*time.Second))
		count := c.waitDone(r.OutputSearchSubproto)
		got := c.pageAll(r.OutputSearchSubproto, 500, int(count))
		var want []int
		for i := range ents {
			if q.want(i) {
				want = append(want, i)
			}
		}
		var gotIdx []int
		for _, e := range got {
			src, _ := netip.AddrFromSlice(e.SRC)
			i := int(e.TS.Sub(base) / time.Second)
			if i < 0 || i >= n || string(e.Data) != string(ents[i].Data) || src.Unmap() != ents[i].SRC {
				t.Fatalf("%s: unexpected entry %v %v %q", q.query, e.TS, e.SRC, e.Data)
			}
			gotIdx = append(gotIdx, i)
		}
		slices.Sort(gotIdx)
		if len(want) == 0 || !slices.Equal(gotIdx, want) {
			t.Fatalf("%s: entries %v, want %v", q.query, gotIdx, want)
		}
		c.closeOutput(r.OutputSearchSubproto)
		blocks1, skipped1 := skippedTotal()
		blocks, skipped := blocks1-blocks0, skipped1-skipped0
		t.Logf("%s: %d entries; %v of %v blocks skipped", q.query, len(got), skipped, blocks)
		if blocks < 50 || q.skip && skipped < blocks*9/10 || !q.skip && skipped != 0 {
			t.Fatalf("%s: %v of %v blocks skipped", q.query, skipped, blocks)
		}
	}
	st := ts.eng.Store().Stats()
	for _, w := range st {
		if w.Name == "web" && (w.AccelBytes == 0 || w.AccelBytes > w.Bytes/4) {
			t.Fatalf("web well: AccelBytes %d of %d bytes", w.AccelBytes, w.Bytes)
		}
	}
}
