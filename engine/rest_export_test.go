package engine_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/search"
	"github.com/sluicehq/sluice/wire"
)

// exportLine is one line of GET /api/searchctrl/{id}/entries: an entry or the trailer.
type exportLine struct {
	TS     time.Time
	Tag    string
	Data   []byte
	Cursor string
	Next   int64
	More   bool
	Finished,
	OverLimit bool
	Row map[string]string
}

// readExport reads an export body: its entries and its trailer (nil when the body ended
// without one). stopAfter > 0 stops after that many entries, closing the body mid-stream.
func readExport(t *testing.T, url string, hdr http.Header, stopAfter int) ([]exportLine, *exportLine) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-ndjson" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	var out []exportLine
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l exportLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("export line %q: %v", sc.Bytes(), err)
		}
		if l.Cursor != "" {
			return out, &l
		}
		out = append(out, l)
		if stopAfter > 0 && len(out) == stopAfter {
			return out, nil // the deferred Close drops the connection mid-stream
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out, nil
}

// entryIndex returns the "i" of an entry written by ingestN or pushEntries.
func entryIndex(t *testing.T, l exportLine) int {
	t.Helper()
	var v struct{ I int }
	if err := json.Unmarshal(l.Data, &v); err != nil {
		t.Fatalf("entry data %q: %v", l.Data, err)
	}
	return v.I
}

// checkSequence checks that lines hold entries want[0], want[1], … exactly once each, in order.
func checkSequence(t *testing.T, lines []exportLine, want []int) {
	t.Helper()
	if len(lines) != len(want) {
		t.Fatalf("%d entries, want %d", len(lines), len(want))
	}
	for k, l := range lines {
		if got := entryIndex(t, l); got != want[k] {
			t.Fatalf("entry %d is i=%d, want i=%d (gap or duplicate)", k, got, want[k])
		}
	}
}

// TestRESTExportResume exports a finished search whole, then interrupted and resumed, then
// page by page through the trailer's cursor: the same entries, no gap, no duplicate.
func TestRESTExportResume(t *testing.T) {
	ts := startServer(t, func(c *engine.Config) { c.Search.MaxPage = 500 })
	const n = 3000
	ingestN(t, ts, "app", n)
	c := gravwell(t, ts, "unused")
	id := restLaunch(t, ts, "tag=app", base, base.Add(2*time.Hour))
	waitFinished(t, c, id)
	want := make([]int, n) // newest first
	for k := range want {
		want[k] = n - 1 - k
	}
	url := ts.srv.URL + "/api/searchctrl/" + id + "/entries"

	all, tr := readExport(t, url, nil, 0)
	checkSequence(t, all, want)
	if tr == nil || tr.Cursor != id+":"+strconv.Itoa(n) || tr.Next != n || !tr.Finished || tr.More || tr.OverLimit {
		t.Fatalf("trailer %+v", tr)
	}
	if all[0].Tag != "app" || !all[0].TS.Equal(base.Add((n-1)*time.Second)) {
		t.Fatalf("first entry %+v", all[0])
	}

	// Interrupted after 1234 entries (past MaxPage, which the export ignores), then resumed.
	part, tr := readExport(t, url, nil, 1234)
	if tr != nil {
		t.Fatalf("interrupted export has a trailer")
	}
	rest, tr := readExport(t, url+"?first=1234", nil, 0)
	if tr == nil || !tr.Finished {
		t.Fatalf("resumed export: trailer %+v", tr)
	}
	checkSequence(t, append(part, rest...), want)

	// Pages of 700 following the cursor.
	var paged []exportLine
	cursor := ""
	for pages := 0; ; pages++ {
		u := url + "?limit=700"
		if cursor != "" {
			u += "&cursor=" + cursor
		}
		page, tr := readExport(t, u, nil, 0)
		if tr == nil || pages > 10 {
			t.Fatalf("page %d: trailer %+v", pages, tr)
		}
		paged = append(paged, page...)
		cursor = tr.Cursor
		if !tr.More {
			if !tr.Finished || tr.Next != n {
				t.Fatalf("last page trailer %+v", tr)
			}
			break
		}
	}
	checkSequence(t, paged, want)

	// The download resumes the same way with first=N, and skips the CSV header then.
	code, b := httpDo(t, "GET", ts.srv.URL+"/api/searchctrl/"+id+"/download/csv?first=2990", nil, nil)
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if code != http.StatusOK || err != nil || len(rows) != 10 || rows[9][3] != `{"i":0,"host":"h0","bytes":0}` {
		t.Fatalf("csv download from 2990: %d %v %d rows", code, err, len(rows))
	}
}

// TestRESTExportFollowsRunningSearch exports an embedded search while its entries arrive:
// the export follows it to the end, and one interrupted mid-way resumes exactly.
func TestRESTExportFollowsRunningSearch(t *testing.T) {
	ts := startServer(t, nil)
	s, err := ts.eng.Embed(search.EmbedSpec{Query: "tag=ext", Tags: []string{"ext"}, Start: base, End: base.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	const batches, per = 20, 50
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := range batches {
			batch := make([]wire.Entry, per)
			for k := range batch {
				i := b*per + k
				batch[k] = wire.Entry{TS: base.Add(time.Duration(i) * time.Millisecond).UnixNano(), Data: []byte(fmt.Sprintf(`{"i":%d}`, i))}
			}
			s.Result.Add(batch)
			time.Sleep(10 * time.Millisecond)
		}
		s.Result.Finish(nil)
	}()
	want := make([]int, batches*per)
	for k := range want {
		want[k] = k
	}
	url := ts.srv.URL + "/api/searchctrl/" + s.ID + "/entries"
	part, tr := readExport(t, url, nil, 137) // while it runs
	if tr != nil {
		t.Fatal("interrupted export has a trailer")
	}
	rest, tr := readExport(t, url+"?cursor="+s.ID+":137", nil, 0)
	if tr == nil || !tr.Finished || tr.Next != batches*per {
		t.Fatalf("resumed export trailer %+v", tr)
	}
	checkSequence(t, append(part, rest...), want)
	<-done
	// follow=false answers with what is stored and says whether more may come.
	now, tr := readExport(t, url+"?follow=false&first=990", nil, 0)
	if len(now) != 10 || tr == nil || !tr.Finished || tr.More {
		t.Fatalf("follow=false: %d entries, trailer %+v", len(now), tr)
	}
}

// errorReply is the JSON error of a REST route.
type errorReply struct{ Error, Field string }

// TestRESTBadRequests checks that every bad request gets a 4xx with a JSON error naming the
// field.
func TestRESTBadRequests(t *testing.T) {
	ts := startServer(t, nil)
	ingestN(t, ts, "app", 20)
	c := gravwell(t, ts, "unused")
	id := restLaunch(t, ts, "tag=app", base, base.Add(time.Hour))
	waitFinished(t, c, id)
	other := restLaunch(t, ts, "tag=app json host | count by host | table", base, base.Add(time.Hour))
	sc := "/api/searchctrl/" + id
	if code, b := httpDo(t, "PUT", ts.srv.URL+sc+"/detach", nil, nil); code != 200 { // the launch's own hold
		t.Fatalf("detach the launch: %d %s", code, b)
	}
	cases := []struct {
		method, path, body string
		status             int
		field              string
	}{
		{"GET", "/api/searchctrl/0000000001", "", 404, "id"},
		{"GET", "/api/searchctrl/0000000001/details", "", 404, "id"},
		{"DELETE", "/api/searchctrl/0000000001", "", 404, "id"},
		{"GET", "/api/searchctrl/0000000001/download/csv", "", 404, "id"},
		{"GET", "/api/searchctrl/0000000001/entries", "", 404, "id"},
		{"GET", sc + "/download/xml", "", 400, "format"},
		{"GET", sc + "/download/lookupdata", "", 400, "format"},
		{"GET", sc + "/download/csv?start=yesterday", "", 400, "start"},
		{"GET", sc + "/download/csv", `{"StartTS":5}`, 400, "StartTS"},
		{"GET", sc + "/download/csv?first=x", "", 400, "first"},
		{"GET", sc + "/entries?cursor=bad", "", 400, "cursor"},
		{"GET", sc + "/entries?cursor=" + other + ":3", "", 400, "cursor"},
		{"GET", sc + "/entries?cursor=" + id + ":-3", "", 400, "cursor"},
		{"GET", sc + "/entries?cursor=" + id + ":999", "", 400, "cursor"},
		{"GET", sc + "/entries?first=-1", "", 400, "first"},
		{"GET", sc + "/entries?first=21", "", 400, "first"},
		{"GET", sc + "/entries?first=1&cursor=" + id + ":1", "", 400, "first"},
		{"GET", sc + "/entries?limit=ten", "", 400, "limit"},
		{"GET", sc + "/entries?follow=maybe", "", 400, "follow"},
		{"GET", sc + "/stats?SetCount=x", "", 400, "SetCount"},
		{"GET", sc + "/renderer/table/explore", "", 400, "renderer"},
		{"GET", sc + "/renderer/text/explore?first=z", "", 400, "first"},
		{"POST", sc + "/request", `{"ID":17}`, 400, "ID"},
		{"POST", sc + "/request", `{"ID":"x"}`, 400, "ID"},
		{"POST", sc + "/request", ``, 400, "body"},
		{"PUT", sc + "/group", `{"GID":"x"}`, 400, "GID"},
		{"PUT", sc + "/group", `{}`, 400, "GID"},
		{"PUT", sc + "/group", `{"GID":-2}`, 400, "GID"},
		{"PUT", sc + "/groups", `{"GIDs":[0]}`, 400, "GIDs"},
		{"PUT", sc + "/global", `{}`, 400, "Global"},
		{"PATCH", sc + "/save", `{"expires":"2001-01-01T00:00:00Z"}`, 400, "expires"},
		{"PATCH", sc + "/save", `{"name":7}`, 400, "name"},
		{"PUT", sc + "/detach", ``, 409, "id"},
		{"POST", "/api/parse", ``, 400, "body"},
		{"POST", "/api/parse", `{"SearchString":5}`, 400, "SearchString"},
		{"POST", "/api/parse", `[1]`, 400, "body"},
		{"POST", "/api/searchctrl/launch", `{"SearchString":"tag=app","SearchStart":"soon","SearchEnd":"2024-05-01T10:00:00Z"}`, 400, "SearchStart"},
		{"POST", "/api/searchctrl/launch", `{"SearchString":"tag=app nosuchmodule","SearchStart":"2024-05-01T09:00:00Z","SearchEnd":"2024-05-01T10:00:00Z"}`, 400, "SearchString"},
		{"POST", "/api/searchctrl/launch", `{"SearchString":"tag=app","SearchStart":"2024-05-01T10:00:00Z","SearchEnd":"2024-05-01T09:00:00Z"}`, 400, "SearchStart"},
		{"POST", "/api/searchctrl/launch", `{"Sequence":1}`, 400, "SearchString"},
		{"POST", "/api/ingest/lines?type=bogus&tag=x", "a line", 400, "type"},
		{"POST", "/api/ingest/lines", "a line", 400, "tag"},
		{"POST", "/api/ingest/lines?tag=x&source=nowhere", "a line", 400, "source"},
		{"POST", "/api/ingest/lines?type=reimport", `{"TS":"2024-05-01T09:00:00Z","Tag":"x","Data":"!!"}`, 400, "file"},
		{"POST", "/api/ingest/lines?type=reimport", `{"TS":1}{`, 400, "file"},
		{"PUT", "/api/ingest/internal", `[{"Tag":"x","Data":5}]`, 400, "body"},
		{"GET", "/api/dashboards", "", 404, "path"},
	}
	for _, tc := range cases {
		var body io.Reader
		if tc.body != "" {
			body = strings.NewReader(tc.body)
		}
		code, b := httpDo(t, tc.method, ts.srv.URL+tc.path, nil, body)
		var e errorReply
		if code != tc.status || json.Unmarshal(b, &e) != nil || e.Field != tc.field || e.Error == "" {
			t.Errorf("%s %s %s: %d %s, want %d naming %q", tc.method, tc.path, tc.body, code, b, tc.status, tc.field)
		}
	}
	// A render request the handler refuses is a 400 carrying the RESP_ERROR reply itself.
	code, b := httpDo(t, "POST", ts.srv.URL+sc+"/request", nil, strings.NewReader(`{"ID":16}`))
	if code != 400 || !strings.Contains(string(b), `"Error":"EntryRange is required`) {
		t.Fatalf("render request without EntryRange: %d %s", code, b)
	}
	// And a good one is the socket's reply.
	code, b = httpDo(t, "POST", ts.srv.URL+sc+"/request", nil, strings.NewReader(`{"ID":16,"EntryRange":{"First":0,"Last":5},"Addendum":{"k":1}}`))
	var r struct {
		ID       uint32
		Entries  []json.RawMessage
		Addendum map[string]int
		Finished bool
	}
	if code != 200 || json.Unmarshal(b, &r) != nil || r.ID != 16 || len(r.Entries) != 5 || r.Addendum["k"] != 1 || !r.Finished {
		t.Fatalf("render request: %d %s", code, b)
	}
	code, b = httpDo(t, "GET", ts.srv.URL+sc+"/stats/overview?SetCount=4", nil, nil)
	if code != 200 || !strings.Contains(string(b), `"ID":2130706439`) {
		t.Fatalf("stats overview: %d %s", code, b)
	}
	code, b = httpDo(t, "GET", ts.srv.URL+sc+"/renderer/text/explore?first=0&last=2", nil, nil)
	if code != 200 || !strings.Contains(string(b), `"Explore":[`) {
		t.Fatalf("explore: %d %s", code, b)
	}
}

// TestRESTOwnership checks that a search is answered as not found on every REST route to a
// principal that may not see it, and seen once shared.
func TestRESTOwnership(t *testing.T) {
	ts := startServer(t, withPrincipals)
	ingestN(t, ts, "app", 10)
	launchAs := func(token string) string {
		body := `{"SearchString":"tag=app","SearchStart":"2024-05-01T09:00:00Z","SearchEnd":"2024-05-01T10:00:00Z"}`
		code, b := httpDo(t, "POST", ts.srv.URL+"/api/searchctrl/launch", bearer(token), strings.NewReader(body))
		var r struct{ SearchID string }
		if code != 200 || json.Unmarshal(b, &r) != nil {
			t.Fatalf("launch as %s: %d %s", token, code, b)
		}
		return r.SearchID
	}
	id := launchAs("tok-alice")
	sc := "/api/searchctrl/" + id
	routes := [][2]string{{"GET", sc}, {"GET", sc + "/details"}, {"GET", sc + "/download/text"}, {"GET", sc + "/entries"},
		{"PATCH", sc + "/background"}, {"PUT", sc + "/stop"}, {"POST", sc + "/attach"}, {"PUT", sc + "/ping"},
		{"GET", sc + "/stats"}, {"POST", sc + "/request"}, {"DELETE", sc}}
	for _, rt := range routes {
		code, b := httpDo(t, rt[0], ts.srv.URL+rt[1], bearer("tok-carol"), strings.NewReader(`{"ID":3}`))
		var e errorReply
		if code != 404 || json.Unmarshal(b, &e) != nil || e.Field != "id" || !strings.Contains(e.Error, "not found") {
			t.Errorf("carol %s %s: %d %s, want 404 not found", rt[0], rt[1], code, b)
		}
	}
	if ids := listAs(t, ts, "tok-carol"); len(ids) != 0 {
		t.Fatalf("carol lists %v", ids)
	}
	// Alice may share only with her own groups; carol is not in 100.
	if code, b := httpDo(t, "PUT", ts.srv.URL+sc+"/group", bearer("tok-alice"), strings.NewReader(`{"GID":300}`)); code != 403 {
		t.Fatalf("alice shares with a group she is not in: %d %s", code, b)
	}
	if code, b := httpDo(t, "PUT", ts.srv.URL+sc+"/group", bearer("tok-alice"), strings.NewReader(`{"GID":100}`)); code != 200 {
		t.Fatalf("alice shares with group 100: %d %s", code, b)
	}
	// Bob (group 100) now sees it, but may not change its sharing; carol still does not.
	if code, b := httpDo(t, "GET", ts.srv.URL+sc+"/download/text", bearer("tok-bob"), nil); code != 200 || !strings.Contains(string(b), `"i":9`) {
		t.Fatalf("bob downloads the shared search: %d %s", code, b)
	}
	if code, b := httpDo(t, "PUT", ts.srv.URL+sc+"/group", bearer("tok-bob"), strings.NewReader(`{"GID":200}`)); code != 403 {
		t.Fatalf("bob changes alice's sharing: %d %s", code, b)
	}
	if code, _ := httpDo(t, "GET", ts.srv.URL+sc, bearer("tok-carol"), nil); code != 404 {
		t.Fatalf("carol after sharing with 100: %d", code)
	}
	// Only admins make a search global; then everyone sees it.
	if code, _ := httpDo(t, "PUT", ts.srv.URL+sc+"/global", bearer("tok-alice"), strings.NewReader(`{"Global":true}`)); code != 403 {
		t.Fatalf("alice makes it global: %d", code)
	}
	if code, _ := httpDo(t, "PUT", ts.srv.URL+sc+"/global", bearer("tok-root"), strings.NewReader(`{"Global":true}`)); code != 200 {
		t.Fatalf("root makes it global: %d", code)
	}
	if code, b := httpDo(t, "GET", ts.srv.URL+sc, bearer("tok-carol"), nil); code != 200 || !strings.Contains(string(b), `"UID":10`) {
		t.Fatalf("carol after global: %d %s", code, b)
	}
	// /all is for admins; whoami tells who is asking.
	if code, _ := httpDo(t, "GET", ts.srv.URL+"/api/searchctrl/all", bearer("tok-alice"), nil); code != 403 {
		t.Fatalf("alice lists all: %d", code)
	}
	code, b := httpDo(t, "GET", ts.srv.URL+"/api/info/whoami", bearer("tok-bob"), nil)
	if code != 200 || !strings.Contains(string(b), `"UID":11`) || !strings.Contains(string(b), `"GID":200`) || !strings.Contains(string(b), `"Admin":false`) {
		t.Fatalf("whoami as bob: %d %s", code, b)
	}
	// No token: 401 from the access policy on every REST route.
	if code, _ := httpDo(t, "GET", ts.srv.URL+sc+"/entries", nil, nil); code != 401 {
		t.Fatalf("entries without a token: %d", code)
	}
}

// TestRESTCondensedDownloads downloads a table, a chart and a gauge in their formats.
func TestRESTCondensedDownloads(t *testing.T) {
	ts := startServer(t, nil)
	ingestN(t, ts, "app", 90)
	c := gravwell(t, ts, "unused")
	get := func(id, format string) []byte {
		code, b := httpDo(t, "GET", ts.srv.URL+"/api/searchctrl/"+id+"/download/"+format, nil, nil)
		if code != 200 {
			t.Fatalf("download %s: %d %s", format, code, b)
		}
		return b
	}
	table := restLaunch(t, ts, "tag=app json host | count by host | table host count", base, base.Add(time.Hour))
	waitFinished(t, c, table)
	rows, err := csv.NewReader(bytes.NewReader(get(table, "csv"))).ReadAll()
	if err != nil || len(rows) != 4 || strings.Join(rows[0], ",") != "host,count" {
		t.Fatalf("table csv: %q %v", rows, err)
	}
	counts := map[string]string{}
	for _, r := range rows[1:] {
		counts[r[0]] = r[1]
	}
	if counts["h0"] != "30" || counts["h1"] != "30" || counts["h2"] != "30" {
		t.Fatalf("table csv counts %v", counts)
	}
	if lk := get(table, "lookupdata"); !bytes.HasPrefix(lk, []byte("host,count\r\n")) {
		t.Fatalf("lookupdata: %q", lk)
	}
	var jrows int
	for _, l := range bytes.Split(bytes.TrimSpace(get(table, "json")), []byte("\n")) {
		var r struct{ Row map[string]string }
		if err := json.Unmarshal(l, &r); err != nil || r.Row["count"] != "30" {
			t.Fatalf("table json line %q: %v", l, err)
		}
		jrows++
	}
	arch := bytes.Split(bytes.TrimSpace(get(table, "archive")), []byte("\n"))
	if jrows != 3 || len(arch) != 4 || !bytes.HasPrefix(arch[0], []byte(`{"SearchInfo":{"ID":"`+table)) {
		t.Fatalf("table json %d rows, archive %d lines", jrows, len(arch))
	}

	chart := restLaunch(t, ts, "tag=app json host | count by host over 1m | chart count by host", base, base.Add(time.Hour))
	waitFinished(t, c, chart)
	crows, err := csv.NewReader(bytes.NewReader(get(chart, "csv"))).ReadAll()
	if err != nil || len(crows) < 2 || crows[0][0] != "timestamp" || len(crows[0]) != 4 {
		t.Fatalf("chart csv: %q %v", crows, err)
	}
	var total float64
	for _, r := range crows[1:] {
		for _, v := range r[1:] {
			f, _ := strconv.ParseFloat(v, 64)
			total += f
		}
	}
	if total != 90 {
		t.Fatalf("chart csv sums to %v, want 90", total)
	}
	var set struct {
		Names  []string
		Values []struct{ Data []float64 }
	}
	if err := json.Unmarshal(get(chart, "json"), &set); err != nil || len(set.Names) != 3 || len(set.Values) != len(crows)-1 {
		t.Fatalf("chart json: %+v %v", set, err)
	}

	gauge := restLaunch(t, ts, "tag=app | count | gauge count", base, base.Add(time.Hour))
	waitFinished(t, c, gauge)
	var gv []struct {
		Name      string
		Magnitude float64
	}
	if err := json.Unmarshal(get(gauge, "json"), &gv); err != nil || len(gv) != 1 || gv[0].Magnitude != 90 {
		t.Fatalf("gauge json: %+v %v", gv, err)
	}
	code, b := httpDo(t, "GET", ts.srv.URL+"/api/searchctrl/"+gauge+"/entries", nil, nil)
	if code != 400 || !strings.Contains(string(b), "download it as json") {
		t.Fatalf("export of a gauge: %d %s", code, b)
	}
}

// TestRESTTruncationAndKeepAlive checks that a download and an export of a search past its
// render-store limit say so (trailers, trailer line), that a REST attachment without pings is
// detached after REST.KeepAlive, and the JSON 404s of routes sluice does not have.
func TestRESTTruncationAndKeepAlive(t *testing.T) {
	ts := startServer(t, func(c *engine.Config) {
		c.Search.RenderLimit = 64 << 10
		c.REST.KeepAlive = 200 * time.Millisecond
		c.REST.ChunkSize = 1 << 10
	})
	ingestN(t, ts, "app", 3000)
	c := gravwell(t, ts, "unused")
	id := restLaunch(t, ts, "tag=app", base, base.Add(2*time.Hour))
	waitFinished(t, c, id)
	lines, tr := readExport(t, ts.srv.URL+"/api/searchctrl/"+id+"/entries", nil, 0)
	if tr == nil || !tr.OverLimit || !tr.Finished || len(lines) == 0 || len(lines) >= 3000 || tr.Next != int64(len(lines)) {
		t.Fatalf("export past the limit: %d lines, trailer %+v", len(lines), tr)
	}
	resp, err := http.Get(ts.srv.URL + "/api/searchctrl/" + id + "/download/text")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Trailer.Get("X-Sluice-Overlimit") != "true" || !strings.Contains(resp.Trailer.Get("X-Sluice-Warning"), "render store limit") ||
		resp.Trailer.Get("X-Sluice-Next") != strconv.Itoa(len(lines)) || bytes.Count(body, []byte("\n")) != len(lines) ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="sluice-`+id+`-text.txt"` {
		t.Fatalf("download past the limit: trailers %v, header %v, %d lines", resp.Trailer, resp.Header, bytes.Count(body, []byte("\n")))
	}

	// A REST attachment without pings lapses after KeepAlive.
	if code, b := httpDo(t, "POST", ts.srv.URL+"/api/searchctrl/"+id+"/attach", nil, nil); code != 200 {
		t.Fatalf("attach: %d %s", code, b)
	}
	if st, _ := c.SearchStatus(id); st.AttachedClients != 1 {
		t.Fatalf("attached clients %d", st.AttachedClients)
	}
	deadline := time.Now().Add(5 * time.Second)
	for st, _ := c.SearchStatus(id); st.AttachedClients != 0; st, _ = c.SearchStatus(id) {
		if time.Now().After(deadline) {
			t.Fatal("REST attachment without pings still there")
		}
		time.Sleep(20 * time.Millisecond)
	}
	code, b := httpDo(t, "GET", ts.srv.URL+"/api/searchctrl/"+id+"/stats?SetCount=3", nil, nil)
	if code != 200 || !strings.Contains(string(b), `"ID":2130706435`) {
		t.Fatalf("stats: %d %s", code, b)
	}

	for _, rt := range [][2]string{{"POST", "/api/searchctrl/import"}, {"GET", "/api/nosuchthing"}, {"POST", "/api/searchctrl/" + id}} {
		code, b := httpDo(t, rt[0], ts.srv.URL+rt[1], nil, nil)
		var e errorReply
		if code != 404 || json.Unmarshal(b, &e) != nil || e.Field != "path" {
			t.Fatalf("%s %s: %d %s", rt[0], rt[1], code, b)
		}
	}
}

// TestRESTDownloadOfDeletedSearch: a download following a running search that is deleted
// ends, and its trailer says it is incomplete; an export says so in its last line.
func TestRESTDownloadOfDeletedSearch(t *testing.T) {
	ts := startServer(t, nil)
	s, err := ts.eng.Embed(search.EmbedSpec{Query: "tag=ext", Tags: []string{"ext"}, Start: base, End: base.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	s.Result.Add([]wire.Entry{{TS: base.UnixNano(), Data: []byte("first")}})
	resp, err := http.Get(ts.srv.URL + "/api/searchctrl/" + s.ID + "/download/text")
	if err != nil {
		t.Fatal(err)
	}
	exp, err := http.Get(ts.srv.URL + "/api/searchctrl/" + s.ID + "/entries")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // both are waiting for more
	if err := ts.eng.DeleteSearch(s.ID); err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "first\n" || !strings.Contains(resp.Trailer.Get("X-Sluice-Error"), "deleted") || resp.Trailer.Get("X-Sluice-Next") != "1" {
		t.Fatalf("download of a deleted search: %q, trailers %v", body, resp.Trailer)
	}
	eb, _ := io.ReadAll(exp.Body)
	exp.Body.Close()
	if !strings.HasSuffix(string(eb), `{"Error":"search has been deleted","Next":1}`+"\n") {
		t.Fatalf("export of a deleted search: %q", eb)
	}
}

// TestRESTForegroundLaunch: a foreground search launched over REST is held by the caller's
// REST attachment like a socket holds its own: it lives while pinged, and goes after the grace
// period once detached or once the attachment lapses.
func TestRESTForegroundLaunch(t *testing.T) {
	ts := startServer(t, func(c *engine.Config) { c.REST.KeepAlive = 300 * time.Millisecond })
	ingestN(t, ts, "app", 10)
	launch := func() string {
		body := `{"SearchString":"tag=app","SearchStart":"2024-05-01T09:00:00Z","SearchEnd":"2024-05-01T10:00:00Z"}`
		code, b := httpDo(t, "POST", ts.srv.URL+"/api/searchctrl/launch", nil, strings.NewReader(body))
		var r struct {
			SearchID   string
			Background bool
		}
		if code != 200 || json.Unmarshal(b, &r) != nil || r.Background {
			t.Fatalf("launch: %d %s", code, b)
		}
		return r.SearchID
	}
	status := func(id string) (int, string) {
		code, b := httpDo(t, "GET", ts.srv.URL+"/api/searchctrl/"+id, nil, nil)
		return code, string(b)
	}
	// Held while pinged, past several keep-alive periods.
	id := launch()
	for range 6 {
		time.Sleep(100 * time.Millisecond)
		if code, b := httpDo(t, "PUT", ts.srv.URL+"/api/searchctrl/"+id+"/ping", nil, nil); code != 200 || !strings.Contains(string(b), `"Attached":true`) {
			t.Fatalf("ping: %d %s", code, b)
		}
	}
	if code, b := status(id); code != 200 || !strings.Contains(b, `"AttachedClients":1`) || !strings.Contains(b, `"State":"ACTIVE"`) {
		t.Fatalf("pinged foreground search: %d %s", code, b)
	}
	// Detached: gone after the grace period.
	if code, b := httpDo(t, "PUT", ts.srv.URL+"/api/searchctrl/"+id+"/detach", nil, nil); code != 200 {
		t.Fatalf("detach: %d %s", code, b)
	}
	ts.waitGone(t, id, 5*time.Second)
	// Not pinged: the attachment lapses, then the search goes.
	id = launch()
	ts.waitGone(t, id, 5*time.Second)
}
