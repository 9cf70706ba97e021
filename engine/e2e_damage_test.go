package engine_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/store"
)

// Damage tests: a real server stores entries through POST /api/ingest, stops, a shard file is
// damaged on disk, a new server opens the same directory, and a search over the search socket
// must return every entry except at most those of the damaged block, with a Warning naming
// the loss.

const (
	dmgRequests = 8  // ingest requests, one block each
	dmgPerReq   = 50 // entries per request
)

var dmgBase = time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)

// startAt starts a real server on an existing data directory; stop closes it and fails the
// test if Close fails.
func startAt(t *testing.T, dir string) (ts *testServer, stop func()) {
	t.Helper()
	return startAtLog(t, dir, nil)
}

func startAtLog(t *testing.T, dir string, log *slog.Logger) (ts *testServer, stop func()) {
	t.Helper()
	cfg := engine.Config{DataDir: dir, Logger: log}
	cfg.Store.BlockSize = 16 << 10
	cfg.Store.Compression = store.CompressionNone
	cfg.Search.Grace = 100 * time.Millisecond
	eng, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(eng.Handler())
	done := false
	stop = func() {
		if done {
			return
		}
		done = true
		srv.Close()
		if err := eng.Close(); err != nil {
			t.Errorf("engine close: %v", err)
		}
	}
	t.Cleanup(stop)
	return &testServer{eng: eng, srv: srv, url: "ws" + strings.TrimPrefix(srv.URL, "http")}, stop
}

// dmgStore fills a new directory through the HTTP ingest endpoint and stops the server. It
// returns the directory and the shard file.
func dmgStore(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	ts, stop := startAt(t, dir)
	for r := range dmgRequests {
		var b strings.Builder
		for i := range dmgPerReq {
			at := dmgBase.Add(time.Duration(r*dmgPerReq+i) * time.Second)
			fmt.Fprintf(&b, "%s host%d sshd[%d]: accepted publickey for user%d from 10.0.%d.%d padding-to-make-lines-longer-%0120d\n",
				at.Format(time.RFC3339), i%5, 1000+i, i, r, i, i)
		}
		code, body := httpDo(t, "POST", ts.srv.URL+"/api/ingest?tag=dmg", nil, strings.NewReader(b.String()))
		if code != http.StatusOK {
			t.Fatalf("ingest: %d %s", code, body)
		}
	}
	stop()
	return dir, onlyShard(t, dir)
}

// onlyShard returns the one shard file of the default well in dir.
func onlyShard(t *testing.T, dir string) string {
	t.Helper()
	shards, _ := filepath.Glob(filepath.Join(dir, "wells", "default", "*.shard"))
	if len(shards) != 1 {
		t.Fatalf("want one shard file, have %v", shards)
	}
	return shards[0]
}

// searchCount runs query over the whole data set and returns the entry count and Warning.
func searchCount(t *testing.T, ts *testServer, query string) (uint64, string) {
	t.Helper()
	c := dial(t, ts.url+"/api/ws/search", "search", "attach", "parse")
	defer c.conn.Close() // before the server stops, which would otherwise wait for the session
	r := c.launch(query, dmgBase, dmgBase.Add(time.Hour))
	n := c.waitDone(r.OutputSearchSubproto)
	var b baseResp
	c.send(r.OutputSearchSubproto, map[string]any{"ID": 3})
	c.recv(r.OutputSearchSubproto, &b)
	if b.Error != "" {
		t.Fatalf("search failed: %s", b.Error)
	}
	return n, b.Warning
}

func patchFile(t *testing.T, p string, fn func(b []byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, fn(b), 0o644); err != nil {
		t.Fatal(err)
	}
}

func flip(at func(n int) int) func([]byte) []byte {
	return func(b []byte) []byte { b[at(len(b))] ^= 0x10; return b }
}

// TestE2EDamageContained is the fault-injection matrix over a real server and real files.
func TestE2EDamageContained(t *testing.T) {
	const total = dmgRequests * dmgPerReq
	cases := []struct {
		name     string
		keepIdx  bool
		shard    func([]byte) []byte // applied to the shard file
		idx      func([]byte) []byte // applied to the index file
		acc      func([]byte) []byte // applied to the accelerator file
		lossless bool
		unknown  bool // nothing that survives says what the damaged block held
		noAcc    bool // remove the accelerator sidecar (block summaries) too
		// files damages other files, by path relative to the data directory
		files  map[string]func([]byte) []byte
		metric string // a line /metrics must show after the first start
	}{
		{name: "flip-start/no-idx", shard: flip(func(int) int { return 200 })},
		{name: "flip-start/idx", keepIdx: true, shard: flip(func(int) int { return 200 })},
		{name: "flip-middle/no-idx", shard: flip(func(n int) int { return n/2 + 777 })},
		{name: "flip-middle/idx", keepIdx: true, shard: flip(func(n int) int { return n/2 + 777 })},
		// 50160 is the header of the fifth block: without an index, its summary in the .acc
		// sidecar still counts its entries (and without both, nothing does); with the index,
		// the index's copy of the header serves the intact body.
		{name: "flip-header/no-idx", shard: flip(func(int) int { return 50160 + 20 })},
		{name: "flip-header/no-idx-no-acc", noAcc: true, unknown: true, shard: flip(func(int) int { return 50160 + 20 })},
		{name: "flip-header/idx", keepIdx: true, lossless: true, shard: flip(func(int) int { return 50160 + 20 })},
		{name: "flip-end/no-idx", shard: flip(func(n int) int { return n - 5 })},
		{name: "flip-end/idx", keepIdx: true, shard: flip(func(n int) int { return n - 5 })},
		{name: "truncated-block", shard: func(b []byte) []byte { return b[:len(b)-3000] }},
		{name: "zeroed-4k-page", keepIdx: true, shard: func(b []byte) []byte {
			lo := (len(b)/2 + 4095) &^ 4095 // a page inside one block
			clear(b[lo : lo+4096])
			return b
		}},
		{name: "garbage-appended/idx", keepIdx: true, lossless: true, shard: func(b []byte) []byte {
			return append(b, strings.Repeat("SLB1 not a block ", 100)...)
		}},
		{name: "garbage-appended/no-idx", lossless: true, metric: "sluice_store_tail_bytes_cut_total 1700", shard: func(b []byte) []byte {
			return append(b, strings.Repeat("SLB2 not a block ", 100)...)
		}},
		{name: "short-tail/no-idx", lossless: true, metric: "sluice_store_tail_bytes_cut_total 10", shard: func(b []byte) []byte { return append(b, "SLB2 short"...) }},
		// one copy of a metadata file
		{name: "tag-log-record", keepIdx: true, lossless: true, metric: "sluice_store_metadata_copies_repaired_total 1", files: map[string]func([]byte) []byte{
			"tags.log": flip(func(int) int { return 10 })}},
		{name: "tag-log-copy", keepIdx: true, lossless: true, metric: "sluice_store_metadata_copies_repaired_total 1", files: map[string]func([]byte) []byte{
			"tags.log.copy": func(b []byte) []byte { return b[:9] }}},
		{name: "well-file", keepIdx: true, lossless: true, metric: "sluice_store_metadata_copies_repaired_total 1", files: map[string]func([]byte) []byte{
			"wells/default/WELL": flip(func(int) int { return 16 })}},
		{name: "indexer-uuid", keepIdx: true, lossless: true, metric: "sluice_store_metadata_copies_repaired_total 1", files: map[string]func([]byte) []byte{
			"indexer.uuid": flip(func(int) int { return 3 })}},
		{name: "block-key", keepIdx: true, lossless: true, metric: "sluice_store_metadata_copies_repaired_total 1", files: map[string]func([]byte) []byte{
			"block.key": flip(func(int) int { return 30 })}},
		{name: "corrupt-index", keepIdx: true, lossless: true, idx: flip(func(n int) int { return n / 2 })},
		{name: "corrupt-accelerator", keepIdx: true, lossless: true, acc: flip(func(n int) int { return n / 2 })},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, p := dmgStore(t)
			if !c.keepIdx {
				if err := os.Remove(p + ".idx"); err != nil {
					t.Fatal(err)
				}
			}
			if c.shard != nil {
				patchFile(t, p, c.shard)
			}
			if c.idx != nil {
				patchFile(t, p+".idx", c.idx)
			}
			if c.acc != nil {
				patchFile(t, p+".acc", c.acc)
			}
			if c.noAcc {
				os.Remove(p + ".acc")
			}
			for f, fn := range c.files {
				patchFile(t, filepath.Join(dir, f), fn)
			}
			for round := range 2 { // a restart keeps the decision and the warning
				ts, stop := startAt(t, dir)
				n, warn := searchCount(t, ts, "tag=dmg")
				// every entry holds "publickey": the accelerators may skip no block
				if gn, gwarn := searchCount(t, ts, "tag=dmg grep publickey"); gn != n || gwarn != warn {
					t.Fatalf("round %d: grep search: %d entries, warning %q; plain search: %d, %q", round, gn, gwarn, n, warn)
				}
				missing := total - int(n)
				switch {
				case c.lossless && (missing != 0 || warn != ""):
					t.Fatalf("round %d: %d entries missing, warning %q; want none", round, missing, warn)
				case missing < 0 || missing > dmgPerReq:
					t.Fatalf("round %d: %d of %d entries returned: more than one block (%d entries) lost", round, n, total, dmgPerReq)
				case c.unknown && missing > 0 && !strings.Contains(warn, "an unknown number of entries"):
					t.Fatalf("round %d: warning %q does not say the count is unknown", round, warn)
				case !c.unknown && missing > 0 && !strings.Contains(warn, strconv.Itoa(missing)+" entries"):
					t.Fatalf("round %d: %d entries missing, warning %q does not name them", round, missing, warn)
				case !c.lossless && missing == 0:
					t.Fatalf("round %d: damage lost nothing; the case does not test what it says", round)
				}
				if warn != "" && (strings.Contains(warn, dir) || !strings.Contains(warn, "2024-05-01T09:")) {
					t.Fatalf("round %d: warning %q: want the time range and no server path", round, warn)
				}
				if round == 0 && c.metric != "" {
					if _, body := httpDo(t, "GET", ts.srv.URL+"/metrics", nil, nil); !strings.Contains(string(body), c.metric+"\n") {
						t.Fatalf("metrics lack %q:\n%s", c.metric, grepLines(string(body), "sluice_store_"))
					}
				}
				if round == 0 && !c.lossless {
					_, body := httpDo(t, "GET", ts.srv.URL+"/metrics", nil, nil)
					if !strings.Contains(string(body), "sluice_store_scan_damage_skips_total 2") {
						t.Fatalf("metrics do not count the skip:\n%s", grepLines(string(body), "sluice_store_"))
					}
				}
				stop()
			}
		})
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// lockedBuf is a goroutine-safe log sink.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestE2EClientMistakes: bad input is a 4xx naming the field, never a 500 or an ERROR line.
func TestE2EClientMistakes(t *testing.T) {
	var log lockedBuf
	ts, _ := startAtLog(t, t.TempDir(), slog.New(slog.NewTextHandler(&log, nil)))
	json := http.Header{"Content-Type": {"application/json"}}
	for _, c := range []struct {
		query, body string
		hdr         http.Header
		want        []string
	}{
		{"?tag=x&src=fe80::1%25eth0", "a line\n", nil, []string{`query parameter \"src\"`, "IPv6 zone"}},
		{"?tag=x", `[{"Text":"a","SRC":"fe80::1%eth0"}]`, json, []string{"entry 0", `field \"SRC\"`, "IPv6 zone"}},
		{"?tag=x", `[{"Text":"a"},{"Text":"b","TS":"1960-01-01T00:00:00Z"}]`, json, []string{"entry 1", `field \"TS\"`, "1970"}},
		{"?tag=x", `[{"Text":"a","TS":-5}]`, json, []string{"entry 0", `field \"TS\"`}},
		{"?tag=bad/tag", "a line\n", nil, []string{`query parameter \"tag\"`}},
	} {
		code, body := httpDo(t, "POST", ts.srv.URL+"/api/ingest"+c.query, c.hdr, strings.NewReader(c.body))
		if code/100 != 4 {
			t.Errorf("%s %s: status %d (%s), want 4xx", c.query, c.body, code, body)
		}
		for _, w := range c.want {
			if !strings.Contains(string(body), w) {
				t.Errorf("%s %s: reply %s does not contain %s", c.query, c.body, body, w)
			}
		}
	}
	if strings.Contains(log.String(), "level=ERROR") {
		t.Fatalf("client mistakes logged at ERROR:\n%s", log.String())
	}
}

// TestE2EFullDisk runs a real server on a 2 MiB tmpfs (needs root or CAP_SYS_ADMIN; skipped
// otherwise): ingest until the disk is full; the refused request gets 507 without server
// paths, every acknowledged entry survives, shutdown on the full disk succeeds and says what it
// could not write, and a restart on the still-full disk finds every acknowledged entry.
func TestE2EFullDisk(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs for a real full disk (%v: %s)", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	var log lockedBuf
	ts, stop := startAtLog(t, dir, slog.New(slog.NewTextHandler(&log, nil)))
	acked := 0
	full := false
	for r := 0; r < 200 && !full; r++ {
		var b strings.Builder
		for i := range 100 {
			fmt.Fprintf(&b, "%s request %d line %d %0180d\n", dmgBase.Add(time.Duration(r*100+i)*time.Millisecond).Format(time.RFC3339Nano), r, i, i)
		}
		code, body := httpDo(t, "POST", ts.srv.URL+"/api/ingest?tag=dmg", nil, strings.NewReader(b.String()))
		switch code {
		case http.StatusOK:
			acked += 100
		case http.StatusInsufficientStorage:
			full = true
			if strings.Contains(string(body), dir) || strings.Contains(string(body), "/") || !strings.Contains(string(body), "disk is full") {
				t.Fatalf("507 reply %s: want the reason without server paths", body)
			}
		default:
			t.Fatalf("ingest: %d %s", code, body)
		}
	}
	if !full || acked == 0 {
		t.Fatalf("disk never filled (%d acked)", acked)
	}
	if n, _ := searchCount(t, ts, "tag=dmg"); int(n) != acked {
		t.Fatalf("search before shutdown: %d entries, %d acknowledged", n, acked)
	}
	stop() // fails the test if Close fails
	t.Logf("acknowledged %d entries before the disk filled; shutdown log:\n%s", acked, grepLines(log.String(), "close"))
	ts, stop = startAt(t, dir)
	// The search's own render store cannot grow on the full disk either: it says so, without
	// server paths, and the count is still every acknowledged entry.
	if n, warn := searchCount(t, ts, "tag=dmg"); int(n) != acked || strings.Contains(warn, "/") {
		t.Fatalf("after restart on the full disk: %d entries (warning %q), %d acknowledged", n, warn, acked)
	}
	stop()
}

// TestE2ETagsOfFailedRequest: a JSON ingest with more new tags than Store.MaxTags gets a 4xx
// naming the limit and keeps none of its tags: afterwards new tags are still accepted, and a
// restart knows only tags with stored entries.
func TestE2ETagsOfFailedRequest(t *testing.T) {
	dir := t.TempDir()
	cfg := engine.Config{DataDir: dir}
	cfg.Store.MaxTags = 10
	eng, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(eng.Handler())
	post := func(body string) (int, string) {
		code, b := httpDo(t, "POST", srv.URL+"/api/ingest", http.Header{"Content-Type": {"application/json"}}, strings.NewReader(body))
		return code, string(b)
	}
	var b strings.Builder
	b.WriteString("[")
	for i := range 12 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"Tag":"t%d","Text":"x"}`, i)
	}
	b.WriteString("]")
	if code, body := post(b.String()); code/100 != 4 || !strings.Contains(body, "MaxTags=10") {
		t.Fatalf("12 new tags with MaxTags 10: %d %s", code, body)
	}
	for i := range 10 { // the failed request left no tag behind: ten new ones fit
		if code, body := post(fmt.Sprintf(`[{"Tag":"ok%d","Text":"y"}]`, i)); code != http.StatusOK {
			t.Fatalf("new tag %d after the failed request: %d %s", i, code, body)
		}
	}
	srv.Close()
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	eng, err = engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if _, ok := eng.Store().LookupTag("t0"); ok {
		t.Fatal("a tag of the failed request survived the restart")
	}
	if _, ok := eng.Store().LookupTag("ok9"); !ok {
		t.Fatal("a tag with entries was lost")
	}
}

// forgedBlockImage encodes, by the documented block layout (engine/store/block.go), a block
// of five entries of tag ID 0 that were never ingested: an unkeyed version 1 header sealed
// with CRC32C (key nil), or a version 2 header "keyed" with a guessed key.
func forgedBlockImage(ts time.Time, seq uint64, key []byte) []byte {
	var body []byte
	for i := range 5 {
		body = binary.LittleEndian.AppendUint64(body, uint64(ts.UnixNano()+int64(i)))
		body = append(body, 0, 0, 0) // tag 0, no source
		d := "forged entry " + strconv.Itoa(i)
		body = binary.AppendUvarint(body, uint64(len(d)))
		body = append(body, d...)
	}
	castagnoli := crc32.MakeTable(crc32.Castagnoli)
	h := []byte("SLB1")
	if key != nil {
		h = []byte("SLB2")
	}
	h = append(h, 0, 0, 0, 0)
	h = binary.LittleEndian.AppendUint32(h, 5)
	h = binary.LittleEndian.AppendUint32(h, uint32(len(body)))
	h = binary.LittleEndian.AppendUint32(h, uint32(len(body)))
	h = binary.LittleEndian.AppendUint32(h, crc32.Checksum(body, castagnoli))
	h = binary.LittleEndian.AppendUint64(h, uint64(ts.UnixNano()))
	h = binary.LittleEndian.AppendUint64(h, uint64(ts.UnixNano()+4))
	h = binary.LittleEndian.AppendUint64(h, 1) // tag mask: tag 0
	h = binary.LittleEndian.AppendUint64(h, seq)
	if key == nil {
		h = binary.LittleEndian.AppendUint32(h, crc32.Checksum(h, castagnoli))
	} else {
		sum := sha256.Sum256(append(append([]byte(nil), key...), h...))
		h = append(h, sum[:4]...)
	}
	return append(h, body...)
}

// TestE2EForgedBlockRejected: a client ingests (JSON, through a real server) an entry whose
// data carries well-formed block images with plausible sequence numbers and timestamps, one
// unkeyed and one with a guessed key. The header of the real block holding it is destroyed and
// the index removed, so recovery searches the damaged block for the next valid header. No
// forged entry is ever returned, and only the damaged block's entries are missing.
func TestE2EForgedBlockRejected(t *testing.T) {
	dir := t.TempDir()
	ts, stop := startAt(t, dir)
	const reqs, per = 4, 30
	for r := range reqs {
		var es []map[string]any
		for i := range per {
			at := dmgBase.Add(time.Duration(r*per+i) * time.Second)
			data := fmt.Sprintf("%s host%d sshd: accepted publickey for user%d %080d", at.Format(time.RFC3339), i%5, i, i)
			if r == 2 && i == 10 {
				img := []byte("carrier ")
				for seq := uint64(1); seq <= 8; seq++ {
					img = append(img, forgedBlockImage(at.Add(time.Millisecond), seq, nil)...)
				}
				img = append(img, forgedBlockImage(at.Add(time.Millisecond), 3, bytes.Repeat([]byte{7}, 32))...)
				data = string(img)
			}
			es = append(es, map[string]any{"TS": at.Format(time.RFC3339Nano), "Tag": "dmg", "Data": []byte(data)})
		}
		body, _ := json.Marshal(es)
		code, reply := httpDo(t, "POST", ts.srv.URL+"/api/ingest", http.Header{"Content-Type": {"application/json"}}, bytes.NewReader(body))
		if code != http.StatusOK {
			t.Fatalf("ingest: %d %s", code, reply)
		}
	}
	stop()
	p := onlyShard(t, dir)
	os.Remove(p + ".idx")
	patchFile(t, p, func(b []byte) []byte {
		// walk the length chain to the third block (the carrier's) and destroy its header
		off := 0
		for range 2 {
			off += 60 + int(binary.LittleEndian.Uint32(b[off+16:]))
		}
		if !bytes.Contains(b[off:off+60+int(binary.LittleEndian.Uint32(b[off+16:]))], []byte("carrier SLB1")) {
			t.Fatal("the third block does not hold the carrier entry verbatim")
		}
		clear(b[off : off+60])
		return b
	})
	for round := range 2 {
		ts, stop = startAt(t, dir)
		n, warn := searchCount(t, ts, "tag=dmg")
		if n != (reqs-1)*per || !strings.Contains(warn, strconv.Itoa(per)+" entries") {
			t.Fatalf("round %d: %d entries (warning %q), want %d and the %d of the damaged block named", round, n, warn, (reqs-1)*per, per)
		}
		if f, _ := searchCount(t, ts, "tag=dmg grep forged"); f != 0 {
			t.Fatalf("round %d: %d forged entries returned", round, f)
		}
		stop()
	}
}
