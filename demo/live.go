package demo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// Sink receives demo entries: the engine, or its store.
type Sink interface {
	TagID(name string) (uint16, error)
	Ingest(batch []wire.Entry) error
}

// MarkerName is the file, in the data directory, that marks a store as seeded with demo data,
// so that later starts keep it current (Refresh) without ever adding demo data to a store of
// real logs.
const MarkerName = ".sluice-demo"

// Mark records in dir that its store holds demo data.
func Mark(dir string) error {
	return os.WriteFile(filepath.Join(dir, MarkerName), []byte("seeded with the sluice demo data set; delete this file to stop the demo refresh\n"), 0o644)
}

// IsDemoStore reports whether the store in dir holds demo data: it carries the marker, or
// every tag it has is one of the demo tags (a store seeded before the marker existed).
func IsDemoStore(dir string, tagNames []string) bool {
	if _, err := os.Stat(filepath.Join(dir, MarkerName)); err == nil {
		return true
	}
	if len(tagNames) == 0 {
		return false
	}
	for _, n := range tagNames {
		if !slices.Contains([]string{TagSyslog, TagWeblog, TagNetflow}, n) {
			return false
		}
	}
	return true
}

// Refresh brings a demo store up to now: it generates the data of the gap between newest (the
// newest entry stored) and now, at most DefaultSpan of it, with as many entries as count spreads
// over that much of a day (count <= 0: DefaultCount). So the last 24 hours always hold demo
// data, however long the server was down. It returns how many entries it stored.
func Refresh(ctx context.Context, sink Sink, newest, now time.Time, count int) (int, error) {
	if count <= 0 {
		count = DefaultCount
	}
	gap := now.Sub(newest)
	if gap > DefaultSpan {
		gap = DefaultSpan
	}
	n := int(float64(count) * float64(gap) / float64(DefaultSpan))
	if n <= 0 {
		return 0, nil
	}
	stored := 0
	err := Generate(Config{Now: now, Span: gap, Count: n, Seed: uint64(now.UnixNano()), TagID: sink.TagID},
		func(batch []wire.Entry) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			stored += len(batch)
			return sink.Ingest(batch)
		})
	return stored, err
}

// FeedConfig configures Feed.
type FeedConfig struct {
	// Rate is the mean number of entries per second; 0 means DefaultFeedRate.
	Rate float64
	// Tick is how often a batch is stored; 0 means one second.
	Tick time.Duration
}

// DefaultFeedRate is the live feed's default rate in entries per second.
const DefaultFeedRate = 5

// Feed stores a trickle of fresh demo entries (timestamps in the last tick, the same mix as
// Generate) every tick until ctx ends, so dashboards and `sluice search --follow` have
// something to show. It returns ctx's error, or the first error of sink.
func Feed(ctx context.Context, sink Sink, cfg FeedConfig) error {
	if cfg.Rate <= 0 {
		cfg.Rate = DefaultFeedRate
	}
	if cfg.Tick <= 0 {
		cfg.Tick = time.Second
	}
	t := time.NewTicker(cfg.Tick)
	defer t.Stop()
	last := time.Now()
	owed := 0.0 // fractional entries carried to the next tick
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case now := <-t.C:
			span := now.Sub(last)
			last = now
			owed += cfg.Rate * span.Seconds()
			n := int(owed)
			if n == 0 || span <= 0 {
				continue
			}
			owed -= float64(n)
			err := Generate(Config{Now: now, Span: span, Count: n, Seed: uint64(now.UnixNano()), TagID: sink.TagID},
				func(batch []wire.Entry) error { return sink.Ingest(batch) })
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return errors.Join(errors.New("demo: live feed stopped"), err)
			}
		}
	}
}
