package ingest

import (
	"testing"
	"time"
)

func FuzzExtractTime(f *testing.F) {
	for _, s := range []string{
		"2024-05-01T09:59:58.816191Z hello",
		"<34>1 2024-05-01T09:59:58.003+02:00 host app 123 ID47 - msg",
		"<34>Oct 11 22:14:15 mymachine su: x",
		"Jan 02 2006 15:04:05 host",
		`127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326`,
		`{"level":"info","n":[1,{"ts":2}],"ts":1714557598.816}`,
		`{"@timestamp":"2024-05-01T09:59:58Z"}`,
		"1714557598816 x",
		"2024/05/01 09:59:58 main.go:1: x",
		"2024-05-01 09:59:58.5 +0200 CEST",
		"",
		"{",
		`{"ts":"`,
		"[01/May/2024:09:59:58",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		ts, ok := ExtractTime(line, testNow)
		ts2, ok2 := ExtractTime(line, testNow)
		if ts != ts2 || ok != ok2 {
			t.Fatalf("not deterministic: %d %v vs %d %v", ts, ok, ts2, ok2)
		}
		if !ok && ts != 0 {
			t.Fatalf("not found but ts = %d", ts)
		}
	})
}

// FuzzExtractTimeRoundTrip formats a time with the time package and checks ExtractTime reads
// back the same instant.
func FuzzExtractTimeRoundTrip(f *testing.F) {
	f.Add(int64(1714557598), int64(816191000), int16(0), uint8(0))
	f.Add(int64(-1), int64(999999999), int16(-420), uint8(1))
	f.Add(int64(951782400), int64(0), int16(330), uint8(2))
	f.Fuzz(func(t *testing.T, sec, nsec int64, offMin int16, layout uint8) {
		sec %= 9e9 // keep to 1684–2255: every instant has an int64 ns form in every zone
		nsec %= 1e9
		if nsec < 0 {
			nsec = -nsec
		}
		offMin %= 24 * 60
		tm := time.Unix(sec, nsec).In(time.FixedZone("ZON", int(offMin)*60))
		layouts := [...]string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999 -0700 MST",
			"2006-01-02T15:04:05.000000Z0700", "<13>1 2006-01-02T15:04:05.999999Z07:00 host app - - -",
			`{"ts":"2006-01-02T15:04:05.999999999Z07:00"}`}
		l := layouts[int(layout)%len(layouts)]
		s := tm.Format(l)
		want, err := time.Parse(l, s)
		if err != nil {
			t.Skip() // the time package cannot read its own output for some zones
		}
		got, ok := ExtractTime([]byte(s), testNow)
		if !ok || got != want.UnixNano() {
			t.Fatalf("ExtractTime(%q) = %d, %v; want %d", s, got, ok, want.UnixNano())
		}
		// Apache form, from the same instant, whole seconds.
		s = tm.Format("1.2.3.4 - - [02/Jan/2006:15:04:05 -0700] x")
		got, ok = ExtractTime([]byte(s), testNow)
		if !ok || got != tm.Unix()*1e9 {
			t.Fatalf("ExtractTime(%q) = %d, %v; want %d", s, got, ok, tm.Unix()*1e9)
		}
	})
}
