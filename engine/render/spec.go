package render

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/engine/budget"
	"github.com/sluicehq/sluice/engine/stats"
	"github.com/sluicehq/sluice/wire"
)

// Spec configures one search's Result. The zero value works: a text renderer whose entries'
// Tag is already the search tag number, with every limit at its default.
type Spec struct {
	// Renderer is the renderer name (PROTOCOL.md §5.1): raw, text, hex, pcap, table, chart,
	// gauge or numbercard. Empty means text.
	Renderer string
	// Args are the renderer's arguments as the query gave them (see Validate).
	Args []string

	// TagNames maps the search's tag numbers to names (PROTOCOL.md §4.5.4): TagNames[i] is
	// tag number i.
	TagNames []string
	// TagIndex maps the store's tag IDs (wire.Entry.Tag) to search tag numbers. Nil means
	// entries already carry search tag numbers. An entry whose tag is missing from the map gets
	// a new number, named by TagName.
	TagIndex map[uint16]uint16
	// TagName names a store tag ID missing from TagIndex; nil names it by its decimal ID.
	TagName func(id uint16) string

	// Start and End are the search range in Unix nanoseconds. They are echoed as
	// EntryRange.StartTS/EndTS when a request names no window, and are the stats range when
	// Ring is nil. End <= Start means unknown (echoed as the zero time).
	Start, End int64

	// Limit is the render store size in bytes (PROTOCOL.md §5.12): the file of a non-condensing
	// renderer or table, the values of a chart or gauge; default 16 GiB. Past it results are
	// counted but not stored, and responses report OverLimit with a Warning naming LimitField.
	Limit int64
	// LimitField names the configuration that sets Limit in Warnings and OnLimit; default
	// "render_store_limit_mb".
	LimitField string
	// Dir is the directory of the render store file (created on the first stored result,
	// removed by Release); default os.TempDir().
	Dir string
	// Anonymous removes the file's name as soon as it is created: the store is reachable only
	// through the open file, so nothing of it survives the process, even a crash. Use it when no
	// start-up cleanup will look at Dir (a temporary directory).
	Anonymous bool
	// WriteBuffer is the size of the write buffer in bytes; default DefaultWriteBuffer. Results
	// are written to the file at the end of every Add, or when the buffer fills.
	WriteBuffer int
	// Memory, when not nil, is the process-wide memory budget: NewResult takes the write buffer
	// and first index segment from it (and fails naming it when it cannot), every further index
	// segment and chart or gauge value is reserved before it is allocated, and Release gives it
	// all back. A reservation that fails stops the store: OverLimit with a Warning naming it.
	Memory *budget.Budget
	// Disk, when not nil, is the process-wide render-store disk budget: file bytes are reserved
	// from it before they are written; when it is used up the store goes OverLimit.
	Disk *budget.Budget
	// OnLimit, when not nil, is called once when the store goes over a limit, with the limit's
	// field name and value (0 for a failed write, field "disk") and the Warning replies carry.
	OnLimit func(field string, limit int64, warning string)
	// StreamBlock is the REQ_STREAMING block size in results (§6); default 1000.
	StreamBlock int
	// MaxPage is the most results one entry request returns (§4.5.5); default 10 000.
	MaxPage int
	// MaxSetCount caps SetCount of stats requests (§4.5.13); default 65 536.
	MaxSetCount int
	// MaxColumns caps the columns of a table and the elements of a gauge whose arguments name
	// none (they are discovered from the data); default 1024.
	MaxColumns int
	// MaxSeries caps the series of a chart; default 1024. Points of further series are dropped
	// and counted in Warning.
	MaxSeries int
	// MaxMetadataNames caps the enumerated value names SEARCH_METADATA tracks (§5.10); default 1024.
	MaxMetadataNames int
	// MaxMetadataSources caps the source addresses SEARCH_METADATA tracks; default 4096.
	MaxMetadataSources int

	// Ring holds the search's pipeline statistics; nil answers stats requests with no data.
	Ring *stats.Ring
	// Modules names the ring's modules, in pipeline order (§5.11).
	Modules []wire.ModuleInfo

	// Explore appends one ExploreResult object for an entry's data and tag name (§5.8), e.g.
	// extract.AppendExplore. Nil answers the explorer requests with RESP_ERROR.
	Explore func(dst, data []byte, tag string) []byte
}

// Defaults of Spec's limits.
const (
	DefaultLimit              = 16 << 30
	DefaultMaxPage            = 10000
	DefaultMaxColumns         = 1024
	DefaultMaxSeries          = 1024
	DefaultMaxMetadataNames   = 1024
	DefaultMaxMetadataSources = 4096
	maxRawValues              = 32 // §5.10 Choice: distinct values kept per raw metadata entry
)

func (s *Spec) defaults() {
	if s.Renderer == "" {
		s.Renderer = "text"
	}
	if s.Limit <= 0 {
		s.Limit = DefaultLimit
	}
	if s.StreamBlock <= 0 {
		s.StreamBlock = wire.StreamBlockSize
	}
	if s.MaxPage <= 0 {
		s.MaxPage = DefaultMaxPage
	}
	if s.MaxSetCount <= 0 {
		s.MaxSetCount = wire.MaxStatsBuckets
	}
	if s.MaxColumns <= 0 {
		s.MaxColumns = DefaultMaxColumns
	}
	s.MaxColumns = min(s.MaxColumns, 1<<16-1)
	if s.MaxSeries <= 0 {
		s.MaxSeries = DefaultMaxSeries
	}
	if s.MaxMetadataNames <= 0 {
		s.MaxMetadataNames = DefaultMaxMetadataNames
	}
	if s.MaxMetadataSources <= 0 {
		s.MaxMetadataSources = DefaultMaxMetadataSources
	}
	if s.LimitField == "" {
		s.LimitField = "render_store_limit_mb"
	}
	if s.Dir == "" {
		s.Dir = os.TempDir()
	}
	if s.WriteBuffer <= 0 {
		s.WriteBuffer = DefaultWriteBuffer
	}
}

// Validate checks a renderer invocation, for the query parser. The grammar:
//
//	raw | text | hex | pcap                    no arguments
//	table [-nt] [column ...]                   columns are enumerated value names, or TIMESTAMP,
//	                                           SRC, TAG, DATA when no value has that name; none =
//	                                           every value name, in the order first seen
//	chart value ... [by key ...]               series per distinct key tuple, one per value
//	gauge | numbercard [min=N] [max=N] [value ...]  none = every numeric value, as first seen
//
// Errors are package-prefixed and name the offending argument.
func Validate(renderer string, args []string) error {
	_, err := parseArgs(renderer, args)
	return err
}

// renderArgs is a parsed renderer invocation.
type renderArgs struct {
	columns     []string // table columns, gauge values, chart values
	keys        []string // chart keys
	nonTemporal bool     // table -nt
	min, max    float64  // gauge bounds
}

func parseArgs(renderer string, args []string) (renderArgs, error) {
	var ra renderArgs
	rd, ok := Lookup(renderer)
	if !ok {
		return ra, fmt.Errorf("render: unknown renderer %q (supported: %s)", renderer, strings.Join(Names(), ", "))
	}
	switch rd.family {
	case kindEntries:
		if len(args) > 0 {
			return ra, fmt.Errorf("render: renderer %s takes no arguments, got %q", renderer, args[0])
		}
	case kindTable:
		for _, a := range args {
			switch {
			case a == "-nt":
				ra.nonTemporal = true
			case strings.HasPrefix(a, "-"):
				return ra, fmt.Errorf("render: table: unknown flag %q (supported: -nt)", a)
			case a == "":
				return ra, fmt.Errorf("render: table: empty column name")
			default:
				for _, c := range ra.columns {
					if c == a {
						return ra, fmt.Errorf("render: table: column %q given twice", a)
					}
				}
				ra.columns = append(ra.columns, a)
			}
		}
	case kindChart:
		by := false
		for _, a := range args {
			switch {
			case a == "by":
				if by {
					return ra, fmt.Errorf(`render: chart: "by" given twice`)
				}
				by = true
			case a == "" || strings.HasPrefix(a, "-"):
				return ra, fmt.Errorf("render: chart: invalid argument %q", a)
			case by:
				ra.keys = append(ra.keys, a)
			default:
				ra.columns = append(ra.columns, a)
			}
		}
		if len(ra.columns) == 0 {
			return ra, fmt.Errorf("render: chart needs a value to plot (chart <value> [by <key> ...])")
		}
		if by && len(ra.keys) == 0 {
			return ra, fmt.Errorf(`render: chart: "by" needs at least one key`)
		}
	case kindGauge:
		for _, a := range args {
			name, val, isOpt := strings.Cut(a, "=")
			switch {
			case isOpt && (name == "min" || name == "max"):
				f, err := strconv.ParseFloat(val, 64)
				if err != nil {
					return ra, fmt.Errorf("render: %s: %s=%q is not a number", renderer, name, val)
				}
				if name == "min" {
					ra.min = f
				} else {
					ra.max = f
				}
			case isOpt || a == "" || strings.HasPrefix(a, "-"):
				return ra, fmt.Errorf("render: %s: invalid argument %q (values, min=N, max=N)", renderer, a)
			default:
				ra.columns = append(ra.columns, a)
			}
		}
	}
	return ra, nil
}
