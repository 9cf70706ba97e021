package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"github.com/sluicehq/sluice/collect"
)

// statsTestStore is a collect.IndexerSource with two wells, one with cold storage.
type statsTestStore struct{}

func (statsTestStore) IndexerUUID() string { return "5e20794b-0b73-4eb0-b49b-ece17089bf28" }
func (statsTestStore) Stats() []collect.WellStats {
	return []collect.WellStats{
		{Name: "default", ID: "5e20794b-default", Path: "/var/lib/sluice/default", Bytes: 39859808, Entries: 504549},
		{Name: "syslog", ID: "5e20794b-syslog", Path: "/var/lib/sluice/syslog", Bytes: 3100139, Entries: 30000},
		{Name: "syslog", ID: "5e20794b-syslog-cold", Path: "/mnt/cold/syslog", Bytes: 1000, Entries: 10, Cold: true},
	}
}
func (statsTestStore) IngestCounters() collect.IngestCounters { return collect.IngestCounters{} }

// newStatsTestHub is a hub over the collect fixture tree (a 2-CPU Xeon KVM guest with 32 GB).
func newStatsTestHub() *collect.Hub {
	cfg := collect.Config{
		FS:       collect.FS{Root: "../../collect/testdata"},
		CPUCount: func() (int, error) { return 2, nil },
		Statfs: func(path string) (collect.FSUsage, error) {
			return collect.FSUsage{Total: 100 << 30, Free: 75 << 30}, nil
		},
	}
	return collect.NewHub(collect.HubConfig{Sources: collect.Sources{Store: statsTestStore{}, Collector: collect.NewCollector(cfg)}})
}

// statsServer is a small stats-socket server speaking PROTOCOL.md §2 with gorilla/websocket.
// script runs after the ACK and writes what the test wants.
type statsServer struct {
	*httptest.Server
	mu   sync.Mutex
	subs []string
	path string
}

func newStatsServer(t *testing.T, reply string, script func(conn *websocket.Conn, hub *collect.Hub) error) *statsServer {
	t.Helper()
	s := &statsServer{}
	hub := newStatsTestHub()
	up := websocket.Upgrader{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		var req struct{ Subs []string }
		if err := conn.ReadJSON(&req); err != nil {
			t.Errorf("server: no Subs: %v", err)
			return
		}
		s.mu.Lock()
		s.subs, s.path = req.Subs, r.URL.Path
		s.mu.Unlock()
		if err := conn.WriteMessage(websocket.TextMessage, []byte(reply)); err != nil {
			return
		}
		if err := script(conn, hub); err != nil && !websocket.IsCloseError(err, websocket.CloseNormalClosure) && !errors.Is(err, websocket.ErrCloseSent) {
			t.Logf("server script: %v", err)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// sendRound writes sysDesc then one packet of each type, as the engine does for a new subscriber.
func sendRound(conn *websocket.Conn, hub *collect.Hub, types ...string) error {
	now := time.Now()
	if err := conn.WriteMessage(websocket.TextMessage, append(hub.SysDesc().Current, '\n')); err != nil {
		return err
	}
	for _, typ := range types {
		if err := conn.WriteMessage(websocket.TextMessage, hub.Build(typ, now).Current); err != nil {
			return err
		}
	}
	return nil
}

// waitClose reads until the client goes away.
func waitClose(conn *websocket.Conn) error {
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			return err
		}
	}
}

func TestStatsOnce(t *testing.T) {
	srv := newStatsServer(t, `{"Resp":"ACK"}`, func(conn *websocket.Conn, hub *collect.Hub) error {
		if err := sendRound(conn, hub, "ping", "sysStats", "idxStats"); err != nil {
			return err
		}
		return waitClose(conn)
	})
	debug := filepath.Join(t.TempDir(), "debug.log")
	var out bytes.Buffer
	g := &globalFlags{Server: srv.URL}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := statsCommand(ctx, g, []string{"-once", "-debug", debug}, &out, true); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	if !reflect.DeepEqual(srv.subs, []string{"ping", "idxStats", "sysStats", "sysDesc"}) || srv.path != "/api/ws/stats" {
		t.Errorf("server got Subs %q on %s", srv.subs, srv.path)
	}
	srv.mu.Unlock()
	got := out.String()
	t.Logf("table:\n%s", got)
	if strings.Contains(got, "\x1b[") {
		t.Errorf("-once wrote ANSI sequences: %q", got)
	}
	lines := strings.Split(got, "\n")
	// find returns the fields of the first line after skip lines that starts with prefix.
	find := func(prefix string, skip int) []string {
		for _, l := range lines[skip:] {
			if strings.HasPrefix(l, prefix) {
				return strings.Fields(l)
			}
		}
		t.Fatalf("no line %q in\n%s", prefix, got)
		return nil
	}
	section := func(header string) int {
		for i, l := range lines {
			if strings.HasPrefix(l, header) {
				return i
			}
		}
		t.Fatalf("no section %q in\n%s", header, got)
		return 0
	}
	for _, l := range lines {
		if n := utf8.RuneCountInString(l); n > 80 {
			t.Errorf("line of %d columns does not fit 80: %q", n, l)
		}
	}
	// HOST STATE CPUS CPU IOWAIT LOAD MEM MEM-USED
	cpu := section("HOST            STATE")
	if web := find("webserver ", cpu); web[1] != "OK" || web[2] != "2" || web[5] != "0.42" || web[6] != "31.2GiB" || web[7] != "12.5%" {
		t.Errorf("webserver row %q", web)
	}
	if idx := find("127.0.0.1:9404 ", cpu); idx[1] != "OK" {
		t.Errorf("indexer row %q", idx)
	}
	// HOST NET-UP NET-DOWN DISK-USED(3 fields) DISK-READ DISK-WRITE
	disk := section("HOST            NET UP")
	if web := find("webserver ", disk); web[3] != "25%" || web[5] != "400.0GiB" {
		t.Errorf("webserver disk row %q", web)
	}
	// HOST / WELL, ENTRIES, STORED
	wells := section("HOST / WELL")
	if idx := find("127.0.0.1:9404 ", wells); idx[1] != "534,559" || idx[2] != "41.0MiB" {
		t.Errorf("indexer row %q", idx)
	}
	if w := find("  default ", wells); w[1] != "504,549" || w[2] != "38.0MiB" {
		t.Errorf("default well row %q", w)
	}
	if w := find("  syslog ", wells); w[1] != "(+cold)" || w[2] != "30,010" {
		t.Errorf("syslog well row %q", w)
	}

	b, err := os.ReadFile(debug)
	if err != nil {
		t.Fatal(err)
	}
	logLines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(logLines) != 6 {
		t.Fatalf("%d debug lines, want 6:\n%s", len(logLines), b)
	}
	for i, want := range []string{`> {"Subs":["ping","idxStats","sysStats","sysDesc"]}`, `< {"Resp":"ACK"}`,
		`< {"type":"sysDesc","data":{`, `< {"type":"ping","data":{`, `< {"type":"sysStats","data":{`, `< {"type":"idxStats","data":{`} {
		ts, rest, _ := strings.Cut(logLines[i], " ")
		if _, err := time.Parse(time.RFC3339Nano, ts); err != nil || !strings.HasPrefix(rest, want) {
			t.Errorf("debug line %d: %q, want a timestamp and %q", i, logLines[i], want)
		}
	}
	if strings.HasSuffix(logLines[2], " ") || !json.Valid([]byte(strings.SplitN(logLines[2], " ", 3)[2])) {
		t.Errorf("sysDesc line not one JSON value: %q", logLines[2])
	}
}

func TestStatsOnceIncomplete(t *testing.T) {
	srv := newStatsServer(t, `{"Resp":"ACK"}`, func(conn *websocket.Conn, hub *collect.Hub) error {
		if err := sendRound(conn, hub, "ping"); err != nil {
			return err
		}
		return waitClose(conn)
	})
	opt := statsOptions{once: true, idleTimeout: 10 * time.Second, roundTimeout: 300 * time.Millisecond, refresh: time.Second}
	err := watchStats(context.Background(), &globalFlags{Server: srv.URL}, opt, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "idxStats, sysStats") {
		t.Fatalf("err = %v", err)
	}
}

func TestStatsLiveTerminal(t *testing.T) {
	srv := newStatsServer(t, `{"Resp":"ACK"}`, func(conn *websocket.Conn, hub *collect.Hub) error {
		if err := sendRound(conn, hub, "ping", "sysStats", "idxStats"); err != nil {
			return err
		}
		for i := 0; i < 100; i++ {
			time.Sleep(20 * time.Millisecond)
			if err := conn.WriteMessage(websocket.TextMessage, hub.Build("ping", time.Now()).Current); err != nil {
				return err
			}
		}
		return nil
	})
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	opt := statsOptions{tty: true, idleTimeout: 10 * time.Second, refresh: 50 * time.Millisecond}
	if err := watchStats(ctx, &globalFlags{Server: srv.URL}, opt, &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if !strings.HasPrefix(got, "\x1b[?25l\x1b[2J\x1b[H") || !strings.HasSuffix(got, "\x1b[J\x1b[?25h") {
		t.Fatalf("terminal output does not redraw in place: %q…%q", got[:min(40, len(got))], got[max(0, len(got)-40):])
	}
	if n := strings.Count(got, "\x1b[H"); n < 5 {
		t.Errorf("%d redraws", n)
	}
	last := got[strings.LastIndex(got, "\x1b[H"):]
	if !strings.Contains(last, "webserver") || !strings.Contains(last, "127.0.0.1:9404") || !strings.Contains(last, "\x1b[K\n") {
		t.Errorf("last frame %q", last)
	}
}

func TestStatsLivePlain(t *testing.T) {
	srv := newStatsServer(t, `{"Resp":"ACK"}`, func(conn *websocket.Conn, hub *collect.Hub) error {
		if err := sendRound(conn, hub, "ping", "sysStats", "idxStats"); err != nil {
			return err
		}
		if err := conn.WriteMessage(websocket.TextMessage, hub.Build("sysStats", time.Now()).Current); err != nil {
			return err
		}
		// then the server goes away
		return conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "bye"), time.Now().Add(time.Second))
	})
	var out bytes.Buffer
	opt := statsOptions{idleTimeout: 10 * time.Second, refresh: time.Second}
	err := watchStats(context.Background(), &globalFlags{Server: srv.URL}, opt, &out)
	if err == nil || !strings.Contains(err.Error(), "stats: connection lost") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(out.String(), "\x1b[") {
		t.Errorf("plain output has ANSI sequences")
	}
	if n := strings.Count(out.String(), "sluice stats  ws://"); n != 2 {
		t.Errorf("%d tables for 2 sysStats rounds:\n%s", n, out.String())
	}
}

func TestStatsRefused(t *testing.T) {
	srv := newStatsServer(t, `{"Resp":"ERROR"}`, func(*websocket.Conn, *collect.Hub) error { return nil })
	err := statsCommand(context.Background(), &globalFlags{Server: srv.URL}, []string{"-once"}, &bytes.Buffer{}, false)
	if err == nil || !strings.Contains(err.Error(), `stats: subscription refused: {"Resp":"ERROR"}`) {
		t.Fatalf("err = %v", err)
	}
}

func TestStatsFlags(t *testing.T) {
	f := func(g *globalFlags, args []string, want string) {
		t.Helper()
		err := statsCommand(context.Background(), g, args, &bytes.Buffer{}, false)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("statsCommand(%q) = %v, want %q", args, err, want)
		}
	}
	f(&globalFlags{Server: "http://127.0.0.1:1"}, []string{"extra"}, `unexpected argument "extra"`)
	f(&globalFlags{}, []string{"-server", "ftp://x"}, "scheme must be")
	f(&globalFlags{Server: "http://127.0.0.1:1"}, []string{"-nope"}, "flag provided but not defined")
}

// TestStatsTableStates follows one host through the liveness rules with a fake clock.
func TestStatsTableStates(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	tb := newStatsTable("ws://x/api/ws/stats", t0)
	apply := func(typ, data string, at time.Time) {
		t.Helper()
		if err := tb.apply(typ, []byte(data), at); err != nil {
			t.Fatal(err)
		}
	}
	f := func(at time.Time, want string) {
		t.Helper()
		if got := tb.states(at); got != want {
			t.Fatalf("at +%v: %q, want %q", at.Sub(t0), got, want)
		}
	}
	apply("sysDesc", `{"webserver":{"CPUCount":2},"10.0.0.1:9404":{},"10.0.0.2:9404":{}}`, t0)
	f(t0.Add(time.Second), "webserver=waiting 10.0.0.1:9404=waiting 10.0.0.2:9404=waiting ")
	f(t0.Add(31*time.Second), "webserver=DEAD 10.0.0.1:9404=DEAD 10.0.0.2:9404=DEAD ")
	apply("ping", `{"States":{"10.0.0.1:9404":"OK","10.0.0.2:9404":"Disconnected"}}`, t0.Add(32*time.Second))
	f(t0.Add(33*time.Second), "webserver=OK 10.0.0.1:9404=OK 10.0.0.2:9404=DEAD ")
	apply("ping", `{"States":{"10.0.0.1:9404":"OK","10.0.0.2:9404":"OK"}}`, t0.Add(40*time.Second))
	apply("ping", `{"States":{"10.0.0.1:9404":"OK","10.0.0.2:9404":"Disconnected"}}`, t0.Add(45*time.Second))
	f(t0.Add(50*time.Second), "webserver=OK 10.0.0.1:9404=OK 10.0.0.2:9404=Disconnected ")
	// pings keep coming but stop naming 10.0.0.1 OK
	apply("ping", `{"States":{"10.0.0.2:9404":"OK"}}`, t0.Add(60*time.Second))
	f(t0.Add(74*time.Second), "webserver=OK 10.0.0.1:9404=OK 10.0.0.2:9404=OK ")
	f(t0.Add(76*time.Second), "webserver=OK 10.0.0.1:9404=DEAD 10.0.0.2:9404=OK ")
	// no ping at all for 30 s: everything is dead
	f(t0.Add(91*time.Second), "webserver=DEAD 10.0.0.1:9404=DEAD 10.0.0.2:9404=DEAD ")
	// a fresh sysDesc replaces the host list
	apply("sysDesc", `{"webserver":{}}`, t0.Add(92*time.Second))
	f(t0.Add(92*time.Second), "webserver=DEAD ")
	// bad payloads are reported and shown, and leave the table alone
	if err := tb.apply("sysStats", []byte(`{"Stats":[]}`), t0); err == nil || !strings.HasPrefix(err.Error(), "stats: sysStats: ") {
		t.Fatalf("bad sysStats: %v", err)
	}
	var out bytes.Buffer
	tb.render(&out, t0.Add(93*time.Second))
	if !strings.Contains(out.String(), "! stats: sysStats: ") {
		t.Fatalf("error not shown:\n%s", out.String())
	}
	if err := tb.apply("igstStats", []byte(`nonsense`), t0); err != nil {
		t.Fatalf("unsubscribed type: %v", err)
	}
}

func TestStatsBytes(t *testing.T) {
	for n, want := range map[uint64]string{0: "0B", 1023: "1023B", 1024: "1.0KiB", 1740: "1.7KiB", 243347922944: "226.6GiB", 1<<64 - 1: "16.0EiB"} {
		if got := statsBytes(n); got != want {
			t.Errorf("statsBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
