package demo

import (
	"net/netip"
	"strconv"
)

// RFC 5424 §6.2.1 severities.
const (
	sevCrit    = 2
	sevErr     = 3
	sevWarning = 4
	sevNotice  = 5
	sevInfo    = 6
)

// Message builders: they append to g.msg.
func (g *gen) w(s string)          { g.msg = append(g.msg, s...) }
func (g *gen) wb(c byte)           { g.msg = append(g.msg, c) }
func (g *gen) wi(n int)            { g.msg = strconv.AppendInt(g.msg, int64(n), 10) }
func (g *gen) wip(ip [4]byte)      { g.msg = appendIP(g.msg, ip) }
func (g *gen) wf(f float64, p int) { g.msg = strconv.AppendFloat(g.msg, f, 'f', p, 64) }
func (g *gen) wpick(s []string)    { g.msg = append(g.msg, pick(g, s)...) }

func (g *gen) port() int { return 32768 + g.r.IntN(28232) }

// adminIP is an address on the admin workstation network.
func (g *gen) adminIP() [4]byte {
	return [4]byte{10, 20, byte(1 + g.r.IntN(9)), byte(2 + g.r.IntN(248))}
}

// syslog writes one RFC 5424 line (RFC 5424 §6) into g.msg and returns the sender's address.
func (g *gen) syslog() netip.Addr {
	h := g.r.IntN(len(hosts))
	a := int(g.appPick[h][g.r.IntN(len(g.appPick[h]))])
	inBrute := g.ts >= g.bruteStart && g.ts < g.bruteEnd
	if inBrute && g.chance(40) {
		h, a = gateways[0], appSshd
	}
	if g.r.IntN(200) == 0 { // services restart now and then: a new process ID
		g.pids[h][a] = int32(300 + g.r.IntN(60000))
	}

	// The message first: it decides the severity, which the header needs.
	g.msg = g.msg[:0]
	sev := g.message(h, a, inBrute)
	g.msg, g.body = g.body[:0], g.msg

	app := &apps[a]
	g.wb('<')
	g.wi(app.facility*8 + sev)
	g.w(">1 ")
	g.msg = g.appendStamp(g.msg)
	g.wb(' ')
	g.w(hosts[h].name)
	g.wb(' ')
	g.w(app.name)
	g.wb(' ')
	if a == appKernel {
		g.wb('-')
	} else {
		g.wi(int(g.pids[h][a]))
	}
	g.w(" - ")
	// Structured data (RFC 5424 §6.3) on some lines, as rsyslog adds it.
	switch p := g.r.IntN(100); {
	case p < 15:
		g.seq++
		g.w(`[meta sequenceId="`)
		g.wi(int(g.seq))
		g.w(`"]`)
	case p < 23:
		g.w(`[origin ip="`)
		g.wip(hosts[h].ip)
		g.w(`" software="rsyslogd" swVersion="8.2312.0"]`)
	case p < 26:
		g.seq++
		g.w(`[timeQuality tzKnown="1" isSynced="1" syncAccuracy="`)
		g.wi(1000 + g.r.IntN(90000))
		g.w(`"][meta sequenceId="`)
		g.wi(int(g.seq))
		g.w(`"]`)
	default:
		g.wb('-')
	}
	g.wb(' ')
	g.msg = append(g.msg, g.body...)
	return addrOf(hosts[h].ip)
}

// message writes the MSG part for app a on host h and returns its severity.
func (g *gen) message(h, a int, inBrute bool) int {
	p := g.r.IntN(100)
	switch a {
	case appSshd:
		return g.sshd(h, p, inBrute)
	case appSystemd:
		svc := pick(g, services)
		switch {
		case p < 30:
			g.w("Started Session ")
			g.wi(1000 + g.r.IntN(90000))
			g.w(" of User ")
			g.wpick(users)
			g.wb('.')
		case p < 45:
			g.w("Starting Daily apt download activities...")
		case p < 60:
			g.w("Finished Daily apt download activities.")
		case p < 75:
			g.w(svc)
			g.w(".service: Deactivated successfully.")
		case p < 88:
			g.w("Started ")
			g.w(svc)
			g.w(".service.")
		case p < 95:
			g.w("Reloading.")
		case p < 98:
			g.w(svc)
			g.w(".service: Main process exited, code=exited, status=1/FAILURE")
			return sevErr
		default:
			g.w(svc)
			g.w(".service: Failed with result 'exit-code'.")
			return sevWarning
		}
	case appCron:
		g.wpick(cronCmds)
	case appKernel:
		return g.kernel(h, p)
	case appSudo:
		u := pick(g, users)
		if p < 60 {
			g.w(u)
			g.w(" : TTY=pts/")
			g.wi(g.r.IntN(6))
			g.w(" ; PWD=/home/")
			g.w(u)
			g.w(" ; USER=root ; COMMAND=")
			g.wpick(sudoCmds)
			return sevNotice
		}
		g.w("pam_unix(sudo:session): session opened for user root(uid=0) by ")
		g.w(u)
		g.w("(uid=")
		g.wi(1000 + g.r.IntN(20))
		g.wb(')')
	case appNginx:
		return g.nginx(h, p)
	case appPostgres:
		g.wb('[')
		g.wi(int(g.pids[h][a]) + g.r.IntN(50))
		g.w("] ")
		switch {
		case p < 40:
			g.w("LOG:  duration: ")
			g.wf(g.lognormal(6.2, 0.7), 3)
			g.w(" ms  statement: SELECT * FROM ")
			g.wpick(pgTables)
			g.w(" WHERE id = ")
			g.wi(1 + g.r.IntN(2000000))
		case p < 70:
			g.w("LOG:  connection authorized: user=app database=shop application_name=")
			g.wpick(pgApps)
		case p < 85:
			b := 100 + g.r.IntN(20000)
			g.w("LOG:  checkpoint complete: wrote ")
			g.wi(b)
			g.w(" buffers (")
			g.wf(float64(b)/1638.4, 1)
			g.w("%); 0 WAL file(s) added, 0 removed, 1 recycled; write=")
			g.wf(g.lognormal(3, 0.5), 3)
			g.w(" s, sync=")
			g.wf(g.r.Float64()/10, 3)
			g.w(" s, total=")
			g.wf(g.lognormal(3.1, 0.5), 3)
			g.w(" s")
		case p < 95:
			g.w(`ERROR:  duplicate key value violates unique constraint "`)
			g.wpick(pgTables)
			g.w(`_pkey"`)
			return sevErr
		default:
			g.w(`FATAL:  password authentication failed for user "`)
			g.wpick(badUsers)
			g.wb('"')
			return sevErr
		}
	case appRedis:
		g.wi(int(g.pids[h][a]))
		g.w(":M * ")
		switch {
		case p < 35:
			g.w("100 changes in 300 seconds. Saving...")
		case p < 70:
			g.w("Background saving started by pid ")
			g.wi(int(g.pids[h][a]) + 1 + g.r.IntN(5000))
		case p < 97:
			g.w("DB saved on disk")
		default:
			g.w("WARNING: memory usage is above 90% of maxmemory")
			return sevWarning
		}
	case appSmtpd, appQmgr, appSmtp:
		return g.postfix(a, p)
	case appKubelet:
		pod := pick(g, pods)
		switch {
		case p < 40:
			g.w(`"SyncLoop (PLEG): event for pod" pod="default/`)
			g.w(pod)
			g.w(`" event={"Type":"ContainerStarted"}`)
		case p < 65:
			g.w(`"Observed pod startup duration" pod="default/`)
			g.w(pod)
			g.w(`" podStartSLOduration=`)
			g.wf(g.lognormal(1, 0.6), 6)
		case p < 85:
			g.w(`"Killing container with a grace period" pod="default/`)
			g.w(pod)
			g.w(`" containerName="app" gracePeriod=30`)
		default:
			g.w(`"Probe failed" probeType="Readiness" pod="default/`)
			g.w(pod)
			g.w(`" containerName="app" probeResult="failure" output="HTTP probe failed with statuscode: 503"`)
			return sevWarning
		}
	case appContainerd:
		g.w(`level=info msg="StartContainer for \"`)
		g.hex(16)
		g.w(`\" returns successfully"`)
	case appDockerd:
		if p < 85 {
			g.w(`level=info msg="ignoring event" container=`)
			g.hex(32)
			g.w(` module=libcontainerd namespace=moby topic=/tasks/delete type="*events.TaskDelete"`)
		} else {
			g.w(`level=warning msg="Error getting v2 registry: Get \"https://registry.example.com/v2/\": net/http: request canceled while waiting for connection"`)
			return sevWarning
		}
	case appSlapd:
		g.w("conn=")
		g.wi(1000 + g.r.IntN(90000))
		g.w(" op=")
		g.wi(g.r.IntN(8))
		switch {
		case p < 35:
			g.w(` BIND dn="uid=`)
			g.wpick(users)
			g.w(`,ou=people,dc=example,dc=com" method=128`)
		case p < 65:
			g.w(` SRCH base="dc=example,dc=com" scope=2 deref=0 filter="(uid=`)
			g.wpick(users)
			g.w(`)"`)
		case p < 92:
			g.w(" RESULT tag=97 err=0 text=")
		default:
			g.w(" RESULT tag=97 err=49 text=invalid credentials")
			return sevWarning
		}
	}
	return sevInfo
}

func (g *gen) sshd(h, p int, inBrute bool) int {
	if inBrute && h == gateways[0] && p < 90 {
		if p < 85 {
			g.w("Failed password for ")
			if g.chance(50) {
				g.w("invalid user ")
			}
			g.wpick(badUsers)
		} else {
			g.w("error: maximum authentication attempts exceeded for root")
		}
		g.w(" from ")
		g.wip(g.attacker)
		g.w(" port ")
		g.wi(g.port())
		g.w(" ssh2")
		if p >= 85 {
			g.w(" [preauth]")
			return sevErr
		}
		return sevWarning
	}
	u := pick(g, users)
	switch {
	case p < 35:
		g.w("Accepted publickey for ")
		g.w(u)
		g.w(" from ")
		g.wip(g.adminIP())
		g.w(" port ")
		g.wi(g.port())
		g.w(" ssh2: ")
		g.wpick(sshKeys)
	case p < 50:
		g.w("pam_unix(sshd:session): session opened for user ")
		g.w(u)
		g.w("(uid=")
		g.wi(1000 + g.r.IntN(20))
		g.w(") by (uid=0)")
	case p < 65:
		g.w("pam_unix(sshd:session): session closed for user ")
		g.w(u)
	case p < 75:
		g.w("Disconnected from user ")
		g.w(u)
		g.wb(' ')
		g.wip(g.adminIP())
		g.w(" port ")
		g.wi(g.port())
	case p < 92:
		g.w("Failed password for invalid user ")
		g.wpick(badUsers)
		g.w(" from ")
		g.wip(g.client())
		g.w(" port ")
		g.wi(g.port())
		g.w(" ssh2")
		return sevWarning
	default:
		g.w("Connection closed by authenticating user root ")
		g.wip(g.publicIP())
		g.w(" port ")
		g.wi(g.port())
		g.w(" [preauth]")
	}
	return sevInfo
}

func (g *gen) kernel(h, p int) int {
	if hosts[h].role == roleGateway && p < 80 {
		g.w("[UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:1a:2b:3c:52:54:00:4d:5e:6f:08:00 SRC=")
		g.wip(g.publicIP())
		g.w(" DST=")
		g.wip(hosts[h].ip)
		g.w(" LEN=")
		g.wi(40 + g.r.IntN(20))
		g.w(" TOS=0x00 PREC=0x00 TTL=")
		g.wi(30 + g.r.IntN(99))
		g.w(" ID=")
		g.wi(g.r.IntN(65536))
		g.w(" PROTO=TCP SPT=")
		g.wi(g.port())
		g.w(" DPT=")
		g.wi(pick(g, probedPorts))
		g.w(" WINDOW=1024 RES=0x00 SYN URGP=0")
		return sevWarning
	}
	switch {
	case p < 40:
		g.w(`audit: type=1400 apparmor="DENIED" operation="open" profile="/usr/sbin/chronyd" name="/etc/ssl/openssl.cnf" pid=`)
		g.wi(300 + g.r.IntN(60000))
		g.w(` comm="chronyd" requested_mask="r" denied_mask="r" fsuid=0 ouid=0`)
		return sevNotice
	case p < 70:
		g.w("eth0: Link is Up - 10Gbps/Full - flow control off")
	case p < 85:
		g.w("TCP: request_sock_TCP: Possible SYN flooding on port 443. Sending cookies.  Check SNMP counters.")
		return sevWarning
	case p < 93:
		g.w("nf_conntrack: nf_conntrack: table full, dropping packet")
		return sevWarning
	default:
		pid := 300 + g.r.IntN(60000)
		g.w("Out of memory: Killed process ")
		g.wi(pid)
		g.w(" (java) total-vm:")
		g.wi(4000000 + g.r.IntN(8000000))
		g.w("kB, anon-rss:")
		g.wi(2000000 + g.r.IntN(4000000))
		g.w("kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:")
		g.wi(4000 + g.r.IntN(9000))
		g.w("kB oom_score_adj:0")
		return sevErr
	}
	return sevInfo
}

func (g *gen) nginx(h, p int) int {
	g.wi(int(g.pids[h][appNginx]))
	g.w("#0: *")
	g.conn += uint32(1 + g.r.IntN(40))
	g.wi(int(g.conn))
	g.wb(' ')
	outage := g.ts >= g.outageStart && g.ts < g.outageEnd
	switch {
	case outage && p < 70:
		api := pick(g, upstreamPaths)
		if p < 45 {
			g.w("upstream timed out (110: Connection timed out) while reading response header from upstream")
		} else {
			g.w("connect() failed (111: Connection refused) while connecting to upstream")
		}
		g.w(`, client: `)
		g.wip(g.client())
		g.w(`, server: www.example.com, request: "GET `)
		g.w(api)
		g.w(` HTTP/1.1", upstream: "http://10.0.5.1`)
		g.wi(1 + g.r.IntN(2))
		g.w(":8080")
		g.w(api)
		g.w(`", host: "www.example.com"`)
		return sevErr
	case p < 75:
		g.w("client closed connection while waiting for request, client: ")
		g.wip(g.client())
		g.w(", server: 0.0.0.0:443")
	default:
		path := pick(g, scanPaths)
		g.w(`open() "/usr/share/nginx/html`)
		g.w(path)
		g.w(`" failed (2: No such file or directory), client: `)
		g.wip(g.publicIP())
		g.w(`, server: www.example.com, request: "GET `)
		g.w(path)
		g.w(` HTTP/1.1", host: "www.example.com"`)
		return sevErr
	}
	return sevInfo
}

func (g *gen) postfix(a, p int) int {
	peer := pick(g, mailPeers)
	ip := g.publicIP()
	switch a {
	case appSmtpd:
		switch {
		case p < 30:
			g.w("connect from ")
		case p < 60:
			g.queueHex()
			g.w(": client=")
		case p < 90:
			g.w("disconnect from ")
		default:
			g.w("NOQUEUE: reject: RCPT from unknown[")
			g.wip(ip)
			g.w("]: 554 5.7.1 Service unavailable; Client host [")
			g.wip(ip)
			g.w("] blocked using zen.spamhaus.org; from=<")
			g.wpick(badUsers)
			g.wb('@')
			g.wpick(domains)
			g.w("> to=<")
			g.wpick(users)
			g.w("@example.com> proto=ESMTP helo=<")
			g.wip(ip)
			g.wb('>')
			return sevNotice
		}
		g.w(peer)
		g.wb('[')
		g.wip(ip)
		g.wb(']')
		if p >= 60 {
			g.w(" ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7")
		}
	case appQmgr:
		g.queueHex()
		if p < 60 {
			g.w(": from=<")
			g.wpick(users)
			g.wb('@')
			g.wpick(domains)
			g.w(">, size=")
			g.wi(int(g.lognormal(9, 1)))
			g.w(", nrcpt=")
			g.wi(1 + g.r.IntN(3))
			g.w(" (queue active)")
		} else {
			g.w(": removed")
		}
	default:
		g.queueHex()
		g.w(": to=<")
		g.wpick(users)
		g.wb('@')
		g.wpick(domains)
		g.w(">, relay=")
		g.w(peer)
		g.wb('[')
		g.wip(ip)
		g.w("]:25, delay=")
		d := g.lognormal(0, 0.8)
		g.wf(d, 2)
		g.w(", delays=")
		g.wf(d*0.1, 2)
		g.w("/0.01/")
		g.wf(d*0.5, 2)
		g.wb('/')
		g.wf(d*0.39, 2)
		if p < 94 {
			g.w(", dsn=2.0.0, status=sent (250 2.0.0 OK  ")
			g.wi(1700000000 + g.r.IntN(100000000))
			g.w(" - gsmtp)")
		} else {
			g.w(", dsn=4.4.1, status=deferred (connect to ")
			g.w(peer)
			g.wb('[')
			g.wip(ip)
			g.w("]:25: Connection timed out)")
			return sevWarning
		}
	}
	return sevInfo
}

const hexUpper = "0123456789ABCDEF"

// queueHex writes a postfix queue ID (ten upper-case hex digits).
func (g *gen) queueHex() {
	g.queueID = g.queueID*6364136223846793005 + 1442695040888963407
	v := g.queueID >> 24
	for range 10 {
		g.wb(hexUpper[v&15])
		v >>= 4
	}
}

// hex writes n random lower-case hex bytes (2n digits).
func (g *gen) hex(n int) {
	const digits = "0123456789abcdef"
	for n > 0 {
		v := g.r.Uint64()
		for k := 0; k < 8 && n > 0; k, n = k+1, n-1 {
			g.wb(digits[v&15])
			g.wb(digits[v>>4&15])
			v >>= 8
		}
	}
}
