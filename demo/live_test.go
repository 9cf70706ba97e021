package demo

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// memSink keeps what it is given.
type memSink struct {
	mu      sync.Mutex
	tags    map[string]uint16
	entries []wire.Entry
}

func (s *memSink) TagID(name string) (uint16, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tags == nil {
		s.tags = map[string]uint16{}
	}
	if id, ok := s.tags[name]; ok {
		return id, nil
	}
	s.tags[name] = uint16(len(s.tags))
	return s.tags[name], nil
}

func (s *memSink) Ingest(batch []wire.Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range batch {
		e.Data = append([]byte(nil), e.Data...)
		s.entries = append(s.entries, e)
	}
	return nil
}

func (s *memSink) snapshot() []wire.Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]wire.Entry(nil), s.entries...)
}

func TestRefreshFillsTheGap(t *testing.T) {
	now := testNow
	f := func(newest time.Time, count, want int) {
		t.Helper()
		var s memSink
		n, err := Refresh(context.Background(), &s, newest, now, count)
		if err != nil || n != want || len(s.entries) != want {
			t.Fatalf("Refresh(newest %s ago, %d): %d stored (%d), %v; want %d", now.Sub(newest), count, n, len(s.entries), err, want)
		}
		from := max(newest.UnixNano(), now.Add(-DefaultSpan).UnixNano())
		for _, e := range s.entries {
			if e.TS < from || e.TS >= now.UnixNano() {
				t.Fatalf("entry at %s outside the gap [%s, %s)", time.Unix(0, e.TS).UTC(), time.Unix(0, from).UTC(), now)
			}
		}
	}
	f(now.Add(-6*time.Hour), 1000, 250)   // a quarter of a day: a quarter of the count
	f(now.Add(-72*time.Hour), 1000, 1000) // more than a day: the last day only
	f(now.Add(-time.Second), 1000, 0)     // up to date: nothing
	f(now.Add(time.Hour), 1000, 0)        // newer than now (clock skew): nothing
}

func TestFeedStoresFreshEntries(t *testing.T) {
	var s memSink
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- Feed(ctx, &s, FeedConfig{Rate: 1000, Tick: 20 * time.Millisecond}) }()
	deadline := time.Now().Add(10 * time.Second)
	for len(s.snapshot()) < 50 {
		if time.Now().After(deadline) {
			t.Fatal("the feed stored fewer than 50 entries in 10 s at 1000/s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("Feed returned %v, want context.Canceled", err)
	}
	for _, e := range s.snapshot() {
		if ts := time.Unix(0, e.TS); ts.Before(start.Add(-time.Second)) || ts.After(time.Now()) {
			t.Fatalf("fed entry at %s, not between the start %s and now", ts, start)
		}
	}
	if len(s.tags) != 3 {
		t.Fatalf("feed tags %v", s.tags)
	}
}

func TestIsDemoStore(t *testing.T) {
	dir := t.TempDir()
	if IsDemoStore(dir, nil) || IsDemoStore(dir, []string{"syslog", "mylogs"}) {
		t.Fatal("an empty store or one with other tags counts as demo")
	}
	if !IsDemoStore(dir, []string{"syslog", "weblog", "netflow"}) {
		t.Fatal("a store of the demo tags only does not count as demo")
	}
	if err := Mark(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, MarkerName)); err != nil || !IsDemoStore(dir, []string{"syslog", "mylogs"}) {
		t.Fatal("a marked store does not count as demo")
	}
}
