package netpoll

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	before := runtime.NumGoroutine()
	code := m.Run()
	if code == 0 {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<20)
			os.Stderr.Write(buf[:runtime.Stack(buf, true)])
			os.Stderr.WriteString("netpoll: goroutines leaked\n")
			code = 1
		}
	}
	os.Exit(code)
}

// echo is a Handler that writes back what it reads and records the close.
type echo struct {
	mu      sync.Mutex
	got     bytes.Buffer
	closes  atomic.Int32
	closed  chan error
	noWrite bool
}

func newEcho() *echo { return &echo{closed: make(chan error, 1)} }

type rel struct{ n *atomic.Int32 }

func (r rel) Release() { r.n.Add(1) }

func (e *echo) OnOpen(c Conn) {}

func (e *echo) OnRead(c Conn, p []byte) {
	e.mu.Lock()
	e.got.Write(p)
	e.mu.Unlock()
	if !e.noWrite {
		if err := c.Write(bytes.Clone(p), nil); err != nil {
			panic(err)
		}
	}
}

func (e *echo) OnClose(c Conn, err error) {
	if e.closes.Add(1) != 1 {
		panic("OnClose twice")
	}
	e.closed <- err
}

// pair returns a poller-owned server side and the client side of a loopback TCP connection.
func pair(t *testing.T, p *Poller, h Handler, pre []byte) (Conn, net.Conn) {
	t.Helper()
	return pairDial(t, p, h, pre, &net.Dialer{})
}

// smallRcvBuf dials with a small receive buffer, set before connecting (setting it later
// makes Linux stall on a window it cannot shrink).
var smallRcvBuf = &net.Dialer{Control: func(network, address string, c syscall.RawConn) error {
	return c.Control(setSmallRcvBuf)
}}

func pairDial(t *testing.T, p *Poller, h Handler, pre []byte, d *net.Dialer) (Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cli, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.Add(srv, h, pre)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return c, cli
}

func modes(t *testing.T, f func(t *testing.T, portable bool)) {
	for _, portable := range []bool{false, true} {
		name := "epoll"
		if portable {
			name = "portable"
		}
		t.Run(name, func(t *testing.T) { f(t, portable) })
	}
}

func newPoller(t *testing.T, cfg Config) *Poller {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(5 * time.Second); err != nil {
			t.Error(err)
		}
	})
	return p
}

func readN(t *testing.T, c net.Conn, n int) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, n)
	if got, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("read %d bytes: %v (got %d)", n, err, got)
	}
	return b
}

func TestEchoAndPre(t *testing.T) {
	modes(t, func(t *testing.T, portable bool) {
		p := newPoller(t, Config{Portable: portable, Workers: 2})
		e := newEcho()
		c, cli := pair(t, p, e, []byte("pre:"))
		if c.Polled() == portable && runtime.GOOS == "linux" {
			t.Fatalf("Polled() = %v in portable=%v", c.Polled(), portable)
		}
		if _, err := cli.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
		if got := readN(t, cli, 9); string(got) != "pre:hello" {
			t.Fatalf("echo = %q", got)
		}
		cli.Close()
		select {
		case err := <-e.closed:
			if !errors.Is(err, io.EOF) && portable == false {
				t.Fatalf("OnClose err = %v, want EOF", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no OnClose")
		}
		if err := c.Write([]byte("x"), nil); !errors.Is(err, ErrClosed) {
			t.Fatalf("Write after close = %v", err)
		}
	})
}

func TestBacklogFlushAndLimit(t *testing.T) {
	modes(t, func(t *testing.T, portable bool) {
		p := newPoller(t, Config{Portable: portable, MaxBacklogBytes: 1 << 20})
		e := newEcho()
		e.noWrite = true
		c, cli := pairDial(t, p, e, nil, smallRcvBuf)
		var released atomic.Int32
		chunk := bytes.Repeat([]byte("abcdefgh"), 8192) // 64 KiB
		sent := 0
		var err error
		for i := 0; i < 1000; i++ {
			if err = c.Write(chunk, rel{&released}); err != nil {
				break
			}
			sent++
		}
		if !errors.Is(err, ErrBacklogFull) {
			t.Fatalf("Write never hit the backlog limit: %v after %d", err, sent)
		}
		if c.Buffered() == 0 || c.Buffered() > 1<<20+len(chunk) {
			t.Fatalf("Buffered = %d", c.Buffered())
		}
		// Drain on the client: everything sent arrives in order, and the queue empties.
		done := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			done <- c.WaitBuffered(ctx, 0)
		}()
		got := readN(t, cli, sent*len(chunk))
		for i := 0; i < sent; i++ {
			if !bytes.Equal(got[i*len(chunk):(i+1)*len(chunk)], chunk) {
				t.Fatalf("chunk %d corrupted", i)
			}
		}
		if err := <-done; err != nil {
			t.Fatalf("WaitBuffered: %v", err)
		}
		if int(released.Load()) != sent+1 {
			t.Fatalf("released %d owners, want %d", released.Load(), sent+1)
		}
	})
}

func TestShutdownDeliversFinal(t *testing.T) {
	modes(t, func(t *testing.T, portable bool) {
		p := newPoller(t, Config{Portable: portable})
		e := newEcho()
		e.noWrite = true
		c, cli := pair(t, p, e, nil)
		var released atomic.Int32
		c.Write([]byte("data,"), rel{&released})
		c.Shutdown([]byte("bye"), rel{&released}, false)
		if err := c.Write([]byte("late"), rel{&released}); !errors.Is(err, ErrClosed) {
			t.Fatalf("Write after Shutdown = %v", err)
		}
		cli.SetReadDeadline(time.Now().Add(5 * time.Second))
		all, err := io.ReadAll(cli)
		if err != nil || string(all) != "data,bye" {
			t.Fatalf("read %q, %v", all, err)
		}
		cli.Close()
		select {
		case <-e.closed:
		case <-time.After(5 * time.Second):
			t.Fatal("no OnClose")
		}
		if released.Load() != 3 {
			t.Fatalf("released %d, want 3", released.Load())
		}
	})
}

func TestAbortCallsOnCloseOnce(t *testing.T) {
	modes(t, func(t *testing.T, portable bool) {
		p := newPoller(t, Config{Portable: portable})
		e := newEcho()
		c, cli := pair(t, p, e, nil)
		cause := errors.New("test cause")
		for i := 0; i < 3; i++ {
			go c.Abort(cause)
		}
		select {
		case err := <-e.closed:
			if err != cause {
				t.Fatalf("OnClose err = %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no OnClose")
		}
		cli.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := cli.Read(make([]byte, 1)); err == nil {
			t.Fatal("peer still open after Abort")
		}
	})
}

func TestManyConnsAndPollerClose(t *testing.T) {
	p, err := New(Config{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	var hs []*echo
	var clis []net.Conn
	for i := 0; i < n; i++ {
		e := newEcho()
		_, cli := pair(t, p, e, nil)
		hs = append(hs, e)
		clis = append(clis, cli)
	}
	for i, cli := range clis {
		cli.Write([]byte{byte(i)})
	}
	for i, cli := range clis {
		if b := readN(t, cli, 1); b[0] != byte(i) {
			t.Fatalf("conn %d echoed %d", i, b[0])
		}
	}
	if err := p.Close(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	for i, e := range hs {
		if e.closes.Load() != 1 {
			t.Fatalf("conn %d: %d OnClose calls", i, e.closes.Load())
		}
	}
	if _, err := p.Add(nil, nil, nil); !errors.Is(err, ErrPollerClosed) {
		t.Fatalf("Add after Close = %v", err)
	}
}

// TestCloseRightAfterData is the old Go client's pattern: last message, then close at once.
// The FIN shares the data's edge, so a worker that stopped at a short read would never see
// the end of the connection (found by engine's TestLifecycleAbruptCloseDetaches).
func TestCloseRightAfterData(t *testing.T) {
	modes(t, func(t *testing.T, portable bool) {
		p := newPoller(t, Config{Portable: portable, Workers: 2})
		for i := 0; i < 50; i++ {
			e := newEcho()
			e.noWrite = true
			_, cli := pair(t, p, e, nil)
			cli.Write([]byte("last message"))
			cli.Close()
			select {
			case <-e.closed:
			case <-time.After(3 * time.Second):
				t.Fatalf("round %d: no OnClose after data then FIN", i)
			}
		}
	})
}
