package wire

import "strconv"

// StatSet is one chunk of pipeline statistics (PROTOCOL.md §5.11): its start and the counters
// of every module in pipeline order, or nil Stats for a chunk without data ("Stats":[]).
type StatSet struct {
	TS    int64 // Unix nanoseconds
	Stats []Counters
}

// OverviewPoint is one element of OverviewSet (PROTOCOL.md §4.5.17): the last module's output
// count and bytes for one chunk.
type OverviewPoint struct {
	Count uint64
	Bytes uint64
	TS    int64 // Unix nanoseconds
}

// StatsResponse is SearchStatsResponse, the Stats field of stats responses (PROTOCOL.md §5.11).
// Modules names the counters of every StatSet. RangeStart/RangeEnd are written when HasRange
// and Current when HasCurrent (both are "omit when zero"); OverviewSet is written only when
// HasOverview (REQ_STATS_GET_OVERVIEW).
type StatsResponse struct {
	Size        int
	Modules     []ModuleInfo
	Set         []StatSet
	RangeStart  int64
	RangeEnd    int64
	HasRange    bool
	Current     int64
	HasCurrent  bool
	Overview    []OverviewPoint
	HasOverview bool
}

// AppendStatsResponse appends s as a SearchStatsResponse object; Set is [] when empty.
func AppendStatsResponse(dst []byte, s *StatsResponse) []byte {
	dst = append(dst, `{"Size":`...)
	dst = strconv.AppendInt(dst, int64(s.Size), 10)
	dst = append(dst, `,"Set":[`...)
	for i := range s.Set {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendStatSet(dst, &s.Set[i], s.Modules)
	}
	dst = append(dst, ']')
	if s.HasRange {
		dst = append(dst, `,"RangeStart":`...)
		dst = AppendUnixNano(dst, s.RangeStart)
		dst = append(dst, `,"RangeEnd":`...)
		dst = AppendUnixNano(dst, s.RangeEnd)
	}
	if s.HasCurrent {
		dst = append(dst, `,"Current":`...)
		dst = AppendUnixNano(dst, s.Current)
	}
	if s.HasOverview {
		dst = append(dst, `,"OverviewSet":[`...)
		for i := range s.Overview {
			if i > 0 {
				dst = append(dst, ',')
			}
			o := &s.Overview[i]
			dst = append(dst, `{"Count":`...)
			dst = strconv.AppendUint(dst, o.Count, 10)
			dst = append(dst, `,"Bytes":`...)
			dst = strconv.AppendUint(dst, o.Bytes, 10)
			dst = append(dst, `,"TS":`...)
			dst = AppendUnixNano(dst, o.TS)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

// AppendStatSet appends {"Stats":[…],"TS":…}: one SearchModuleStats per module, named by
// mods[i] (an unnamed module, beyond len(mods), gets empty Name and Args).
func AppendStatSet(dst []byte, s *StatSet, mods []ModuleInfo) []byte {
	dst = append(dst, `{"Stats":[`...)
	for i := range s.Stats {
		if i > 0 {
			dst = append(dst, ',')
		}
		var m ModuleInfo
		if i < len(mods) {
			m = mods[i]
		}
		dst = AppendModuleStats(dst, &m, &s.Stats[i])
	}
	dst = append(dst, `],"TS":`...)
	dst = AppendUnixNano(dst, s.TS)
	return append(dst, '}')
}

// AppendModuleStats appends one SearchModuleStats object (PROTOCOL.md §5.11); Duration is
// integer nanoseconds.
func AppendModuleStats(dst []byte, m *ModuleInfo, c *Counters) []byte {
	dst = append(dst, `{"Name":`...)
	dst = AppendString(dst, m.Name)
	dst = append(dst, `,"Args":`...)
	dst = AppendString(dst, m.Args)
	dst = append(dst, `,"InputCount":`...)
	dst = strconv.AppendUint(dst, c.InputCount, 10)
	dst = append(dst, `,"OutputCount":`...)
	dst = strconv.AppendUint(dst, c.OutputCount, 10)
	dst = append(dst, `,"InputBytes":`...)
	dst = strconv.AppendUint(dst, c.InputBytes, 10)
	dst = append(dst, `,"OutputBytes":`...)
	dst = strconv.AppendUint(dst, c.OutputBytes, 10)
	dst = append(dst, `,"Duration":`...)
	dst = strconv.AppendInt(dst, c.Duration, 10)
	dst = append(dst, `,"ScratchWritten":`...)
	dst = strconv.AppendUint(dst, c.ScratchWritten, 10)
	return append(dst, '}')
}
