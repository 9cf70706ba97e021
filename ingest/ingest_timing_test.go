package ingest

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// benchLines returns n syslog lines of about 200 bytes.
func benchLines(n int) []byte {
	var b []byte
	for i := range n {
		b = append(b, "<34>1 "...)
		b = wire.AppendRFC3339(b, 1714557598+int64(i), int32(i*1000))
		b = append(b, " web01 sshd 4121 - - Accepted publickey for admin from 10.0.0.5 port 52214 ssh2: RSA SHA256:"...)
		b = strconv.AppendInt(b, int64(i)*7919, 16)
		for len(b)%200 != 199 {
			b = append(b, 'x')
		}
		b = append(b, '\n')
	}
	return b
}

func BenchmarkLines(b *testing.B) {
	body := benchLines(10000)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	r := bytes.NewReader(body)
	for b.Loop() {
		r.Reset(body)
		l := NewLines(r, 0)
		n := 0
		for l.Next() {
			n++
		}
		if n != 10000 || l.Err() != nil {
			b.Fatal(n, l.Err())
		}
	}
}

func BenchmarkParseJSONEntries(b *testing.B) {
	lines := bytes.Split(bytes.TrimSuffix(benchLines(10000), []byte("\n")), []byte("\n"))
	body := []byte{'['}
	for i, l := range lines {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, `{"TS":`...)
		body = wire.AppendUnixNano(body, int64(1714557598+i)*1e9)
		body = append(body, `,"Data":`...)
		body = wire.AppendBase64(body, l)
		body = append(body, '}')
	}
	body = append(body, ']')
	s := newMemSink()
	opt := JSONOptions{Tagger: s, Tag: "syslog"}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		entries, err := ParseJSONEntries(body, opt)
		if err != nil || len(entries) != 10000 {
			b.Fatal(len(entries), err)
		}
	}
}

// discardSink resolves tags and drops entries, to time the handler alone.
type discardSink struct{ n int }

func (s *discardSink) TagID(string) (uint16, error) { return 1, nil }
func (s *discardSink) Ingest(e []wire.Entry) error  { s.n += len(e); return nil }

func BenchmarkHandlerLines(b *testing.B) {
	body := benchLines(10000)
	sink := &discardSink{}
	h := NewHandler(sink, HandlerConfig{Now: func() time.Time { return testNow }, Logger: slog.New(slog.DiscardHandler)})
	rd := bytes.NewReader(body)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		rd.Reset(body)
		req := httptest.NewRequest(http.MethodPost, "/api/ingest?tag=syslog", io.NopCloser(rd))
		req.ContentLength = int64(len(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Body.String())
		}
	}
}
