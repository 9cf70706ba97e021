package baseline

import (
	"math/rand/v2"
	"net"
	"strconv"
	"time"
)

// Entry is one search result exactly as the Go client's SearchEntry marshals with encoding/json
// (PROTOCOL.md §5.2): TS as RFC 3339 with nanoseconds, SRC as text, Data as padded base64,
// Enumerated as [] when empty.
type Entry struct {
	TS         time.Time
	SRC        net.IP
	Tag        uint16
	Data       []byte
	Enumerated []EnumeratedPair
}

// EnumeratedPair is one enumerated value (PROTOCOL.md §5.3).
type EnumeratedPair struct {
	Name     string
	ValueStr string
	Value    EnumeratedValue
}

// EnumeratedValue is an enumerated value's type code and raw bytes.
type EnumeratedValue struct {
	Type uint16
	Data []byte
}

// EntriesBase is the timestamp of the newest entry GenerateEntries makes.
var EntriesBase = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

var (
	hosts = []string{"gw01", "gw02", "web-3", "db-primary", "ingest-7"}
	apps  = []string{"sshd", "nginx", "kernel", "postgres", "cron", "systemd"}
	users = []string{"admin", "root", "deploy", "alice", "backup"}
	verbs = []string{"Accepted publickey for", "Failed password for", "session opened for user", "GET /api/v1/items?page=", "connection reset by", "checkpoint complete:"}
)

// GenerateEntries returns n realistic syslog entries, newest first, one every 3.6 ms backwards
// from EntriesBase (a million entries span one hour), from a handful of source addresses,
// deterministic for a given n. Data is RFC 5424 text of 90–160 bytes; all entries' Data share
// one backing array and SRC values share a small table, as a render store would hold them.
func GenerateEntries(n int) []Entry {
	rng := rand.New(rand.NewPCG(uint64(n), 17))
	srcs := make([]net.IP, 8)
	for i := range srcs {
		srcs[i] = net.IPv4(10, 0, byte(i/4), byte(5+i)).To4()
	}
	out := make([]Entry, n)
	buf := make([]byte, 0, n*128)
	for i := range out {
		ts := EntriesBase.Add(-time.Duration(i) * 3600 * time.Microsecond)
		start := len(buf)
		buf = AppendSyslogLine(buf, rng, ts)
		out[i] = Entry{TS: ts, SRC: srcs[rng.IntN(len(srcs))], Data: buf[start:len(buf):len(buf)], Enumerated: []EnumeratedPair{}}
	}
	return out
}

// AppendSyslogLine appends one RFC 5424 syslog line stamped ts, drawn from rng.
func AppendSyslogLine(dst []byte, rng *rand.Rand, ts time.Time) []byte {
	dst = append(dst, '<')
	dst = strconv.AppendInt(dst, int64(8+rng.IntN(184)), 10)
	dst = append(dst, ">1 "...)
	dst = ts.AppendFormat(dst, "2006-01-02T15:04:05.000000Z07:00")
	dst = append(dst, ' ')
	dst = append(dst, hosts[rng.IntN(len(hosts))]...)
	dst = append(dst, ' ')
	app := apps[rng.IntN(len(apps))]
	dst = append(dst, app...)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(100+rng.IntN(60000)), 10)
	dst = append(dst, " - - "...)
	dst = append(dst, verbs[rng.IntN(len(verbs))]...)
	dst = append(dst, ' ')
	dst = append(dst, users[rng.IntN(len(users))]...)
	dst = append(dst, " from 10.0."...)
	dst = strconv.AppendInt(dst, int64(rng.IntN(256)), 10)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, int64(rng.IntN(256)), 10)
	dst = append(dst, " port "...)
	dst = strconv.AppendInt(dst, int64(1024+rng.IntN(64000)), 10)
	dst = append(dst, " ssh2"...)
	for range rng.IntN(4) {
		dst = append(dst, " key=value"...)
		dst = strconv.AppendInt(dst, int64(rng.IntN(1000)), 10)
	}
	return dst
}
