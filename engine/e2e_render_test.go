package engine_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/search"
	"github.com/sluicehq/sluice/wire"
)

// Every test here ingests its own data, runs a real engine on 127.0.0.1:0 and reads the
// results back over gorilla/websocket, decoding replies into mirrors of the Go client's types
// and checking the values against what it computes from the data.

const hour = time.Hour

// renderSetup starts a server with mutate applied, stores n app entries one per second,
// launches query over [base, base+1h), waits for it and returns the client and channel.
func renderSetup(t *testing.T, n int, query string, mutate func(*engine.Config)) (*testServer, *client, launchResp, []genEntry) {
	t.Helper()
	ts := startServer(t, mutate)
	gen := ingestApp(t, ts, "app", n, time.Second)
	c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	r := c.launch(query, base, base.Add(hour))
	c.waitDone(r.OutputSearchSubproto)
	return ts, c, r, gen
}

func at(sec int) string { return base.Add(time.Duration(sec) * time.Second).Format(time.RFC3339Nano) }

func TestRenderCountDetailsTags(t *testing.T) {
	ts := startServer(t, nil)
	gen := ingestApp(t, ts, "app", 100, time.Second)
	c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	r := c.launchNoAck(map[string]any{"SearchString": "tag=app json bytes host", "Name": "every",
		"Metadata": json.RawMessage(`{"live":false,"timeframe":"1h"}`), "Addendum": json.RawMessage(`{"filterID":"f-1"}`),
		"NoHistory": true}, base, base.Add(hour))
	c.send("search", map[string]any{"OK": true, "OutputSearchSubproto": r.OutputSearchSubproto})
	ch := r.OutputSearchSubproto
	c.waitDone(ch)

	var cnt goBase
	c.do(ch, map[string]any{"ID": 3}, &cnt)
	if cnt.ID != 3 || !cnt.Finished || cnt.EntryCount != 100 || !cnt.EntryCountValid || cnt.OverLimit ||
		!cnt.LimitDroppedRange.StartTS.IsZero() || !cnt.LimitDroppedRange.EndTS.IsZero() || cnt.Warning != "" {
		t.Fatalf("REQ_ENTRY_COUNT: %+v", cnt)
	}

	var d goDetailsResp
	c.do(ch, map[string]any{"ID": 4, "Addendum": json.RawMessage(`{"filterID":"f-2"}`)}, &d)
	si := d.SearchInfo
	if d.ID != 4 || string(d.Addendum) != `{"filterID":"f-2"}` || si.ID != r.SearchID || si.UserQuery != "tag=app json bytes host" ||
		!si.StartRange.Equal(base) || !si.EndRange.Equal(base.Add(hour)) || !si.Descending || si.ItemCount != 100 ||
		si.Name != "every" || !si.NoHistory || si.Background || si.MinZoomWindow != 1 || fmt.Sprint(si.Tags) != "[app]" ||
		si.StoreSize <= 0 || si.Started.IsZero() || si.CollapsingIndex != r.CollapsingIndex ||
		fmt.Sprint(si.RenderDownloadFormats) != "[archive csv json text]" || si.TimeZoomDisabled {
		t.Fatalf("REQ_SEARCH_DETAILS: %+v", d)
	}
	var md map[string]any
	if err := json.Unmarshal(si.Metadata, &md); err != nil || md["timeframe"] != "1h" || md["live"] != false {
		t.Errorf("SearchInfo.Metadata = %s, want the launch's Metadata", si.Metadata)
	}
	if dur, err := time.ParseDuration(si.Duration); err != nil || dur <= 0 {
		t.Errorf("SearchInfo.Duration %q: %v", si.Duration, err)
	}
	// LastUpdate is where the scan got to: a descending search ends at its oldest entry.
	if !si.LastUpdate.Equal(gen[len(gen)-1].TS) {
		t.Errorf("SearchInfo.LastUpdate = %v", si.LastUpdate)
	}

	var tags goTagsResp
	c.do(ch, map[string]any{"ID": 5}, &tags)
	if tags.ID != 5 || len(tags.Tags) != 1 || tags.Tags["app"] != 0 || tags.EntryCount != 100 {
		t.Fatalf("REQ_SEARCH_TAGS: %+v", tags)
	}
}

// TestRenderTagNumbers checks that tag numbers follow the order the query names the tags and
// that every entry carries its own tag's number.
func TestRenderTagNumbers(t *testing.T) {
	ts := startServer(t, nil)
	ga := ingestApp(t, ts, "alpha", 10, time.Second)
	gb := ingestAppAt(t, ts, "beta", 10, base.Add(500*time.Millisecond), time.Second)
	c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	r := c.launch("tag=beta,alpha", base, base.Add(hour))
	ch := r.OutputSearchSubproto
	c.waitDone(ch)
	var tags goTagsResp
	c.do(ch, map[string]any{"ID": 5}, &tags)
	if fmt.Sprint(tags.Tags) != "map[alpha:1 beta:0]" {
		t.Fatalf("Tags = %v, want beta 0, alpha 1", tags.Tags)
	}
	var p goEntriesResp
	c.do(ch, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": 0, "Last": 100}}, &p)
	if len(p.Entries) != 20 || fmt.Sprint(p.Tags) != fmt.Sprint(tags.Tags) {
		t.Fatalf("%d entries, Tags %v", len(p.Entries), p.Tags)
	}
	want := map[int64]uint16{}
	for _, g := range ga {
		want[g.TS.UnixNano()] = 1
	}
	for _, g := range gb {
		want[g.TS.UnixNano()] = 0
	}
	for i, e := range p.Entries {
		if tag, ok := want[e.TS.UnixNano()]; !ok || tag != e.Tag {
			t.Fatalf("entry %d at %v has Tag %d, want %d", i, e.TS, e.Tag, tag)
		}
		if i > 0 && e.TS.After(p.Entries[i-1].TS) {
			t.Fatalf("entries not newest first at %d", i)
		}
	}
}

func TestRenderGetEntriesPaging(t *testing.T) {
	const n = 100
	_, c, r, gen := renderSetup(t, n, "tag=app json bytes host", func(c *engine.Config) { c.Search.MaxPage = 40 })
	ch := r.OutputSearchSubproto
	// Page sizes that divide the count, that do not, of one, and of exactly MaxPage.
	for _, page := range []uint64{10, 7, 1, 40, 33} {
		got := c.pageAll(ch, page, n)
		checkEntries(t, "page size "+strconv.FormatUint(page, 10), got, gen, 0)
	}
	// Enumerated values: bytes is an int64, host a string.
	var p goEntriesResp
	c.do(ch, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": 3, "Last": 4}}, &p)
	g := gen[3]
	ev := p.Entries[0].Enumerated
	if len(ev) != 2 || ev[0].Name != "bytes" || ev[0].Value != strconv.Itoa(g.I*10) || ev[0].RawValue.Type != 9 ||
		int64(binary.LittleEndian.Uint64(ev[0].RawValue.Data)) != int64(g.I*10) ||
		ev[1].Name != "host" || ev[1].Value != "h"+strconv.Itoa(g.I%3) || ev[1].RawValue.Type != 13 ||
		string(ev[1].RawValue.Data) != "h"+strconv.Itoa(g.I%3) {
		t.Fatalf("Enumerated of entry %d: %+v", g.I, ev)
	}
	if !p.EntryRange.StartTS.Equal(base) || !p.EntryRange.EndTS.Equal(base.Add(hour)) {
		t.Errorf("EntryRange echo of a request without a window: %+v, want the search range", p.EntryRange)
	}

	// A block over MaxPage is clamped; the echo shows the clamp.
	for _, last := range []uint64{1000, math.MaxUint64} {
		c.do(ch, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": 0, "Last": last}}, &p)
		if len(p.Entries) != 40 || p.EntryRange.Last != 40 || !p.AdditionalEntries {
			t.Fatalf("Last %d: %d entries, echo %+v, more %v", last, len(p.Entries), p.EntryRange, p.AdditionalEntries)
		}
	}
	// First == Last: no entries, no error. First past the end: none, and nothing more.
	raw := c.do(ch, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": 5, "Last": 5}}, &p)
	if p.ID != 16 || p.Entries == nil || len(p.Entries) != 0 {
		t.Fatalf("First == Last: %s", raw)
	}
	for _, first := range []uint64{n, 200, 1e18} {
		raw = c.do(ch, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": first, "Last": first + 10}}, &p)
		if p.ID != 16 || p.Entries == nil || len(p.Entries) != 0 || p.AdditionalEntries {
			t.Fatalf("First %d beyond the end: %s", first, raw)
		}
	}
	// A missing Last is 0 (§8 A32): First 0 gives an empty reply.
	c.do(ch, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": 0}}, &p)
	if p.ID != 16 || len(p.Entries) != 0 {
		t.Fatalf("missing Last: %d entries", len(p.Entries))
	}
	// REQ_GET_RAW_ENTRIES returns the same entries with its own ID.
	var rawp goEntriesResp
	c.do(ch, map[string]any{"ID": 19, "EntryRange": map[string]any{"First": 10, "Last": 30}}, &rawp)
	if rawp.ID != 19 {
		t.Fatalf("REQ_GET_RAW_ENTRIES reply ID %d", rawp.ID)
	}
	checkEntries(t, "REQ_GET_RAW_ENTRIES", rawp.Entries, gen[10:30], 0)
	if !rawp.AdditionalEntries {
		t.Error("REQ_GET_RAW_ENTRIES [10,30) of 100: AdditionalEntries false")
	}
}

func TestRenderTSRange(t *testing.T) {
	const n = 100
	_, c, r, gen := renderSetup(t, n, "tag=app", nil)
	ch := r.OutputSearchSubproto
	// byI returns the expected entries i = hi-1 down to lo (newest first).
	byI := func(lo, hi int) []genEntry { return gen[n-hi : n-lo] }
	type tc struct {
		er         map[string]any
		want       []genEntry
		more       bool
		start, end time.Time // expected echo
	}
	win := func(first, last int, start, end string) map[string]any {
		m := map[string]any{"First": first, "Last": last}
		if start != "" {
			m["StartTS"] = start
		}
		if end != "" {
			m["EndTS"] = end
		}
		return m
	}
	s10, s20 := base.Add(10*time.Second), base.Add(20*time.Second)
	cases := []tc{
		// [StartTS, EndTS): the entry at StartTS is in, the one at EndTS is out.
		{win(0, 100, at(10), at(20)), byI(10, 20), false, s10, s20},
		// AdditionalEntries at the boundary: Last equal to the window's size, and one less.
		{win(0, 10, at(10), at(20)), byI(10, 20), false, s10, s20},
		{win(0, 9, at(10), at(20)), byI(11, 20), true, s10, s20},
		{win(5, 10, at(10), at(20)), byI(10, 15), false, s10, s20},
		{win(9, 10, at(10), at(20)), byI(10, 11), false, s10, s20},
		{win(10, 20, at(10), at(20)), nil, false, s10, s20},
		// Windows between entries and in other spellings of the same instants.
		{win(0, 100, base.Add(10500*time.Millisecond).Format(time.RFC3339Nano), "2024-05-01T11:00:20+02:00"), byI(11, 20), false,
			base.Add(10500 * time.Millisecond), s20},
		{win(0, 100, "2024-05-01T09:00:10.000Z", "2024-05-01T09:00:12.000Z"), byI(10, 12), false, s10, base.Add(12 * time.Second)},
		// Unset sides are unbounded and echo the search range; zero times mean unset (§4.1).
		{win(0, 100, at(95), ""), byI(95, 100), false, base.Add(95 * time.Second), base.Add(hour)},
		{win(0, 100, "0001-01-01T00:00:00Z", at(3)), byI(0, 3), false, base, base.Add(3 * time.Second)},
		{win(0, 2, "0000-12-31T16:07:02-07:52", at(3)), byI(1, 3), true, base, base.Add(3 * time.Second)},
		{win(0, 100, "", ""), gen, false, base, base.Add(hour)},
		// A window outside the data.
		{win(0, 100, at(-100), at(-50)), nil, false, base.Add(-100 * time.Second), base.Add(-50 * time.Second)},
		// An empty window (StartTS == EndTS) is not an error.
		{win(0, 100, at(10), at(10)), nil, false, s10, s10},
	}
	for i, k := range cases {
		var p goEntriesResp
		raw := c.do(ch, map[string]any{"ID": 18, "EntryRange": k.er}, &p)
		if p.ID != 18 || p.EntryCount != n || p.Tags["app"] != 0 || p.Entries == nil {
			t.Fatalf("case %d %v: %s", i, k.er, raw)
		}
		checkEntries(t, fmt.Sprintf("case %d %v", i, k.er), p.Entries, k.want, 0)
		if p.AdditionalEntries != k.more {
			t.Errorf("case %d %v: AdditionalEntries %v, want %v", i, k.er, p.AdditionalEntries, k.more)
		}
		if er := p.EntryRange; er == nil || !er.StartTS.Equal(k.start) || !er.EndTS.Equal(k.end) ||
			er.First != uint64(k.er["First"].(int)) || er.Last != uint64(k.er["Last"].(int)) {
			t.Errorf("case %d %v: EntryRange echo %+v, want window %v..%v", i, k.er, p.EntryRange, k.start, k.end)
		}
	}
	// Paging through a window tiles it exactly, with page sizes that do and do not divide it.
	for _, page := range []int{5, 7, 30} {
		var got []goSearchEntry
		for first := 0; first < 100; first += page {
			var p goEntriesResp
			c.do(ch, map[string]any{"ID": 18, "EntryRange": win(first, first+page, at(20), at(50))}, &p)
			got = append(got, p.Entries...)
			if p.AdditionalEntries != (first+page < 30) {
				t.Fatalf("window page [%d,%d): AdditionalEntries %v", first, first+page, p.AdditionalEntries)
			}
			if !p.AdditionalEntries {
				break
			}
		}
		checkEntries(t, "window pages of "+strconv.Itoa(page), got, byI(20, 50), 0)
	}

	// Results not in time order (sorted by host): a window keeps the renderer's order and
	// holds exactly the results inside it.
	rs := c.launch("tag=app json host | sort by host", base, base.Add(hour))
	ch = rs.OutputSearchSubproto
	c.waitDone(ch)
	var full goEntriesResp
	c.do(ch, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": 0, "Last": n}}, &full)
	var inWin []goSearchEntry
	for _, e := range full.Entries {
		if !e.TS.Before(s10) && e.TS.Before(base.Add(40*time.Second)) {
			inWin = append(inWin, e)
		}
	}
	ordered := true
	for i := 1; i < len(full.Entries); i++ {
		ordered = ordered && !full.Entries[i].TS.After(full.Entries[i-1].TS)
	}
	if len(inWin) != 30 || ordered {
		t.Fatalf("sort by host: %d entries in [10s,40s), time-ordered %v", len(inWin), ordered)
	}
	for _, page := range []int{7, 10, 30} {
		var got []goSearchEntry
		for first := 0; first < 100; first += page {
			var p goEntriesResp
			c.do(ch, map[string]any{"ID": 18, "EntryRange": win(first, first+page, at(10), at(40))}, &p)
			got = append(got, p.Entries...)
			if p.AdditionalEntries != (first+page < 30) {
				t.Fatalf("unordered window page [%d,%d): AdditionalEntries %v", first, first+page, p.AdditionalEntries)
			}
			if !p.AdditionalEntries {
				break
			}
		}
		if len(got) != len(inWin) {
			t.Fatalf("unordered window in pages of %d: %d entries, want %d", page, len(got), len(inWin))
		}
		for i := range got {
			if !got[i].TS.Equal(inWin[i].TS) || string(got[i].Data) != string(inWin[i].Data) {
				t.Fatalf("unordered window in pages of %d: entry %d is %s, want %s", page, i, got[i].Data, inWin[i].Data)
			}
		}
	}
}

func TestRenderExplore(t *testing.T) {
	const n = 60
	_, c, r, gen := renderSetup(t, n, "tag=app", nil)
	ch := r.OutputSearchSubproto
	check := func(what string, p *goEntriesResp, want []genEntry) {
		t.Helper()
		checkEntries(t, what, p.Entries, want, 0)
		if len(p.Explore) != len(p.Entries) {
			t.Fatalf("%s: %d Explore results for %d entries", what, len(p.Explore), len(p.Entries))
		}
		for i, x := range p.Explore {
			g := want[i]
			if x.Module != "json" || x.Tag != "app" || len(x.Elements) != 3 {
				t.Fatalf("%s: Explore[%d] = %+v", what, i, x)
			}
			vals := map[string]any{}
			for _, el := range x.Elements {
				if el.Module != "json" || el.Name != el.Path || el.Filters == nil {
					t.Fatalf("%s: element %+v", what, el)
				}
				vals[el.Path] = el.Value
			}
			if vals["i"] != float64(g.I) || vals["host"] != "h"+strconv.Itoa(g.I%3) || vals["bytes"] != float64(g.I*10) {
				t.Fatalf("%s: Explore[%d] values %v, want entry %d", what, i, vals, g.I)
			}
		}
	}
	var p goEntriesResp
	c.do(ch, map[string]any{"ID": 61456, "EntryRange": map[string]any{"First": 5, "Last": 12}}, &p)
	if p.ID != 61456 || !p.AdditionalEntries {
		t.Fatalf("REQ_GET_EXPLORE_ENTRIES: %+v", p.goBase)
	}
	check("explore [5,12)", &p, gen[5:12])
	c.do(ch, map[string]any{"ID": 61458, "Addendum": json.RawMessage(`{"filterID":"x"}`),
		"EntryRange": map[string]any{"First": 0, "Last": 100, "StartTS": at(50), "EndTS": at(53)}}, &p)
	if p.ID != 61458 || string(p.Addendum) != `{"filterID":"x"}` || p.AdditionalEntries {
		t.Fatalf("REQ_EXPLORE_TS_RANGE: %+v", p.goBase)
	}
	check("explore window [50s,53s)", &p, gen[n-53:n-50])
}

func TestRenderMetadata(t *testing.T) {
	const n = 100
	_, c, r, _ := renderSetup(t, n, "tag=app json bytes host", nil)
	var m goMetadataResp
	raw := c.do(r.OutputSearchSubproto, map[string]any{"ID": 65537}, &m)
	if m.ID != 65537 || m.Metadata == nil {
		t.Fatalf("REQ_SEARCH_METADATA: %s", raw)
	}
	md := m.Metadata
	if len(md.ValueStats) != 2 {
		t.Fatalf("ValueStats: %+v", md.ValueStats)
	}
	byName := map[string]int{}
	for i, v := range md.ValueStats {
		byName[v.Name] = i
	}
	b := md.ValueStats[byName["bytes"]]
	if b.Name != "bytes" || b.Type != "number" || b.Number.Count != n || b.Number.Min != 0 || b.Number.Max != (n-1)*10 || b.Raw.Map != nil {
		t.Errorf("bytes: %+v, want number Count %d Min 0 Max %d", b, n, (n-1)*10)
	}
	h := md.ValueStats[byName["host"]]
	if h.Name != "host" || h.Type != "raw" || fmt.Sprint(h.Raw.Map) != "map[h0:34 h1:33 h2:33]" || h.Raw.Other != 0 || h.Number.Count != 0 {
		t.Errorf("host: %+v", h)
	}
	src := map[string]uint{}
	for _, s := range md.SourceStats {
		src[s.IP] = s.Count
	}
	if fmt.Sprint(src) != "map[10.0.0.1:25 10.0.0.2:25 10.0.0.3:25 10.0.0.4:25]" {
		t.Errorf("SourceStats: %+v", md.SourceStats)
	}
	if fmt.Sprint(md.TagStats) != "map[app:100]" {
		t.Errorf("TagStats: %v", md.TagStats)
	}
}

// lastOut sums the last module's OutputCount over sets.
func lastOut(s *goStatsResp) (count, bytes uint64) {
	for _, set := range s.Stats.Set {
		if len(set.Stats) > 0 {
			count += set.Stats[len(set.Stats)-1].OutputCount
			bytes += set.Stats[len(set.Stats)-1].OutputBytes
		}
	}
	return count, bytes
}

func TestRenderStats(t *testing.T) {
	const n = 100
	_, c, r, gen := renderSetup(t, n, "tag=app json bytes host", func(c *engine.Config) { c.Search.MaxBuckets = 4096 })
	ch := r.OutputSearchSubproto
	var dataBytes uint64
	for _, g := range gen {
		dataBytes += uint64(len(g.Data))
	}
	end := base.Add(hour)
	var s goStatsResp
	c.do(ch, map[string]any{"ID": 2130706433}, &s)
	if s.ID != 2130706433 || s.Stats.Size != n || s.Stats.Set == nil || len(s.Stats.Set) != 0 {
		t.Fatalf("REQ_STATS_SIZE: %+v", s)
	}
	s = goStatsResp{}
	c.do(ch, map[string]any{"ID": 2130706434}, &s)
	if s.ID != 2130706434 || s.Stats.Size != n || !s.Stats.RangeStart.Equal(base) || !s.Stats.RangeEnd.Equal(end) {
		t.Fatalf("REQ_STATS_RANGE: %+v", s.Stats)
	}
	s = goStatsResp{}
	c.do(ch, map[string]any{"ID": 2130706438}, &s)
	if s.ID != 2130706438 || s.Stats.Set == nil || len(s.Stats.Set) != 0 || !s.Stats.Current.Equal(base) ||
		!s.Stats.RangeStart.Equal(base) || !s.Stats.RangeEnd.Equal(end) || s.Stats.Size != n {
		t.Fatalf("REQ_STATS_GET_LOCATION: %+v", s.Stats)
	}

	// Four sets over the hour: all the data (the first 100 s) is in the first.
	s = goStatsResp{}
	c.do(ch, map[string]any{"ID": 2130706435, "Stats": map[string]any{"SetCount": 4}}, &s)
	if len(s.Stats.Set) != 4 || !s.Stats.Current.Equal(base) {
		t.Fatalf("REQ_STATS_GET 4: %+v", s.Stats)
	}
	for i, set := range s.Stats.Set {
		if !set.TS.Equal(base.Add(time.Duration(i) * 15 * time.Minute)) {
			t.Errorf("set %d TS %v", i, set.TS)
		}
		if set.Stats == nil || (i > 0 && len(set.Stats) != 0) {
			t.Errorf("set %d Stats %+v (want [] for an empty chunk)", i, set.Stats)
		}
	}
	ms := s.Stats.Set[0].Stats
	if len(ms) != 2 || ms[0].Name != "json" || ms[0].Args != "json bytes host" || ms[0].InputCount != n || ms[0].OutputCount != n ||
		ms[0].InputBytes != dataBytes || ms[0].OutputBytes != dataBytes || ms[1].Name != "sort" || ms[1].OutputCount != n {
		t.Fatalf("set 0 module stats: %+v (data bytes %d)", ms, dataBytes)
	}
	// SetCount 0 (and negative): one set per base bucket held; above the cap: clamped to it.
	for _, sc := range []int64{0, -5} {
		s = goStatsResp{}
		c.do(ch, map[string]any{"ID": 2130706435, "Stats": map[string]any{"SetCount": sc}}, &s)
		if len(s.Stats.Set) != s.Stats.Size || s.Stats.Size != n {
			t.Fatalf("SetCount %d: %d sets, Size %d", sc, len(s.Stats.Set), s.Stats.Size)
		}
		if cnt, _ := lastOut(&s); cnt != n {
			t.Fatalf("SetCount %d: OutputCount sum %d", sc, cnt)
		}
	}
	// Above the cap (MaxBuckets, set to 4096 here): clamped to it.
	s = goStatsResp{}
	c.do(ch, map[string]any{"ID": 2130706435, "Stats": map[string]any{"SetCount": int64(1) << 40}}, &s)
	if len(s.Stats.Set) != 4096 {
		t.Fatalf("SetCount 2^40: %d sets, want the cap MaxBuckets=4096", len(s.Stats.Set))
	}
	if cnt, _ := lastOut(&s); cnt != n {
		t.Fatalf("SetCount 2^40: OutputCount sum %d", cnt)
	}
	s = goStatsResp{}
	c.do(ch, map[string]any{"ID": 2130706435, "Stats": map[string]any{"SetCount": 4097}}, &s)
	if len(s.Stats.Set) != 4096 {
		t.Fatalf("SetCount 4097: %d sets, want the cap MaxBuckets=4096", len(s.Stats.Set))
	}

	// The summary: one set at the range start summing everything.
	s = goStatsResp{}
	c.do(ch, map[string]any{"ID": 2130706437}, &s)
	if len(s.Stats.Set) != 1 || !s.Stats.Set[0].TS.Equal(base) {
		t.Fatalf("REQ_STATS_GET_SUMMARY: %+v", s.Stats)
	}
	if cnt, b := lastOut(&s); cnt != n || b != dataBytes {
		t.Fatalf("summary: count %d bytes %d, want %d %d", cnt, b, n, dataBytes)
	}

	// The overview: Count and Bytes of the last module per chunk.
	var ov goStatsResp
	c.do(ch, map[string]any{"ID": 2130706439, "Stats": map[string]any{"SetCount": 4}}, &ov)
	if ov.ID != 2130706439 || len(ov.Stats.OverviewSet) != 4 || ov.Stats.OverviewSet[0].Count != n ||
		ov.Stats.OverviewSet[0].Bytes != dataBytes || ov.Stats.OverviewSet[3].Count != 0 ||
		!ov.Stats.OverviewSet[2].TS.Equal(base.Add(30*time.Minute)) {
		t.Fatalf("REQ_STATS_GET_OVERVIEW: %+v", ov.Stats)
	}
	ov = goStatsResp{}
	c.do(ch, map[string]any{"ID": 2130706439, "Stats": map[string]any{"SetCount": 10, "SetStart": at(0), "SetEnd": at(10)}}, &ov)
	var sum uint64
	for _, p := range ov.Stats.OverviewSet {
		sum += p.Count
	}
	if len(ov.Stats.OverviewSet) != 10 || sum != 11 {
		t.Fatalf("REQ_STATS_GET_OVERVIEW over [0s,10s]: %d points summing %d, want 10 and 11 (inclusive end)", len(ov.Stats.OverviewSet), sum)
	}
}

func TestRenderStatsGetRange(t *testing.T) {
	const n = 100
	_, c, r, _ := renderSetup(t, n, "tag=app", nil)
	ch := r.OutputSearchSubproto
	// [base, base+10s] in 10 chunks of 1 s: the bucket at the end is added to the last chunk
	// (inclusive end), so 11 entries are counted and the last chunk holds 2.
	var s goStatsResp
	c.do(ch, map[string]any{"ID": 2130706436, "Stats": map[string]any{"SetCount": 10, "SetStart": at(0), "SetEnd": at(10)}}, &s)
	if s.ID != 2130706436 || len(s.Stats.Set) != 10 {
		t.Fatalf("REQ_STATS_GET_RANGE: %+v", s.Stats)
	}
	for i, set := range s.Stats.Set {
		want := uint64(1)
		if i == 9 {
			want = 2
		}
		if !set.TS.Equal(base.Add(time.Duration(i)*time.Second)) || len(set.Stats) == 0 || set.Stats[len(set.Stats)-1].OutputCount != want {
			t.Fatalf("set %d: %+v, want TS %v and OutputCount %d", i, set, base.Add(time.Duration(i)*time.Second), want)
		}
	}
	if cnt, _ := lastOut(&s); cnt != 11 {
		t.Fatalf("OutputCount sum %d, want 11", cnt)
	}
	// Only chunks that overlap the search range are returned.
	s = goStatsResp{}
	c.do(ch, map[string]any{"ID": 2130706436, "Stats": map[string]any{"SetCount": 4,
		"SetStart": base.Add(-hour).Format(time.RFC3339), "SetEnd": base.Add(hour).Format(time.RFC3339)}}, &s)
	if len(s.Stats.Set) != 2 || !s.Stats.Set[0].TS.Equal(base) || !s.Stats.Set[1].TS.Equal(base.Add(30*time.Minute)) {
		t.Fatalf("range over [-1h, +1h] in 4: %+v", s.Stats.Set)
	}
	if cnt, _ := lastOut(&s); cnt != n {
		t.Fatalf("range over [-1h, +1h]: OutputCount sum %d", cnt)
	}
	// A range entirely before the search: nothing.
	s = goStatsResp{}
	c.do(ch, map[string]any{"ID": 2130706436, "Stats": map[string]any{"SetCount": 4, "SetStart": "1901-01-01T00:00:00Z", "SetEnd": "1902-01-01T00:00:00Z"}}, &s)
	if s.ID != 2130706436 || s.Stats.Set == nil || len(s.Stats.Set) != 0 {
		t.Fatalf("range before the search: %+v", s.Stats.Set)
	}
	// A SetCount above the default cap (65536) is clamped to it. (Only the sets are counted:
	// decoding 3 MB under the race detector takes longer than this whole test.)
	big := c.do(ch, map[string]any{"ID": 2130706436, "Stats": map[string]any{"SetCount": int64(1) << 50, "SetStart": at(0), "SetEnd": base.Add(hour).Format(time.RFC3339)}}, nil)
	if sets := bytes.Count(big, []byte(`{"Stats":`)); sets != wire.MaxStatsBuckets || bytes.Count(big, []byte(`"TS":`)) != sets {
		t.Fatalf("SetCount 2^50: %d sets, want the cap %d", sets, wire.MaxStatsBuckets)
	}
	// Bad parameters.
	c.wantError(ch, map[string]any{"ID": 2130706436, "Stats": map[string]any{"SetCount": 0, "SetStart": at(0), "SetEnd": at(10)}}, "SetCount")
	c.wantError(ch, map[string]any{"ID": 2130706436, "Stats": map[string]any{"SetCount": -3, "SetStart": at(0), "SetEnd": at(10)}}, "SetCount")
	c.wantError(ch, map[string]any{"ID": 2130706436, "Stats": map[string]any{"SetCount": 4, "SetStart": at(0)}}, "SetEnd")
	c.wantError(ch, map[string]any{"ID": 2130706436, "Stats": map[string]any{"SetCount": 4, "SetEnd": at(10)}}, "SetStart")
	c.wantError(ch, map[string]any{"ID": 2130706436}, "Stats")
	c.wantError(ch, map[string]any{"ID": 2130706436, "Stats": map[string]any{"SetCount": 4, "SetStart": at(10), "SetEnd": at(10)}}, "SetEnd", "SetStart")
	c.wantError(ch, map[string]any{"ID": 2130706436, "Stats": map[string]any{"SetCount": 4, "SetStart": at(10), "SetEnd": at(5)}}, "SetEnd", "SetStart")
	c.wantError(ch, map[string]any{"ID": 2130706436, "Stats": map[string]any{"SetCount": 4, "SetStart": "2024-05-01 09:00:00", "SetEnd": at(5)}}, "Stats.SetStart", "RFC 3339")
	c.wantError(ch, map[string]any{"ID": 2130706436, "Stats": map[string]any{"SetCount": 1.5, "SetStart": at(0), "SetEnd": at(5)}}, "Stats.SetCount", "integer")
	c.wantError(ch, map[string]any{"ID": 2130706435, "Stats": []int{1}}, "Stats", "object")
	c.wantError(ch, map[string]any{"ID": 2130706435, "Stats": map[string]any{"SetCount": "4"}}, "Stats.SetCount")
}

func TestRenderStreaming(t *testing.T) {
	const n = 100
	_, c, r, gen := renderSetup(t, n, "tag=app json bytes host", func(c *engine.Config) { c.Search.StreamBlock = 30 })
	ch := r.OutputSearchSubproto
	for round := 0; round < 2; round++ { // a second stream on the same channel starts from 0 again
		c.send(ch, map[string]any{"ID": 17, "Addendum": json.RawMessage(`{"s":1}`)})
		var got []goSearchEntry
		for i := 0; ; i++ {
			if i > 10 {
				t.Fatal("no terminator")
			}
			var b goEntriesResp
			raw := c.recv(ch, nil)
			if err := strictDecode(raw, &b); err != nil {
				t.Fatalf("block %s: %v", raw, err)
			}
			if b.ID != 17 || string(b.Addendum) != `{"s":1}` || b.EntryRange == nil || b.AdditionalEntries || b.Tags["app"] != 0 {
				t.Fatalf("block %d: %+v", i, b.goBase)
			}
			if b.Finished {
				if b.Entries == nil || len(b.Entries) != 0 || b.EntryCount != 0 || b.EntryRange.First != n || b.EntryRange.Last != n {
					t.Fatalf("terminator: %s", raw)
				}
				break
			}
			wantLen := min(30, n-30*i)
			if len(b.Entries) != wantLen || int(b.EntryCount) != wantLen || b.EntryRange.First != uint64(30*i) ||
				b.EntryRange.Last != uint64(30*i+wantLen) {
				t.Fatalf("block %d: %d entries, EntryCount %d, range %+v", i, len(b.Entries), b.EntryCount, b.EntryRange)
			}
			got = append(got, b.Entries...)
		}
		checkEntries(t, "stream", got, gen, 0)
	}
	c.sync()
}

// TestRenderRaw checks the raw renderer: data byte for byte, binary included, and
// ContainsBinaryEntries true exactly for replies that carry a binary entry.
func TestRenderRaw(t *testing.T) {
	ts := startServer(t, nil)
	id, _ := ts.eng.TagID("bin")
	const n = 20
	var batch []wire.Entry
	want := make([]genEntry, n) // newest first
	for i := 0; i < n; i++ {
		data := []byte("line " + strconv.Itoa(i) + " é\t")
		if i == 5 {
			data = []byte{0x00, 0xff, 0xfe, 'x', 0x01, 0xc3}
		}
		g := genEntry{I: i, TS: base.Add(time.Duration(i) * time.Second), SRC: netip.MustParseAddr("2001:db8::1"), Data: data}
		want[n-1-i] = g
		batch = append(batch, wire.Entry{TS: g.TS.UnixNano(), SRC: g.SRC, Tag: id, Data: data})
	}
	if err := ts.eng.Ingest(batch); err != nil {
		t.Fatal(err)
	}
	c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	r := c.launch("tag=bin raw", base, base.Add(hour))
	if r.RenderModule != "raw" {
		t.Fatalf("RenderModule %q", r.RenderModule)
	}
	ch := r.OutputSearchSubproto
	c.waitDone(ch)
	got := c.pageAll(ch, 10, n)
	checkEntries(t, "raw pages", got, want, 0)
	binIdx := n - 1 - 5
	for _, k := range []struct{ id, first, last int }{{16, 0, 10}, {16, 10, 20}, {19, binIdx, binIdx + 1}, {19, 0, binIdx}, {61456, 12, 16}} {
		var p goEntriesResp
		c.do(ch, map[string]any{"ID": k.id, "EntryRange": map[string]any{"First": k.first, "Last": k.last}}, &p)
		wantBin := k.first <= binIdx && binIdx < k.last
		if p.ContainsBinaryEntries == nil || *p.ContainsBinaryEntries != wantBin {
			t.Errorf("ID %d [%d,%d): ContainsBinaryEntries %v, want %v", k.id, k.first, k.last, p.ContainsBinaryEntries, wantBin)
		}
		if k.id == 61456 && len(p.Explore) != len(p.Entries) {
			t.Errorf("raw explore: %d results for %d entries", len(p.Explore), len(p.Entries))
		}
	}
	var p goEntriesResp
	c.do(ch, map[string]any{"ID": 18, "EntryRange": map[string]any{"First": 0, "Last": 10, "StartTS": at(0), "EndTS": at(5)}}, &p)
	if p.ContainsBinaryEntries == nil || *p.ContainsBinaryEntries {
		t.Errorf("window without the binary entry: ContainsBinaryEntries %v", p.ContainsBinaryEntries)
	}
	c.send(ch, map[string]any{"ID": 17})
	var b goEntriesResp
	c.recv(ch, &b)
	if len(b.Entries) != n || b.ContainsBinaryEntries == nil || !*b.ContainsBinaryEntries {
		t.Fatalf("stream block: %d entries, ContainsBinaryEntries %v", len(b.Entries), b.ContainsBinaryEntries)
	}
	c.recv(ch, &b)
	if !b.Finished {
		t.Fatal("no terminator")
	}
}

func TestRenderHex(t *testing.T) {
	const n = 30
	_, c, r, gen := renderSetup(t, n, "tag=app hex", nil)
	if r.RenderModule != "hex" || r.RenderCmd != "hex" {
		t.Fatalf("launch: %+v", r)
	}
	ch := r.OutputSearchSubproto
	checkEntries(t, "hex pages", c.pageAll(ch, 8, n), gen, 0)
	raw := c.do(ch, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": 0, "Last": 2}}, nil)
	if strings.Contains(string(raw), "ContainsBinaryEntries") {
		t.Errorf("hex reply carries ContainsBinaryEntries: %s", raw)
	}
	var raw19 goEntriesResp
	c.do(ch, map[string]any{"ID": 19, "EntryRange": map[string]any{"First": 0, "Last": n}}, &raw19)
	checkEntries(t, "hex REQ_GET_RAW_ENTRIES", raw19.Entries, gen, 0)
	c.wantError(ch, map[string]any{"ID": 61456, "EntryRange": map[string]any{"First": 0, "Last": 2}}, "hex", "61456")
	c.wantError(ch, map[string]any{"ID": 61458, "EntryRange": map[string]any{"First": 0, "Last": 2}}, "hex", "61458")
	var d goDetailsResp
	c.do(ch, map[string]any{"ID": 4}, &d)
	if fmt.Sprint(d.SearchInfo.RenderDownloadFormats) != "[archive csv json text]" {
		t.Errorf("hex download formats %v", d.SearchInfo.RenderDownloadFormats)
	}
}

func TestRenderTable(t *testing.T) {
	const n = 50
	_, c, r, gen := renderSetup(t, n, "tag=app json host bytes | table host bytes", func(c *engine.Config) { c.Search.StreamBlock = 20 })
	ch := r.OutputSearchSubproto
	if r.RenderModule != "table" || r.RenderCmd != "table host bytes" {
		t.Fatalf("launch: %+v", r)
	}
	checkRows := func(what string, p *goTableResp, want []genEntry) {
		t.Helper()
		if fmt.Sprint(p.Entries.Columns) != "[host bytes]" || len(p.Entries.Rows) != len(want) {
			t.Fatalf("%s: columns %v, %d rows, want %d", what, p.Entries.Columns, len(p.Entries.Rows), len(want))
		}
		for i, row := range p.Entries.Rows {
			g := want[i]
			if !row.TS.Equal(g.TS) || fmt.Sprint(row.Row) != fmt.Sprintf("[h%d %d]", g.I%3, g.I*10) {
				t.Fatalf("%s: row %d = %v %v, want entry %d", what, i, row.TS, row.Row, g.I)
			}
		}
	}
	var cnt goBase
	c.do(ch, map[string]any{"ID": 3}, &cnt)
	if cnt.EntryCount != n || cnt.EntryCountValid {
		t.Fatalf("table count: %+v", cnt)
	}
	for first := 0; first < n; first += 7 {
		var p goTableResp
		c.do(ch, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": first, "Last": first + 7}}, &p)
		checkRows(fmt.Sprintf("rows [%d,%d)", first, first+7), &p, gen[first:min(first+7, n)])
		if p.AdditionalEntries != (first+7 < n) {
			t.Fatalf("rows [%d,%d): AdditionalEntries %v", first, first+7, p.AdditionalEntries)
		}
		if er := p.EntryRange; er == nil || er.First != uint64(first) || er.Last != uint64(first+7) || !er.EndTS.Equal(base.Add(hour)) {
			t.Fatalf("rows [%d,%d): EntryRange %+v", first, first+7, p.EntryRange)
		}
	}
	var p goTableResp
	c.do(ch, map[string]any{"ID": 18, "EntryRange": map[string]any{"First": 0, "Last": 100, "StartTS": at(10), "EndTS": at(20)}}, &p)
	checkRows("table window", &p, gen[n-20:n-10])
	// A table stream repeats Columns in every block.
	c.send(ch, map[string]any{"ID": 17})
	var all []genEntry
	for i := 0; ; i++ {
		if i > 10 {
			t.Fatal("no terminator")
		}
		var b goTableResp
		c.recv(ch, &b)
		if b.Finished {
			if len(b.Entries.Rows) != 0 || b.EntryCount != 0 {
				t.Fatalf("terminator: %+v", b)
			}
			break
		}
		w := gen[20*i : min(20*i+20, n)]
		checkRows(fmt.Sprintf("stream block %d", i), &b, w)
		if int(b.EntryCount) != len(w) {
			t.Fatalf("block %d EntryCount %d", i, b.EntryCount)
		}
		all = append(all, w...)
	}
	if len(all) != n {
		t.Fatalf("streamed %d rows", len(all))
	}
	c.wantError(ch, map[string]any{"ID": 19, "EntryRange": map[string]any{"First": 0, "Last": 2}}, "table")
	c.wantError(ch, map[string]any{"ID": 61458, "EntryRange": map[string]any{"First": 0, "Last": 2}}, "table")
}

func TestRenderChart(t *testing.T) {
	const n = 300 // 5 minutes, 20 entries per host per minute
	_, c, r, _ := renderSetup(t, n, "tag=app json host | count by host over 1m | chart count by host", nil)
	ch := r.OutputSearchSubproto
	if r.RenderModule != "chart" || r.RenderCmd != "chart count by host" {
		t.Fatalf("launch: %+v", r)
	}
	check := func(what string, p *goChartResp, minutes []int) {
		t.Helper()
		e := &p.Entries
		names := slices.Clone(e.Names)
		slices.Sort(names)
		if fmt.Sprint(names) != "[h0 h1 h2]" || fmt.Sprint(e.Categories) != fmt.Sprint(e.Names) || len(e.Values) != len(minutes) {
			t.Fatalf("%s: Names %v Categories %v, %d values, want %d", what, e.Names, e.Categories, len(e.Values), len(minutes))
		}
		for i, v := range e.Values {
			if !v.TS.Equal(base.Add(time.Duration(minutes[i])*time.Minute)) || len(v.Data) != 3 {
				t.Fatalf("%s: value %d: %v %v", what, i, v.TS, v.Data)
			}
			for j, d := range v.Data {
				if d == nil || *d != 20 {
					t.Fatalf("%s: value %d point %d (%s) = %v, want 20", what, i, j, e.Names[j], d)
				}
			}
		}
	}
	var p goChartResp
	c.do(ch, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": 0, "Last": 100}}, &p)
	check("all", &p, []int{0, 1, 2, 3, 4})
	if p.EntryCount != 15 || p.EntryCountValid || p.AdditionalEntries {
		t.Fatalf("chart base: %+v", p.goBase)
	}
	p = goChartResp{}
	c.do(ch, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": 1, "Last": 3}}, &p)
	check("[1,3)", &p, []int{1, 2})
	if !p.AdditionalEntries {
		t.Error("chart [1,3) of 5: AdditionalEntries false")
	}
	p = goChartResp{}
	c.do(ch, map[string]any{"ID": 18, "EntryRange": map[string]any{"First": 0, "Last": 100, "StartTS": at(60), "EndTS": at(180)}}, &p)
	check("window [1m,3m)", &p, []int{1, 2})
	if er := p.EntryRange; er == nil || !er.StartTS.Equal(base.Add(time.Minute)) || !er.EndTS.Equal(base.Add(3*time.Minute)) {
		t.Fatalf("chart window EntryRange %+v", p.EntryRange)
	}
	var d goDetailsResp
	c.do(ch, map[string]any{"ID": 4}, &d)
	if d.SearchInfo.MinZoomWindow != 60 || d.SearchInfo.ItemCount != 5 {
		t.Errorf("chart SearchInfo: MinZoomWindow %d ItemCount %d", d.SearchInfo.MinZoomWindow, d.SearchInfo.ItemCount)
	}
	c.send(ch, map[string]any{"ID": 17})
	p = goChartResp{}
	c.recv(ch, &p)
	check("stream block", &p, []int{0, 1, 2, 3, 4})
	if p.Finished || p.EntryCount != 5 {
		t.Fatalf("chart stream block: %+v", p.goBase)
	}
	p = goChartResp{}
	c.recv(ch, &p)
	if !p.Finished || p.EntryCount != 0 || len(p.Entries.Values) != 0 {
		t.Fatalf("chart terminator: %+v", p)
	}
	c.wantError(ch, map[string]any{"ID": 61456, "EntryRange": map[string]any{"First": 0, "Last": 2}}, "chart")
}

func TestRenderGaugeAndNumbercard(t *testing.T) {
	ts := startServer(t, nil)
	ingestApp(t, ts, "app", 123, time.Second)
	c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	for _, k := range []struct {
		query, renderer string
		min, max        float64
	}{
		{"tag=app | count | gauge count", "gauge", 0, 0},
		{"tag=app | count | numbercard count", "numbercard", 0, 0},
		{"tag=app | count | gauge min=10 max=500 count", "gauge", 10, 500},
	} {
		r := c.launch(k.query, base, base.Add(hour))
		ch := r.OutputSearchSubproto
		c.waitDone(ch)
		if r.RenderModule != k.renderer {
			t.Fatalf("%s: RenderModule %q", k.query, r.RenderModule)
		}
		var g goGaugeResp
		c.do(ch, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": 0, "Last": 10}}, &g)
		if len(g.Entries) != 1 || g.Entries[0].Name != "count" || g.Entries[0].Magnitude != 123 ||
			g.Entries[0].Min != k.min || g.Entries[0].Max != k.max || g.EntryCountValid || g.EntryRange == nil {
			t.Fatalf("%s: %+v", k.query, g)
		}
		// Gauges ignore time windows.
		g = goGaugeResp{}
		c.do(ch, map[string]any{"ID": 18, "EntryRange": map[string]any{"First": 0, "Last": 10, "StartTS": at(-100), "EndTS": at(-50)}}, &g)
		if len(g.Entries) != 1 || g.Entries[0].Magnitude != 123 {
			t.Fatalf("%s window: %+v", k.query, g)
		}
		var d goDetailsResp
		c.do(ch, map[string]any{"ID": 4}, &d)
		if !d.SearchInfo.TimeZoomDisabled || fmt.Sprint(d.SearchInfo.RenderDownloadFormats) != "[archive json]" {
			t.Errorf("%s SearchInfo: %+v", k.query, d.SearchInfo)
		}
		c.closeOutput(ch)
	}
}

// TestRenderOverLimit sets a tiny render store: the newest results are kept, the rest only
// counted, and every reply says so.
func TestRenderOverLimit(t *testing.T) {
	const n = 200
	_, c, r, gen := renderSetup(t, n, "tag=app", func(c *engine.Config) { c.Search.RenderLimit = 8 << 10 })
	ch := r.OutputSearchSubproto
	var all goEntriesResp
	c.do(ch, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": 0, "Last": 1000}}, &all)
	k := len(all.Entries)
	if k == 0 || k >= n {
		t.Fatalf("%d of %d entries stored under an 8 KiB limit", k, n)
	}
	checkEntries(t, "stored entries", all.Entries, gen[:k], 0)
	want := func(what string, b *goBase) {
		t.Helper()
		if !b.OverLimit || b.EntryCount != n || b.EntryCountValid || b.Warning == "" ||
			!b.LimitDroppedRange.StartTS.Equal(gen[n-1].TS) || !b.LimitDroppedRange.EndTS.Equal(gen[k].TS) {
			t.Fatalf("%s: %+v, want OverLimit, EntryCount %d, dropped %v..%v", what, b, n, gen[n-1].TS, gen[k].TS)
		}
	}
	want("REQ_GET_ENTRIES", &all.goBase)
	for _, req := range []map[string]any{{"ID": 3}, {"ID": 4}, {"ID": 5}, {"ID": 65537}, {"ID": 2130706437},
		{"ID": 18, "EntryRange": map[string]any{"First": 0, "Last": 10, "StartTS": at(0), "EndTS": at(10)}}, {"ID": 999}} {
		var b goBase
		raw := c.do(ch, req, nil)
		json.Unmarshal(raw, &b)
		want(fmt.Sprint(req), &b)
	}
	// Stats stay complete.
	var s goStatsResp
	c.do(ch, map[string]any{"ID": 2130706437}, &s)
	if cnt, _ := lastOut(&s); cnt != n {
		t.Fatalf("summary OutputCount %d, want %d", cnt, n)
	}
	var d goDetailsResp
	c.do(ch, map[string]any{"ID": 4}, &d)
	if d.SearchInfo.ItemCount != int64(k) || d.SearchInfo.StoreSize > 8<<10 {
		t.Errorf("ItemCount %d StoreSize %d, want %d and at most 8 KiB", d.SearchInfo.ItemCount, d.SearchInfo.StoreSize, k)
	}
}

// TestRenderConcurrentConsumers has the launcher and two other sockets read one search at the
// same time, each streaming it (while it may still run) and then paging through it.
func TestRenderConcurrentConsumers(t *testing.T) {
	const n = 3000
	ts := startServer(t, func(c *engine.Config) { c.Search.StreamBlock = 400 })
	gen := ingestApp(t, ts, "app", n, 100*time.Millisecond)
	c0 := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	r := c0.launch("tag=app json host", base, base.Add(hour))
	c1 := dial(t, ts.url+"/api/ws/search", "attach", "PONG")
	c2 := dial(t, ts.url+"/ws/search", "attach", "PONG")
	a1, a2 := c1.attachTo(r.SearchID), c2.attachTo(r.SearchID)
	type result struct {
		stream, pages []goSearchEntry
		err           error
	}
	consume := func(c *client, ch string, page int) (res result) {
		if err := c.trySend(ch, map[string]any{"ID": 17}); err != nil {
			return result{err: err}
		}
		for i := 0; ; i++ {
			if i > n {
				return result{err: fmt.Errorf("%s: no terminator", ch)}
			}
			raw, err := c.tryRecv(ch)
			if err != nil {
				return result{err: err}
			}
			var b goEntriesResp
			if err := strictDecode(raw, &b); err != nil {
				return result{err: err}
			}
			if b.Finished {
				break
			}
			if b.EntryRange.First != uint64(len(res.stream)) {
				return result{err: fmt.Errorf("%s: block starts at %d after %d entries", ch, b.EntryRange.First, len(res.stream))}
			}
			res.stream = append(res.stream, b.Entries...)
		}
		for first := 0; ; first += page {
			raw, err := c.tryDo(ch, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": first, "Last": first + page}})
			if err != nil {
				return result{err: err}
			}
			var p goEntriesResp
			if err := strictDecode(raw, &p); err != nil {
				return result{err: err}
			}
			if !p.Finished || p.EntryCount != n {
				return result{err: fmt.Errorf("%s: page after the terminator: %+v", ch, p.goBase)}
			}
			res.pages = append(res.pages, p.Entries...)
			if !p.AdditionalEntries {
				return res
			}
		}
	}
	var wg sync.WaitGroup
	results := make([]result, 3)
	for i, k := range []struct {
		c    *client
		ch   string
		page int
	}{{c0, r.OutputSearchSubproto, 250}, {c1, a1.Subproto, 333}, {c2, a2.Subproto, 1000}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = consume(k.c, k.ch, k.page)
		}()
	}
	wg.Wait()
	for i, res := range results {
		if res.err != nil {
			t.Fatalf("consumer %d: %v", i, res.err)
		}
		checkEntries(t, fmt.Sprintf("consumer %d stream", i), res.stream, gen, 0)
		checkEntries(t, fmt.Sprintf("consumer %d pages", i), res.pages, gen, 0)
	}
	if got := ts.list(t)[r.SearchID].Consumers; got != 3 {
		t.Errorf("searchctrl Consumers = %d, want 3", got)
	}
}

// TestRenderRunningSearch uses an embedded search the test finishes itself, so that every
// request is answered while the search runs: at once, with Finished false and what is there.
func TestRenderRunningSearch(t *testing.T) {
	ts := startServer(t, func(c *engine.Config) { c.Search.StreamBlock = 1000 })
	s, err := ts.eng.Embed(search.EmbedSpec{Query: "tag=app", Tags: []string{"app"}, Start: base, End: base.Add(hour),
		Modules: []search.ModuleInfo{{Name: "ext", Args: "ext"}}})
	if err != nil {
		t.Fatal(err)
	}
	// add pushes entries [from, to) in one batch, as a pipeline hands over its output.
	add := func(from, to int) {
		var batch []wire.Entry
		for i := from; i < to; i++ {
			tsNs := base.Add(time.Duration(1000-i) * time.Second).UnixNano()
			batch = append(batch, wire.Entry{TS: tsNs, Data: []byte("entry " + strconv.Itoa(i))})
			s.Ring.Record(0, 0, tsNs, &wire.Counters{InputCount: 1, OutputCount: 1, InputBytes: 8, OutputBytes: 8})
		}
		s.Result.Add(batch)
		s.Result.Progress(base.Add(time.Duration(1000-to+1) * time.Second).UnixNano())
	}
	add(0, 10)
	c := dial(t, ts.url+"/api/ws/search", "attach", "PONG")
	ch := c.attachTo(s.ID).Subproto
	for _, req := range []map[string]any{{"ID": 3}, {"ID": 4}, {"ID": 5}, {"ID": 65537}, {"ID": 2130706435, "Stats": map[string]any{"SetCount": 3}},
		{"ID": 2130706438}, {"ID": 16, "EntryRange": map[string]any{"First": 0, "Last": 100}},
		{"ID": 18, "EntryRange": map[string]any{"First": 0, "Last": 100, "StartTS": at(0), "EndTS": at(2000)}}} {
		start := time.Now()
		var b goBase
		raw := c.do(ch, req, nil)
		json.Unmarshal(raw, &b)
		if b.Finished || b.EntryCount != 10 || b.ID == respError || time.Since(start) > 2*time.Second {
			t.Fatalf("%v while running: %s (after %v)", req, raw, time.Since(start))
		}
	}
	var loc goStatsResp
	c.do(ch, map[string]any{"ID": 2130706438}, &loc)
	if want := base.Add(991 * time.Second); !loc.Stats.Current.Equal(want) {
		t.Errorf("Current while running = %v, want %v", loc.Stats.Current, want)
	}
	// A stream on a second channel sends what is there, waits, sends what arrives, and ends
	// with the terminator after Finish; other requests on its channel are answered meanwhile.
	ch2 := c.attachTo(s.ID).Subproto
	c.send(ch2, map[string]any{"ID": 17})
	var b goEntriesResp
	c.recv(ch2, &b)
	if b.Finished || len(b.Entries) != 10 || b.EntryRange.First != 0 || b.EntryRange.Last != 10 {
		t.Fatalf("first block: %+v, %d entries", b.goBase, len(b.Entries))
	}
	var cnt goBase
	c.do(ch2, map[string]any{"ID": 3}, &cnt)
	if cnt.ID != 3 || cnt.Finished || cnt.EntryCount != 10 {
		t.Fatalf("count during the stream: %+v", cnt)
	}
	c.wantError(ch2, map[string]any{"ID": 17}, "already")
	add(10, 15)
	b = goEntriesResp{}
	c.recv(ch2, &b)
	if b.Finished || len(b.Entries) != 5 || b.EntryRange.First != 10 || b.EntryRange.Last != 15 || string(b.Entries[0].Data) != "entry 10" {
		t.Fatalf("second block: %+v", b)
	}
	// REQ_CLOSE stops a stream at once: its reply is the last message on the channel.
	ch3 := c.attachTo(s.ID).Subproto
	c.send(ch3, map[string]any{"ID": 17})
	b = goEntriesResp{}
	c.recv(ch3, &b)
	if b.Finished || len(b.Entries) != 15 {
		t.Fatalf("stream on ch3: %+v", b.goBase)
	}
	c.closeOutput(ch3)
	c.sync()
	s.Result.Finish(nil)
	b = goEntriesResp{}
	c.recv(ch2, &b)
	if !b.Finished || len(b.Entries) != 0 || b.EntryRange.First != 15 {
		t.Fatalf("terminator: %+v", b)
	}
	c.do(ch, map[string]any{"ID": 3}, &cnt)
	if !cnt.Finished || cnt.EntryCount != 15 {
		t.Fatalf("after Finish: %+v", cnt)
	}
	// After the terminator a new stream may start and runs to its own terminator.
	c.send(ch2, map[string]any{"ID": 17})
	c.recv(ch2, &b)
	c.recv(ch2, &b)
	if !b.Finished {
		t.Fatal("second stream: no terminator")
	}
	c.sync()
}

// TestRenderBadInput sends malformed and invalid requests: each gets RESP_ERROR naming the
// problem with the Addendum echoed, and the channel keeps working.
func TestRenderBadInput(t *testing.T) {
	const n = 50
	_, c, r, _ := renderSetup(t, n, "tag=app", nil)
	ch := r.OutputSearchSubproto
	er := func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	for _, k := range []struct {
		req  map[string]any
		want []string
	}{
		{map[string]any{"ID": 12345}, []string{"unknown request ID 12345"}},
		{map[string]any{"ID": 16777218}, []string{"16777218", "legacy"}},
		{map[string]any{"ID": 33554437}, []string{"33554437"}},
		{map[string]any{"ID": "delete"}, []string{"ID", "number", "delete"}},
		{map[string]any{"ID": "3"}, []string{"ID", "number"}},
		{map[string]any{}, []string{"ID", "missing"}},
		{map[string]any{"ID": nil}, []string{"ID", "missing"}},
		{map[string]any{"ID": -1}, []string{"ID", "-1"}},
		{map[string]any{"ID": 4294967296}, []string{"ID", "overflows uint32"}},
		{map[string]any{"ID": 3.5}, []string{"ID", "integer"}},
		{map[string]any{"ID": true}, []string{"ID"}},
		{map[string]any{"ID": 16}, []string{"EntryRange", "required"}},
		{map[string]any{"ID": 18, "EntryRange": nil}, []string{"EntryRange", "required"}},
		{map[string]any{"ID": 16, "EntryRange": er("First", 1, "Last", 0)}, []string{"Last (0) is before First (1)"}},
		{map[string]any{"ID": 18, "EntryRange": er("First", 10, "Last", 5, "StartTS", at(0), "EndTS", at(5))}, []string{"Last (5)", "First (10)"}},
		{map[string]any{"ID": 16, "EntryRange": er("First", -1, "Last", 5)}, []string{"EntryRange.First", "-1"}},
		{map[string]any{"ID": 16, "EntryRange": er("First", 0, "Last", -5)}, []string{"EntryRange.Last", "-5"}},
		{map[string]any{"ID": 16, "EntryRange": map[string]any{"First": 0, "Last": json.Number("18446744073709551616")}}, []string{"EntryRange.Last", "overflows uint64"}},
		{map[string]any{"ID": 16, "EntryRange": map[string]any{"First": json.Number("1e3"), "Last": 5}}, []string{"EntryRange.First", "integer"}},
		{map[string]any{"ID": 16, "EntryRange": er("First", 0.5, "Last", 5)}, []string{"EntryRange.First", "integer"}},
		{map[string]any{"ID": 16, "EntryRange": er("First", "0", "Last", 5)}, []string{"EntryRange.First", "number"}},
		{map[string]any{"ID": 16, "EntryRange": 5}, []string{"EntryRange", "object"}},
		{map[string]any{"ID": 18, "EntryRange": "0-10"}, []string{"EntryRange", "object"}},
		{map[string]any{"ID": 16, "EntryRange": []int{0, 10}}, []string{"EntryRange", "object"}},
		{map[string]any{"ID": 18, "EntryRange": er("Last", 5, "StartTS", "2015-01-01T12:01:00.0Z07:00")}, []string{"EntryRange.StartTS", "RFC 3339"}},
		{map[string]any{"ID": 18, "EntryRange": er("Last", 5, "EndTS", "2024-02-30T00:00:00Z")}, []string{"EntryRange.EndTS", "RFC 3339"}},
		{map[string]any{"ID": 18, "EntryRange": er("Last", 5, "EndTS", "yesterday")}, []string{"EntryRange.EndTS", "yesterday"}},
		{map[string]any{"ID": 18, "EntryRange": er("Last", 5, "StartTS", 1714554000)}, []string{"EntryRange.StartTS"}},
		{map[string]any{"ID": 61458, "EntryRange": er("Last", 5, "StartTS", at(10), "EndTS", at(5))}, []string{"EndTS", "before", "StartTS"}},
		{map[string]any{"ID": 18, "EntryRange": er("Last", 5, "StartTS", at(10), "EndTS", at(5))}, []string{"EndTS", "before", "StartTS"}},
		{map[string]any{"ID": 17, "EntryRange": 7}, []string{"EntryRange"}},
		{map[string]any{"ID": 2130706435, "Stats": "x"}, []string{"Stats", "object"}},
	} {
		c.wantError(ch, k.req, k.want...)
	}
	// Requests that are not objects: no Addendum to echo, but RESP_ERROR all the same.
	for _, data := range []any{[]int{1}, "x", 5, nil} {
		var b goBase
		raw := c.do(ch, data, &b)
		if b.ID != respError || !strings.Contains(b.Error, "object") {
			t.Errorf("data %v: %s", data, raw)
		}
	}
	// A request on a closed channel, or on a name that was never a channel, gets no reply.
	ar := c.attachTo(r.SearchID)
	c.closeOutput(ar.Subproto)
	c.send(ar.Subproto, map[string]any{"ID": 3})
	c.send(ar.Subproto, map[string]any{"ID": 1})
	c.send("search999", map[string]any{"ID": 3})
	c.sync()
	// The launch channel is unaffected by all this.
	checkN := c.waitDone(ch)
	if checkN != n {
		t.Fatalf("EntryCount %d", checkN)
	}
}

// TestRenderExactKeys checks the output key spelling, case included, of the main replies.
func TestRenderExactKeys(t *testing.T) {
	_, c, r, _ := renderSetup(t, 20, "tag=app json bytes host", nil)
	ch := r.OutputSearchSubproto
	with := func(extra ...string) []string { return append(slices.Clone(baseKeys), extra...) }
	raw := c.do(ch, map[string]any{"ID": 3}, nil)
	exactKeys(t, "entry count", raw, baseKeys, nil)
	exactKeys(t, "LimitDroppedRange", field(t, raw, "LimitDroppedRange"), []string{"StartTS", "EndTS"}, nil)

	raw = c.do(ch, map[string]any{"ID": 4, "Addendum": map[string]any{"a": 1}}, nil)
	exactKeys(t, "details", raw, with("SearchInfo", "Addendum"), nil)
	si := field(t, raw, "SearchInfo")
	exactKeys(t, "SearchInfo", si, []string{"ID", "UID", "GIDs", "Global", "UserQuery", "EffectiveQuery", "StartRange", "EndRange",
		"Descending", "Started", "LastUpdate", "Duration", "StoreSize", "IndexSize", "ItemCount", "TimeZoomDisabled",
		"QueryTimeSpecified", "CollapsingIndex", "NoHistory", "Background", "MinZoomWindow", "Tags", "Import", "Preview", "LaunchInfo"},
		[]string{"GID", "RenderDownloadFormats", "Metadata", "Name", "Error"})
	exactKeys(t, "Import", field(t, si, "Import"), []string{"Imported", "Time", "BatchName", "BatchInfo"}, nil)
	exactKeys(t, "LaunchInfo", field(t, si, "LaunchInfo"), []string{"started", "expires"}, []string{"method", "reference"})

	raw = c.do(ch, map[string]any{"ID": 16, "EntryRange": map[string]any{"First": 0, "Last": 2}}, nil)
	exactKeys(t, "entries", raw, with("EntryRange", "Tags", "Entries"), nil)
	exactKeys(t, "EntryRange", field(t, raw, "EntryRange"), []string{"First", "Last", "StartTS", "EndTS"}, nil)
	e := firstElem(t, field(t, raw, "Entries"))
	exactKeys(t, "SearchEntry", e, []string{"TS", "SRC", "Tag", "Data", "Enumerated"}, nil)
	ev := firstElem(t, field(t, e, "Enumerated"))
	exactKeys(t, "EnumeratedPair", ev, []string{"Name", "ValueStr", "Value"}, nil)
	exactKeys(t, "EnumeratedPair.Value", field(t, ev, "Value"), []string{"Type", "Data"}, nil)

	raw = c.do(ch, map[string]any{"ID": 61456, "EntryRange": map[string]any{"First": 0, "Last": 1}}, nil)
	exactKeys(t, "explore", raw, with("EntryRange", "Tags", "Entries", "Explore"), nil)
	x := firstElem(t, field(t, raw, "Explore"))
	exactKeys(t, "ExploreResult", x, []string{"Module", "Tag"}, []string{"Elements", "WordOffsets"})
	exactKeys(t, "Element", firstElem(t, field(t, x, "Elements")), []string{"Module", "Name", "Path", "Value", "Filters"},
		[]string{"Args", "SubElements"})

	raw = c.do(ch, map[string]any{"ID": 2130706435, "Stats": map[string]any{"SetCount": 2}}, nil)
	exactKeys(t, "stats", raw, with("Stats"), nil)
	st := field(t, raw, "Stats")
	exactKeys(t, "SearchStatsResponse", st, []string{"Size", "Set"}, []string{"RangeStart", "RangeEnd", "Current"})
	set := firstElem(t, field(t, st, "Set"))
	exactKeys(t, "StatSet", set, []string{"Stats", "TS"}, nil)
	exactKeys(t, "SearchModuleStats", firstElem(t, field(t, set, "Stats")), []string{"Name", "Args", "InputCount", "OutputCount",
		"InputBytes", "OutputBytes", "Duration", "ScratchWritten"}, nil)

	raw = c.do(ch, map[string]any{"ID": 65537}, nil)
	exactKeys(t, "metadata", raw, with("Metadata"), nil)
	md := field(t, raw, "Metadata")
	exactKeys(t, "SearchMetadata", md, nil, []string{"ValueStats", "SourceStats", "TagStats"})
	exactKeys(t, "SearchMetadataEntry", firstElem(t, field(t, md, "ValueStats")), []string{"Name", "Type", "Number", "Raw"}, nil)

	raw = c.do(ch, map[string]any{"ID": 12345, "Addendum": "x"}, nil)
	exactKeys(t, "error", raw, with("Error", "Addendum"), nil)
	raw = c.do(ch, map[string]any{"ID": 1}, nil)
	exactKeys(t, "close", raw, with("Entries"), nil)
}
