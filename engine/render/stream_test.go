package render

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// collect runs Stream and returns every block, decoded.
func collect(t *testing.T, ctx context.Context, r *Result, onBlock func(int, reply)) ([]reply, error) {
	t.Helper()
	var out []reply
	buf := make([]byte, 0, 1<<16)
	err := r.Stream(ctx, func(data func([]byte) []byte) error {
		buf = data(buf[:0])
		if !json.Valid(buf) {
			return fmt.Errorf("invalid block: %s", buf)
		}
		var rep reply
		if err := json.Unmarshal(buf, &rep); err != nil {
			return err
		}
		out = append(out, rep)
		if onBlock != nil {
			onBlock(len(out)-1, rep)
		}
		return nil
	})
	return out, err
}

func checkStream(t *testing.T, blocks []reply, in []wire.Entry, block int) {
	t.Helper()
	var n int
	for i, b := range blocks {
		last := i == len(blocks)-1
		if b.ID != wire.ReqStreaming || b.Finished != last || b.AdditionalEntries || b.EntryRange == nil ||
			b.EntryRange.First != uint64(n) || b.EntryRange.StartTS.UnixNano() != tStart || b.EntryRange.EndTS.UnixNano() != tEnd {
			t.Fatalf("block %d: %+v %+v", i, b, b.EntryRange)
		}
		es := entriesOf(t, b)
		if b.EntryCount != uint64(len(es)) || b.EntryRange.Last != uint64(n+len(es)) || len(es) > block || (last && len(es) != 0) ||
			(!last && len(es) == 0) || len(b.Tags) != 2 {
			t.Fatalf("block %d: EntryCount %d, %d entries, range %+v", i, b.EntryCount, len(es), b.EntryRange)
		}
		for j, e := range es {
			if !bytes.Equal(e.Data, in[n+j].Data) {
				t.Fatalf("block %d entry %d: %s, want %s", i, j, e.Data, in[n+j].Data)
			}
		}
		n += len(es)
	}
	if n != len(in) {
		t.Fatalf("streamed %d entries, want %d", n, len(in))
	}
}

func TestStreamFinished(t *testing.T) {
	in := genEntries(2861)
	r := newTestResult(t, Spec{})
	addAll(r, in, 333)
	r.Finish(nil)
	blocks, err := collect(t, context.Background(), r, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The docs' example: 1000, 1000, 861, then the empty terminator.
	if len(blocks) != 4 || blocks[2].EntryCount != 861 || blocks[3].EntryRange.First != 2861 {
		t.Fatalf("%d blocks", len(blocks))
	}
	checkStream(t, blocks, in, 1000)
	// An empty finished search streams only the terminator.
	e := newTestResult(t, Spec{StreamBlock: 7})
	e.Finish(nil)
	blocks, err = collect(t, context.Background(), e, nil)
	if err != nil || len(blocks) != 1 || !blocks[0].Finished || string(blocks[0].Entries) != "[]" {
		t.Fatalf("empty stream: %v %+v", err, blocks)
	}
}

func TestStreamWhileRunning(t *testing.T) {
	in := genEntries(1500)
	r := newTestResult(t, Spec{StreamBlock: 100})
	addAll(r, in[:250], 250)
	var mu sync.Mutex
	added := 250
	// Each block received lets the producer add more, so entries arrive while streaming and
	// the stream must wait for them.
	next := make(chan struct{}, 100)
	go func() {
		for range next {
			mu.Lock()
			if added < len(in) {
				k := min(added+77, len(in))
				r.Add(in[added:k])
				added = k
				if added == len(in) {
					r.Finish(nil)
				}
			}
			mu.Unlock()
		}
	}()
	blocks, err := collect(t, context.Background(), r, func(i int, b reply) {
		next <- struct{}{}
	})
	close(next)
	if err != nil {
		t.Fatal(err)
	}
	checkStream(t, blocks, in, 100)
}

func TestStreamWaitsWithoutPolling(t *testing.T) {
	in := genEntries(30)
	r := newTestResult(t, Spec{})
	done := make(chan []reply)
	go func() {
		blocks, _ := collect(t, context.Background(), r, nil)
		done <- blocks
	}()
	time.Sleep(20 * time.Millisecond)
	r.Add(in[:10])
	time.Sleep(20 * time.Millisecond)
	r.Add(in[10:])
	time.Sleep(20 * time.Millisecond)
	r.Finish(nil)
	select {
	case blocks := <-done:
		checkStream(t, blocks, in, 1000)
		if len(blocks) != 3 {
			t.Fatalf("%d blocks: entries were not sent as they arrived", len(blocks))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("stream did not end")
	}
}

func TestStreamStops(t *testing.T) {
	r := newTestResult(t, Spec{StreamBlock: 10})
	addAll(r, genEntries(100), 100)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	if _, err := collect(t, ctx, r, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled stream: %v", err)
	}
	stop := errors.New("client gone")
	n := 0
	err := r.Stream(context.Background(), func(data func([]byte) []byte) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || n != 3 {
		t.Fatalf("emit error: %v after %d", err, n)
	}
	go func() { time.Sleep(20 * time.Millisecond); r.Release() }()
	if _, err := collect(t, context.Background(), r, nil); !errors.Is(err, ErrReleased) {
		t.Fatalf("released: %v", err)
	}
}

func TestStreamCondensed(t *testing.T) {
	in := genEntries(25)
	r := newTestResult(t, Spec{Renderer: "table", Args: []string{"count"}, StreamBlock: 10})
	addAll(r, in, 5)
	done := make(chan []reply)
	go func() {
		blocks, _ := collect(t, context.Background(), r, nil)
		done <- blocks
	}()
	select {
	case <-done:
		t.Fatal("a condensing stream started before the search finished")
	case <-time.After(30 * time.Millisecond):
	}
	r.Finish(nil)
	blocks := <-done
	if len(blocks) != 4 {
		t.Fatalf("%d blocks", len(blocks))
	}
	n := 0
	for i, b := range blocks {
		te := tableOf(t, b)
		if fmt.Sprint(te.Columns) != "[count]" || b.EntryCount != uint64(len(te.Rows)) || b.EntryRange.First != uint64(n) || b.Finished != (i == 3) {
			t.Fatalf("table block %d: %+v", i, b)
		}
		for _, row := range te.Rows {
			if row.Row[0] != fmt.Sprint(n) {
				t.Fatalf("row %d: %v", n, row.Row)
			}
			n++
		}
	}
	g := newTestResult(t, Spec{Renderer: "gauge"})
	g.Add(in[:1])
	g.Finish(nil)
	blocks, _ = collect(t, context.Background(), g, nil)
	if len(blocks) != 2 || string(blocks[1].Entries) != "[]" || blocks[0].EntryCount != 2 {
		t.Fatalf("gauge stream: %+v", blocks)
	}
	c := newTestResult(t, Spec{Renderer: "chart", Args: []string{"count"}})
	c.Add(in)
	c.Finish(nil)
	blocks, _ = collect(t, context.Background(), c, nil)
	if len(blocks) != 2 || blocks[0].EntryCount != 25 || string(blocks[1].Entries) != `{"Names":["count"],"Categories":["count"],"Values":[]}` {
		t.Fatalf("chart stream: %d blocks, %s", len(blocks), blocks[len(blocks)-1].Entries)
	}
}

func TestStreamRequestEchoesAddendum(t *testing.T) {
	r := newTestResult(t, Spec{})
	r.Add(genEntries(3))
	r.Finish(nil)
	var p wire.RequestParser
	var req wire.Request
	_ = p.Parse([]byte(`{"ID":17,"Addendum":{"f":"s"}}`), &req)
	n := 0
	err := r.StreamRequest(context.Background(), &req, func(data func([]byte) []byte) error {
		_ = p.Parse([]byte(`{"ID":3}`), &req) // the request may be reused meanwhile
		out := data(nil)
		if !bytes.Contains(out, []byte(`"Addendum":{"f":"s"}`)) {
			return fmt.Errorf("no addendum: %s", out)
		}
		n++
		return nil
	})
	if err != nil || n != 2 {
		t.Fatal(err, n)
	}
}

// Many readers page, window, stream and poll while the pipeline adds entries.
func TestConcurrentReaders(t *testing.T) {
	in := genEntries(6000)
	r := newTestResult(t, Spec{StreamBlock: 250, WriteBuffer: 8 << 10})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var p wire.RequestParser
			var req wire.Request
			buf := make([]byte, 0, 1<<16)
			prev := uint64(0)
			for i := 0; ; i++ {
				reqs := []string{`{"ID":3}`, `{"ID":16,"EntryRange":{"First":%d,"Last":%d}}`, `{"ID":18,"EntryRange":{"First":0,"Last":%d,"StartTS":"` + rfc(tEnd-3000e9) + `"}}`,
					`{"ID":4}`, `{"ID":65537}`, `{"ID":5}`}
				q := reqs[(i+w)%len(reqs)]
				if bytes.Contains([]byte(q), []byte("%d")) {
					q = fmt.Sprintf(q, i%5000, i%5000+500)
					if bytes.Count([]byte(q), []byte("%!")) > 0 {
						q = fmt.Sprintf(`{"ID":16,"EntryRange":{"First":%d,"Last":%d}}`, i%5000, i%5000+500)
					}
				}
				_ = p.Parse([]byte(q), &req)
				buf = r.Handle(&req, buf[:0])
				var rep reply
				if err := json.Unmarshal(buf, &rep); err != nil || rep.ID == wire.RespError {
					t.Errorf("%s: %v %s", q, err, buf[:min(len(buf), 300)])
					return
				}
				if rep.EntryCount < prev {
					t.Errorf("EntryCount went back from %d to %d", prev, rep.EntryCount)
					return
				}
				prev = rep.EntryCount
				if rep.Finished {
					return
				}
			}
		}(w)
	}
	streamed := make(chan []reply, 1)
	go func() {
		blocks, err := collect(t, context.Background(), r, nil)
		if err != nil {
			t.Error(err)
		}
		streamed <- blocks
	}()
	addAll(r, in, 113)
	r.Finish(nil)
	wg.Wait()
	checkStream(t, <-streamed, in, 250)
}
