package server

import (
	"bytes"
	"compress/flate"
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"testing"

	"github.com/gobwas/ws"

	"github.com/sluicehq/sluice/engine/access"
	"github.com/sluicehq/sluice/engine/netpoll"
)

// recConn is the connection of a session that a fuzz target feeds directly: it records what
// the server writes (pongs, close frames) and owns no socket.
type recConn struct {
	out     bytes.Buffer
	shut    bool
	aborted bool
}

func (c *recConn) Write(p []byte, owner netpoll.Releaser) error {
	defer release(owner)
	if c.shut {
		return netpoll.ErrClosed
	}
	c.out.Write(p)
	return nil
}

func (c *recConn) Shutdown(final []byte, owner netpoll.Releaser, discard bool) {
	defer release(owner)
	if !c.shut {
		c.out.Write(final)
		c.shut = true
	}
}

func release(owner netpoll.Releaser) {
	if owner != nil {
		owner.Release()
	}
}

func (c *recConn) Abort(error)                             { c.aborted = true }
func (c *recConn) Buffered() int                           { return 0 }
func (c *recConn) WaitBuffered(context.Context, int) error { return nil }
func (c *recConn) LastActive() int64                       { return 0 }
func (c *recConn) RemoteAddr() net.Addr                    { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }
func (c *recConn) Polled() bool                            { return false }

// recSvc records the messages a session delivers.
type recSvc struct{ msgs bytes.Buffer }

func (s *recSvc) Open(*Session, []string) {}
func (s *recSvc) Message(_ *Session, ch string, d []byte) {
	s.msgs.WriteString(ch + " " + strconv.Itoa(len(d)) + " ")
	s.msgs.Write(d)
	s.msgs.WriteByte('\n')
}
func (s *recSvc) Closed(*Session) {}

// fuzzLimit is the MaxFrameSize and MaxMessageSize of the fuzzed server, small so that the
// limits are reached.
const fuzzLimit = 4096

// feedResult is everything a session did with one input.
type feedResult struct {
	msgs, out string
	code      ws.StatusCode
	reason    string
	aborted   bool
}

// feedChunks feeds in to a fresh open session in chunks whose sizes come from cuts (each byte
// is a chunk size minus one; the rest of in follows in one chunk), as reads would deliver it.
func feedChunks(srv *Server, in, cuts []byte, deflate bool) feedResult {
	svc := &recSvc{}
	s := srv.newSession(svc, "/ws", deflate, access.Local)
	rc := &recConn{}
	s.conn = rc
	s.state.Store(stOpen)
	names := []string{"a", "PONG"}
	s.chans.Store(&names)
	p := bytes.Clone(in) // feed unmasks in place
	var r feedResult
	for len(p) > 0 && r.code == 0 {
		n := len(p)
		if len(cuts) > 0 {
			n, cuts = min(int(cuts[0])+1, n), cuts[1:]
		}
		r.code, r.reason = s.rd.feed(s, p[:n])
		p = p[n:]
	}
	s.rd.release()
	r.msgs, r.out, r.aborted = svc.msgs.String(), rc.out.String(), rc.aborted
	return r
}

// maskedFrame builds a client frame: masked, with the given opcode, fin and rsv1 bits.
func maskedFrame(op ws.OpCode, fin, rsv1 bool, payload []byte) []byte {
	h := ws.Header{Fin: fin, OpCode: op, Length: int64(len(payload)), Masked: true, Mask: [4]byte{1, 2, 3, 4}}
	if rsv1 {
		h.Rsv = ws.Rsv(true, false, false)
	}
	var b bytes.Buffer
	ws.WriteHeader(&b, h)
	m := bytes.Clone(payload)
	ws.Cipher(m, h.Mask, 0)
	b.Write(m)
	return b.Bytes()
}

func deflated(t testing.TB, p []byte) []byte {
	out, err := compress(nil, p, 1)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// FuzzFrameReader feeds arbitrary bytes, split at arbitrary points, to the frame reader of an
// open session (with and without permessage-deflate). Properties: no panic; the same messages,
// control replies and close code whatever the splits; no delivered message over the limit.
func FuzzFrameReader(f *testing.F) {
	env := []byte(`{"type":"a","data":{"k":[1,2,3]}}`)
	cat := func(fs ...[]byte) []byte { return bytes.Join(fs, nil) }
	seeds := [][]byte{
		maskedFrame(ws.OpText, true, false, env),
		cat(maskedFrame(ws.OpText, false, false, env[:10]), maskedFrame(ws.OpPing, true, false, []byte("hi")),
			maskedFrame(ws.OpContinuation, true, false, env[10:])),
		maskedFrame(ws.OpText, true, true, deflated(f, env)),
		maskedFrame(ws.OpBinary, true, false, env),
		maskedFrame(ws.OpClose, true, false, []byte{3, 232, 'b', 'y', 'e'}),
		maskedFrame(ws.OpText, true, false, bytes.Repeat([]byte("x"), fuzzLimit+1)),
		maskedFrame(ws.OpText, true, false, []byte{0xff, 0xfe}),
		maskedFrame(ws.OpCode(3), true, false, nil),
		maskedFrame(ws.OpPing, false, false, nil),
		{0x81, 0x05, 'h', 'e', 'l', 'l', 'o'}, // unmasked
		{0x81, 0xff, 0, 0, 0, 0, 0, 0, 0, 0},  // 64-bit length
	}
	for i, s := range seeds {
		f.Add(s, []byte{byte(i), 0, 1, 6, 200}, i%2 == 0)
	}
	srv, err := New(Config{MaxFrameSize: fuzzLimit, MaxMessageSize: fuzzLimit}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	f.Fuzz(func(t *testing.T, in, cuts []byte, deflate bool) {
		whole := feedChunks(srv, in, nil, deflate)
		split := feedChunks(srv, in, cuts, deflate)
		if whole != split {
			t.Fatalf("splits change the outcome:\nwhole %+v\nsplit %+v", whole, split)
		}
		for _, line := range bytes.Split([]byte(whole.msgs), []byte("\n")) {
			if len(line) > fuzzLimit+64 {
				t.Fatalf("delivered a message of %d bytes over the %d limit", len(line), fuzzLimit)
			}
		}
	})
}

// FuzzInflate decompresses arbitrary permessage-deflate payloads. Properties: no panic; the
// same bytes and verdict as the standard library's decompressor; never more than the limit;
// dst's prefix kept; a pooled decompressor gives the same result again.
func FuzzInflate(f *testing.F) {
	for _, s := range []string{"", "hello", `{"type":"a","data":1}`} {
		f.Add(deflated(f, []byte(s)), uint16(100))
	}
	f.Add(deflated(f, bytes.Repeat([]byte("a"), 5000)), uint16(4096)) // a bomb, in small
	f.Add([]byte{0xff, 0xff, 0xff}, uint16(10))
	f.Add([]byte{1, 0, 0, 0xff, 0xff, 'x'}, uint16(10)) // a final stored block, then garbage
	f.Fuzz(func(t *testing.T, payload []byte, limit uint16) {
		lim := int(limit)
		prefix := []byte("pre")
		out, err := inflate(bytes.Clone(prefix), payload, lim)
		if !bytes.HasPrefix(out, prefix) {
			t.Fatalf("dst prefix lost: %q", out)
		}
		out = out[len(prefix):]
		again, err2 := inflate(nil, payload, lim)
		if err != err2 || err == nil && !bytes.Equal(out, again) {
			t.Fatalf("second inflate differs: %v/%v", err, err2)
		}
		ref, refErr := io.ReadAll(io.LimitReader(flate.NewReader(io.MultiReader(bytes.NewReader(payload),
			bytes.NewReader(deflateTail[:]))), int64(lim)+1))
		switch {
		case err == nil:
			if refErr != nil || !bytes.Equal(out, ref) {
				t.Fatalf("inflate %q, standard library %q (%v)", out, ref, refErr)
			}
			if len(out) > lim {
				t.Fatalf("%d bytes out, limit %d", len(out), lim)
			}
		case err == errInflateTooBig:
			if len(ref) <= lim && refErr == nil {
				t.Fatalf("too big, but the standard library gives %d bytes", len(ref))
			}
		case err == errInflate:
			if refErr == nil && len(ref) <= lim {
				t.Fatalf("refused, but the standard library decodes %q", ref)
			}
		default:
			t.Fatalf("unexpected error %v", err)
		}
	})
}

// TestFeedChunks checks the fuzz harness itself: a fragmented message with a ping between the
// fragments, fed one byte at a time, is delivered whole, the ping answered, and a bad frame
// closes with its code.
func TestFeedChunks(t *testing.T) {
	srv, err := New(Config{MaxFrameSize: fuzzLimit, MaxMessageSize: fuzzLimit}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	env := []byte(`{"type":"a","data":[1]}`)
	in := bytes.Join([][]byte{maskedFrame(ws.OpText, false, false, env[:5]), maskedFrame(ws.OpPing, true, false, []byte("hi")),
		maskedFrame(ws.OpContinuation, true, false, env[5:]), maskedFrame(ws.OpText, true, true, deflated(t, env)),
		maskedFrame(ws.OpCode(3), true, false, nil)}, nil)
	r := feedChunks(srv, in, bytes.Repeat([]byte{0}, len(in)), true)
	if r.msgs != "a 3 [1]\na 3 [1]\n" || r.code != ws.StatusProtocolError || r.reason != reasonOpcode ||
		!bytes.Contains([]byte(r.out), []byte{0x8a, 2, 'h', 'i'}) {
		t.Fatalf("%+v", r)
	}
}
