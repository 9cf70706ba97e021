package collect

import (
	"bytes"
	"errors"
)

// ifaceCounters are one interface's byte counters from /proc/net/dev.
type ifaceCounters struct {
	Name   string
	Rx, Tx uint64 // bytes received, transmitted
}

// parseNetDev parses /proc/net/dev into dst (reused) and returns it. The two header lines are
// skipped; an interface line is "name: rx_bytes rx_packets … (8 receive columns) tx_bytes …".
func parseNetDev(b []byte, dst []ifaceCounters) ([]ifaceCounters, error) {
	dst = dst[:0]
	for n := 1; len(b) > 0; n++ {
		var line []byte
		line, b = nextLine(b)
		colon := bytes.IndexByte(line, ':')
		if colon < 0 || bytes.IndexByte(line[:colon], '|') >= 0 {
			if n > 2 && len(bytes.TrimSpace(line)) > 0 {
				return dst, parseError("/proc/net/dev", n, line, errors.New("no interface name"))
			}
			continue // header
		}
		var fs [9][]byte
		if fieldsN(line[colon+1:], fs[:]) < 9 {
			return dst, parseError("/proc/net/dev", n, line, errors.New("fewer than 9 columns"))
		}
		rx, err := parseUint(fs[0])
		if err != nil {
			return dst, parseError("/proc/net/dev", n, line, err)
		}
		tx, err := parseUint(fs[8])
		if err != nil {
			return dst, parseError("/proc/net/dev", n, line, err)
		}
		name := bytes.TrimSpace(line[:colon])
		if len(name) == 0 {
			return dst, parseError("/proc/net/dev", n, line, errors.New("no interface name"))
		}
		dst = append(dst, ifaceCounters{Rx: rx, Tx: tx})
		dst[len(dst)-1].Name = string(name)
	}
	return dst, nil
}
