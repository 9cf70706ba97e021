package wire

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// canonicalRequest re-encodes a decoded request as JSON.
func canonicalRequest(r *Request) []byte {
	b := []byte(`{"ID":`)
	b = strconv.AppendUint(b, uint64(r.ID), 10)
	if r.HasEntryRange {
		b = append(b, `,"EntryRange":`...)
		b = AppendEntryRange(b, &r.EntryRange)
	}
	if r.HasStats {
		b = append(b, `,"Stats":{"SetCount":`...)
		b = strconv.AppendInt(b, r.Stats.SetCount, 10)
		b = append(b, `,"SetStart":`...)
		b = AppendTimestamp(b, r.Stats.SetStart, r.Stats.HasSetStart)
		b = append(b, `,"SetEnd":`...)
		b = AppendTimestamp(b, r.Stats.SetEnd, r.Stats.HasSetEnd)
		b = append(b, '}')
	}
	if r.Addendum != nil {
		b = append(b, `,"Addendum":`...)
		b = append(b, r.Addendum...)
	}
	return append(b, '}')
}

func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{`{"ID":3}`, `{"id":16,"EntryRange":{"First":0,"Last":2}}`, `{"ID":"delete"}`,
		`{"ID":18,"Addendum":{"filterID":"f"},"EntryRange":{"First":0,"Last":100,"StartTS":"2024-05-01T09:00:00.000Z","EndTS":"2024-05-01T10:00:00.000+02:00"}}`,
		`{"ID":2130706436,"Stats":{"SetCount":90,"SetStart":"2016-01-01T00:00:00Z","SetEnd":"2016-01-02T00:00:00Z"}}`,
		`{"ID":16,"EntryRange":{"StartTS":"0000-12-31T16:07:02-07:52"}}`, `[]`, `{"ID":1e3}`, `{"Addendum":[1,"\u2028"]}`, `{`} {
		f.Add([]byte(s))
	}
	var p RequestParser
	var r1, r2, r3 Request
	f.Fuzz(func(t *testing.T, in []byte) {
		err1 := p.Parse(in, &r1)
		err2 := p.Parse(in, &r2)
		if (err1 == nil) != (err2 == nil) || (err1 != nil && err1.Error() != err2.Error()) {
			t.Fatalf("errors differ: %v / %v", err1, err2)
		}
		a, b := r1, r2
		a.buf, b.buf, a.Err, b.Err = nil, nil, nil, nil
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("reparse differs:\n%+v\n%+v", a, b)
		}
		if err1 != nil {
			return
		}
		// A decoded request re-encodes to a request that decodes to the same value.
		canon := canonicalRequest(&r1)
		if err := p.Parse(canon, &r3); err != nil {
			t.Fatalf("canonical %s: %v", canon, err)
		}
		c := r3
		c.buf, c.Err = nil, nil
		if string(c.Addendum) != string(a.Addendum) {
			t.Fatalf("Addendum %s -> %s", a.Addendum, c.Addendum)
		}
		c.Addendum, a.Addendum = nil, nil
		// Clamped or unset times re-encode as the zero time or their clamped instant.
		if !reflect.DeepEqual(a, c) {
			t.Fatalf("round trip of %s via %s:\n%+v\n%+v", in, canon, a, c)
		}
	})
}

func FuzzParseRFC3339(f *testing.F) {
	for _, s := range []string{"2024-05-01T09:00:00Z", "2024-05-01T09:00:00.000+02:00", "0000-12-31T16:07:02-07:52",
		"9999-12-31T23:59:59.999999999Z", "2024-02-29T00:00:00t", "2015-01-01T12:01:00.0Z07:00", "2024-05-01T09:00:00.1234567891z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sec, nsec, ok := ParseRFC3339(s)
		if !ok {
			return
		}
		if nsec < 0 || nsec >= 1e9 {
			t.Fatalf("nsec %d", nsec)
		}
		// Whatever we accept, Go's time package accepts with the same meaning (after upper-casing
		// the 't'/'z' RFC 3339 allows).
		up := strings.Map(func(r rune) rune {
			if r == 't' || r == 'z' {
				return r - 32
			}
			return r
		}, s)
		want, err := time.Parse(time.RFC3339Nano, up)
		if err != nil {
			t.Fatalf("we accept %q, time.Parse does not: %v", s, err)
		}
		if want.Unix() != sec || want.Nanosecond() != int(nsec) {
			t.Fatalf("%q: %d.%09d, time.Parse %d.%09d", s, sec, nsec, want.Unix(), want.Nanosecond())
		}
	})
}

func FuzzStartSearchRequest(f *testing.F) {
	for _, s := range []string{`{"SearchString":"tag=a","SearchStart":"2024-05-01T09:00:00Z","SearchEnd":"2024-05-01T10:00:00Z","Filters":[{"Tag":"a"}],"GIDs":[1],"LaunchInfo":{"started":"2024-05-01T10:00:02.113Z"},"Metadata":{"a":[1]}}`,
		`{"OK":true,"OutputSearchSubproto":"search1"}`, `{"SearchString":"x","Sequence":7}`, `{"ID":"123"}`} {
		f.Add([]byte(s))
	}
	var p RequestParser
	f.Fuzz(func(t *testing.T, in []byte) {
		var s StartSearchRequest
		var ps ParseSearchRequest
		var a AttachSearchRequest
		_ = p.StartSearchRequest(in, &s)
		_ = p.ParseSearchRequest(in, &ps)
		_ = p.AttachSearchRequest(in, &a)
		for _, raw := range [][]byte{s.Metadata, s.Addendum} {
			if raw != nil && !jsonValid(raw) {
				t.Fatalf("raw field %s is not valid JSON", raw)
			}
		}
	})
}
