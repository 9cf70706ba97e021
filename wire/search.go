package wire

import (
	"strconv"
	"time"
)

// ModuleHint describes one pipeline module in parse and launch replies (PROTOCOL.md §3.3).
// Nil slices are written as null.
type ModuleHint struct {
	Name            string
	ProducedEVs     []string
	ConsumedEVs     []string
	ResourcesNeeded []string
	Condensing      bool
}

// ModuleInfo names one pipeline module for statistics (PROTOCOL.md §5.11 SearchModuleStats
// Name and Args), in pipeline order.
type ModuleInfo struct {
	Name string // e.g. "grep"
	Args string // the module invocation, e.g. "grep sshd"
}

// LaunchInfo is SearchLaunchInfo (PROTOCOL.md §5.9): how a search was launched. Its JSON keys
// are lowercase.
type LaunchInfo struct {
	Method    string // omitted when empty: manual, directquery, flow, script, scheduledSearch, dashboard
	Reference string // omitted when empty
	Started   time.Time
	Expires   time.Time // zero = never
}

// ImportInfo is SearchInfo.Import (PROTOCOL.md §5.9), for imported search archives.
type ImportInfo struct {
	Imported  bool
	Time      time.Time
	BatchName string
	BatchInfo string
}

// SearchInfo describes a search (PROTOCOL.md §5.9). Nil GIDs and Tags are written as null;
// Metadata is raw JSON written verbatim (omitted when empty).
type SearchInfo struct {
	ID                    string
	UID                   int32
	GID                   int32 // omitted when 0
	GIDs                  []int32
	Global                bool
	UserQuery             string
	EffectiveQuery        string
	StartRange            time.Time
	EndRange              time.Time
	Descending            bool
	Started               time.Time
	LastUpdate            time.Time
	Duration              time.Duration // written as a Go duration string
	StoreSize             int64
	IndexSize             int64
	ItemCount             int64
	TimeZoomDisabled      bool
	QueryTimeSpecified    bool
	RenderDownloadFormats []string // omitted when empty
	Metadata              []byte   // raw JSON; omitted when empty
	Name                  string   // omitted when empty
	CollapsingIndex       int
	NoHistory             bool
	Background            bool
	MinZoomWindow         uint64 // seconds
	Tags                  []string
	Import                ImportInfo
	Preview               bool
	Error                 string // omitted when empty
	LaunchInfo            LaunchInfo
}

// AppendSearchInfo appends si as a SearchInfo JSON object.
func AppendSearchInfo(dst []byte, si *SearchInfo) []byte {
	dst = append(dst, `{"ID":`...)
	dst = AppendString(dst, si.ID)
	dst = append(dst, `,"UID":`...)
	dst = strconv.AppendInt(dst, int64(si.UID), 10)
	if si.GID != 0 {
		dst = append(dst, `,"GID":`...)
		dst = strconv.AppendInt(dst, int64(si.GID), 10)
	}
	dst = append(dst, `,"GIDs":`...)
	dst = appendInt32s(dst, si.GIDs)
	dst = append(dst, `,"Global":`...)
	dst = AppendBool(dst, si.Global)
	dst = append(dst, `,"UserQuery":`...)
	dst = AppendString(dst, si.UserQuery)
	dst = append(dst, `,"EffectiveQuery":`...)
	dst = AppendString(dst, si.EffectiveQuery)
	dst = append(dst, `,"StartRange":`...)
	dst = AppendTime(dst, si.StartRange)
	dst = append(dst, `,"EndRange":`...)
	dst = AppendTime(dst, si.EndRange)
	dst = append(dst, `,"Descending":`...)
	dst = AppendBool(dst, si.Descending)
	dst = append(dst, `,"Started":`...)
	dst = AppendTime(dst, si.Started)
	dst = append(dst, `,"LastUpdate":`...)
	dst = AppendTime(dst, si.LastUpdate)
	dst = append(dst, `,"Duration":`...)
	dst = AppendDuration(dst, si.Duration)
	dst = append(dst, `,"StoreSize":`...)
	dst = strconv.AppendInt(dst, si.StoreSize, 10)
	dst = append(dst, `,"IndexSize":`...)
	dst = strconv.AppendInt(dst, si.IndexSize, 10)
	dst = append(dst, `,"ItemCount":`...)
	dst = strconv.AppendInt(dst, si.ItemCount, 10)
	dst = append(dst, `,"TimeZoomDisabled":`...)
	dst = AppendBool(dst, si.TimeZoomDisabled)
	dst = append(dst, `,"QueryTimeSpecified":`...)
	dst = AppendBool(dst, si.QueryTimeSpecified)
	if len(si.RenderDownloadFormats) > 0 {
		dst = append(dst, `,"RenderDownloadFormats":`...)
		dst = appendStrings(dst, si.RenderDownloadFormats)
	}
	if len(si.Metadata) > 0 {
		dst = append(dst, `,"Metadata":`...)
		dst = append(dst, si.Metadata...)
	}
	if si.Name != "" {
		dst = append(dst, `,"Name":`...)
		dst = AppendString(dst, si.Name)
	}
	dst = append(dst, `,"CollapsingIndex":`...)
	dst = strconv.AppendInt(dst, int64(si.CollapsingIndex), 10)
	dst = append(dst, `,"NoHistory":`...)
	dst = AppendBool(dst, si.NoHistory)
	dst = append(dst, `,"Background":`...)
	dst = AppendBool(dst, si.Background)
	dst = append(dst, `,"MinZoomWindow":`...)
	dst = strconv.AppendUint(dst, si.MinZoomWindow, 10)
	dst = append(dst, `,"Tags":`...)
	dst = appendStrings(dst, si.Tags)
	dst = append(dst, `,"Import":{"Imported":`...)
	dst = AppendBool(dst, si.Import.Imported)
	dst = append(dst, `,"Time":`...)
	dst = AppendTime(dst, si.Import.Time)
	dst = append(dst, `,"BatchName":`...)
	dst = AppendString(dst, si.Import.BatchName)
	dst = append(dst, `,"BatchInfo":`...)
	dst = AppendString(dst, si.Import.BatchInfo)
	dst = append(dst, `},"Preview":`...)
	dst = AppendBool(dst, si.Preview)
	if si.Error != "" {
		dst = append(dst, `,"Error":`...)
		dst = AppendString(dst, si.Error)
	}
	dst = append(dst, `,"LaunchInfo":`...)
	dst = AppendLaunchInfo(dst, &si.LaunchInfo)
	return append(dst, '}')
}

// AppendLaunchInfo appends li as a SearchLaunchInfo object with lowercase keys.
func AppendLaunchInfo(dst []byte, li *LaunchInfo) []byte {
	dst = append(dst, '{')
	if li.Method != "" {
		dst = append(dst, `"method":`...)
		dst = AppendString(dst, li.Method)
		dst = append(dst, ',')
	}
	if li.Reference != "" {
		dst = append(dst, `"reference":`...)
		dst = AppendString(dst, li.Reference)
		dst = append(dst, ',')
	}
	dst = append(dst, `"started":`...)
	dst = AppendTime(dst, li.Started)
	dst = append(dst, `,"expires":`...)
	dst = AppendTime(dst, li.Expires)
	return append(dst, '}')
}

// AppendModuleHints appends hints as a JSON array; nil is written as null.
func AppendModuleHints(dst []byte, hints []ModuleHint) []byte {
	if hints == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i := range hints {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendModuleHint(dst, &hints[i])
	}
	return append(dst, ']')
}

// AppendModuleHint appends one ModuleHint object.
func AppendModuleHint(dst []byte, h *ModuleHint) []byte {
	dst = append(dst, `{"Name":`...)
	dst = AppendString(dst, h.Name)
	dst = append(dst, `,"ProducedEVs":`...)
	dst = appendStrings(dst, h.ProducedEVs)
	dst = append(dst, `,"ConsumedEVs":`...)
	dst = appendStrings(dst, h.ConsumedEVs)
	dst = append(dst, `,"ResourcesNeeded":`...)
	dst = appendStrings(dst, h.ResourcesNeeded)
	dst = append(dst, `,"Condensing":`...)
	dst = AppendBool(dst, h.Condensing)
	return append(dst, '}')
}

// ParseSearchResponse is the reply on the parse channel (PROTOCOL.md §3.3).
type ParseSearchResponse struct {
	Sequence         uint64
	GoodQuery        bool
	ParseError       string // omitted when empty
	ParsedQuery      string // omitted when empty
	RawQuery         string // omitted when empty
	ModuleIndex      int
	CollapsingIndex  int
	RenderModule     string // omitted when empty
	TimeZoomDisabled bool
	Tags             []string     // nil is written as null
	ModuleHints      []ModuleHint // nil is written as null
}

// AppendParseSearchResponse appends r as a ParseSearchResponse object.
func AppendParseSearchResponse(dst []byte, r *ParseSearchResponse) []byte {
	dst = append(dst, `{"Sequence":`...)
	dst = strconv.AppendUint(dst, r.Sequence, 10)
	dst = append(dst, `,"GoodQuery":`...)
	dst = AppendBool(dst, r.GoodQuery)
	if r.ParseError != "" {
		dst = append(dst, `,"ParseError":`...)
		dst = AppendString(dst, r.ParseError)
	}
	if r.ParsedQuery != "" {
		dst = append(dst, `,"ParsedQuery":`...)
		dst = AppendString(dst, r.ParsedQuery)
	}
	if r.RawQuery != "" {
		dst = append(dst, `,"RawQuery":`...)
		dst = AppendString(dst, r.RawQuery)
	}
	dst = append(dst, `,"ModuleIndex":`...)
	dst = strconv.AppendInt(dst, int64(r.ModuleIndex), 10)
	dst = append(dst, `,"CollapsingIndex":`...)
	dst = strconv.AppendInt(dst, int64(r.CollapsingIndex), 10)
	if r.RenderModule != "" {
		dst = append(dst, `,"RenderModule":`...)
		dst = AppendString(dst, r.RenderModule)
	}
	dst = append(dst, `,"TimeZoomDisabled":`...)
	dst = AppendBool(dst, r.TimeZoomDisabled)
	dst = append(dst, `,"Tags":`...)
	dst = appendStrings(dst, r.Tags)
	dst = append(dst, `,"ModuleHints":`...)
	dst = AppendModuleHints(dst, r.ModuleHints)
	return append(dst, '}')
}

// StartSearchResponse is the launch reply on the search channel (PROTOCOL.md §3.4).
// A non-empty Error makes it a failure, written as {"Error":"..."} alone; on success Error is
// absent from the output.
type StartSearchResponse struct {
	Error                string
	RawQuery             string
	SearchString         string
	RenderModule         string
	RenderCmd            string
	OutputSearchSubproto string
	SearchID             string
	SearchStartRange     time.Time
	SearchEndRange       time.Time
	Background           bool // omitted when false
	NonTemporal          bool // omitted when false
	CollapsingIndex      int
	Metadata             []byte // raw JSON; omitted when empty
	Addendum             []byte // raw JSON; omitted when empty
	LaunchInfo           LaunchInfo
	QueryTimeSpecified   bool // omitted when false
	TimeZoomDisabled     bool
	Tags                 []string     // nil is written as null
	ModuleHints          []ModuleHint // nil is written as null
	GIDs                 []int32      // nil is written as null
	Global               bool
}

// AppendStartSearchResponse appends r as a StartSearchResponse object.
func AppendStartSearchResponse(dst []byte, r *StartSearchResponse) []byte {
	if r.Error != "" {
		return AppendErrorObject(dst, r.Error)
	}
	dst = append(dst, `{"RawQuery":`...)
	dst = AppendString(dst, r.RawQuery)
	dst = append(dst, `,"SearchString":`...)
	dst = AppendString(dst, r.SearchString)
	dst = append(dst, `,"RenderModule":`...)
	dst = AppendString(dst, r.RenderModule)
	dst = append(dst, `,"RenderCmd":`...)
	dst = AppendString(dst, r.RenderCmd)
	dst = append(dst, `,"OutputSearchSubproto":`...)
	dst = AppendString(dst, r.OutputSearchSubproto)
	dst = append(dst, `,"SearchID":`...)
	dst = AppendString(dst, r.SearchID)
	dst = append(dst, `,"SearchStartRange":`...)
	dst = AppendTime(dst, r.SearchStartRange)
	dst = append(dst, `,"SearchEndRange":`...)
	dst = AppendTime(dst, r.SearchEndRange)
	if r.Background {
		dst = append(dst, `,"Background":true`...)
	}
	if r.NonTemporal {
		dst = append(dst, `,"NonTemporal":true`...)
	}
	dst = append(dst, `,"CollapsingIndex":`...)
	dst = strconv.AppendInt(dst, int64(r.CollapsingIndex), 10)
	if len(r.Metadata) > 0 {
		dst = append(dst, `,"Metadata":`...)
		dst = append(dst, r.Metadata...)
	}
	if len(r.Addendum) > 0 {
		dst = append(dst, `,"Addendum":`...)
		dst = append(dst, r.Addendum...)
	}
	dst = append(dst, `,"LaunchInfo":`...)
	dst = AppendLaunchInfo(dst, &r.LaunchInfo)
	if r.QueryTimeSpecified {
		dst = append(dst, `,"QueryTimeSpecified":true`...)
	}
	dst = append(dst, `,"TimeZoomDisabled":`...)
	dst = AppendBool(dst, r.TimeZoomDisabled)
	dst = append(dst, `,"Tags":`...)
	dst = appendStrings(dst, r.Tags)
	dst = append(dst, `,"ModuleHints":`...)
	dst = AppendModuleHints(dst, r.ModuleHints)
	dst = append(dst, `,"GIDs":`...)
	dst = appendInt32s(dst, r.GIDs)
	dst = append(dst, `,"Global":`...)
	dst = AppendBool(dst, r.Global)
	return append(dst, '}')
}

// AttachSearchResponse is the reply on the attach channel (PROTOCOL.md §3.6). A non-empty
// Error makes it a failure, written as {"Error":"..."} alone; on success Info must be set and
// Error is absent from the output.
type AttachSearchResponse struct {
	Error       string
	Subproto    string
	RendererMod string
	RendererCmd string
	Info        *SearchInfo
}

// AppendAttachSearchResponse appends r as an AttachSearchResponse object.
func AppendAttachSearchResponse(dst []byte, r *AttachSearchResponse) []byte {
	if r.Error != "" || r.Info == nil {
		msg := r.Error
		if msg == "" {
			msg = "attach failed: no search info"
		}
		return AppendErrorObject(dst, msg)
	}
	dst = append(dst, `{"Subproto":`...)
	dst = AppendString(dst, r.Subproto)
	dst = append(dst, `,"RendererMod":`...)
	dst = AppendString(dst, r.RendererMod)
	dst = append(dst, `,"RendererCmd":`...)
	dst = AppendString(dst, r.RendererCmd)
	dst = append(dst, `,"Info":`...)
	dst = AppendSearchInfo(dst, r.Info)
	return append(dst, '}')
}

// AppendErrorObject appends {"Error":msg}, the failure reply of the search and attach
// channels (PROTOCOL.md §3.4, §3.6).
func AppendErrorObject(dst []byte, msg string) []byte {
	dst = append(dst, `{"Error":`...)
	dst = AppendString(dst, msg)
	return append(dst, '}')
}

// appendStrings appends a JSON array of strings; nil is written as null.
func appendStrings(dst []byte, s []string) []byte {
	if s == nil {
		return append(dst, "null"...)
	}
	return appendStringArray(dst, s)
}

// appendStringArray appends a JSON array of strings; nil is written as [].
func appendStringArray(dst []byte, s []string) []byte {
	dst = append(dst, '[')
	for i, v := range s {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendString(dst, v)
	}
	return append(dst, ']')
}

func appendInt32s(dst []byte, s []int32) []byte {
	if s == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, v := range s {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendInt(dst, int64(v), 10)
	}
	return append(dst, ']')
}
