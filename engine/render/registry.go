package render

// Family is a renderer family: how a renderer stores results and shapes Entries
// (PROTOCOL.md §5.1).
type Family uint8

// The renderer families.
const (
	FamilyEntries Family = iota // raw, text, hex, pcap: every entry, []SearchEntry
	FamilyTable                 // table: one row per entry, TableValueSet
	FamilyChart                 // chart: values per time slice, ChartableValueSet
	FamilyGauge                 // gauge, numbercard: one value per name, []GaugeValue
)

// String returns the family's name.
func (f Family) String() string {
	switch f {
	case FamilyEntries:
		return "entries"
	case FamilyTable:
		return "table"
	case FamilyChart:
		return "chart"
	case FamilyGauge:
		return "gauge"
	}
	return "unknown"
}

// kind is the package's short name for Family.
type kind = Family

const (
	kindEntries = FamilyEntries
	kindTable   = FamilyTable
	kindChart   = FamilyChart
	kindGauge   = FamilyGauge
)

// Renderer describes one renderer: everything the query parser, the search manager, the
// clients' help and the REST downloads need to know about it. The registry (Lookup, All) is
// the only place renderer names, families and argument rules are stated: the parser validates
// a query's renderer arguments with Parse exactly as NewResult does at launch, so parse and
// launch cannot disagree.
type Renderer struct {
	// Name is the renderer's module name, e.g. "table".
	Name string
	// Family decides how results are stored and shaped.
	Family Family
	// Condensing is true when the renderer keeps rows or values rather than every entry.
	Condensing bool
	// Downloads lists the RenderDownloadFormats (PROTOCOL.md §5.1).
	Downloads []string
	// Synopsis is the argument grammar, e.g. "table [-nt] [column ...]".
	Synopsis string
	// Help is a one-line description for `sluice help query`.
	Help string
	// Example is a complete query ending in this renderer, shown by `sluice help`; the search
	// package's tests check that it parses.
	Example string

	family kind
}

// Parse checks args as this renderer's arguments. Its error is package-prefixed and names the
// offending argument.
func (rd *Renderer) Parse(args []string) error {
	_, err := parseArgs(rd.Name, args)
	return err
}

// TimeZoomDisabled reports whether this renderer, given args, ignores time windows: gauges and
// numbercards always, tables given -nt (non-temporal).
func (rd *Renderer) TimeZoomDisabled(args []string) bool {
	switch rd.family {
	case kindGauge:
		return true
	case kindTable:
		for _, a := range args {
			if a == "-nt" {
				return true
			}
		}
	}
	return false
}

var (
	entryDownloads = []string{"archive", "csv", "json", "text"}
	gaugeDownloads = []string{"archive", "json"}
)

// registry holds every renderer, in the order of PROTOCOL.md §5.1.
var registry = []*Renderer{
	{Name: "text", Family: FamilyEntries, Downloads: entryDownloads, Synopsis: "text",
		Help:    "every entry, its data as text",
		Example: "tag=syslog grep sshd | text"},
	{Name: "raw", Family: FamilyEntries, Downloads: entryDownloads, Synopsis: "raw",
		Help:    "every entry, its data as stored (binary data flagged)",
		Example: "tag=weblog raw"},
	{Name: "hex", Family: FamilyEntries, Downloads: entryDownloads, Synopsis: "hex",
		Help:    "every entry, its data shown as a hex dump",
		Example: "tag=netflow limit 3 | hex"},
	{Name: "pcap", Family: FamilyEntries, Downloads: []string{"archive", "json", "pcap"}, Synopsis: "pcap",
		Help:    "every entry, its data as a packet",
		Example: "tag=netflow limit 3 | pcap"},
	{Name: "table", Family: FamilyTable, Condensing: true, Downloads: []string{"archive", "csv", "json", "lookupdata"},
		Synopsis: "table [-nt] [column ...]",
		Help:     "one row per entry; columns are value names (or TIMESTAMP, SRC, TAG, DATA); none = every value; -nt ignores time windows",
		Example:  "tag=weblog json method status | count by method status | table method status count"},
	{Name: "gauge", Family: FamilyGauge, Condensing: true, Downloads: gaugeDownloads,
		Synopsis: "gauge [min=N] [max=N] [value ...]", Help: "the latest value of each numeric value name",
		Example: "tag=weblog json duration_ms | mean duration_ms | gauge min=0 max=500 mean"},
	{Name: "numbercard", Family: FamilyGauge, Condensing: true, Downloads: gaugeDownloads,
		Synopsis: "numbercard [min=N] [max=N] [value ...]", Help: "like gauge, shown as number cards",
		Example: "tag=weblog | count | numbercard count"},
	{Name: "chart", Family: FamilyChart, Condensing: true, Downloads: []string{"archive", "csv", "json"},
		Synopsis: "chart value ... [by key ...]", Help: "values per time slice, one series per value and distinct key tuple",
		Example: "tag=weblog json status | count by status over 1h | chart count by status"},
}

var byName = func() map[string]*Renderer {
	m := make(map[string]*Renderer, len(registry))
	for _, rd := range registry {
		rd.family = rd.Family
		m[rd.Name] = rd
	}
	return m
}()

// Lookup returns the renderer with the given name.
func Lookup(name string) (*Renderer, bool) {
	rd, ok := byName[name]
	return rd, ok
}

// All returns every renderer, in the order of PROTOCOL.md §5.1. The entries are shared and
// must not be modified.
func All() []*Renderer { return registry }

// Names returns the renderer names, in the order of All.
func Names() []string {
	out := make([]string, len(registry))
	for i, rd := range registry {
		out[i] = rd.Name
	}
	return out
}

// Renderers lists the renderers this package implements, in the order of PROTOCOL.md §5.1.
var Renderers = Names()

// Condensing reports whether renderer keeps rows rather than every entry (PROTOCOL.md §5.1).
// Unknown renderers report false.
func Condensing(renderer string) bool {
	rd, ok := Lookup(renderer)
	return ok && rd.Condensing
}

// TimeZoomDisabled reports whether renderer with args ignores time windows: gauges and
// numbercards, and tables given -nt (non-temporal). Unknown renderers report false.
func TimeZoomDisabled(renderer string, args []string) bool {
	rd, ok := Lookup(renderer)
	return ok && rd.TimeZoomDisabled(args)
}
