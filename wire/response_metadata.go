package wire

import (
	"net/netip"
	"strconv"
)

// SearchMetadata is the enumerated-value survey of a search (PROTOCOL.md §5.10). Empty parts
// are omitted; nothing known gives {}.
type SearchMetadata struct {
	ValueStats  []MetadataEntry
	SourceStats []SourceCount
	TagStats    []TagCount // written as the map {"tag":count,…}
}

// MetadataEntry is a SearchMetadataEntry: numeric statistics ("number") or the most common
// values ("raw") of one enumerated value name.
type MetadataEntry struct {
	Name string
	Raw  bool // Type "raw" when true, "number" otherwise
	// Number statistics, written as zeros for raw entries.
	Count    uint64
	Min, Max float64
	// Raw statistics: Values is written as the Map ({} when empty), Other counts occurrences
	// not in it. For number entries Map is null and Other 0.
	Values []ValueCount
	Other  uint64
}

// ValueCount is one Raw.Map element: a value's text and how often it was seen.
type ValueCount struct {
	Value string
	Count uint64
}

// SourceCount is one SourceStats element.
type SourceCount struct {
	IP    netip.Addr
	Count uint64
}

// TagCount is one TagStats element.
type TagCount struct {
	Tag   string
	Count uint64
}

// AppendSearchMetadata appends m as a SearchMetadata object.
func AppendSearchMetadata(dst []byte, m *SearchMetadata) []byte {
	dst = append(dst, '{')
	sep := false
	if len(m.ValueStats) > 0 {
		dst = append(dst, `"ValueStats":[`...)
		for i := range m.ValueStats {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendMetadataEntry(dst, &m.ValueStats[i])
		}
		dst = append(dst, ']')
		sep = true
	}
	if len(m.SourceStats) > 0 {
		if sep {
			dst = append(dst, ',')
		}
		dst = append(dst, `"SourceStats":[`...)
		for i := range m.SourceStats {
			if i > 0 {
				dst = append(dst, ',')
			}
			s := &m.SourceStats[i]
			dst = append(dst, `{"IP":"`...)
			if s.IP.IsValid() {
				dst = s.IP.WithZone("").Unmap().AppendTo(dst)
			}
			dst = append(dst, `","Count":`...)
			dst = strconv.AppendUint(dst, s.Count, 10)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
		sep = true
	}
	if len(m.TagStats) > 0 {
		if sep {
			dst = append(dst, ',')
		}
		dst = append(dst, `"TagStats":{`...)
		for i := range m.TagStats {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendString(dst, m.TagStats[i].Tag)
			dst = append(dst, ':')
			dst = strconv.AppendUint(dst, m.TagStats[i].Count, 10)
		}
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// AppendMetadataEntry appends one SearchMetadataEntry object.
func AppendMetadataEntry(dst []byte, e *MetadataEntry) []byte {
	dst = append(dst, `{"Name":`...)
	dst = AppendString(dst, e.Name)
	if e.Raw {
		dst = append(dst, `,"Type":"raw","Number":{"Count":0,"Min":0,"Max":0},"Raw":{"Map":{`...)
		for i := range e.Values {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendString(dst, e.Values[i].Value)
			dst = append(dst, ':')
			dst = strconv.AppendUint(dst, e.Values[i].Count, 10)
		}
		dst = append(dst, `},"Other":`...)
		dst = strconv.AppendUint(dst, e.Other, 10)
		return append(dst, "}}"...)
	}
	dst = append(dst, `,"Type":"number","Number":{"Count":`...)
	dst = strconv.AppendUint(dst, e.Count, 10)
	dst = append(dst, `,"Min":`...)
	dst = AppendFloat(dst, e.Min)
	dst = append(dst, `,"Max":`...)
	dst = AppendFloat(dst, e.Max)
	return append(dst, `},"Raw":{"Map":null,"Other":0}}`...)
}
