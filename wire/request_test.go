package wire

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func ns(s string) int64 {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UnixNano()
}

func TestParseRequestSuccess(t *testing.T) {
	var p RequestParser
	var req Request
	f := func(in string, want Request) {
		t.Helper()
		// Parse twice into the same object: reuse must not leak state.
		wantAdd := want.Addendum
		want.Addendum = nil
		for pass := 0; pass < 2; pass++ {
			if err := p.Parse([]byte(in), &req); err != nil {
				t.Fatalf("Parse(%s): %v", in, err)
			}
			got := req
			got.buf = nil
			if string(got.Addendum) != string(wantAdd) {
				t.Fatalf("Parse(%s).Addendum = %s, want %s", in, got.Addendum, wantAdd)
			}
			got.Addendum = nil
			if got.Err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("Parse(%s) pass %d:\n got %+v\nwant %+v", in, pass, got, want)
			}
		}
	}
	f(`{"ID":3}`, Request{ID: 3, HasID: true})
	f(`{"id":4}`, Request{ID: 4, HasID: true})
	f(` {"iD" : 4294967295 } `, Request{ID: 4294967295, HasID: true})
	// Exact case wins over a folded key, whatever the order.
	f(`{"ID":5,"id":6}`, Request{ID: 5, HasID: true})
	f(`{"id":6,"ID":5}`, Request{ID: 5, HasID: true})
	// Among folded keys the last wins, as encoding/json.
	f(`{"id":6,"Id":7}`, Request{ID: 7, HasID: true})
	// Unknown fields are ignored, null is absent.
	f(`{"ID":16,"Fence":{"SouthWest":{"Lat":1}},"x":[1,2,{"y":null}],"EntryRange":null,"Stats":null,"Addendum":null}`,
		Request{ID: 16, HasID: true})
	f(`{"ID":16,"EntryRange":{"First":0,"Last":2}}`,
		Request{ID: 16, HasID: true, HasEntryRange: true, EntryRange: EntryRange{First: 0, Last: 2}})
	f(`{"ID":16,"EntryRange":{"first":18446744073709551615,"LAST":18446744073709551615,"StartTS":null}}`,
		Request{ID: 16, HasID: true, HasEntryRange: true, EntryRange: EntryRange{First: math.MaxUint64, Last: math.MaxUint64}})
	// The Go client's zero times, in UTC and in a local zone, are unset.
	f(`{"ID":16,"EntryRange":{"StartTS":"0001-01-01T00:00:00Z","EndTS":"0000-12-31T16:07:02-07:52","First":0,"Last":100}}`,
		Request{ID: 16, HasID: true, HasEntryRange: true, EntryRange: EntryRange{Last: 100}})
	f(`{"ID":18,"Addendum":{"filterID":"search-filter-1"},"EntryRange":{"First":0,"Last":100,"StartTS":"2024-05-01T09:00:00.000Z","EndTS":"2024-05-01T10:00:00.000Z"}}`,
		Request{ID: 18, HasID: true, HasEntryRange: true, Addendum: []byte(`{"filterID":"search-filter-1"}`),
			EntryRange: EntryRange{Last: 100, StartTS: ns("2024-05-01T09:00:00Z"), EndTS: ns("2024-05-01T10:00:00Z"), HasStartTS: true, HasEndTS: true}})
	f(`{"ID":18,"EntryRange":{"StartTS":"2024-05-01T11:00:00.123456789+02:00","EndTS":"2024-05-01t09:00:00.5z"}}`,
		Request{ID: 18, HasID: true, HasEntryRange: true,
			EntryRange: EntryRange{StartTS: ns("2024-05-01T09:00:00.123456789Z"), EndTS: ns("2024-05-01T09:00:00.5Z"), HasStartTS: true, HasEndTS: true}})
	// Times outside int64 nanoseconds are clamped.
	f(`{"ID":18,"EntryRange":{"StartTS":"1200-01-01T00:00:00Z","EndTS":"9999-12-31T23:59:59.999999999Z"}}`,
		Request{ID: 18, HasID: true, HasEntryRange: true,
			EntryRange: EntryRange{StartTS: math.MinInt64, EndTS: math.MaxInt64, HasStartTS: true, HasEndTS: true}})
	f(`{"ID":2130706436,"Stats":{"SetCount":90,"SetStart":"2016-01-01T00:00:00Z","SetEnd":"2016-01-02T00:00:00Z","Addendum":{"a":1}}}`,
		Request{ID: 2130706436, HasID: true, HasStats: true,
			Stats: StatsRequest{SetCount: 90, SetStart: ns("2016-01-01T00:00:00Z"), SetEnd: ns("2016-01-02T00:00:00Z"), HasSetStart: true, HasSetEnd: true}})
	f(`{"ID":2130706435,"stats":{"setcount":-5}}`,
		Request{ID: 2130706435, HasID: true, HasStats: true, Stats: StatsRequest{SetCount: -5}})
	// Addendum is echoed token for token (whitespace dropped), escapes and number forms kept.
	f(`{"Addendum": { "k" : "a\u00e9\"\\" , "n" : 1.50e3, "l":[true , null] }, "ID":1}`,
		Request{ID: 1, HasID: true, Addendum: []byte(`{"k":"a\u00e9\"\\","n":1.50e3,"l":[true,null]}`)})
	f(`{"ID":1,"Addendum":{}}`, Request{ID: 1, HasID: true, Addendum: []byte(`{}`)})
	f(`{"ID":1,"Addendum":"x"}`, Request{ID: 1, HasID: true, Addendum: []byte(`"x"`)})
}

func TestParseRequestFailure(t *testing.T) {
	var p RequestParser
	var req Request
	f := func(in, want string) {
		t.Helper()
		err := p.Parse([]byte(in), &req)
		if err == nil {
			t.Fatalf("Parse(%s): no error, want %q", in, want)
		}
		if err.Error() != want {
			t.Fatalf("Parse(%s):\n got %q\nwant %q", in, err.Error(), want)
		}
		if req.Err != err {
			t.Fatalf("Parse(%s): req.Err = %v, want the returned error", in, req.Err)
		}
	}
	f(`[1]`, `request is not a JSON object, got array`)
	f(`"x"`, `request is not a JSON object, got string`)
	f(`{`, `request is not valid JSON: cannot parse JSON: cannot parse object: missing '}'; unparsed tail: ""`)
	f(`{}`, `ID: missing request ID`)
	f(`{"ID":null}`, `ID: missing request ID`)
	f(`{"ID":"delete"}`, `ID: request ID must be a number, got string "delete"`)
	f(`{"ID":-1}`, `ID: number overflows uint32: -1`)
	f(`{"ID":4294967296}`, `ID: number overflows uint32: 4294967296`)
	f(`{"ID":3.0}`, `ID: number is not an integer: 3.0`)
	f(`{"ID":1e2}`, `ID: number is not an integer: 1e2`)
	f(`{"ID":true}`, `ID: expected a number, got true`)
	f(`{"ID":01}`, `ID: invalid number "01"`)
	f(`{"ID":16,"EntryRange":{"First":18446744073709551616}}`, `EntryRange.First: number overflows uint64: 18446744073709551616`)
	f(`{"ID":16,"EntryRange":{"Last":1.5}}`, `EntryRange.Last: number is not an integer: 1.5`)
	f(`{"ID":16,"EntryRange":{"Last":"2"}}`, `EntryRange.Last: expected a number, got string`)
	f(`{"ID":16,"EntryRange":5}`, `EntryRange: expected an object, got number`)
	f(`{"ID":18,"EntryRange":{"StartTS":"2015-01-01T12:01:00.0Z07:00"}}`, `EntryRange.StartTS: not an RFC 3339 time: "2015-01-01T12:01:00.0Z07:00"`)
	f(`{"ID":18,"EntryRange":{"EndTS":1234}}`, `EntryRange.EndTS: not an RFC 3339 time: expected a string, got number`)
	f(`{"ID":2130706436,"Stats":[]}`, `Stats: expected an object, got array`)
	f(`{"ID":2130706436,"Stats":{"SetStart":"2024-02-30T00:00:00Z"}}`, `Stats.SetStart: not an RFC 3339 time: "2024-02-30T00:00:00Z"`)
	f(`{"ID":2130706436,"Stats":{"SetEnd":"yesterday"}}`, `Stats.SetEnd: not an RFC 3339 time: "yesterday"`)
	f(`{"ID":2130706436,"Stats":{"SetCount":9223372036854775808}}`, `Stats.SetCount: number overflows int64: 9223372036854775808`)
	// The first failure is reported; the Addendum is still captured for the error reply.
	if err := p.Parse([]byte(`{"ID":"x","EntryRange":{"First":-1},"Addendum":{"f":1}}`), &req); err == nil ||
		err.Error() != `ID: request ID must be a number, got string "x"` || string(req.Addendum) != `{"f":1}` {
		t.Fatalf("err %v, Addendum %s", err, req.Addendum)
	}
	long := `{"ID":"` + strings.Repeat("a", 200) + `"}`
	if err := p.Parse([]byte(long), &req); err == nil || len(err.Error()) > 120 {
		t.Fatalf("long echo not truncated: %v", err)
	}
	small := RequestParser{MaxSize: 10}
	if err := small.Parse([]byte(`{"ID":1234567}`), &req); err == nil ||
		err.Error() != "request of 14 bytes exceeds RequestParser.MaxSize (10)" {
		t.Fatalf("MaxSize: %v", err)
	}
	// A failure leaves the parser usable.
	if err := p.Parse([]byte(`{"ID":3}`), &req); err != nil || req.ID != 3 || req.Addendum != nil {
		t.Fatalf("after failure: %v %+v", err, req)
	}
}

func TestParseRFC3339(t *testing.T) {
	good := []string{
		"2024-05-01T09:00:00Z", "2024-05-01T09:00:00.000Z", "2024-05-01T09:00:00.1Z",
		"2024-05-01T09:59:58.81619186Z", "2024-05-01T09:59:58.816191861Z",
		"2024-05-01T11:00:00+02:00", "2024-05-01T02:00:00-07:00", "0000-12-31T16:07:02-07:52",
		"0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "2024-02-29T00:00:00Z",
		"2000-02-29T23:59:59+23:59", "1900-03-01T00:00:00-23:59", "1970-01-01T00:00:00Z",
		"1969-12-31T23:59:59.999999999Z", "0001-01-01T00:00:00Z", "2024-05-01T09:00:00.1234567891234Z",
	}
	for _, s := range good {
		sec, nsec, ok := ParseRFC3339(s)
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatalf("bad test input %s: %v", s, err)
		}
		if !ok || sec != want.Unix() || int(nsec) != want.Nanosecond() {
			t.Errorf("ParseRFC3339(%s) = %d, %d, %v; want %d, %d", s, sec, nsec, ok, want.Unix(), want.Nanosecond())
		}
		if _, _, ok := ParseRFC3339([]byte(s)); !ok {
			t.Errorf("ParseRFC3339([]byte %s) failed", s)
		}
	}
	for _, s := range []string{"2024-05-01T09:00:00t", "2024-05-01t09:00:00z"} {
		if _, _, ok := ParseRFC3339(s); !ok != strings.HasSuffix(s, "t") {
			t.Errorf("ParseRFC3339(%s) = %v", s, ok)
		}
	}
	bad := []string{"", "2024-05-01", "2024-05-01T09:00:00", "2024-05-01 09:00:00Z", "2024-05-01T09:00:00.Z",
		"2024-05-01T09:00:60Z", "2024-05-01T24:00:00Z", "2024-05-01T09:60:00Z", "2024-13-01T09:00:00Z",
		"2024-00-01T09:00:00Z", "2023-02-29T09:00:00Z", "2024-04-31T09:00:00Z", "2024-05-01T09:00:00+24:00",
		"2024-05-01T09:00:00+01:60", "2024-05-01T09:00:00+0100", "2024-05-01T09:00:00+01:00Z",
		"2015-01-01T12:01:00.0Z07:00", "+2024-05-01T09:00:00Z", "2024-5-01T09:00:00Z", "２０２４-05-01T09:00:00Z",
		"2024-05-01T09:00:00,5Z", "2024-05-01T9:00:00Z", "2024-05-01T09:00:00ZZ", "2024-05-01T09:00:00 Z"}
	for _, s := range bad {
		if sec, nsec, ok := ParseRFC3339(s); ok {
			t.Errorf("ParseRFC3339(%q) = %d, %d, ok; want failure", s, sec, nsec)
		}
	}
	la, lan, _ := ParseRFC3339("0000-12-31T16:07:02-07:52")
	if !TimeFromUnix(la, lan).IsZero() {
		t.Error("the Los Angeles zero time is not unset")
	}
	d2, d2n, _ := ParseRFC3339("0001-01-02T00:00:00Z")
	if got := TimeFromUnix(d2, d2n); got.IsZero() || got.Year() != 1 {
		t.Errorf("0001-01-02 = %v", got)
	}
}
