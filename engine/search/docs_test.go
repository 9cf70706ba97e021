package search

import (
	"slices"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/engine/render"
)

// TestDocs checks that the help text cannot drift from the parser: every module of the module
// table and every renderer has a Doc, every Doc names an existing module or renderer, and every
// example parses and uses what it documents.
func TestDocs(t *testing.T) {
	mods := ModuleDocs()
	if len(mods) != len(modules) {
		t.Fatalf("ModuleDocs has %d entries, the module table %d", len(mods), len(modules))
	}
	if got, want := len(RendererDocs()), len(render.All()); got != want {
		t.Fatalf("RendererDocs has %d entries, the renderer registry %d", got, want)
	}
	for _, d := range append(mods, RendererDocs()...) {
		if d.Summary == "" || d.Example == "" || !slices.Contains(docKinds, d.Kind) {
			t.Errorf("%s: incomplete doc %+v", d.Name, d)
			continue
		}
		q, err := Parse(d.Example)
		if err != nil {
			t.Errorf("%s: example %q does not parse: %v", d.Name, d.Example, err)
			continue
		}
		used := q.Renderer == d.Name && q.rendererExplicit
		for _, m := range q.Modules {
			used = used || (m.Name == d.Name && !m.Implicit)
		}
		if !used {
			t.Errorf("%s: example %q does not use it", d.Name, d.Example)
		}
		for _, f := range d.Flags {
			if !strings.Contains(d.Usage, f) {
				t.Errorf("%s: usage %q does not mention flag %s", d.Name, d.Usage, f)
			}
		}
		if _, ok := LookupDoc(d.Name); !ok {
			t.Errorf("LookupDoc(%q) failed", d.Name)
		}
	}
	if _, ok := LookupDoc("nosuchmodule"); ok {
		t.Error("LookupDoc found nosuchmodule")
	}
}
