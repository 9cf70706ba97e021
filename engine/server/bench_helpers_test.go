package server

import (
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/gobwas/ws"
	"github.com/sluicehq/sluice/engine/access"
)

// nopSvc ignores everything; it is the Service of parser benchmarks.
type nopSvc struct{ n int }

func (s *nopSvc) Open(*Session, []string)                {}
func (s *nopSvc) Message(_ *Session, _ string, d []byte) { s.n += len(d) }
func (s *nopSvc) Closed(*Session)                        {}

// offlineSession returns an open session that is not connected, for parser benchmarks and
// allocation tests (it must not write).
func offlineSession(tb testing.TB) (*Session, *nopSvc) {
	tb.Helper()
	srv, err := New(Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close() })
	svc := &nopSvc{}
	s := srv.newSession(svc, "/ws", false, access.Local)
	s.state.Store(stOpen)
	names := []string{"PONG", "search1"}
	s.chans.Store(&names)
	return s, svc
}

// broadcastPayload is the ~1 KB message of the broadcast benchmarks: an envelope whose data
// is a 1000-byte string.
func broadcastPayload() []byte {
	return []byte(`{"type":"x","data":"` + strings.Repeat("x", 1000) + `"}`)
}

// drain reads and discards everything from c until it closes.
func drain(c net.Conn) { io.Copy(io.Discard, c) }

var benchFrame = frame(true, ws.OpText, []byte(`{"type":"search1","data":{"ID":16,"EntryRange":{"First":0,"Last":100}}}`), 0, false)
