package wire

import (
	"reflect"
	"testing"
	"time"
)

func TestParseSearchRequest(t *testing.T) {
	var p RequestParser
	f := func(in string, want ParseSearchRequest, wantErr string) {
		t.Helper()
		var got ParseSearchRequest
		for pass := 0; pass < 2; pass++ {
			err := p.ParseSearchRequest([]byte(in), &got)
			if (err == nil) != (wantErr == "") || (err != nil && err.Error() != wantErr) {
				t.Fatalf("ParseSearchRequest(%s) error %v, want %q", in, err, wantErr)
			}
			if wantErr == "" && !reflect.DeepEqual(got, want) {
				t.Fatalf("ParseSearchRequest(%s)\n got %+v\nwant %+v", in, got, want)
			}
		}
	}
	f(`{"SearchString":"tag=syslog grep sshd | count","Sequence":7}`,
		ParseSearchRequest{SearchString: "tag=syslog grep sshd | count", Sequence: 7}, "")
	f(`{"searchstring":"tag=a","SEQUENCE":18446744073709551615,"Filters":null}`,
		ParseSearchRequest{SearchString: "tag=a", Sequence: 18446744073709551615}, "")
	f(`{"SearchString":"tag=foo","Filters":[{"Tag":"foo","Module":"json","Path":"Proto","Op":"!=","Value":"udp","args":"-e x","name":"p"},null]}`,
		ParseSearchRequest{SearchString: "tag=foo", Filters: []FilterRequest{
			{Tag: "foo", Module: "json", Args: "-e x", Path: "Proto", Name: "p", Op: "!=", Value: "udp"}, {}}}, "")
	f(`{"SearchString":5}`, ParseSearchRequest{}, "SearchString: expected a string, got number")
	f(`{"SearchString":"x","Sequence":-1}`, ParseSearchRequest{}, "Sequence: number overflows uint64: -1")
	f(`{"SearchString":"x","Filters":{}}`, ParseSearchRequest{}, "Filters: expected an array, got object")
	f(`{"SearchString":"x","Filters":[{"Op":1}]}`, ParseSearchRequest{}, "Filters[0].Op: expected a string, got number")
	f(`[]`, ParseSearchRequest{}, "request is not a JSON object, got array")
}

func TestStartSearchRequest(t *testing.T) {
	var p RequestParser
	f := func(in string, want StartSearchRequest, wantErr string) {
		t.Helper()
		var got StartSearchRequest
		for pass := 0; pass < 2; pass++ {
			err := p.StartSearchRequest([]byte(in), &got)
			if (err == nil) != (wantErr == "") || (err != nil && err.Error() != wantErr) {
				t.Fatalf("StartSearchRequest(%s) error %v, want %q", in, err, wantErr)
			}
			if wantErr == "" && !reflect.DeepEqual(got, want) {
				t.Fatalf("StartSearchRequest(%s)\n got %+v\nwant %+v", in, got, want)
			}
		}
	}
	start := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)
	end := start.Add(time.Hour)
	// The Go client's launch (Appendix A).
	f(`{"SearchString":"tag=syslog grep sshd","SearchStart":"2024-05-01T09:00:00Z","SearchEnd":"2024-05-01T10:00:00Z","Background":false,"Filters":null,"LaunchInfo":{"started":"0001-01-01T00:00:00Z","expires":"0001-01-01T00:00:00Z"},"GIDs":null,"Global":false}`,
		StartSearchRequest{SearchString: "tag=syslog grep sshd", HasSearchString: true, IsLaunch: true, SearchStart: start, SearchEnd: end}, "")
	// The JS client's launch.
	f(`{"SearchString":"tag=syslog","SearchStart":"2024-05-01T11:00:00.000+02:00","SearchEnd":"2024-05-01T10:00:00.000Z","Background":true,"Preview":true,"NoHistory":true,"NonTemporal":true,"Metadata":{"timeframe":{"a":1},"live":false},"Addendum":{"filterID":"search-filter-1"},"Name":"n","GIDs":[1,-2],"Global":true,"FullResolutionStats":true,"LaunchInfo":{"method":"manual","reference":"r","started":"2024-05-01T10:00:02.113Z"}}`,
		StartSearchRequest{SearchString: "tag=syslog", HasSearchString: true, IsLaunch: true, SearchStart: start, SearchEnd: end,
			Background: true, Preview: true, NoHistory: true, NonTemporal: true, Metadata: []byte(`{"timeframe":{"a":1},"live":false}`),
			Addendum: []byte(`{"filterID":"search-filter-1"}`), Name: "n", GIDs: []int32{1, -2}, Global: true, FullResolutionStats: true,
			LaunchInfo: LaunchInfo{Method: "manual", Reference: "r", Started: time.Date(2024, 5, 1, 10, 0, 2, 113e6, time.UTC)}}, "")
	// Preview with null times.
	f(`{"SearchString":"tag=a","SearchStart":null,"SearchEnd":null,"Preview":true}`,
		StartSearchRequest{SearchString: "tag=a", HasSearchString: true, IsLaunch: true, Preview: true}, "")
	// Acknowledgements: OK (JS), Ok (Go), any case.
	f(`{"OK":true,"OutputSearchSubproto":"search3"}`, StartSearchRequest{OK: true, HasOK: true, IsAck: true, OutputSearchSubproto: "search3"}, "")
	f(`{"Ok":false,"OutputSearchSubproto":"search1","OutputStatsSubproto":"x"}`, StartSearchRequest{HasOK: true, IsAck: true, OutputSearchSubproto: "search1"}, "")
	f(`{"ok":true,"outputsearchsubproto":"s"}`, StartSearchRequest{OK: true, HasOK: true, IsAck: true, OutputSearchSubproto: "s"}, "")
	f(`{"SearchString":"x","SearchStart":"2015-01-01T12:01:00.0Z07:00"}`, StartSearchRequest{}, `SearchStart: not an RFC 3339 time: "2015-01-01T12:01:00.0Z07:00"`)
	f(`{"SearchString":"x","SearchEnd":7}`, StartSearchRequest{}, `SearchEnd: not an RFC 3339 time: expected a string, got number`)
	f(`{"SearchString":"x","Background":"yes"}`, StartSearchRequest{}, `Background: expected a bool, got string`)
	f(`{"SearchString":"x","GIDs":[2147483648]}`, StartSearchRequest{}, `GIDs[0]: number overflows int32: 2147483648`)
	f(`{"SearchString":"x","LaunchInfo":{"started":"never"}}`, StartSearchRequest{}, `LaunchInfo.started: not an RFC 3339 time: "never"`)
	var r StartSearchRequest
	_ = p.StartSearchRequest([]byte(`{"SearchString":"x"}`), &r)
	if !r.IsLaunch || r.IsAck {
		t.Error("launch not recognised")
	}
	_ = p.StartSearchRequest([]byte(`{"OK":true}`), &r)
	if r.IsLaunch || !r.IsAck {
		t.Error("ack not recognised")
	}
	if r, err := ParseStartSearchRequest([]byte(`{"Ok":false,"OutputSearchSubproto":"search2"}`)); err != nil || !r.IsAck || r.OK || r.OutputSearchSubproto != "search2" {
		t.Errorf("ParseStartSearchRequest: %+v %v", r, err)
	}
	if r, err := ParseParseSearchRequest([]byte(`{"SearchString":"tag=a","Sequence":3}`)); err != nil || r.Sequence != 3 {
		t.Errorf("ParseParseSearchRequest: %+v %v", r, err)
	}
	if id, err := ParseAttachSearchRequest([]byte(`{"ID":"42"}`)); err != nil || id != "42" {
		t.Errorf("ParseAttachSearchRequest: %q %v", id, err)
	}
}

func TestAttachSearchRequest(t *testing.T) {
	var p RequestParser
	f := func(in, want, wantErr string) {
		t.Helper()
		var got AttachSearchRequest
		err := p.AttachSearchRequest([]byte(in), &got)
		if (err == nil) != (wantErr == "") || (err != nil && err.Error() != wantErr) || got.ID != want {
			t.Fatalf("AttachSearchRequest(%s) = %q, %v; want %q, %q", in, got.ID, err, want, wantErr)
		}
	}
	f(`{"ID":"2290834411"}`, "2290834411", "")
	f(`{"id":"004081950"}`, "004081950", "")
	f(`{"ID":2290834411}`, "2290834411", "")
	f(`{"ID":""}`, "", "ID: missing search ID")
	f(`{}`, "", "ID: missing search ID")
	f(`{"ID":1.5}`, "", "ID: number is not an integer: 1.5")
	f(`{"ID":[1]}`, "", "ID: expected a string, got array")
}
