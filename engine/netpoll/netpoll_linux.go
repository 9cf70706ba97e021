//go:build linux

package netpoll

import (
	"context"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// NOTE: sockets are registered once, edge-triggered, for input and output
// (EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET), and never modified again: no epoll_ctl on the hot
// path. Exclusive ownership of a socket's read side is not taken from EPOLLONESHOT but from
// fdConn.sched, a three-state flag (idle, queued/running, running+rerun) that the epoll loop
// sets with a CAS; a worker that finds the flag changed when it finishes reads again, so no
// edge is lost. A worker stops after ReadsPerWakeup reads without draining the socket and
// queues it again behind the others (fairness). Output readiness is handled inline by the
// epoll goroutine: flushing a queue is one non-blocking writev. Compared with EPOLLONESHOT
// (which needs an EPOLL_CTL_MOD after every wakeup and a second registration or a careful
// re-arm protocol for EPOLLOUT raised by other goroutines) this costs one atomic per event.
const epollFlags = unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET

// maxIovecs bounds the chunks flushed by one writev.
const maxIovecs = 64

type epollLoop struct {
	p      *Poller
	epfd   int
	wakefd int

	mu    sync.RWMutex
	table []*fdConn // by fd
	gen   atomic.Uint32

	rq      runq[*fdConn]
	wg      sync.WaitGroup
	closing atomic.Bool
}

func newEventLoop(p *Poller) (eventLoop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, &net.OpError{Op: "epoll_create", Err: err}
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, &net.OpError{Op: "eventfd", Err: err}
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wakefd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wakefd, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(wakefd)
		return nil, &net.OpError{Op: "epoll_ctl", Err: err}
	}
	l := &epollLoop{p: p, epfd: epfd, wakefd: wakefd}
	l.rq.init()
	l.wg.Add(1 + p.cfg.Workers)
	go l.poll()
	for i := 0; i < p.cfg.Workers; i++ {
		go l.work()
	}
	return l, nil
}

func (l *epollLoop) add(nc net.Conn, h Handler, pre []byte) (Conn, bool, error) {
	var sc syscall.Conn
	switch x := nc.(type) {
	case *net.TCPConn:
		sc = x
	case *net.UnixConn:
		sc = x
	default:
		return nil, false, nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		nc.Close()
		return nil, true, err
	}
	fd := -1
	var derr error
	if err := raw.Control(func(s uintptr) {
		fd, derr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		derr = err
	}
	raddr := nc.RemoteAddr()
	nc.Close() // the duplicate keeps the socket open; Go's poller forgets the original
	if derr != nil {
		return nil, true, &net.OpError{Op: "dup", Net: raddr.Network(), Addr: raddr, Err: derr}
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, true, &net.OpError{Op: "set nonblock", Err: err}
	}
	c := &fdConn{l: l, fd: fd, h: h, pre: pre, gen: l.gen.Add(1)}
	if ta, ok := raddr.(*net.TCPAddr); ok {
		c.raddr = ta.AddrPort() // inline: the accepted conn's *TCPAddr is not kept alive
	} else {
		c.other = raddr
	}
	c.active.Store(Now())
	h.OnOpen(c)
	l.mu.Lock() // publishes c (and what OnOpen stored) to the epoll loop
	if fd >= len(l.table) {
		grown := make([]*fdConn, max(2*len(l.table), fd+1, 1024))
		copy(grown, l.table)
		l.table = grown
	}
	l.table[fd] = c
	l.mu.Unlock()
	ev := unix.EpollEvent{Events: epollFlags, Fd: int32(fd), Pad: int32(c.gen)}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		l.remove(c)
		unix.Close(fd)
		return nil, true, &net.OpError{Op: "epoll_ctl", Err: err}
	}
	if pre != nil {
		l.schedule(c)
	}
	return c, true, nil
}

func (l *epollLoop) remove(c *fdConn) {
	l.mu.Lock()
	if c.fd < len(l.table) && l.table[c.fd] == c {
		l.table[c.fd] = nil
	}
	l.mu.Unlock()
}

func (l *epollLoop) abortAll(err error) {
	l.mu.RLock()
	var all []*fdConn
	for _, c := range l.table {
		if c != nil {
			all = append(all, c)
		}
	}
	l.mu.RUnlock()
	for _, c := range all {
		c.Abort(err)
	}
}

func (l *epollLoop) close() {
	l.closing.Store(true)
	var one = [8]byte{1}
	unix.Write(l.wakefd, one[:])
	l.rq.close()
	l.wg.Wait()
	unix.Close(l.epfd)
	unix.Close(l.wakefd)
}

// poll is the epoll loop: it flushes writable sockets inline and queues readable ones.
func (l *epollLoop) poll() {
	defer l.wg.Done()
	events := make([]unix.EpollEvent, 512)
	for {
		n, err := unix.EpollWait(l.epfd, events, -1)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			l.p.cfg.Logger.Error("netpoll: epoll_wait failed; the poller stops", "err", err)
			return
		}
		l.mu.RLock()
		for i := 0; i < n; i++ {
			ev := &events[i]
			fd := int(ev.Fd)
			if fd == l.wakefd {
				if l.closing.Load() {
					l.mu.RUnlock()
					return
				}
				var b [8]byte
				unix.Read(l.wakefd, b[:])
				continue
			}
			if fd < 0 || fd >= len(l.table) {
				continue
			}
			c := l.table[fd]
			if c == nil || int32(c.gen) != ev.Pad {
				continue // stale event for a closed descriptor
			}
			if ev.Events&(unix.EPOLLOUT|unix.EPOLLERR|unix.EPOLLHUP) != 0 {
				// NOTE: no lock-free "queue empty" shortcut here: a writer that just got
				// EAGAIN may not have queued its bytes yet, and this edge is the only one.
				c.flush()
			}
			if ev.Events&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
				c.hup.Store(true) // before schedule, so the worker that reads sees it
			}
			if ev.Events&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
				l.schedule(c)
			}
		}
		l.mu.RUnlock()
	}
}

// schedule queues c for a worker unless it is already queued or running, in which case the
// running worker is told to read again.
func (l *epollLoop) schedule(c *fdConn) {
	for {
		switch c.sched.Load() {
		case schedIdle:
			if c.sched.CompareAndSwap(schedIdle, schedRunning) {
				l.rq.push(c)
				return
			}
		case schedRunning:
			if c.sched.CompareAndSwap(schedRunning, schedAgain) {
				return
			}
		default:
			return
		}
	}
}

const (
	schedIdle int32 = iota
	schedRunning
	schedAgain
)

func (l *epollLoop) work() {
	defer l.wg.Done()
	buf := make([]byte, l.p.cfg.ReadBufferSize)
	for {
		c, ok := l.rq.pop()
		if !ok {
			return
		}
		l.serve(c, buf)
	}
}

// serve reads c until the socket is drained or ReadsPerWakeup reads were done.
func (l *epollLoop) serve(c *fdConn, buf []byte) {
	for {
		if c.pre != nil {
			pre := c.pre
			c.pre = nil
			c.h.OnRead(c, pre)
		}
		drained := false
		for i := 0; i < l.p.cfg.ReadsPerWakeup; i++ {
			if c.aborted.Load() {
				l.finish(c, nil)
				return
			}
			n, err := unix.Read(c.fd, buf)
			if err == nil && n > 0 {
				c.h.OnRead(c, buf[:n])
				if n < len(buf) && !c.hup.Load() {
					// A short read drained the socket (epoll(7)): the next byte to arrive
					// raises a new edge. NOTE: not once the peer has half-closed: a FIN that
					// arrived with the last bytes shares their edge and raises no new one, so
					// the worker reads on until read returns 0 (EOF).
					drained = true
					break
				}
				continue
			}
			if err == unix.EAGAIN {
				drained = true
				break
			}
			if err == unix.EINTR {
				continue
			}
			if err == nil {
				err = io.EOF
			}
			l.finish(c, err)
			return
		}
		if c.aborted.Load() {
			l.finish(c, nil)
			return
		}
		if !drained {
			c.sched.Store(schedRunning)
			l.rq.push(c)
			return
		}
		if c.sched.CompareAndSwap(schedRunning, schedIdle) {
			return
		}
		c.sched.Store(schedRunning) // an edge arrived while we were reading
	}
}

// finish closes c's descriptor and calls OnClose. It runs on the worker that owns c's read
// side, so no read is in flight; writers see dead under the lock and never touch the fd again.
func (l *epollLoop) finish(c *fdConn, err error) {
	l.remove(c)
	c.mu.Lock()
	if c.abortErr != nil {
		err = c.abortErr
	}
	c.dead = true
	c.wclosed = true
	c.dropLocked(false)
	unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, c.fd, nil)
	unix.Close(c.fd)
	c.mu.Unlock()
	c.h.OnClose(c, err)
	l.p.live.Done()
}

// fdConn is an epoll-served connection. Its idle cost is this struct and a table slot.
type fdConn struct {
	outq
	l     *epollLoop
	fd    int
	gen   uint32
	h     Handler
	raddr netip.AddrPort // the peer of a TCP connection
	other net.Addr       // the peer of any other kind of connection
	pre   []byte         // bytes to deliver before the first read (worker only)

	sched    atomic.Int32
	hup      atomic.Bool // the peer hung up or half-closed (EPOLLRDHUP/EPOLLHUP/EPOLLERR seen)
	aborted  atomic.Bool
	abortErr error // under mu
	dead     bool  // under mu: the descriptor is closed
}

// RemoteAddr returns the peer's address; for TCP it is built on each call (logging only).
func (c *fdConn) RemoteAddr() net.Addr {
	if c.other != nil {
		return c.other
	}
	return net.TCPAddrFromAddrPort(c.raddr)
}
func (c *fdConn) Polled() bool      { return true }
func (c *fdConn) Buffered() int     { return int(c.queued.Load()) }
func (c *fdConn) LastActive() int64 { return c.active.Load() }

func (c *fdConn) WaitBuffered(ctx context.Context, n int) error { return c.waitBuffered(ctx, n) }

func (c *fdConn) Write(p []byte, owner Releaser) error {
	c.mu.Lock()
	if err := c.refuseLocked(len(p), c.l.p.cfg.MaxBacklogBytes); err != nil {
		c.mu.Unlock()
		release(owner)
		return err
	}
	if err := c.sendLocked(p, owner); err != nil {
		c.mu.Unlock()
		c.Abort(err)
		return ErrClosed
	}
	c.mu.Unlock()
	return nil
}

// sendLocked writes p at once if nothing is queued and queues what is left. It returns a
// write error other than EAGAIN (the connection is then broken; owner was released).
func (c *fdConn) sendLocked(p []byte, owner Releaser) error {
	if len(c.chunks) > 0 {
		c.appendLocked(p, owner)
		return nil
	}
	n, err := writeAll(c.fd, p)
	if n == len(p) {
		c.active.Store(Now())
		release(owner)
		return nil
	}
	if err != unix.EAGAIN {
		release(owner)
		return err
	}
	c.appendLocked(p[n:], owner)
	if n > 0 {
		c.started = true
	}
	return nil
}

func (c *fdConn) Shutdown(final []byte, owner Releaser, discard bool) {
	c.mu.Lock()
	if c.wclosed {
		c.mu.Unlock()
		release(owner)
		return
	}
	if discard {
		c.dropLocked(true)
	}
	c.wclosed = true
	c.wakeLocked()
	if len(final) > 0 {
		if err := c.sendLocked(final, owner); err != nil {
			c.mu.Unlock()
			c.Abort(err)
			return
		}
	} else {
		release(owner)
	}
	if len(c.chunks) == 0 {
		c.shutDone = true
		unix.Shutdown(c.fd, unix.SHUT_WR)
	} else {
		c.shutPending = true
	}
	c.mu.Unlock()
}

func (c *fdConn) Abort(err error) {
	c.mu.Lock()
	if c.dead || c.aborted.Load() {
		c.mu.Unlock()
		return
	}
	c.abortErr = err
	c.wclosed = true
	c.dropLocked(false)
	c.aborted.Store(true)
	c.mu.Unlock()
	c.l.schedule(c)
}

// flush writes queued chunks; called by the epoll loop when the socket is writable.
func (c *fdConn) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for !c.dead && len(c.chunks) > 0 {
		var iov [maxIovecs]unix.Iovec
		n, total := 0, 0
		for i := range c.chunks {
			if n == maxIovecs {
				break
			}
			b := c.chunks[i].b
			iov[n].Base = &b[0]
			iov[n].SetLen(len(b))
			total += len(b)
			n++
		}
		w, err := writev(c.fd, iov[:n])
		c.advanceLocked(w)
		if err == unix.EAGAIN || (err == nil && w < total) {
			break
		}
		if err != nil {
			c.abortErr = err
			c.wclosed = true
			c.dropLocked(false)
			c.aborted.Store(true)
			c.l.schedule(c) // takes only the run queue's lock
			return
		}
	}
	if !c.dead && len(c.chunks) == 0 && c.shutPending && !c.shutDone {
		c.shutDone = true
		unix.Shutdown(c.fd, unix.SHUT_WR)
	}
}

// writeAll writes p until done or the kernel refuses (EAGAIN) or fails.
func writeAll(fd int, p []byte) (int, error) {
	w := 0
	for w < len(p) {
		n, err := unix.Write(fd, p[w:])
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return w, err
		}
		if n <= 0 {
			return w, unix.EAGAIN
		}
		w += n
	}
	return w, nil
}

func writev(fd int, iov []unix.Iovec) (int, error) {
	for {
		r, _, e := unix.Syscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return 0, e
		}
		return int(r), nil
	}
}
