package search

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/wire"
)

func TestRunPassThrough(t *testing.T) {
	ents, _ := gen(2000, 1)
	out, rec, q := run(t, "tag=x", ents)
	idx := inRange(ents)
	if len(out) != len(idx) {
		t.Fatalf("got %d entries, want %d", len(out), len(idx))
	}
	for k, i := range idx {
		if out[k].TS != ents[i].TS || out[k].Data != string(ents[i].Data) || out[k].Tag != ents[i].Tag || out[k].SRC != ents[i].SRC {
			t.Fatalf("entry %d: got %v, want %q", k, out[k], ents[i].Data)
		}
	}
	if q.Modules[0].Name != "sort" || rec.total(0).InputCount != uint64(len(idx)) {
		t.Fatalf("implicit sort stats %+v", rec.total(0))
	}
	// per bucket counts match the data
	want := map[int64]uint64{}
	for _, i := range idx {
		want[(ents[i].TS-tStart)/int64(time.Minute)]++
	}
	for b, n := range want {
		if got := rec.c[[2]int64{0, b}].OutputCount; got != n {
			t.Fatalf("bucket %d: OutputCount %d, want %d", b, got, n)
		}
	}
	out, _, _ = run(t, "tag=x", ents, 2)
	if len(out) != len(inRange(ents, 2)) {
		t.Fatalf("tag filter: got %d, want %d", len(out), len(inRange(ents, 2)))
	}
}

func TestRunGrep(t *testing.T) {
	ents, _ := gen(3000, 2)
	idx := inRange(ents)
	check := func(query string, pass func(data string) bool) {
		t.Helper()
		out, _, _ := run(t, query, ents)
		var want []string
		for _, i := range idx {
			if pass(string(ents[i].Data)) {
				want = append(want, string(ents[i].Data))
			}
		}
		if len(out) != len(want) {
			t.Fatalf("%s: got %d entries, want %d", query, len(out), len(want))
		}
		for k := range want {
			if out[k].Data != want[k] {
				t.Fatalf("%s: entry %d = %q, want %q", query, k, out[k].Data, want[k])
			}
		}
	}
	has := strings.Contains
	check("tag=x grep admin", func(d string) bool { return has(d, "admin") })
	check("tag=x grep -v admin", func(d string) bool { return !has(d, "admin") })
	check("tag=x grep -i admin", func(d string) bool { return has(strings.ToLower(d), "admin") })
	check("tag=x grep -v -i ADMIN", func(d string) bool { return !has(strings.ToLower(d), "admin") })
	check("tag=x grep admin carol", func(d string) bool { return has(d, "admin") || has(d, "carol") })
	check("tag=x grep -s GET admin", func(d string) bool { return has(d, "GET") && has(d, "admin") })
	check("tag=x grep -v -s GET admin", func(d string) bool { return !(has(d, "GET") && has(d, "admin")) })
	check("tag=x grep -v GET admin", func(d string) bool { return !(has(d, "GET") || has(d, "admin")) })
	check(`tag=x grep "web-*GET"`, func(d string) bool {
		i := strings.Index(d, "web-")
		return i >= 0 && has(d[i+4:], "GET")
	})
	check(`tag=x grep "db-?"`, func(d string) bool { return has(d, "db-1") })
	check(`tag=x grep -i "WEB-? "`, func(d string) bool {
		l := strings.ToLower(d)
		for i := 0; i+6 <= len(l); i++ {
			if l[i:i+4] == "web-" && l[i+5] == ' ' {
				return true
			}
		}
		return false
	})
	check(`tag=x grep "\"quoted\""`, func(d string) bool { return has(d, `"quoted"`) })
	check(`tag=x grep "\\\\\"quoted"`, func(d string) bool { return has(d, `\"quoted`) })
	check(`tag=x grep -simple "web-*"`, func(d string) bool { return has(d, "web-*") })
	check(`tag=x grep "\x7b\"host"`, func(d string) bool { return strings.HasPrefix(d, `{"host`) })
	// -e on an extracted field
	out, _, _ := run(t, "tag=x json user | grep -i -e user admin", ents, 1)
	n := 0
	for _, i := range inRange(ents, 1) {
		var m map[string]any
		if err := json.Unmarshal(ents[i].Data, &m); err != nil {
			t.Fatal(err)
		}
		if strings.EqualFold(m["user"].(string), "admin") {
			n++
		}
	}
	if len(out) != n {
		t.Fatalf("grep -e: got %d, want %d", len(out), n)
	}
}

// refJSON decodes the JSON test entries.
func refJSON(t *testing.T, ents []wire.Entry, idx []int) []map[string]any {
	t.Helper()
	out := make([]map[string]any, len(idx))
	for k, i := range idx {
		if err := json.Unmarshal(ents[i].Data, &out[k]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestRunJSON(t *testing.T) {
	ents, _ := gen(3000, 3)
	idx := inRange(ents, 1)
	ref := refJSON(t, ents, idx)
	out, _, _ := run(t, `tag=x json status host client.ip as ip dur method==GET user!=admin`, ents, 1)
	var want []map[string]any
	for _, m := range ref {
		if m["method"] == "GET" && m["user"] != "admin" {
			want = append(want, m)
		}
	}
	if len(out) != len(want) {
		t.Fatalf("got %d entries, want %d", len(out), len(want))
	}
	for k, m := range want {
		o := out[k]
		if v := o.EVs["status"]; v.Type != wire.TypeInt64 || int64(v.N) != int64(m["status"].(float64)) {
			t.Fatalf("status %v, want %v", valueString(v), m["status"])
		}
		if v := o.EVs["host"]; v.Type != wire.TypeString || string(v.B) != m["host"] {
			t.Fatalf("host %v, want %v", valueString(v), m["host"])
		}
		ip := m["client"].(map[string]any)["ip"].(string)
		if v := o.EVs["ip"]; v.Type != wire.TypeIP || string(appendValueText(nil, v)) != ip || len(v.B) != 4 {
			t.Fatalf("ip %v, want %v", valueString(v), ip)
		}
		d := m["dur"].(float64)
		if v := o.EVs["dur"]; !(v.Type == wire.TypeFloat64 && math.Float64frombits(v.N) == d || v.Type == wire.TypeInt64 && float64(int64(v.N)) == d) {
			t.Fatalf("dur %v, want %v", valueString(v), d)
		}
		if v := o.EVs["method"]; string(v.B) != "GET" {
			t.Fatalf("method %v", valueString(v))
		}
		if strings.Join(o.Keys, ",") != "status,host,ip,dur,method,user" {
			t.Fatalf("EV order %v", o.Keys)
		}
	}
	// numeric filters and strict mode
	for _, c := range []struct {
		query string
		pass  func(m map[string]any) bool
	}{
		{"tag=x json status>=400", func(m map[string]any) bool { return m["status"].(float64) >= 400 }},
		{"tag=x json status<301", func(m map[string]any) bool { return m["status"].(float64) < 301 }},
		{"tag=x json bytes > 50000 dur <= 10", func(m map[string]any) bool { return m["bytes"].(float64) > 50000 && m["dur"].(float64) <= 10 }},
		{"tag=x json host~web", func(m map[string]any) bool { return strings.Contains(m["host"].(string), "web") }},
		{"tag=x json host!~web", func(m map[string]any) bool { return !strings.Contains(m["host"].(string), "web") }},
		{"tag=x json client.ip~10.0.1.0/24", func(m map[string]any) bool {
			return strings.HasPrefix(m["client"].(map[string]any)["ip"].(string), "10.0.1.")
		}},
		{"tag=x json client.ip==10.0.2.3", func(m map[string]any) bool { return m["client"].(map[string]any)["ip"] == "10.0.2.3" }},
		{"tag=x json status==404.0", func(m map[string]any) bool { return m["status"].(float64) == 404 }},
		{"tag=x json nope!=1", func(m map[string]any) bool { return true }},
		{"tag=x json -s nope!=1", func(m map[string]any) bool { return false }},
		{"tag=x json nope==1", func(m map[string]any) bool { return false }},
		{`tag=x json host=="edge \"quoted\""`, func(m map[string]any) bool { return m["host"] == `edge "quoted"` }},
	} {
		out, _, _ := run(t, c.query, ents, 1)
		n := 0
		for _, m := range ref {
			if c.pass(m) {
				n++
			}
		}
		if len(out) != n {
			t.Fatalf("%s: got %d, want %d", c.query, len(out), n)
		}
	}
}

func TestRunKVSyslogColumns(t *testing.T) {
	ents, meta := gen(3000, 4)
	byData := map[string]genEntry{}
	for i, e := range ents {
		byData[string(e.Data)] = meta[i]
	}
	check := func(query string, tag uint16, verify func(g genEntry, o outEntry) error) {
		t.Helper()
		out, _, _ := run(t, query, ents, tag)
		if len(out) != len(inRange(ents, tag)) {
			t.Fatalf("%s: got %d, want %d", query, len(out), len(inRange(ents, tag)))
		}
		for _, o := range out {
			if err := verify(byData[o.Data], o); err != nil {
				t.Fatalf("%s: %q: %v", query, o.Data, err)
			}
		}
	}
	str := func(o outEntry, name, want string) error {
		if v := o.EVs[name]; string(appendValueText(nil, v)) != want {
			return fmt.Errorf("%s = %s, want %q", name, valueString(v), want)
		}
		return nil
	}
	num := func(o outEntry, name string, want int64) error {
		if v := o.EVs[name]; v.Type != wire.TypeInt64 || int64(v.N) != want {
			return fmt.Errorf("%s = %s, want int64 %d", name, valueString(v), want)
		}
		return nil
	}
	check(`tag=x kv -q host status bytes as b ip user`, 2, func(g genEntry, o outEntry) error {
		// quoted values are taken as written between the quotes, escapes included
		return firstErr(str(o, "host", strings.ReplaceAll(g.host, `"`, `\"`)), num(o, "status", int64(g.status)), num(o, "b", g.bytes), str(o, "ip", g.ip),
			str(o, "user", g.user))
	})
	check(`tag=x kv -sep "=" -d " " method app sev`, 2, func(g genEntry, o outEntry) error {
		return firstErr(str(o, "method", g.method), str(o, "app", g.app), num(o, "sev", int64(g.sev)))
	})
	check(`tag=x syslog Appname Severity Facility Priority Version Message Structured.bytes Structured[m@1].ip as sip Timestamp`, 3,
		func(g genEntry, o outEntry) error {
			if o.EVs["Timestamp"].Type != wire.TypeTS || int64(o.EVs["Timestamp"].N) != o.TS {
				return fmt.Errorf("Timestamp %s, want %d", valueString(o.EVs["Timestamp"]), o.TS)
			}
			if o.EVs["sip"].Type != wire.TypeIP {
				return fmt.Errorf("sip type %d", o.EVs["sip"].Type)
			}
			return firstErr(str(o, "Appname", g.app), num(o, "Severity", int64(g.sev)), num(o, "Facility", 1),
				num(o, "Priority", int64(8+g.sev)), num(o, "Version", 1), num(o, "bytes", g.bytes), str(o, "sip", g.ip),
				str(o, "Message", fmt.Sprintf("%s %s status=%d", g.method, g.user, g.status)))
		})
	check(`tag=x csv [0] as host [1] as status [2] as bytes [4] as ip [7]`, 4, func(g genEntry, o outEntry) error {
		return firstErr(str(o, "host", g.host), num(o, "status", int64(g.status)), num(o, "bytes", g.bytes), str(o, "ip", g.ip), str(o, "7", g.app))
	})
	check(`tag=x csv -h "host,status,bytes,dur,ip,method,user,app,sev" app user bytes`, 4, func(g genEntry, o outEntry) error {
		return firstErr(str(o, "app", g.app), str(o, "user", g.user), num(o, "bytes", g.bytes))
	})
	check(`tag=x fields -d "," -clean [1] as status [0x2] as bytes [5] as method`, 4, func(g genEntry, o outEntry) error {
		return firstErr(num(o, "status", int64(g.status)), num(o, "bytes", g.bytes), str(o, "method", g.method))
	})
	check(`tag=x regex "user=(?P<u>\S+) app=(?P<a>\S+)"`, 2, func(g genEntry, o outEntry) error {
		return firstErr(str(o, "u", g.user), str(o, "a", g.app))
	})
	check(`tag=x length | length -e length as l2`, 1, func(g genEntry, o outEntry) error {
		return firstErr(num(o, "length", int64(len(o.Data))), num(o, "l2", int64(len(fmt.Sprint(len(o.Data))))))
	})
	// filters on text formats
	for _, c := range []struct {
		query string
		tag   uint16
		pass  func(g genEntry) bool
	}{
		{"tag=x kv status>=400 method==GET", 2, func(g genEntry) bool { return g.status >= 400 && g.method == "GET" }},
		{"tag=x syslog Severity<3 Appname!=cron", 3, func(g genEntry) bool { return g.sev < 3 && g.app != "cron" }},
		{"tag=x csv [5]==POST [2]<0", 4, func(g genEntry) bool { return g.method == "POST" && g.bytes < 0 }},
		{"tag=x fields -s [9]", 4, func(g genEntry) bool { return false }},
		{"tag=x fields [9]", 4, func(g genEntry) bool { return true }},
		{"tag=x regex -e DATA \"status=5\\d\\d\"", 2, func(g genEntry) bool { return g.status >= 500 }},
		{`tag=x regex "user=(?P<u>\S+) app=(?P<a>\S+)( status=(?P<s>\d+))?" u==root a!=cron`, 2, func(g genEntry) bool { return g.user == "root" && g.app != "cron" }},
		{`tag=x regex "status=(?P<s>\d+)" s>=500`, 2, func(g genEntry) bool { return g.status >= 500 }},
		{"tag=x kv ip~10.0.0.0/24", 2, func(g genEntry) bool { return strings.HasPrefix(g.ip, "10.0.0.") }},
	} {
		out, _, _ := run(t, c.query, ents, c.tag)
		n := 0
		for _, i := range inRange(ents, c.tag) {
			if c.pass(meta[i]) {
				n++
			}
		}
		if len(out) != n {
			t.Fatalf("%s: got %d, want %d", c.query, len(out), n)
		}
	}
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// refGroup is the brute-force aggregate of a group.
type refGroup struct {
	key      string
	distinct map[string]bool // methods seen
	n        int64
	vals     []float64
	ts       int64
	first    int
}

func (g *refGroup) sum() float64 {
	s := 0.0
	for _, v := range g.vals {
		s += v
	}
	return s
}
func (g *refGroup) mean() float64 { return g.sum() / float64(len(g.vals)) }
func (g *refGroup) stddev() float64 {
	m := g.mean()
	s := 0.0
	for _, v := range g.vals {
		s += (v - m) * (v - m)
	}
	return math.Sqrt(s / float64(len(g.vals)))
}
func (g *refGroup) min() float64 {
	m := g.vals[0]
	for _, v := range g.vals {
		m = math.Min(m, v)
	}
	return m
}
func (g *refGroup) max() float64 {
	m := g.vals[0]
	for _, v := range g.vals {
		m = math.Max(m, v)
	}
	return m
}

// refAgg groups the JSON entries (tag 1) by key(m) ("" skips the entry), with an optional
// window, collecting field values.
func refAgg(t *testing.T, ents []wire.Entry, key func(m map[string]any) string, field string, window int64) []*refGroup {
	idx := inRange(ents, 1)
	ref := refJSON(t, ents, idx)
	groups := map[string]*refGroup{}
	var order []*refGroup
	for k, m := range ref {
		gk := key(m)
		if gk == "" {
			continue
		}
		ts := ents[idx[k]].TS
		if window > 0 {
			ws := tStart + (ts-tStart)/window*window
			gk = fmt.Sprint(ws) + "|" + gk
			ts = ws
		}
		g := groups[gk]
		if g == nil {
			g = &refGroup{key: gk, ts: ts, first: len(order)}
			groups[gk] = g
			order = append(order, g)
		}
		g.n++
		if g.distinct == nil {
			g.distinct = map[string]bool{}
		}
		g.distinct[m["method"].(string)] = true
		if window == 0 && ts > g.ts {
			g.ts = ts
		}
		if field != "" {
			g.vals = append(g.vals, m[field].(float64))
		}
	}
	if window > 0 {
		sort.SliceStable(order, func(a, b int) bool { return order[a].ts < order[b].ts })
	}
	return order
}

func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func fval(v wire.Value) float64 {
	f, _ := v.Float()
	return f
}

func TestRunAggregates(t *testing.T) {
	ents, _ := gen(4000, 5)
	byHost := func(m map[string]any) string { return m["host"].(string) }
	byHostMethod := func(m map[string]any) string { return m["host"].(string) + "|" + m["method"].(string) }
	all := func(map[string]any) string { return "all" }
	keyOf := func(o outEntry, names ...string) string {
		var parts []string
		for _, n := range names {
			parts = append(parts, string(appendValueText(nil, o.EVs[n])))
		}
		if len(parts) == 0 {
			return "all"
		}
		return strings.Join(parts, "|")
	}
	type tc struct {
		query  string
		key    func(map[string]any) string
		by     []string
		field  string
		window int64
		check  func(g *refGroup, o outEntry) error
	}
	countIs := func(name string) func(g *refGroup, o outEntry) error {
		return func(g *refGroup, o outEntry) error {
			if v := o.EVs[name]; v.Type != wire.TypeInt64 || int64(v.N) != g.n {
				return fmt.Errorf("%s = %s, want %d", name, valueString(v), g.n)
			}
			if o.Data != fmt.Sprint(g.n) {
				return fmt.Errorf("data %q, want %d", o.Data, g.n)
			}
			return nil
		}
	}
	floatIs := func(name string, want func(g *refGroup) float64, typ wire.ValueType) func(g *refGroup, o outEntry) error {
		return func(g *refGroup, o outEntry) error {
			v := o.EVs[name]
			if v.Type != typ || !near(fval(v), want(g)) {
				return fmt.Errorf("%s = %s, want %v (type %d)", name, valueString(v), want(g), typ)
			}
			return nil
		}
	}
	for _, c := range []tc{
		{query: "tag=x json host | count by host", key: byHost, by: []string{"host"}, check: countIs("count")},
		{query: "tag=x json host method | count by host,method", key: byHostMethod, by: []string{"host", "method"}, check: countIs("count")},
		{query: "tag=x json host method | count by host method over 5m", key: byHostMethod, by: []string{"host", "method"}, window: int64(5 * time.Minute), check: countIs("count")},
		{query: "tag=x count", key: all, check: countIs("count")},
		{query: "tag=x json bytes | sum bytes", key: all, field: "bytes", check: floatIs("sum", (*refGroup).sum, wire.TypeInt64)},
		{query: "tag=x json bytes host | sum bytes by host", key: byHost, by: []string{"host"}, field: "bytes", check: floatIs("sum", (*refGroup).sum, wire.TypeInt64)},
		{query: "tag=x json dur host | sum dur by host over 10m", key: byHost, by: []string{"host"}, field: "dur", window: int64(10 * time.Minute), check: floatIs("sum", (*refGroup).sum, wire.TypeFloat64)},
		{query: "tag=x json bytes host | mean bytes by host", key: byHost, by: []string{"host"}, field: "bytes", check: floatIs("mean", (*refGroup).mean, wire.TypeFloat64)},
		{query: "tag=x json bytes host | min bytes by host", key: byHost, by: []string{"host"}, field: "bytes", check: floatIs("min", (*refGroup).min, wire.TypeInt64)},
		{query: "tag=x json dur host | max dur by host", key: byHost, by: []string{"host"}, field: "dur", check: floatIs("max", (*refGroup).max, wire.TypeFloat64)},
		{query: "tag=x json dur host | stddev dur by host over 15m", key: byHost, by: []string{"host"}, field: "dur", window: int64(15 * time.Minute), check: floatIs("stddev", (*refGroup).stddev, wire.TypeFloat64)},
		{query: "tag=x json bytes host | variance bytes as v by host", key: byHost, by: []string{"host"}, field: "bytes", check: floatIs("v", func(g *refGroup) float64 { return g.stddev() * g.stddev() }, wire.TypeFloat64)},
		{query: "tag=x json bytes host | stats count sum(bytes) mean(bytes) as avg min(bytes) max(bytes) stddev(bytes) by host", key: byHost, by: []string{"host"}, field: "bytes",
			check: func(g *refGroup, o outEntry) error {
				return firstErr(countIs("count")(g, o), floatIs("sum", (*refGroup).sum, wire.TypeInt64)(g, o), floatIs("avg", (*refGroup).mean, wire.TypeFloat64)(g, o),
					floatIs("min", (*refGroup).min, wire.TypeInt64)(g, o), floatIs("max", (*refGroup).max, wire.TypeInt64)(g, o),
					floatIs("stddev", (*refGroup).stddev, wire.TypeFloat64)(g, o))
			}},
		{query: "tag=x json host method | stats count(method) unique_count(method) as um by host", key: byHost, by: []string{"host"},
			check: func(g *refGroup, o outEntry) error {
				return firstErr(countIs("count")(g, o), func() error {
					if v := o.EVs["um"]; v.Type != wire.TypeInt64 || int64(v.N) != int64(len(g.distinct)) {
						return fmt.Errorf("um = %s, want %d", valueString(v), len(g.distinct))
					}
					return nil
				}())
			}},
		{query: "tag=x json user | count user by user", key: func(m map[string]any) string { return m["user"].(string) }, by: []string{"user"}, check: countIs("count")},
	} {
		out, rec, q := run(t, c.query, ents, 1)
		ref := refAgg(t, ents, c.key, c.field, c.window)
		if len(out) != len(ref) {
			t.Fatalf("%s: got %d groups, want %d", c.query, len(out), len(ref))
		}
		for k, g := range ref {
			o := out[k]
			got := keyOf(o, c.by...)
			want := g.key
			if c.window > 0 {
				want = want[strings.IndexByte(want, '|')+1:]
			}
			if got != want || o.TS != g.ts {
				t.Fatalf("%s: group %d is %q at %d, want %q at %d", c.query, k, got, o.TS, want, g.ts)
			}
			if err := c.check(g, o); err != nil {
				t.Fatalf("%s: group %q: %v", c.query, got, err)
			}
		}
		// the condensing module records its inputs while scanning and its outputs at the end
		ci := q.CollapsingIndex
		if tot := rec.total(ci); tot.InputCount != uint64(len(inRange(ents, 1))) || tot.OutputCount != uint64(len(ref)) {
			t.Fatalf("%s: stats in %d out %d", c.query, tot.InputCount, tot.OutputCount)
		}
	}
}

func TestRunUniqueSortLimit(t *testing.T) {
	ents, _ := gen(3000, 6)
	idx := inRange(ents, 1)
	ref := refJSON(t, ents, idx)

	out, _, _ := run(t, "tag=x json host method | unique host,method", ents, 1)
	seen := map[string]bool{}
	var want []string
	for k, m := range ref {
		key := m["host"].(string) + "|" + m["method"].(string)
		if !seen[key] {
			seen[key] = true
			want = append(want, string(ents[idx[k]].Data))
		}
	}
	if len(out) != len(want) {
		t.Fatalf("unique: got %d, want %d", len(out), len(want))
	}
	for k := range want {
		if out[k].Data != want[k] {
			t.Fatalf("unique %d: %q, want %q", k, out[k].Data, want[k])
		}
	}
	dup := append(append([]wire.Entry(nil), ents...), ents...)
	out, _, _ = run(t, "tag=x unique", dup, 1)
	if len(out) != len(idx) {
		t.Fatalf("unique data: got %d, want %d", len(out), len(idx))
	}

	for _, dir := range []string{"asc", "desc", ""} {
		out, _, _ = run(t, "tag=x json bytes | sort by bytes "+dir, ents, 1)
		if len(out) != len(idx) {
			t.Fatalf("sort: got %d", len(out))
		}
		for k := 1; k < len(out); k++ {
			a, b := int64(out[k-1].EVs["bytes"].N), int64(out[k].EVs["bytes"].N)
			if dir == "desc" && a < b || dir != "desc" && a > b {
				t.Fatalf("sort %s: %d before %d", dir, a, b)
			}
		}
	}
	out, _, _ = run(t, "tag=x sort asc", ents)
	for k := 1; k < len(out); k++ {
		if out[k-1].TS > out[k].TS {
			t.Fatal("sort asc by time out of order")
		}
	}
	out, _, _ = run(t, "tag=x json host | count by host | sort by count desc | limit 3 | table", ents, 1)
	groups := refAgg(t, ents, func(m map[string]any) string { return m["host"].(string) }, "", 0)
	sort.SliceStable(groups, func(a, b int) bool { return groups[a].n > groups[b].n })
	if len(out) != 3 {
		t.Fatalf("limit after sort: %d rows", len(out))
	}
	for k := 0; k < 3; k++ {
		if int64(out[k].EVs["count"].N) != groups[k].n || string(out[k].EVs["host"].B) != groups[k].key {
			t.Fatalf("top %d: %v, want %s %d", k, out[k], groups[k].key, groups[k].n)
		}
	}
	out, rec, _ := run(t, "tag=x grep GET | head 25", ents)
	var wantHead []string
	for _, i := range inRange(ents) {
		if strings.Contains(string(ents[i].Data), "GET") && len(wantHead) < 25 {
			wantHead = append(wantHead, string(ents[i].Data))
		}
	}
	for k := range wantHead {
		if out[k].Data != wantHead[k] {
			t.Fatalf("head %d: %q, want %q", k, out[k].Data, wantHead[k])
		}
	}
	if len(out) != 25 || rec.total(0).InputCount >= uint64(len(inRange(ents))) {
		t.Fatalf("head did not stop the scan early: %d out, grep saw %d", len(out), rec.total(0).InputCount)
	}
	out, _, _ = run(t, "tag=x json src | sort by SRC", ents, 1)
	for k := 1; k < len(out); k++ {
		if out[k-1].SRC.IsValid() && out[k].SRC.IsValid() && out[k-1].SRC.Compare(out[k].SRC) > 0 ||
			!out[k-1].SRC.IsValid() && out[k].SRC.IsValid() {
			t.Fatalf("sort by SRC out of order at %d", k)
		}
	}
}

func TestRunChartWindow(t *testing.T) {
	ents, _ := gen(2000, 7)
	out, _, q := run(t, "tag=x count | chart count", ents)
	if q.Window != 0 {
		t.Fatal("window without over")
	}
	// chart: 1 h / 1000 points → 4 s windows (rounded to the 1 m bucket width of the recorder)
	if len(out) < 50 {
		t.Fatalf("chart got %d points, want one per minute", len(out))
	}
	total := int64(0)
	for k, o := range out {
		total += int64(o.EVs["count"].N)
		if (o.TS-tStart)%int64(time.Minute) != 0 || k > 0 && o.TS <= out[k-1].TS {
			t.Fatalf("chart point %d at %d", k, o.TS)
		}
	}
	if total != int64(len(inRange(ents))) {
		t.Fatalf("chart total %d, want %d", total, len(inRange(ents)))
	}
}

// TestExtractEVs checks how extraction modules attach values: in place when the entry has none
// and the names are distinct, through setEV otherwise (a repeated name keeps the last value,
// a second module overwrites the first's), and nothing left behind by a dropped entry.
func TestExtractEVs(t *testing.T) {
	mk := func(lines ...string) []wire.Entry {
		ents := make([]wire.Entry, len(lines))
		for i, l := range lines {
			ents[i] = wire.Entry{TS: tEnd - 1 - int64(i), Tag: 1, Data: []byte(l)}
		}
		return ents
	}
	ents := mk(`a=1 b=x c=10.0.0.1`, `a=2 b=y`, `a=3 b=z c=7`, `b=w`)
	for _, c := range []struct{ query, want string }{
		{`tag=x kv a b c`, `a=1 b=x c=10.0.0.1|a=2 b=y|a=3 b=z c=7|b=w`},
		{`tag=x kv a as v b as v`, `v=x|v=y|v=z|v=w`},
		{`tag=x kv a b as a`, `a=x|a=y|a=z|a=w`},
		{`tag=x kv a b==y c`, `a=2 b=y`},
		{`tag=x kv -s a c`, `a=1 c=10.0.0.1|a=3 c=7`},
		{`tag=x kv a>1 b | kv b as a c`, `a=y b=y|a=z b=z c=7`},
		{`tag=x kv b c | kv a c==7`, `b=z c=7 a=3`},
	} {
		out, _, _ := run(t, c.query, ents, 1)
		var got []string
		for _, o := range out {
			var kv []string
			for _, k := range o.Keys {
				kv = append(kv, k+"="+string(appendValueText(nil, o.EVs[k])))
			}
			got = append(got, strings.Join(kv, " "))
		}
		if s := strings.Join(got, "|"); s != c.want {
			t.Errorf("%s: got %q, want %q", c.query, s, c.want)
		}
	}
}
