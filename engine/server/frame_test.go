package server

import (
	"bytes"
	stdflate "compress/flate"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gobwas/ws"
	"github.com/sluicehq/sluice/wire"
)

func TestFrameInPlace(t *testing.T) {
	f := func(n int, op ws.OpCode, rsv1 bool) {
		t.Helper()
		payload := bytes.Repeat([]byte{'a'}, n)
		b := append(make([]byte, wire.HeaderRoom), payload...)
		start := frameInPlace(b, wire.HeaderRoom, op, rsv1)
		var want bytes.Buffer
		var rsv byte
		if rsv1 {
			rsv = 4
		}
		ws.WriteFrame(&want, ws.Frame{Header: ws.Header{Fin: true, OpCode: op, Rsv: rsv, Length: int64(n)}, Payload: payload})
		if !bytes.Equal(b[start:], want.Bytes()) {
			t.Fatalf("n=%d: frame % x..., want % x...", n, b[start:start+10], want.Bytes()[:10])
		}
	}
	for _, n := range []int{0, 1, 125, 126, 127, 65535, 65536, 1 << 20} {
		f(n, ws.OpText, false)
		f(n, ws.OpText, true)
	}
	f(3, ws.OpClose, false)
}

func TestClosePayload(t *testing.T) {
	if got := closePayload(nil, 0, "x"); len(got) != 0 {
		t.Fatalf("code 0: % x", got)
	}
	got := closePayload(nil, 1008, "MaxBacklogBytes exceeded")
	if string(got[2:]) != "MaxBacklogBytes exceeded" || got[0] != 0x03 || got[1] != 0xf0 {
		t.Fatalf("% x", got)
	}
	long := closePayload(nil, 1000, strings.Repeat("é", 100))
	if len(long) > 125 || !utf8.Valid(long[2:]) {
		t.Fatalf("long reason: %d bytes, valid %v", len(long), utf8.Valid(long[2:]))
	}
}

func TestValidCloseCode(t *testing.T) {
	for code, want := range map[ws.StatusCode]bool{999: false, 1000: true, 1004: false, 1005: false, 1006: false, 1007: true, 1011: true, 1015: false, 2999: false, 3000: true, 4999: true, 5000: false} {
		if validCloseCode(code) != want {
			t.Fatalf("%d: %v", code, !want)
		}
	}
}

func TestCompressInflateRoundTrip(t *testing.T) {
	for _, in := range []string{"", "x", strings.Repeat("hello world ", 1000)} {
		z, err := compress(nil, []byte(in), 1)
		if err != nil {
			t.Fatal(err)
		}
		out, err := inflate(nil, z, 1<<20)
		if err != nil || string(out) != in {
			t.Fatalf("round trip of %d bytes: %v, %d bytes", len(in), err, len(out))
		}
	}
	// Output of another deflate implementation (Go's compress/flate, as gorilla/websocket and
	// browsers produce it), ending exactly on the stripped sync-flush tail.
	big := strings.Repeat("abcdefgh", 1000)
	var zb bytes.Buffer
	zw, _ := stdflate.NewWriter(&zb, 1)
	zw.Write([]byte(big))
	zw.Flush()
	out, err := inflate(nil, bytes.TrimSuffix(zb.Bytes(), []byte{0, 0, 0xff, 0xff}), 1<<20)
	if err != nil || string(out) != big {
		t.Fatalf("stdlib deflate: %v, %d bytes", err, len(out))
	}
	z, _ := compress(nil, bytes.Repeat([]byte("a"), 10000), 1)
	if _, err := inflate(nil, z, 100); err != errInflateTooBig {
		t.Fatalf("limit: %v", err)
	}
	if _, err := inflate(nil, []byte{0xff, 0xff, 0xff}, 100); err != errInflate {
		t.Fatalf("garbage: %v", err)
	}
}
