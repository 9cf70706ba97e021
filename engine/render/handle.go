package render

import (
	"strconv"

	"github.com/sluicehq/sluice/wire"
)

// Handle answers one render-module request (PROTOCOL.md §4) by appending its response data
// object to dst: the reply of every request ID of §4.2 except REQ_STREAMING (see Stream), or
// RESP_ERROR naming what was wrong: a request that failed to decode (req.Err), an unknown,
// legacy or missing ID, a missing EntryRange, Last before First, a window ending before it
// starts, bad stats parameters, an operation the renderer does not support, or a deleted
// search. Every reply echoes the request's Addendum and answers at once with the current state
// (Finished: false while the search runs).
//
// REQ_CLOSE gets its reply (§4.5.1); removing the channel is the caller's job. Handle is safe
// for concurrent use and allocates nothing in steady state when dst has room.
func (r *Result) Handle(req *wire.Request, dst []byte) []byte {
	b := r.base(req)
	if req.Err != nil {
		return wire.AppendErrorResponse(dst, &b, req.Err.Error())
	}
	if !req.HasID {
		return wire.AppendErrorResponse(dst, &b, "ID: missing request ID")
	}
	if r.released.Load() && req.ID != wire.ReqClose {
		return wire.AppendErrorResponse(dst, &b, "search has been deleted")
	}
	switch id := req.ID; id {
	case wire.ReqClose:
		c := wire.BaseResponse{ID: wire.ReqClose, Addendum: req.Addendum}
		dst = wire.AppendResponseHead(dst, &c)
		dst = wire.AppendResponseStatus(dst, &c)
		return append(dst, `,"Entries":[]}`...)
	case wire.ReqEntryCount:
		return wire.AppendBaseResponse(dst, &b)
	case wire.ReqSearchDetails:
		dst = wire.AppendResponseHead(dst, &b)
		dst = append(dst, `,"SearchInfo":`...)
		r.mu.RLock()
		si := r.liveInfo()
		dst = wire.AppendSearchInfo(dst, &si)
		r.mu.RUnlock()
		dst = wire.AppendResponseStatus(dst, &b)
		return append(dst, '}')
	case wire.ReqSearchTags:
		dst = wire.AppendResponseHead(dst, &b)
		dst = append(dst, `,"Tags":`...)
		dst = append(dst, r.tags.Load().json...)
		dst = wire.AppendResponseStatus(dst, &b)
		return append(dst, '}')
	case wire.ReqSearchMetadata:
		dst = wire.AppendResponseHead(dst, &b)
		dst = append(dst, `,"Metadata":`...)
		r.mu.RLock()
		dst = r.meta.appendJSON(dst)
		r.mu.RUnlock()
		dst = wire.AppendResponseStatus(dst, &b)
		return append(dst, '}')
	case wire.ReqGetEntries, wire.ReqGetRawEntries, wire.ReqTSRange,
		wire.ReqGetExploreEntries, wire.ReqExploreTSRange:
		return r.entries(dst, req, &b)
	case wire.ReqStreaming:
		return wire.AppendErrorResponse(dst, &b, "REQ_STREAMING (17) cannot be answered with a single reply")
	case wire.ReqStatsSize, wire.ReqStatsRange, wire.ReqStatsGet, wire.ReqStatsGetRange,
		wire.ReqStatsGetSummary, wire.ReqStatsGetLocation, wire.ReqStatsGetOverview:
		return r.stats(dst, req, &b)
	case 0x01000002, 0x01000004, 0x02000002, 0x02000005:
		return wire.AppendErrorResponse(dst, &b, "request ID "+strconv.FormatUint(uint64(id), 10)+
			" is a legacy renderer-specific ID and is not supported")
	default:
		return wire.AppendErrorResponse(dst, &b, "unknown request ID "+strconv.FormatUint(uint64(id), 10))
	}
}

// base returns the BaseResponse fields of the current state for req.
func (r *Result) base(req *wire.Request) wire.BaseResponse {
	fin := r.finished.Load()
	b := wire.BaseResponse{
		ID:              req.ID,
		Finished:        fin,
		EntryCount:      r.count.Load(),
		EntryCountValid: r.kind == kindEntries,
		Addendum:        req.Addendum,
	}
	if r.over.Load() {
		// Choice: past the limit EntryCount is no longer the number of results that can be
		// fetched, so EntryCountValid is false (PROTOCOL.md §4.3, §5.12).
		b.EntryCountValid = false
		b.OverLimit = true
		b.DroppedStart, b.DroppedEnd = r.dropMin.Load(), r.dropMax.Load()
		if b.DroppedStart > b.DroppedEnd {
			b.DroppedStart, b.DroppedEnd = b.DroppedEnd, b.DroppedStart
		}
		if w := r.overWarning.Load(); w != nil {
			b.Warning = *w
		}
	}
	if w := r.warning.Load(); w != nil {
		if b.Warning != "" {
			b.Warning += "; " + *w
		} else {
			b.Warning = *w
		}
	}
	return b
}

// searchRange returns the search range to echo: Spec's, or the ring's.
func (r *Result) searchRange() (start, end int64, ok bool) {
	if r.spec.End > r.spec.Start {
		return r.spec.Start, r.spec.End, true
	}
	if r.spec.Ring != nil {
		s, e := r.spec.Ring.Range()
		return s, e, e > s
	}
	return 0, 0, false
}

func reqName(id uint32) string {
	switch id {
	case wire.ReqGetEntries:
		return "REQ_GET_ENTRIES (16)"
	case wire.ReqGetRawEntries:
		return "REQ_GET_RAW_ENTRIES (19)"
	case wire.ReqTSRange:
		return "REQ_TS_RANGE (18)"
	case wire.ReqGetExploreEntries:
		return "REQ_GET_EXPLORE_ENTRIES (61456)"
	case wire.ReqExploreTSRange:
		return "REQ_EXPLORE_TS_RANGE (61458)"
	case wire.ReqStatsGetRange:
		return "REQ_STATS_GET_RANGE (2130706436)"
	case wire.ReqStatsGetOverview:
		return "REQ_STATS_GET_OVERVIEW (2130706439)"
	}
	return strconv.FormatUint(uint64(id), 10)
}

func fmtTS(ns int64) string {
	return string(wire.AppendRFC3339(nil, ns/1e9-boolInt(ns%1e9 < 0), int32(((ns%1e9)+1e9)%1e9)))
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
