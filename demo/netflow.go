package demo

import (
	"math"
	"net/netip"
)

// Protocol numbers (IANA).
const (
	protoICMP = 1
	protoTCP  = 6
	protoUDP  = 17
)

var (
	resolvers  = [][4]byte{{1, 1, 1, 1}, {8, 8, 8, 8}, {9, 9, 9, 9}}
	ntpServers = [][4]byte{{162, 159, 200, 1}, {129, 6, 15, 28}}
	// internalFlows are east-west service ports: source host, destination host, port.
	internalFlows = [][3]int{{0, 3, 5432}, {1, 3, 5432}, {2, 4, 5432}, {0, 5, 6379}, {1, 5, 6379}, {2, 5, 6379}, {9, 3, 5432}, {10, 4, 5432}, {9, 7, 389}, {10, 7, 389}, {8, 9, 6443}}
)

// netflow writes one CSV flow record into g.msg and returns the exporting gateway's address:
// ts,src,dst,srcport,dstport,proto,bytes,packets.
func (g *gen) netflow() netip.Addr {
	gw := gateways[g.r.IntN(len(gateways))]
	var src, dst [4]byte
	var sport, dport, proto = g.port(), 443, protoTCP
	packets := g.lognormal(math.Log(12), 1.3)
	avg := 40 + g.r.Float64()*1400

	switch p := g.r.IntN(100); {
	case p < 45: // outbound
		if g.chance(60) {
			src = hosts[g.r.IntN(len(hosts))].ip
		} else {
			src = g.adminIP()
		}
		dst = g.publicIP()
		switch q := g.r.IntN(100); {
		case q < 60:
		case q < 72:
			dport = 80
		case q < 88:
			dst, dport, proto = pick(g, resolvers), 53, protoUDP
			packets, avg = 1+float64(g.r.IntN(2)), 60+g.r.Float64()*200
		case q < 93:
			dst, sport, dport, proto = pick(g, ntpServers), 123, 123, protoUDP
			packets, avg = 1, 76
		case q < 96:
			src, dport = hosts[6].ip, 25 // mail01 delivering
		default:
			sport, dport, proto = 0, 0, protoICMP
			packets, avg = 1+float64(g.r.IntN(4)), 84
		}
	case p < 80: // inbound to the web tier
		src = g.client()
		dst = hosts[webHosts[g.r.IntN(len(webHosts))]].ip
		if g.chance(8) {
			dport = 80
		}
	default: // east-west
		f := pick(g, internalFlows)
		src, dst, dport = hosts[f[0]].ip, hosts[f[1]].ip, f[2]
	}
	if packets < 1 {
		packets = 1
	}

	g.msg = g.msg[:0]
	g.msg = g.appendStamp(g.msg)
	g.wb(',')
	g.wip(src)
	g.wb(',')
	g.wip(dst)
	g.wb(',')
	g.wi(sport)
	g.wb(',')
	g.wi(dport)
	g.wb(',')
	g.wi(proto)
	g.wb(',')
	g.wi(int(packets * avg))
	g.wb(',')
	g.wi(int(packets))
	return addrOf(hosts[gw].ip)
}
