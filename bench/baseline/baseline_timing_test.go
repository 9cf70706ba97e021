package baseline

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/bench/loadgen"
)

// BenchmarkBaselineEncodeBlock is the encoding/json cost of one 1000-entry REQ_STREAMING block,
// encoded the way StreamServer does it (one encoder into a reused buffer).
func BenchmarkBaselineEncodeBlock(b *testing.B) {
	entries := GenerateEntries(1000)
	er := entryRange{StartTS: EntriesBase.Add(-time.Hour), EndTS: EntriesBase, Last: 1000}
	r := entriesResponse{baseResponse: baseResponse{ID: reqStreaming, EntryRange: &er, Tags: map[string]uint16{"syslog": 0},
		EntryCount: 1000, EntryCountValid: true}, Entries: entries}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if err := enc.Encode(envelope{Type: "search1", Data: &r}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		buf.Reset()
		if err := enc.Encode(envelope{Type: "search1", Data: &r}); err != nil {
			b.Fatal(err)
		}
	}
	if !json.Valid(buf.Bytes()) {
		b.Fatal("invalid JSON")
	}
}

// BenchmarkBaselineStream streams 10 000 entries per op from StreamServer over loopback to a
// loadgen client in the same process (which takes CPU from the server on a small machine; the
// sluice-load figures run them in separate processes). Bytes are websocket payload bytes.
func BenchmarkBaselineStream(b *testing.B) {
	srv := httptest.NewServer(NewStreamServer(GenerateEntries(10000)))
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	c, err := loadgen.Dial(context.Background(), loadgen.DialConfig{URL: url, ReadBuffer: 256 << 10})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if err := c.Subscribe([]string{"search"}); err != nil {
		b.Fatal(err)
	}
	s, err := c.Launch(loadgen.SearchParams{Query: "tag=syslog"})
	if err != nil {
		b.Fatal(err)
	}
	st, err := c.Stream(s, time.Now().Add(time.Minute), false)
	if err != nil || st.Entries != 10000 {
		b.Fatalf("warm-up stream: %d entries, %v", st.Entries, err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(st.Bytes))
	start := time.Now()
	for b.Loop() {
		st, err := c.Stream(s, time.Now().Add(time.Minute), false)
		if err != nil || st.Entries != 10000 {
			b.Fatalf("stream: %d entries, %v", st.Entries, err)
		}
	}
	b.ReportMetric(float64(b.N)*10000/time.Since(start).Seconds(), "entries/s")
}
