package rest

import (
	"net/netip"
	"testing"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// benchRecord is a typical syslog entry with two enumerated values.
var benchEntry = wire.Entry{TS: time.Date(2024, 5, 1, 9, 0, 0, 123456789, time.UTC).UnixNano(),
	SRC:  netip.MustParseAddr("192.168.1.20"),
	Data: []byte("<34>1 2024-05-01T09:00:00.123Z web-01 sshd 4242 - - Accepted publickey for alice from 10.0.0.7 port 52214 ssh2"),
	EVs:  []wire.EV{{Name: "Appname", Value: wire.StringValue([]byte("sshd"))}, {Name: "pid", Value: wire.IntValue(4242)}}}

// BenchmarkEncodeEntry measures turning one stored SearchEntry fragment into each download
// format (bytes/s are fragment bytes read).
func BenchmarkEncodeEntry(b *testing.B) {
	for _, format := range []string{"json", "archive", "csv", "text"} {
		b.Run(format, func(b *testing.B) {
			rec := record(&benchEntry, "syslog")
			enc := &encoder{format: format}
			buf := make([]byte, 0, 4096)
			b.ReportAllocs()
			b.SetBytes(int64(len(rec.JSON)))
			for b.Loop() {
				var err error
				buf, err = enc.entry(buf[:0], rec)
				if err != nil || len(buf) == 0 || buf[len(buf)-1] != '\n' {
					b.Fatalf("%q %v", buf, err)
				}
			}
			sink = buf
		})
	}
}

var sink []byte
