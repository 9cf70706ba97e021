package baseline

import (
	"encoding/json"
	"time"
)

// The message types below are what an encoding/json server would declare: the Go client's
// field names, with encoding/json doing every byte of the encoding.

// envelope is the routing envelope (PROTOCOL.md §1.5). Data is any value, as idiomatic code
// would write it.
type envelope struct {
	Type string `json:"type"`
	Data any    `json:"data"`
}

// inEnvelope decodes an incoming envelope, keeping data raw for the channel's handler.
type inEnvelope struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

type subsRequest struct {
	Subs []string
}

type subsResponse struct {
	Resp string
}

type timeRange struct {
	StartTS time.Time
	EndTS   time.Time
}

type entryRange struct {
	StartTS time.Time
	EndTS   time.Time
	First   uint64
	Last    uint64
}

// baseResponse is the always-present part of every render-module response (PROTOCOL.md §4.3).
type baseResponse struct {
	ID                uint32
	Error             string            `json:",omitempty"`
	EntryRange        *entryRange       `json:",omitempty"`
	Tags              map[string]uint16 `json:",omitempty"`
	Finished          bool
	EntryCount        uint64
	EntryCountValid   bool
	AdditionalEntries bool
	OverLimit         bool
	LimitDroppedRange timeRange
	Warning           string
}

// entriesResponse is a response carrying SearchEntry lists (16, 17).
type entriesResponse struct {
	baseResponse
	Entries []Entry
}

// renderRequest is a render-module request on an output channel (PROTOCOL.md §4.1).
type renderRequest struct {
	ID         uint32
	EntryRange *struct {
		First uint64
		Last  uint64
	}
}

type launchRequest struct {
	SearchString string
	SearchStart  *time.Time
	SearchEnd    *time.Time
	Background   bool
	Addendum     json.RawMessage
}

type launchAck struct {
	OK                   *bool
	OutputSearchSubproto string
}

type launchInfo struct {
	Started time.Time `json:"started"`
	Expires time.Time `json:"expires"`
}

type moduleHint struct {
	Name            string
	ProducedEVs     []string
	ConsumedEVs     []string
	ResourcesNeeded []string
	Condensing      bool
}

type launchResponse struct {
	Error                string `json:",omitempty"`
	RawQuery             string `json:",omitempty"`
	SearchString         string `json:",omitempty"`
	RenderModule         string `json:",omitempty"`
	RenderCmd            string `json:",omitempty"`
	OutputSearchSubproto string `json:",omitempty"`
	SearchID             string `json:",omitempty"`
	SearchStartRange     time.Time
	SearchEndRange       time.Time
	CollapsingIndex      int
	Addendum             json.RawMessage `json:",omitempty"`
	LaunchInfo           launchInfo
	TimeZoomDisabled     bool
	Tags                 []string
	ModuleHints          []moduleHint
	GIDs                 []int32
	Global               bool
}

type attachRequest struct {
	ID string
}

type searchInfo struct {
	ID             string
	UID            int32
	UserQuery      string
	EffectiveQuery string
	StartRange     time.Time
	EndRange       time.Time
	Descending     bool
	Started        time.Time
	ItemCount      uint64
	MinZoomWindow  uint
	Tags           []string
}

type attachResponse struct {
	Error       string      `json:",omitempty"`
	Subproto    string      `json:",omitempty"`
	RendererMod string      `json:",omitempty"`
	RendererCmd string      `json:",omitempty"`
	Info        *searchInfo `json:",omitempty"`
}
