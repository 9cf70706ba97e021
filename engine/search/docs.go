package search

import (
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/sluicehq/sluice/engine/render"
)

// Doc documents a module or renderer for help texts (sluice help query, sluice help MODULE).
// Each entry of the module table carries one (moduleDef.doc), renderers have theirs in the
// renderer registry (render.Renderer); TestDocs checks that every module and renderer has one and that every example parses and uses what it documents, so the
// help cannot drift from the parser.
type Doc struct {
	Name     string // filled from the table key
	Kind     string // "extraction", "filtering", "aggregation", "ordering" or "renderer"
	Usage    string // the argument syntax after the name
	Summary  string // one line
	Details  string // more lines, wrapped at 96 columns; may be empty
	Example  string // a complete query using the module
	Flags    []string
	Condense bool // condensing: it sees every entry before passing anything on
}

// Module kinds, in the order help lists them.
var docKinds = []string{"extraction", "filtering", "aggregation", "ordering", "renderer"}

const extractDetails = `Each FIELD may be followed by a filter (FIELD==value, FIELD>10, FIELD~text; sluice help
filters) and "as NAME" to rename it. An entry without FIELD is dropped; -e FIELD reads an
enumerated value instead of the data; -s (strict) drops an entry unless every extraction succeeds.
Values are typed: integers, decimals, IP addresses and RFC 3339 times become numbers, IPs and
timestamps; everything else is text.`

const aggDetails = `"by F1 F2" groups by the values of fields (an entry lacking one is skipped); "over 5m" adds
time windows (a TIME column in tables, a time axis in charts); "as NAME" names the result.`

var (
	docGrep = Doc{Kind: "filtering", Usage: "[-v] [-i] [-s] [-simple] [-e FIELD] PATTERN...",
		Summary: "keep entries whose data contains any PATTERN (* and ? are wildcards)",
		Details: `-v inverts (drop entries that contain a pattern), -s requires all patterns, -i ignores ASCII
case, -simple turns the wildcards off, -e FIELD looks in an extracted value instead of the data.`,
		Example: "tag=syslog grep -i failed password"}
	docJSON = Doc{Kind: "extraction", Usage: "[-e FIELD] [-s] PATH[OP VALUE] [as NAME] ...",
		Summary: "extract values from JSON data by dotted path (a.b.[0].c)", Details: extractDetails,
		Example: "tag=weblog json status method status>=500 | count by method | table"}
	docKV = Doc{Kind: "extraction", Usage: "[-e FIELD] [-s] [-q] [-d DELIMS] [-sep SEP] KEY[OP VALUE] [as NAME] ...",
		Summary: "extract key=value pairs (-sep sets the separator, -d the pair delimiters, -q allows quotes)",
		Details: extractDetails, Example: "tag=syslog kv level status | count by level | table"}
	docSyslog = Doc{Kind: "extraction", Usage: "[-e FIELD] [-s] FIELD[OP VALUE] [as NAME] ...",
		Summary: "extract RFC 5424/3164 syslog fields: Facility Severity Priority Hostname Appname ProcID MsgID Message …",
		Details: extractDetails + `
Structured data: Structured.KEY or Structured[ID].KEY.`,
		Example: "tag=syslog syslog Appname==sshd Hostname | count by Hostname | table"}
	docRegex = Doc{Kind: "extraction", Usage: "[-e FIELD] PATTERN [NAME OP VALUE ...]",
		Summary: "keep entries matching a Go (RE2) regular expression; named groups (?P<name>…) become fields, filtered by NAME OP VALUE",
		Example: `tag=syslog regex "user (?P<user>[a-z]+) from (?P<ip>[0-9.]+)" | count by user | table`}
	docFields = Doc{Kind: "extraction", Usage: "[-e FIELD] [-s] [-q] [-clean] [-d DELIM] [-h HEADER] COLUMN[OP VALUE] [as NAME] ...",
		Summary: "split the data at a delimiter (default \",\") and extract columns by [index] or -h header name",
		Details: extractDetails, Example: `tag=netflow fields -d "," [2] as dst [6] as bytes | sum bytes by dst | table`}
	docCSV = Doc{Kind: "extraction", Usage: "[-e FIELD] [-s] [-h HEADER] COLUMN[OP VALUE] [as NAME] ...",
		Summary: "extract CSV columns (quoted columns allowed) by [index] or -h header name",
		Details: extractDetails, Example: `tag=netflow csv [4] as dstport | count by dstport | table`}
	docLength = Doc{Kind: "extraction", Usage: "[-e FIELD] [as NAME]",
		Summary: "attach the byte length of the data (or of FIELD) as \"length\"",
		Example: "tag=weblog length | max length | table"}

	docSrc = Doc{Kind: "filtering", Usage: "[-v] ADDRESS|PREFIX ...",
		Summary: "keep entries whose source (SRC) is one of the addresses or in one of the CIDR prefixes (-v: drop them)",
		Details: `An IPv4 address and its IPv4-mapped IPv6 form are the same source; an entry without a
SRC matches nothing. Accelerators index SRC, so src with addresses skips blocks without them.`,
		Example: "tag=syslog src 10.0.0.1 10.1.0.0/16 | count | table"}

	docCount = Doc{Kind: "aggregation", Usage: "[FIELD] [as NAME] [by F1 ...] [over WINDOW]",
		Summary: "count entries (or entries that carry FIELD)", Details: aggDetails,
		Example: "tag=weblog json status | count by status over 1h | table"}
	docSum = Doc{Kind: "aggregation", Usage: "FIELD [as NAME] [by F1 ...] [over WINDOW]",
		Summary: "sum a numeric field", Details: aggDetails,
		Example: "tag=weblog json bytes host | sum bytes by host | table"}
	docMean = Doc{Kind: "aggregation", Usage: "FIELD [as NAME] [by F1 ...] [over WINDOW]",
		Summary: "mean of a numeric field", Details: aggDetails,
		Example: "tag=weblog json duration_ms | mean duration_ms over 10m | chart mean"}
	docMin = Doc{Kind: "aggregation", Usage: "FIELD [as NAME] [by F1 ...] [over WINDOW]",
		Summary: "smallest value of a numeric field", Details: aggDetails,
		Example: "tag=weblog json duration_ms | min duration_ms | table"}
	docMax = Doc{Kind: "aggregation", Usage: "FIELD [as NAME] [by F1 ...] [over WINDOW]",
		Summary: "largest value of a numeric field", Details: aggDetails,
		Example: "tag=weblog json bytes | max bytes | numbercard"}
	docStddev = Doc{Kind: "aggregation", Usage: "FIELD [as NAME] [by F1 ...] [over WINDOW]",
		Summary: "population standard deviation of a numeric field", Details: aggDetails,
		Example: "tag=weblog json duration_ms | stddev duration_ms | table"}
	docVariance = Doc{Kind: "aggregation", Usage: "FIELD [as NAME] [by F1 ...] [over WINDOW]",
		Summary: "population variance of a numeric field", Details: aggDetails,
		Example: "tag=weblog json duration_ms | variance duration_ms | table"}
	docStats = Doc{Kind: "aggregation", Usage: "OP[(FIELD)] [as NAME] ... [by F1 ...] [over WINDOW]",
		Summary: "several aggregations at once; OP is count sum mean min max stddev variance unique_count",
		Details: aggDetails, Example: "tag=weblog json bytes status | stats count sum(bytes) mean(bytes) by status | table"}

	docUnique = Doc{Kind: "filtering", Usage: "[FIELD ...]",
		Summary: "pass the first entry of each distinct combination of fields (or of distinct data)",
		Example: "tag=weblog json client | unique client | table client"}
	docSort = Doc{Kind: "ordering", Usage: "[by FIELD] [asc|desc]",
		Summary: "sort by time (the default, newest first), tag, src or a field (ascending by default)",
		Example: "tag=weblog json bytes path | sort by bytes desc | table path bytes"}
	docLimit = Doc{Kind: "ordering", Usage: "N",
		Summary: "pass the first N entries (and stop reading once N have passed, before any condensing module)",
		Example: "tag=syslog limit 10"}
	docHead = Doc{Kind: "ordering", Usage: "N", Summary: "the same as limit", Example: "tag=syslog head 5"}
)

// Filters documents the inline filter operators of the extraction modules.
var Filters = []struct{ Op, Meaning string }{
	{"==", "equal: numbers numerically, IPs as addresses, times in time, else text"},
	{"!=", "not equal (an entry without the field passes)"},
	{"<", "less than"}, {"<=", "less than or equal"}, {">", "greater than"}, {">=", "greater than or equal"},
	{"~", "contains the text, or for an IP: inside the CIDR prefix (SrcIP ~ 10.0.0.0/8)"},
	{"!~", "does not contain (an entry without the field passes)"},
}

// ModuleDocs returns the documentation of every module of the module table, by kind then
// name.
func ModuleDocs() []Doc {
	out := make([]Doc, 0, len(modules))
	for _, name := range slices.Sorted(maps.Keys(modules)) {
		def := modules[name]
		d := def.doc
		d.Name = name
		d.Condense = def.condensing
		for f := range def.flags {
			d.Flags = append(d.Flags, f)
		}
		sort.Strings(d.Flags)
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool {
		return slices.Index(docKinds, out[i].Kind) < slices.Index(docKinds, out[j].Kind)
	})
	return out
}

// RendererDocs returns the documentation of every renderer of the renderer registry
// (render.All), in its order.
func RendererDocs() []Doc {
	out := make([]Doc, 0, len(render.All()))
	for _, rd := range render.All() {
		usage := strings.TrimSpace(strings.TrimPrefix(rd.Synopsis, rd.Name))
		out = append(out, Doc{Name: rd.Name, Kind: "renderer", Usage: usage, Summary: rd.Help,
			Example: rd.Example, Condense: rd.Condensing})
	}
	return out
}

// LookupDoc returns the documentation of a module or renderer.
func LookupDoc(name string) (Doc, bool) {
	for _, d := range append(ModuleDocs(), RendererDocs()...) {
		if d.Name == name {
			return d, true
		}
	}
	return Doc{}, false
}
