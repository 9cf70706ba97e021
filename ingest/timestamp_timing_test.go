package ingest

import (
	"testing"
)

// timeFormatLines holds one typical line per recognised format.
var timeFormatLines = []struct{ name, line string }{
	{"RFC3339", "2024-05-01T09:59:58.816191Z INFO server started listen=127.0.0.1:8080 pid=4121"},
	{"RFC5424", `<34>1 2024-05-01T09:59:58.816191Z web01 sshd 4121 - - Accepted publickey for admin from 10.0.0.5 port 52214 ssh2`},
	{"RFC3164", "<38>May  1 09:59:58 web01 sshd[4121]: Accepted publickey for admin from 10.0.0.5 port 52214 ssh2"},
	{"Apache", `203.0.113.45 - - [01/May/2024:09:59:58 +0000] "GET /api/v1/users/123 HTTP/1.1" 200 5123 "-" "Mozilla/5.0 (X11; Linux x86_64)"`},
	{"JSONEpoch", `{"level":"info","msg":"request done","path":"/api/v1/users/123","status":200,"ts":1714557598.816}`},
	{"JSONString", `{"time":"2024-05-01T09:59:58.816Z","method":"GET","path":"/api/v1/users/123","status":200,"bytes":5123}`},
	{"Epoch", "1714557598816 10.0.0.5 52214 93.184.216.34 443 6 15324 23"},
	{"GoLog", "2024/05/01 09:59:58 main.go:42: listening on 127.0.0.1:8080"},
	{"None", "this line has no timestamp at all: key=value key2=value2 count=17 and some more words"},
}

func BenchmarkExtractTime(b *testing.B) {
	for _, c := range timeFormatLines {
		line := []byte(c.line)
		want, wantOK := ExtractTime(line, testNow)
		if wantOK == (c.name == "None") {
			b.Fatalf("%s: ok = %v", c.name, wantOK)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(line)))
			for b.Loop() {
				ts, ok := ExtractTime(line, testNow)
				if ts != want || ok != wantOK {
					b.Fatal("wrong result")
				}
			}
		})
	}
}
