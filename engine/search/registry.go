package search

// modules is the module table: name → definition. Renderers are in render's registry
// (render.Lookup, render.All).
var modules map[string]moduleDef

func init() {
	extractFlags := map[string]bool{"-e": true, "-s": false}
	modules = map[string]moduleDef{
		"grep":   {flags: map[string]bool{"-v": false, "-i": false, "-s": false, "-simple": false, "-e": true}, parse: parseGrep},
		"json":   {flags: extractFlags, parse: parseJSON},
		"kv":     {flags: map[string]bool{"-e": true, "-s": false, "-q": false, "-d": true, "-sep": true}, parse: parseKV},
		"syslog": {flags: extractFlags, parse: parseSyslog},
		"regex":  {flags: map[string]bool{"-e": true}, parse: parseRegex},
		"fields": {flags: map[string]bool{"-e": true, "-s": false, "-q": false, "-d": true, "-clean": false, "-h": true}, parse: parseFields},
		"csv":    {flags: map[string]bool{"-e": true, "-s": false, "-h": true}, parse: parseCSV},
		"length": {flags: map[string]bool{"-e": true}, parse: parseLength},

		"count":    {condensing: true, parse: aggParser(aggCount)},
		"sum":      {condensing: true, parse: aggParser(aggSum)},
		"mean":     {condensing: true, parse: aggParser(aggMean)},
		"min":      {condensing: true, parse: aggParser(aggMin)},
		"max":      {condensing: true, parse: aggParser(aggMax)},
		"stddev":   {condensing: true, parse: aggParser(aggStddev)},
		"variance": {condensing: true, parse: aggParser(aggVariance)},
		"stats":    {condensing: true, parse: parseStats},

		"unique": {parse: parseUnique},
		"sort":   {condensing: true, parse: parseSort},
		"limit":  {parse: parseLimit},
		"head":   {parse: parseLimit},
	}
}
