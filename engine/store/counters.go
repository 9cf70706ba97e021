package store

import (
	"sync"
	"time"
)

// IngestCounters are the store's ingest figures for igstStats (PROTOCOL.md §2.6). Counts are
// entries, sizes are bytes of entry Data. Tails are oldest first: the last element is the
// current (partial) second or hour.
type IngestCounters struct {
	TotalCount        uint64     // entries ingested since Open
	TotalSize         uint64     // bytes ingested since Open
	EntriesPerSecond  float64    // average over the last 10 seconds (including the current one)
	BytesPerSecond    float64    // average over the last 10 seconds (including the current one)
	LastDayCount      uint64     // entries in the last 24 hours (the hour tail's sum)
	LastDaySize       uint64     // bytes in the last 24 hours
	EntriesMinuteTail [60]uint64 // entries per second over the last 60 seconds
	BytesMinuteTail   [60]uint64 // bytes per second over the last 60 seconds
	EntriesHourTail   [24]uint64 // entries per hour over the last 24 hours
	BytesHourTail     [24]uint64 // bytes per hour over the last 24 hours
}

// rateWindow is the number of seconds EntriesPerSecond and BytesPerSecond average over.
const rateWindow = 10

// rateBucket counts one second or one hour; stamp is its Unix second or hour.
type rateBucket struct {
	stamp   int64
	entries uint64
	bytes   uint64
}

// rateRing keeps totals and rings of per-second and per-hour buckets.
type rateRing struct {
	mu         sync.Mutex
	total      uint64
	totalBytes uint64
	secs       [60]rateBucket
	hours      [24]rateBucket
}

func (r *rateRing) init() {
	for i := range r.secs {
		r.secs[i].stamp = -1
	}
	for i := range r.hours {
		r.hours[i].stamp = -1
	}
}

func (r *rateRing) add(now time.Time, entries, bytes uint64) {
	sec := now.Unix()
	hour := sec / 3600
	r.mu.Lock()
	r.total += entries
	r.totalBytes += bytes
	r.secs[sec%60].add(sec, entries, bytes)
	r.hours[hour%24].add(hour, entries, bytes)
	r.mu.Unlock()
}

// add counts into b for stamp, restarting a bucket that holds an older stamp. If the clock
// stepped back and b holds a newer stamp, only the totals count.
func (b *rateBucket) add(stamp int64, entries, bytes uint64) {
	if b.stamp > stamp {
		return
	}
	if b.stamp < stamp {
		*b = rateBucket{stamp: stamp}
	}
	b.entries += entries
	b.bytes += bytes
}

func (r *rateRing) snapshot(now time.Time) IngestCounters {
	sec := now.Unix()
	hour := sec / 3600
	var c IngestCounters
	r.mu.Lock()
	defer r.mu.Unlock()
	c.TotalCount, c.TotalSize = r.total, r.totalBytes
	for i := range 60 {
		want := sec - 59 + int64(i)
		if b := &r.secs[want%60]; want >= 0 && b.stamp == want {
			c.EntriesMinuteTail[i], c.BytesMinuteTail[i] = b.entries, b.bytes
		}
	}
	for i := range 24 {
		want := hour - 23 + int64(i)
		if b := &r.hours[want%24]; want >= 0 && b.stamp == want {
			c.EntriesHourTail[i], c.BytesHourTail[i] = b.entries, b.bytes
			c.LastDayCount += b.entries
			c.LastDaySize += b.bytes
		}
	}
	var n, nb uint64
	for i := 60 - rateWindow; i < 60; i++ {
		n += c.EntriesMinuteTail[i]
		nb += c.BytesMinuteTail[i]
	}
	c.EntriesPerSecond = float64(n) / rateWindow
	c.BytesPerSecond = float64(nb) / rateWindow
	return c
}

// IngestCounters returns ingest totals since Open and the per-second and per-hour tails.
func (s *Store) IngestCounters() IngestCounters { return s.counters.snapshot(s.now()) }
