package extract

import (
	"encoding/json"
	"reflect"
	"testing"
)

func FuzzJSONPath(f *testing.F) {
	f.Add(`{"a":{"b":[1,{"c":"x\u00e9"}]}}`, "a.b.[1].c")
	f.Add(`{"a":1}`, "a")
	f.Add(`[[1,2],[3]]`, "[0].[1]")
	f.Add(`{"k.d":"\ud800"}`, `"k.d"`)
	f.Add(`{"a":`, "a.b")
	f.Fuzz(func(t *testing.T, doc, path string) {
		p, err := ParseJSONPath(path)
		if err != nil {
			return
		}
		if _, err := ParseJSONPath(p.String()); err != nil {
			t.Fatalf("path %q does not re-parse: %v", path, err)
		}
		v, _, ok := LookupJSON([]byte(doc), &p, nil)
		if !ok || !json.Valid([]byte(doc)) {
			return
		}
		// A value found in a valid document must agree with encoding/json.
		var tree any
		if err := json.Unmarshal([]byte(doc), &tree); err != nil {
			return
		}
		cur := tree
		raw := []byte(doc)
		for _, e := range p.elems {
			if e.index >= 0 {
				arr, ok := cur.([]any)
				if !ok || e.index >= len(arr) {
					t.Fatalf("LookupJSON(%q, %q) found %+v; encoding/json has no such element", doc, path, v)
				}
				cur = arr[e.index]
				continue
			}
			if dupKey(raw, e.key) {
				return // encoding/json keeps the last duplicate, LookupJSON the first
			}
			obj, ok := cur.(map[string]any)
			if !ok {
				t.Fatalf("LookupJSON(%q, %q): not an object in encoding/json", doc, path)
			}
			if cur, ok = obj[e.key]; !ok {
				t.Fatalf("LookupJSON(%q, %q) found %+v; encoding/json has no member %q", doc, path, v, e.key)
			}
		}
		switch x := cur.(type) {
		case string:
			// encoding/json replaces invalid UTF-8; LookupJSON keeps the bytes as they are
			if v.Kind != JSONString || string([]rune(string(v.Bytes))) != x {
				t.Fatalf("LookupJSON(%q, %q) = %q, encoding/json %q", doc, path, v.Bytes, x)
			}
		case float64:
			f := v.Float
			if v.Kind == JSONInt {
				f = float64(v.Int)
			}
			if f != x {
				t.Fatalf("LookupJSON(%q, %q) = %v, encoding/json %v", doc, path, f, x)
			}
		case bool:
			if v.Kind != JSONBool || v.Bool != x {
				t.Fatalf("LookupJSON(%q, %q) = %+v, encoding/json %v", doc, path, v, x)
			}
		case nil:
			if v.Kind != JSONNull {
				t.Fatalf("LookupJSON(%q, %q) = %+v, encoding/json null", doc, path, v)
			}
		default:
			if (v.Kind != JSONObject && v.Kind != JSONArray) || !json.Valid(v.Bytes) {
				t.Fatalf("LookupJSON(%q, %q) = %+v, want an object or array", doc, path, v)
			}
		}
	})
}

// dupKey reports whether key occurs more than once anywhere in the document (a conservative
// test: the fuzz target skips such documents).
func dupKey(doc []byte, key string) bool {
	q, _ := json.Marshal(key)
	n := 0
	for i := 0; i+len(q) <= len(doc); i++ {
		if string(doc[i:i+len(q)]) == string(q) {
			n++
		}
	}
	return n > 1 || bytesContainsByte(doc, '\\')
}

func bytesContainsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

func FuzzSyslog(f *testing.F) {
	f.Add(`<165>4 2018-10-11T22:14:15.003Z mymach.it e - 1 [ex@32473 iut="3" foo="bar"] An application event`)
	f.Add(`Nov 21 10:00:01 gw01 sshd[4121]: Accepted publickey`)
	f.Add(`<13>2024-05-01T10:00:00.5+02:00 web01 nginx: GET /`)
	f.Add(`<5>1 - - - - - [a@1 x="q\"]"][b@2 y="z"]`)
	f.Fuzz(func(t *testing.T, in string) {
		var s, f Syslog
		data := []byte(in)
		ok := ParseSyslog(data, 1714557600e9, &s)
		// ParseSyslogFields differs only in leaving RFC 5424 times unconverted
		if fok := ParseSyslogFields(data, 1714557600e9, &f); fok != ok {
			t.Fatalf("ParseSyslogFields %v, ParseSyslog %v", fok, ok)
		}
		if f.RFC5424 {
			f.TS, f.HasTS = s.TS, s.HasTS
		}
		if !reflect.DeepEqual(f, s) {
			t.Fatalf("ParseSyslogFields %+v, ParseSyslog %+v", f, s)
		}
		if !ok {
			return
		}
		for _, b := range [][]byte{s.Timestamp, s.Hostname, s.Appname, s.ProcID, s.MsgID, s.StructuredData, s.Message} {
			if len(b) > len(data) {
				t.Fatalf("field longer than input")
			}
		}
		if s.StructuredData != nil {
			for i := 0; ; {
				e, next, ok := NextSD(s.StructuredData, i)
				if !ok {
					break
				}
				if next <= i {
					t.Fatalf("NextSD does not advance")
				}
				i = next
				for j := 0; ; {
					_, _, nj, ok := NextSDParam(e.Params, j)
					if !ok {
						break
					}
					if nj <= j {
						t.Fatalf("NextSDParam does not advance")
					}
					j = nj
				}
			}
			LookupSD(s.StructuredData, "", "x", nil)
		}
	})
}

func FuzzKV(f *testing.F) {
	f.Add("x=1 y=2 z=3", "=", " ", true)
	f.Add(`a="b c" d="e\"f"`, "=", " \t", true)
	f.Add("x EQUALS 1,y EQUALS 2", " EQUALS ", ",", false)
	f.Fuzz(func(t *testing.T, in, sep, delims string, quoted bool) {
		cfg := KV{Sep: sep, Delims: delims, Quoted: quoted}
		data := []byte(in)
		for i, n := 0, 0; ; n++ {
			k, v, next, ok := cfg.Next(data, i)
			if !ok {
				break
			}
			if next <= i || n > len(data) {
				t.Fatalf("Next does not advance: %d -> %d", i, next)
			}
			if len(k) == 0 || len(k)+len(v) > len(data) {
				t.Fatalf("bad pair %q=%q", k, v)
			}
			i = next
		}
		// Find agrees with pair-by-pair lookup for keys that occur, parts of them and others
		keys := []string{"x", "y", "a", "d"}
		for i := 0; len(keys) < 12; {
			k, v, next, ok := cfg.Next(data, i)
			if !ok {
				break
			}
			keys = append(keys, string(k))
			if len(v) > 0 {
				keys = append(keys, string(v[:len(v)/2+1]))
			}
			i = next
		}
		checkFind(t, &cfg, data, keys[:min(len(keys), kvFindSearchMax)])
		checkFind(t, &cfg, data, keys)
		for i := 0; ; {
			_, next, more := NextField(data, i, sep, quoted)
			if !more {
				break
			}
			if next <= i {
				t.Fatalf("NextField does not advance")
			}
			i = next
		}
		var scratch []byte
		for i := 0; ; {
			_, next, s, more := NextCSV(data, i, scratch)
			scratch = s
			if !more {
				break
			}
			if next <= i {
				t.Fatalf("NextCSV does not advance")
			}
			i = next
		}
	})
}

func FuzzExplore(f *testing.F) {
	f.Add(`{"Proto":"udp","Question":{"A":"208.71.141.34"}}`, "dns")
	f.Add(`<165>1 2018-10-11T22:14:15.003Z mymach.it e - 1 [ex@32473 iut="3"] hi`, "sys")
	f.Add(`src=10.0.0.5 port=22`, "fw")
	f.Add(`a, "b,c" ,3.5`, "csv")
	f.Add("\xff\x00 plain", "\u2028")
	f.Add(`{"a\u0000b":[{"x":1e999}],"\"":"\ud800"}`, "t")
	f.Fuzz(func(t *testing.T, data, tag string) {
		out := ExploreConfig{MaxDepth: 4, MaxElements: 64}.AppendExplore(nil, []byte(data), tag)
		if !json.Valid(out) {
			t.Fatalf("AppendExplore(%q) = %s: not valid JSON", data, out)
		}
	})
}
