package extract

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestParseJSONPathSuccess(t *testing.T) {
	f := func(in, name string, want []pathElem) {
		t.Helper()
		p, err := ParseJSONPath(in)
		if err != nil {
			t.Fatalf("ParseJSONPath(%q): %v", in, err)
		}
		if p.Name() != name || p.String() != in {
			t.Fatalf("ParseJSONPath(%q): name %q text %q, want %q", in, p.Name(), p.String(), name)
		}
		if len(p.elems) != len(want) {
			t.Fatalf("ParseJSONPath(%q) = %+v, want %+v", in, p.elems, want)
		}
		for i := range want {
			if p.elems[i] != want[i] {
				t.Fatalf("ParseJSONPath(%q) = %+v, want %+v", in, p.elems, want)
			}
		}
	}
	k := func(s string) pathElem { return pathElem{key: s, index: -1} }
	ix := func(n int) pathElem { return pathElem{index: n} }
	f("a", "a", []pathElem{k("a")})
	f("a.b.c", "c", []pathElem{k("a"), k("b"), k("c")})
	f("groups.[0]", "[0]", []pathElem{k("groups"), ix(0)})
	f("groups[12]", "[12]", []pathElem{k("groups"), ix(12)})
	f("Metadata.[0].Value", "Value", []pathElem{k("Metadata"), ix(0), k("Value")})
	f(`"subfield.op"`, "subfield.op", []pathElem{k("subfield.op")})
	f(`fields."search-id"`, "search-id", []pathElem{k("fields"), k("search-id")})
	f(`"a\"b"`, `a"b`, []pathElem{k(`a"b`)})
	f("[1][2]", "[2]", []pathElem{ix(1), ix(2)})
}

func TestParseJSONPathFailure(t *testing.T) {
	f := func(in string) {
		t.Helper()
		if p, err := ParseJSONPath(in); err == nil {
			t.Fatalf("ParseJSONPath(%q) = %+v, want error", in, p.elems)
		}
	}
	f("")
	f(".a")
	f("a.")
	f("a..b")
	f("a.[")
	f("a.[]")
	f("a.[x]")
	f("a.[-1]")
	f(`"abc`)
	f(`"a"b`)
}

func TestLookupJSON(t *testing.T) {
	doc := []byte(` {"status": 404, "dur": 1.5, "big": 18446744073709551616, "ok": true, "no": false, "nil": null,
		"method": "GET", "path": "/a\"b\u00e9\ud83d\ude00", "ip": "10.0.0.5",
		"nested": {"a": {"b": [1, {"c": "deep"}, [7, 8]]}}, "groups": [17, 3], "e\u0073c": "key escaped",
		"subfield.op": "stuff", "fields": {"search-id": 1234}} `)
	f := func(path string, kind JSONKind, want string) {
		t.Helper()
		p, err := ParseJSONPath(path)
		if err != nil {
			t.Fatal(err)
		}
		v, _, ok := LookupJSON(doc, &p, nil)
		if kind == JSONInvalid {
			if ok {
				t.Fatalf("LookupJSON(%q) = %+v, want not found", path, v)
			}
			return
		}
		if !ok || v.Kind != kind {
			t.Fatalf("LookupJSON(%q) = %+v, %v; want kind %d", path, v, ok, kind)
		}
		var got string
		switch kind {
		case JSONInt:
			got = strconv.FormatInt(v.Int, 10)
		case JSONFloat:
			got = strconv.FormatFloat(v.Float, 'g', -1, 64)
		case JSONBool:
			got = strconv.FormatBool(v.Bool)
		default:
			got = string(v.Bytes)
		}
		if got != want {
			t.Fatalf("LookupJSON(%q) = %q, want %q", path, got, want)
		}
	}
	f("status", JSONInt, "404")
	f("dur", JSONFloat, "1.5")
	f("big", JSONFloat, "1.8446744073709552e+19")
	f("ok", JSONBool, "true")
	f("no", JSONBool, "false")
	f("nil", JSONNull, "null")
	f("method", JSONString, "GET")
	f("path", JSONString, "/a\"bé😀")
	f("ip", JSONString, "10.0.0.5")
	f("nested.a.b.[1].c", JSONString, "deep")
	f("nested.a.b.[2].[1]", JSONInt, "8")
	f("nested.a", JSONObject, `{"b": [1, {"c": "deep"}, [7, 8]]}`)
	f("nested.a.b", JSONArray, `[1, {"c": "deep"}, [7, 8]]`)
	f("groups.[0]", JSONInt, "17")
	f("groups[1]", JSONInt, "3")
	f("esc", JSONString, "key escaped")
	f(`"subfield.op"`, JSONString, "stuff")
	f(`fields."search-id"`, JSONInt, "1234")
	f("groups.[2]", JSONInvalid, "")
	f("missing", JSONInvalid, "")
	f("status.x", JSONInvalid, "")
	f("groups.x", JSONInvalid, "")
	f("method.[0]", JSONInvalid, "")
}

func TestLookupJSONMalformed(t *testing.T) {
	p, _ := ParseJSONPath("a.b")
	for _, doc := range []string{``, `{`, `{"a":`, `{"a":{"b"}}`, `{"a" 1}`, `[1,2]`, `{"a":{"b":"x}}`, `{"a":{"b":tru}}`, `{"a":{"b":[}}`} {
		if v, _, ok := LookupJSON([]byte(doc), &p, nil); ok {
			t.Fatalf("LookupJSON(%q) = %+v, want not found", doc, v)
		}
	}
}

// TestLookupJSONAfterTarget: what follows the value looked up is not read, so damage there does
// not hide it (a document is read only as far as the path leads).
func TestLookupJSONAfterTarget(t *testing.T) {
	p, _ := ParseJSONPath("a.b")
	for _, doc := range []string{`{"a":{"b":7,"c":`, `{"a":{"b":7}} junk`, `{"a":{"b":7},"z":[}`, `{"a":{"x":[1,{}],"b":7,"c":tru}}`} {
		if v, _, ok := LookupJSON([]byte(doc), &p, nil); !ok || v.Kind != JSONInt || v.Int != 7 {
			t.Fatalf("LookupJSON(%q) = %+v %v, want 7", doc, v, ok)
		}
	}
}

// TestLookupJSONAgainstEncodingJSON compares every leaf of a document with encoding/json.
func TestLookupJSONAgainstEncodingJSON(t *testing.T) {
	doc := []byte(`{"a":{"x":-12,"y":"\t\u2028\\","z":[true,null,1e3,"\ud800"]},"b":[[0.25]]}`)
	var tree any
	if err := json.Unmarshal(doc, &tree); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				walk(join(path, k), c)
			}
			return
		case []any:
			for i, c := range x {
				walk(join(path, "["+strconv.Itoa(i)+"]"), c)
			}
			return
		}
		p, err := ParseJSONPath(path)
		if err != nil {
			t.Fatal(err)
		}
		got, _, ok := LookupJSON(doc, &p, nil)
		if !ok {
			t.Fatalf("%s: not found", path)
		}
		switch x := v.(type) {
		case string:
			if got.Kind != JSONString || string(got.Bytes) != x {
				t.Fatalf("%s: got %q want %q", path, got.Bytes, x)
			}
		case float64:
			f := got.Float
			if got.Kind == JSONInt {
				f = float64(got.Int)
			}
			if f != x {
				t.Fatalf("%s: got %v want %v", path, f, x)
			}
		case bool:
			if got.Kind != JSONBool || got.Bool != x {
				t.Fatalf("%s: got %+v want %v", path, got, x)
			}
		case nil:
			if got.Kind != JSONNull {
				t.Fatalf("%s: got %+v want null", path, got)
			}
		}
	}
	walk("", tree)
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func TestParseNumber(t *testing.T) {
	f := func(in string, kind int, i int64, fl float64) {
		t.Helper()
		k, gi, gf := ParseNumber([]byte(in))
		if k != kind || gi != i || gf != fl && !(math.IsInf(fl, 1) && math.IsInf(gf, 1)) {
			t.Fatalf("ParseNumber(%q) = %d %d %v, want %d %d %v", in, k, gi, gf, kind, i, fl)
		}
	}
	f("0", IntNumber, 0, 0)
	f("-42", IntNumber, -42, 0)
	f("+7", IntNumber, 7, 0)
	f("9223372036854775807", IntNumber, math.MaxInt64, 0)
	f("-9223372036854775808", IntNumber, math.MinInt64, 0)
	f("9223372036854775808", FloatNumber, 0, 9223372036854775808)
	f("1.5", FloatNumber, 0, 1.5)
	f(".5", FloatNumber, 0, .5)
	f("1e3", FloatNumber, 0, 1000)
	f("-2.5E-1", FloatNumber, 0, -0.25)
	f("1e400", FloatNumber, 0, math.Inf(1))
	for _, bad := range []string{"", "-", "+", ".", "1.2.3", "1e", "e5", "0x10", "1_000", " 1", "1 ", "Inf", "NaN", "12abc", "1e+"} {
		f(bad, NotNumber, 0, 0)
	}
}

func TestParseIP(t *testing.T) {
	good := []string{"10.0.0.5", "0.0.0.0", "255.255.255.255", "::", "::1", "1::", "fe80::1", "2001:db8::ff00:42:8329",
		"2001:0db8:0000:0000:0000:ff00:0042:8329", "::ffff:10.1.2.3", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:1.2.3.4", "a::b:c"}
	for _, s := range good {
		got, ok := ParseIP([]byte(s))
		if !ok {
			t.Fatalf("ParseIP(%q) failed", s)
		}
		if want := mustAddr(t, s); got != want {
			t.Fatalf("ParseIP(%q) = %v, want %v", s, got, want)
		}
	}
	bad := []string{"", "1", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.", "10:00:01", "1:2:3:4:5:6:7:8:9",
		":::", "1:::2", "1::2::3", "12345::", "::g", "1:2:3:4:5:6:7::8", "fe80::1%eth0", "1.2.3.4:80", "::1.2.3", ":1", "1:"}
	for _, s := range bad {
		if got, ok := ParseIP([]byte(s)); ok {
			t.Fatalf("ParseIP(%q) = %v, want failure", s, got)
		}
	}
}

func TestParseRFC3339(t *testing.T) {
	f := func(in string, want int64, ok bool) {
		t.Helper()
		got, gok := ParseRFC3339([]byte(in))
		if gok != ok || got != want {
			t.Fatalf("ParseRFC3339(%q) = %d %v, want %d %v", in, got, gok, want, ok)
		}
	}
	f("2024-05-01T10:00:01.5Z", 1714557601500000000, true)
	f("2024-05-01T12:00:01.5+02:00", 1714557601500000000, true)
	f("2024-05-01 10:00:01z", 1714557601000000000, true)
	f("1970-01-01T00:00:00Z", 0, true)
	f("2018-10-11T22:14:15.003Z", 1539296055003000000, true)
	f("2024-02-30T10:00:00Z", 0, false)
	f("2024-05-01T10:00:01", 0, false)
	f("2024-05-01T10:00:01.Z", 0, false)
	f("2024-05-01T10:00:01+0200", 0, false)
	f("2024-05-01X10:00:01Z", 0, false)
}

// TestScanStringWords checks the eight-bytes-at-a-time string scan against a byte-at-a-time
// reference, with escapes, quotes and control bytes at every position around word boundaries.
func TestScanStringWords(t *testing.T) {
	ref := func(data []byte, i int) (int, bool, bool) {
		esc := false
		for i++; i < len(data); i++ {
			switch c := data[i]; {
			case c == '"':
				return i + 1, esc, true
			case c == '\\':
				esc = true
				i++
			case c < 0x20:
				return 0, false, false
			}
		}
		return 0, false, false
	}
	for n := 0; n < 24; n++ {
		for pos := 0; pos < n; pos++ {
			for _, ins := range []string{`\"`, `\\`, "\n", `"`, `\`, "\x7f", "é"} {
				body := []byte(strings.Repeat("a", n))
				body = append(body[:pos:pos], append([]byte(ins), body[pos:]...)...)
				for _, doc := range [][]byte{append(append([]byte(`"`), body...), '"'), append([]byte(`"`), body...)} {
					gotEnd, gotEsc, gotOK := scanString(doc, 0)
					wantEnd, wantEsc, wantOK := ref(doc, 0)
					if gotEnd != wantEnd || gotEsc != wantEsc || gotOK != wantOK {
						t.Fatalf("scanString(%q) = %d %v %v, want %d %v %v", doc, gotEnd, gotEsc, gotOK, wantEnd, wantEsc, wantOK)
					}
				}
			}
		}
	}
}
