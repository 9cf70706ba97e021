package wire_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// Mirrors of the real Go client's render and search types, written from the tables of
// PROTOCOL.md §3.3–§5.12: the client decodes every message with encoding/json into types like
// these. Tags state the spec's emit rules (omitempty = "omit when empty", omitzero = "omit when
// zero"). The rcl* values built by the mirror* functions use only the standard library
// (net.IP, strconv, time, encoding/binary), independently of the encoders under test.

type rclEntryRange struct {
	StartTS time.Time
	EndTS   time.Time
	First   uint64
	Last    uint64
}

type rclDropped struct {
	StartTS time.Time
	EndTS   time.Time
}

type rclBase struct {
	ID                uint32
	Error             string          `json:",omitempty"`
	Addendum          json.RawMessage `json:",omitempty"`
	EntryRange        *rclEntryRange  `json:",omitempty"`
	Finished          bool
	EntryCount        uint64
	EntryCountValid   bool
	AdditionalEntries bool
	OverLimit         bool
	LimitDroppedRange rclDropped
	Warning           string
}

type rclEnumValue struct {
	Type uint16
	Data []byte
}

type rclEnumPair struct {
	Name     string
	ValueStr string
	Value    rclEnumValue
}

type rclSearchEntry struct {
	TS         time.Time
	SRC        net.IP
	Tag        uint16
	Data       []byte
	Enumerated []rclEnumPair
}

type rclTableRow struct {
	TS  time.Time
	Row []string
}

type rclTable struct {
	Columns []string
	Rows    []rclTableRow
}

type rclGauge struct {
	Name      string
	Magnitude float64
	Min       float64
	Max       float64
}

type rclKeyComp struct{ Keys []string }

// rclChart is the reference form: *float64 so that NaN points marshal as null.
type rclChart struct {
	Names      []string
	KeyComps   []rclKeyComp `json:",omitempty"`
	Categories []string     `json:",omitempty"`
	Values     []rclChartable
}

type rclChartable struct {
	TS   time.Time
	Data []*float64
}

// rclChartClient is what the Go client decodes charts into (null points become 0).
type rclChartClient struct {
	Names      []string
	KeyComps   []rclKeyComp
	Categories []string
	Values     []struct {
		TS   time.Time
		Data []float64
	}
}

type rclLaunchInfo struct {
	Method    string    `json:"method,omitempty"`
	Reference string    `json:"reference,omitempty"`
	Started   time.Time `json:"started"`
	Expires   time.Time `json:"expires"`
}

type rclImport struct {
	Imported  bool
	Time      time.Time
	BatchName string
	BatchInfo string
}

type rclSearchInfo struct {
	ID                    string
	UID                   int32
	GID                   int32 `json:",omitempty"`
	GIDs                  []int32
	Global                bool
	UserQuery             string
	EffectiveQuery        string
	StartRange            time.Time
	EndRange              time.Time
	Descending            bool
	Started               time.Time
	LastUpdate            time.Time
	Duration              string
	StoreSize             int64
	IndexSize             int64
	ItemCount             int64
	TimeZoomDisabled      bool
	QueryTimeSpecified    bool
	RenderDownloadFormats []string        `json:",omitempty"`
	Metadata              json.RawMessage `json:",omitempty"`
	Name                  string          `json:",omitempty"`
	CollapsingIndex       int
	NoHistory             bool
	Background            bool
	MinZoomWindow         uint
	Tags                  []string
	Import                rclImport
	Preview               bool
	Error                 string `json:",omitempty"`
	LaunchInfo            rclLaunchInfo
}

type rclModuleStats struct {
	Name           string
	Args           string
	InputCount     uint64
	OutputCount    uint64
	InputBytes     uint64
	OutputBytes    uint64
	Duration       int64
	ScratchWritten uint64
}

type rclStatSet struct {
	Stats []rclModuleStats
	TS    time.Time
}

type rclOverview struct {
	Count uint64
	Bytes uint64
	TS    time.Time
}

type rclStats struct {
	Size        int
	Set         []rclStatSet
	RangeStart  time.Time      `json:",omitzero"`
	RangeEnd    time.Time      `json:",omitzero"`
	Current     time.Time      `json:",omitzero"`
	OverviewSet *[]rclOverview `json:",omitempty"`
}

type rclMetaEntry struct {
	Name   string
	Type   string
	Number struct {
		Count    uint
		Min, Max float64
	}
	Raw struct {
		Map   map[string]uint
		Other uint
	}
}

type rclMeta struct {
	ValueStats  []rclMetaEntry `json:",omitempty"`
	SourceStats []struct {
		IP    net.IP
		Count uint
	} `json:",omitempty"`
	TagStats map[string]uint `json:",omitempty"`
}

type rclModuleHint struct {
	Name            string
	ProducedEVs     []string
	ConsumedEVs     []string
	ResourcesNeeded []string
	Condensing      bool
}

type rclParseResponse struct {
	Sequence         uint64
	GoodQuery        bool
	ParseError       string `json:",omitempty"`
	ParsedQuery      string `json:",omitempty"`
	RawQuery         string `json:",omitempty"`
	ModuleIndex      int
	CollapsingIndex  int
	RenderModule     string `json:",omitempty"`
	TimeZoomDisabled bool
	Tags             []string
	ModuleHints      []rclModuleHint
}

type rclStartResponse struct {
	Error                string `json:",omitempty"`
	RawQuery             string
	SearchString         string
	RenderModule         string
	RenderCmd            string
	OutputSearchSubproto string
	SearchID             string
	SearchStartRange     time.Time
	SearchEndRange       time.Time
	Background           bool `json:",omitempty"`
	NonTemporal          bool `json:",omitempty"`
	CollapsingIndex      int
	Metadata             json.RawMessage `json:",omitempty"`
	Addendum             json.RawMessage `json:",omitempty"`
	LaunchInfo           rclLaunchInfo
	QueryTimeSpecified   bool `json:",omitempty"`
	TimeZoomDisabled     bool
	Tags                 []string
	ModuleHints          []rclModuleHint
	GIDs                 []int32
	Global               bool
}

type rclError struct{ Error string }

type rclAttachResponse struct {
	Subproto    string
	RendererMod string
	RendererCmd string
	Info        rclSearchInfo
}

// Conversions from the data under test to the mirrors, with the standard library only.

func rclTS(ns int64) time.Time { return time.Unix(0, ns).UTC() }

func rclTSSet(ns int64, set bool) time.Time {
	if !set {
		return time.Time{}
	}
	return rclTS(ns)
}

func mirrorBase(r *wire.BaseResponse) rclBase {
	m := rclBase{ID: r.ID, Error: r.Error, Addendum: r.Addendum, Finished: r.Finished, EntryCount: r.EntryCount,
		EntryCountValid: r.EntryCountValid, AdditionalEntries: r.AdditionalEntries, OverLimit: r.OverLimit, Warning: r.Warning}
	if r.OverLimit {
		m.LimitDroppedRange = rclDropped{rclTS(r.DroppedStart), rclTS(r.DroppedEnd)}
	}
	if r.EntryRange != nil {
		er := mirrorRange(r.EntryRange)
		m.EntryRange = &er
	}
	return m
}

func mirrorRange(er *wire.EntryRange) rclEntryRange {
	return rclEntryRange{StartTS: rclTSSet(er.StartTS, er.HasStartTS), EndTS: rclTSSet(er.EndTS, er.HasEndTS), First: er.First, Last: er.Last}
}

func mirrorIP(a netip.Addr) net.IP {
	if !a.IsValid() {
		return nil
	}
	return net.IP(a.AsSlice())
}

func mirrorEntry(e *wire.Entry, tag uint16) rclSearchEntry {
	m := rclSearchEntry{TS: rclTS(e.TS), SRC: mirrorIP(e.SRC), Tag: tag, Data: e.Data, Enumerated: []rclEnumPair{}}
	for _, ev := range e.EVs {
		m.Enumerated = append(m.Enumerated, mirrorEV(ev))
	}
	return m
}

func mirrorEV(ev wire.EV) rclEnumPair {
	return rclEnumPair{Name: ev.Name, ValueStr: mirrorValueStr(ev.Value), Value: rclEnumValue{Type: uint16(ev.Value.Type), Data: mirrorValueData(ev.Value)}}
}

func mirrorValueStr(v wire.Value) string {
	switch v.Type {
	case wire.TypeBool:
		return strconv.FormatBool(v.N != 0)
	case wire.TypeByte:
		return strconv.FormatUint(uint64(uint8(v.N)), 10)
	case wire.TypeInt8:
		return strconv.Itoa(int(int8(v.N)))
	case wire.TypeInt16:
		return strconv.Itoa(int(int16(v.N)))
	case wire.TypeUint16:
		return strconv.Itoa(int(uint16(v.N)))
	case wire.TypeInt32:
		return strconv.Itoa(int(int32(v.N)))
	case wire.TypeUint32:
		return strconv.FormatUint(uint64(uint32(v.N)), 10)
	case wire.TypeInt64:
		return strconv.FormatInt(int64(v.N), 10)
	case wire.TypeUint64:
		return strconv.FormatUint(v.N, 10)
	case wire.TypeFloat32, wire.TypeFloat64:
		return strconv.FormatFloat(math.Float64frombits(v.N), 'G', 12, 64)
	case wire.TypeMAC:
		return net.HardwareAddr(v.B).String()
	case wire.TypeIP:
		return net.IP(v.B).String()
	case wire.TypeTS:
		return time.Unix(0, int64(v.N)).UTC().Format(time.RFC3339Nano)
	case wire.TypeDuration:
		return time.Duration(v.N).String()
	}
	return string(v.B)
}

func mirrorValueData(v wire.Value) []byte {
	var buf bytes.Buffer
	w := func(x any) { _ = binary.Write(&buf, binary.LittleEndian, x) }
	switch v.Type {
	case wire.TypeBool:
		w(v.N != 0)
	case wire.TypeByte:
		w(uint8(v.N))
	case wire.TypeInt8:
		w(int8(v.N))
	case wire.TypeInt16:
		w(int16(v.N))
	case wire.TypeUint16:
		w(uint16(v.N))
	case wire.TypeInt32:
		w(int32(v.N))
	case wire.TypeUint32:
		w(uint32(v.N))
	case wire.TypeInt64, wire.TypeDuration:
		w(int64(v.N))
	case wire.TypeUint64:
		w(v.N)
	case wire.TypeFloat32:
		w(float32(math.Float64frombits(v.N)))
	case wire.TypeFloat64:
		w(math.Float64frombits(v.N))
	case wire.TypeTS:
		t := time.Unix(0, int64(v.N)).UTC()
		w(t.Unix() - time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix())
		w(uint32(t.Nanosecond()))
	default:
		return append([]byte{}, v.B...)
	}
	return buf.Bytes()
}

func mirrorTable(columns []string, rows []wire.TableRow) rclTable {
	m := rclTable{Columns: append([]string{}, columns...), Rows: []rclTableRow{}}
	for _, r := range rows {
		m.Rows = append(m.Rows, rclTableRow{TS: rclTS(r.TS), Row: append([]string{}, r.Row...)})
	}
	return m
}

func mirrorChart(c *wire.ChartableValueSet) rclChart {
	m := rclChart{Names: append([]string{}, c.Names...), Categories: c.Categories, Values: []rclChartable{}}
	for _, k := range c.KeyComps {
		m.KeyComps = append(m.KeyComps, rclKeyComp{Keys: append([]string{}, k...)})
	}
	for _, v := range c.Values {
		ch := rclChartable{TS: rclTS(v.TS), Data: []*float64{}}
		for i := range c.Names {
			if i < len(v.Data) && !math.IsNaN(v.Data[i]) && !math.IsInf(v.Data[i], 0) {
				f := v.Data[i]
				ch.Data = append(ch.Data, &f)
			} else {
				ch.Data = append(ch.Data, nil)
			}
		}
		m.Values = append(m.Values, ch)
	}
	return m
}

func mirrorLaunch(li *wire.LaunchInfo) rclLaunchInfo {
	return rclLaunchInfo{Method: li.Method, Reference: li.Reference, Started: li.Started.UTC(), Expires: li.Expires.UTC()}
}

func mirrorInfo(si *wire.SearchInfo) rclSearchInfo {
	return rclSearchInfo{ID: si.ID, UID: si.UID, GID: si.GID, GIDs: si.GIDs, Global: si.Global, UserQuery: si.UserQuery,
		EffectiveQuery: si.EffectiveQuery, StartRange: si.StartRange.UTC(), EndRange: si.EndRange.UTC(), Descending: si.Descending,
		Started: si.Started.UTC(), LastUpdate: si.LastUpdate.UTC(), Duration: si.Duration.String(), StoreSize: si.StoreSize,
		IndexSize: si.IndexSize, ItemCount: si.ItemCount, TimeZoomDisabled: si.TimeZoomDisabled, QueryTimeSpecified: si.QueryTimeSpecified,
		RenderDownloadFormats: si.RenderDownloadFormats, Metadata: si.Metadata, Name: si.Name, CollapsingIndex: si.CollapsingIndex,
		NoHistory: si.NoHistory, Background: si.Background, MinZoomWindow: uint(si.MinZoomWindow), Tags: si.Tags,
		Import:  rclImport{Imported: si.Import.Imported, Time: si.Import.Time.UTC(), BatchName: si.Import.BatchName, BatchInfo: si.Import.BatchInfo},
		Preview: si.Preview, Error: si.Error, LaunchInfo: mirrorLaunch(&si.LaunchInfo)}
}

func mirrorStats(s *wire.StatsResponse) rclStats {
	m := rclStats{Size: s.Size, Set: []rclStatSet{}}
	for _, set := range s.Set {
		ms := rclStatSet{TS: rclTS(set.TS), Stats: []rclModuleStats{}}
		for i, c := range set.Stats {
			var mod wire.ModuleInfo
			if i < len(s.Modules) {
				mod = s.Modules[i]
			}
			ms.Stats = append(ms.Stats, rclModuleStats{Name: mod.Name, Args: mod.Args, InputCount: c.InputCount, OutputCount: c.OutputCount,
				InputBytes: c.InputBytes, OutputBytes: c.OutputBytes, Duration: c.Duration, ScratchWritten: c.ScratchWritten})
		}
		m.Set = append(m.Set, ms)
	}
	if s.HasRange {
		m.RangeStart, m.RangeEnd = rclTS(s.RangeStart), rclTS(s.RangeEnd)
	}
	if s.HasCurrent {
		m.Current = rclTS(s.Current)
	}
	if s.HasOverview {
		ov := []rclOverview{}
		for _, o := range s.Overview {
			ov = append(ov, rclOverview{Count: o.Count, Bytes: o.Bytes, TS: rclTS(o.TS)})
		}
		m.OverviewSet = &ov
	}
	return m
}

func mirrorMeta(md *wire.SearchMetadata) rclMeta {
	var m rclMeta
	for _, e := range md.ValueStats {
		var me rclMetaEntry
		me.Name = e.Name
		if e.Raw {
			me.Type = "raw"
			me.Raw.Map = map[string]uint{}
			for _, v := range e.Values {
				me.Raw.Map[v.Value] = uint(v.Count)
			}
			me.Raw.Other = uint(e.Other)
		} else {
			me.Type = "number"
			me.Number.Count, me.Number.Min, me.Number.Max = uint(e.Count), e.Min, e.Max
		}
		m.ValueStats = append(m.ValueStats, me)
	}
	for _, s := range md.SourceStats {
		m.SourceStats = append(m.SourceStats, struct {
			IP    net.IP
			Count uint
		}{mirrorIP(s.IP), uint(s.Count)})
	}
	if len(md.TagStats) > 0 {
		m.TagStats = map[string]uint{}
		for _, t := range md.TagStats {
			m.TagStats[t.Tag] = uint(t.Count)
		}
	}
	return m
}

func mirrorHints(h []wire.ModuleHint) []rclModuleHint {
	if h == nil {
		return nil
	}
	out := []rclModuleHint{}
	for _, x := range h {
		out = append(out, rclModuleHint{Name: x.Name, ProducedEVs: x.ProducedEVs, ConsumedEVs: x.ConsumedEVs,
			ResourcesNeeded: x.ResourcesNeeded, Condensing: x.Condensing})
	}
	return out
}
