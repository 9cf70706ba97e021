package wire_test

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// benchEntries returns n realistic syslog entries, a third of them with enumerated values.
func benchEntries(n int) []wire.Entry {
	out := make([]wire.Entry, n)
	base := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC).UnixNano()
	for i := range out {
		line := fmt.Sprintf("<34>1 2024-05-01T10:00:%02d.%06dZ gw%02d sshd 4121 ID47 - Accepted publickey for admin from 10.0.%d.%d port %d ssh2",
			i%60, i*7%1000000, i%16, i/256%256, i%256, 1024+i)
		out[i] = wire.Entry{TS: base - int64(i)*1e6, SRC: netip.AddrFrom4([4]byte{10, 0, byte(i / 256), byte(i)}), Tag: uint16(i % 3), Data: []byte(line)}
		if i%3 == 0 {
			out[i].EVs = []wire.EV{{Name: "Appname", Value: wire.StringValue([]byte("sshd"))},
				{Name: "count", Value: wire.IntValue(int64(i))}, {Name: "SrcIP", Value: wire.IPValue([]byte{10, 0, byte(i / 256), byte(i)})}}
		}
	}
	return out
}

// BenchmarkTextBlock1000 encodes one 1000-entry REQ_GET_ENTRIES reply of the text renderer
// with the wire encoders; BenchmarkTextBlock1000EncodingJSON does the same with encoding/json
// over the Go client's struct types, the baseline a user would otherwise write.
func BenchmarkTextBlock1000(b *testing.B) {
	entries := benchEntries(1000)
	tags := []string{"syslog", "auth", "kern"}
	resp := wire.BaseResponse{ID: wire.ReqGetEntries, Finished: true, EntryCount: 1000, EntryCountValid: true,
		EntryRange: &wire.EntryRange{Last: 1000, HasStartTS: true, HasEndTS: true, EndTS: 1}}
	dst := make([]byte, 0, 1<<20)
	dst = encodeTextBlock(dst, &resp, tags, entries)
	b.SetBytes(int64(len(dst)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		dst = encodeTextBlock(dst[:0], &resp, tags, entries)
	}
	if !json.Valid(dst) {
		b.Fatal("invalid JSON")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(entries)), "ns/entry")
}

func encodeTextBlock(dst []byte, resp *wire.BaseResponse, tags []string, entries []wire.Entry) []byte {
	var enc wire.EntryEncoder
	dst = wire.AppendResponseHead(dst, resp)
	dst = append(dst, `,"Tags":`...)
	dst = wire.AppendTags(dst, tags)
	dst = wire.AppendResponseStatus(dst, resp)
	dst = append(dst, `,"Entries":[`...)
	for i := range entries {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = enc.AppendSearchEntry(dst, &entries[i], entries[i].Tag)
	}
	return append(dst, "]}"...)
}

func BenchmarkTextBlock1000EncodingJSON(b *testing.B) {
	entries := benchEntries(1000)
	type reply struct {
		rclBase
		Tags    map[string]uint16
		Entries []rclSearchEntry
	}
	r := reply{rclBase: rclBase{ID: 16, Finished: true, EntryCount: 1000, EntryCountValid: true, EntryRange: &rclEntryRange{Last: 1000}},
		Tags: map[string]uint16{"syslog": 0, "auth": 1, "kern": 2}}
	for i := range entries {
		r.Entries = append(r.Entries, mirrorEntry(&entries[i], entries[i].Tag))
	}
	out, _ := json.Marshal(&r)
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		out, _ = json.Marshal(&r)
	}
	if len(out) == 0 {
		b.Fatal("encoding/json wrote nothing")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(entries)), "ns/entry")
}

func BenchmarkRequestParse(b *testing.B) {
	in := []byte(`{"ID":18,"Addendum":{"filterID":"search-filter-1"},"EntryRange":{"First":0,"Last":100,"StartTS":"2024-05-01T09:00:00.000Z","EndTS":"2024-05-01T10:00:00.000Z"}}`)
	var p wire.RequestParser
	var req wire.Request
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Parse(in, &req); err != nil || req.EntryRange.Last != 100 {
			b.Fatal(err)
		}
	}
}

func BenchmarkRequestParseEncodingJSON(b *testing.B) {
	in := []byte(`{"ID":18,"Addendum":{"filterID":"search-filter-1"},"EntryRange":{"First":0,"Last":100,"StartTS":"2024-05-01T09:00:00.000Z","EndTS":"2024-05-01T10:00:00.000Z"}}`)
	type req struct {
		ID         uint32
		EntryRange rclEntryRange
		Addendum   json.RawMessage
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		var r req
		if err := json.Unmarshal(in, &r); err != nil || r.EntryRange.Last != 100 {
			b.Fatal(err)
		}
	}
}

func BenchmarkStatsResponse(b *testing.B) {
	mods := []wire.ModuleInfo{{Name: "grep", Args: "grep sshd"}, {Name: "sort", Args: "sort by time"}}
	c := []wire.Counters{{InputCount: 1200, OutputCount: 20, InputBytes: 180000, OutputBytes: 3100, Duration: 8018989},
		{InputCount: 20, OutputCount: 20, InputBytes: 3100, OutputBytes: 3100, Duration: 2578825}}
	s := wire.StatsResponse{Size: 3600, Modules: mods, HasRange: true, HasCurrent: true}
	for i := range 90 {
		set := wire.StatSet{TS: int64(i) * 40e9}
		if i%2 == 0 {
			set.Stats = c
		}
		s.Set = append(s.Set, set)
	}
	dst := wire.AppendStatsResponse(nil, &s)
	b.SetBytes(int64(len(dst)))
	b.ReportAllocs()
	for b.Loop() {
		dst = wire.AppendStatsResponse(dst[:0], &s)
	}
}
