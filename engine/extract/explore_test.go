package extract

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAppendExplore(t *testing.T) {
	f := func(data, tag, want string) {
		t.Helper()
		got := AppendExplore([]byte("prefix"), []byte(data), tag)
		if !strings.HasPrefix(string(got), "prefix") {
			t.Fatalf("AppendExplore dropped the prefix: %s", got)
		}
		got = got[len("prefix"):]
		if !json.Valid(got) {
			t.Fatalf("AppendExplore(%q) is not valid JSON: %s", data, got)
		}
		if string(got) != want {
			t.Fatalf("AppendExplore(%q)\n got %s\nwant %s", data, got, want)
		}
	}
	f(`{"Proto":"udp","Question":{"A":"208.71.141.34"}}`, "dns",
		`{"Elements":[{"Module":"json","Name":"Proto","Path":"Proto","Value":"udp","Filters":["==","!=","~","!~"]},`+
			`{"Module":"json","Name":"Question","Path":"Question","Value":"{\"A\":\"208.71.141.34\"}","SubElements":[`+
			`{"Module":"json","Name":"Question.A","Path":"Question.A","Value":"208.71.141.34","Filters":["==","!=","~","!~"]}],"Filters":["==","!="]}],"Module":"json","Tag":"dns"}`)
	f(`{"n":5,"f":1.5,"b":true,"z":null,"a":[1,"x"],"e":{},"k.d":"q"}`, "t",
		`{"Elements":[{"Module":"json","Name":"n","Path":"n","Value":5,"Filters":["==","!=",">",">=","<","<="]},`+
			`{"Module":"json","Name":"f","Path":"f","Value":1.5,"Filters":["==","!=",">",">=","<","<="]},`+
			`{"Module":"json","Name":"b","Path":"b","Value":true,"Filters":["==","!="]},`+
			`{"Module":"json","Name":"z","Path":"z","Value":null,"Filters":["==","!="]},`+
			`{"Module":"json","Name":"a","Path":"a","Value":"[1,\"x\"]","SubElements":[`+
			`{"Module":"json","Name":"a.[0]","Path":"a.[0]","Value":1,"Filters":["==","!=",">",">=","<","<="]},`+
			`{"Module":"json","Name":"a.[1]","Path":"a.[1]","Value":"x","Filters":["==","!=","~","!~"]}],"Filters":["==","!="]},`+
			`{"Module":"json","Name":"e","Path":"e","Value":"{}","Filters":["==","!="]},`+
			`{"Module":"json","Name":"\"k.d\"","Path":"\"k.d\"","Value":"q","Filters":["==","!=","~","!~"]}],"Module":"json","Tag":"t"}`)
	f(`{}`, "t", `{"Module":"json","Tag":"t"}`)
	f(`<165>1 2018-10-11T22:14:15.003Z mymach.it e - 1 [ex@32473 iut="3"] hi`, "sys",
		`{"Elements":[{"Module":"syslog","Name":"Facility","Path":"Facility","Value":20,"Filters":["==","!=",">",">=","<","<="]},`+
			`{"Module":"syslog","Name":"Severity","Path":"Severity","Value":5,"Filters":["==","!=",">",">=","<","<="]},`+
			`{"Module":"syslog","Name":"Priority","Path":"Priority","Value":165,"Filters":["==","!=",">",">=","<","<="]},`+
			`{"Module":"syslog","Name":"Version","Path":"Version","Value":1,"Filters":["==","!=",">",">=","<","<="]},`+
			`{"Module":"syslog","Name":"Timestamp","Path":"Timestamp","Value":"2018-10-11T22:14:15.003Z","Filters":["==","!=","~","!~"]},`+
			`{"Module":"syslog","Name":"Hostname","Path":"Hostname","Value":"mymach.it","Filters":["==","!=","~","!~"]},`+
			`{"Module":"syslog","Name":"Appname","Path":"Appname","Value":"e","Filters":["==","!=","~","!~"]},`+
			`{"Module":"syslog","Name":"MsgID","Path":"MsgID","Value":"1","Filters":["==","!=","~","!~"]},`+
			`{"Module":"syslog","Name":"StructuredID","Path":"StructuredID","Value":"ex@32473","Filters":["==","!=","~","!~"]},`+
			`{"Module":"syslog","Name":"Structured[ex@32473].iut","Path":"Structured[ex@32473].iut","Value":3,"Filters":["==","!=",">",">=","<","<="]},`+
			`{"Module":"syslog","Name":"Message","Path":"Message","Value":"hi","Filters":["==","!=","~","!~"]}],"Module":"syslog","Tag":"sys"}`)
	f(`src=10.0.0.5 port=22 src=x`, "fw",
		`{"Elements":[{"Module":"kv","Name":"src","Path":"src","Value":"10.0.0.5","Filters":["==","!=","~","!~"]},`+
			`{"Module":"kv","Name":"port","Path":"port","Value":22,"Filters":["==","!=",">",">=","<","<="]}],"Module":"kv","Tag":"fw"}`)
	f(`a, "b,c" ,3.5`, "csv",
		`{"Elements":[{"Module":"csv","Name":"[0]","Path":"[0]","Value":"a","Filters":["==","!=","~","!~"]},`+
			`{"Module":"csv","Name":"[1]","Path":"[1]","Value":"b,c","Filters":["==","!=","~","!~"]},`+
			`{"Module":"csv","Name":"[2]","Path":"[2]","Value":3.5,"Filters":["==","!=",">",">=","<","<="]}],"Module":"csv","Tag":"csv"}`)
	f("just words\x01 \"here\"", "x\"y", `{"Module":"","Tag":"x\"y"}`)
	f(`{"broken":`, "t", `{"Module":"","Tag":"t"}`)
}

func TestAppendExploreLimits(t *testing.T) {
	doc := `{"a":{"b":{"c":{"d":1}}},"x":[1,2,3,4,5,6,7,8,9,10]}`
	out := ExploreConfig{MaxDepth: 2, MaxElements: 5}.AppendExplore(nil, []byte(doc), "t")
	if !json.Valid(out) {
		t.Fatalf("invalid: %s", out)
	}
	var r struct {
		Elements []struct{ SubElements []json.RawMessage }
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), `"Path":"a.b.c"`) {
		t.Fatalf("depth limit ignored: %s", out)
	}
	if n := strings.Count(string(out), `"Path":`); n > 5 {
		t.Fatalf("element limit ignored: %d elements: %s", n, out)
	}
}
