package wire

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

func TestParseSubsSuccess(t *testing.T) {
	var p fastjson.Parser
	var dst []string
	f := func(in string, want ...string) {
		t.Helper()
		for i := 0; i < 2; i++ {
			var err error
			dst, err = ParseSubs(&p, []byte(in), dst[:0])
			if err != nil {
				t.Fatalf("ParseSubs(%q): %v", in, err)
			}
			if !reflect.DeepEqual(dst, want) {
				t.Fatalf("ParseSubs(%q) = %q, want %q", in, dst, want)
			}
		}
	}
	f(`{"Subs":["PONG","parse","search","attach"]}`, "PONG", "parse", "search", "attach")
	f(`{"subs":["attach","PONG"]}`, "attach", "PONG")
	f(` {"SUBS" : ["ping","ping","sysDesc","ping"], "x": 1} `, "ping", "sysDesc")
	f(`{"subs":["lower"],"Subs":["exact"]}`, "exact")
	f(`{"Subs":["a\u0062","ab"]}`, "ab")
	f(`{"Subs":[""]}`, "")
	long := `{"Subs":[` + strings.Repeat(`"x","y",`, 20) + `"z"]}`
	f(long, "x", "y", "z")
}

func TestParseSubsAppends(t *testing.T) {
	var p fastjson.Parser
	dst, err := ParseSubs(&p, []byte(`{"Subs":["a","keep"]}`), []string{"keep"})
	if err != nil || !reflect.DeepEqual(dst, []string{"keep", "a", "keep"}) {
		t.Fatalf("got %q, %v", dst, err)
	}
}

func TestParseSubsFailure(t *testing.T) {
	var p fastjson.Parser
	f := func(in, wantReason string) {
		t.Helper()
		dst, err := ParseSubs(&p, []byte(in), nil)
		se, ok := err.(*SubsError)
		if !ok || se.Reason != wantReason {
			t.Fatalf("ParseSubs(%q) error = %v, want reason %q", in, err, wantReason)
		}
		if len(dst) != 0 {
			t.Fatalf("ParseSubs(%q) returned names %q on failure", in, dst)
		}
		if !strings.HasPrefix(err.Error(), "wire: cannot parse Subs: ") {
			t.Fatalf("error %q lacks package prefix", err)
		}
	}
	f(`not json`, "invalid JSON")
	f(`{"Subs":["a"]`, "invalid JSON")
	f(`["Subs"]`, "not a JSON object")
	f(`{}`, `missing "Subs"`)
	f(`{"Subs":null}`, `missing "Subs"`)
	f(`{"Sub":["a"]}`, `missing "Subs"`)
	f(`{"Subs":"PONG"}`, `"Subs" is not an array`)
	f(`{"Subs":[]}`, `"Subs" is empty`)
	f(`{"Subs":["a",1]}`, `"Subs" element 1 is not a string`)
	f(`{"Subs":[null]}`, `"Subs" element 0 is not a string`)
}

func TestSubsReplies(t *testing.T) {
	f := func(got []byte, want string) {
		t.Helper()
		if string(got) != want || !json.Valid(got) {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	f(AppendSubsACK(nil), `{"Resp":"ACK"}`)
	f(AppendSubsError(nil), `{"Resp":"ERROR"}`)
	f(AppendSubsACK([]byte("x"))[1:], `{"Resp":"ACK"}`)
}

func FuzzParseSubs(f *testing.F) {
	for _, s := range []string{
		`{"Subs":["PONG","parse","search","attach"]}`, `{"subs":["a","a"]}`, `{"Subs":[]}`,
		`{"Subs":[1]}`, `{"Subs":"x"}`, `[]`, `{`, `{"Subs":["\u00e9\ud83d\ude00"]}`,
	} {
		f.Add([]byte(s))
	}
	var p fastjson.Parser
	var dst []string
	f.Fuzz(func(t *testing.T, in []byte) {
		var err error
		dst, err = ParseSubs(&p, in, dst[:0])
		if err != nil {
			if len(dst) != 0 {
				t.Fatalf("names returned on error")
			}
			return
		}
		if len(dst) == 0 {
			t.Fatalf("success with no names for %q", in)
		}
		seen := map[string]bool{}
		for _, n := range dst {
			if seen[n] {
				t.Fatalf("duplicate %q in %q", n, dst)
			}
			seen[n] = true
		}
		for _, n := range dst {
			if !utf8.ValidString(n) {
				return // AppendString would replace the invalid bytes with U+FFFD
			}
		}
		// Re-encode and re-parse: same names back.
		b := []byte(`{"Subs":[`)
		for i, n := range dst {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendString(b, n)
		}
		b = append(b, "]}"...)
		again, err := ParseSubs(&p, b, nil)
		if err != nil || !reflect.DeepEqual(again, dst) {
			t.Fatalf("re-parse of %q: %q, %v; want %q", b, again, err, dst)
		}
	})
}
