package engine_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/wire"
)

// TestRESTDownloadLargerThanMemoryBudget downloads a result several times larger than the
// process's memory budget and checks that the heap stays flat meanwhile: downloads read the
// disk-backed render store a chunk at a time.
func TestRESTDownloadLargerThanMemoryBudget(t *testing.T) {
	const budget = 8 << 20
	ts := startServer(t, func(c *engine.Config) {
		c.Search.MemoryBudget = budget
		c.REST.WriteTimeout = time.Second
	})
	const n = 60_000
	id, err := ts.eng.TagID("big")
	if err != nil {
		t.Fatal(err)
	}
	pad := strings.Repeat("x", 400)
	for b := 0; b < n; b += 10_000 { // about 33 MB of json, 4× the budget
		batch := make([]wire.Entry, 10_000)
		for k := range batch {
			i := b + k
			batch[k] = wire.Entry{TS: base.Add(time.Duration(i) * time.Millisecond).UnixNano(), Tag: id,
				Data: []byte(fmt.Sprintf(`{"i":%d,"pad":"%s"}`, i, pad))}
		}
		if err := ts.eng.Ingest(batch); err != nil {
			t.Fatal(err)
		}
	}
	c := gravwell(t, ts, "unused")
	sid := restLaunch(t, ts, "tag=big", base, base.Add(time.Hour))
	si := waitFinished(t, c, sid)
	if si.ItemCount != n || si.StoreSize < 3*budget {
		t.Fatalf("result of %d items, %d bytes: want %d items, more than 3× the %d-byte budget", si.ItemCount, si.StoreSize, n, budget)
	}
	for _, format := range []string{"json", "csv"} {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		baseline := ms.HeapInuse
		var peak atomic.Uint64
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			var m runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
			}
		}()
		resp, err := http.Get(ts.srv.URL + "/api/searchctrl/" + sid + "/download/" + format)
		if err != nil {
			t.Fatal(err)
		}
		var lines lineCounter
		got, err := io.Copy(&lines, resp.Body)
		resp.Body.Close()
		close(stop)
		<-done
		if err != nil || resp.StatusCode != 200 || got < 2*budget || int(lines) < n {
			t.Fatalf("%s download: %d bytes, %d lines, %v", format, got, lines, err)
		}
		growth := int64(peak.Load()) - int64(baseline)
		t.Logf("%s: %d MB downloaded, heap in use grew by at most %.1f MB (memory budget %d MB)", format, got>>20, float64(growth)/(1<<20), budget>>20)
		if growth > 8<<20 {
			t.Fatalf("%s download of %d MB grew the heap by %.1f MB: not flat", format, got>>20, float64(growth)/(1<<20))
		}
		if format == "json" {
			// A client that stops reading for longer than REST.WriteTimeout is let go.
			if short := stalledDownload(t, ts.srv.URL+"/api/searchctrl/"+sid+"/download/json", 4*time.Second); short >= got {
				t.Fatalf("a stalled client still got the whole download (%d of %d bytes)", short, got)
			}
		}
	}
}

// stalledDownload starts a download, reads nothing for stall, then everything: the server
// gives up on a client that accepts no chunk within REST.WriteTimeout, so the body is short.
func stalledDownload(t *testing.T, url string, stall time.Duration) int64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	time.Sleep(stall)
	n, _ := io.Copy(io.Discard, resp.Body)
	return n
}

// lineCounter counts the newlines written to it.
type lineCounter int

func (c *lineCounter) Write(b []byte) (int, error) {
	*c += lineCounter(bytes.Count(b, []byte{'\n'}))
	return len(b), nil
}
