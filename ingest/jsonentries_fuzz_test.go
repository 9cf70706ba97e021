package ingest

import (
	"bytes"
	"testing"

	"github.com/sluicehq/sluice/wire"
)

func FuzzParseJSONEntries(f *testing.F) {
	for _, s := range []string{
		`[{"TS":"2024-05-01T09:59:58.81619186Z","Tag":"syslog","SRC":"10.0.0.5","Data":"aGVsbG8="}]`,
		`[{"ts":1714557598816,"tag":"a","src":"::1","text":"x\u00e9\n"},{"Data":"","Enumerated":[]}]`,
		`[{"TS":null,"SRC":"","Data":"AAEC/w"}]`,
		`[]`, `[1]`, `{}`, `[{"Data":"", "Data":""}]`, `[{"TS":"0001-01-01T00:00:00Z","Text":"z"}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s := newMemSink()
		opt := jsonOpts(s)
		entries, err := ParseJSONEntries(body, opt)
		if err != nil {
			return
		}
		_, names := s.snapshot()
		// Re-encode in the canonical form and parse again: the same entries must come back.
		var b []byte
		b = append(b, '[')
		for i, e := range entries {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"TS":`...)
			b = wire.AppendUnixNano(b, e.TS)
			b = append(b, `,"Tag":`...)
			b = wire.AppendString(b, names[e.Tag])
			b = append(b, `,"SRC":`...)
			b = wire.AppendString(b, e.SRC.String())
			b = append(b, `,"Data":`...)
			b = wire.AppendBase64(b, e.Data)
			b = append(b, '}')
		}
		b = append(b, ']')
		again, err := ParseJSONEntries(b, opt)
		if err != nil {
			t.Fatalf("re-parse of %s: %s", b, err)
		}
		if len(again) != len(entries) {
			t.Fatalf("re-parse gave %d entries, want %d", len(again), len(entries))
		}
		for i := range entries {
			a, e := again[i], entries[i]
			if a.TS != e.TS || a.SRC != e.SRC || a.Tag != e.Tag || !bytes.Equal(a.Data, e.Data) {
				t.Fatalf("entry %d: re-parse gave %+v, want %+v", i, a, e)
			}
		}
	})
}
