package ingest

import (
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func mustTime(t *testing.T, s string) int64 {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("bad want %q: %s", s, err)
	}
	return tm.UnixNano()
}

func TestExtractTimeSuccess(t *testing.T) {
	f := func(now time.Time, line, want string) {
		t.Helper()
		w := mustTime(t, want)
		for range 2 { // twice: no hidden state
			ts, ok := ExtractTime([]byte(line), now)
			if !ok {
				t.Fatalf("ExtractTime(%q): not found, want %s", line, want)
			}
			if ts != w {
				t.Fatalf("ExtractTime(%q) = %s, want %s", line, time.Unix(0, ts).UTC().Format(time.RFC3339Nano), want)
			}
		}
	}
	now := testNow

	// RFC 3339 and ISO 8601 variants.
	f(now, "2024-05-01T09:59:58Z hello", "2024-05-01T09:59:58Z")
	f(now, "2024-05-01T09:59:58.816191Z", "2024-05-01T09:59:58.816191Z")
	f(now, "2024-05-01t09:59:58.1z x", "2024-05-01T09:59:58.1Z")
	f(now, "2024-05-01T09:59:58+02:00 x", "2024-05-01T07:59:58Z")
	f(now, "2024-05-01T09:59:58.5-0700 x", "2024-05-01T16:59:58.5Z")
	f(now, "2024-05-01T09:59:58+05 x", "2024-05-01T04:59:58Z")
	f(now, "2024-05-01 09:59:58,123 INFO x", "2024-05-01T09:59:58.123Z")
	f(now, "2024-05-01 09:59:58", "2024-05-01T09:59:58Z")
	f(now, "2024/05/01 09:59:58 main.go:12: started", "2024-05-01T09:59:58Z")
	f(now, "2024-05-01 09:59:58.5 +0200 CEST m=+0.1", "2024-05-01T07:59:58.5Z")
	f(now, "2024-05-01T09:59:58.1234567891234Z", "2024-05-01T09:59:58.123456789Z")
	f(now, "INFO [main] 2024-05-01T09:59:58Z started", "2024-05-01T09:59:58Z")
	f(now, "time=2024-05-01T09:59:58.25Z level=info msg=x", "2024-05-01T09:59:58.25Z")
	f(now, "a:b:c 2024-02-29T23:59:59Z leap", "2024-02-29T23:59:59Z")
	f(now, "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z")
	f(now, "1677-09-22T00:00:00Z", "1677-09-22T00:00:00Z")
	f(now, "2262-04-11T00:00:00Z", "2262-04-11T00:00:00Z")
	f(now, "2024-05-01T09:59:58-", "2024-05-01T09:59:58Z") // dangling sign: no zone
	f(now, "  \t2024-05-01T09:59:58Z", "2024-05-01T09:59:58Z")

	// RFC 5424 syslog.
	f(now, "<34>1 2024-05-01T09:59:58.003Z host app 123 ID47 - msg", "2024-05-01T09:59:58.003Z")
	f(now, "<165>1 2003-10-11T22:14:15.003-07:00 mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\"] An application event", "2003-10-12T05:14:15.003Z")
	f(now, "<34>1 - host app - - - done at 2024-05-01T09:00:00Z", "2024-05-01T09:00:00Z")

	// RFC 3164 syslog, year from now (2024-05-01T12:00:00Z).
	f(now, "<34>Oct 11 22:14:15 mymachine su: 'su root' failed", "2023-10-11T22:14:15Z")
	f(now, "Apr 30 22:14:15 host sshd[12]: x", "2024-04-30T22:14:15Z")
	f(now, "May  1 12:30:00 host cron[1]: x", "2024-05-01T12:30:00Z")
	f(now, "May  2 11:00:00 host x", "2024-05-02T11:00:00Z") // within SyslogFutureSlack
	f(now, "May  3 12:00:00 host x", "2023-05-03T12:00:00Z") // beyond it: last year
	f(now, "Feb 29 10:00:00 host x", "2024-02-29T10:00:00Z")
	f(time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC), "Feb 29 10:00:00 host x", "2024-02-29T10:00:00Z")
	f(time.Date(2025, 1, 1, 0, 0, 30, 0, time.UTC), "<13>Dec 31 23:59:59 host x", "2024-12-31T23:59:59Z")
	f(time.Date(2024, 12, 31, 23, 59, 50, 0, time.UTC), "Jan  1 00:00:10 host x", "2025-01-01T00:00:10Z")
	f(now, "Jan 02 2006 15:04:05 host x", "2006-01-02T15:04:05Z")
	f(now, "Apr 30 22:14:15.250 host x", "2024-04-30T22:14:15.25Z")
	f(now, "fw01 Apr 30 22:14:15 kernel: x", "2024-04-30T22:14:15Z")
	f(now, "jan  2 15:04:05", "2024-01-02T15:04:05Z")

	// Apache and nginx access logs.
	f(now, `127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326`, "2000-10-10T20:55:36Z")
	f(now, `10.0.0.1 - - [01/May/2024:09:59:58 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/8.0"`, "2024-05-01T09:59:58Z")
	f(now, `10.0.0.1 - - [01/May/2024:09:59:58 +0530] "GET /"`, "2024-05-01T04:29:58Z")
	f(now, `10.0.0.1 - - [01/May/2024:09:59:58.125] x`, "2024-05-01T09:59:58.125Z")

	// JSON time fields.
	f(now, `{"ts":1714557598}`, "2024-05-01T09:59:58Z")
	f(now, `{"ts":1714557598816}`, "2024-05-01T09:59:58.816Z")
	f(now, `{"ts":1714557598816123}`, "2024-05-01T09:59:58.816123Z")
	f(now, `{"ts":1714557598816123456}`, "2024-05-01T09:59:58.816123456Z")
	f(now, `{"time":1714557598.816}`, "2024-05-01T09:59:58.816Z")
	f(now, `{"time":1714557598816.5}`, "2024-05-01T09:59:58.8165Z")
	f(now, `{"timestamp":"1714557598"}`, "2024-05-01T09:59:58Z")
	f(now, `{"@timestamp":"2024-05-01T09:59:58.816Z","msg":"x"}`, "2024-05-01T09:59:58.816Z")
	f(now, `{"TS":"2024-05-01T09:59:58+02:00"}`, "2024-05-01T07:59:58Z")
	f(now, `{"Timestamp": 1714557598 , "x":1}`, "2024-05-01T09:59:58Z")
	f(now, `  { "level":"info", "msg":"a \"ts\":1 b", "n":[1,{"ts":2},"]"], "obj":{"ts":3}, "ts":1714557598}`, "2024-05-01T09:59:58Z")
	f(now, `{"ts":"garbage","time":1714557598}`, "2024-05-01T09:59:58Z")
	f(now, `{"t\u0073":1,"ts":1714557598}`, "2024-05-01T09:59:58Z")
	f(now, `{"ts":0}`, "1970-01-01T00:00:00Z")
	// No time field: the window scan still finds an RFC 3339 value.
	f(now, `{"msg":"x","when":"2024-05-01T09:59:58Z"}`, "2024-05-01T09:59:58Z")
	f(now, `{"msg":"x","ts":`+`"bad"}`+" 2024-05-01T09:59:58Z", "2024-05-01T09:59:58Z")

	// Bare epoch time.
	f(now, "1714557598 foo", "2024-05-01T09:59:58Z")
	f(now, "1714557598", "2024-05-01T09:59:58Z")
	f(now, "1714557598.816 foo", "2024-05-01T09:59:58.816Z")
	f(now, "1714557598816 x", "2024-05-01T09:59:58.816Z")
	f(now, "1714557598816.25 x", "2024-05-01T09:59:58.81625Z")
	f(now, "1714557598816123\tx", "2024-05-01T09:59:58.816123Z")
	f(now, "1714557598816123456,x", "2024-05-01T09:59:58.816123456Z")
	// Numbers that are not epoch time fall through to the scan.
	f(now, "12345 2024-05-01T09:59:58Z", "2024-05-01T09:59:58Z")
}

func TestExtractTimeFailure(t *testing.T) {
	f := func(line string) {
		t.Helper()
		if ts, ok := ExtractTime([]byte(line), testNow); ok {
			t.Fatalf("ExtractTime(%q) = %s, want not found", line, time.Unix(0, ts).UTC().Format(time.RFC3339Nano))
		}
	}
	f("")
	f("   ")
	f("hello world")
	f("12345 foo")
	f("1714557598abc")
	f("1714557598-05")
	f("17145575981 x")          // 11 digits
	f("99999999999999999999 x") // 20 digits
	f("2024-13-01T00:00:00Z")
	f("2024-02-30T00:00:00Z")
	f("2023-02-29T00:00:00Z")
	f("2024-05-01T24:00:00Z")
	f("2024-05-01T23:60:00Z")
	f("2024-05-01T23:59:61Z")
	f("2024-05-01X23:59:59Z")
	f("2024-05/01T23:59:59Z")
	f("2024-05-01T23:59")
	f("x2024-05-01T09:59:58Z")
	f("12024-05-01T09:59:58Z")
	f("1500-01-01T00:00:00Z")
	f("9999-12-31T23:59:59Z")
	f("Foo 11 22:14:15 host")
	f("Oct 11 22:14 host")
	f("Oct 111 22:14:15 host")
	f("Oct 11 22:14:151")
	f("xOct 11 22:14:15 host")
	f("[10/Foo/2000:13:55:36 -0700]")
	f("[10/Oct/2000:13:55:36 -07]")
	f("[10/Oct/2000:13:55:36 -0700")
	f("[32/Oct/2000:13:55:36 -0700]")
	f(`{"ts":-1}`)
	f(`{"ts":1e9}`)
	f(`{"ts":99999999999999999999}`)
	f(`{"ts":1714557598816123.5}`)
	f(`{"ts":`)
	f(`{"a":"unterminated`)
	f(`{"msg":"x","tss":1714557598}`)
	f(strings.Repeat("x ", ScanWindow) + "2024-05-01T09:59:58Z")
}

// TestExtractTimeMatchesTimeParse checks the hand parser against the time package on formats
// both understand.
func TestExtractTimeMatchesTimeParse(t *testing.T) {
	layouts := []string{time.RFC3339, time.RFC3339Nano, "2006-01-02T15:04:05.000Z07:00", "2006-01-02 15:04:05.999999999 -0700 MST"}
	zones := []*time.Location{time.UTC, time.FixedZone("IST", 5*3600+30*60), time.FixedZone("PST", -8*3600)}
	for i := range 2000 {
		sec := int64(i)*3_000_017 - 2e9
		tm := time.Unix(sec, int64(i)*104729%1e9).In(zones[i%len(zones)])
		for _, layout := range layouts {
			s := tm.Format(layout)
			want, err := time.Parse(layout, s)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := ExtractTime([]byte(s+" rest"), testNow)
			if !ok || got != want.UnixNano() {
				t.Fatalf("ExtractTime(%q) = %d, %v; want %d", s, got, ok, want.UnixNano())
			}
		}
	}
}
