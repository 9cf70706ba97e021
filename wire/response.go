package wire

import "strconv"

// BaseResponse holds the fields every render-module response carries (PROTOCOL.md §4.3).
// A response is written in three steps so that renderer-specific fields fit in between:
// AppendResponseHead, then fields such as "Tags", "Stats" or "SearchInfo", then
// AppendResponseStatus, then "Entries" and the closing brace. AppendBaseResponse does all
// three for responses without extra fields.
type BaseResponse struct {
	ID                uint32
	Error             string // written only when non-empty; set only with ID RespError (§4.4)
	Finished          bool
	EntryCount        uint64
	EntryCountValid   bool
	AdditionalEntries bool
	OverLimit         bool
	// DroppedStart and DroppedEnd are the LimitDroppedRange in Unix nanoseconds, written only
	// when OverLimit is true; otherwise both times are the zero time (§5.12).
	DroppedStart, DroppedEnd int64
	Warning                  string
	Addendum                 []byte      // raw JSON echoed verbatim when non-empty
	EntryRange               *EntryRange // written when non-nil
}

// AppendResponseHead appends `{"ID":…` followed by Error, Addendum and EntryRange when present.
// The object is left open and without a trailing comma.
func AppendResponseHead(dst []byte, r *BaseResponse) []byte {
	dst = append(dst, `{"ID":`...)
	dst = strconv.AppendUint(dst, uint64(r.ID), 10)
	if r.Error != "" {
		dst = append(dst, `,"Error":`...)
		dst = AppendString(dst, r.Error)
	}
	if len(r.Addendum) > 0 {
		dst = append(dst, `,"Addendum":`...)
		dst = append(dst, r.Addendum...)
	}
	if r.EntryRange != nil {
		dst = append(dst, `,"EntryRange":`...)
		dst = AppendEntryRange(dst, r.EntryRange)
	}
	return dst
}

// AppendResponseStatus appends the always-present fields `,"Finished":…` through
// `"Warning":…` (PROTOCOL.md §4.3).
func AppendResponseStatus(dst []byte, r *BaseResponse) []byte {
	dst = append(dst, `,"Finished":`...)
	dst = AppendBool(dst, r.Finished)
	dst = append(dst, `,"EntryCount":`...)
	dst = strconv.AppendUint(dst, r.EntryCount, 10)
	dst = append(dst, `,"EntryCountValid":`...)
	dst = AppendBool(dst, r.EntryCountValid)
	dst = append(dst, `,"AdditionalEntries":`...)
	dst = AppendBool(dst, r.AdditionalEntries)
	dst = append(dst, `,"OverLimit":`...)
	dst = AppendBool(dst, r.OverLimit)
	dst = append(dst, `,"LimitDroppedRange":{"StartTS":`...)
	if r.OverLimit {
		dst = AppendUnixNano(dst, r.DroppedStart)
		dst = append(dst, `,"EndTS":`...)
		dst = AppendUnixNano(dst, r.DroppedEnd)
	} else {
		dst = append(dst, ZeroTimeJSON...)
		dst = append(dst, `,"EndTS":`...)
		dst = append(dst, ZeroTimeJSON...)
	}
	dst = append(dst, `},"Warning":`...)
	return AppendString(dst, r.Warning)
}

// AppendBaseResponse appends r as a complete response object without renderer fields.
func AppendBaseResponse(dst []byte, r *BaseResponse) []byte {
	dst = AppendResponseHead(dst, r)
	dst = AppendResponseStatus(dst, r)
	return append(dst, '}')
}

// AppendErrorResponse appends a RESP_ERROR response (PROTOCOL.md §4.4): r with ID RespError,
// Error msg and no EntryRange. r itself is not modified.
func AppendErrorResponse(dst []byte, r *BaseResponse, msg string) []byte {
	e := *r
	e.ID = RespError
	e.Error = msg
	e.EntryRange = nil
	return AppendBaseResponse(dst, &e)
}

// AppendEntryRange appends an EntryRange object {"StartTS":…,"EndTS":…,"First":…,"Last":…};
// unset times are written as the zero time.
func AppendEntryRange(dst []byte, er *EntryRange) []byte {
	dst = append(dst, `{"StartTS":`...)
	dst = AppendTimestamp(dst, er.StartTS, er.HasStartTS)
	dst = append(dst, `,"EndTS":`...)
	dst = AppendTimestamp(dst, er.EndTS, er.HasEndTS)
	dst = append(dst, `,"First":`...)
	dst = strconv.AppendUint(dst, er.First, 10)
	dst = append(dst, `,"Last":`...)
	dst = strconv.AppendUint(dst, er.Last, 10)
	return append(dst, '}')
}

// AppendTimestamp appends the quoted Timestamp of Unix nanoseconds ns, or the zero time
// "0001-01-01T00:00:00Z" when set is false.
func AppendTimestamp(dst []byte, ns int64, set bool) []byte {
	if !set {
		return append(dst, ZeroTimeJSON...)
	}
	return AppendUnixNano(dst, ns)
}

// AppendTags appends the Tags map {"name":number,…} where names[i] has number i
// (PROTOCOL.md §4.5.4).
func AppendTags(dst []byte, names []string) []byte {
	dst = append(dst, '{')
	for i, n := range names {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendString(dst, n)
		dst = append(dst, ':')
		dst = strconv.AppendUint(dst, uint64(i), 10)
	}
	return append(dst, '}')
}
