package main

import (
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// progress counts what an ingest run has stored and draws a one-line progress bar.
// add may be called from any goroutine.
type progress struct {
	total   int64 // input bytes in all; -1 when unknown
	start   time.Time
	entries atomic.Int64 // entries stored
	data    atomic.Int64 // entry bytes stored
	input   atomic.Int64 // input bytes behind the stored entries
}

func newProgress(total int64, start time.Time) *progress {
	return &progress{total: total, start: start}
}

// add records a stored batch.
func (p *progress) add(entries, data, input int64) {
	p.entries.Add(entries)
	p.data.Add(data)
	p.input.Add(input)
}

// draw redraws the bar on w (a terminal) every interval until stop is called; stop clears the
// line so what is printed next starts clean.
func (p *progress) draw(w io.Writer, every time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		var buf []byte
		for {
			select {
			case <-done:
				_, _ = io.WriteString(w, "\r\x1b[K")
				return
			case now := <-t.C:
				buf = append(buf[:0], '\r')
				buf = p.appendLine(buf, now)
				buf = append(buf, "\x1b[K"...)
				_, _ = w.Write(buf)
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

const barWidth = 24

// appendLine appends the bar as of now:
//
//	38% [========>               ] 45.2 MB / 120.0 MB  512,340 entries  18.3 MB/s  ETA 4s
//
// or, when the total is unknown, "45.2 MB  512,340 entries  18.3 MB/s".
func (p *progress) appendLine(dst []byte, now time.Time) []byte {
	done := p.input.Load()
	elapsed := now.Sub(p.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(done) / elapsed
	}
	if p.total >= 0 {
		frac := 1.0
		if p.total > 0 {
			frac = min(float64(done)/float64(p.total), 1)
		}
		pct := strconv.Itoa(int(frac * 100))
		for range 3 - len(pct) {
			dst = append(dst, ' ')
		}
		dst = append(dst, pct...)
		dst = append(dst, "% ["...)
		fill := int(frac * barWidth)
		for i := range barWidth {
			switch {
			case i < fill:
				dst = append(dst, '=')
			case i == fill:
				dst = append(dst, '>')
			default:
				dst = append(dst, ' ')
			}
		}
		dst = append(dst, "] "...)
		dst = append(dst, fmtSize(done)...)
		dst = append(dst, " / "...)
		dst = append(dst, fmtSize(p.total)...)
	} else {
		dst = append(dst, fmtSize(done)...)
	}
	dst = append(dst, "  "...)
	dst = appendThousands(dst, p.entries.Load())
	dst = append(dst, " entries  "...)
	dst = append(dst, fmtSize(int64(rate))...)
	dst = append(dst, "/s"...)
	if p.total >= 0 && rate > 0 && done < p.total {
		dst = append(dst, "  ETA "...)
		dst = append(dst, fmtETA(time.Duration(float64(p.total-done)/rate*float64(time.Second)))...)
	}
	return dst
}

// fmtSize formats a byte count with a decimal unit: "512 B", "12.3 kB", "45.2 MB", "1.20 GB".
func fmtSize(n int64) string {
	f := float64(n)
	switch {
	case n < 1000:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1e6:
		return strconv.FormatFloat(f/1e3, 'f', 1, 64) + " kB"
	case n < 1e9:
		return strconv.FormatFloat(f/1e6, 'f', 1, 64) + " MB"
	}
	return strconv.FormatFloat(f/1e9, 'f', 2, 64) + " GB"
}

// fmtSeconds formats d as seconds with two decimals: "4.21s".
func fmtSeconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + "s"
}

// fmtETA formats a remaining time coarsely: "4s", "2m05s", "1h02m".
func fmtETA(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	two := func(v int64) string {
		if v < 10 {
			return "0" + strconv.FormatInt(v, 10)
		}
		return strconv.FormatInt(v, 10)
	}
	switch {
	case s < 60:
		return strconv.FormatInt(s, 10) + "s"
	case s < 3600:
		return strconv.FormatInt(s/60, 10) + "m" + two(s%60) + "s"
	}
	return strconv.FormatInt(s/3600, 10) + "h" + two(s%3600/60) + "m"
}

// appendThousands appends n with comma thousands separators.
func appendThousands(dst []byte, n int64) []byte {
	s := strconv.FormatInt(n, 10)
	neg := s[0] == '-'
	if neg {
		dst = append(dst, '-')
		s = s[1:]
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, s[i])
	}
	return dst
}
