package collect

import (
	"bytes"
	"errors"
)

// cpuTimes are the aggregate "cpu" line of /proc/stat, in USER_HZ ticks.
type cpuTimes struct {
	User, Nice, System, Idle, Iowait, IRQ, SoftIRQ, Steal, Guest, GuestNice uint64
}

// total is every tick of the machine. Guest and GuestNice are already counted in User and Nice.
func (c *cpuTimes) total() uint64 {
	return c.User + c.Nice + c.System + c.Idle + c.Iowait + c.IRQ + c.SoftIRQ + c.Steal
}

// idle is the ticks in which no work ran (idle and waiting for I/O).
func (c *cpuTimes) idle() uint64 { return c.Idle + c.Iowait }

// parseStat parses the aggregate "cpu" line of /proc/stat. Kernels before 2.6.11 have fewer
// columns; at least user, nice, system and idle must be present.
func parseStat(b []byte) (cpuTimes, error) {
	var c cpuTimes
	for n := 1; len(b) > 0; n++ {
		var line []byte
		line, b = nextLine(b)
		name, rest := nextField(line)
		if !bytes.Equal(name, []byte("cpu")) {
			continue
		}
		dst := [...]*uint64{&c.User, &c.Nice, &c.System, &c.Idle, &c.Iowait, &c.IRQ, &c.SoftIRQ, &c.Steal, &c.Guest, &c.GuestNice}
		var fs [10][]byte
		k := fieldsN(rest, fs[:])
		if k < 4 {
			return c, parseError("/proc/stat", n, line, errors.New("fewer than 4 columns"))
		}
		for i := 0; i < k; i++ {
			v, err := parseUint(fs[i])
			if err != nil {
				return c, parseError("/proc/stat", n, line, err)
			}
			*dst[i] = v
		}
		return c, nil
	}
	return c, parseError("/proc/stat", 0, nil, errors.New(`no "cpu" line`))
}
