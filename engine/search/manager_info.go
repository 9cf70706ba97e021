package search

import (
	"errors"
	"fmt"
	"time"

	"github.com/sluicehq/sluice/engine/stats"
	"github.com/sluicehq/sluice/wire"
)

// fillInfo sets the launch-time fields of the search's SearchInfo (PROTOCOL.md §5.9).
func (s *Search) fillInfo(q *Query, req LaunchRequest, mods []ModuleInfo) {
	w := s.Ring.Width() / int64(time.Second)
	if w < 1 {
		w = 1
	}
	s.Result.SetInfo(func(si *wire.SearchInfo) {
		si.UID = req.UID
		si.GIDs = req.GIDs
		si.Global = req.Global
		si.UserQuery = req.Query
		si.EffectiveQuery = q.Effective()
		si.StartRange = s.RangeStart
		si.EndRange = s.RangeEnd
		si.Descending = true
		si.Started = s.Launched
		si.TimeZoomDisabled = q.TimeZoomDisabled()
		si.RenderDownloadFormats = q.render.Downloads
		si.Metadata = append([]byte(nil), req.Metadata...)
		si.Name = req.Name
		si.CollapsingIndex = q.CollapsingIndex
		si.NoHistory = req.NoHistory
		si.Background = req.Background
		si.MinZoomWindow = uint64(w)
		si.Tags = s.Tags
		si.Preview = req.Preview
		si.LaunchInfo = wire.LaunchInfo{Method: req.LaunchMethod, Reference: req.LaunchReference, Started: s.Launched}
	})
}

// EmbedSpec describes a search whose entries and statistics an embedder supplies itself
// instead of running a query over the store.
type EmbedSpec struct {
	// Query is shown to clients as the search's query; it must parse (e.g. "tag=app table").
	// Its renderer decides the shape of the results.
	Query string
	// Tags names the search's tags; entries pushed use the index into Tags as their Tag.
	Tags       []string
	Start, End time.Time
	// Modules lists the pipeline modules whose statistics the embedder records, in order.
	Modules []ModuleInfo
	Name    string
	// UID, GIDs and Global say who may see the search (access.CanSee); the zero values make it
	// visible to admins only. Set Global to serve it to every principal.
	UID    int32
	GIDs   []int32
	Global bool
}

// Embed registers an embedded search. It is live at once, counts as a background search (it
// ends when the embedder deletes it), and is served on the search socket like any other: clients
// attach to it by its ID. The embedder pushes entries with Result.Add, records module statistics
// with Ring.Record, and calls Result.Finish when done.
func (m *Manager) Embed(spec EmbedSpec) (*Search, error) {
	q, err := Parse(spec.Query)
	if err != nil {
		return nil, err
	}
	if !spec.End.After(spec.Start) {
		return nil, fmt.Errorf("%w: end %s is not after start %s", ErrRange, spec.End, spec.Start)
	}
	if len(spec.Tags) == 0 {
		return nil, errors.New("search: an embedded search needs at least one tag")
	}
	mods := spec.Modules
	if len(mods) == 0 {
		mods = []ModuleInfo{{Name: "external", Args: "external"}}
	}
	ids := make([]uint16, len(spec.Tags))
	for i := range ids {
		ids[i] = uint16(i)
	}
	now := time.Now().UTC()
	s := &Search{Query: q, Tags: spec.Tags, tagIDs: ids, RangeStart: spec.Start.UTC(), RangeEnd: spec.End.UTC(),
		Launched: now, Background: true, Name: spec.Name, Embedded: true, m: m,
		UID: spec.UID, GIDs: spec.GIDs, Global: spec.Global,
		state: "running", acked: true}
	s.Ring = stats.NewRing(stats.RingConfig{Start: s.RangeStart.UnixNano(), End: s.RangeEnd.UnixNano(),
		Modules: len(mods), MaxBuckets: m.cfg.MaxBuckets, Memory: m.mem})
	if s.Result, err = m.newResult(s, q.Renderer, q.RendererArgs, spec.Tags, ids, mods); err != nil {
		s.release()
		return nil, limitErr(err)
	}
	s.fillInfo(q, LaunchRequest{Query: spec.Query, Background: true, Name: spec.Name, LaunchMethod: "script",
		UID: spec.UID, GIDs: spec.GIDs, Global: spec.Global}, mods)
	if err := m.register(s); err != nil {
		s.release()
		return nil, err
	}
	return s, nil
}
