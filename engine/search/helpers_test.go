package search

import (
	"context"
	"fmt"
	"math/rand"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine/store"
	"github.com/sluicehq/sluice/wire"
)

// memSource is an in-memory Source. It hands out batches from one reused buffer and overwrites
// the data after every callback, the way a pooled store batch behaves, so a pipeline that keeps
// batch memory fails the tests.
type memSource struct {
	ents      []wire.Entry // sorted newest first
	batchSize int
	buf       []wire.Entry
	data      []byte
}

func newMemSource(ents []wire.Entry, batch int) *memSource {
	s := &memSource{ents: append([]wire.Entry(nil), ents...), batchSize: batch}
	sort.SliceStable(s.ents, func(i, j int) bool { return s.ents[i].TS > s.ents[j].TS })
	return s
}

func (s *memSource) Scan(ctx context.Context, q store.ScanQuery, fn func([]wire.Entry) error) error {
	s.buf, s.data = s.buf[:0], s.data[:0]
	flush := func() error {
		if len(s.buf) == 0 {
			return nil
		}
		// point Data into the shared buffer
		off := 0
		for i := range s.buf {
			n := len(s.buf[i].Data)
			s.buf[i].Data = s.data[off : off+n : off+n]
			off += n
		}
		err := fn(s.buf)
		for i := range s.data {
			s.data[i] = 0xAA // the pool reuses the memory
		}
		for i := range s.buf {
			s.buf[i] = wire.Entry{TS: -1}
		}
		s.buf, s.data = s.buf[:0], s.data[:0]
		return err
	}
	for _, e := range s.ents {
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.TS < q.Start || e.TS >= q.End || !hasTag(q.Tags, e.Tag) {
			continue
		}
		s.data = append(s.data, e.Data...)
		s.buf = append(s.buf, wire.Entry{TS: e.TS, SRC: e.SRC, Tag: e.Tag, Data: e.Data})
		if len(s.buf) == s.batchSize {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

func hasTag(tags []uint16, t uint16) bool {
	for _, x := range tags {
		if x == t {
			return true
		}
	}
	return false
}

// outEntry is a deep copy of an entry handed to the sink.
type outEntry struct {
	TS   int64
	Tag  uint16
	SRC  netip.Addr
	Data string
	EVs  map[string]wire.Value
	Keys []string // EV names in order
}

func (e outEntry) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %q", e.TS, e.Data)
	for _, k := range e.Keys {
		fmt.Fprintf(&b, " %s=%s", k, valueString(e.EVs[k]))
	}
	return b.String()
}

func valueString(v wire.Value) string {
	return fmt.Sprintf("%d:%s", v.Type, appendValueText(nil, v))
}

type memSink struct {
	out      []outEntry
	progress []int64
	adds     int
}

func (s *memSink) Add(batch []wire.Entry) {
	s.adds++
	for _, e := range batch {
		o := outEntry{TS: e.TS, Tag: e.Tag, SRC: e.SRC, Data: string(e.Data), EVs: map[string]wire.Value{}}
		for _, ev := range e.EVs {
			v := ev.Value
			v.B = append([]byte(nil), v.B...)
			if _, dup := o.EVs[ev.Name]; dup {
				panic("duplicate EV " + ev.Name)
			}
			o.EVs[ev.Name] = v
			o.Keys = append(o.Keys, ev.Name)
		}
		s.out = append(s.out, o)
	}
}

func (s *memSink) Progress(ts int64) { s.progress = append(s.progress, ts) }

// fakeRec is a StatsRecorder keeping counters per module and bucket. Parallel workers record
// concurrently, so it locks.
type fakeRec struct {
	mu    sync.Mutex
	width int64
	start int64
	c     map[[2]int64]wire.Counters // {module, bucket}
}

func newFakeRec(start, width int64) *fakeRec {
	return &fakeRec{width: width, start: start, c: map[[2]int64]wire.Counters{}}
}

func (r *fakeRec) Width() int64 { return r.width }

func (r *fakeRec) Record(shard, module int, ts int64, c *wire.Counters) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := [2]int64{int64(module), (ts - r.start) / r.width}
	x := r.c[k]
	x.Merge(c)
	r.c[k] = x
}

func (r *fakeRec) total(module int) wire.Counters {
	var t wire.Counters
	for k, c := range r.c {
		if k[0] == int64(module) {
			t.InputCount += c.InputCount
			t.OutputCount += c.OutputCount
			t.InputBytes += c.InputBytes
			t.OutputBytes += c.OutputBytes
		}
	}
	return t
}

// Test data: one hour of mixed entries.

var (
	tStart = time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC).UnixNano()
	tEnd   = tStart + int64(time.Hour)
)

var hosts = []string{"web-1", "web-2", "db-1", "cache", "edge \"quoted\""}
var methods = []string{"GET", "POST", "PUT", "DELETE"}
var apps = []string{"sshd", "cron", "nginx", "kernel", "su"}

type genEntry struct {
	host   string
	status int
	bytes  int64
	dur    float64
	ip     string
	method string
	app    string
	sev    int
	user   string
}

// gen makes n entries of tag 1 (JSON), 2 (kv), 3 (syslog) and 4 (csv) carrying the same
// fields, spread over [tStart-5m, tEnd+5m) so some fall outside the search range.
func gen(n int, seed int64) ([]wire.Entry, []genEntry) {
	r := rand.New(rand.NewSource(seed))
	ents := make([]wire.Entry, n)
	meta := make([]genEntry, n)
	for i := range ents {
		g := genEntry{
			host:   hosts[r.Intn(len(hosts))],
			status: []int{200, 200, 200, 301, 404, 500}[r.Intn(6)],
			bytes:  int64(r.Intn(100000)) - 50,
			dur:    float64(r.Intn(100000)) / 1000,
			ip:     fmt.Sprintf("10.0.%d.%d", r.Intn(3), r.Intn(4)),
			method: methods[r.Intn(len(methods))],
			app:    apps[r.Intn(len(apps))],
			sev:    r.Intn(8),
			user:   []string{"admin", "Bob", "carol", "ADMIN"}[r.Intn(4)],
		}
		ts := tStart - int64(5*time.Minute) + r.Int63n(int64(70*time.Minute))
		tag := uint16(1 + r.Intn(4))
		var data string
		switch tag {
		case 1:
			data = fmt.Sprintf(`{"host":%q,"status":%d,"bytes":%d,"dur":%g,"client":{"ip":%q},"method":%q,"user":%q,"app":%q,"sev":%d}`,
				g.host, g.status, g.bytes, g.dur, g.ip, g.method, g.user, g.app, g.sev)
		case 2:
			data = fmt.Sprintf(`host=%q status=%d bytes=%d dur=%g ip=%s method=%s user=%s app=%s sev=%d`,
				g.host, g.status, g.bytes, g.dur, g.ip, g.method, g.user, g.app, g.sev)
		case 3:
			data = fmt.Sprintf(`<%d>1 %s %s %s %d - [m@1 bytes="%d" ip="%s"] %s %s status=%d`,
				8+g.sev, time.Unix(0, ts).UTC().Format(time.RFC3339Nano), strings.ReplaceAll(g.host, " ", "_"), g.app, 100+i%50,
				g.bytes, g.ip, g.method, g.user, g.status)
		case 4:
			data = fmt.Sprintf(`%s, %d ,%d,%g,%s,%s,%s,%s,%d`, csvQuote(g.host), g.status, g.bytes, g.dur, g.ip, g.method, g.user, g.app, g.sev)
		}
		var src netip.Addr
		if r.Intn(4) > 0 {
			src = netip.AddrFrom4([4]byte{192, 168, 0, byte(r.Intn(3))})
		}
		ents[i] = wire.Entry{TS: ts, Tag: tag, SRC: src, Data: []byte(data)}
		meta[i] = g
	}
	return ents, meta
}

func csvQuote(s string) string {
	if strings.ContainsAny(s, `",`) {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// run parses and runs a query over ents (tags 1..4 unless tags is given), batches of 37.
func run(t *testing.T, query string, ents []wire.Entry, tags ...uint16) ([]outEntry, *fakeRec, *Query) {
	t.Helper()
	q, err := Parse(query)
	if err != nil {
		t.Fatalf("Parse(%q): %v", query, err)
	}
	if len(tags) == 0 {
		tags = []uint16{1, 2, 3, 4}
	}
	rec := newFakeRec(tStart, int64(time.Minute))
	sink := &memSink{}
	err = q.Run(context.Background(), newMemSource(ents, 37), sink, rec, RunOptions{Tags: tags, Start: tStart, End: tEnd})
	if err != nil {
		t.Fatalf("Run(%q): %v", query, err)
	}
	// invariant of §5.11: the last module's outputs are the entries that reached the renderer
	if n := len(q.Modules); n > 0 {
		if got := rec.total(n - 1).OutputCount; got != uint64(len(sink.out)) {
			t.Fatalf("Run(%q): last module OutputCount %d, sink got %d", query, got, len(sink.out))
		}
	}
	// each module's input is the previous module's output
	for i := 1; i < len(q.Modules); i++ {
		if a, b := rec.total(i-1), rec.total(i); a.OutputCount != b.InputCount || a.OutputBytes != b.InputBytes {
			t.Fatalf("Run(%q): module %d out %d/%dB, module %d in %d/%dB", query, i-1, a.OutputCount, a.OutputBytes, i, b.InputCount, b.InputBytes)
		}
	}
	if len(sink.progress) == 0 || sink.progress[len(sink.progress)-1] != tStart {
		t.Fatalf("Run(%q): progress %v does not end at the range start", query, sink.progress)
	}
	return sink.out, rec, q
}

// inRange returns the indexes of entries inside the search range with one of tags, newest
// first (the scan order).
func inRange(ents []wire.Entry, tags ...uint16) []int {
	var idx []int
	for i, e := range ents {
		if e.TS >= tStart && e.TS < tEnd && (len(tags) == 0 || hasTag(tags, e.Tag)) {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return ents[idx[a]].TS > ents[idx[b]].TS })
	return idx
}

// countSink counts without allocating.
type countSink struct{ n, progress int }

func (s *countSink) Add(b []wire.Entry) { s.n += len(b) }
func (s *countSink) Progress(int64)     { s.progress++ }

// arrayRec is a StatsRecorder over a fixed array, one plane per shard (workers record
// concurrently, each into its own shard).
type arrayRec struct {
	c [8][8][64]wire.Counters
}

func (r *arrayRec) Width() int64 { return int64(time.Minute) }
func (r *arrayRec) Record(shard, module int, ts int64, c *wire.Counters) {
	r.c[shard&7][module][((ts-tStart)/int64(time.Minute))&63].Merge(c)
}
