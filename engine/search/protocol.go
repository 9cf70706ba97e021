package search

import (
	"errors"

	"github.com/sluicehq/sluice/wire"
)

// This file is the protocol core shared by the two transports: the search socket (its parse and
// search channels, PROTOCOL.md §3.3–§3.4) and the REST routes (POST /api/parse,
// POST /api/searchctrl/launch) call the same functions, so a query parses, launches and is
// described the same way whichever way it arrived.

// ParseReply answers a parse request (PROTOCOL.md §3.3): the filters applied, the query parsed
// (with the manager's query limits, as a launch would), and either the parsed query's
// description or the parse error with its module index.
func (m *Manager) ParseReply(req *wire.ParseSearchRequest) wire.ParseSearchResponse {
	resp := wire.ParseSearchResponse{Sequence: req.Sequence, RawQuery: req.SearchString}
	text := req.SearchString
	var err error
	if len(req.Filters) > 0 {
		text, err = ApplyFilters(text, FiltersOf(req.Filters))
	}
	if err == nil {
		var q *Query
		if q, err = m.Parse(text); err == nil {
			resp.GoodQuery = true
			resp.ParsedQuery = q.Effective()
			resp.CollapsingIndex = q.CollapsingIndex
			resp.RenderModule = q.Renderer
			resp.TimeZoomDisabled = q.TimeZoomDisabled()
			resp.Tags = q.TagPatterns
			resp.ModuleHints = q.Hints()
		}
	}
	if err != nil {
		resp.ParseError = err.Error()
		var pe *ParseError
		if errors.As(err, &pe) {
			resp.ModuleIndex = pe.ModuleIndex
		}
	}
	return resp
}

// LaunchWire launches the search a decoded launch request describes (PROTOCOL.md §3.4), owned
// by uid; client identifies the launching connection for MaxSearchesPerClient (0: none) and
// owner the principal (or address) for MaxSearchesPerPrincipal (access.LimitKey). The search
// still needs Start (the socket's acknowledgement, or at once over REST).
func (m *Manager) LaunchWire(req *wire.StartSearchRequest, uid int32, client uint64, owner string) (*Search, error) {
	return m.Launch(LaunchRequest{
		Query: req.SearchString, Start: req.SearchStart, End: req.SearchEnd, Filters: FiltersOf(req.Filters),
		Background: req.Background, NoHistory: req.NoHistory, Preview: req.Preview, NonTemporal: req.NonTemporal,
		Name: req.Name, Metadata: req.Metadata, GIDs: req.GIDs, Global: req.Global, UID: uid,
		Client: client, Owner: owner, FullResolutionStats: req.FullResolutionStats,
		LaunchMethod: req.LaunchInfo.Method, LaunchReference: req.LaunchInfo.Reference,
	})
}

// StartReply is the launch reply for s, launched from req, whose output channel is subproto
// (empty over REST, where there is no channel).
func (s *Search) StartReply(req *wire.StartSearchRequest, subproto string) wire.StartSearchResponse {
	q := s.Query
	li := s.LaunchInfo()
	return wire.StartSearchResponse{
		RawQuery: req.SearchString, SearchString: q.Effective(), RenderModule: q.Renderer,
		RenderCmd: q.RenderCmd, OutputSearchSubproto: subproto, SearchID: s.ID,
		SearchStartRange: s.RangeStart, SearchEndRange: s.RangeEnd, Background: s.IsBackground(),
		NonTemporal: req.NonTemporal, CollapsingIndex: q.CollapsingIndex, Metadata: req.Metadata,
		Addendum: req.Addendum, LaunchInfo: li,
		TimeZoomDisabled: q.TimeZoomDisabled(), Tags: s.Tags, ModuleHints: q.Hints(),
		GIDs: req.GIDs, Global: req.Global,
	}
}

// FiltersOf converts the wire form of launch and parse filters.
func FiltersOf(fs []wire.FilterRequest) []Filter {
	out := make([]Filter, len(fs))
	for i, f := range fs {
		out[i] = Filter{Tag: f.Tag, Module: f.Module, Args: f.Args, Path: f.Path, Name: f.Name, Op: f.Op, Value: f.Value}
	}
	return out
}
