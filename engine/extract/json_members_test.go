package extract

import (
	"bytes"
	"testing"
)

var memberPaths = []string{"host", "status", "client.ip", "a.b.[0]", "[1]", "x", `"we\"ird"`, "dup", "n"}

// sameAsLookup checks FindJSONMembers + LookupJSONAt against LookupJSON for every path.
func sameAsLookup(t *testing.T, doc []byte, ps []JSONPath, at []int) {
	t.Helper()
	FindJSONMembers(doc, ps, at)
	for k := range ps {
		want, _, wok := LookupJSON(doc, &ps[k], nil)
		var got JSONValue
		var gok bool
		switch {
		case at[k] >= 0:
			got, _, gok = LookupJSONAt(doc, at[k], &ps[k], nil)
		case at[k] == -2:
			got, _, gok = LookupJSON(doc, &ps[k], nil)
		}
		if gok != wok || got.Kind != want.Kind || got.Int != want.Int || got.Bool != want.Bool ||
			!(got.Float == want.Float || got.Float != got.Float && want.Float != want.Float) || !bytes.Equal(got.Bytes, want.Bytes) {
			t.Fatalf("%q path %s: one pass gives %+v %v, LookupJSON %+v %v", doc, ps[k].String(), got, gok, want, wok)
		}
	}
}

func compileMemberPaths(t testing.TB) []JSONPath {
	ps := make([]JSONPath, len(memberPaths))
	for i, s := range memberPaths {
		p, err := ParseJSONPath(s)
		if err != nil {
			t.Fatal(err)
		}
		ps[i] = p
	}
	return ps
}

var memberDocs = []string{
	`{"host":"web-1","status":200,"client":{"ip":"10.0.0.1"},"a":{"b":[true,2]},"dup":1,"dup":2,"n":null}`,
	` { "x" : "a\"b" , "we\"ird": 1.5e3, "status": -7 } `,
	`{"host":"a","status":`, // malformed after host
	`{"ho\u0073t":"escaped key"}`,
	`["a","b"]`,
	`{"a":{"b":{}}}`,
	`not json`,
	``,
	`{"client":"no object","host":{"deep":[1,2,3]}}`,
	`{"client":{"ip":"10.0.0.2","ua":"x\`,  // malformed inside the object after the value
	`{"client":{"ip":"10.0.0.2"},"host":[`, // malformed after the last member wanted
}

func TestFindJSONMembers(t *testing.T) {
	ps := compileMemberPaths(t)
	at := make([]int, len(ps))
	for _, d := range memberDocs {
		sameAsLookup(t, []byte(d), ps, at)
	}
}

// FuzzJSONMembers: on any input, the one-pass lookup agrees with LookupJSON path by path.
func FuzzJSONMembers(f *testing.F) {
	for _, d := range memberDocs {
		f.Add([]byte(d))
	}
	ps := compileMemberPaths(f)
	f.Fuzz(func(t *testing.T, doc []byte) {
		sameAsLookup(t, doc, ps, make([]int, len(ps)))
	})
}
