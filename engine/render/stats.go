package render

import (
	"strconv"
	"sync"

	"github.com/sluicehq/sluice/engine/stats"
	"github.com/sluicehq/sluice/wire"
)

// statsScratch is the per-request working memory of stats replies, pooled so that a reply
// allocates nothing in steady state.
type statsScratch struct {
	agg  stats.Aggregate
	sets []wire.StatSet
	ov   []wire.OverviewPoint
}

var statsPool = sync.Pool{New: func() any { return new(statsScratch) }}

// stats answers the stats requests (PROTOCOL.md §4.5.9–§4.5.17, §5.11).
func (r *Result) stats(dst []byte, req *wire.Request, b *wire.BaseResponse) []byte {
	id := req.ID
	ring := r.spec.Ring
	rs, re, known := r.searchRange()
	if ring != nil {
		rs, re = ring.Range()
		known = true
	}
	resp := wire.StatsResponse{Modules: r.spec.Modules, RangeStart: rs, RangeEnd: re}
	if ring != nil {
		resp.Size = ring.Size()
	}
	cur := r.current.Load()
	if !r.hasCur.Load() || r.finished.Load() {
		// Not started yet: at the range end (descending) or start (ascending); finished: the
		// other end.
		desc := r.descending()
		if r.finished.Load() == desc {
			cur = rs
		} else {
			cur = re
		}
	}

	var n int
	var start, end int64
	switch id {
	case wire.ReqStatsSize:
		return r.statsReply(dst, b, &resp)
	case wire.ReqStatsRange:
		resp.HasRange = known
		return r.statsReply(dst, b, &resp)
	case wire.ReqStatsGetLocation:
		resp.HasRange, resp.HasCurrent, resp.Current = known, known, cur
		return r.statsReply(dst, b, &resp)
	case wire.ReqStatsGet:
		n, start, end = int(min(req.Stats.SetCount, int64(r.spec.MaxSetCount))), rs, re
		if req.Stats.SetCount < 1 {
			n = min(resp.Size, r.spec.MaxSetCount) // Choice: one set per base bucket held
		}
	case wire.ReqStatsGetSummary:
		n, start, end = 1, rs, re
	case wire.ReqStatsGetRange, wire.ReqStatsGetOverview:
		st := &req.Stats
		if id == wire.ReqStatsGetOverview && !st.HasSetStart && !st.HasSetEnd {
			n, start, end = int(min(st.SetCount, int64(r.spec.MaxSetCount))), rs, re
			if st.SetCount < 1 {
				n = min(resp.Size, r.spec.MaxSetCount)
			}
			break
		}
		switch {
		case !req.HasStats:
			return wire.AppendErrorResponse(dst, b, "Stats is required for "+reqName(id))
		case !st.HasSetStart:
			return wire.AppendErrorResponse(dst, b, "Stats.SetStart is required for "+reqName(id))
		case !st.HasSetEnd:
			return wire.AppendErrorResponse(dst, b, "Stats.SetEnd is required for "+reqName(id))
		case st.SetEnd <= st.SetStart:
			return wire.AppendErrorResponse(dst, b, "Stats: SetEnd ("+fmtTS(st.SetEnd)+
				") is not after SetStart ("+fmtTS(st.SetStart)+")")
		case st.SetCount < 1:
			return wire.AppendErrorResponse(dst, b, "Stats.SetCount must be at least 1 for "+reqName(id)+
				", got "+strconv.FormatInt(st.SetCount, 10))
		}
		n, start, end = int(min(st.SetCount, int64(r.spec.MaxSetCount))), st.SetStart, st.SetEnd
	}
	resp.HasRange, resp.HasCurrent, resp.Current = known, known, cur

	sc := statsPool.Get().(*statsScratch)
	defer statsPool.Put(sc)
	sc.sets, sc.ov = sc.sets[:0], sc.ov[:0]
	if n > 0 && (known || id == wire.ReqStatsGetRange || req.Stats.HasSetStart) {
		ranged := id == wire.ReqStatsGetRange || (id == wire.ReqStatsGetOverview && req.Stats.HasSetStart)
		r.chunks(sc, ring, n, start, end, ranged, rs, re)
	}
	if id == wire.ReqStatsGetOverview {
		last := len(r.spec.Modules) - 1
		if ring != nil {
			last = ring.Modules() - 1
		}
		for i := range sc.sets {
			s := &sc.sets[i]
			p := wire.OverviewPoint{TS: s.TS}
			if len(s.Stats) > 0 && last >= 0 && last < len(s.Stats) {
				p.Count, p.Bytes = s.Stats[last].OutputCount, s.Stats[last].OutputBytes
			}
			sc.ov = append(sc.ov, p)
		}
		resp.Overview, resp.HasOverview = sc.ov, true
	} else {
		resp.Set = sc.sets
	}
	return r.statsReply(dst, b, &resp)
}

// chunks fills sc.sets with n chunks over [start, end] (§5.11). For range requests only the
// chunks that overlap the search range [rs, re] are kept.
func (r *Result) chunks(sc *statsScratch, ring *stats.Ring, n int, start, end int64, ranged bool, rs, re int64) {
	if ring == nil {
		// No statistics: every chunk is empty.
		c := max((end-start)/int64(n), 1)
		for i := 0; i < n; i++ {
			ts := start + int64(i)*c
			if !ranged || overlaps(ts, ts+c, i == n-1, end, rs, re) {
				sc.sets = append(sc.sets, wire.StatSet{TS: ts})
			}
		}
		return
	}
	ring.Aggregate(start, end, n, &sc.agg)
	a := &sc.agg
	c := max((end-start)/int64(n), 1)
	for i := 0; i < a.N; i++ {
		ts := a.TS[i]
		if ranged && !overlaps(ts, ts+c, i == a.N-1, end, rs, re) {
			continue
		}
		s := wire.StatSet{TS: ts}
		if a.Has[i] {
			s.Stats = a.Row(i)
		}
		sc.sets = append(sc.sets, s)
	}
}

// overlaps reports whether chunk [ts, te) (the last one reaching end, inclusive) overlaps the
// search range [rs, re].
func overlaps(ts, te int64, last bool, end, rs, re int64) bool {
	if last {
		te = end + 1
	}
	return ts <= re && te > rs
}

func (r *Result) statsReply(dst []byte, b *wire.BaseResponse, s *wire.StatsResponse) []byte {
	dst = wire.AppendResponseHead(dst, b)
	dst = append(dst, `,"Stats":`...)
	dst = wire.AppendStatsResponse(dst, s)
	dst = wire.AppendResponseStatus(dst, b)
	return append(dst, '}')
}

// descending reports the search direction from SearchInfo (true unless the search said
// otherwise) and, failing that, from the stored order.
func (r *Result) descending() bool {
	r.mu.RLock()
	d := r.info.Descending
	r.mu.RUnlock()
	return d
}
