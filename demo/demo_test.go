package demo

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/ingest"
	"github.com/sluicehq/sluice/wire"
)

var testNow = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// digest generates cfg and hashes every entry's TS, SRC, Tag and Data.
func digest(t *testing.T, cfg Config) [32]byte {
	t.Helper()
	h := sha256.New()
	var tmp [8]byte
	err := Generate(cfg, func(batch []wire.Entry) error {
		for _, e := range batch {
			binary.LittleEndian.PutUint64(tmp[:], uint64(e.TS))
			h.Write(tmp[:])
			h.Write(e.SRC.AsSlice())
			binary.LittleEndian.PutUint16(tmp[:], e.Tag)
			h.Write(tmp[:2])
			h.Write(e.Data)
			h.Write([]byte{0})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return [32]byte(h.Sum(nil))
}

func TestGenerateDeterministic(t *testing.T) {
	cfg := Config{Now: testNow, Count: 8000, Seed: 42, BatchSize: 777}
	a, b := digest(t, cfg), digest(t, cfg)
	if a != b {
		t.Fatal("the same config gave different data")
	}
	cfg.BatchSize = 3000 // batching does not change the data
	if digest(t, cfg) != a {
		t.Fatal("another batch size gave different data")
	}
	cfg.Seed = 43
	if digest(t, cfg) == a {
		t.Fatal("another seed gave the same data")
	}
}

var (
	rfc5424 = regexp.MustCompile(`^<(\d{1,3})>1 (\S+) ([a-z0-9-]+) ([A-Za-z/-]+) (\d+|-) (-) (-|(?:\[[a-zA-Z]+(?: [a-zA-Z]+="[^"]*")+\])+) (.+)$`)
	hostIPs = func() map[string]netip.Addr {
		m := map[string]netip.Addr{}
		for _, h := range hosts {
			m[h.name] = netip.AddrFrom4(h.ip)
		}
		return m
	}()
)

type weblogLine struct {
	Time       *string
	Host       *string
	Client     *string
	Method     *string
	Path       *string
	Proto      *string
	Status     *int
	Bytes      *int64
	DurationMS *float64 `json:"duration_ms"`
	Referer    *string
	UA         *string
}

// TestGenerateStructure checks every line of a run: its format, that ExtractTime recovers the
// entry's TS from it, and the entry's SRC.
func TestGenerateStructure(t *testing.T) {
	tags := map[string]uint16{}
	tagID := func(name string) (uint16, error) {
		tags[name] = uint16(10 + len(tags))
		return tags[name], nil
	}
	const n = 10000
	cfg := Config{Now: testNow, Count: n, Seed: 7, TagID: tagID, BatchSize: 4096}
	var (
		count, batches int
		perTag         = map[uint16]int{}
		prevTS         = int64(-1 << 63)
		hourly         [24]int
		severities     = map[int]int{}
		statuses       = map[int]int{}
	)
	err := Generate(cfg, func(batch []wire.Entry) error {
		batches++
		if len(batch) > 4096 || (len(batch) < 4096 && count+len(batch) != n) {
			t.Fatalf("batch %d has %d entries", batches, len(batch))
		}
		for _, e := range batch {
			count++
			line := string(e.Data)
			if e.TS < prevTS {
				t.Fatalf("entry %d: TS %d before the previous %d", count, e.TS, prevTS)
			}
			prevTS = e.TS
			if e.TS < testNow.Add(-DefaultSpan).UnixNano() || e.TS >= testNow.UnixNano() || e.TS%1e6 != 0 {
				t.Fatalf("entry %d: TS %s out of the span or not whole ms", count, time.Unix(0, e.TS).UTC())
			}
			hourly[time.Unix(0, e.TS).UTC().Hour()]++
			if ts, ok := ingest.ExtractTime(e.Data, testNow); !ok || ts != e.TS {
				t.Fatalf("entry %d: ExtractTime = %d, %v, want %d: %s", count, ts, ok, e.TS, line)
			}
			if strings.ContainsAny(line, "\n\r") {
				t.Fatalf("entry %d holds a line break: %q", count, line)
			}
			perTag[e.Tag]++
			switch e.Tag {
			case tags[TagSyslog]:
				m := rfc5424.FindStringSubmatch(line)
				if m == nil {
					t.Fatalf("entry %d is not RFC 5424: %s", count, line)
				}
				pri, _ := strconv.Atoi(m[1])
				if pri > 191 {
					t.Fatalf("entry %d: PRI %d: %s", count, pri, line)
				}
				severities[pri%8]++
				if hostIPs[m[3]] != e.SRC {
					t.Fatalf("entry %d: SRC %s is not host %s's address", count, e.SRC, m[3])
				}
			case tags[TagWeblog]:
				var w weblogLine
				if !json.Valid(e.Data) {
					t.Fatalf("entry %d is not valid JSON: %s", count, line)
				}
				if err := json.Unmarshal(e.Data, &w); err != nil {
					t.Fatalf("entry %d: %s: %s", count, err, line)
				}
				if w.Time == nil || w.Host == nil || w.Client == nil || w.Method == nil || w.Path == nil || w.Proto == nil ||
					w.Status == nil || w.Bytes == nil || w.DurationMS == nil || w.Referer == nil || w.UA == nil {
					t.Fatalf("entry %d lacks a field: %s", count, line)
				}
				if _, err := netip.ParseAddr(*w.Client); err != nil || hostIPs[*w.Host] != e.SRC || !strings.HasPrefix(*w.Path, "/") ||
					*w.Status < 200 || *w.Status > 599 || *w.Bytes < 0 || *w.DurationMS < 0 {
					t.Fatalf("entry %d has a bad value: %s", count, line)
				}
				statuses[*w.Status/100]++
			case tags[TagNetflow]:
				f := strings.Split(line, ",")
				if len(f) != 8 {
					t.Fatalf("entry %d has %d fields: %s", count, len(f), line)
				}
				for _, ip := range f[1:3] {
					if _, err := netip.ParseAddr(ip); err != nil {
						t.Fatalf("entry %d: %s: %s", count, err, line)
					}
				}
				for _, num := range f[3:] {
					if v, err := strconv.ParseUint(num, 10, 64); err != nil || v > 1<<40 {
						t.Fatalf("entry %d: bad number %q: %s", count, num, line)
					}
				}
				if e.SRC != hostIPs["gw01"] && e.SRC != hostIPs["gw02"] {
					t.Fatalf("entry %d: SRC %s is not a gateway", count, e.SRC)
				}
			default:
				t.Fatalf("entry %d: unknown tag %d", count, e.Tag)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if count != n || len(tags) != 3 {
		t.Fatalf("%d entries, tags %v", count, tags)
	}
	// The mix: about 45/35/20.
	for name, want := range map[string]float64{TagSyslog: 0.45, TagWeblog: 0.35, TagNetflow: 0.20} {
		if got := float64(perTag[tags[name]]) / n; got < want-0.02 || got > want+0.02 {
			t.Errorf("%s is %.3f of the entries, want about %.2f", name, got, want)
		}
	}
	// The daily cycle: the busiest hour has several times the entries of the quietest.
	lo, hi := hourly[0], hourly[0]
	for _, c := range hourly {
		lo, hi = min(lo, c), max(hi, c)
	}
	if hi < 4*lo {
		t.Errorf("hourly counts %v: no daily cycle", hourly)
	}
	// Variety: several severities and every status class but 1xx.
	if len(severities) < 4 || statuses[2] == 0 || statuses[3] == 0 || statuses[4] == 0 || statuses[5] == 0 {
		t.Errorf("too little variety: severities %v, status classes %v", severities, statuses)
	}
}

func TestGenerateDefaultsAndErrors(t *testing.T) {
	// Zero Now, Span, Seed, TagID and BatchSize.
	before := time.Now()
	var tagsSeen []uint16
	err := Generate(Config{Count: 20}, func(batch []wire.Entry) error {
		for _, e := range batch {
			if e.TS < before.Add(-DefaultSpan).UnixNano()-1e6 || e.TS > time.Now().UnixNano() {
				t.Fatalf("TS %s outside the last day", time.Unix(0, e.TS))
			}
			tagsSeen = append(tagsSeen, e.Tag)
		}
		return nil
	})
	if err != nil || len(tagsSeen) != 20 {
		t.Fatalf("err %v, %d entries", err, len(tagsSeen))
	}
	for _, tag := range tagsSeen {
		if tag > 2 {
			t.Fatalf("tag %d without a TagID function", tag)
		}
	}

	// Errors stop the run.
	boom := errors.New("boom")
	calls := 0
	err = Generate(Config{Now: testNow, Count: 100, BatchSize: 10}, func([]wire.Entry) error {
		calls++
		return boom
	})
	if !errors.Is(err, boom) || calls != 1 {
		t.Fatalf("emit error: %v after %d calls", err, calls)
	}
	err = Generate(Config{Now: testNow, Count: 100, TagID: func(name string) (uint16, error) {
		if name == TagNetflow {
			return 0, boom
		}
		return 1, nil
	}}, func([]wire.Entry) error { t.Fatal("emit called"); return nil })
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "demo: cannot create tag netflow") {
		t.Fatalf("TagID error: %v", err)
	}

	// A short span still keeps every entry inside it.
	span := 90 * time.Second
	err = Generate(Config{Now: testNow, Span: span, Count: 5000}, func(batch []wire.Entry) error {
		for _, e := range batch {
			if e.TS < testNow.Add(-span).UnixNano() || e.TS >= testNow.UnixNano() {
				t.Fatalf("TS %s outside the span", time.Unix(0, e.TS).UTC())
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
