package engine_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	googleuuid "github.com/google/uuid"
	gwclient "github.com/gravwell/gravwell/v3/client"
	"github.com/gravwell/gravwell/v3/client/types"
	"github.com/gravwell/gravwell/v3/ingest/entry"

	"github.com/sluicehq/sluice/engine/search"
	"github.com/sluicehq/sluice/wire"
)

// gravwell returns Gravwell's own Go client (v3.8.40), logged in to ts with an API token.
func gravwell(t *testing.T, ts *testServer, token string) *gwclient.Client {
	t.Helper()
	c, err := gwclient.NewOpts(gwclient.Opts{Server: strings.TrimPrefix(ts.srv.URL, "http://")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.LoginWithAPIToken(token); err != nil {
		t.Fatalf("LoginWithAPIToken: %v", err)
	}
	return c
}

// TestGravwellClientInfoStatsIngest drives the info, stats, tag and ingest functions of the real
// client against a real server and checks what they decode.
func TestGravwellClientInfoStatsIngest(t *testing.T) {
	ts := startServer(t, nil)
	ingestN(t, ts, "app", 50)
	c := gravwell(t, ts, "unused")

	if err := c.Test(); err != nil {
		t.Fatalf("Test: %v", err)
	}
	if err := c.TestLogin(); err != nil {
		t.Fatalf("TestLogin: %v", err)
	}
	if err := c.Sync(); err != nil { // whoami and GUI settings
		t.Fatalf("Sync: %v", err)
	}
	me, err := c.MyInfo()
	if err != nil || !me.Admin || me.User != "local" || me.Groups == nil {
		t.Fatalf("MyInfo: %+v %v", me, err)
	}
	v, err := c.GetApiVersion()
	if err != nil || v.Major != types.API_VERSION_MAJOR || v.Minor != types.API_VERSION_MINOR {
		t.Fatalf("GetApiVersion: %+v %v", v, err)
	}
	if msg, err := c.CheckApiVersion(); err != nil || msg != "" {
		t.Fatalf("CheckApiVersion: %q %v", msg, err)
	}

	desc, err := c.GetSystemDescriptions()
	if err != nil || desc["webserver"].CPUCount < 1 || desc["127.0.0.1:9404"].CPUCount < 1 {
		t.Fatalf("GetSystemDescriptions: %+v %v", desc, err)
	}
	states, err := c.GetPingStates()
	if err != nil || states["webserver"] != "OK" || states["127.0.0.1:9404"] != "OK" {
		t.Fatalf("GetPingStates: %v %v", states, err)
	}
	sys, err := c.GetSystemStats()
	if err != nil || sys["webserver"].Stats == nil || sys["webserver"].Stats.TotalMemory == 0 {
		t.Fatalf("GetSystemStats: %+v %v", sys, err)
	}
	// idxStats figures are refreshed every IdxStatsPeriod, as on the stats socket: poll.
	var entries uint64
	for deadline := time.Now().Add(5 * time.Second); entries != 50 && time.Now().Before(deadline); {
		idx, err := c.GetIndexStats()
		if err != nil || idx["127.0.0.1:9404"].UUID.String() != ts.eng.Store().IndexerUUID() || len(idx["127.0.0.1:9404"].IndexStats) == 0 {
			t.Fatalf("GetIndexStats: %+v %v", idx, err)
		}
		entries = 0
		for _, w := range idx["127.0.0.1:9404"].IndexStats {
			for _, s := range w.Stats {
				entries += s.Entries
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if entries != 50 {
		t.Fatalf("GetIndexStats: %d entries, want 50", entries)
	}
	uuid := idxUUID(t, ts)
	storage, err := c.GetStorageStats()
	if err != nil || storage[uuid.String()].EntryCountHot != 50 || storage[uuid.String()].CoverageStart.IsZero() {
		t.Fatalf("GetStorageStats: %+v %v", storage, err)
	}
	wellStorage, err := c.GetIndexerStorageStats(uuid)
	if err != nil || wellStorage["default"].EntryCountHot != 50 || !slices.Contains(wellStorage["default"].Tags, "app") {
		t.Fatalf("GetIndexerStorageStats: %+v %v", wellStorage, err)
	}
	if _, err := c.GetIndexerStorageStats(googleuuid.New()); !errors.Is(err, gwclient.ErrNotFound) {
		t.Fatalf("GetIndexerStorageStats of an unknown indexer: %v", err)
	}
	if _, err := c.GetCalendarStats(base, base.Add(time.Hour), []string{"default"}); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("GetCalendarStats: %v, want a 404 (not kept)", err)
	}
	if _, err := c.GetIngesterStats(); err != nil {
		t.Fatalf("GetIngesterStats: %v", err)
	}
	wells, err := c.WellData()
	if err != nil || wells["127.0.0.1:9404"].UUID.String() != ts.eng.Store().IndexerUUID() || len(wells["127.0.0.1:9404"].Wells) == 0 {
		t.Fatalf("WellData: %+v %v", wells, err)
	}
	tags, err := c.GetTags()
	if err != nil || !slices.Contains(tags, "app") {
		t.Fatalf("GetTags: %v %v", tags, err)
	}

	// Ingest through the client's three routes, then find the entries with a search.
	if err := c.TestIngest(); err != nil {
		t.Fatalf("TestIngest: %v", err)
	}
	at := base.Add(time.Hour)
	var sent []types.StringTagEntry
	for i := range 3 {
		sent = append(sent, types.StringTagEntry{TS: at.Add(time.Duration(i) * time.Millisecond), Tag: "gwentries",
			SRC: net.IPv4(10, 0, 0, byte(i+1)), Data: []byte(fmt.Sprintf("entry %d, \"quoted\"\nnext line", i))})
	}
	if err := c.IngestEntries(sent); err != nil {
		t.Fatalf("IngestEntries: %v", err)
	}
	if err := c.IngestInternal([]types.StringTagEntry{{TS: at, Tag: "gwinternal", Data: []byte("internal")}}); err != nil {
		t.Fatalf("IngestInternal: %v", err)
	}
	resp, err := c.Ingest(strings.NewReader("2024-05-01T11:00:00Z line one\n2024-05-01T11:00:01Z line two\n"), "gwlines", "192.0.2.7", false, false)
	if err != nil || resp.Count != 2 || !slices.Equal(resp.Tags, []string{"gwlines"}) {
		t.Fatalf("Ingest: %+v %v", resp, err)
	}
	got := restSearchEntries(t, c, ts, "tag=gwentries", at, at.Add(time.Second))
	if len(got) != 3 {
		t.Fatalf("IngestEntries: found %d entries, want 3", len(got))
	}
	for i, e := range got { // newest first
		w := sent[2-i]
		if !e.TS.Equal(w.TS) || !e.SRC.Equal(w.SRC) || e.Tag != "gwentries" || !bytes.Equal(e.Data, w.Data) {
			t.Fatalf("entry %d: %+v, want %+v", i, e, w)
		}
	}
	if got := restSearchEntries(t, c, ts, "tag=gwinternal", at, at.Add(time.Second)); len(got) != 1 || string(got[0].Data) != "internal" {
		t.Fatalf("IngestInternal: found %+v", got)
	}
	lines := restSearchEntries(t, c, ts, "tag=gwlines", base.Add(2*time.Hour), base.Add(2*time.Hour+2*time.Second))
	if len(lines) != 2 || string(lines[1].Data) != "2024-05-01T11:00:00Z line one" || lines[1].SRC.String() != "192.0.2.7" ||
		!lines[1].TS.Equal(base.Add(2*time.Hour)) {
		t.Fatalf("Ingest lines: found %+v", lines)
	}

	// Out of scope families answer 404 with a JSON error saying so.
	if _, err := c.GetUserList(); !errors.Is(err, gwclient.ErrNotFound) {
		t.Fatalf("GetUserList: %v, want ErrNotFound", err)
	}
	for _, p := range []string{"/api/users", "/api/dashboards/3", "/api/macros", "/api/resources", "/api/scheduledsearches", "/api/license"} {
		code, b := httpDo(t, "GET", ts.srv.URL+p, nil, nil)
		if code != http.StatusNotFound || !strings.Contains(string(b), "out of scope") || !json.Valid(b) {
			t.Fatalf("GET %s: %d %s", p, code, b)
		}
	}
}

// idxUUID returns the embedded store's indexer UUID.
func idxUUID(t *testing.T, ts *testServer) googleuuid.UUID {
	t.Helper()
	u, err := googleuuid.Parse(ts.eng.Store().IndexerUUID())
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// restSearchEntries launches query over REST, waits for it and downloads it as json, decoding
// each line as the client's StringTagEntry.
func restSearchEntries(t *testing.T, c *gwclient.Client, ts *testServer, query string, start, end time.Time) []types.StringTagEntry {
	t.Helper()
	id := restLaunch(t, ts, query, start, end)
	waitFinished(t, c, id)
	rc, err := c.DownloadSearch(id, types.TimeRange{}, "json")
	if err != nil {
		t.Fatalf("DownloadSearch json: %v", err)
	}
	defer rc.Close()
	out := decodeJSONLines(t, rc)
	if err := c.DeleteSearch(id); err != nil {
		t.Fatalf("DeleteSearch: %v", err)
	}
	return out
}

func decodeJSONLines(t *testing.T, r io.Reader) []types.StringTagEntry {
	t.Helper()
	var out []types.StringTagEntry
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e types.StringTagEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("json line %q: %v", sc.Bytes(), err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// restLaunch launches query as a background search with POST /api/searchctrl/launch and
// returns the search ID.
func restLaunch(t *testing.T, ts *testServer, query string, start, end time.Time) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"SearchString": query, "SearchStart": start, "SearchEnd": end, "Background": true,
		"LaunchInfo": map[string]string{"method": "directquery", "reference": "ref-" + query}})
	code, b := httpDo(t, "POST", ts.srv.URL+"/api/searchctrl/launch", nil, bytes.NewReader(body))
	var r types.StartSearchResponse
	if code != http.StatusOK || json.Unmarshal(b, &r) != nil || r.SearchID == "" {
		t.Fatalf("launch %q: %d %s", query, code, b)
	}
	if r.LaunchInfo.Method != "directquery" || r.LaunchInfo.Reference != "ref-"+query || r.OutputSearchSubproto != "" {
		t.Fatalf("launch reply LaunchInfo: %s", b)
	}
	return r.SearchID
}

// waitFinished polls the client's SearchStatus until the search finished.
func waitFinished(t *testing.T, c *gwclient.Client, id string) types.SearchInfo {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second) // -race on a loaded machine is slow
	for time.Now().Before(deadline) {
		// NOTE: the client's SearchInfo.UnmarshalJSON drops Duration (its alias overwrites
		// it), so the run state is read from SearchCtrlStatus' Progress.
		code, b := httpDo(t, "GET", serverOf(c)+"/api/searchctrl/"+id, nil, nil)
		var st struct{ Progress string }
		if code == http.StatusOK && json.Unmarshal(b, &st) == nil && (st.Progress == "finished" || st.Progress == "stopped") {
			si, err := c.SearchInfo(id)
			if err != nil {
				t.Fatalf("SearchInfo %s: %v", id, err)
			}
			return si
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("search %s did not finish", id)
	return types.SearchInfo{}
}

func serverOf(c *gwclient.Client) string { return "http://" + c.Server() }

// TestGravwellClientSearchControl drives the client's search-control functions: a search
// launched on its websocket (DetachSearch is in TestNoRaceGravwellClientDetach), then listed, described, backgrounded, shared, saved, downloaded in
// every format (CSV parsed, JSON decoded, the archive re-ingested into a second server and
// compared entry by entry), stopped and deleted.
func TestGravwellClientSearchControl(t *testing.T) {
	ts := startServer(t, nil)
	const n = 300
	ingestN(t, ts, "app", n)
	c := gravwell(t, ts, "unused")
	start, end := base, base.Add(time.Hour)

	// Parse over REST.
	psr, err := c.ParseSearchWithResponse("tag=app json host | count by host | table", nil)
	if err != nil || !psr.GoodQuery || psr.RenderModule != "table" || psr.ParsedQuery == "" {
		t.Fatalf("ParseSearchWithResponse: %+v %v", psr, err)
	}
	if err := c.ParseSearch("tag=app nosuchmodule"); err == nil || !strings.Contains(err.Error(), "Parse error") {
		t.Fatalf("ParseSearch of a bad query: %v", err)
	}

	// A search launched on the websocket by the client itself, with a LaunchInfo reference.
	s, err := c.StartSearchEx(types.StartSearchRequest{SearchString: "tag=app", SearchStart: start.Format(time.RFC3339Nano),
		SearchEnd: end.Format(time.RFC3339Nano), LaunchInfo: types.SearchLaunchInfo{Method: "dashboard", Reference: "dash-42"}})
	if err != nil {
		t.Fatalf("StartSearchEx: %v", err)
	}
	if err := c.WaitForSearch(s); err != nil {
		t.Fatalf("WaitForSearch: %v", err)
	}
	ents, explore, err := c.GetExploreEntries(s, 0, 5) // the explorer, on the client's socket
	if err != nil || len(ents) != 5 || len(explore) != 5 {
		t.Fatalf("GetExploreEntries: %d %d %v", len(ents), len(explore), err)
	}
	list, err := c.ListSearchStatuses()
	if err != nil {
		t.Fatalf("ListSearchStatuses: %v", err)
	}
	i := slices.IndexFunc(list, func(x types.SearchCtrlStatus) bool { return x.ID == s.ID })
	if i < 0 {
		t.Fatalf("ListSearchStatuses: %s not in %+v", s.ID, list)
	}
	st := list[i]
	if st.State != "ACTIVE" || st.AttachedClients != 1 || st.UserQuery != "tag=app" || st.EffectiveQuery == "" ||
		!st.StartRange.Equal(start) || !st.EndRange.Equal(end) || st.StoredData <= 0 || st.LaunchInfo.Started.IsZero() {
		t.Fatalf("SearchCtrlStatus: %+v", st)
	}
	all, err := c.ListAllSearchStatuses()
	if err != nil || len(all) != len(list) {
		t.Fatalf("ListAllSearchStatuses: %d %v", len(all), err)
	}
	details, err := c.ListSearchDetails()
	if err != nil || len(details) != len(list) {
		t.Fatalf("ListSearchDetails: %d %v", len(details), err)
	}
	one, err := c.SearchStatus(s.ID)
	if err != nil || one.ID != s.ID || one.AttachedClients != 1 {
		t.Fatalf("SearchStatus: %+v %v", one, err)
	}
	si, err := c.SearchInfo(s.ID)
	if err != nil || si.ItemCount != n || si.UserQuery != "tag=app" || si.Started.IsZero() ||
		si.LaunchInfo.Method != "dashboard" || si.LaunchInfo.Reference != "dash-42" || st.LaunchInfo.Reference != "dash-42" ||
		!slices.Equal(si.RenderDownloadFormats, []string{"archive", "csv", "json", "text"}) || si.Background {
		t.Fatalf("SearchInfo: %+v %v", si, err)
	}

	var det types.BaseResponse
	if err := s.Exchange(types.BaseRequest{ID: types.REQ_SEARCH_DETAILS}, &det); err != nil || det.Err() != nil ||
		det.SearchInfo == nil || det.SearchInfo.LaunchInfo.Reference != "dash-42" {
		t.Fatalf("SEARCH_DETAILS: %+v %v %v", det.SearchInfo, err, det.Err())
	}
	// Background, group, save.
	if err := c.BackgroundSearch(s.ID); err != nil {
		t.Fatalf("BackgroundSearch: %v", err)
	}
	if si, _ := c.SearchInfo(s.ID); !si.Background {
		t.Fatalf("BackgroundSearch: SearchInfo.Background false")
	}
	if err := c.SetGroup(s.ID, 7); err != nil {
		t.Fatalf("SetGroup: %v", err)
	}
	if err := c.SaveSearch(s.ID, types.SaveSearchPatch{Name: "kept", Notes: "for the test"}); err != nil {
		t.Fatalf("SaveSearch: %v", err)
	}
	one, _ = c.SearchStatus(s.ID)
	if one.State != "ACTIVE/BACKGROUNDED/SAVED" || one.GID != 7 {
		t.Fatalf("after background, group and save: %+v", one)
	}
	if si, _ := c.SearchInfo(s.ID); si.Name != "kept" || si.GID != 7 || !strings.Contains(string(si.Metadata), `"notes":"for the test"`) {
		t.Fatalf("after save: SearchInfo %+v", si)
	}
	// REST attach, ping and detach: a second consumer beside the client's socket.
	code, b := httpDo(t, "POST", ts.srv.URL+"/api/searchctrl/"+s.ID+"/attach", nil, nil)
	var ar types.AttachSearchResponse
	if code != http.StatusOK || json.Unmarshal(b, &ar) != nil || ar.Info == nil || ar.Info.ID != s.ID || ar.RendererMod != "text" {
		t.Fatalf("attach: %d %s", code, b)
	}
	if one, _ = c.SearchStatus(s.ID); one.AttachedClients != 2 {
		t.Fatalf("after REST attach: %+v", one)
	}
	code, b = httpDo(t, "PUT", ts.srv.URL+"/api/searchctrl/"+s.ID+"/ping", nil, nil)
	if code != http.StatusOK || !strings.Contains(string(b), `"Attached":true`) || !strings.Contains(string(b), `"Finished":true`) {
		t.Fatalf("ping: %d %s", code, b)
	}
	if code, b = httpDo(t, "PUT", ts.srv.URL+"/api/searchctrl/"+s.ID+"/detach", nil, nil); code != http.StatusOK {
		t.Fatalf("detach: %d %s", code, b)
	}
	if one, _ = c.SearchStatus(s.ID); one.AttachedClients != 1 {
		t.Fatalf("after REST detach: %+v", one)
	}
	if code, b = httpDo(t, "PUT", ts.srv.URL+"/api/searchctrl/"+s.ID+"/detach", nil, nil); code != http.StatusConflict {
		t.Fatalf("detach twice: %d %s", code, b)
	}

	// Downloads in every format.
	want := make([]string, n) // newest first
	for i := range want {
		k := n - 1 - i
		want[i] = fmt.Sprintf(`{"i":%d,"host":"h%d","bytes":%d}`, k, k%3, k*10)
	}
	text := download(t, c, s.ID, "text")
	if lines := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n"); !slices.Equal(lines, want) {
		t.Fatalf("text download: %d lines, first %q", len(lines), lines[0])
	}
	rows, err := csv.NewReader(bytes.NewReader(download(t, c, s.ID, "csv"))).ReadAll()
	if err != nil || len(rows) != n+1 || !slices.Equal(rows[0], []string{"timestamp", "source", "tag", "data"}) {
		t.Fatalf("csv download: %d rows %v", len(rows), err)
	}
	for i, r := range rows[1:] {
		ts, _ := time.Parse(time.RFC3339Nano, r[0])
		if r[3] != want[i] || r[2] != "app" || !ts.Equal(base.Add(time.Duration(n-1-i)*time.Second)) {
			t.Fatalf("csv row %d: %q", i, r)
		}
	}
	js := decodeJSONLines(t, bytes.NewReader(download(t, c, s.ID, "json")))
	if len(js) != n || string(js[0].Data) != want[0] || js[0].Tag != "app" || !js[0].TS.Equal(base.Add((n-1)*time.Second)) {
		t.Fatalf("json download: %d entries, first %+v", len(js), js[0])
	}
	if _, err := c.DownloadSearch(s.ID, types.TimeRange{}, "pcap"); err == nil || !strings.Contains(err.Error(), "400") {
		t.Fatalf("download in a format the renderer lacks: %v", err)
	}
	// A time range in the body, as the client sends it.
	rc, err := c.DownloadSearch(s.ID, types.TimeRange{StartTS: entry.FromStandard(base.Add(10 * time.Second)), EndTS: entry.FromStandard(base.Add(20 * time.Second))}, "json")
	if err != nil {
		t.Fatal(err)
	}
	win := decodeJSONLines(t, rc)
	rc.Close()
	if len(win) != 10 || !win[0].TS.Equal(base.Add(19*time.Second)) || !win[9].TS.Equal(base.Add(10*time.Second)) {
		t.Fatalf("download with a TimeRange: %d entries", len(win))
	}

	// The archive, re-ingested into a second server, gives the same entries back.
	archive := download(t, c, s.ID, "archive")
	ts2 := startServer(t, nil)
	code, b = httpDo(t, "POST", ts2.srv.URL+"/api/ingest/lines?type=reimport", nil, bytes.NewReader(archive))
	var ir types.IngestResponse
	if code != http.StatusOK || json.Unmarshal(b, &ir) != nil || ir.Count != n || !slices.Equal(ir.Tags, []string{"app"}) {
		t.Fatalf("re-ingest the archive: %d %s", code, b)
	}
	c2 := gravwell(t, ts2, "unused")
	back := restSearchEntries(t, c2, ts2, "tag=app", start, end)
	if len(back) != n {
		t.Fatalf("re-ingested archive: %d entries, want %d", len(back), n)
	}
	for i := range back {
		a, b := js[i], back[i]
		if !a.TS.Equal(b.TS) || a.Tag != b.Tag || !a.SRC.Equal(b.SRC) || !bytes.Equal(a.Data, b.Data) {
			t.Fatalf("entry %d differs after the archive round trip: %+v vs %+v", i, a, b)
		}
	}

	// Stop: an embedded search that never finishes on its own.
	emb, err := ts.eng.Embed(search.EmbedSpec{Query: "tag=ext", Tags: []string{"ext"}, Start: start, End: end})
	if err != nil {
		t.Fatal(err)
	}
	emb.Result.Add([]wire.Entry{{TS: base.UnixNano(), Data: []byte("one")}})
	if err := c.StopSearch(emb.ID); err != nil {
		t.Fatalf("StopSearch: %v", err)
	}
	code, b = httpDo(t, "GET", ts.srv.URL+"/api/searchctrl/"+emb.ID, nil, nil)
	if code != http.StatusOK || !strings.Contains(string(b), `"Progress":"stopped"`) || !emb.Result.Finished() {
		t.Fatalf("after StopSearch: %d %s", code, b)
	}
	if got := download(t, c, emb.ID, "text"); string(got) != "one\n" {
		t.Fatalf("a stopped search keeps its results: %q", got)
	}

	// Delete.
	for _, id := range []string{s.ID, emb.ID} {
		if err := c.DeleteSearch(id); err != nil {
			t.Fatalf("DeleteSearch: %v", err)
		}
		if _, err := c.SearchStatus(id); !errors.Is(err, gwclient.ErrNotFound) {
			t.Fatalf("SearchStatus after delete: %v", err)
		}
		if err := c.DeleteSearch(id); err == nil {
			t.Fatalf("DeleteSearch twice: no error")
		}
	}
}

// download returns the whole body of a client download.
func download(t *testing.T, c *gwclient.Client, id, format string) []byte {
	t.Helper()
	rc, err := c.DownloadSearch(id, types.TimeRange{}, format)
	if err != nil {
		t.Fatalf("DownloadSearch %s: %v", format, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("DownloadSearch %s: %v", format, err)
	}
	return b
}
