package ingest

import (
	"encoding/base64"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// entrySpec is an entry in readable form: TS RFC 3339, tag name, SRC text, Data as a string.
type entrySpec struct {
	TS, Tag, SRC, Data string
}

const testArrival = "2024-05-01T12:00:00Z"

func jsonOpts(s *memSink) JSONOptions {
	return JSONOptions{
		Tagger: s, Tag: "dflt", SRC: netip.MustParseAddr("192.0.2.1"),
		Now: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).UnixNano(),
	}
}

func TestParseJSONEntriesSuccess(t *testing.T) {
	f := func(body string, want ...entrySpec) {
		t.Helper()
		s := newMemSink()
		for range 2 { // twice: the pooled parser is reused
			got, err := ParseJSONEntries([]byte(body), jsonOpts(s))
			if err != nil {
				t.Fatalf("%s: unexpected error: %s", body, err)
			}
			if len(got) != len(want) {
				t.Fatalf("%s: got %d entries, want %d", body, len(got), len(want))
			}
			_, names := s.snapshot()
			for i, e := range got {
				g := entrySpec{time.Unix(0, e.TS).UTC().Format(time.RFC3339Nano), names[e.Tag], "", string(e.Data)}
				if e.SRC.IsValid() {
					g.SRC = e.SRC.String()
				}
				if g != want[i] {
					t.Fatalf("%s: entry %d = %+v, want %+v", body, i, g, want[i])
				}
			}
		}
	}
	b64 := base64.StdEncoding.EncodeToString
	f(`[]`)
	f(` [ ] `)
	f(`[{"TS":"2024-05-01T09:59:58.81619186Z","Tag":"syslog","SRC":"10.0.0.5","Data":"`+b64([]byte("hello"))+`"}]`,
		entrySpec{"2024-05-01T09:59:58.81619186Z", "syslog", "10.0.0.5", "hello"})
	// Case-insensitive keys, defaults, Text, unpadded base64, Enumerated ignored.
	f(`[{"ts":"2024-05-01T09:59:58+02:00","tag":"a","src":"::1","data":"aGk"},{"text":"plain \"text\" \u00e9","Enumerated":[{"Name":"x"}]},{"Text":"","SRC":"","TS":null}]`,
		entrySpec{"2024-05-01T07:59:58Z", "a", "::1", "hi"},
		entrySpec{testArrival, "dflt", "192.0.2.1", `plain "text" é`},
		entrySpec{testArrival, "dflt", "192.0.2.1", ""})
	// Epoch numbers, the zero time, IPv4-mapped addresses, repeated tags.
	f(`[{"TS":1714557598,"Tag":"a","Data":""},{"TS":1714557598816,"Tag":"b","Data":"eA=="},{"TS":"0001-01-01T00:00:00Z","Tag":"a","SRC":"::ffff:10.1.2.3","Data":"eQ=="}]`,
		entrySpec{"2024-05-01T09:59:58Z", "a", "192.0.2.1", ""},
		entrySpec{"2024-05-01T09:59:58.816Z", "b", "192.0.2.1", "x"},
		entrySpec{testArrival, "a", "10.1.2.3", "y"})
	f(`[{"Data":"AAEC/w==","TS":"2024-05-01 09:59:58"}]`, entrySpec{"2024-05-01T09:59:58Z", "dflt", "192.0.2.1", "\x00\x01\x02\xff"})
}

func TestParseJSONEntriesFailure(t *testing.T) {
	f := func(body, wantErr string) {
		t.Helper()
		s := newMemSink()
		opt := jsonOpts(s)
		opt.MaxEntrySize, opt.MaxEntries = 10, 3
		_, err := ParseJSONEntries([]byte(body), opt)
		if err == nil || !strings.HasPrefix(err.Error(), wantErr) {
			t.Fatalf("%s: error %v, want prefix %s", body, err, wantErr)
		}
		var ie *InputError
		var te *EntryTooLargeError
		var me *TooManyEntriesError
		if !errors.As(err, &ie) && !errors.As(err, &te) && !errors.As(err, &me) {
			t.Fatalf("%s: error %T is not an input or limit error", body, err)
		}
		// A refused tag name may leave the tags resolved before it; nothing else creates any.
		if _, names := s.snapshot(); len(names) != 0 && !strings.Contains(wantErr, `"Tag": tag `) {
			t.Fatalf("%s: a failed body created tags %v", body, names)
		}
	}
	f(``, "ingest: malformed JSON: ")
	f(`[{"Data":""}`, "ingest: malformed JSON: ")
	f(`{"Data":""}`, "ingest: body is a JSON object, not an array of entries")
	f(`[{"Data":""},1]`, "ingest: entry 1: entry is a JSON number, not an object")
	f(`[{"Data":"", "Foo":1}]`, `ingest: entry 0: unknown field "Foo" (want TS, Tag, SRC, Data or Text)`)
	f(`[{"Data":"", "data":""}]`, `ingest: entry 0: field "Data": given twice`)
	f(`[{"Data":"", "Text":""}]`, `ingest: entry 0: field "Text": given with Data (give one of them)`)
	f(`[{"Data":""},{"TS":1}]`, `ingest: entry 1: field "Data": missing (give Data in base64 or Text)`)
	f(`[{"Data":null}]`, `ingest: entry 0: field "Data": is null`)
	f(`[{"Data":5}]`, `ingest: entry 0: field "Data": want a string, got JSON number`)
	f(`[{"Data":"not base64!"}]`, `ingest: entry 0: field "Data": invalid base64 (use Text for a plain string): illegal base64 data at input byte 3`)
	f(`[{"Data":"","TS":"yesterday"}]`, `ingest: entry 0: field "TS": cannot parse "yesterday" as an RFC 3339 time`)
	f(`[{"Data":"","TS":"1500-01-01T00:00:00Z"}]`, `ingest: entry 0: field "TS": time "1500-01-01T00:00:00Z" is out of range (1677-09-22 to 2262-04-11)`)
	f(`[{"Data":"","TS":-5}]`, `ingest: entry 0: field "TS": cannot parse "-5" as epoch time`)
	f(`[{"Data":"","TS":1.5e9}]`, `ingest: entry 0: field "TS": cannot parse "1.5e9" as epoch time`)
	f(`[{"Data":"","TS":true}]`, `ingest: entry 0: field "TS": want an RFC 3339 string or an epoch number, got JSON true`)
	f(`[{"Data":"","SRC":"10.0.0.256"}]`, `ingest: entry 0: field "SRC": cannot parse "10.0.0.256" as an IP address`)
	f(`[{"Data":"","SRC":4}]`, `ingest: entry 0: field "SRC": want an IP address string, got JSON number`)
	f(`[{"Data":"","Tag":4}]`, `ingest: entry 0: field "Tag": want a tag name string, got JSON number`)
	f(`[{"Data":"","Tag":"ok"},{"Data":"","Tag":"bad tag"}]`, `ingest: entry 1: field "Tag": tag "bad tag": memsink: invalid tag name "bad tag"`)
	f(`[{"Text":"`+strings.Repeat("x", 11)+`"}]`, "ingest: entry 0: entry is 11 bytes, over the limit MaxEntrySize=10")
	f(`[{"Text":""},{"Text":""},{"Text":""},{"Text":""}]`, "ingest: request holds more than MaxEntries=3 entries")
}

func TestParseJSONEntriesNoDefaultTag(t *testing.T) {
	s := newMemSink()
	opt := jsonOpts(s)
	opt.Tag = ""
	_, err := ParseJSONEntries([]byte(`[{"Tag":"a","Data":""},{"Data":""}]`), opt)
	const want = `ingest: entry 1: field "Tag": missing, and the request names no default tag (tag= query parameter)`
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %s", err, want)
	}
	opt.Tag = "bad tag"
	_, err = ParseJSONEntries([]byte(`[{"Tag":"a","Data":""},{"Data":""}]`), opt)
	const want2 = `ingest: query parameter "tag": tag "bad tag": memsink: invalid tag name "bad tag"`
	if err == nil || err.Error() != want2 {
		t.Fatalf("error %v, want %s", err, want2)
	}
	// An unused bad default tag is not resolved at all.
	if _, err := ParseJSONEntries([]byte(`[{"Tag":"a","Data":""}]`), opt); err != nil {
		t.Fatal(err)
	}
}
