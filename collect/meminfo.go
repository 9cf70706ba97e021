package collect

import (
	"bytes"
	"errors"
)

// memInfo holds the /proc/meminfo figures the stats need, in bytes.
type memInfo struct {
	Total, Free, Available, Buffers, Cached uint64
	HasAvailable                            bool // MemAvailable present (Linux ≥ 3.14)
}

// used returns the bytes in use: MemTotal − MemAvailable, or on kernels without MemAvailable
// MemTotal − (MemFree + Buffers + Cached).
func (m *memInfo) used() uint64 {
	avail := m.Available
	if !m.HasAvailable {
		avail = m.Free + m.Buffers + m.Cached
	}
	if avail > m.Total {
		return 0
	}
	return m.Total - avail
}

// parseMeminfo parses /proc/meminfo ("MemTotal:       24684092 kB").
func parseMeminfo(b []byte) (memInfo, error) {
	var m memInfo
	var haveTotal bool
	for n := 1; len(b) > 0; n++ {
		var line []byte
		line, b = nextLine(b)
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			continue
		}
		var dst *uint64
		switch string(line[:colon]) {
		case "MemTotal":
			dst, haveTotal = &m.Total, true
		case "MemFree":
			dst = &m.Free
		case "MemAvailable":
			dst, m.HasAvailable = &m.Available, true
		case "Buffers":
			dst = &m.Buffers
		case "Cached":
			dst = &m.Cached
		default:
			continue
		}
		num, unit := nextField(line[colon+1:])
		v, err := parseUint(num)
		if err != nil {
			return m, parseError("/proc/meminfo", n, line, err)
		}
		if u := bytes.TrimSpace(unit); len(u) > 0 {
			if !bytes.Equal(u, []byte("kB")) {
				return m, parseError("/proc/meminfo", n, line, errors.New("unknown unit"))
			}
			v *= 1024
		}
		*dst = v
	}
	if !haveTotal {
		return m, parseError("/proc/meminfo", 0, nil, errors.New("no MemTotal"))
	}
	return m, nil
}
