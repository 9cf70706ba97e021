package collect

import (
	"os"
	"testing"
)

// Fuzz targets for every /proc parser: no panic, and parsing into a reused destination gives
// the same result as parsing into a fresh one.

func fuzzSeed(f *testing.F, rel string, extra ...string) {
	if b, err := os.ReadFile("testdata/" + rel); err == nil {
		f.Add(b)
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
}

func FuzzParseCPUInfo(f *testing.F) {
	fuzzSeed(f, "proc/cpuinfo", "processor : 0\ncpu MHz : 1e309\ncache size : 99999999999999999999 KB\n", ":\n:")
	f.Fuzz(func(t *testing.T, b []byte) {
		ci, err := parseCPUInfo(b)
		if err == nil && ci.Processors == 0 && ci.Model == "" {
			t.Fatal("success without a processor")
		}
	})
}

func FuzzParseMeminfo(f *testing.F) {
	fuzzSeed(f, "proc/meminfo", "MemTotal: 18446744073709551615 kB\n")
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseMeminfo(b)
		if err == nil && m.used() > m.Total {
			t.Fatal("used above total")
		}
	})
}

func FuzzParseStat(f *testing.F) {
	fuzzSeed(f, "proc/stat", "cpu 18446744073709551615 1 1 1\n")
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseStat(b)
		if err == nil {
			u, w := cpuPercent(&cpuTimes{}, &c, true)
			if u < 0 || u > 100 || w < 0 || w > 100 {
				t.Fatalf("percentages %v %v", u, w)
			}
		}
	})
}

func FuzzParseNetDev(f *testing.F) {
	fuzzSeed(f, "proc/net/dev", "a|b\nc|d\nx:1 2 3 4 5 6 7 8 9\n")
	f.Fuzz(func(t *testing.T, b []byte) {
		reused := make([]ifaceCounters, 3, 8)
		a, errA := parseNetDev(b, nil)
		r, errR := parseNetDev(b, reused)
		if (errA == nil) != (errR == nil) || len(a) != len(r) {
			t.Fatalf("fresh %v %d, reused %v %d", errA, len(a), errR, len(r))
		}
	})
}

func FuzzParseDiskstats(f *testing.F) {
	fuzzSeed(f, "proc/diskstats")
	f.Fuzz(func(t *testing.T, b []byte) {
		a, errA := parseDiskstats(b, nil)
		r, errR := parseDiskstats(b, make([]diskCounters, 2))
		if (errA == nil) != (errR == nil) || len(a) != len(r) {
			t.Fatalf("fresh %v %d, reused %v %d", errA, len(a), errR, len(r))
		}
	})
}

func FuzzParseMountinfo(f *testing.F) {
	fuzzSeed(f, "proc/self/mountinfo", "1 0 8:1 /\\040 /\\ rw - ext4 /dev/sda1 rw\n")
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, err := parseMountinfo(b, nil)
		if err == nil {
			if len(selectDisks(ms)) > len(ms) {
				t.Fatal("more disks than mounts")
			}
		}
		_, _ = parseMounts(b, nil)
	})
}

func FuzzParseLoadavgUptime(f *testing.F) {
	fuzzSeed(f, "proc/loadavg", "1 2 3\n", "inf inf inf")
	fuzzSeed(f, "proc/uptime", "1e30 1\n")
	f.Fuzz(func(t *testing.T, b []byte) {
		if la, err := parseLoadavg(b); err == nil && (la.Load1 < 0 || la.Load1 != la.Load1) {
			t.Fatalf("load %v", la)
		}
		_, _ = parseUptime(b)
	})
}
