package search

// modules is the module table: name → definition. Renderers are in render's registry
// (render.Lookup, render.All).
var modules map[string]moduleDef

func init() {
	extractFlags := map[string]bool{"-e": true, "-s": false}
	modules = map[string]moduleDef{
		"grep":   {flags: map[string]bool{"-v": false, "-i": false, "-s": false, "-simple": false, "-e": true}, parse: parseGrep, doc: docGrep},
		"json":   {flags: extractFlags, parse: parseJSON, doc: docJSON},
		"kv":     {flags: map[string]bool{"-e": true, "-s": false, "-q": false, "-d": true, "-sep": true}, parse: parseKV, doc: docKV},
		"syslog": {flags: extractFlags, parse: parseSyslog, doc: docSyslog},
		"regex":  {flags: map[string]bool{"-e": true}, parse: parseRegex, doc: docRegex},
		"fields": {flags: map[string]bool{"-e": true, "-s": false, "-q": false, "-d": true, "-clean": false, "-h": true}, parse: parseFields, doc: docFields},
		"csv":    {flags: map[string]bool{"-e": true, "-s": false, "-h": true}, parse: parseCSV, doc: docCSV},
		"length": {flags: map[string]bool{"-e": true}, parse: parseLength, doc: docLength},
		"src":    {flags: map[string]bool{"-v": false}, parse: parseSrc, doc: docSrc},

		"count":    {condensing: true, parse: aggParser(aggCount), doc: docCount},
		"sum":      {condensing: true, parse: aggParser(aggSum), doc: docSum},
		"mean":     {condensing: true, parse: aggParser(aggMean), doc: docMean},
		"min":      {condensing: true, parse: aggParser(aggMin), doc: docMin},
		"max":      {condensing: true, parse: aggParser(aggMax), doc: docMax},
		"stddev":   {condensing: true, parse: aggParser(aggStddev), doc: docStddev},
		"variance": {condensing: true, parse: aggParser(aggVariance), doc: docVariance},
		"stats":    {condensing: true, parse: parseStats, doc: docStats},

		"unique": {parse: parseUnique, doc: docUnique},
		"sort":   {condensing: true, parse: parseSort, doc: docSort},
		"limit":  {parse: parseLimit, doc: docLimit},
		"head":   {parse: parseLimit, doc: docHead},
	}
}
