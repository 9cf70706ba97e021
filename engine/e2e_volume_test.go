package engine_test

import (
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine/render"
)

// rendererArgCases are renderer invocations, good and bad, for every renderer in the registry.
func rendererArgCases() []string {
	var qs []string
	for _, rd := range render.All() {
		for _, args := range []string{"", " foo", " -x", " -nt", " a a", " a by", " a by k", " by k",
			" min=1 max=9", " min=abc", " x=1", ` ""`} {
			qs = append(qs, "tag=app "+rd.Name+args)
		}
	}
	return qs
}

// TestParseAndLaunchAgreeOnRenderers sends every renderer invocation of rendererArgCases to
// the parse channel and launches it, over a real socket: a query the parser calls good must
// launch, and one it refuses must be refused at launch with the same message.
func TestParseAndLaunchAgreeOnRenderers(t *testing.T) {
	ts := startServer(t, nil)
	ingestN(t, ts, "app", 10)
	c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")
	bad := 0
	for i, q := range rendererArgCases() {
		c.send("parse", map[string]any{"SearchString": q, "Sequence": i})
		var p struct {
			Sequence   int
			GoodQuery  bool
			ParseError string
		}
		c.recv("parse", &p)
		if p.Sequence != i {
			t.Fatalf("%q: parse reply for sequence %d", q, p.Sequence)
		}
		c.send("search", map[string]any{"SearchString": q, "SearchStart": base.Format(time.RFC3339Nano),
			"SearchEnd": base.Add(time.Hour).Format(time.RFC3339Nano)})
		var l launchResp
		c.recv("search", &l)
		switch {
		case p.GoodQuery && l.Error != "":
			t.Errorf("%q: parse says good, launch refused: %s", q, l.Error)
		case !p.GoodQuery && l.Error == "":
			t.Errorf("%q: parse refused (%s), launch accepted", q, p.ParseError)
		case !p.GoodQuery && l.Error != p.ParseError:
			t.Errorf("%q: parse error %q, launch error %q", q, p.ParseError, l.Error)
		}
		if !p.GoodQuery {
			bad++
			continue
		}
		// Decline the launch so the search goes away.
		c.send("search", map[string]any{"OK": false, "OutputSearchSubproto": l.OutputSearchSubproto})
	}
	// The three examples must be among the refusals.
	for _, q := range []string{"tag=app chart", "tag=app table -x", "tag=app text foo"} {
		c.send("parse", map[string]any{"SearchString": q, "Sequence": 1})
		var p struct {
			GoodQuery  bool
			ParseError string
		}
		c.recv("parse", &p)
		if p.GoodQuery || p.ParseError == "" {
			t.Errorf("%q parses as good", q)
		}
	}
	if bad == 0 {
		t.Fatal("no renderer case was refused")
	}
}
