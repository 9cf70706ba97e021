package engine_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestRESTSameCoreAsSocket sends the same requests over the search socket and over REST and
// checks that the replies are byte for byte the same: one protocol core behind both transports
// (parse, and every render request that does not depend on the clock).
func TestRESTSameCoreAsSocket(t *testing.T) {
	ts := startServer(t, nil)
	ingestN(t, ts, "app", 200)
	c := dial(t, ts.url+"/api/ws/search", "PONG", "parse", "search", "attach")

	for _, q := range []string{"tag=app json host | count by host | table", "tag=app nosuchmodule", "tag=app | grep", ""} {
		req := map[string]any{"SearchString": q, "Sequence": 7}
		c.send("parse", req)
		sock := c.recv("parse", nil)
		body, _ := json.Marshal(req)
		code, rest := httpDo(t, "POST", ts.srv.URL+"/api/parse", nil, bytes.NewReader(body))
		if code != http.StatusOK || !bytes.Equal(bytes.TrimSpace(rest), sock) {
			t.Fatalf("parse %q:\nsocket %s\nREST   %d %s", q, sock, code, rest)
		}
	}

	for _, query := range []string{"tag=app", "tag=app json host bytes | table host bytes", "tag=app json host | count by host over 1m | chart count by host"} {
		r := c.launch(query, base, base.Add(time.Hour))
		c.waitDone(r.OutputSearchSubproto)
		for _, req := range []string{
			`{"ID":3}`,
			`{"ID":5,"Addendum":{"x":[1,2]}}`,
			`{"ID":16,"EntryRange":{"First":10,"Last":25}}`,
			`{"ID":18,"EntryRange":{"StartTS":"2024-05-01T09:01:00Z","EndTS":"2024-05-01T09:02:00Z","First":0,"Last":100}}`,
			`{"ID":65537}`,
			`{"ID":2130706433}`,
			`{"ID":2130706435,"Stats":{"SetCount":4}}`,
			`{"ID":2130706437}`,
			`{"ID":16}`,
			`{"ID":16,"EntryRange":{"First":9,"Last":2}}`,
			`{"ID":99}`,
		} {
			var v any
			_ = json.Unmarshal([]byte(req), &v)
			c.send(r.OutputSearchSubproto, v)
			sock := c.recv(r.OutputSearchSubproto, nil)
			code, rest := httpDo(t, "POST", ts.srv.URL+"/api/searchctrl/"+r.SearchID+"/request", nil, strings.NewReader(req))
			wantCode := http.StatusOK
			if bytes.Contains(sock, []byte(`"Error":`)) && !bytes.Contains(sock, []byte(`"Error":""`)) {
				wantCode = http.StatusBadRequest
			}
			if code != wantCode || !bytes.Equal(bytes.TrimSpace(rest), sock) {
				t.Fatalf("%s on %q:\nsocket %s\nREST   %d %s", req, query, sock, code, rest)
			}
		}
	}
}
