package netpoll

import (
	"context"
	"net"
	"sync/atomic"
	"time"
)

// stdReadBuffer is the read buffer of a portable-mode connection.
const stdReadBuffer = 4 << 10

// stdConn is a connection in portable mode: one goroutine reads with blocking reads; a
// second one runs only while bytes are queued and writes them with blocking writes.
type stdConn struct {
	outq
	p   *Poller
	nc  net.Conn
	h   Handler
	pre []byte

	writing  bool  // under mu: the writer goroutine runs
	dead     bool  // under mu
	abortErr error // under mu
	aborted  atomic.Bool
}

func newStdConn(p *Poller, nc net.Conn, h Handler, pre []byte) *stdConn {
	c := &stdConn{p: p, nc: nc, h: h, pre: pre}
	c.active.Store(Now())
	return c
}

func (c *stdConn) start() { go c.readLoop() }

func (c *stdConn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }
func (c *stdConn) Polled() bool         { return false }
func (c *stdConn) Buffered() int        { return int(c.queued.Load()) }
func (c *stdConn) LastActive() int64    { return c.active.Load() }

func (c *stdConn) WaitBuffered(ctx context.Context, n int) error { return c.waitBuffered(ctx, n) }

func (c *stdConn) readLoop() {
	if c.pre != nil {
		pre := c.pre
		c.pre = nil
		c.h.OnRead(c, pre)
	}
	buf := make([]byte, stdReadBuffer)
	var err error
	for !c.aborted.Load() {
		var n int
		n, err = c.nc.Read(buf)
		if n > 0 {
			c.h.OnRead(c, buf[:n])
		}
		if err != nil {
			break
		}
	}
	c.mu.Lock()
	if c.abortErr != nil {
		err = c.abortErr
	}
	c.dead = true
	c.wclosed = true
	if !c.writing {
		c.dropLocked(false)
	}
	c.mu.Unlock()
	c.nc.Close()
	c.p.removeStd(c)
	c.h.OnClose(c, err)
	c.p.live.Done()
}

func (c *stdConn) Write(p []byte, owner Releaser) error {
	c.mu.Lock()
	if err := c.refuseLocked(len(p), c.p.cfg.MaxBacklogBytes); err != nil {
		c.mu.Unlock()
		release(owner)
		return err
	}
	c.queueLocked(p, owner)
	c.mu.Unlock()
	return nil
}

func (c *stdConn) queueLocked(p []byte, owner Releaser) {
	if len(p) == 0 {
		release(owner)
		return
	}
	c.appendLocked(p, owner)
	if !c.writing {
		c.writing = true
		go c.writeLoop()
	}
}

// writeLoop writes the queue until it is empty, then shuts the write half down if asked.
func (c *stdConn) writeLoop() {
	var bufs net.Buffers
	for {
		c.mu.Lock()
		if c.dead || c.aborted.Load() || len(c.chunks) == 0 {
			if c.dead || c.aborted.Load() {
				c.dropLocked(false)
			} else if c.shutPending && !c.shutDone {
				c.shutDone = true
				closeWrite(c.nc)
			}
			c.writing = false
			c.mu.Unlock()
			return
		}
		bufs = bufs[:0]
		n := len(c.chunks)
		for i := 0; i < n; i++ {
			bufs = append(bufs, c.chunks[i].b)
		}
		c.mu.Unlock()
		// The batch stays in the queue while it is written; Shutdown and Abort do not drop
		// chunks while writing is set, and this loop drops them on its way out.
		w, err := bufs.WriteTo(c.nc)
		c.mu.Lock()
		c.advanceLocked(int(w))
		c.mu.Unlock()
		if err != nil {
			c.Abort(err)
		}
	}
}

func closeWrite(nc net.Conn) {
	if cw, ok := nc.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
		return
	}
	// No half-close (a pipe, a wrapped conn): end reading soon so the reader closes the
	// connection once the peer has had a moment to read.
	nc.SetReadDeadline(time.Now().Add(time.Second))
}

func (c *stdConn) Shutdown(final []byte, owner Releaser, discard bool) {
	c.mu.Lock()
	if c.wclosed {
		c.mu.Unlock()
		release(owner)
		return
	}
	if discard && !c.writing {
		c.dropLocked(true)
	}
	c.wclosed = true
	c.wakeLocked()
	c.shutPending = true
	if len(final) > 0 {
		c.queueLocked(final, owner)
	} else {
		release(owner)
		if !c.writing {
			c.shutDone = true
			closeWrite(c.nc)
		}
	}
	c.mu.Unlock()
}

func (c *stdConn) Abort(err error) {
	c.mu.Lock()
	if c.dead || c.aborted.Load() {
		c.mu.Unlock()
		return
	}
	c.abortErr = err
	c.wclosed = true
	if !c.writing {
		c.dropLocked(false)
	}
	c.aborted.Store(true)
	c.mu.Unlock()
	c.nc.Close() // unblocks the reader (and a blocked writer)
}
