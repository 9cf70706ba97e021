package loadgen

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"github.com/gobwas/ws"
)

// DialConfig says how to open one websocket.
type DialConfig struct {
	URL        string        // ws://127.0.0.1:PORT/path; must be loopback
	LocalAddr  net.IP        // source address; nil lets the kernel choose
	ReadBuffer int           // bytes of read buffering; 0 reads the socket directly (idle subscribers)
	Token      string        // sent as Authorization: Bearer and as the websocket protocol, if set
	Timeout    time.Duration // connect + handshake; default 10 s
	MaxMessage int           // largest message accepted; default 256 MiB
	TLS        *tls.Config   // for wss:// URLs; nil uses the default verification
}

// Conn is a minimal websocket client connection for load generation: it writes masked text
// frames and reads whole messages into one reused buffer, answering pings. It is not safe for
// concurrent use.
type Conn struct {
	nc   net.Conn
	r    io.Reader
	msg  []byte
	wbuf []byte
	hdr  [14]byte
	max  int
}

// ErrNotLoopback is returned by Dial when the connection's peer is not a loopback address.
var ErrNotLoopback = errors.New("loadgen: peer is not a loopback address")

// Dial opens a websocket to cfg.URL.
func Dial(ctx context.Context, cfg DialConfig) (*Conn, error) {
	if err := CheckLoopback(cfg.URL); err != nil {
		return nil, err
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	nd := net.Dialer{Timeout: timeout}
	if cfg.LocalAddr != nil {
		nd.LocalAddr = &net.TCPAddr{IP: cfg.LocalAddr}
	}
	d := ws.Dialer{
		Timeout:   timeout,
		TLSConfig: cfg.TLS,
		NetDial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := nd.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			if ta, ok := c.RemoteAddr().(*net.TCPAddr); !ok || !ta.IP.IsLoopback() {
				c.Close()
				return nil, ErrNotLoopback
			}
			return c, nil
		},
	}
	if cfg.Token != "" {
		d.Protocols = []string{cfg.Token}
		d.Header = ws.HandshakeHeaderHTTP(http.Header{"Authorization": {"Bearer " + cfg.Token}})
	}
	nc, br, _, err := d.Dial(ctx, cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("loadgen: cannot dial %s: %w", cfg.URL, err)
	}
	c := &Conn{nc: nc, r: nc, max: cfg.MaxMessage}
	if c.max <= 0 {
		c.max = 256 << 20
	}
	if br != nil {
		c.r = br // holds bytes the server sent right after the handshake
	}
	if cfg.ReadBuffer > 0 {
		c.r = bufio.NewReaderSize(c.r, cfg.ReadBuffer)
	}
	return c, nil
}

// Close closes the connection without a closing handshake.
func (c *Conn) Close() error { return c.nc.Close() }

// NetConn returns the underlying connection.
func (c *Conn) NetConn() net.Conn { return c.nc }

// SetReadDeadline sets the deadline for ReadMessage.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.nc.SetReadDeadline(t) }

// WriteText sends payload as one masked text frame (RFC 6455 §5.2, §5.3) with one write.
func (c *Conn) WriteText(payload []byte) error {
	b := c.wbuf[:0]
	b = append(b, 0x80|byte(ws.OpText))
	switch n := len(payload); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xFFFF:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	var key [4]byte
	binary.LittleEndian.PutUint32(key[:], rand.Uint32())
	b = append(b, key[:]...)
	start := len(b)
	b = append(b, payload...)
	for i := range b[start:] {
		b[start+i] ^= key[i&3]
	}
	c.wbuf = b
	c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := c.nc.Write(b)
	return err
}

// CloseError is returned by ReadMessage when the server sends a close frame.
type CloseError struct {
	Code   int
	Reason string
}

func (e *CloseError) Error() string {
	return fmt.Sprintf("loadgen: server closed the websocket: %d %s", e.Code, e.Reason)
}

// ReadMessage returns the next text or binary message, reassembled from its frames. The
// returned slice is valid until the next call. Pings are answered, pongs skipped; a close
// frame returns *CloseError.
func (c *Conn) ReadMessage() ([]byte, error) {
	c.msg = c.msg[:0]
	for {
		fin, op, n, err := c.readHeader()
		if err != nil {
			return nil, err
		}
		if op.IsControl() {
			if n > 125 {
				return nil, errors.New("loadgen: control frame longer than 125 bytes")
			}
			var ctl [125]byte
			if _, err := io.ReadFull(c.r, ctl[:n]); err != nil {
				return nil, err
			}
			switch op {
			case ws.OpPing:
				if err := c.writeControl(ws.OpPong, ctl[:n]); err != nil {
					return nil, err
				}
			case ws.OpClose:
				ce := &CloseError{Code: 1005}
				if n >= 2 {
					ce.Code = int(binary.BigEndian.Uint16(ctl[:2]))
					ce.Reason = string(ctl[2:n])
				}
				return nil, ce
			}
			continue
		}
		if len(c.msg)+n > c.max {
			return nil, fmt.Errorf("loadgen: message larger than %d bytes", c.max)
		}
		start := len(c.msg)
		c.msg = append(c.msg, make([]byte, n)...)
		if _, err := io.ReadFull(c.r, c.msg[start:]); err != nil {
			return nil, err
		}
		if fin {
			return c.msg, nil
		}
	}
}

// readHeader reads one frame header. Server frames are unmasked (RFC 6455 §5.1); a masked one
// is refused.
func (c *Conn) readHeader() (fin bool, op ws.OpCode, n int, err error) {
	h := c.hdr[:2]
	if _, err = io.ReadFull(c.r, h); err != nil {
		return
	}
	fin, op = h[0]&0x80 != 0, ws.OpCode(h[0]&0x0F)
	if h[1]&0x80 != 0 {
		return false, 0, 0, errors.New("loadgen: server sent a masked frame")
	}
	ln := uint64(h[1] & 0x7F)
	switch ln {
	case 126:
		if _, err = io.ReadFull(c.r, c.hdr[2:4]); err != nil {
			return
		}
		ln = uint64(binary.BigEndian.Uint16(c.hdr[2:4]))
	case 127:
		if _, err = io.ReadFull(c.r, c.hdr[2:10]); err != nil {
			return
		}
		ln = binary.BigEndian.Uint64(c.hdr[2:10])
	}
	if ln > uint64(c.max) {
		return false, 0, 0, fmt.Errorf("loadgen: frame of %d bytes exceeds %d", ln, c.max)
	}
	return fin, op, int(ln), nil
}

func (c *Conn) writeControl(op ws.OpCode, payload []byte) error {
	f := ws.MaskFrameInPlace(ws.NewFrame(op, true, append([]byte(nil), payload...)))
	c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return ws.WriteFrame(c.nc, f)
}
