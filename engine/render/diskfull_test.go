package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A render store whose writes fail (here a file opened read-only; a full disk fails the same
// way, with ENOSPC): the search goes OverLimit with a Warning saying so, OnLimit reports it once
// as "disk", every entry is still counted, and the ones that were not stored are in
// LimitDroppedRange.
func TestStoreWriteFails(t *testing.T) {
	ro := filepath.Join(t.TempDir(), "ro.render")
	if err := os.WriteFile(ro, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	old := createStore
	createStore = func(string) (*os.File, error) { return os.Open(ro) }
	defer func() { createStore = old }()
	var hits []string
	r := newTestResult(t, Spec{OnLimit: func(field string, limit int64, warning string) { hits = append(hits, field+": "+warning) }})
	in := genEntries(300)
	addAll(r, in, 100)
	r.Finish(nil)
	rep := doOK(t, r, `{"ID":3}`, 3)
	if !rep.OverLimit || rep.EntryCount != 300 || !strings.Contains(rep.Warning, "render store: cannot write") {
		t.Fatalf("after a full disk: %+v", rep)
	}
	if len(hits) != 1 || !strings.HasPrefix(hits[0], "disk: ") {
		t.Fatalf("OnLimit calls %q, want one for disk", hits)
	}
	lo, hi := in[299].TS, in[0].TS
	if rep.LimitDroppedRange.StartTS.UnixNano() != lo || rep.LimitDroppedRange.EndTS.UnixNano() != hi {
		t.Fatalf("LimitDroppedRange %v–%v, want every entry", rep.LimitDroppedRange.StartTS, rep.LimitDroppedRange.EndTS)
	}
	if es := entriesOf(t, doOK(t, r, `{"ID":16,"EntryRange":{"First":0,"Last":1000}}`, 16)); len(es) != 0 {
		t.Fatalf("%d entries served from a store that could not write", len(es))
	}
}

// An anonymous store has no name in its directory from the start, and still serves its
// results.
func TestAnonymousStore(t *testing.T) {
	dir := t.TempDir()
	r := newTestResult(t, Spec{Dir: dir, Anonymous: true})
	addAll(r, genEntries(500), 100)
	r.Finish(nil)
	if names, _ := os.ReadDir(dir); len(names) != 0 {
		t.Fatalf("%d names in the directory of an anonymous store", len(names))
	}
	if es := entriesOf(t, doOK(t, r, `{"ID":16,"EntryRange":{"First":0,"Last":1000}}`, 16)); len(es) != 500 {
		t.Fatalf("%d entries served", len(es))
	}
}
