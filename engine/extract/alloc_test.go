//go:build !race

package extract

import "testing"

func TestExtractNoAlloc(t *testing.T) {
	doc := []byte(`{"status":404,"method":"GET","path":"/a\"b","nested":{"a":[1,{"c":"d"}]},"ip":"10.0.0.5"}`)
	paths := make([]JSONPath, 0, 4)
	for _, s := range []string{"status", "path", "nested.a.[1].c", "ip"} {
		p, err := ParseJSONPath(s)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	scratch := make([]byte, 0, 256)
	line := []byte(`<165>1 2018-10-11T22:14:15.003Z mymach.it e - 1 [ex@32473 iut="3" foo="b\"ar"] An application event`)
	bsd := []byte(`Nov 21 10:00:01 gw01 sshd[4121]: Accepted publickey for admin from 10.0.0.5 port 22`)
	kvLine := []byte(`src=10.0.0.5 dst=10.0.0.9 port=22 user="admin x"`)
	csvLine := []byte(`a, "b,""c""" ,3.5`)
	kv := KV{Quoted: true}
	var s Syslog
	n := testing.AllocsPerRun(100, func() {
		for i := range paths {
			if _, sc, ok := LookupJSON(doc, &paths[i], scratch[:0]); !ok {
				t.Fatal("lookup failed")
			} else {
				scratch = sc
			}
		}
		if !ParseSyslog(bsd, 1714557600e9, &s) || !ParseSyslog(line, 0, &s) {
			t.Fatal("syslog failed")
		}
		if _, sc, ok := LookupSD(s.StructuredData, "", "foo", scratch[:0]); !ok {
			t.Fatal("sd failed")
		} else {
			scratch = sc
		}
		if _, ok := kv.Lookup(kvLine, "user"); !ok {
			t.Fatal("kv failed")
		}
		for i := 0; ; {
			_, next, sc, more := NextCSV(csvLine, i, scratch[:0])
			scratch = sc
			if !more {
				break
			}
			i = next
		}
		for _, b := range [][]byte{[]byte("10.0.0.5"), []byte("fe80::1"), []byte("10:00:01"), []byte("2001:db8::zz")} {
			ParseIP(b)
		}
		ParseNumber([]byte("1.5e3"))
		ParseNumber([]byte("12abc"))
		ParseRFC3339([]byte("2024-05-01T10:00:01.5+02:00"))
	})
	if n != 0 {
		t.Fatalf("extraction allocates %v times per run, want 0", n)
	}
}
