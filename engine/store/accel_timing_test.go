package store

import (
	"strconv"
	"testing"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// accelBenchEntries returns n ~200-byte lines of a kind of lineGen (0 syslog, 1 json, 2 csv)
// or, for kind 3, key=value lines.
func accelBenchEntries(n, kind int) ([]wire.Entry, int64) {
	g := newLineGen(7)
	ents := make([]wire.Entry, n)
	var size int64
	ts := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC).UnixNano()
	for i := range ents {
		var d []byte
		if kind == 3 {
			d = append(d, "devname=fw01 type=traffic host="...)
			d = append(d, genHosts[g.r.IntN(len(genHosts))]...)
			d = append(d, " user=u"...)
			d = strconv.AppendInt(d, int64(g.r.IntN(100000)), 10)
			d = append(d, " srcport="...)
			d = strconv.AppendInt(d, int64(1024+g.r.IntN(60000)), 10)
			d = append(d, ` action=accept msg="`...)
			d = append(d, genMsgs[g.r.IntN(len(genMsgs))]...)
			d = append(d, '"')
		} else {
			d = g.line200(nil, kind, ts)
		}
		ents[i] = wire.Entry{TS: ts + int64(i), Tag: 1, SRC: g.addr(), Data: d}
		size += int64(len(d))
	}
	return ents, size
}

var accelBenchCases = []struct {
	name string
	kind int
	cfg  AccelConfig
}{
	{"kv/fulltext", 3, AccelConfig{}},
	{"kv/kv=host,user", 3, AccelConfig{Extractor: "kv", Fields: []string{"host", "user"}}},
	{"syslog/fulltext", 0, AccelConfig{}},
	{"syslog/syslog=Hostname,Appname", 0, AccelConfig{Extractor: "syslog", Fields: []string{"Hostname", "Appname"}}},
	{"json/fulltext", 1, AccelConfig{}},
	{"json/json=method,status,client", 1, AccelConfig{Extractor: "json", Fields: []string{"method", "status", "client"}}},
	{"csv/fulltext", 2, AccelConfig{}},
	{"csv/csv=[1],[4]", 2, AccelConfig{Extractor: "csv", Fields: []string{"[1]", "[4]"}}},
	{"kv/regex=user", 3, AccelConfig{Extractor: "regex", Pattern: `user=(?P<user>\S+)`}},
}

// BenchmarkAccelBuild measures what an accelerator costs at ingest: building one block's
// bloom filter from 500 entries (about 100 KB), fulltext against named fields of each
// extractor. One op is one block; ns/entry is the cost per entry.
func BenchmarkAccelBuild(b *testing.B) {
	for _, c := range accelBenchCases {
		b.Run(c.name, func(b *testing.B) {
			cfg := c.cfg
			if err := cfg.check("bench"); err != nil {
				b.Fatal(err)
			}
			ents, size := accelBenchEntries(500, c.kind)
			var ab accelBuilder
			b.ReportAllocs()
			b.SetBytes(size)
			var bl *bloom
			for b.Loop() {
				ab.reset()
				for i := range ents {
					ab.addEntry(cfg.spec, &ents[i])
				}
				bl = ab.build(cfg.CollisionRate)
			}
			if bl == nil || ab.n == 0 {
				b.Fatalf("%d distinct tokens", ab.n)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(ents)), "ns/entry")
			b.ReportMetric(float64(bl.size())/float64(len(ents)), "acc-B/entry")
		})
	}
}

// BenchmarkIngestAccel ingests batches of 10,000 key=value lines (durable: each Ingest
// returns after fsync) into a well without accelerator, with a fulltext one and with a kv
// field one. One op is one batch.
func BenchmarkIngestAccel(b *testing.B) {
	const batch = 10000
	for _, c := range []struct {
		name string
		cfg  AccelConfig
	}{
		{"none", AccelConfig{Extractor: "none"}},
		{"fulltext", AccelConfig{}},
		{"kv=host,user", AccelConfig{Extractor: "kv", Fields: []string{"host", "user"}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			s := openT(b, Config{Dir: b.TempDir(), Wells: []WellConfig{{Name: DefaultWell, Accel: c.cfg}}})
			id := tagIDs(b, s, "bench")[0]
			es, size := accelBenchEntries(batch, 3)
			b.ReportAllocs()
			b.SetBytes(size)
			for b.Loop() {
				now := time.Now().UnixNano()
				for i := range es {
					es[i].TS, es[i].Tag = now+int64(i), id
				}
				if err := s.Ingest(es); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*batch/b.Elapsed().Seconds(), "entries/s")
			st := s.Stats()
			b.ReportMetric(float64(st[0].AccelBytes-st[0].SummaryBytes)/float64(st[0].Entries), "acc-B/entry")
		})
	}
}
