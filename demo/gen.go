package demo

import (
	"math"
	"math/rand/v2"
	"net/netip"
	"strconv"

	"github.com/sluicehq/sluice/wire"
)

// gen holds the state of one Generate run. All randomness comes from r, in a fixed order, so
// a seed always gives the same bytes.
type gen struct {
	r     *rand.Rand
	clock *clock
	b     []byte // the batch's data arena
	msg   []byte // the line being written
	body  []byte // a syslog message body while its header is written
	path  []byte // a weblog request path being built
	ts    int64  // the current entry's timestamp (ns, whole ms)

	stampSec int64    // second of stampBuf
	stampBuf [20]byte // "2006-01-02T15:04:05Z" of stampSec

	clients    [][4]byte  // web clients, most popular first
	clientZipf *rand.Zipf // popularity of clients
	appPick    [][]uint8  // per host: an app index table to draw from
	pids       [][]int32  // per host, per app: the current process ID
	seq        uint32     // syslog meta sequenceId
	conn       uint32     // nginx connection counter
	queueID    uint64     // postfix queue ID source

	outageStart, outageEnd int64 // ns: upstream failures on the web tier
	bruteStart, bruteEnd   int64 // ns: an SSH brute-force attack
	attacker               [4]byte
}

func newGen(cfg Config) *gen {
	r := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	g := &gen{r: r, b: make([]byte, 0, cfg.BatchSize*240)}
	g.clock = newClock(r, cfg.Now, cfg.Span, cfg.Count)
	g.stampSec = math.MinInt64

	g.clients = make([][4]byte, 5000)
	for i := range g.clients {
		g.clients[i] = g.publicIP()
	}
	g.clientZipf = rand.NewZipf(r, 1.2, 4, uint64(len(g.clients)-1))

	g.appPick = make([][]uint8, len(hosts))
	g.pids = make([][]int32, len(hosts))
	for h := range hosts {
		var table []uint8
		for a, app := range apps {
			w := app.weight[hosts[h].role]
			for range w {
				table = append(table, uint8(a))
			}
		}
		g.appPick[h] = table
		g.pids[h] = make([]int32, len(apps))
		for a := range apps {
			g.pids[h][a] = int32(300 + r.IntN(60000))
		}
	}
	g.seq = uint32(r.IntN(100000))
	g.conn = uint32(r.IntN(1000000))
	g.queueID = r.Uint64()

	span := g.clock.end - g.clock.start
	g.outageStart = g.clock.start + int64(float64(span)*(0.2+0.6*r.Float64()))
	g.outageEnd = g.outageStart + span/48 // 30 minutes of a day
	g.bruteStart = g.clock.start + int64(float64(span)*(0.1+0.8*r.Float64()))
	g.bruteEnd = g.bruteStart + span/32 // 45 minutes of a day
	g.attacker = g.publicIP()
	return g
}

// publicIP draws a plausible public IPv4 address (no private, loopback or multicast ranges).
func (g *gen) publicIP() [4]byte {
	for {
		a := byte(1 + g.r.IntN(223))
		switch a {
		case 10, 100, 127, 169, 172, 192, 198, 203:
			continue
		}
		return [4]byte{a, byte(g.r.IntN(256)), byte(g.r.IntN(256)), byte(1 + g.r.IntN(254))}
	}
}

// pick returns one of the n items with equal odds.
func pick[T any](g *gen, items []T) T { return items[g.r.IntN(len(items))] }

func (g *gen) chance(percent int) bool { return g.r.IntN(1000) < percent*10 }

// lognormal returns exp(N(mu, sigma)).
func (g *gen) lognormal(mu, sigma float64) float64 {
	return math.Exp(mu + sigma*g.r.NormFloat64())
}

// appendStamp appends the RFC 3339 UTC form of g.ts with exactly three fractional digits.
func (g *gen) appendStamp(b []byte) []byte {
	sec, ms := g.ts/1e9, g.ts%1e9/1e6
	if g.ts < 0 && g.ts%1e9 != 0 {
		sec, ms = sec-1, (g.ts%1e9+1e9)/1e6
	}
	if sec != g.stampSec {
		g.stampSec = sec
		wire.AppendRFC3339(g.stampBuf[:0], sec, 0) // exactly 20 bytes for years 0000-9999
	}
	b = append(b, g.stampBuf[:19]...)
	return append(b, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z')
}

func appendIP(b []byte, ip [4]byte) []byte {
	b = strconv.AppendUint(b, uint64(ip[0]), 10)
	for _, o := range ip[1:] {
		b = append(b, '.')
		b = strconv.AppendUint(b, uint64(o), 10)
	}
	return b
}

func appendInt(b []byte, n int) []byte { return strconv.AppendInt(b, int64(n), 10) }

func (g *gen) client() [4]byte { return g.clients[g.clientZipf.Uint64()] }

func addrOf(ip [4]byte) netip.Addr { return netip.AddrFrom4(ip) }
