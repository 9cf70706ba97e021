package server

import (
	"bytes"
	"errors"
	"io"
	"sync"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws/wsflate"
	"github.com/klauspost/compress/flate"
)

// NOTE: permessage-deflate is negotiated with no context takeover in both directions
// (server_no_context_takeover, client_no_context_takeover): every message is compressed on
// its own, so a compressor or decompressor (tens of KiB to ~1 MB each) is taken from a pool
// for one message and never held by an idle connection, and a broadcast message compresses
// once for every deflate session. wsflate.DefaultHelper is never used: its writers are
// allocated per call. Negotiation and compression use wsflate; decompression uses klauspost
// flate directly (see msgReader).

// negotiateDeflate accepts the first permessage-deflate offer it can honour (RFC 7692 §7.1).
// Offers limiting the server's window below 15 bits are declined (the compressor uses a
// 32 KiB window); malformed offers are declined, not fatal.
func negotiateDeflate(opt httphead.Option, accepted *bool) (httphead.Option, error) {
	if *accepted || !bytes.Equal(opt.Name, wsflate.ExtensionNameBytes) {
		return httphead.Option{}, nil
	}
	var p wsflate.Parameters
	if err := p.Parse(opt); err != nil {
		return httphead.Option{}, nil
	}
	if p.ServerMaxWindowBits.Defined() && p.ServerMaxWindowBits < 15 {
		return httphead.Option{}, nil
	}
	*accepted = true
	return wsflate.Parameters{ServerNoContextTakeover: true, ClientNoContextTakeover: true}.Option(), nil
}

// compressor is a pooled wsflate.Writer over a klauspost flate.Writer; it appends its
// output to dst (it is its own destination writer, so nothing is allocated per message).
type compressor struct {
	w   *wsflate.Writer
	dst []byte
}

func (c *compressor) Write(p []byte) (int, error) {
	c.dst = append(c.dst, p...)
	return len(p), nil
}

var compressorPools [10]sync.Pool // by flate level 0..9

// compress appends the permessage-deflate form of payload (RFC 7692 §7.2.1: sync flush, tail
// removed) to dst.
func compress(dst, payload []byte, level int) ([]byte, error) {
	level = min(max(level, 0), 9)
	c, _ := compressorPools[level].Get().(*compressor)
	if c == nil {
		c = &compressor{}
		c.w = wsflate.NewWriter(c, func(w io.Writer) wsflate.Compressor {
			fw, err := flate.NewWriter(w, level)
			if err != nil {
				panic("BUG: flate level " + err.Error())
			}
			return fw
		})
	}
	c.dst = dst
	c.w.Reset(c)
	_, err := c.w.Write(payload)
	if err == nil {
		err = c.w.Flush()
	}
	out := c.dst
	c.dst = nil
	compressorPools[level].Put(c)
	return out, err
}

// NOTE: inbound messages are not decompressed through wsflate.Reader: its suffix reader's
// ReadByte returns (0, nil) instead of moving on to the suffix when the payload ends, which
// injects a zero byte in front of the RFC 7692 tail for decompressors that read byte by byte
// (klauspost's does), and corrupts the message. msgReader below appends the same tail.

// deflateTail is appended to a message before inflating (RFC 7692 §7.2.2): the removed
// 0x00 0x00 0xff 0xff of the sync flush, then an empty final stored block so the
// decompressor reports io.EOF.
var deflateTail = [9]byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff}

// msgReader reads a message payload followed by deflateTail. It implements io.ByteReader so
// the flate decompressor reads it directly, without its own bufio.Reader.
type msgReader struct {
	p    []byte
	tail []byte
}

func (r *msgReader) reset(p []byte) { r.p, r.tail = p, deflateTail[:] }

func (r *msgReader) Read(b []byte) (int, error) {
	if len(r.p) > 0 {
		n := copy(b, r.p)
		r.p = r.p[n:]
		return n, nil
	}
	if len(r.tail) > 0 {
		n := copy(b, r.tail)
		r.tail = r.tail[n:]
		return n, nil
	}
	return 0, io.EOF
}

func (r *msgReader) ReadByte() (byte, error) {
	if len(r.p) > 0 {
		c := r.p[0]
		r.p = r.p[1:]
		return c, nil
	}
	if len(r.tail) > 0 {
		c := r.tail[0]
		r.tail = r.tail[1:]
		return c, nil
	}
	return 0, io.EOF
}

type decompressor struct {
	fr  io.ReadCloser // klauspost flate reader, also a flate.Resetter
	src msgReader
}

var decompressorPool = sync.Pool{New: func() any {
	d := &decompressor{}
	d.src.reset(nil)
	d.fr = flate.NewReader(&d.src)
	return d
}}

var (
	errInflateTooBig = errors.New("server: decompressed message over MaxMessageSize")
	errInflate       = errors.New("server: invalid deflate data")
)

// inflate appends the decompressed form of a permessage-deflate message to dst, failing with
// errInflateTooBig once more than limit bytes come out.
func inflate(dst, payload []byte, limit int) ([]byte, error) {
	d := decompressorPool.Get().(*decompressor)
	defer decompressorPool.Put(d)
	d.src.reset(payload)
	if err := d.fr.(flate.Resetter).Reset(&d.src, nil); err != nil {
		return dst, errInflate
	}
	start := len(dst)
	for {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		n, err := d.fr.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if len(dst)-start > limit {
			return dst, errInflateTooBig
		}
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, errInflate
		}
	}
}
