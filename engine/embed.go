package engine

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sluicehq/sluice/engine/render"
	"github.com/sluicehq/sluice/engine/search"
	"github.com/sluicehq/sluice/wire"
)

// Entry is one result an embedder pushes: TS in Unix nanoseconds, Tag the index of its tag in
// EmbedOptions.Tags, the entry's Data, and optionally its source address and enumerated values.
type Entry = wire.Entry

// Counters are one pipeline module's statistics for a batch of entries (PROTOCOL.md §5.11).
type Counters = wire.Counters

// EmbedOptions describes a search whose results a Go program supplies from its own pipeline.
type EmbedOptions struct {
	// Name is shown to clients as the search's name.
	Name string
	// Renderer names the renderer from the registry ("text" when empty; see Renderers);
	// RendererArgs are its arguments, checked as a query's would be.
	Renderer     string
	RendererArgs []string
	// Tags names the search's tags; an Entry's Tag is an index into it. At least one.
	Tags []string
	// Start and End are the search range: statistics are bucketed over it.
	Start, End time.Time
	// Modules names the pipeline modules whose statistics Record takes, in pipeline order;
	// none means one module called "external".
	Modules []EmbedModule
	// Global serves the search to every principal; otherwise only admins see it when the
	// engine has principals (loopback mode without principals serves everything).
	Global bool
}

// EmbedModule names one of the embedder's pipeline modules for the statistics.
type EmbedModule struct {
	Name, Args string
}

// RendererInfo describes one renderer clients and embedders can choose (see Renderers).
type RendererInfo struct {
	Name       string
	Condensing bool
	Synopsis   string // argument grammar, e.g. "table [-nt] [column ...]"
	Help       string
}

// Renderers lists every renderer, in the order of PROTOCOL.md §5.1.
func Renderers() []RendererInfo {
	var out []RendererInfo
	for _, rd := range render.All() {
		out = append(out, RendererInfo{Name: rd.Name, Condensing: rd.Condensing, Synopsis: rd.Synopsis, Help: rd.Help})
	}
	return out
}

// Embedded is a search fed by an embedder: push its results, record its module statistics,
// finish it. Clients attach to it by ID on the search socket and every render request works on
// it as on sluice's own searches. It lives inside the engine's memory and render-disk budgets:
// a push past them is counted but not stored and clients see OverLimit with a Warning naming
// the limit. Push, Record and Finish are safe for concurrent use.
type Embedded struct {
	s       *search.Search
	e       *Engine
	modules int
	tags    int
}

// ErrEmbeddedDeleted is returned by Push once the search has been deleted.
var ErrEmbeddedDeleted = errors.New("engine: the embedded search has been deleted")

// EmbedSearch registers a search whose results the caller supplies. The search is live at once
// and stays until Delete (or a client deletes it).
func (e *Engine) EmbedSearch(o EmbedOptions) (*Embedded, error) {
	if o.Renderer == "" {
		o.Renderer = "text"
	}
	rd, ok := render.Lookup(o.Renderer)
	if !ok {
		return nil, fmt.Errorf("engine: unknown renderer %q (supported: %s)", o.Renderer, strings.Join(render.Names(), ", "))
	}
	if err := rd.Parse(o.RendererArgs); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	if len(o.Tags) == 0 {
		return nil, errors.New("engine: an embedded search needs at least one tag")
	}
	for _, t := range o.Tags {
		if t == "" || strings.ContainsAny(t, " |,\"") {
			return nil, fmt.Errorf("engine: invalid tag name %q", t)
		}
	}
	q := "tag=" + strings.Join(o.Tags, ",") + " " + rd.Name
	for _, a := range o.RendererArgs {
		q += " " + quoteArg(a)
	}
	mods := make([]search.ModuleInfo, len(o.Modules))
	for i, m := range o.Modules {
		mods[i] = search.ModuleInfo{Name: m.Name, Args: m.Args}
	}
	s, err := e.manager.Embed(search.EmbedSpec{Query: q, Tags: o.Tags, Start: o.Start, End: o.End, Modules: mods, Name: o.Name,
		Global: o.Global})
	if err != nil {
		return nil, err
	}
	return &Embedded{s: s, e: e, modules: max(len(mods), 1), tags: len(o.Tags)}, nil
}

// quoteArg quotes a renderer argument that would not survive the query lexer as one word.
func quoteArg(a string) string {
	if a != "" && !strings.ContainsAny(a, " \t|\"'\\") {
		return a
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(a) + `"`
}

// ID returns the search ID clients attach to.
func (x *Embedded) ID() string { return x.s.ID }

// Push adds a batch of results, in the order clients should see them (newest first, as
// sluice's own searches are). Entries are encoded at once; the batch may be reused when Push
// returns. An entry whose Tag is not an index into EmbedOptions.Tags is refused with the batch.
func (x *Embedded) Push(batch []Entry) error {
	for i := range batch {
		if int(batch[i].Tag) >= x.tags {
			return fmt.Errorf("engine: entry %d: Tag %d is not an index into the %d tags", i, batch[i].Tag, x.tags)
		}
	}
	if x.s.Deleted() {
		return ErrEmbeddedDeleted
	}
	x.s.Result.Add(batch)
	if len(batch) > 0 {
		x.s.Result.Progress(batch[len(batch)-1].TS)
	}
	return nil
}

// Record adds module's statistics at time ts (module is an index into EmbedOptions.Modules).
// shard is the caller's writer number: give each goroutine that records its own.
func (x *Embedded) Record(shard, module int, ts int64, c *Counters) error {
	if module < 0 || module >= x.modules {
		return fmt.Errorf("engine: module %d is not an index into the %d modules", module, x.modules)
	}
	x.s.Ring.Record(shard, module, ts, c)
	return nil
}

// Finish marks the search complete; err, when not nil, is reported to clients as the search's
// error. Streams send their terminator.
func (x *Embedded) Finish(err error) { x.s.Result.Finish(err) }

// OverLimit reports whether a limit stopped the search storing results (they are still
// counted, and clients see the dropped range).
func (x *Embedded) OverLimit() bool { return x.s.Result.OverLimit() }

// Delete ends the search and frees its render store; clients still attached get "search has
// been deleted" on their next request.
func (x *Embedded) Delete() error { return x.e.manager.Delete(x.s.ID) }

// Embed registers a search whose results the caller supplies, returning the search itself
// (its render store and stats ring included). Prefer EmbedSearch, whose handle hides them.
func (e *Engine) Embed(spec search.EmbedSpec) (*search.Search, error) {
	return e.manager.Embed(spec)
}

// DeleteSearch ends a search and frees its render store; clients still attached get
// "search has been deleted" on their next request.
func (e *Engine) DeleteSearch(id string) error { return e.manager.Delete(id) }
