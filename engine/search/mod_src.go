package search

import (
	"net/netip"
	"strconv"

	"github.com/sluicehq/sluice/wire"
)

// src [-v] ADDRESS|PREFIX ...
//
// Keeps the entries whose source (SRC) is one of the addresses or lies in one of the CIDR
// prefixes; -v drops them instead. An IPv4 address and its IPv4-mapped IPv6 form are the
// same source. An entry without a SRC matches nothing (so -v keeps it). Every accelerator
// indexes SRC, so `src ADDRESS` skips the blocks without that source.
type srcSpec struct {
	addrs  []netip.Addr // unmapped
	pfxs   []netip.Prefix
	invert bool
}

func parseSrc(p *modParser) (moduleImpl, *ParseError) {
	s := &srcSpec{}
	_, s.invert = p.flag("-v")
	if !p.more() {
		return nil, p.errAt(nil, "missing argument: expected one or more IP addresses or CIDR prefixes")
	}
	for p.more() {
		t := p.next()
		if a, err := netip.ParseAddr(t.text); err == nil {
			s.addrs = append(s.addrs, a.Unmap().WithZone(""))
			continue
		}
		pfx, err := netip.ParsePrefix(t.text)
		if err != nil {
			return nil, p.errAt(t, "bad source "+strconv.Quote(t.text)+"; expected an IP address or a CIDR prefix such as 10.0.0.0/8")
		}
		if pfx.Addr().Is4In6() && pfx.Bits() >= 96 {
			pfx = netip.PrefixFrom(pfx.Addr().Unmap(), pfx.Bits()-96)
		}
		s.pfxs = append(s.pfxs, pfx.Masked())
	}
	return s, nil
}

// match reports whether a is one of s's sources.
func (s *srcSpec) match(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, x := range s.addrs {
		if x == a {
			return true
		}
	}
	for _, p := range s.pfxs {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (s *srcSpec) newStage(rc *runCtx) stage { return &srcStage{s: s} }

type srcStage struct{ s *srcSpec }

func (g *srcStage) process(ents []wire.Entry) (int, error) {
	n := 0
	for i := range ents {
		if g.s.match(ents[i].SRC) == g.s.invert {
			continue
		}
		if n != i {
			ents[n] = ents[i]
		}
		n++
	}
	return n, nil
}

func (g *srcStage) flush() ([]wire.Entry, error) { return nil, nil }
