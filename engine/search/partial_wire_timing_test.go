package search

import (
	"context"
	"testing"

	"github.com/sluicehq/sluice/engine/store"
	"github.com/sluicehq/sluice/wire"
)

// BenchmarkPartialWire: encoding an indexer's share (Partial.Encode in 512 KiB chunks, the
// cluster's default message size) and decoding and merging it on the webserver (AddWire), for
// a stats aggregation with a group per distinct (host, status, bytes) and for a sort buffer.
// SetBytes is the encoded size, so MB/s is wire throughput.
//
//	go test -run '^$' -bench PartialWire -benchtime 20x ./engine/search/
func BenchmarkPartialWire(b *testing.B) {
	ents, _ := gen(20000, 7)
	opt := RunOptions{Tags: []uint16{1, 2, 3, 4}, Start: tStart, End: tEnd}
	for _, c := range []struct{ name, query string }{
		{"stats", "tag=x kv status bytes dur host | stats count sum(bytes) mean(dur) stddev(dur) unique_count(status) by host,bytes"},
		{"sort", "tag=x kv status bytes dur host | sort by bytes"},
	} {
		q, err := Parse(c.query)
		if err != nil {
			b.Fatal(err)
		}
		pt, _ := q.NewPartial(nil, opt)
		err = newMemSource(ents, 500).Scan(context.Background(), store.ScanQuery{Tags: opt.Tags, Start: tStart, End: tEnd},
			func(batch []wire.Entry) error { return pt.Add(batch) })
		if err != nil {
			b.Fatal(err)
		}
		var chunks [][]byte
		size := 0
		if err := pt.Encode(512<<10, func(ch []byte) error { chunks = append(chunks, ch); size += len(ch); return nil }); err != nil {
			b.Fatal(err)
		}
		b.Run(c.name+"/encode", func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for range b.N {
				if err := pt.Encode(512<<10, func([]byte) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/decode-merge", func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for range b.N {
				into, _ := q.NewPartial(nil, opt)
				for _, ch := range chunks {
					if err := into.AddWire(ch); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
