package render

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/wire"
)

func TestEntryCount(t *testing.T) {
	r := newTestResult(t, Spec{})
	rep := doOK(t, r, `{"ID":3}`, 3)
	if rep.Finished || rep.EntryCount != 0 || !rep.EntryCountValid || rep.OverLimit {
		t.Fatalf("empty: %+v", rep)
	}
	addAll(r, genEntries(41), 10)
	rep = doOK(t, r, `{"ID":3}`, 3)
	if rep.Finished || rep.EntryCount != 41 {
		t.Fatalf("running: %+v", rep)
	}
	r.Finish(nil)
	rep = doOK(t, r, `{"id":3,"Addendum":{"filterID":"f-1"}}`, 3)
	if !rep.Finished || rep.EntryCount != 41 || string(rep.Addendum) != `{"filterID":"f-1"}` {
		t.Fatalf("finished: %+v", rep)
	}
	tbl := newTestResult(t, Spec{Renderer: "table"})
	if rep := doOK(t, tbl, `{"ID":3}`, 3); rep.EntryCountValid {
		t.Fatal("table: EntryCountValid")
	}
}

func TestGetEntriesPaging(t *testing.T) {
	const n = 2345
	in := genEntries(n)
	r := newTestResult(t, Spec{MaxPage: 700})
	addAll(r, in, 97)
	r.Finish(nil)
	for _, page := range []int{1, 7, 100, 700, 1000} {
		var got []searchEntry
		first := 0
		for {
			rep := doOK(t, r, fmt.Sprintf(`{"ID":16,"EntryRange":{"First":%d,"Last":%d}}`, first, first+page), 16)
			last := first + min(page, 700)
			if rep.EntryRange == nil || rep.EntryRange.First != uint64(first) || rep.EntryRange.Last != uint64(last) ||
				rep.EntryRange.StartTS.UnixNano() != tStart || rep.EntryRange.EndTS.UnixNano() != tEnd {
				t.Fatalf("page %d at %d: EntryRange %+v", page, first, rep.EntryRange)
			}
			if rep.AdditionalEntries != (last < n) {
				t.Fatalf("page %d at %d: AdditionalEntries %v", page, first, rep.AdditionalEntries)
			}
			if len(rep.Tags) != 2 || rep.Tags["syslog"] != 0 || rep.Tags["auth"] != 1 {
				t.Fatalf("Tags %v", rep.Tags)
			}
			es := entriesOf(t, rep)
			if len(es) != min(last, n)-first {
				t.Fatalf("page %d at %d: %d entries", page, first, len(es))
			}
			got = append(got, es...)
			if !rep.AdditionalEntries {
				break
			}
			first = last
		}
		if len(got) != n {
			t.Fatalf("page %d: %d entries in total, want %d", page, len(got), n)
		}
		for i, e := range got {
			w := &in[i]
			wantTag := uint16(0)
			if w.Tag == storeTagB {
				wantTag = 1
			}
			if !bytes.Equal(e.Data, w.Data) || e.TS.UnixNano() != w.TS || e.Tag != wantTag || e.SRC.String() != w.SRC.String() ||
				len(e.Enumerated) != 3 || e.Enumerated[1].ValueStr != fmt.Sprintf("h%d", i%5) {
				t.Fatalf("page %d: entry %d = %+v, want %+v", page, i, e, w)
			}
		}
	}
	// Edges.
	rep := doOK(t, r, `{"ID":16,"EntryRange":{"First":5,"Last":5}}`, 16)
	if string(rep.Entries) != "[]" || !rep.AdditionalEntries {
		t.Fatalf("F == L: %s %v", rep.Entries, rep.AdditionalEntries)
	}
	rep = doOK(t, r, `{"ID":16,"EntryRange":{"First":5000,"Last":6000}}`, 16)
	if string(rep.Entries) != "[]" || rep.AdditionalEntries {
		t.Fatalf("beyond the end: %s %v", rep.Entries, rep.AdditionalEntries)
	}
	rep = doOK(t, r, fmt.Sprintf(`{"ID":16,"EntryRange":{"First":%d,"Last":%d}}`, n-1, n), 16)
	if len(entriesOf(t, rep)) != 1 || rep.AdditionalEntries {
		t.Fatal("last entry")
	}
	// The Go client's unset window and the JS client's missing one are ignored by 16.
	rep = doOK(t, r, `{"ID":16,"EntryRange":{"StartTS":"2024-05-01T09:59:00Z","EndTS":"2024-05-01T09:59:10Z","First":0,"Last":3}}`, 16)
	if len(entriesOf(t, rep)) != 3 || rep.EntryRange.StartTS.UnixNano() != tStart {
		t.Fatal("16 applied a window")
	}
	doErr(t, r, `{"ID":16,"EntryRange":{"First":1,"Last":0}}`, "EntryRange: Last (0) is before First (1)")
	doErr(t, r, `{"ID":16}`, "EntryRange is required for REQ_GET_ENTRIES (16)")
	doErr(t, r, `{"ID":16,"EntryRange":null}`, "EntryRange is required for REQ_GET_ENTRIES (16)")
	// A huge range is clamped to MaxPage.
	rep = doOK(t, r, `{"ID":16,"EntryRange":{"First":0,"Last":18446744073709551615}}`, 16)
	if rep.EntryRange.Last != 700 || !rep.AdditionalEntries || len(entriesOf(t, rep)) != 700 {
		t.Fatalf("clamp: %+v", rep.EntryRange)
	}
	rep = doOK(t, r, `{"ID":16,"EntryRange":{"First":18446744073709551000,"Last":18446744073709551615}}`, 16)
	if string(rep.Entries) != "[]" || rep.AdditionalEntries {
		t.Fatal("huge First")
	}
	// 19 answers the same entries with its own ID.
	a := doOK(t, r, `{"ID":16,"EntryRange":{"First":10,"Last":20}}`, 16)
	b := doOK(t, r, `{"ID":19,"EntryRange":{"First":10,"Last":20}}`, 19)
	if !bytes.Equal(a.Entries, b.Entries) {
		t.Fatal("19 differs from 16")
	}
}

// windowRef returns the entries of in whose TS lies in [s, e) (hasS/hasE false = unbounded),
// in order.
func windowRef(in []wire.Entry, s, e int64, hasS, hasE bool) []wire.Entry {
	var out []wire.Entry
	for _, x := range in {
		if (!hasS || x.TS >= s) && (!hasE || x.TS < e) {
			out = append(out, x)
		}
	}
	return out
}

func TestTSRange(t *testing.T) {
	const n = 900
	base := genEntries(n)
	asc := slices.Clone(base)
	slices.Reverse(asc)
	shuffled := slices.Clone(base)
	rand.New(rand.NewPCG(1, 1)).Shuffle(n, func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	// Ties: several entries per second.
	ties := genEntries(n)
	for i := range ties {
		ties[i].TS = tEnd - int64(i/4+1)*1e9
	}
	for name, in := range map[string][]wire.Entry{"descending": base, "ascending": asc, "unordered": shuffled, "ties": ties} {
		r := newTestResult(t, Spec{})
		addAll(r, in, 64)
		windows := []struct {
			s, e       int64
			hasS, hasE bool
		}{
			{tEnd - 600e9, tEnd - 300e9, true, true},
			{tEnd - 600e9, tEnd - 600e9, true, true},
			{tEnd - 100e9 - 5e8, tEnd - 50e9 + 1, true, true},
			{tStart, tEnd, true, true},
			{0, tEnd - 800e9, false, true},
			{tEnd - 10e9, 0, true, false},
			{0, 0, false, false},
			{tEnd + 1e9, tEnd + 5e9, true, true},
		}
		for _, w := range windows {
			ref := windowRef(in, w.s, w.e, w.hasS, w.hasE)
			win := ""
			if w.hasS {
				win += `,"StartTS":"` + rfc(w.s) + `"`
			} else {
				win += `,"StartTS":"0001-01-01T00:00:00Z"`
			}
			if w.hasE {
				win += `,"EndTS":"` + rfc(w.e) + `"`
			}
			for _, page := range []int{37, 1000} {
				var got []searchEntry
				for first := 0; ; first += page {
					rep := doOK(t, r, fmt.Sprintf(`{"ID":18,"EntryRange":{"First":%d,"Last":%d%s}}`, first, first+page, win), 18)
					if rep.EntryCount != n {
						t.Fatalf("EntryCount %d is not the whole search", rep.EntryCount)
					}
					wantS, wantE := tStart, tEnd
					if w.hasS {
						wantS = w.s
					}
					if w.hasE {
						wantE = w.e
					}
					if rep.EntryRange.StartTS.UnixNano() != wantS || rep.EntryRange.EndTS.UnixNano() != wantE {
						t.Fatalf("%s: window echo %+v", name, rep.EntryRange)
					}
					es := entriesOf(t, rep)
					got = append(got, es...)
					if rep.AdditionalEntries != (first+page < len(ref)) {
						t.Fatalf("%s %+v page %d at %d: AdditionalEntries %v with %d in window", name, w, page, first, rep.AdditionalEntries, len(ref))
					}
					if !rep.AdditionalEntries {
						break
					}
				}
				if len(got) != len(ref) {
					t.Fatalf("%s %+v page %d: %d entries, want %d", name, w, page, len(got), len(ref))
				}
				for i := range got {
					if !bytes.Equal(got[i].Data, ref[i].Data) {
						t.Fatalf("%s %+v: entry %d = %s, want %s", name, w, i, got[i].Data, ref[i].Data)
					}
				}
			}
		}
		doErr(t, r, `{"ID":18,"EntryRange":{"First":0,"Last":10,"StartTS":"2024-05-01T09:30:00Z","EndTS":"2024-05-01T09:29:59.5Z"}}`,
			"EntryRange: EndTS (2024-05-01T09:29:59.5Z) is before StartTS (2024-05-01T09:30:00Z)")
		doErr(t, r, `{"ID":18,"EntryRange":{"First":3,"Last":1,"StartTS":"2024-05-01T09:30:00Z"}}`, "EntryRange: Last (1) is before First (3)")
	}
}

func TestExplore(t *testing.T) {
	in := genEntries(30)
	in[3].Data = nil
	in[4].Data = []byte{0, 0xff, '"'}
	explore := func(dst, data []byte, tag string) []byte {
		dst = append(dst, `{"Module":"","Tag":`...)
		dst = wire.AppendString(dst, tag)
		dst = append(dst, `,"Elements":[{"Module":"","Name":"raw","Path":"raw","Value":`...)
		dst = wire.AppendBase64(dst, data)
		return append(dst, `,"Filters":[]}]}`...)
	}
	for _, rn := range []string{"text", "raw"} {
		r := newTestResult(t, Spec{Renderer: rn, Explore: explore})
		addAll(r, in, 8)
		for _, q := range []struct {
			req string
			id  uint32
		}{{`{"ID":61456,"EntryRange":{"First":2,"Last":12}}`, 61456},
			{`{"ID":61458,"EntryRange":{"First":0,"Last":10,"StartTS":"` + rfc(in[11].TS) + `","EndTS":"` + rfc(in[1].TS) + `"}}`, 61458}} {
			rep := doOK(t, r, q.req, q.id)
			es := entriesOf(t, rep)
			if len(es) != 10 || len(rep.Explore) != len(es) {
				t.Fatalf("%s: %d entries, %d explore results", rn, len(es), len(rep.Explore))
			}
			for i, x := range rep.Explore {
				var er struct {
					Tag      string
					Elements []struct{ Value []byte }
				}
				if err := jsonUnmarshal(x, &er); err != nil {
					t.Fatal(err)
				}
				wantTag := "syslog"
				if es[i].Tag == 1 {
					wantTag = "auth"
				}
				if er.Tag != wantTag || !bytes.Equal(er.Elements[0].Value, es[i].Data) {
					t.Fatalf("%s: explore %d = %s for %+v", rn, i, x, es[i])
				}
			}
			if (rep.ContainsBinaryEntries != nil) != (rn == "raw") {
				t.Fatalf("%s: ContainsBinaryEntries %v", rn, rep.ContainsBinaryEntries)
			}
			if rn == "raw" && !*rep.ContainsBinaryEntries {
				t.Fatal("raw: binary entry not flagged")
			}
		}
		rep := doOK(t, r, `{"ID":16,"EntryRange":{"First":5,"Last":30}}`, 16)
		if rn == "raw" && *rep.ContainsBinaryEntries {
			t.Fatal("raw: printable entries flagged binary")
		}
	}
	for _, rn := range []string{"hex", "pcap"} {
		r := newTestResult(t, Spec{Renderer: rn, Explore: explore})
		doErr(t, r, `{"ID":61456,"EntryRange":{"First":0,"Last":1}}`, "renderer "+rn+" does not support REQ_GET_EXPLORE_ENTRIES (61456)")
		doOK(t, r, `{"ID":19,"EntryRange":{"First":0,"Last":1}}`, 19)
	}
	r := newTestResult(t, Spec{Renderer: "text"})
	doErr(t, r, `{"ID":61458,"EntryRange":{"First":0,"Last":1}}`, "data explorer unavailable")
	tbl := newTestResult(t, Spec{Renderer: "table", Explore: explore})
	doErr(t, tbl, `{"ID":61458,"EntryRange":{"First":0,"Last":1}}`, "renderer table does not support REQ_EXPLORE_TS_RANGE (61458)")
	doErr(t, tbl, `{"ID":19,"EntryRange":{"First":0,"Last":1}}`, "renderer table does not support REQ_GET_RAW_ENTRIES (19)")
}

func TestOverLimit(t *testing.T) {
	in := genEntries(500)
	r := newTestResult(t, Spec{Limit: 20000})
	addAll(r, in, 50)
	r.Finish(nil)
	rep := doOK(t, r, `{"ID":3}`, 3)
	if !rep.OverLimit || rep.EntryCount != 500 || rep.EntryCountValid ||
		!strings.Contains(rep.Warning, "render_store_limit_mb: 20000 bytes") {
		t.Fatalf("over limit: %+v", rep)
	}
	stored := int(r.arena.count.Load())
	if stored == 0 || stored >= 500 {
		t.Fatalf("%d stored", stored)
	}
	// The dropped range covers exactly the entries that were not stored.
	if rep.LimitDroppedRange.StartTS.UnixNano() != in[499].TS || rep.LimitDroppedRange.EndTS.UnixNano() != in[stored].TS {
		t.Fatalf("LimitDroppedRange %v–%v, want %s–%s", rep.LimitDroppedRange.StartTS, rep.LimitDroppedRange.EndTS, rfc(in[499].TS), rfc(in[stored].TS))
	}
	rep = doOK(t, r, `{"ID":16,"EntryRange":{"First":0,"Last":10000}}`, 16)
	if es := entriesOf(t, rep); len(es) != stored || rep.AdditionalEntries || !rep.OverLimit {
		t.Fatalf("%d entries served, %d stored", len(es), stored)
	}
	info := doOK(t, r, `{"ID":4}`, 4).SearchInfo
	// The limit is the file's; the index is in RAM, under the memory budget.
	if info.StoreSize > 20000 || info.StoreSize < 19000 || info.ItemCount != int64(stored) {
		t.Fatalf("store %d + index %d over the limit, %d items", info.StoreSize, info.IndexSize, info.ItemCount)
	}
	// Metadata still covers every entry.
	var md struct{ TagStats map[string]uint }
	_ = jsonUnmarshal(*doOK(t, r, `{"ID":65537}`, 65537).Metadata, &md)
	if md.TagStats["syslog"]+md.TagStats["auth"] != 500 {
		t.Fatalf("TagStats %v", md.TagStats)
	}
	// A fresh result under its limit reports zero times.
	ok := newTestResult(t, Spec{})
	addAll(ok, in[:5], 5)
	rep = doOK(t, ok, `{"ID":3}`, 3)
	if rep.OverLimit || !rep.LimitDroppedRange.StartTS.IsZero() || !rep.LimitDroppedRange.EndTS.IsZero() || rep.Warning != "" {
		t.Fatalf("under limit: %+v", rep)
	}
}

func TestSearchTagsAndUnknownTags(t *testing.T) {
	r := newTestResult(t, Spec{TagNames: []string{"b", "a"}, TagIndex: map[uint16]uint16{5: 0, 3: 1},
		TagName: func(id uint16) string { return fmt.Sprint("t", id) }})
	rep := doOK(t, r, `{"ID":5}`, 5)
	if len(rep.Tags) != 2 || rep.Tags["b"] != 0 || rep.Tags["a"] != 1 {
		t.Fatalf("Tags %v", rep.Tags)
	}
	r.Add([]wire.Entry{{TS: tStart, Tag: 3, Data: []byte("x")}, {TS: tStart, Tag: 42, Data: []byte("y")}})
	rep = doOK(t, r, `{"ID":16,"EntryRange":{"First":0,"Last":2}}`, 16)
	es := entriesOf(t, rep)
	if rep.Tags["t42"] != 2 || es[1].Tag != 2 || es[0].Tag != 1 {
		t.Fatalf("unknown tag: %v %+v", rep.Tags, es)
	}
	// Without TagIndex entries carry search tag numbers already (embedders).
	e := newTestResult(t, Spec{TagNames: []string{"app"}, TagIndex: nil})
	e.Add([]wire.Entry{{TS: tStart, Tag: 0, Data: []byte("z")}})
	if es := entriesOf(t, doOK(t, e, `{"ID":16,"EntryRange":{"First":0,"Last":1}}`, 16)); es[0].Tag != 0 {
		t.Fatal("embedded tag")
	}
}

func TestSearchDetails(t *testing.T) {
	r := newTestResult(t, Spec{})
	started := time.Now().Add(-2 * time.Second).UTC()
	r.SetInfo(func(si *wire.SearchInfo) {
		si.ID, si.UID, si.UserQuery = "2290834411", 1, "tag=syslog"
		si.StartRange, si.EndRange, si.Started = time.Unix(0, tStart), time.Unix(0, tEnd), started
		si.Tags, si.RenderDownloadFormats = []string{"syslog"}, []string{"archive", "csv", "json", "text"}
	})
	addAll(r, genEntries(50), 50)
	r.Progress(tEnd - 50e9)
	rep := doOK(t, r, `{"ID":4,"Addendum":{"filterID":"x"}}`, 4)
	si := rep.SearchInfo
	if si == nil || si.ID != "2290834411" || si.ItemCount != 50 || si.StoreSize <= 0 || si.IndexSize != 50*itemSize ||
		si.LastUpdate.UnixNano() != tEnd-50e9 || rep.Finished || len(si.Tags) != 1 {
		t.Fatalf("details: %+v", si)
	}
	d, err := time.ParseDuration(si.Duration)
	if err != nil || d < 2*time.Second {
		t.Fatalf("running Duration %q", si.Duration)
	}
	r.Finish(fmt.Errorf("module grep failed"))
	rep = doOK(t, r, `{"ID":4}`, 4)
	d1, _ := time.ParseDuration(rep.SearchInfo.Duration)
	time.Sleep(5 * time.Millisecond)
	d2, _ := time.ParseDuration(doOK(t, r, `{"ID":4}`, 4).SearchInfo.Duration)
	if !rep.Finished || rep.SearchInfo.Error != "module grep failed" || d1 != d2 {
		t.Fatalf("finished: %+v (durations %v %v)", rep.SearchInfo, d1, d2)
	}
	// Entry requests keep answering after a failure.
	doOK(t, r, `{"ID":16,"EntryRange":{"First":0,"Last":3}}`, 16)
	// A zero SearchInfo still decodes, with Duration "0s".
	z := newTestResult(t, Spec{})
	if si := doOK(t, z, `{"ID":4}`, 4).SearchInfo; si.Duration != "0s" {
		t.Fatalf("zero info %+v", si)
	}
	g := newTestResult(t, Spec{Renderer: "gauge"})
	if si := doOK(t, g, `{"ID":4}`, 4).SearchInfo; !si.TimeZoomDisabled {
		t.Fatal("gauge zoom")
	}
}
