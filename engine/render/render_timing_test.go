package render

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine/stats"
	"github.com/sluicehq/sluice/wire"
)

// benchEntries returns n realistic syslog entries (about 150 bytes of data), newest first,
// a third with three enumerated values.
func benchEntries(n int) []wire.Entry {
	out := make([]wire.Entry, n)
	for i := range out {
		line := fmt.Sprintf("<34>1 2024-05-01T09:59:%02d.%06dZ gw%02d sshd 4121 ID47 - Accepted publickey for admin from 10.0.%d.%d port %d ssh2",
			i%60, i*7%1000000, i%16, i/256%256, i%256, 1024+i%60000)
		out[i] = wire.Entry{TS: tEnd - int64(i+1)*1e6, SRC: netip.AddrFrom4([4]byte{10, 0, byte(i / 256), byte(i)}), Tag: storeTagA, Data: []byte(line)}
		if i%3 == 0 {
			out[i].EVs = []wire.EV{{Name: "Appname", Value: wire.StringValue([]byte("sshd"))},
				{Name: "count", Value: wire.IntValue(int64(i))}, {Name: "SrcIP", Value: wire.IPValue([]byte{10, 0, byte(i / 256), byte(i)})}}
		}
	}
	return out
}

func benchHandle(b *testing.B, r *Result, q string, perReply int) {
	var p wire.RequestParser
	var req wire.Request
	if err := p.Parse([]byte(q), &req); err != nil {
		b.Fatal(err)
	}
	dst := r.Handle(&req, nil)
	if !json.Valid(dst) || dst[6] == '4' && dst[7] == '2' {
		b.Fatalf("bad reply %.200s", dst)
	}
	b.SetBytes(int64(len(dst)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		dst = r.Handle(&req, dst[:0])
	}
	if perReply > 0 {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perReply), "ns/entry")
	}
}

// BenchmarkAdd encodes entries into the render store: the one-time cost of every entry.
func BenchmarkAdd(b *testing.B) {
	batch := benchEntries(1000)
	r := newTestResult(b, Spec{Limit: 1 << 62})
	r.Add(batch)
	var size int64
	for i := range batch {
		size += int64(len(batch[i].Data))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r.Add(batch)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/entry")
}

// BenchmarkGetEntries1024 answers REQ_GET_ENTRIES for a page of 1024 from a 100 000-entry
// result: header, a memcpy of stored fragments and the trailer.
func BenchmarkGetEntries1024(b *testing.B) {
	r := newTestResult(b, Spec{})
	addAll(r, benchEntries(100000), 1000)
	r.Finish(nil)
	benchHandle(b, r, `{"ID":16,"EntryRange":{"First":50000,"Last":51024}}`, 1024)
}

// BenchmarkGetEntries1024EncodingJSON is the baseline: encoding/json of the Go client's types
// for the same page.
func BenchmarkGetEntries1024EncodingJSON(b *testing.B) {
	in := benchEntries(1024)
	type entry struct {
		TS         time.Time
		SRC        net.IP
		Tag        uint16
		Data       []byte
		Enumerated []struct {
			Name, ValueStr string
			Value          struct {
				Type uint16
				Data []byte
			}
		}
	}
	var rep struct {
		ID         uint32
		EntryRange struct {
			StartTS, EndTS time.Time
			First, Last    uint64
		}
		Tags              map[string]uint16
		Finished          bool
		EntryCount        uint64
		EntryCountValid   bool
		AdditionalEntries bool
		OverLimit         bool
		LimitDroppedRange struct{ StartTS, EndTS time.Time }
		Warning           string
		Entries           []entry
	}
	rep.Tags = map[string]uint16{"syslog": 0, "auth": 1}
	for _, e := range in {
		x := entry{TS: time.Unix(0, e.TS).UTC(), SRC: net.IP(e.SRC.AsSlice()), Data: e.Data}
		for _, ev := range e.EVs {
			var p struct {
				Name, ValueStr string
				Value          struct {
					Type uint16
					Data []byte
				}
			}
			p.Name, p.ValueStr = ev.Name, string(wire.AppendValueText(nil, ev.Value))
			p.Value.Type = uint16(ev.Value.Type)
			p.Value.Data = ev.Value.B
			x.Enumerated = append(x.Enumerated, p)
		}
		rep.Entries = append(rep.Entries, x)
	}
	out, _ := json.Marshal(&rep)
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		out, _ = json.Marshal(&rep)
	}
	if len(out) == 0 {
		b.Fatal("encoding/json wrote nothing")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1024), "ns/entry")
}

func BenchmarkTSRange(b *testing.B) {
	r := newTestResult(b, Spec{})
	addAll(r, benchEntries(100000), 1000)
	benchHandle(b, r, `{"ID":18,"Addendum":{"filterID":"search-filter-1"},"EntryRange":{"First":100,"Last":200,"StartTS":"`+
		rfc(tEnd-80e9)+`","EndTS":"`+rfc(tEnd-20e9)+`"}}`, 100)
}

// BenchmarkStreamBlock encodes REQ_STREAMING blocks of 1000 entries.
func BenchmarkStreamBlock(b *testing.B) {
	r := newTestResult(b, Spec{})
	addAll(r, benchEntries(100000), 1000)
	r.Finish(nil)
	blk := &streamBlock{first: 40000, last: 41000}
	dst := r.appendBlock(nil, blk)
	b.SetBytes(int64(len(dst)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		dst = r.appendBlock(dst[:0], blk)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/entry")
}

// BenchmarkStream drains a whole 100 000-entry stream (101 blocks) into a reused buffer.
func BenchmarkStream(b *testing.B) {
	r := newTestResult(b, Spec{})
	addAll(r, benchEntries(100000), 1000)
	r.Finish(nil)
	buf := make([]byte, 0, 1<<20)
	var bytes int64
	emit := func(data func([]byte) []byte) error {
		buf = data(buf[:0])
		bytes += int64(len(buf))
		return nil
	}
	_ = r.Stream(context.Background(), emit)
	b.SetBytes(bytes)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := r.Stream(context.Background(), emit); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100000), "ns/entry")
}

// BenchmarkStatsGet aggregates and encodes REQ_STATS_GET with the JS client's 90 sets over a
// day-long search with data in every second.
func BenchmarkStatsGet(b *testing.B) {
	start := tStart
	ring := stats.NewRing(stats.RingConfig{Start: start, End: start + 86400e9, Modules: 3})
	c := wire.Counters{InputCount: 10, OutputCount: 5, InputBytes: 1000, OutputBytes: 500, Duration: 100}
	for s := int64(0); s < 86400; s++ {
		for m := range 3 {
			ring.Record(0, m, start+s*1e9, &c)
		}
	}
	r := newTestResult(b, Spec{Ring: ring, Modules: []wire.ModuleInfo{{Name: "grep", Args: "grep x"}, {Name: "count", Args: "count by host"}, {Name: "sort", Args: "sort by time"}},
		Start: start, End: start + 86400e9})
	benchHandle(b, r, `{"ID":2130706435,"Stats":{"SetCount":90}}`, 0)
}

func BenchmarkSearchDetails(b *testing.B) {
	r := newTestResult(b, Spec{})
	r.SetInfo(func(si *wire.SearchInfo) {
		si.ID, si.UserQuery, si.Tags = "2290834411", "tag=syslog grep sshd", []string{"syslog"}
	})
	benchHandle(b, r, `{"ID":4}`, 0)
}
