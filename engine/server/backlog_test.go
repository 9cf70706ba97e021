package server

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/sluicehq/sluice/wire"
)

func bigMessage(channel string, n int) *wire.Buffer {
	b := wire.GetBuffer()
	b.B = wire.BeginMessage(b.B[:0], channel)
	b.B = append(b.B, '"')
	b.B = append(b.B, strings.Repeat("x", n)...)
	b.B = append(b.B, '"')
	b.B = wire.EndMessage(b.B)
	return b
}

// A client that never reads is cut off with 1008 once its backlog passes MaxBacklogBytes,
// while another client keeps receiving.
func TestSlowReaderClosedWithBacklogCode(t *testing.T) {
	for _, portable := range []bool{false, true} {
		e := newEnv(t, Config{MaxBacklogBytes: 256 << 10, CloseTimeout: 10 * time.Second, Portable: portable})
		slow := e.rawDialWith(t, smallRcvBuf, nil, nil)
		slow.write(text(`{"Subs":["x"]}`))
		if got := slow.readText(); got != `{"Resp":"ACK"}` {
			t.Fatalf("reply %q", got)
		}
		slowSess := e.svc.waitOpen(t)
		fast := e.dial(t, nil, nil)
		negotiate(t, fast, "x")
		fastSess := e.svc.waitOpen(t)

		sent := 0
		var err error
		for i := 0; i < 10000; i++ {
			if err = slowSess.Send(bigMessage("x", 64<<10)); err != nil {
				break
			}
			sent++
			if i%16 == 0 {
				// The other client is unaffected.
				if err := fastSess.Send(bigMessage("x", 10)); err != nil {
					t.Fatal(err)
				}
				if got := readMsg(t, fast); got != `{"type":"x","data":"xxxxxxxxxx"}` {
					t.Fatalf("fast client got %q", got)
				}
			}
		}
		if err != ErrBacklogFull {
			t.Fatalf("Send never failed with ErrBacklogFull: %v after %d", err, sent)
		}
		if err := slowSess.Send(bigMessage("x", 1)); err != ErrClosed {
			t.Fatalf("Send after the cut = %v", err)
		}
		// The slow client finally reads: whole frames, then the 1008 close frame.
		var code ws.StatusCode
		for i := 0; i <= sent+1; i++ {
			f := slow.read()
			if f.Header.OpCode == ws.OpClose {
				code = ws.StatusCode(binary.BigEndian.Uint16(f.Payload))
				break
			}
			if len(f.Payload) != 64<<10+len(`{"type":"x","data":""}`) {
				t.Fatalf("frame %d has %d bytes", i, len(f.Payload))
			}
		}
		if code != ws.StatusPolicyViolation {
			t.Fatalf("close code %d, want 1008", code)
		}
		if st := e.srv.Stats(); st.BacklogCloses != 1 {
			t.Fatalf("BacklogCloses %d", st.BacklogCloses)
		}
		if !strings.Contains(e.logs.String(), "MaxBacklogBytes") {
			t.Fatalf("log lacks MaxBacklogBytes: %s", e.logs.String())
		}
		negotiateStillWorks(t, e)
	}
}

func negotiateStillWorks(t *testing.T, e *testEnv) {
	t.Helper()
	c := e.dial(t, nil, nil)
	negotiate(t, c, "PONG")
	writeMsg(t, c, `{"type":"PONG","data":{}}`)
	readMsg(t, c)
}

// WaitWritable paces a streaming producer to a slow reader without ever passing the limit.
func TestWaitWritableFlowControl(t *testing.T) {
	e := newEnv(t, Config{MaxBacklogBytes: 128 << 10})
	r := e.rawDialWith(t, smallRcvBuf, nil, nil)
	r.write(text(`{"Subs":["x"]}`))
	r.readText()
	sess := e.svc.waitOpen(t)
	const n = 200
	errc := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for i := 0; i < n; i++ {
			if err := sess.WaitWritable(ctx, 64<<10); err != nil {
				errc <- err
				return
			}
			if err := sess.Send(bigMessage("x", 16<<10)); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for i := 0; i < n; i++ {
		if f := r.read(); f.Header.OpCode != ws.OpText {
			t.Fatalf("frame %d: %+v", i, f.Header)
		}
		if i%20 == 0 {
			time.Sleep(5 * time.Millisecond) // be slow now and then
		}
	}
	if err := <-errc; err != nil {
		t.Fatalf("producer: %v", err)
	}
}

// A reader that stops for WriteStallTimeout is cut off; WaitWritable says why.
func TestWriteStall(t *testing.T) {
	e := newEnv(t, Config{WriteStallTimeout: 300 * time.Millisecond, MaxBacklogBytes: 64 << 20})
	r := e.rawDialWith(t, smallRcvBuf, nil, nil)
	r.write(text(`{"Subs":["x"]}`))
	r.readText()
	sess := e.svc.waitOpen(t)
	for i := 0; i < 100 && sess.Buffered() == 0; i++ {
		sess.Send(bigMessage("x", 64<<10))
	}
	if sess.Buffered() == 0 {
		t.Fatal("nothing queued")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := sess.WaitWritable(ctx, 0); err != ErrWriteStalled {
		t.Fatalf("WaitWritable = %v, want ErrWriteStalled", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("cut off after %v", d)
	}
	waitFor(t, func() bool { return e.svc.closedCount() == 1 })
}
