package loadgen

import (
	"bytes"
	"testing"
)

func TestField(t *testing.T) {
	f := func(msg, key, want string, found bool) {
		t.Helper()
		got := field([]byte(msg), key)
		if (got != nil) != found || string(got) != want {
			t.Fatalf("field(%s, %q) = %q (found %v), want %q", msg, key, got, got != nil, want)
		}
	}
	f(`{"type":"search3","data":{"ID":17}}`, "type", "search3", true)
	f(`{"type":"search3","data":{"ID":17}}`, "ID", "17", true)
	f(`{"type":"x","data":{"ID": 4294967295 ,"Finished":true}}`, "ID", "4294967295", true)
	f(`{"data":{"Finished":false}}`, "Finished", "false", true)
	f(`{"data":{"EntryCount":1000}}`, "EntryCount", "1000", true)
	f(`{"data":{"Error":"a \"quoted\" word"}}`, "Error", `a \"quoted\" word`, true)
	f(`{"data":{"Warning":""}}`, "Warning", "", true)
	// A string containing the key text is not a key: its quotes are escaped.
	f(`{"data":{"Data":"x\"EntryCount\":5","EntryCount":7}}`, "EntryCount", "7", true)
	f(`{"data":{"entrycount":7}}`, "EntryCount", "", false) // output keys are case-sensitive
	f(`{"data":{"ID":`, "ID", "", false)
	f(`{"data":{"Error":"unterminated`, "Error", "", false)
	if n, ok := subField([]byte(`{"EntryRange":{"StartTS":"x","First":10,"Last":20},"Last":99}`), "EntryRange", "Last"); !ok || n != 20 {
		t.Fatalf("subField %d %v", n, ok)
	}
	if v, ok := fieldBool([]byte(`{"AdditionalEntries":true}`), "AdditionalEntries"); !v || !ok {
		t.Fatal("fieldBool")
	}
	if _, ok := fieldUint([]byte(`{"ID":-1}`), "ID"); ok {
		t.Fatal("fieldUint accepted -1")
	}
}

func FuzzField(f *testing.F) {
	f.Add([]byte(`{"type":"search3","data":{"ID":17,"EntryCount":1000,"Finished":false}}`), "ID")
	f.Add([]byte(`{"a":"\\"`), "a")
	f.Add([]byte(`"k":`), "k")
	f.Fuzz(func(t *testing.T, msg []byte, key string) {
		v := field(msg, key)
		if v != nil && !bytes.Contains(msg, v) {
			t.Fatalf("field returned bytes not in the message")
		}
		fieldUint(msg, key)
		fieldBool(msg, key)
		subField(msg, key, key)
	})
}
