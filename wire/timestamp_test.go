package wire

import (
	"testing"
	"time"
)

func TestScanRFC3164(t *testing.T) {
	ref := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).UnixNano()
	f := func(in string, want string, end int) {
		t.Helper()
		sec, nsec, e, ok := ScanRFC3164([]byte(in), 0, ref)
		if want == "" {
			if ok {
				t.Fatalf("ScanRFC3164(%q) = %v, want failure", in, time.Unix(sec, nsec).UTC())
			}
			return
		}
		if !ok || time.Unix(sec, nsec).UTC().Format(time.RFC3339Nano) != want || e != end {
			t.Fatalf("ScanRFC3164(%q) = %v end %d ok %v, want %s end %d", in, time.Unix(sec, nsec).UTC(), e, ok, want, end)
		}
	}
	f("May  1 11:00:00 host", "2024-05-01T11:00:00Z", 15)
	f("may 02 11:59:59 x", "2024-05-02T11:59:59Z", 15) // within SyslogFutureSlack
	f("May  2 12:00:01 x", "2023-05-02T12:00:01Z", 15) // past it: last year
	f("Dec 31 23:00:00", "2023-12-31T23:00:00Z", 15)
	f("Feb 29 10:00:00", "2024-02-29T10:00:00Z", 15)
	f("Jan 02 2006 15:04:05.25 x", "2006-01-02T15:04:05.25Z", 23)
	f("Jan 32 10:00:00", "", 0)
	f("Foo  1 10:00:00", "", 0)
	f("Jan  1 10:00:0", "", 0)
	// the year around New Year: a stamp just after midnight of a reference on Dec 31 is next year's
	ref = time.Date(2024, 12, 31, 23, 30, 0, 0, time.UTC).UnixNano()
	f("Jan  1 00:10:00", "2025-01-01T00:10:00Z", 15)
}

func TestScanRFC3339(t *testing.T) {
	f := func(in string, want string, end int) {
		t.Helper()
		sec, nsec, e, ok := ScanRFC3339([]byte(in), 0)
		if want == "" {
			if ok {
				t.Fatalf("ScanRFC3339(%q) succeeded", in)
			}
			return
		}
		if !ok || time.Unix(sec, nsec).UTC().Format(time.RFC3339Nano) != want || e != end {
			t.Fatalf("ScanRFC3339(%q) = %v end %d ok %v, want %s end %d", in, time.Unix(sec, nsec).UTC(), e, ok, want, end)
		}
	}
	f("2024-05-01T10:00:01.5Z rest", "2024-05-01T10:00:01.5Z", 22)
	f("2024/05/01 12:00:01,25+02:00", "2024-05-01T10:00:01.25Z", 28)
	f("2024-05-01 10:00:01.000000001 +0000 UTC", "2024-05-01T10:00:01.000000001Z", 35)
	f("2024-05-01T10:00:01", "2024-05-01T10:00:01Z", 19)
	f("2024-02-30T10:00:00Z", "", 0)
	f("2024-05-01X10:00:01Z", "", 0)
}

// FuzzScanTimestamps checks every log timestamp scanner on arbitrary input at every offset: no
// panic, and a success ends inside the input after where it started.
func FuzzScanTimestamps(f *testing.F) {
	for _, s := range []string{"2024-05-01T10:00:01.5Z", "Jan  2 15:04:05", "Jan 02 2006 15:04:05.1", "[02/Jan/2006:15:04:05 -0700]",
		"1714557601.5", "2024/05/01 12:00:01,25+02", "Feb 29 10:00:00"} {
		f.Add([]byte(s))
	}
	ref := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).UnixNano()
	f.Fuzz(func(t *testing.T, b []byte) {
		for i := 0; i < len(b) && i < 64; i++ {
			check := func(name string, end int, ok bool) {
				if ok && (end <= i || end > len(b)) {
					t.Fatalf("%s(%q, %d): end %d", name, b, i, end)
				}
			}
			_, _, end, ok := ScanRFC3339(b, i)
			check("ScanRFC3339", end, ok)
			_, _, end, ok = ScanRFC3164(b, i, ref)
			check("ScanRFC3164", end, ok)
			_, _, end, ok = ScanApacheTime(b, i)
			check("ScanApacheTime", end, ok)
			_, _, end, ok = ScanEpoch(b, i, false)
			check("ScanEpoch", end, ok)
		}
	})
}
