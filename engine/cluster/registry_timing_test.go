package cluster_test

import (
	"bytes"
	"testing"
	"time"
)

// BenchmarkRelayStream streams every entry of a finished search (REQ_STREAMING, 20 000
// entries of ~90 bytes) on the holding webserver's own channel and through another
// webserver's relay, one stream per op: the relay's cost is the difference. Allocations count
// the whole process (both webservers, the client). The blocks are counted, not decoded.
func BenchmarkRelayStream(b *testing.B) {
	const n = 20000
	c := startRegClusterN(b, n)
	a := dialAs(b, c.webA.url, "alice", "search", "attach")
	id, chA := a.launch("tag=app", c.start, c.end, map[string]any{"Background": true})
	rb := dialAs(b, c.webB.url, "alice", "attach")
	ar := rb.attach(id)
	if ar.Error != "" {
		b.Fatal(ar.Error)
	}
	for _, bc := range []struct {
		name    string
		ws      *wsClient
		channel string
	}{{"holder", a, chA}, {"relayed", rb, ar.Subproto}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var bytesPerOp int64
			start := time.Now()
			for i := 0; i < b.N; i++ {
				bytesPerOp = streamRaw(b, bc.ws, bc.channel)
			}
			b.SetBytes(bytesPerOp)
			b.ReportMetric(float64(n)*float64(b.N)/time.Since(start).Seconds(), "entries/s")
		})
	}
}

// streamRaw runs REQ_STREAMING on channel and reads the messages up to the terminator,
// returning their bytes.
func streamRaw(b *testing.B, c *wsClient, channel string) int64 {
	c.write(map[string]any{"type": channel, "data": map[string]any{"ID": 17}})
	var total int64
	for blocks := 0; blocks < 1000; blocks++ {
		msg := c.read()
		total += int64(len(msg))
		if !bytes.Contains(msg, []byte(`"ID":17`)) {
			b.Fatalf("not a stream block: %.200s", msg)
		}
		if bytes.Contains(msg, []byte(`"Finished":true`)) {
			return total
		}
	}
	b.Fatal("the stream did not end")
	return 0
}

// BenchmarkRelayAttach attaches to a finished search and closes the channel again (attach,
// REQ_ENTRY_COUNT, REQ_CLOSE) on the holding webserver and through the other webserver, one
// round per op on one socket: the relay adds a websocket connection to the holder per attach.
func BenchmarkRelayAttach(b *testing.B) {
	c := startRegClusterN(b, 1000)
	a := dialAs(b, c.webA.url, "alice", "search", "attach")
	id, _ := a.launch("tag=app", c.start, c.end, map[string]any{"Background": true})
	for _, bc := range []struct {
		name string
		url  string
	}{{"holder", c.webA.url}, {"relayed", c.webB.url}} {
		b.Run(bc.name, func(b *testing.B) {
			ws := dialAs(b, bc.url, "alice", "attach")
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				ar := ws.attach(id)
				if ar.Error != "" {
					b.Fatal(ar.Error)
				}
				var cr countReply
				ws.do(ar.Subproto, map[string]any{"ID": 3}, &cr)
				if cr.EntryCount != 1000 {
					b.Fatalf("count %+v", cr)
				}
				ws.do(ar.Subproto, map[string]any{"ID": 1}, nil)
			}
		})
	}
}
