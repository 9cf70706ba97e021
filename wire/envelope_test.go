package wire

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEnvelopeParseSuccess(t *testing.T) {
	var ep EnvelopeParser
	var env Envelope
	f := func(in, wantType, wantData string) {
		t.Helper()
		// Parse twice into the same parser and envelope: reuse must not leak state.
		for i := 0; i < 2; i++ {
			if err := ep.Parse([]byte(in), &env); err != nil {
				t.Fatalf("Parse(%q): %v", in, err)
			}
			if string(env.Type) != wantType || string(env.Data) != wantData {
				t.Fatalf("Parse(%q) = (%q, %q), want (%q, %q)", in, env.Type, env.Data, wantType, wantData)
			}
		}
	}
	f(`{"type":"PONG","data":{}}`, "PONG", `{}`)
	f(` {"type" : "search" , "data" : {"ID": 16, "EntryRange": {"First":0,"Last":10}} } `, "search", `{"ID":16,"EntryRange":{"First":0,"Last":10}}`)
	f(`{"TYPE":"a","DATA":[1,2]}`, "a", `[1,2]`)
	f(`{"Type":"wrong","type":"right","data":1}`, "right", `1`)
	f(`{"data":"x\u00e9\n","type":"s\u0031"}`, "s1", `"x\u00e9\n"`)
	f(`{"type":"nodata"}`, "nodata", `null`)
	f(`{"type":"n","data":null}`, "n", `null`)
	f(`{"type":"","data":true,"extra":{"a":[]}}`, "", `true`)
	f(`{"type":"u","data":"\u2028 é"}`, "u", `"\u2028 é"`)
}

func TestEnvelopeParseFailure(t *testing.T) {
	var ep EnvelopeParser
	var env Envelope
	f := func(in, wantReason string) {
		t.Helper()
		err := ep.Parse([]byte(in), &env)
		if err == nil {
			t.Fatalf("Parse(%q) succeeded, want error %q", in, wantReason)
		}
		ee, ok := err.(*EnvelopeError)
		if !ok || ee.Reason != wantReason {
			t.Fatalf("Parse(%q) error = %v, want reason %q", in, err, wantReason)
		}
		if !strings.HasPrefix(err.Error(), "wire: cannot parse envelope: ") {
			t.Fatalf("error %q lacks package prefix", err)
		}
		if env.Type != nil || env.Data != nil {
			t.Fatalf("Parse(%q) left envelope set on failure", in)
		}
	}
	f(``, "invalid JSON")
	f(`{"type":"a","data":}`, "invalid JSON")
	f(`{"type":"a"} x`, "invalid JSON")
	f(`[1]`, "not a JSON object")
	f(`"type"`, "not a JSON object")
	f(`{"data":{}}`, `missing "type"`)
	f(`{"type":1,"data":{}}`, `"type" is not a string`)
	f(`{"type":null,"data":{}}`, `"type" is not a string`)
}

func TestEnvelopeErrorTruncates(t *testing.T) {
	var ep EnvelopeParser
	var env Envelope
	in := "[" + strings.Repeat("1,", 1000) + "1]"
	err := ep.Parse([]byte(in), &env)
	if err == nil || len(err.Error()) > 200 {
		t.Fatalf("error not truncated: %v", err)
	}
}

func FuzzParseEnvelope(f *testing.F) {
	for _, s := range []string{
		`{"type":"PONG","data":{}}`,
		`{"TYPE":"a","Data":[1,"x",null,{"k":1.5e3}]}`,
		`{"type":"s\u0031","data":"\ud83d\ude00"}`,
		`{"type":"a"}`, `[]`, `{`, `{"type":1}`, "{\"type\":\"\xff\",\"data\":\"\xfe\"}",
	} {
		f.Add([]byte(s))
	}
	var ep EnvelopeParser
	f.Fuzz(func(t *testing.T, in []byte) {
		var env Envelope
		err := ep.Parse(in, &env)
		var ref struct {
			Type *string         `json:"type"`
			Data json.RawMessage `json:"data"`
		}
		refErr := json.Unmarshal(in, &ref)
		if err != nil {
			return
		}
		if !json.Valid(env.Data) {
			// fastjson accepts some inputs encoding/json rejects (invalid UTF-8 is passed
			// through); the data must at least re-parse with our own parser.
			var ep2 EnvelopeParser
			var e2 Envelope
			if ep2.Parse(append([]byte(`{"type":"x","data":`), append(env.Data, '}')...), &e2) != nil {
				t.Fatalf("data %q does not re-parse", env.Data)
			}
		}
		if refErr == nil && ref.Type != nil && json.Valid(in) && utf8.Valid(in) {
			// Same type as encoding/json, and data that means the same thing.
			if *ref.Type != string(env.Type) && !strings.Contains(string(in), `\u0000`) {
				// encoding/json picks the last duplicate key, fastjson the first: only compare
				// when the input has a single "type" key.
				if strings.Count(strings.ToLower(string(in)), `"type"`) == 1 {
					t.Fatalf("type %q, encoding/json says %q", env.Type, *ref.Type)
				}
			}
		}
		// Re-parse the data wrapped in a fresh envelope: same bytes back.
		wrapped := append(append([]byte(`{"type":"x","data":`), env.Data...), '}')
		var ep2 EnvelopeParser
		var e2 Envelope
		if err := ep2.Parse(wrapped, &e2); err != nil {
			t.Fatalf("re-parse %q: %v", wrapped, err)
		}
		if string(e2.Data) != string(env.Data) {
			t.Fatalf("re-parse changed data: %q -> %q", env.Data, e2.Data)
		}
	})
}
