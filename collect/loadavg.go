package collect

import (
	"errors"
	"math"

	"github.com/sluicehq/sluice/wire"
)

// parseLoadavg parses /proc/loadavg ("0.04 0.06 0.01 1/92 6375").
func parseLoadavg(b []byte) (wire.LoadAverage, error) {
	var fs [3][]byte
	line, _ := nextLine(b)
	if fieldsN(line, fs[:]) < 3 {
		return wire.LoadAverage{}, parseError("/proc/loadavg", 0, line, errors.New("fewer than 3 columns"))
	}
	var v [3]float64
	for i := range fs {
		f, err := parseFloat(fs[i])
		if err != nil || !(f >= 0) || math.IsInf(f, 0) {
			return wire.LoadAverage{}, parseError("/proc/loadavg", 0, line, errors.New("not a load average"))
		}
		v[i] = f
	}
	return wire.LoadAverage{Load1: v[0], Load5: v[1], Load15: v[2]}, nil
}

// parseUptime parses /proc/uptime ("353.52 653.92") and returns whole seconds since boot.
func parseUptime(b []byte) (uint64, error) {
	line, _ := nextLine(b)
	f, _ := nextField(line)
	v, err := parseFloat(f)
	if err != nil || !(v >= 0 && v <= 1<<62) {
		return 0, parseError("/proc/uptime", 0, line, errors.New("not a number of seconds"))
	}
	return uint64(v), nil
}
