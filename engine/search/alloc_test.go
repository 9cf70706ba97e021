//go:build !race

package search

import (
	"testing"

	"github.com/sluicehq/sluice/wire"
)

func TestPipelineNoAlloc(t *testing.T) {
	ents, _ := gen(4000, 9)
	batches := map[uint16][]wire.Entry{}
	for _, i := range inRange(ents) {
		e := ents[i]
		if len(batches[e.Tag]) < 512 {
			batches[e.Tag] = append(batches[e.Tag], e)
		}
	}
	for _, c := range []struct {
		query string
		tag   uint16
	}{
		{"tag=x grep admin", 1},
		{"tag=x grep -v -i -s get ADMIN", 1},
		{"tag=x grep -e user carol", 1},
		{`tag=x json status host client.ip as ip dur method==GET user!=admin path`, 1},
		{`tag=x json -s host~web bytes>100`, 1},
		{`tag=x kv -q host status bytes ip method==POST`, 2},
		{`tag=x syslog Appname Severity<5 Hostname Timestamp Structured.bytes Message`, 3},
		{`tag=x csv [0] [1] [2]>0 [4] as ip`, 4},
		{`tag=x fields -d "," -clean [1] [3] [5]`, 4},
		{`tag=x length | limit 100000000`, 4},
		{`tag=x src 10.0.0.1 192.168.0.0/16 ::1`, 1},
		{`tag=x src -v 10.0.0.0/8`, 2},
		{"tag=x json host method | count by host,method", 1},
		{"tag=x json bytes host | sum bytes by host over 5m", 1},
		{"tag=x json bytes dur host | stats count sum(bytes) mean(dur) min(bytes) max(dur) stddev(bytes) by host", 1},
		{"tag=x kv status bytes | count by status | table", 2},
	} {
		q, err := Parse(c.query)
		if err != nil {
			t.Fatal(err)
		}
		sink := &countSink{}
		p := newPipeline(q, sink, &arrayRec{}, RunOptions{Tags: []uint16{c.tag}, Start: tStart, End: tEnd})
		batch := batches[c.tag]
		for range 3 { // warm up: arenas grow, groups are created
			if err := p.batch(batch); err != nil {
				t.Fatal(err)
			}
		}
		if n := testing.AllocsPerRun(50, func() {
			if err := p.batch(batch); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%s: %v allocations per batch of %d entries, want 0", c.query, n, len(batch))
		}
	}
}
