package render

import (
	"math"
	"net/netip"
	"strings"

	"github.com/sluicehq/sluice/wire"
)

// metadata is the running enumerated-value survey of a result (PROTOCOL.md §5.10), updated on
// every entry that enters the renderer (stored or not). It allocates only for names, sources
// and raw values it has not seen before, all of them capped.
//
// Choice: an entry's type is decided by the first value seen under its name: integers and
// floats make a "number" entry, everything else a "raw" one. A non-numeric value arriving at a
// number entry turns it into a raw entry whose Other counts the numbers seen before; numbers
// arriving at a raw entry are counted by their text. NaN counts but does not move Min/Max.
type metadata struct {
	maxNames, maxSources int

	names   map[string]int
	out     wire.SearchMetadata // ValueStats, SourceStats, TagStats in first-seen order
	srcIdx  map[netip.Addr]int
	tagPos  []int32 // search tag number → index in out.TagStats, -1 when unseen
	scratch []byte

	// Caches for the common case of consecutive entries alike: the names of the previous
	// entry's values (by position) with their indexes, and the previous source.
	lastNames []string
	lastIdx   []int
	lastSrc   netip.Addr
	lastSrcI  int
}

func (m *metadata) init(s *Spec) {
	m.maxNames, m.maxSources = s.MaxMetadataNames, s.MaxMetadataSources
	m.names = make(map[string]int)
	m.srcIdx = make(map[netip.Addr]int)
}

// add surveys e, whose search tag number is tag.
func (m *metadata) add(e *wire.Entry, tag uint16, r *Result) {
	for int(tag) >= len(m.tagPos) {
		m.tagPos = append(m.tagPos, -1)
	}
	if p := m.tagPos[tag]; p >= 0 {
		m.out.TagStats[p].Count++
	} else {
		m.tagPos[tag] = int32(len(m.out.TagStats))
		m.out.TagStats = append(m.out.TagStats, wire.TagCount{Tag: r.tagName(tag), Count: 1})
	}
	if e.SRC.IsValid() {
		if e.SRC == m.lastSrc {
			m.out.SourceStats[m.lastSrcI].Count++
		} else {
			a := e.SRC.WithZone("").Unmap()
			if i, ok := m.srcIdx[a]; ok {
				m.out.SourceStats[i].Count++
				m.lastSrc, m.lastSrcI = e.SRC, i
			} else if len(m.out.SourceStats) < m.maxSources {
				m.srcIdx[a] = len(m.out.SourceStats)
				m.lastSrc, m.lastSrcI = e.SRC, len(m.out.SourceStats)
				m.out.SourceStats = append(m.out.SourceStats, wire.SourceCount{IP: a, Count: 1})
			}
		}
	}
	for i := range e.EVs {
		ev := &e.EVs[i]
		var idx int
		if i < len(m.lastNames) && m.lastNames[i] == ev.Name {
			idx = m.lastIdx[i]
		} else {
			var ok bool
			if idx, ok = m.index(ev); !ok {
				continue
			}
			for len(m.lastNames) <= i {
				m.lastNames = append(m.lastNames, "")
				m.lastIdx = append(m.lastIdx, 0)
			}
			m.lastNames[i], m.lastIdx[i] = m.out.ValueStats[idx].Name, idx
		}
		m.addValue(&m.out.ValueStats[idx], ev)
	}
}

func numeric(t wire.ValueType) bool { return t >= wire.TypeByte && t <= wire.TypeFloat64 }

// index returns the ValueStats index of ev's name, adding it when there is room.
func (m *metadata) index(ev *wire.EV) (int, bool) {
	if i, ok := m.names[ev.Name]; ok {
		return i, true
	}
	if len(m.out.ValueStats) >= m.maxNames {
		return 0, false
	}
	name := strings.Clone(ev.Name)
	i := len(m.out.ValueStats)
	m.names[name] = i
	m.out.ValueStats = append(m.out.ValueStats, wire.MetadataEntry{Name: name, Raw: !numeric(ev.Value.Type),
		Min: math.NaN(), Max: math.NaN()})
	return i, true
}

func (m *metadata) addValue(me *wire.MetadataEntry, ev *wire.EV) {
	if !me.Raw {
		if f, ok := ev.Value.Float(); ok && numeric(ev.Value.Type) {
			me.Count++
			if f < me.Min || math.IsNaN(me.Min) {
				me.Min = f
			}
			if f > me.Max || math.IsNaN(me.Max) {
				me.Max = f
			}
			return
		}
		// A non-numeric value under a number name: the entry becomes raw.
		me.Raw = true
		me.Other = me.Count
		me.Count, me.Min, me.Max = 0, 0, 0
	}
	text := ev.Value.B
	if t := ev.Value.Type; t != wire.TypeString && t != wire.TypeBytes {
		m.scratch = wire.AppendValueText(m.scratch[:0], ev.Value)
		text = m.scratch
	}
	for j := range me.Values {
		if me.Values[j].Value == string(text) {
			me.Values[j].Count++
			return
		}
	}
	if len(me.Values) < maxRawValues {
		me.Values = append(me.Values, wire.ValueCount{Value: string(text), Count: 1})
		return
	}
	me.Other++
}

// appendJSON appends the SearchMetadata object; {} when nothing is known. Min and Max of a
// number entry that only saw NaN are null.
func (m *metadata) appendJSON(dst []byte) []byte {
	return wire.AppendSearchMetadata(dst, &m.out)
}
