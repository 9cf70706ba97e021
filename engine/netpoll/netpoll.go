package netpoll

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"time"
)

// Errors returned by Conn methods.
var (
	// ErrClosed is returned by Write after the write side of the connection was closed
	// (Shutdown, Abort, a write error or the end of the connection).
	ErrClosed = errors.New("netpoll: connection closed")
	// ErrBacklogFull is returned by Write when the bytes already queued plus the new ones would
	// exceed Config.MaxBacklogBytes. The new bytes are not queued.
	ErrBacklogFull = errors.New("netpoll: outbound backlog over MaxBacklogBytes")
	// ErrPollerClosed is returned by Add after Close.
	ErrPollerClosed = errors.New("netpoll: poller closed")
)

// Config configures a Poller. The zero value works.
type Config struct {
	// Workers is the number of goroutines that serve readable sockets (Linux).
	// Default max(4, 2*GOMAXPROCS).
	Workers int
	// ReadBufferSize is the size of each worker's shared read buffer. Default 64 KiB.
	ReadBufferSize int
	// ReadsPerWakeup bounds the reads one worker does for one socket before serving others.
	// Default 4.
	ReadsPerWakeup int
	// MaxBacklogBytes bounds the bytes queued for one connection. A Write into a non-empty
	// queue that would exceed it fails with ErrBacklogFull; a Write into an empty queue is
	// always taken, so one message larger than the limit can still be sent. Default 8 MiB.
	MaxBacklogBytes int
	// Portable forces the portable goroutine-per-connection mode even where epoll exists.
	Portable bool
	// Logger receives internal errors. Default slog.Default().
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Workers <= 0 {
		c.Workers = max(4, 2*runtime.GOMAXPROCS(0))
	}
	if c.ReadBufferSize <= 0 {
		c.ReadBufferSize = 64 << 10
	}
	if c.ReadBufferSize < 512 {
		c.ReadBufferSize = 512
	}
	if c.ReadsPerWakeup <= 0 {
		c.ReadsPerWakeup = 4
	}
	if c.MaxBacklogBytes <= 0 {
		c.MaxBacklogBytes = 8 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Handler receives a connection's input. Its methods run on pool workers (or on the
// connection's reading goroutine in portable mode) and must not block for long: a blocked
// handler holds a worker.
type Handler interface {
	// OnOpen is called once with the new Conn, on the goroutine calling Poller.Add, before
	// any other callback (so the handler can keep c before events arrive).
	OnOpen(c Conn)
	// OnRead is called with bytes read from c, in order. p is a worker's shared buffer: it is
	// valid, and may be modified, only during the call. Calls for one connection never overlap.
	OnRead(c Conn, p []byte)
	// OnClose is called exactly once when c has ended (peer closed, read or write error,
	// Abort, Poller.Close), after the last OnRead. err is the cause; io.EOF for an orderly
	// close by the peer.
	OnClose(c Conn, err error)
}

// Releaser owns bytes queued with Conn.Write. Release is called exactly once, when the bytes
// have been written or discarded; it must not block and must not call back into the Conn.
type Releaser interface {
	Release()
}

// Conn is a connection registered with a Poller. All methods are safe for concurrent use.
type Conn interface {
	// Write sends p, or queues what the kernel does not take at once, and never blocks.
	// Ownership of owner passes to the Conn in every case: owner.Release is called once p is
	// written or discarded (possibly before Write returns). owner may be nil. Bytes of
	// concurrent Writes never interleave. Returns ErrClosed or ErrBacklogFull (p not queued).
	Write(p []byte, owner Releaser) error
	// Shutdown closes the write side: final (may be nil) is queued after the bytes already
	// queued, and once everything is written the socket's write half is shut down
	// (shutdown(2) SHUT_WR). With discard, queued bytes not yet started are dropped first
	// (a partly written chunk is always finished, so the stream stays well-formed). Later
	// Writes fail with ErrClosed. Reading goes on until the peer closes or Abort.
	Shutdown(final []byte, owner Releaser, discard bool)
	// Abort ends the connection now: queued bytes are dropped, the socket is closed, and
	// OnClose(err) follows on a worker. Abort after the end is a no-op.
	Abort(err error)
	// Buffered returns the number of bytes queued and not yet written.
	Buffered() int
	// WaitBuffered blocks until at most n bytes are queued, ctx is done, or the connection's
	// write side is closed (ErrClosed).
	WaitBuffered(ctx context.Context, n int) error
	// LastActive returns the Now() time of the last write progress: bytes written, or a queue
	// that was empty receiving bytes.
	LastActive() int64
	// RemoteAddr returns the peer's address.
	RemoteAddr() net.Addr
	// Polled reports whether the connection is served by epoll (false: portable mode).
	Polled() bool
}

var monoBase = time.Now()

// Now returns a monotonic clock reading in nanoseconds, the clock of Conn.LastActive.
func Now() int64 { return int64(time.Since(monoBase)) }

// Poller registers connections and serves them. Create it with New.
type Poller struct {
	cfg  Config
	loop eventLoop // nil in portable mode

	mu     sync.Mutex
	closed bool
	std    map[*stdConn]struct{}
	live   sync.WaitGroup // one per registered connection until OnClose returns
}

// eventLoop is the epoll implementation (Linux only).
type eventLoop interface {
	// add takes ownership of nc if it can be polled; ok false leaves nc untouched.
	add(nc net.Conn, h Handler, pre []byte) (c Conn, ok bool, err error)
	abortAll(err error)
	close()
}

// New starts a Poller: on Linux, unless cfg.Portable, an epoll loop goroutine and
// cfg.Workers worker goroutines.
func New(cfg Config) (*Poller, error) {
	cfg.setDefaults()
	p := &Poller{cfg: cfg, std: make(map[*stdConn]struct{})}
	if !cfg.Portable {
		loop, err := newEventLoop(p)
		if err != nil {
			return nil, err
		}
		p.loop = loop
	}
	return p, nil
}

// Add takes ownership of nc and starts serving it with h. pre holds bytes already read from
// the connection (for example left in an HTTP server's buffer after an upgrade); they are
// delivered to h.OnRead first, on a worker. pre is retained until then. After Add, nc must not
// be used by the caller: on Linux a TCP or Unix socket is duplicated and nc closed.
func (p *Poller) Add(nc net.Conn, h Handler, pre []byte) (Conn, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrPollerClosed
	}
	p.live.Add(1)
	p.mu.Unlock()
	if p.loop != nil {
		c, ok, err := p.loop.add(nc, h, pre)
		if err != nil {
			p.live.Done()
			return nil, err
		}
		if ok {
			return c, nil
		}
	}
	c := newStdConn(p, nc, h, pre)
	h.OnOpen(c)
	p.mu.Lock()
	p.std[c] = struct{}{}
	p.mu.Unlock()
	c.start()
	return c, nil
}

// Close aborts every connection, waits (at most timeout, default 5 s when 0) for their OnClose
// calls, and stops the poller's goroutines. Add fails afterwards.
func (p *Poller) Close(timeout time.Duration) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	std := make([]*stdConn, 0, len(p.std))
	for c := range p.std {
		std = append(std, c)
	}
	p.mu.Unlock()
	for _, c := range std {
		c.Abort(ErrPollerClosed)
	}
	if p.loop != nil {
		p.loop.abortAll(ErrPollerClosed)
	}
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	done := make(chan struct{})
	go func() { p.live.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-time.After(timeout):
		err = errors.New("netpoll: close: connections still open after " + timeout.String() + " (a handler is blocked)")
	}
	if p.loop != nil {
		p.loop.close()
	}
	return err
}

func (p *Poller) removeStd(c *stdConn) {
	p.mu.Lock()
	delete(p.std, c)
	p.mu.Unlock()
}
