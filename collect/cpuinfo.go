package collect

import (
	"bytes"
	"errors"
	"math"
	"strconv"
)

// cpuInfo is what sysDesc needs from /proc/cpuinfo.
type cpuInfo struct {
	Processors int    // "processor" entries
	Model      string // first "model name" (x86), "Processor" (arm32), "cpu model" (mips) or "cpu" (ppc)
	MHz        string // first "cpu MHz", rounded to an integer: "2445"
	Cache      string // first "cache size" in KB: "512"
	BogoMIPS   string // first "bogomips"/"BogoMIPS": "4890.86"
	Hypervisor bool   // the "hypervisor" CPU flag: running as a virtual machine guest
}

// parseCPUInfo parses /proc/cpuinfo. Keys are matched case-insensitively; the first processor
// that carries a field gives its value.
func parseCPUInfo(b []byte) (cpuInfo, error) {
	var ci cpuInfo
	var altModel string
	for n := 1; len(b) > 0; n++ {
		var line []byte
		line, b = nextLine(b)
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			continue
		}
		key := bytes.TrimSpace(line[:colon])
		val := bytes.TrimSpace(line[colon+1:])
		switch {
		case bytes.EqualFold(key, []byte("processor")):
			if _, err := parseUint(val); err == nil {
				ci.Processors++
			} else if altModel == "" {
				altModel = string(val) // arm32: "Processor : ARMv7 Processor rev 4 (v7l)"
			}
		case bytes.EqualFold(key, []byte("model name")):
			if ci.Model == "" {
				ci.Model = string(val)
			}
		case bytes.EqualFold(key, []byte("cpu model")), bytes.EqualFold(key, []byte("cpu")):
			if altModel == "" {
				altModel = string(val)
			}
		case bytes.EqualFold(key, []byte("cpu MHz")), bytes.EqualFold(key, []byte("clock")):
			if ci.MHz == "" && len(val) > 0 {
				ci.MHz = mhzString(val)
			}
		case bytes.EqualFold(key, []byte("cache size")):
			if ci.Cache == "" && len(val) > 0 {
				ci.Cache = cacheKB(val)
			}
		case bytes.EqualFold(key, []byte("bogomips")):
			if ci.BogoMIPS == "" {
				ci.BogoMIPS = string(val)
			}
		case bytes.EqualFold(key, []byte("flags")):
			for f, rest := nextField(val); len(f) > 0; f, rest = nextField(rest) {
				if string(f) == "hypervisor" {
					ci.Hypervisor = true
				}
			}
		}
	}
	if ci.Model == "" {
		ci.Model = altModel
	}
	if ci.Processors == 0 && ci.Model == "" {
		return ci, parseError("/proc/cpuinfo", 0, nil, errors.New("no processor entries"))
	}
	return ci, nil
}

// mhzString rounds "2445.430" (or ppc's "3000.000000MHz") to "2445"; text that is not a number
// is kept as it is.
func mhzString(val []byte) string {
	v := bytes.TrimSuffix(bytes.TrimSpace(val), []byte("MHz"))
	f, err := parseFloat(v)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return string(val)
	}
	return strconv.FormatFloat(math.Round(f), 'f', 0, 64)
}

// cacheKB turns "512 KB" into "512" and "16 MB" into "16384"; anything else is kept.
func cacheKB(val []byte) string {
	num, unit := nextField(val)
	unit = bytes.TrimSpace(unit)
	n, err := parseUint(num)
	if err != nil {
		return string(val)
	}
	switch {
	case len(unit) == 0 || bytes.EqualFold(unit, []byte("KB")) || bytes.EqualFold(unit, []byte("K")):
	case bytes.EqualFold(unit, []byte("MB")) || bytes.EqualFold(unit, []byte("M")):
		n *= 1024
	default:
		return string(val)
	}
	return strconv.FormatUint(n, 10)
}
