package search

import (
	"net/netip"
	"strings"
	"testing"
)

func TestSrcModule(t *testing.T) {
	f := func(query, src string, want bool) {
		t.Helper()
		q, err := Parse(query)
		if err != nil {
			t.Fatalf("Parse(%q): %v", query, err)
		}
		var a netip.Addr
		if src != "" {
			a = netip.MustParseAddr(src)
		}
		s := q.Modules[0].impl.(*srcSpec)
		if got := s.match(a) != s.invert; got != want {
			t.Errorf("%s: SRC %q kept %v, want %v", query, src, got, want)
		}
	}
	f("src 10.0.0.1", "10.0.0.1", true)
	f("src 10.0.0.1", "::ffff:10.0.0.1", true)
	f("src ::ffff:10.0.0.1", "10.0.0.1", true)
	f("src 10.0.0.1", "10.0.0.2", false)
	f("src 10.0.0.1", "", false)
	f("src -v 10.0.0.1", "", true)
	f("src -v 10.0.0.1", "10.0.0.1", false)
	f("src 10.0.0.0/30 2001:db8::1", "10.0.0.3", true)
	f("src 10.0.0.0/30 2001:db8::1", "10.0.0.4", false)
	f("src 10.0.0.0/30 2001:db8::1", "2001:db8::1", true)
	f("src ::ffff:10.0.0.0/120", "10.0.0.9", true)
	f("src fe80::1%eth0", "fe80::1", true)
}

func TestSrcModuleErrors(t *testing.T) {
	f := func(query, want string) {
		t.Helper()
		if _, err := Parse(query); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q): err %v, want %q", query, err, want)
		}
	}
	f("src", "missing argument: expected one or more IP addresses or CIDR prefixes")
	f("src -v", "missing argument")
	f("src web1", `bad source "web1"`)
	f("src 10.0.0.1/33", `bad source "10.0.0.1/33"`)
}
