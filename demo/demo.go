// Package demo generates a deterministic, realistic demo data set: RFC 5424 syslog from a dozen
// hosts (tag syslog), JSON web access logs (tag weblog) and CSV netflow records (tag netflow),
// spread over the day before a given time with a diurnal rhythm, an outage and a brute-force
// attack in it. The server seeds an empty store with it so searches return something real.
package demo

import (
	"errors"
	"math"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// Tag names of the generated data.
const (
	TagSyslog  = "syslog"
	TagWeblog  = "weblog"
	TagNetflow = "netflow"
)

// Defaults for the zero Config.
const (
	DefaultCount     = 1_000_000
	DefaultBatchSize = 10_000
	DefaultSpan      = 24 * time.Hour
)

// Config configures Generate. The zero value works: a million entries over the 24 hours before
// time.Now(), seed 0, tag IDs 0, 1, 2.
type Config struct {
	Now       time.Time                         // end of the data (exclusive); time.Now() when zero
	Span      time.Duration                     // how far back the data reaches; DefaultSpan when <= 0
	Count     int                               // entries in all; DefaultCount when <= 0
	Seed      uint64                            // the same seed, Now, Span and Count give the same bytes
	TagID     func(name string) (uint16, error) // resolves TagSyslog, TagWeblog, TagNetflow; nil gives 0, 1, 2
	BatchSize int                               // entries per emit call; DefaultBatchSize when <= 0
}

// Generate produces cfg.Count entries in ascending time order and hands them to emit in batches
// of cfg.BatchSize (the last may be shorter). The batch and its entries' Data are reused: they
// are valid only during the emit call, so emit must copy what it keeps (store.Ingest does).
// Generate stops at the first error from emit or cfg.TagID and returns it.
//
// The mix is about 45% syslog, 35% weblog and 20% netflow. Timestamps follow a daily cycle
// (busiest at 14:00 UTC, quietest at 02:00, about 8:1); syslog,
// weblog and netflow alike carry milliseconds, and each line's own timestamp is exactly the
// entry's TS.
// SRC is the address of the host that logged the line (the web server for weblog, the flow
// exporter for netflow).
func Generate(cfg Config, emit func(batch []wire.Entry) error) error {
	if cfg.Now.IsZero() {
		cfg.Now = time.Now()
	}
	if cfg.Span <= 0 {
		cfg.Span = DefaultSpan
	}
	if cfg.Count <= 0 {
		cfg.Count = DefaultCount
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	var tags [3]uint16
	if cfg.TagID != nil {
		for i, name := range [3]string{TagSyslog, TagWeblog, TagNetflow} {
			id, err := cfg.TagID(name)
			if err != nil {
				return errors.Join(errors.New("demo: cannot create tag "+name), err)
			}
			tags[i] = id
		}
	} else {
		tags = [3]uint16{0, 1, 2}
	}

	g := newGen(cfg)
	batch := make([]wire.Entry, 0, cfg.BatchSize)
	ends := make([]int, 0, cfg.BatchSize)
	for i := range cfg.Count {
		g.ts = g.clock.next(i)
		var kind int
		var src netip.Addr
		switch p := g.r.Uint32N(100); {
		case p < 45:
			kind, src = 0, g.syslog()
		case p < 80:
			kind, src = 1, g.weblog()
		default:
			kind, src = 2, g.netflow()
		}
		g.b = append(g.b, g.msg...)
		batch = append(batch, wire.Entry{TS: g.ts, SRC: src, Tag: tags[kind]})
		ends = append(ends, len(g.b))
		if len(batch) == cfg.BatchSize || i == cfg.Count-1 {
			// Data is set only now: the arena may have moved while the batch grew.
			start := 0
			for k := range batch {
				batch[k].Data = g.b[start:ends[k]:ends[k]]
				start = ends[k]
			}
			if err := emit(batch); err != nil {
				return err
			}
			batch, ends, g.b = batch[:0], ends[:0], g.b[:0]
		}
	}
	return nil
}

// clock hands out ascending timestamps whose density follows the daily cycle: entry i gets a
// jittered quantile (i+u)/n of the cumulative density over the span, per minute.
type clock struct {
	r      *rand.Rand
	start  int64     // ns
	end    int64     // ns, exclusive
	n      float64   // entries
	cdf    []float64 // cdf[m] = share of entries before minute m; the last is 1
	minute int
}

const minuteNS = int64(time.Minute)

func newClock(r *rand.Rand, now time.Time, span time.Duration, n int) *clock {
	steps := int((int64(span) + minuteNS - 1) / minuteNS)
	c := &clock{r: r, start: now.UnixNano() - int64(span), end: now.UnixNano(), n: float64(n), cdf: make([]float64, steps+1)}
	sum := 0.0
	for m := range steps {
		t := c.start + int64(m)*minuteNS + minuteNS/2
		hour := float64(((t/1e9)%86400+86400)%86400) / 3600
		sum += 1 + 0.78*math.Cos(2*math.Pi*(hour-14)/24)
		c.cdf[m+1] = sum
	}
	for m := range c.cdf {
		c.cdf[m] /= sum
	}
	return c
}

// next returns the timestamp of entry i, in whole milliseconds; calls must come with i
// ascending.
func (c *clock) next(i int) int64 {
	q := (float64(i) + c.r.Float64()) / c.n
	for c.minute < len(c.cdf)-2 && c.cdf[c.minute+1] <= q {
		c.minute++
	}
	lo, hi := c.cdf[c.minute], c.cdf[c.minute+1]
	ts := c.start + int64(c.minute)*minuteNS + int64((q-lo)/(hi-lo)*float64(minuteNS))
	if ts >= c.end { // the last minute may be cut short by the span
		ts = c.end - 1
	}
	if ts < c.start {
		ts = c.start
	}
	return floorMS(ts)
}

func floorMS(ts int64) int64 {
	m := ts % 1e6
	if m < 0 {
		m += 1e6
	}
	return ts - m
}
