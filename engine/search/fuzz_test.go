package search

import (
	"errors"
	"reflect"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"tag=syslog grep sshd | count",
		"tag=syslog grep sshd | bogusmodule",
		`tag=a,b* json status==404 method path as p | count by method | table method count`,
		`tag=x kv -q -d "\t" -sep : "source-address"~"1.192." port as p`,
		`tag=x fields -d "\t" [9] ~ " " as url [2] as requester | table url requester`,
		`tag=x syslog Appname Severity<4 Structured[ex@1].iut | regex -e Appname "^(?P<first>.)" | length`,
		`tag=x stats count sum(bytes) mean(dur) as md by host over 5m | chart md by host`,
		`tag=x count by a | sort by count desc | limit 10 | table`,
		`tag=x grep "say \"hi\"" a"b c"d | unique a,b | head 5`,
		`tag=x csv -h "ts,host,bytes" host bytes>1000 | sum bytes by host over 1h | gauge`,
		`grep -v -i -s -e x "a*b?c"`,
		"", "|", "tag=", `"`, "tag=x table | grep",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		q, err := Parse(in)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Msg == "" {
				t.Fatalf("Parse(%q): error %v is not a *ParseError with a message", in, err)
			}
			if pe.Offset < 0 || pe.Offset > len(in) {
				t.Fatalf("Parse(%q): offset %d outside the query", in, pe.Offset)
			}
			return
		}
		eff := q.Effective()
		q2, err := Parse(eff)
		if err != nil {
			t.Fatalf("Parse(%q) ok but its Effective %q fails: %v", in, eff, err)
		}
		if s1, s2 := summary(q), summary(q2); s1 != s2 {
			t.Fatalf("Parse(%q) = %s\nre-parsed from %q = %s", in, s1, eff, s2)
		}
		if e2 := q2.Effective(); e2 != eff {
			t.Fatalf("Effective not stable: %q then %q", eff, e2)
		}
		if !reflect.DeepEqual(q.Hints(), q2.Hints()) || !reflect.DeepEqual(q.StatsModules(), q2.StatsModules()) ||
			q.CollapsingIndex != q2.CollapsingIndex || q.Window != q2.Window || q.RenderCmd != q2.RenderCmd ||
			q.TimeZoomDisabled() != q2.TimeZoomDisabled() {
			t.Fatalf("Parse(%q) and Parse(%q) differ", in, eff)
		}
		if out, err := ApplyFilters(in, []Filter{{Module: "json", Path: "a.b", Op: "!=", Value: `x y"z`}}); err != nil {
			t.Fatalf("ApplyFilters(%q): %v", in, err)
		} else if _, err := Parse(out); err != nil {
			t.Fatalf("ApplyFilters(%q) = %q does not parse: %v", in, out, err)
		}
	})
}
