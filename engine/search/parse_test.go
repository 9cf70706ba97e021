package search

import (
	"reflect"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/engine/render"
	"github.com/sluicehq/sluice/wire"
)

// summary renders the parts of a Query the tests compare.
func summary(q *Query) string {
	var b strings.Builder
	b.WriteString("tags=" + strings.Join(q.TagPatterns, ","))
	for _, m := range q.Modules {
		b.WriteString(" | " + m.Name)
		if m.Implicit {
			b.WriteString("(implicit)")
		}
		if m.Condensing {
			b.WriteString("(c)")
		}
		if len(m.Args) > 0 {
			b.WriteString(" [" + strings.Join(m.Args, "·") + "]")
		}
	}
	b.WriteString(" => " + q.Renderer)
	if len(q.RendererArgs) > 0 {
		b.WriteString(" [" + strings.Join(q.RendererArgs, "·") + "]")
	}
	return b.String()
}

func TestParseSuccess(t *testing.T) {
	f := func(in, want string, collapsing int, effective string) {
		t.Helper()
		for range 2 { // parsing twice gives the same result
			q, err := Parse(in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", in, err)
			}
			if got := summary(q); got != want {
				t.Fatalf("Parse(%q)\n got %s\nwant %s", in, got, want)
			}
			if q.CollapsingIndex != collapsing {
				t.Fatalf("Parse(%q): CollapsingIndex %d, want %d", in, q.CollapsingIndex, collapsing)
			}
			if got := q.Effective(); got != effective {
				t.Fatalf("Parse(%q).Effective() = %q, want %q", in, got, effective)
			}
			if q.Raw != in {
				t.Fatalf("Raw = %q", q.Raw)
			}
		}
	}
	f("tag=syslog grep sshd | count", "tags=syslog | grep [sshd] | count(c) => text", 1, "tag=syslog grep sshd | count")
	f("tag=syslog grep sshd", "tags=syslog | grep [sshd] | sort(implicit) [by·time] => text", 2, "tag=syslog grep sshd")
	f("grep sshd", "tags=default | grep [sshd] | sort(implicit) [by·time] => text", 2, "tag=default grep sshd")
	f("tag=foo", "tags=foo | sort(implicit) [by·time] => text", 1, "tag=foo")
	f("tag=foo | grep x", "tags=foo | grep [x] | sort(implicit) [by·time] => text", 2, "tag=foo grep x")
	f("tag=foo table", "tags=foo => table", 0, "tag=foo table")
	f("tag=foo raw", "tags=foo | sort(implicit) [by·time] => raw", 1, "tag=foo raw")
	f("tag=a,b*,c? json status==404 method path as p | count by method | table method count",
		"tags=a,b*,c? | json [status==404·method·path·as·p] | count(c) [by·method] => table [method·count]", 1,
		"tag=a,b*,c? json status==404 method path as p | count by method | table method count")
	f(`tag=x  grep   -i  "a | b"  'c' |   text`, `tags=x | grep [-i·a | b·'c'] | sort(implicit) [by·time] => text`, 2,
		`tag=x grep -i "a | b" 'c' | text`)
	f(`tag=x grep "say \"hi\"" a"b c"d`, `tags=x | grep [say "hi"·ab cd] | sort(implicit) [by·time] => text`, 2, `tag=x grep "say \"hi\"" a"b c"d`)
	f("tag=x stats count sum(bytes) mean(dur) as md by host over 5m | chart md by host",
		"tags=x | stats(c) [count·sum(bytes)·mean(dur)·as·md·by·host·over·5m] => chart [md·by·host]", 0,
		"tag=x stats count sum(bytes) mean(dur) as md by host over 5m | chart md by host")
	f("tag=x count by a | sort by count desc | limit 10 | table",
		"tags=x | count(c) [by·a] | sort(c) [by·count·desc] | limit [10] => table", 0,
		"tag=x count by a | sort by count desc | limit 10 | table")
	f("tag=x unique a,b | head 5", "tags=x | unique [a,b] | head [5] | sort(implicit) [by·time] => text", 3, "tag=x unique a,b | head 5")
	f(`tag=x kv -q -d "\t" -sep : "source-address"~"1.192." port as p`, `tags=x | kv [-q·-d·\t·-sep·:·source-address~1.192.·port·as·p] | sort(implicit) [by·time] => text`, 2,
		`tag=x kv -q -d "\t" -sep : "source-address"~"1.192." port as p`)
	f(`tag=x fields -d "\t" [9] ~ " " as url [2] as requester | table url requester`,
		`tags=x | fields [-d·\t·[9]·~· ·as·url·[2]·as·requester] => table [url·requester]`, 1,
		`tag=x fields -d "\t" [9] ~ " " as url [2] as requester | table url requester`)
	f(`tag=x syslog Appname Severity<4 Structured[ex@1].iut | regex -e Appname "^(?P<first>.)" | length`,
		`tags=x | syslog [Appname·Severity<4·Structured[ex@1].iut] | regex [-e·Appname·^(?P<first>.)] | length | sort(implicit) [by·time] => text`, 4,
		`tag=x syslog Appname Severity<4 Structured[ex@1].iut | regex -e Appname "^(?P<first>.)" | length`)
	f("tag=x sum bytes by src over 1h | mean x | gauge", "tags=x | sum(c) [bytes·by·src·over·1h] | mean(c) [x] => gauge", 0,
		"tag=x sum bytes by src over 1h | mean x | gauge")
	f(`tag=x csv -h "ts,host,bytes" host bytes>1000`, `tags=x | csv [-h·ts,host,bytes·host·bytes>1000] | sort(implicit) [by·time] => text`, 2,
		`tag=x csv -h "ts,host,bytes" host bytes>1000`)
	f("tag=x json -s -e Data domain != \"google.com\" as dd", `tags=x | json [-s·-e·Data·domain·!=·google.com·as·dd] | sort(implicit) [by·time] => text`, 2,
		`tag=x json -s -e Data domain != "google.com" as dd`)
}

func TestParseFailure(t *testing.T) {
	f := func(in string, index int, msg string) {
		t.Helper()
		q, err := Parse(in)
		if err == nil {
			t.Fatalf("Parse(%q) = %s, want error", in, summary(q))
		}
		pe, ok := err.(*ParseError)
		if !ok {
			t.Fatalf("Parse(%q) error %T, want *ParseError", in, err)
		}
		if pe.ModuleIndex != index || !strings.Contains(pe.Msg, msg) {
			t.Fatalf("Parse(%q) = %d %q, want %d and a message containing %q", in, pe.ModuleIndex, pe.Msg, index, msg)
		}
		if pe.Offset < 0 || pe.Offset > len(in) {
			t.Fatalf("Parse(%q): offset %d out of range", in, pe.Offset)
		}
	}
	f("tag=syslog grep sshd | bogusmodule", 1, "bogusmodule is not a valid module")
	f("", 0, "empty query")
	f("| grep x", 0, "empty module")
	f("tag=x grep a || count", 1, "empty module")
	f("tag=x grep a |", 1, "empty module")
	f("tag=", 0, "expected one or more tag names")
	f("tag=a,,b", 0, "empty tag name")
	f("tag=a/b", 0, "invalid character")
	f(`tag=x grep "abc`, 0, "unbalanced quote")
	f(`tag=x grep a | grep "abc | count`, 1, "unbalanced quote")
	f("tag=x table | grep a", 0, "table is a renderer and must be the last module")
	f("tag=x grep a | chart x | table", 1, "chart is a renderer and must be the last module")
	f("tag=x grep", 0, "missing argument")
	f("tag=x grep -x foo", 0, `unknown flag "-x"`)
	f("tag=x grep -e", 0, "flag -e needs an argument")
	f("tag=x grep -v -v a", 0, "given twice")
	f("tag=x grep a | json", 1, "missing argument")
	f("tag=x json a..b", 0, "bad path")
	f("tag=x json a==", 0, "missing value")
	f("tag=x json ==4", 0, "expected a field name")
	f("tag=x json a as", 0, `expected a name after "as"`)
	f("tag=x syslog Bogus", 0, `unknown field "Bogus"`)
	f("tag=x fields [x]", 0, "bad column")
	f("tag=x csv host", 0, "bad column")
	f("tag=x kv -sep \"\" a", 0, "-sep needs")
	f("tag=x regex \"(\"", 0, "bad regular expression")
	f("tag=x regex a b", 0, "unexpected")
	f(`tag=x regex "(?P<u>a)" v==1`, 0, `filter on "v", which is not a named group`)
	f(`tag=x regex "(?P<u>a)|(?P<u>b)" u==a`, 0, `filter on "u", which names two groups`)
	f(`tag=x regex "(?P<u>a)" u==a as v`, 0, `expected filters on named groups`)
	f("tag=x regex", 0, "missing argument")
	f("tag=x length foo", 0, "unexpected")
	f("tag=x count by", 0, "expected one or more field names")
	f("tag=x count over", 0, "expected a duration")
	f("tag=x count over 5x", 0, "bad window")
	f("tag=x count over 500ms", 0, "bad window")
	f("tag=x count by a extra over 5m junk", 0, "unexpected")
	f("tag=x sum", 0, "missing argument")
	f("tag=x grep a | mean by x", 1, "missing argument")
	f("tag=x stats", 0, "missing argument")
	f("tag=x stats bogus(x)", 0, "unknown operation")
	f("tag=x stats sum", 0, "needs a field")
	f("tag=x stats sum(a) sum(b)", 0, "two operations produce")
	f("tag=x stats sum(a", 0, "unbalanced parenthesis")
	f("tag=x sort by", 0, "expected a field")
	f("tag=x sort by a sideways", 0, "unexpected")
	f("tag=x limit", 0, "missing argument")
	f("tag=x limit 0", 0, "bad count")
	f("tag=x head ten", 0, "bad count")
	f(`tag=x "grep" a`, 0, "is not a valid module")
}

func TestParseHints(t *testing.T) {
	q, err := Parse("tag=x json -e raw a.b status==404 as st | grep -e b x | count by st | table")
	if err != nil {
		t.Fatal(err)
	}
	want := []ModuleHint{
		{Name: "json", ProducedEVs: []string{"b", "st"}, ConsumedEVs: []string{"raw"}},
		{Name: "grep", ConsumedEVs: []string{"b"}},
		{Name: "count", ProducedEVs: []string{"st", "count"}, ConsumedEVs: []string{"st"}, Condensing: true},
	}
	if got := q.Hints(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Hints = %+v\nwant %+v", got, want)
	}
	if q.RenderCmd != "table" || q.Renderer != "table" || !q.RendererCondensing() {
		t.Fatalf("renderer %q %q", q.Renderer, q.RenderCmd)
	}
	q, _ = Parse("tag=syslog grep sshd")
	wantInfo := []ModuleInfo{{Name: "grep", Args: "grep sshd"}, {Name: "sort", Args: "sort by time"}}
	if got := q.StatsModules(); !reflect.DeepEqual(got, wantInfo) {
		t.Fatalf("StatsModules = %+v", got)
	}
	if got := q.Hints(); len(got) != 2 || got[1].Name != "sort" || got[1].Condensing {
		t.Fatalf("Hints = %+v", got)
	}
	if q.TimeZoomDisabled() {
		t.Fatal("TimeZoomDisabled for a time-ordered query")
	}
	q, _ = Parse("tag=x count by a | sort by count")
	if !q.TimeZoomDisabled() {
		t.Fatal("TimeZoomDisabled false after sort by count")
	}
	q, _ = Parse("tag=x count over 1m | stats sum(count) over 5m")
	if q.Window != int64(5*60e9) {
		t.Fatalf("Window = %d", q.Window)
	}
}

func TestApplyFilters(t *testing.T) {
	f := func(in string, filters []Filter, want string) {
		t.Helper()
		got, err := ApplyFilters(in, filters)
		if err != nil {
			t.Fatalf("ApplyFilters(%q): %v", in, err)
		}
		if got != want {
			t.Fatalf("ApplyFilters(%q)\n got %q\nwant %q", in, got, want)
		}
	}
	f("tag=foo", []Filter{{Tag: "foo", Module: "json", Path: "Proto", Op: "!=", Value: "udp"}}, "tag=foo json Proto!=udp")
	f("tag=foo grep x | table", []Filter{{Module: "json", Path: "Question.A", Op: "==", Value: "a b"},
		{Module: "syslog", Path: "Appname", Name: "app"}}, `tag=foo json Question.A=="a b" | syslog Appname as app | grep x | table`)
	f("tag=foo", []Filter{{Module: "fields", Args: `-d "\t"`, Path: "[3]", Op: "~", Value: `x"y`}}, `tag=foo fields -d "\t" [3]~"x\"y"`)
	f("tag=foo", []Filter{{Module: "json", Path: `"k.d"`, Op: "==", Value: "1"}}, `tag=foo json "k.d"==1`)
	f("tag=foo", []Filter{{Module: "kv", Path: "a=b", Op: "==", Value: ""}}, `tag=foo kv "a=b"==""`)
	f("grep x", nil, "tag=default grep x")

	bad := func(in string, filters []Filter) {
		t.Helper()
		if got, err := ApplyFilters(in, filters); err == nil {
			t.Fatalf("ApplyFilters(%q, %+v) = %q, want error", in, filters, got)
		}
	}
	bad("tag=foo | bogus", nil)
	bad("tag=foo", []Filter{{Module: "bogus", Path: "a"}})
	bad("tag=foo", []Filter{{Module: "json", Path: "a", Op: "=~", Value: "x"}})
	bad("tag=foo", []Filter{{Module: "json", Path: ""}})
	bad("tag=foo", []Filter{{Module: "syslog", Path: "Nope", Op: "==", Value: "x"}})
	bad("tag=foo", []Filter{{Module: "json", Path: "a..b", Op: "==", Value: "x"}})
}

func TestTextValue(t *testing.T) {
	var ar arena
	f := func(in string, typ wire.ValueType, text string) {
		t.Helper()
		v := textValue([]byte(in), &ar)
		if v.Type != typ || string(appendValueText(nil, v)) != text {
			t.Fatalf("textValue(%q) = %d %q, want %d %q", in, v.Type, appendValueText(nil, v), typ, text)
		}
	}
	f("404", wire.TypeInt64, "404")
	f("-2", wire.TypeInt64, "-2")
	f("0", wire.TypeInt64, "0")
	f("1.5", wire.TypeFloat64, "1.5")
	f("0.25", wire.TypeFloat64, "0.25")
	f("1e21", wire.TypeFloat64, "1E+21")
	f("007", wire.TypeString, "007")
	f("-012", wire.TypeString, "-012")
	f("10.0.0.5", wire.TypeIP, "10.0.0.5")
	f("fe80::1", wire.TypeIP, "fe80::1")
	f("::ffff:10.0.0.5", wire.TypeIP, "::ffff:10.0.0.5")
	f("255.255.255.255", wire.TypeIP, "255.255.255.255")
	f("256.0.0.1", wire.TypeString, "256.0.0.1")
	f("10.0.0", wire.TypeString, "10.0.0")
	f("10.00.0.5", wire.TypeString, "10.00.0.5")
	f("deadbeef", wire.TypeString, "deadbeef")
	f("10:00:01", wire.TypeString, "10:00:01")
	f("2024-05-01T10:00:01.5Z", wire.TypeTS, "2024-05-01T10:00:01.5Z")
	f("sshd", wire.TypeString, "sshd")
	f("", wire.TypeString, "")
	if v := textValue([]byte("10.0.0.5"), &ar); len(v.B) != 4 {
		t.Fatalf("an IPv4 value holds %d bytes, want 4", len(v.B))
	}
	if v := textValue([]byte("::ffff:10.0.0.5"), &ar); len(v.B) != 16 {
		t.Fatalf("an IPv4-mapped IPv6 value holds %d bytes, want 16", len(v.B))
	}
	if v := stringValue([]byte("404"), &ar); v.Type != wire.TypeString {
		t.Fatalf("a JSON string that reads as a number became %d", v.Type)
	}
}

// TestParseRendererArgsAgreeWithRender checks that the parser refuses exactly the renderer
// invocations render.NewResult refuses, for every renderer of the registry.
func TestParseRendererArgsAgreeWithRender(t *testing.T) {
	for _, rd := range render.All() {
		for _, args := range [][]string{nil, {"foo"}, {"-x"}, {"-nt"}, {"a", "a"}, {"a", "by"},
			{"a", "by", "k"}, {"by", "k"}, {"min=1", "max=9"}, {"min=abc"}, {"x=1"}} {
			q := "tag=x " + rd.Name + " " + strings.Join(args, " ")
			_, perr := Parse(q)
			_, rerr := render.NewResult(render.Spec{Renderer: rd.Name, Args: args})
			if (perr == nil) != (rerr == nil) {
				t.Errorf("%q: parse error %v, render error %v", q, perr, rerr)
			}
			if perr != nil && "render: "+perr.Error() != rerr.Error() {
				t.Errorf("%q: parse says %q, render says %q", q, perr, rerr)
			}
		}
	}
	for _, q := range []string{"tag=x chart", "tag=x table -x", "tag=x text foo"} {
		if _, err := Parse(q); err == nil {
			t.Errorf("%q parses", q)
		}
	}
}
