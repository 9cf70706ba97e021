package engine

import "github.com/sluicehq/sluice/engine/search"

// Embed registers a search whose results the caller supplies: a Go program that runs its own
// pipeline uses sluice as its render backend this way. The returned search is live at once and
// served on the search socket like any other: clients attach to it by its ID and every render
// request works. Push entries (Tag = index into spec.Tags) with s.Result.Add, record module
// statistics with s.Ring.Record (module = index into spec.Modules), call s.Result.Finish when
// done, and DeleteSearch when it should go away.
func (e *Engine) Embed(spec search.EmbedSpec) (*search.Search, error) {
	return e.manager.Embed(spec)
}

// DeleteSearch ends a search and frees its render store; clients still attached get
// "search has been deleted" on their next request.
func (e *Engine) DeleteSearch(id string) error { return e.manager.Delete(id) }
