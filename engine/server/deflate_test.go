package server

import (
	"bytes"
	"compress/flate"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gorilla/websocket"
)

func TestDeflateRoundTrip(t *testing.T) {
	e := newEnv(t, Config{})
	d := &websocket.Dialer{HandshakeTimeout: 5 * time.Second, EnableCompression: true}
	c, resp, err := d.Dial(e.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); !strings.Contains(ext, "permessage-deflate") ||
		!strings.Contains(ext, "server_no_context_takeover") || !strings.Contains(ext, "client_no_context_takeover") {
		t.Fatalf("extensions %q", ext)
	}
	negotiate(t, c, "x")
	sess := e.svc.waitOpen(t)
	if !sess.Compressed() {
		t.Fatal("session not compressed")
	}
	big := `{"type":"x","data":{"v":"` + strings.Repeat("abcdefgh", 1000) + `"}}`
	before := e.srv.Stats().BytesOut
	for i := 0; i < 3; i++ { // several messages: no context is carried between them
		writeMsg(t, c, big)
		if got := readMsg(t, c); got != big {
			t.Fatalf("echo of %d bytes came back as %d bytes", len(big), len(got))
		}
	}
	if out := e.srv.Stats().BytesOut - before; out > uint64(len(big)) {
		t.Fatalf("3 compressible messages of %d bytes took %d bytes on the wire", len(big), out)
	}
	// Small messages are sent uncompressed and still arrive.
	writeMsg(t, c, `{"type":"x","data":1}`)
	if got := readMsg(t, c); got != `{"type":"x","data":1}` {
		t.Fatalf("got %q", got)
	}
	// Shared broadcast to a deflate and a plain session.
	plain := e.dial(t, nil, nil)
	negotiate(t, plain, "x")
	plainSess := e.svc.waitOpen(t)
	m := NewShared([]byte(big))
	if err := sess.SendShared(m); err != nil {
		t.Fatal(err)
	}
	if err := plainSess.SendShared(m); err != nil {
		t.Fatal(err)
	}
	m.Release()
	if got := readMsg(t, c); got != big {
		t.Fatal("deflate session: broadcast corrupted")
	}
	if got := readMsg(t, plain); got != big {
		t.Fatal("plain session: broadcast corrupted")
	}
}

// Compressed frames are real RFC 7692 messages: RSV1 set, raw deflate without the tail.
func TestDeflateWireFormat(t *testing.T) {
	e := newEnv(t, Config{})
	r := e.rawDial(t, http.Header{"Sec-WebSocket-Extensions": {"permessage-deflate; client_max_window_bits"}}, nil)
	if ext := r.resp.Header.Get("Sec-WebSocket-Extensions"); !strings.Contains(ext, "permessage-deflate") {
		t.Fatalf("not negotiated: %q", ext)
	}
	// A compressed request from the client.
	req := `{"Subs":["x"]}`
	var zb bytes.Buffer
	zw, _ := flate.NewWriter(&zb, flate.BestSpeed)
	zw.Write([]byte(req))
	zw.Flush()
	z := bytes.TrimSuffix(zb.Bytes(), []byte{0, 0, 0xff, 0xff})
	r.write(frame(true, ws.OpText, z, 4, false))
	if got := r.readText(); got != `{"Resp":"ACK"}` {
		t.Fatalf("reply %q", got)
	}
	big := `{"type":"x","data":"` + strings.Repeat("0123456789", 200) + `"}`
	r.write(text(big))
	f := r.read()
	if !f.Header.Rsv1() || f.Header.OpCode != ws.OpText {
		t.Fatalf("header %+v: want compressed text", f.Header)
	}
	out, err := io.ReadAll(flate.NewReader(io.MultiReader(bytes.NewReader(f.Payload), bytes.NewReader([]byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff}))))
	if err != nil || string(out) != big {
		t.Fatalf("inflate: %v, %d bytes", err, len(out))
	}
	// A decompression bomb is refused with 1009.
	bomb := `{"type":"x","data":"` + strings.Repeat("a", 2<<20) + `"}`
	zb.Reset()
	zw.Reset(&zb)
	zw.Write([]byte(bomb))
	zw.Flush()
	r.write(frame(true, ws.OpText, bytes.TrimSuffix(zb.Bytes(), []byte{0, 0, 0xff, 0xff}), 4, false))
	if code := r.readClose(); code != ws.StatusMessageTooBig {
		t.Fatalf("bomb close code %d", code)
	}
}

func TestCompressionDisabled(t *testing.T) {
	e := newEnv(t, Config{Compression: CompressionDisabled})
	d := &websocket.Dialer{HandshakeTimeout: 5 * time.Second, EnableCompression: true}
	c, resp, err := d.Dial(e.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
		t.Fatalf("extensions %q with compression disabled", ext)
	}
}
