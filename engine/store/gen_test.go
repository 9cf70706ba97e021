package store

import (
	"math/rand/v2"
	"net/netip"
	"strconv"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// lineGen generates realistic log lines (RFC 5424 syslog, JSON access logs, CSV netflow) for
// tests and benchmarks, deterministically from a seed.
type lineGen struct {
	r *rand.Rand
}

func newLineGen(seed uint64) *lineGen {
	return &lineGen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

var (
	genHosts   = []string{"web-01", "web-02", "web-03", "db-01", "db-02", "cache-01", "lb-01", "lb-02", "auth-01", "mail-01", "build-07", "vpn-gw"}
	genApps    = []string{"sshd", "nginx", "postgres", "redis", "haproxy", "kernel", "systemd", "cron", "sudo", "dovecot"}
	genMsgs    = []string{"Accepted publickey for deploy from 10.1.4.22 port 51544 ssh2: ED25519 SHA256:q8w0bK1o", "connection reset by peer while reading response header from upstream", "checkpoint complete: wrote 1843 buffers (11.2%); 0 WAL file(s) added, 1 removed", "Started Daily apt upgrade and clean activities.", "pam_unix(sudo:session): session opened for user root(uid=0) by admin(uid=1000)", "Out of memory: Killed process 31337 (java) total-vm:8123412kB", "imap-login: Login: user=<ops@example.com>, method=PLAIN, rip=192.0.2.7, lip=198.51.100.2", "Server started, Redis version 7.2.4", "backend api/srv2 is DOWN, reason: Layer4 timeout, check duration: 2001ms", "(root) CMD (/usr/local/bin/backup.sh >/dev/null 2>&1)"}
	genPaths   = []string{"/", "/index.html", "/api/v1/search", "/api/v1/users/42", "/static/app.js", "/static/style.css", "/login", "/api/v1/ingest", "/favicon.ico", "/healthz"}
	genMethods = []string{"GET", "GET", "GET", "POST", "PUT", "DELETE"}
	genStatus  = []int{200, 200, 200, 200, 304, 404, 500, 201, 302}
	genAgents  = []string{"Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0", "curl/8.5.0", "Go-http-client/1.1", "Mozilla/5.0 (Macintosh) Safari/605.1.15"}
)

// line appends one line of the given kind (0 syslog, 1 weblog, 2 netflow) with timestamp ts.
func (g *lineGen) line(dst []byte, kind int, ts int64) []byte {
	r := g.r
	t := time.Unix(0, ts).UTC()
	switch kind {
	case 0:
		dst = append(dst, '<')
		dst = strconv.AppendInt(dst, int64(8+r.IntN(180)), 10)
		dst = append(dst, ">1 "...)
		dst = t.AppendFormat(dst, "2006-01-02T15:04:05.000000Z")
		dst = append(dst, ' ')
		dst = append(dst, genHosts[r.IntN(len(genHosts))]...)
		dst = append(dst, ' ')
		dst = append(dst, genApps[r.IntN(len(genApps))]...)
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, int64(100+r.IntN(40000)), 10)
		dst = append(dst, " - [meta seq=\""...)
		dst = strconv.AppendInt(dst, int64(r.IntN(1<<20)), 10)
		dst = append(dst, "\"] "...)
		dst = append(dst, genMsgs[r.IntN(len(genMsgs))]...)
	case 1:
		dst = append(dst, `{"ts":"`...)
		dst = t.AppendFormat(dst, time.RFC3339Nano)
		dst = append(dst, `","method":"`...)
		dst = append(dst, genMethods[r.IntN(len(genMethods))]...)
		dst = append(dst, `","path":"`...)
		dst = append(dst, genPaths[r.IntN(len(genPaths))]...)
		dst = append(dst, `","status":`...)
		dst = strconv.AppendInt(dst, int64(genStatus[r.IntN(len(genStatus))]), 10)
		dst = append(dst, `,"bytes":`...)
		dst = strconv.AppendInt(dst, int64(r.IntN(200000)), 10)
		dst = append(dst, `,"duration_ms":`...)
		dst = strconv.AppendFloat(dst, r.Float64()*900, 'f', 3, 64)
		dst = append(dst, `,"client":"10.`...)
		dst = strconv.AppendInt(dst, int64(r.IntN(256)), 10)
		dst = append(dst, '.')
		dst = strconv.AppendInt(dst, int64(r.IntN(256)), 10)
		dst = append(dst, '.')
		dst = strconv.AppendInt(dst, int64(r.IntN(256)), 10)
		dst = append(dst, `","ua":"`...)
		dst = append(dst, genAgents[r.IntN(len(genAgents))]...)
		dst = append(dst, `"}`...)
	default:
		dst = t.AppendFormat(dst, "2006-01-02 15:04:05.000")
		for i := 0; i < 2; i++ {
			dst = append(dst, ",192.168."...)
			dst = strconv.AppendInt(dst, int64(r.IntN(256)), 10)
			dst = append(dst, '.')
			dst = strconv.AppendInt(dst, int64(r.IntN(256)), 10)
			dst = append(dst, ',')
			dst = strconv.AppendInt(dst, int64(r.IntN(65536)), 10)
		}
		dst = append(dst, ",TCP,"...)
		dst = strconv.AppendInt(dst, int64(r.IntN(5000)), 10)
		dst = append(dst, ',')
		dst = strconv.AppendInt(dst, int64(r.IntN(3000000)), 10)
		dst = append(dst, ",ACK|PSH,egress,sensor-"...)
		dst = strconv.AppendInt(dst, int64(r.IntN(8)), 10)
		dst = append(dst, ",flow_id="...)
		dst = strconv.AppendUint(dst, r.Uint64(), 16)
		dst = append(dst, ",app=https,country=DE,asn=AS3320,vlan=120,dscp=0"...)
	}
	return dst
}

// line200 appends a line padded or cut to exactly 200 bytes.
func (g *lineGen) line200(dst []byte, kind int, ts int64) []byte {
	start := len(dst)
	dst = g.line(dst, kind, ts)
	for len(dst)-start < 200 {
		dst = append(dst, " pad=abcdefghij"...)
	}
	return dst[:start+200]
}

// addr returns a random source: absent, IPv4 or IPv6 (some 4-in-6).
func (g *lineGen) addr() netip.Addr {
	switch g.r.IntN(4) {
	case 0:
		return netip.Addr{}
	case 1:
		var a [16]byte
		a[0], a[1], a[15] = 0x20, 0x01, byte(g.r.IntN(256))
		return netip.AddrFrom16(a)
	case 2:
		return netip.AddrFrom16(netip.AddrFrom4([4]byte{10, 0, 0, byte(g.r.IntN(256))}).As16())
	}
	return netip.AddrFrom4([4]byte{192, 168, byte(g.r.IntN(4)), byte(g.r.IntN(256))})
}

// entries returns n entries with 200-byte lines, timestamps from ts stepping by step ns,
// tags cycling through tags. Data of all entries share one backing array.
func (g *lineGen) entries(n int, ts, step int64, tags []uint16) []wire.Entry {
	buf := make([]byte, 0, n*200)
	es := make([]wire.Entry, n)
	for i := range es {
		start := len(buf)
		buf = g.line200(buf, i%3, ts)
		es[i] = wire.Entry{TS: ts, SRC: netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), Tag: tags[i%len(tags)], Data: buf[start:len(buf):len(buf)]}
		ts += step
	}
	return es
}
