package search

import (
	"context"
	"fmt"
	"math/rand"
	"net/netip"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine/extract"
	"github.com/sluicehq/sluice/engine/store"
	"github.com/sluicehq/sluice/wire"
)

// benchLines makes n realistic entries of one format, one per 3.6 ms over the test hour.
func benchLines(n int, kind string) []wire.Entry {
	r := rand.New(rand.NewSource(42))
	users := []string{"admin", "deploy", "root", "backup", "alice", "bob"}
	hostsB := []string{"gw01", "gw02", "web-07.example.com", "db-3.example.com", "cache-1"}
	paths := []string{"/", "/api/v1/items", "/api/v1/items/12345", "/login", "/static/app.js", "/healthz"}
	ents := make([]wire.Entry, n)
	for i := range ents {
		ts := tEnd - 1 - int64(i)*int64(time.Hour)/int64(n)
		ip := fmt.Sprintf("10.%d.%d.%d", r.Intn(4), r.Intn(256), 1+r.Intn(254))
		var line string
		switch kind {
		case "syslog":
			if i%2 == 0 {
				line = fmt.Sprintf("<%d>1 %s %s sshd %d - - Accepted publickey for %s from %s port %d ssh2: RSA SHA256:%x",
					32+r.Intn(8), time.Unix(0, ts).UTC().Format(time.RFC3339Nano), hostsB[r.Intn(len(hostsB))], 1000+r.Intn(30000),
					users[r.Intn(len(users))], ip, 1024+r.Intn(60000), r.Uint64())
			} else {
				line = fmt.Sprintf("%s %s CRON[%d]: pam_unix(cron:session): session opened for user %s by (uid=0)",
					time.Unix(0, ts).UTC().Format(time.Stamp), hostsB[r.Intn(len(hostsB))], 1000+r.Intn(30000), users[r.Intn(len(users))])
			}
		case "json":
			line = fmt.Sprintf(`{"ts":%q,"host":%q,"method":%q,"path":%q,"status":%d,"bytes":%d,"dur":%.4f,"client":{"ip":%q,"ua":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"},"user":%q}`,
				time.Unix(0, ts).UTC().Format(time.RFC3339Nano), hostsB[r.Intn(len(hostsB))], methods[r.Intn(len(methods))],
				paths[r.Intn(len(paths))], []int{200, 200, 200, 304, 404, 500}[r.Intn(6)], r.Intn(100000), r.Float64(), ip, users[r.Intn(len(users))])
		case "kv":
			line = fmt.Sprintf(`date=2024-05-01 time=09:%02d:%02d devname=fw01 type=traffic srcip=%s srcport=%d dstip=10.9.0.1 dstport=%d proto=6 action=%s sentbyte=%d rcvdbyte=%d user="%s"`,
				r.Intn(60), r.Intn(60), ip, 1024+r.Intn(60000), []int{22, 80, 443, 8443}[r.Intn(4)], []string{"accept", "deny"}[r.Intn(2)],
				r.Intn(1e6), r.Intn(1e6), users[r.Intn(len(users))])
		}
		ents[i] = wire.Entry{TS: ts, Tag: 1, SRC: netip.AddrFrom4([4]byte{192, 168, 1, byte(r.Intn(4))}), Data: []byte(line)}
	}
	return ents
}

func benchPipeline(b *testing.B, query, kind string) {
	q, err := Parse(query)
	if err != nil {
		b.Fatal(err)
	}
	batch := benchLines(1024, kind)
	var size int64
	for _, e := range batch {
		size += int64(len(e.Data))
	}
	sink := &countSink{}
	p := newPipeline(q, sink, &arrayRec{}, RunOptions{Tags: []uint16{1}, Start: tStart, End: tEnd})
	b.ReportAllocs()
	b.SetBytes(size)
	for b.Loop() {
		if err := p.batch(batch); err != nil {
			b.Fatal(err)
		}
	}
	if q.CollapsingIndex == len(q.Modules) && sink.n == 0 {
		b.Fatal("nothing passed the pipeline")
	}
	b.ReportMetric(float64(b.N)*float64(len(batch))/b.Elapsed().Seconds(), "entries/s")
}

func BenchmarkGrep(b *testing.B)         { benchPipeline(b, "tag=x grep sshd", "syslog") }
func BenchmarkGrepCaseFold(b *testing.B) { benchPipeline(b, "tag=x grep -i ADMIN", "syslog") }
func BenchmarkGrepWildcard(b *testing.B) {
	benchPipeline(b, `tag=x grep "Accepted*for root"`, "syslog")
}
func BenchmarkJSONExtract(b *testing.B) {
	benchPipeline(b, "tag=x json host status client.ip as ip dur", "json")
}
func BenchmarkJSONFilter(b *testing.B) {
	benchPipeline(b, "tag=x json status>=400 method==GET", "json")
}
func BenchmarkKVExtract(b *testing.B) {
	benchPipeline(b, "tag=x kv -q srcip dstport action sentbyte", "kv")
}
func BenchmarkSyslogParse(b *testing.B) {
	benchPipeline(b, "tag=x syslog Appname Hostname Severity Message", "syslog")
}
func BenchmarkCountBy(b *testing.B) { benchPipeline(b, "tag=x json host | count by host", "json") }

// BenchmarkKVCountBy is the pipeline of the peer comparison's count by an extracted field
// (bench/cmd/peerbench: kv host | count by host) on the firewall lines.
func BenchmarkKVCountBy(b *testing.B) { benchPipeline(b, "tag=x kv action | count by action", "kv") }
func BenchmarkStatsByOver(b *testing.B) {
	benchPipeline(b, "tag=x json host bytes | stats count sum(bytes) mean(bytes) by host over 1m", "json")
}
func BenchmarkRegexExtract(b *testing.B) {
	benchPipeline(b, `tag=x regex "for (?P<user>\S+) from (?P<ip>\S+)"`, "syslog")
}

// BenchmarkRun measures a whole query over an in-memory source: scan, pipeline, stats, sink.
func BenchmarkRun(b *testing.B) {
	ents := benchLines(100_000, "syslog")
	src := newMemSource(ents, 1024)
	q, err := Parse("tag=x syslog Appname | grep -v -e Appname cron | count by Appname | table")
	if err != nil {
		b.Fatal(err)
	}
	var size int64
	for _, e := range ents {
		size += int64(len(e.Data))
	}
	b.ReportAllocs()
	b.SetBytes(size)
	for b.Loop() {
		sink := &countSink{}
		if err := q.Run(context.Background(), src, sink, &arrayRec{}, RunOptions{Tags: []uint16{1}, Start: tStart, End: tEnd}); err != nil {
			b.Fatal(err)
		}
		if sink.n == 0 {
			b.Fatal("no rows")
		}
	}
	b.ReportMetric(float64(b.N)*float64(len(ents))/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkRunStore measures whole queries over the real store with 1 and 2 workers: scan,
// block decode, pipeline, stats, sink. The speed-up of workers=2 over workers=1 is the
// pipeline's use of a second core.
func BenchmarkRunStore(b *testing.B) {
	st, tag, ents, size := benchStore(b, 200_000)
	for _, query := range []string{
		"tag=x kv srcip action | count by action",
		"tag=x grep alice | limit 100000000",
		"tag=x count",
		"tag=x",
	} {
		q, err := Parse(query)
		if err != nil {
			b.Fatal(err)
		}
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/workers=%d", query, workers), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(size)
				for b.Loop() {
					sink := &countSink{}
					opt := RunOptions{Tags: []uint16{tag}, Start: tStart, End: tEnd, Workers: workers}
					if err := q.Run(context.Background(), st, sink, &arrayRec{}, opt); err != nil {
						b.Fatal(err)
					}
					if sink.n == 0 {
						b.Fatal("no output")
					}
				}
				b.ReportMetric(float64(b.N)*float64(len(ents))/b.Elapsed().Seconds(), "entries/s")
			})
		}
	}
}

// benchStore returns a real store (closed when b ends) with wells, holding benchLines(n, "kv")
// under tag "kv", the tag's ID, the entries and their data bytes.
func benchStore(b *testing.B, n int, wells ...store.WellConfig) (*store.Store, uint16, []wire.Entry, int64) {
	ents := benchLines(n, "kv")
	st, tag, size := benchIngest(b, ents, func(i int) int64 { return ents[i].TS }, wells...)
	return st, tag, ents, size
}

// BenchmarkNeedleField measures a needle by field, `kv sentbyte==N` for one entry's value,
// over 200,000 key=value lines in a real store: with a kv accelerator on sentbyte (the
// blocks without the value are skipped unread), and the same store scanned without
// acceleration (NoAccel, every block read and the kv module run on every entry).
func BenchmarkNeedleField(b *testing.B) {
	st, tag, ents, size := benchStore(b, 200_000, store.WellConfig{Name: store.DefaultWell,
		Accel: store.AccelConfig{Extractor: "kv", Fields: []string{"sentbyte", "user"}}})
	v, ok := (&extract.KV{}).Lookup(ents[123_456].Data, "sentbyte")
	if !ok {
		b.Fatal("no sentbyte")
	}
	q, err := Parse("tag=kv kv sentbyte==" + string(v))
	if err != nil {
		b.Fatal(err)
	}
	for _, noAccel := range []bool{false, true} {
		b.Run(fmt.Sprintf("accel=%v", !noAccel), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(size)
			var counts store.ScanCounts
			for b.Loop() {
				sink := &countSink{}
				opt := RunOptions{Tags: []uint16{tag}, Start: tStart, End: tEnd, NoAccel: noAccel, Counts: &counts}
				if err := q.Run(context.Background(), st, sink, &arrayRec{}, opt); err != nil {
					b.Fatal(err)
				}
				if sink.n == 0 {
					b.Fatal("needle not found")
				}
			}
			b.ReportMetric(float64(counts.Blocks-counts.Skipped), "blocks-read")
			b.ReportMetric(float64(counts.Blocks), "blocks")
		})
	}
}

// BenchmarkSrc filters by source: one address and one prefix.
func BenchmarkSrc(b *testing.B) { benchPipeline(b, "tag=x src 192.168.1.1 10.0.0.0/8", "kv") }
