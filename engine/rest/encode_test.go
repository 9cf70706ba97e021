package rest

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine/render"
	"github.com/sluicehq/sluice/wire"
)

// fragment returns the stored form of e, as the render store writes it.
func fragment(e *wire.Entry, tag uint16) []byte {
	var enc wire.EntryEncoder
	return enc.AppendSearchEntry(nil, e, tag)
}

// testEntries covers the byte ranges encoders get wrong: control bytes, quotes, commas, CR/LF,
// U+2028, invalid UTF-8, empty and nil data, IPv6 and no source, enumerated values.
func testEntries() []wire.Entry {
	ts := time.Date(2024, 5, 1, 9, 0, 0, 123456789, time.UTC).UnixNano()
	return []wire.Entry{
		{TS: ts, SRC: netip.MustParseAddr("10.0.0.1"), Data: []byte("plain line")},
		{TS: ts + 1, SRC: netip.MustParseAddr("2001:db8::1"), Data: []byte("comma, \"quote\"\r\nnext\x00\x01\u2028end")},
		{TS: ts + 2, Data: []byte{0xff, 0xfe, 'x'}},
		{TS: ts + 3, Data: []byte{}},
		{TS: ts + 4, Data: nil},
		{TS: ts + 5, Data: []byte(" leading space"), EVs: []wire.EV{{Name: "n", Value: wire.IntValue(-7)},
			{Name: "s,\"", Value: wire.StringValue([]byte("v\n"))}}},
	}
}

func TestSplitEntrySuccess(t *testing.T) {
	for i, e := range testEntries() {
		f := fragment(&e, uint16(i*300))
		var p entryParts
		if err := splitEntry(f, &p); err != nil {
			t.Fatalf("entry %d %s: %v", i, f, err)
		}
		// Parse twice into the same parts: nothing left over from the first.
		if err := splitEntry(f, &p); err != nil {
			t.Fatal(err)
		}
		var want struct {
			TS         time.Time
			SRC        string
			Tag        int
			Data       []byte
			Enumerated json.RawMessage
		}
		if err := json.Unmarshal(f, &want); err != nil {
			t.Fatal(err)
		}
		ts, err := time.Parse(time.RFC3339Nano, string(p.ts))
		if err != nil || !ts.Equal(want.TS) || string(p.src) != want.SRC || string(f[p.tagStart:p.tagEnd]) != strconv.Itoa(want.Tag) ||
			!bytes.Equal(p.enumerated, want.Enumerated) {
			t.Fatalf("entry %d: parts %q %q %q %q", i, p.ts, p.src, f[p.tagStart:p.tagEnd], p.enumerated)
		}
		data, err := appendData(nil, &p)
		if err != nil || !bytes.Equal(data, want.Data) || (p.data == nil) != (e.Data == nil) {
			t.Fatalf("entry %d: data %q, want %q (%v)", i, data, want.Data, err)
		}
	}
}

func TestSplitEntryFailure(t *testing.T) {
	f := func(in string) {
		t.Helper()
		var p entryParts
		if err := splitEntry([]byte(in), &p); err == nil {
			t.Fatalf("splitEntry(%q): no error", in)
		}
	}
	f(``)
	f(`{}`)
	f(`{"TS":"x"}`)
	f(`{"TS":"x","SRC":"","Tag":1}`)
	f(`{"TS":"x","SRC":"","Tag":1,"Data":"abc`)
	f(`{"TS":"x","SRC":"","Tag":1,"Data":"YQ==","Enumerated":[]`)
	f(`{"TS":"x","SRC":"","Tag":1,"Data":"YQ==","Other":[]}`)
}

// record returns the Record Read would hand out for e.
func record(e *wire.Entry, tag string) *render.Record {
	return &render.Record{TS: e.TS, Tag: tag, JSON: fragment(e, 3)}
}

// TestEncoderFormats checks each entry format against an independent decoder: encoding/json
// for json and archive, encoding/csv for csv.
func TestEncoderFormats(t *testing.T) {
	entries := testEntries()
	for _, format := range []string{"json", "archive", "csv", "text"} {
		enc := &encoder{format: format}
		out := enc.head(nil, "text")
		for i := range entries {
			var err error
			if out, err = enc.entry(out, record(&entries[i], "tag,\"x\"")); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
		}
		switch format {
		case "json", "archive":
			lines := bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n"))
			if len(lines) != len(entries) {
				t.Fatalf("%s: %d lines", format, len(lines))
			}
			for i, l := range lines {
				var got struct {
					TS         time.Time
					SRC        string
					Tag        string
					Data       []byte
					Enumerated []struct{ Name, ValueStr string }
				}
				if err := json.Unmarshal(l, &got); err != nil || !json.Valid(l) {
					t.Fatalf("%s line %q: %v", format, l, err)
				}
				e := entries[i]
				src := ""
				if e.SRC.IsValid() {
					src = e.SRC.String()
				}
				if got.TS.UnixNano() != e.TS || got.SRC != src || got.Tag != "tag,\"x\"" || !bytes.Equal(got.Data, e.Data) {
					t.Fatalf("%s line %d: %+v", format, i, got)
				}
				if hasEnum := bytes.Contains(l, []byte(`"Enumerated"`)); hasEnum != (format == "json") {
					t.Fatalf("%s line %d: Enumerated present %v", format, i, hasEnum)
				}
				if format == "json" && len(e.EVs) != len(got.Enumerated) {
					t.Fatalf("json line %d: %d enumerated values", i, len(got.Enumerated))
				}
			}
		case "csv":
			rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
			if err != nil || len(rows) != len(entries)+1 {
				t.Fatalf("csv: %d rows %v\n%s", len(rows), err, out)
			}
			for i, r := range rows[1:] {
				if r[2] != "tag,\"x\"" || r[3] != string(bytes.ReplaceAll(entries[i].Data, []byte("\r\n"), []byte("\n"))) {
					t.Fatalf("csv row %d: %q", i, r)
				}
			}
		case "text":
			if !bytes.HasPrefix(out, []byte("plain line\ncomma")) || !bytes.Contains(out, []byte{0xff, 0xfe, 'x', '\n'}) {
				t.Fatalf("text: %q", out)
			}
		}
	}
}

func TestAppendCSVField(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := string(appendCSVField(nil, []byte(in))); got != want {
			t.Fatalf("appendCSVField(%q) = %q, want %q", in, got, want)
		}
	}
	f(``, ``)
	f(`a`, `a`)
	f(`a,b`, `"a,b"`)
	f(`say "hi"`, `"say ""hi"""`)
	f("line\nbreak", "\"line\nbreak\"")
	f("cr\r", "\"cr\r\"")
	f(` lead`, `" lead"`)
	f("\u2028\xff", "\u2028\xff")
}

func TestEncoderTableRow(t *testing.T) {
	rec := &render.Record{TS: time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC).UnixNano(), JSON: []byte(`{"TS":"2024-05-01T09:00:00Z","Row":["a,b","\u0001"]}`), Cells: 2}
	enc := &encoder{format: "csv", cols: []string{"x", "y", "late"}}
	out := enc.head(nil, "table")
	out, err := enc.entry(out, rec)
	if err != nil || string(out) != "x,y,late\r\n\"a,b\",\x01,\r\n" {
		t.Fatalf("table csv: %q %v", out, err)
	}
	enc.format = "json"
	out, err = enc.entry(nil, rec)
	var got struct{ Row map[string]string }
	if err != nil || json.Unmarshal(out, &got) != nil || got.Row["x"] != "a,b" || got.Row["y"] != "\x01" || got.Row["late"] != "" {
		t.Fatalf("table json: %q %v", out, err)
	}
}

// FuzzSplitEntry feeds arbitrary entries through the store's encoder and splitEntry: every
// fragment splits, the parts agree with encoding/json, and the json and archive lines are valid
// JSON that decode to the same entry.
func FuzzSplitEntry(f *testing.F) {
	f.Add(int64(0), []byte("hello"), "10.1.2.3", "n", []byte("v"))
	f.Add(int64(-1), []byte{0, 0xff, '"', '\\'}, "", "", []byte{})
	f.Add(int64(1<<62), []byte("\u2028"), "::1", "\x00", []byte("\xff"))
	f.Fuzz(func(t *testing.T, ts int64, data []byte, src, evName string, evVal []byte) {
		e := wire.Entry{TS: ts, Data: data}
		if a, err := netip.ParseAddr(src); err == nil {
			e.SRC = a
		}
		if evName != "" {
			e.EVs = []wire.EV{{Name: evName, Value: wire.BytesValue(evVal)}}
		}
		rec := record(&e, "t")
		var p entryParts
		if err := splitEntry(rec.JSON, &p); err != nil {
			t.Fatalf("%s: %v", rec.JSON, err)
		}
		d, err := appendData(nil, &p)
		if err != nil || !bytes.Equal(d, data) {
			t.Fatalf("data %q, want %q (%v)", d, data, err)
		}
		for _, format := range []string{"json", "archive"} {
			enc := &encoder{format: format}
			out, err := enc.entry(nil, rec)
			if err != nil || !json.Valid(out) {
				t.Fatalf("%s: %q %v", format, out, err)
			}
			var got struct {
				Tag  string
				Data string
			}
			if err := json.Unmarshal(out, &got); err != nil || got.Tag != "t" || got.Data != base64.StdEncoding.EncodeToString(data) {
				t.Fatalf("%s: %q", format, out)
			}
		}
	})
}
