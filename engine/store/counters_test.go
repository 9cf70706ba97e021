package store

import (
	"testing"
	"time"
)

func TestRateRing(t *testing.T) {
	var r rateRing
	r.init()
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	r.add(t0, 10, 1000)
	r.add(t0.Add(500*time.Millisecond), 5, 500)
	r.add(t0.Add(time.Second), 20, 2000)
	r.add(t0.Add(-time.Hour), 7, 70) // same second bucket as t0: must not clobber it
	c := r.snapshot(t0.Add(time.Second))
	if c.TotalCount != 42 || c.TotalSize != 3570 {
		t.Fatalf("totals %d %d", c.TotalCount, c.TotalSize)
	}
	if c.EntriesMinuteTail[59] != 20 || c.EntriesMinuteTail[58] != 15 || c.BytesMinuteTail[58] != 1500 {
		t.Fatalf("minute tail %v", c.EntriesMinuteTail[55:])
	}
	if c.EntriesHourTail[23] != 35 || c.EntriesHourTail[22] != 7 || c.LastDayCount != 42 || c.LastDaySize != 3570 {
		t.Fatalf("hour tail %v, last day %d", c.EntriesHourTail[20:], c.LastDayCount)
	}
	if c.EntriesPerSecond != 3.5 || c.BytesPerSecond != 350 {
		t.Fatalf("rates %v %v", c.EntriesPerSecond, c.BytesPerSecond)
	}
	// a minute later the second buckets are stale; 25 hours later the hour buckets too
	c = r.snapshot(t0.Add(61 * time.Second))
	for _, v := range c.EntriesMinuteTail {
		if v != 0 {
			t.Fatalf("stale second bucket: %v", c.EntriesMinuteTail)
		}
	}
	if c.EntriesPerSecond != 0 || c.LastDayCount != 42 {
		t.Fatalf("after a minute: rate %v, day %d", c.EntriesPerSecond, c.LastDayCount)
	}
	c = r.snapshot(t0.Add(25 * time.Hour))
	if c.LastDayCount != 0 || c.TotalCount != 42 {
		t.Fatalf("after a day: day %d total %d", c.LastDayCount, c.TotalCount)
	}
	// a bucket reused for a later second starts from zero
	r.add(t0.Add(60*time.Second), 1, 1)
	c = r.snapshot(t0.Add(60 * time.Second))
	if c.EntriesMinuteTail[59] != 1 {
		t.Fatalf("reused bucket %d", c.EntriesMinuteTail[59])
	}
}

func TestIngestCounters(t *testing.T) {
	s := openT(t, Config{Dir: t.TempDir()})
	id := tagIDs(t, s, "a")[0]
	if err := s.Ingest(newLineGen(1).entries(100, 1e18, 1, []uint16{id})); err != nil {
		t.Fatal(err)
	}
	c := s.IngestCounters()
	if c.TotalCount != 100 || c.TotalSize != 20000 || c.LastDayCount != 100 || c.EntriesPerSecond != 10 {
		t.Fatalf("counters %+v", c)
	}
	var sum uint64
	for _, v := range c.EntriesMinuteTail[58:] { // the ingest may straddle a second
		sum += v
	}
	if sum != 100 {
		t.Fatalf("minute tail %v", c.EntriesMinuteTail[58:])
	}
}
