package engine_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
)

// POST /api/ingest through the real store, then searched back over the search socket.

type ingestReply struct {
	Stored int
	Error  string
}

func postIngest(t *testing.T, ts *testServer, query, contentType, body string) (int, ingestReply) {
	t.Helper()
	hdr := http.Header{}
	if contentType != "" {
		hdr.Set("Content-Type", contentType)
	}
	code, b := httpDo(t, "POST", ts.srv.URL+"/api/ingest"+query, hdr, strings.NewReader(body))
	var r ingestReply
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("ingest reply %q: %v", b, err)
	}
	return code, r
}

func TestIngestEndToEnd(t *testing.T) {
	const maxEntry = 1024
	ts := startServer(t, func(c *engine.Config) { c.Store.MaxEntrySize = maxEntry })
	c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	loopback := netip.MustParseAddr("127.0.0.1")
	src := netip.MustParseAddr("192.0.2.7")
	// want is what the store must hold, newest first, with the tag each entry must carry.
	type stored struct {
		ts   time.Time
		src  netip.Addr
		data string
		tag  string
	}
	want := []stored{
		{base.Add(6 * time.Second), loopback, "epoch", "web"},
		{base.Add(5250 * time.Millisecond), netip.MustParseAddr("2001:db8::5"), "bin\x00ary\xff", "api"},
		{base.Add(4 * time.Second), loopback, "json one", "web"},
		{base.Add(3 * time.Second), src, "2024-05-01T09:00:03Z GET /c 404", "web"},
		{base.Add(2500 * time.Millisecond), src, "2024-05-01T09:00:02.5Z POST /b 201", "web"},
		{base.Add(1 * time.Second), src, "2024-05-01T09:00:01Z GET /a 200", "web"},
	}
	// check searches tag=web,api and compares everything with want.
	check := func(when string) {
		t.Helper()
		r := c.launch("tag=web,api", base, base.Add(hour))
		ch := r.OutputSearchSubproto
		if got := c.waitDone(ch); got != uint64(len(want)) {
			t.Fatalf("%s: the store holds %d entries, want %d", when, got, len(want))
		}
		var p goEntriesResp
		c.do(ch, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": 0, "Last": 100}}, &p)
		for i, e := range p.Entries {
			w := want[i]
			got, _ := netip.AddrFromSlice(e.SRC)
			if !e.TS.Equal(w.ts) || got.Unmap() != w.src || string(e.Data) != w.data || e.Tag != p.Tags[w.tag] {
				t.Fatalf("%s: entry %d = {%v %v %q tag %d}, want {%v %v %q %s=%d}", when, i, e.TS, e.SRC, e.Data, e.Tag,
					w.ts, w.src, w.data, w.tag, p.Tags[w.tag])
			}
		}
		c.closeOutput(ch)
	}

	// Newline-delimited lines: timestamps from the text, CRLF and empty lines handled.
	code, r := postIngest(t, ts, "?tag=web&src=192.0.2.7", "text/plain",
		"2024-05-01T09:00:01Z GET /a 200\n2024-05-01T09:00:02.5Z POST /b 201\r\n\n2024-05-01T09:00:03Z GET /c 404")
	if code != http.StatusOK || r.Stored != 3 {
		t.Fatalf("lines: %d %+v", code, r)
	}
	// A JSON array: default tag from tag=, explicit Tag, SRC, base64 Data, epoch TS.
	body, _ := json.Marshal([]map[string]any{
		{"TS": "2024-05-01T09:00:04Z", "Text": "json one"},
		{"TS": "2024-05-01T11:00:05.25+02:00", "Tag": "api", "SRC": "2001:db8::5", "Data": base64.StdEncoding.EncodeToString([]byte("bin\x00ary\xff"))},
		{"TS": base.Unix() + 6, "Text": "epoch"},
	})
	code, r = postIngest(t, ts, "?tag=web", "application/json", string(body))
	if code != http.StatusOK || r.Stored != 3 {
		t.Fatalf("json: %d %+v", code, r)
	}
	check("after the good requests")

	// Bad requests: 400 naming the line, entry or parameter, and nothing of them stored
	// (every one carries good entries inside the searched range before its bad part).
	long := strings.Repeat("x", maxEntry+1)
	for _, k := range []struct {
		query, ctype, body string
		code               int
		want               []string
	}{
		{"?tag=web", "text/plain", "2024-05-01T09:00:10Z ok\n2024-05-01T09:00:11Z ok\n" + long + "\n2024-05-01T09:00:12Z ok",
			400, []string{"line 3", "MaxEntrySize=1024"}},
		{"?tag=web", "", "2024-05-01T09:00:10Z ok\n\n\n2024-05-01T09:00:11Z " + long,
			400, []string{"line 4", "MaxEntrySize=1024"}},
		{"?tag=bad%20tag!", "text/plain", "2024-05-01T09:00:10Z ok\n2024-05-01T09:00:11Z ok", 400, []string{"tag", "bad tag!"}},
		{"", "text/plain", "2024-05-01T09:00:10Z ok", 400, []string{"tag"}},
		{"?tag=web&src=not-an-ip", "text/plain", "2024-05-01T09:00:10Z ok", 400, []string{"src"}},
		{"?tag=web", "application/json", `[{"TS":"2024-05-01T09:00:10Z","Text":"ok"},{"TS":"2024-05-01T09:00:11Z","Text":"ok"},{"TS":"2024-05-01T09:00:12Z","Tag":"no spaces","Text":"x"}]`,
			400, []string{"entry 2", "Tag", "no spaces"}},
		{"?tag=web", "application/json", `[{"TS":"2024-05-01T09:00:10Z","Text":"ok"},{"TS":"2024-05-01T09:00:11Z","Text":"` + long + `"}]`,
			400, []string{"entry 1", "MaxEntrySize=1024"}},
		{"?tag=web", "application/json", `[{"TS":"2024-05-01T09:00:10Z","Text":"ok"},`, 400, []string{"malformed JSON"}},
		{"?tag=web", "application/json", `[{"TS":"2024-05-01T09:00:10Z","Text":"ok"},{"TS":"2024-05-01T09:00:11Z","Txt":"typo"}]`,
			400, []string{"entry 1", "Txt"}},
		{"?tag=web", "application/json", `[{"TS":"2024-05-01T09:00:10Z","Text":"ok"},{"TS":"2024-05-01T09:00:11Z","Data":"!!not base64!!"}]`,
			400, []string{"entry 1", "Data"}},
		{"?tag=web", "application/json", `[{"TS":"2024-05-01T09:00:10Z","Text":"ok"},{"TS":"yesterday","Text":"x"}]`,
			400, []string{"entry 1", "TS"}},
		{"", "application/json", `[{"TS":"2024-05-01T09:00:10Z","Tag":"web","Text":"ok"},{"TS":"2024-05-01T09:00:11Z","Text":"no tag"}]`,
			400, []string{"entry 1", "Tag"}},
		{"?tag=web", "application/json", `{"TS":"2024-05-01T09:00:10Z","Text":"ok"}`, 400, []string{"array"}},
	} {
		code, r := postIngest(t, ts, k.query, k.ctype, k.body)
		if code != k.code || r.Stored != 0 {
			t.Errorf("%s %q: %d %+v, want %d", k.query, k.body, code, r, k.code)
		}
		for _, w := range k.want {
			if !strings.Contains(r.Error, w) {
				t.Errorf("%s %.60q: Error %q does not mention %q", k.query, k.body, r.Error, w)
			}
		}
	}
	if code, b := httpDo(t, "GET", ts.srv.URL+"/api/ingest?tag=web", nil, nil); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /api/ingest: %d %s", code, b)
	}
	check("after the bad requests")
	// The refused tags were not created.
	for _, name := range []string{"no spaces", "bad tag!"} {
		if _, ok := ts.eng.Store().LookupTag(name); ok {
			t.Errorf("refused tag %q exists", name)
		}
	}

	// The stored entries run through a pipeline like any others.
	rg := c.launch("tag=web grep GET", base, base.Add(hour))
	if got := c.waitDone(rg.OutputSearchSubproto); got != 2 {
		t.Fatalf("grep GET: %d entries, want 2", got)
	}
	rc := c.launch("tag=web,api | count | table count", base, base.Add(hour))
	c.waitDone(rc.OutputSearchSubproto)
	var tab goTableResp
	c.do(rc.OutputSearchSubproto, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": 0, "Last": 10}}, &tab)
	if len(tab.Entries.Rows) != 1 || tab.Entries.Rows[0].Row[0] != "6" {
		t.Fatalf("count: %+v", tab.Entries)
	}
}
