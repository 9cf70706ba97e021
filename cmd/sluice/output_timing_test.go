package main

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fastjson"
)

// entriesPage returns a REQ_GET_ENTRIES reply of n weblog-like entries.
func entriesPage(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"ID":16,"Tags":{"weblog":0},"Finished":true,"Entries":[`)
	ts := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		data := fmt.Sprintf(`{"time":"%s","host":"web01","method":"GET","path":"/shop/%d","status":200,"bytes":%d,"ua":"Mozilla/5.0 \"quoted\""}`,
			ts.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano), i, 1000+i)
		fmt.Fprintf(&b, `{"TS":"%s","SRC":"10.0.1.11","Tag":0,"Data":"%s","Enumerated":[{"Name":"status","ValueStr":"200","Value":{"Type":9,"Data":"yAAAAAAAAAA="}}]}`,
			ts.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano), base64.StdEncoding.EncodeToString([]byte(data)))
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// BenchmarkEntriesPage measures printing one 1000-entry page in each format; bytes are the
// reply's JSON.
func BenchmarkEntriesPage(b *testing.B) {
	raw := entriesPage(1000)
	var p fastjson.Parser
	v, err := p.ParseBytes(raw)
	if err != nil {
		b.Fatal(err)
	}
	for _, format := range []string{fmtTable, fmtNDJSON, fmtCSV, fmtRaw} {
		b.Run(format, func(b *testing.B) {
			out := bufio.NewWriterSize(io.Discard, 1<<16)
			w, err := newPageWriter(out, "text", outOpts{format: format, loc: time.UTC})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				n, err := w.page(v)
				if err != nil || n != 1000 {
					b.Fatalf("page: %d, %v", n, err)
				}
			}
		})
	}
}

// BenchmarkTerminalSafe measures escaping a typical log line for the table view.
func BenchmarkTerminalSafe(b *testing.B) {
	line := []byte(`10.0.0.5 - - [03/Dec/2026:09:00:00 +0000] "GET /shop/42 HTTP/1.1" 200 1234 "-" "Mozilla/5.0 ünïcode"`)
	var dst []byte
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		dst = appendTerminalSafe(dst[:0], line)
		if len(dst) != len(line) {
			b.Fatal("changed")
		}
	}
}
