package render

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"sync"

	"github.com/sluicehq/sluice/wire"
)

// entries answers REQ_GET_ENTRIES, REQ_GET_RAW_ENTRIES, REQ_TS_RANGE and the explorer requests
// (PROTOCOL.md §4.5.5–§4.5.8).
func (r *Result) entries(dst []byte, req *wire.Request, base *wire.BaseResponse) []byte {
	// NOTE: b is a local copy so that &echo below stays on the stack.
	b := *base
	start := len(dst)
	id := req.ID
	explore := id == wire.ReqGetExploreEntries || id == wire.ReqExploreTSRange
	window := id == wire.ReqTSRange || id == wire.ReqExploreTSRange
	switch {
	case id == wire.ReqGetRawEntries && r.kind != kindEntries,
		explore && r.spec.Renderer != "raw" && r.spec.Renderer != "text":
		return wire.AppendErrorResponse(dst, &b, "renderer "+r.spec.Renderer+" does not support "+reqName(id))
	case explore && r.spec.Explore == nil:
		return wire.AppendErrorResponse(dst, &b, "data explorer unavailable")
	case !req.HasEntryRange:
		return wire.AppendErrorResponse(dst, &b, "EntryRange is required for "+reqName(id))
	}
	er := req.EntryRange
	if er.Last < er.First {
		return wire.AppendErrorResponse(dst, &b, "EntryRange: Last ("+strconv.FormatUint(er.Last, 10)+
			") is before First ("+strconv.FormatUint(er.First, 10)+")")
	}
	if !window {
		er.HasStartTS, er.HasEndTS = false, false
	} else if er.HasStartTS && er.HasEndTS && er.EndTS < er.StartTS {
		return wire.AppendErrorResponse(dst, &b, "EntryRange: EndTS ("+fmtTS(er.EndTS)+
			") is before StartTS ("+fmtTS(er.StartTS)+")")
	}
	if er.Last-er.First > uint64(r.spec.MaxPage) {
		er.Last = er.First + uint64(r.spec.MaxPage)
	}
	// The echo: First/Last after clamping, the window actually used (the search range on the
	// unbounded sides).
	echo := er
	if s, e, ok := r.searchRange(); ok {
		if !echo.HasStartTS {
			echo.StartTS, echo.HasStartTS = s, true
		}
		if !echo.HasEndTS {
			echo.EndTS, echo.HasEndTS = e, true
		}
	}
	b.EntryRange = &echo
	switch r.kind {
	case kindChart, kindGauge:
		return r.condensedReply(dst, &b, &er, window)
	}

	v := r.arena.snapshot()
	var sel selection
	r.selectItems(&v, &er, window, &sel)
	defer sel.release()
	b.AdditionalEntries = sel.more
	dst = wire.AppendResponseHead(dst, &b)
	if r.kind == kindEntries {
		dst = append(dst, `,"Tags":`...)
		dst = append(dst, r.tags.Load().json...)
	}
	dst = wire.AppendResponseStatus(dst, &b)
	var rerr error
	if r.kind == kindTable {
		r.mu.RLock()
		cols := r.columns
		r.mu.RUnlock()
		dst = append(dst, `,"Entries":{"Columns":`...)
		dst = appendStringArray(dst, cols)
		dst = append(dst, `,"Rows":[`...)
		if dst, rerr = appendRows(dst, &v, &sel, len(cols)); rerr != nil {
			return r.readError(dst[:start], &b, rerr)
		}
		return append(dst, "]}}"...)
	}
	dst = append(dst, `,"Entries":[`...)
	sel.each(&v, func(from, to int64) {
		if rerr != nil {
			return
		}
		if from > sel.first() {
			dst = append(dst, ',')
		}
		dst, rerr = v.appendJoined(dst, from, to)
	})
	dst = append(dst, ']')
	if r.raw {
		bin := false
		sel.each(&v, func(from, to int64) {
			for i := from; i < to && !bin; i++ {
				bin = v.item(i).flags()&flagBinary != 0
			}
		})
		dst = append(dst, `,"ContainsBinaryEntries":`...)
		dst = wire.AppendBool(dst, bin)
	}
	if explore && rerr == nil {
		dst, rerr = r.appendExplore(dst, &v, &sel)
	}
	if rerr != nil {
		return r.readError(dst[:start], &b, rerr)
	}
	return append(dst, '}')
}

// readError answers a request whose results could not be read from the render store: the
// search was deleted meanwhile, or the file failed.
func (r *Result) readError(dst []byte, b *wire.BaseResponse, err error) []byte {
	if r.released.Load() {
		return wire.AppendErrorResponse(dst, b, "search has been deleted")
	}
	return wire.AppendErrorResponse(dst, b, "render store: "+err.Error())
}

// first returns the first selected index.
func (s *selection) first() int64 {
	if s.explicit {
		if len(s.pos) == 0 {
			return 0
		}
		return s.pos[0]
	}
	return s.lo
}

var dataPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// appendExplore appends `,"Explore":[…]`, one ExploreResult per selected entry (§5.8).
func (r *Result) appendExplore(dst []byte, v *view, sel *selection) ([]byte, error) {
	dst = append(dst, `,"Explore":[`...)
	bp, fp := dataPool.Get().(*[]byte), dataPool.Get().(*[]byte)
	data, frag := *bp, *fp
	n := 0
	var err error
	sel.each(v, func(from, to int64) {
		for i := from; i < to && err == nil; i++ {
			if n > 0 {
				dst = append(dst, ',')
			}
			n++
			if frag, err = v.appendFrag(frag[:0], i); err != nil {
				return
			}
			data = decodeData(data[:0], frag)
			dst = r.spec.Explore(dst, data, r.tagName(v.item(i).aux()))
		}
	})
	*bp, *fp = data[:0], frag[:0]
	dataPool.Put(bp)
	dataPool.Put(fp)
	return append(dst, ']'), err
}

var dataKey = []byte(`,"Data":`)

// decodeData appends the entry bytes of a SearchEntry fragment written by
// wire.AppendSearchEntry: its first ,"Data": key is the entry's (TS and SRC cannot contain it).
func decodeData(dst, frag []byte) []byte {
	i := bytes.Index(frag, dataKey)
	if i < 0 {
		return dst
	}
	rest := frag[i+len(dataKey):]
	if len(rest) == 0 || rest[0] != '"' {
		return dst // null
	}
	rest = rest[1:]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return dst
	}
	out, err := base64.StdEncoding.AppendDecode(dst, rest[:j])
	if err != nil {
		return dst
	}
	return out
}

// condensedReply answers an entry request on a chart or gauge.
func (r *Result) condensedReply(dst []byte, b *wire.BaseResponse, er *wire.EntryRange, window bool) []byte {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var a, z int
	if r.kind == kindChart {
		z = len(r.chart.order)
		if window && !r.noZoom {
			a, z = r.chart.window(er)
		}
	} else {
		z = len(r.gauge.seen)
	}
	size := int64(z - a)
	f, l := clampIdx(er.First, size), clampIdx(er.Last, size)
	l = max(f, l)
	b.AdditionalEntries = er.Last < uint64(size)
	dst = wire.AppendResponseHead(dst, b)
	dst = wire.AppendResponseStatus(dst, b)
	dst = append(dst, `,"Entries":`...)
	if r.kind == kindChart {
		dst = r.appendChart(dst, a+int(f), a+int(l))
	} else {
		dst = r.appendGauges(dst, int(f), int(l))
	}
	return append(dst, '}')
}

// appendStringArray appends a JSON array of strings, [] when empty.
func appendStringArray(dst []byte, s []string) []byte {
	dst = append(dst, '[')
	for i, v := range s {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = wire.AppendString(dst, v)
	}
	return append(dst, ']')
}
