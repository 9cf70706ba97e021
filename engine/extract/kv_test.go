package extract

import (
	"strings"
	"testing"
)

func TestKVNext(t *testing.T) {
	f := func(cfg KV, in, want string) {
		t.Helper()
		var got []string
		for i := 0; ; {
			k, v, next, ok := cfg.Next([]byte(in), i)
			if !ok {
				break
			}
			got = append(got, string(k)+"="+string(v))
			i = next
		}
		if s := strings.Join(got, "|"); s != want {
			t.Fatalf("KV%+v.Next(%q) = %q, want %q", cfg, in, s, want)
		}
	}
	f(KV{}, "x=1 y=2 z=3 foo=bar", "x=1|y=2|z=3|foo=bar")
	f(KV{}, "  lead  x=1\tjunk y= =z a==b", "x=1|y=|a==b")
	f(KV{Sep: ":", Delims: "|"}, "x:1|y:2|z:3|foo:bar", "x=1|y=2|z=3|foo=bar")
	f(KV{Sep: " EQUALS ", Delims: ","}, "x EQUALS 1,y EQUALS 2", "x=1|y=2")
	f(KV{Quoted: true}, `a="b c" d="e\"f" g=h i="unterminated j=k`, `a=b c|d=e\"f|g=h|i="unterminated|j=k`)
	f(KV{}, `a="b c"`, `a="b`)
	f(KV{}, "", "")
	f(KV{}, "=", "")
}

func TestKVLookup(t *testing.T) {
	cfg := KV{Quoted: true}
	data := []byte(`src=10.0.0.5 port=22 user="admin x" port=23`)
	f := func(key, want string, ok bool) {
		t.Helper()
		v, gok := cfg.Lookup(data, key)
		if gok != ok || string(v) != want {
			t.Fatalf("Lookup(%q) = %q %v, want %q %v", key, v, gok, want, ok)
		}
	}
	f("src", "10.0.0.5", true)
	f("port", "22", true)
	f("user", "admin x", true)
	f("nope", "", false)
}

func TestNextField(t *testing.T) {
	f := func(in, delim string, quoted bool, want string) {
		t.Helper()
		var got []string
		for i := 0; ; {
			fl, next, more := NextField([]byte(in), i, delim, quoted)
			if !more {
				break
			}
			got = append(got, string(fl))
			i = next
		}
		if s := strings.Join(got, "|"); s != want {
			t.Fatalf("NextField(%q,%q) = %q, want %q", in, delim, s, want)
		}
	}
	f("a,b,,c", "", false, "a|b||c")
	f("a,b,", ",", false, "a|b|")
	f("", ",", false, "")
	f("a\tb\tc", "\t", false, "a|b|c")
	f("a::b::c", "::", false, "a|b|c")
	f(`a "b c" d`, " ", true, `a|"b c"|d`)
	f(`a "b c" d`, " ", false, `a|"b|c"|d`)
}

func TestNextCSV(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		var got []string
		var scratch []byte
		for i := 0; ; {
			col, next, s, more := NextCSV([]byte(in), i, scratch)
			scratch = s
			if !more {
				break
			}
			got = append(got, string(col))
			i = next
		}
		if s := strings.Join(got, "|"); s != want {
			t.Fatalf("NextCSV(%q) = %q, want %q", in, s, want)
		}
	}
	f("a,b,c", "a|b|c")
	f(" a , b ,c ", "a|b|c")
	f(`2018-11-01,daffodil, 15554,9870f7cd , "OK, what sort
Isabella", "CL", Lucien`, "2018-11-01|daffodil|15554|9870f7cd|OK, what sort\nIsabella|CL|Lucien")
	f(`"say ""hi""",x`, `say "hi"|x`)
	f(`"unterminated,x`, `"unterminated|x`)
	f("a,", "a|")
	f("", "")
}

// TestKVCompileSame checks that a compiled KV splits exactly as an uncompiled one, for the
// default and custom delimiters, on generated lines.
func TestKVCompileSame(t *testing.T) {
	alphabet := []byte("ab=;, \t\"\\x=1|")
	r := uint64(7)
	for _, base := range []KV{{}, {Delims: ";,"}, {Delims: "|", Sep: "=>", Quoted: true}, {Quoted: true}} {
		compiled := base
		compiled.Compile()
		for n := 0; n < 2000; n++ {
			line := make([]byte, n%40)
			for i := range line {
				r = r*6364136223846793005 + 1442695040888963407
				line[i] = alphabet[(r>>33)%uint64(len(alphabet))]
			}
			for i := 0; ; {
				k1, v1, n1, ok1 := base.Next(line, i)
				k2, v2, n2, ok2 := compiled.Next(line, i)
				if string(k1) != string(k2) || string(v1) != string(v2) || n1 != n2 || ok1 != ok2 {
					t.Fatalf("%+v on %q at %d: uncompiled %q=%q %d %v, compiled %q=%q %d %v", base, line, i, k1, v1, n1, ok1, k2, v2, n2, ok2)
				}
				if !ok1 {
					break
				}
				i = n1
			}
		}
	}
}

// findByPairs is the reference for KV.Find: every pair in order, the first of a key wins.
func findByPairs(cfg *KV, data []byte, keys []string) (vals []string, found []bool) {
	vals, found = make([]string, len(keys)), make([]bool, len(keys))
	for i := 0; ; {
		k, v, next, ok := cfg.Next(data, i)
		if !ok {
			return vals, found
		}
		for j, key := range keys {
			if !found[j] && string(k) == key {
				vals[j], found[j] = string(v), true
			}
		}
		i = next
	}
}

// checkFind compares KV.Find with findByPairs.
func checkFind(t *testing.T, cfg *KV, data []byte, keys []string) {
	t.Helper()
	ks := cfg.Keys(keys...)
	vals, found := make([][]byte, len(keys)), make([]bool, len(keys))
	n := cfg.Find(data, ks, vals, found)
	wantVals, wantFound := findByPairs(cfg, data, keys)
	count := 0
	for k := range keys {
		if found[k] != wantFound[k] || string(vals[k]) != wantVals[k] {
			t.Fatalf("KV%+v.Find(%q, %q): key %q = %q %v, want %q %v", *cfg, data, keys, keys[k], vals[k], found[k], wantVals[k], wantFound[k])
		}
		if found[k] {
			count++
		}
	}
	if n != count {
		t.Fatalf("KV%+v.Find(%q, %q) = %d, found %d", *cfg, data, keys, n, count)
	}
}

func TestKVFind(t *testing.T) {
	q := KV{Quoted: true}
	plain := KV{}
	line := `date=2024-05-01 devname=fw01 srcip=10.0.0.5 xsrcip=1 action=deny user="a srcip=9 b" tail=z`
	for _, keys := range [][]string{
		{"srcip", "action", "user", "tail"},
		{"date"},
		{"missing", "srcip"},
		{"ip"},         // occurs only inside other keys
		{"b", "9 b\""}, // inside the quoted value only
		{"srcip", "srcip"},
		{""},
		{"a", "b", "c", "d", "e", "f", "g", "h", "srcip", "tail"}, // more than kvFindSearchMax
	} {
		checkFind(t, &q, []byte(line), keys)
		checkFind(t, &plain, []byte(line), keys)
	}
	// a value holding "key=", empty keys, repeated keys, leading delimiters
	for _, in := range []string{
		"a=b=c b=1", "  =x b=2 b=3", "b=", "=b=1", "xb=1 b=2", "b=\"1 2\" b=3",
		`k="unterminated b=1`, `k="x\" b=1" b=2`, `"b=1" b=2`, "b=1\tc=2", "c=\"\" b=\"\"",
	} {
		checkFind(t, &q, []byte(in), []string{"b", "c", "k"})
		checkFind(t, &plain, []byte(in), []string{"b", "c", "k"})
	}
	// multi-byte and overlapping separators, custom delimiters (compiled or not)
	checkFind(t, &KV{Sep: "=="}, []byte("a===1 a==2"), []string{"a", "a="})
	checkFind(t, &KV{Sep: " EQUALS ", Delims: ","}, []byte("x EQUALS 1,y EQUALS 2,x EQUALS 3"), []string{"x", "y"})
	c := KV{Sep: ":", Delims: "|;", Quoted: true}
	checkFind(t, &c, []byte(`a:1|b:"x|c:2"|c:3;d:4`), []string{"c", "d", "a"})
	c.Compile()
	checkFind(t, &c, []byte(`a:1|b:"x|c:2"|c:3;d:4`), []string{"c", "d", "a"})
}
