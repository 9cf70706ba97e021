package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/gorilla/websocket"
)

// statsSubs are the channels "sluice stats" subscribes to, as the Go client does (PROTOCOL.md §1.4).
var statsSubs = []string{"ping", "idxStats", "sysStats", "sysDesc"}

// statsDeadAfter is how long a host may go without a ping naming it OK before it is shown dead
// (PROTOCOL.md §1.7, Appendix C).
const statsDeadAfter = 30 * time.Second

// runStats is "sluice stats [-server URL] [-token TOKEN] [-debug FILE] [-once]": it connects to
// /api/ws/stats, builds a table of hosts from sysDesc, fills it from sysStats and idxStats, and
// marks a host dead when no ping has named it OK for 30 s. On a terminal the table is redrawn in
// place; otherwise a table is printed once every type has arrived, then after each sysStats and
// whenever a host's state changes. -once prints one table after the first round of every type and exits.
func runStats(ctx context.Context, g *globalFlags, args []string) error {
	return statsCommand(ctx, g, args, os.Stdout, isTerminal(os.Stdout))
}

// statsOptions are the parsed flags and the limits of one stats watch.
type statsOptions struct {
	once         bool
	tty          bool          // redraw in place with ANSI sequences
	idleTimeout  time.Duration // no message for this long ends the watch (server writes at least every 90 s)
	roundTimeout time.Duration // -once: the first round must complete within this
	refresh      time.Duration // how often liveness is re-evaluated without messages
}

func statsCommand(ctx context.Context, g *globalFlags, args []string, out io.Writer, tty bool) error {
	fs := flag.NewFlagSet("stats", flag.ContinueOnError)
	fs.SetOutput(g.stderr())
	fs.StringVar(&g.Server, "server", g.Server, "server `URL`")
	fs.StringVar(&g.Token, "token", g.Token, "auth `token`")
	fs.StringVar(&g.Debug, "debug", g.Debug, "write every JSON message sent and received to `FILE`")
	once := fs.Bool("once", false, "print one table after the first round of stats and exit")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: sluice stats [-server URL] [-token TOKEN] [-debug FILE] [-once]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageErr(err.Error())
	}
	if fs.NArg() > 0 {
		return usageErr(fmt.Sprintf("stats: unexpected argument %q", fs.Arg(0)))
	}
	opt := statsOptions{once: *once, tty: tty && !*once, idleTimeout: 95 * time.Second,
		roundTimeout: statsDeadAfter, refresh: time.Second}
	return watchStats(ctx, g, opt, out)
}

// envelope is the routing envelope of a socket message (PROTOCOL.md §1.5).
type envelope struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// statsConn is one stats socket with its debug log.
type statsConn struct {
	conn    *websocket.Conn
	debug   *os.File
	debugMu sync.Mutex
}

// log writes one message to the debug file: time, direction ("> " sent, "< " received) and the
// JSON on one line, the format of the other commands.
func (c *statsConn) log(dir string, b []byte) {
	if c.debug == nil {
		return
	}
	b = bytes.TrimRight(b, "\r\n")
	if bytes.ContainsAny(b, "\r\n") {
		var one bytes.Buffer
		if json.Compact(&one, b) == nil {
			b = one.Bytes()
		} else {
			b = bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r"), []byte(`\r`)), []byte("\n"), []byte(`\n`))
		}
	}
	c.debugMu.Lock()
	defer c.debugMu.Unlock()
	fmt.Fprintf(c.debug, "%s %s %s\n", time.Now().Format(time.RFC3339Nano), dir, b)
}

func (c *statsConn) close() {
	c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.conn.Close()
	if c.debug != nil {
		c.debug.Close()
	}
}

// statsMsg is one received message, or the error that ended reading.
type statsMsg struct {
	at   time.Time
	typ  string
	data []byte
	err  error
}

// watchStats connects, negotiates and runs the table until ctx is done, the connection fails,
// or (-once) the first round is printed.
func watchStats(ctx context.Context, g *globalFlags, opt statsOptions, out io.Writer) error {
	target, err := wsURL(g.Server, "/api/ws/stats")
	if err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	conn, debug, err := dial(ctx, g, "/api/ws/stats")
	if err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	c := &statsConn{conn: conn, debug: debug}
	defer c.close()

	subs, _ := json.Marshal(map[string][]string{"Subs": statsSubs})
	c.log(">", subs)
	if err := conn.WriteMessage(websocket.TextMessage, subs); err != nil {
		return fmt.Errorf("stats: cannot subscribe: %w", err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := conn.ReadMessage()
	if err != nil {
		return fmt.Errorf("stats: no reply to the subscription: %w", err)
	}
	c.log("<", b)
	var ack struct{ Resp string }
	if json.Unmarshal(b, &ack) != nil || ack.Resp != "ACK" {
		return fmt.Errorf("stats: subscription refused: %.200s", b)
	}

	msgs := make(chan statsMsg, 64)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		readStats(c, opt.idleTimeout, msgs, stop)
	}()
	defer wg.Wait()
	defer close(stop)
	defer conn.SetReadDeadline(time.Now()) // unblock the reader

	t := newStatsTable(target, time.Now())
	tick := time.NewTicker(opt.refresh)
	defer tick.Stop()
	var roundTimer <-chan time.Time
	if opt.once {
		tm := time.NewTimer(opt.roundTimeout)
		defer tm.Stop()
		roundTimer = tm.C
	}
	if opt.tty {
		io.WriteString(out, "\x1b[?25l\x1b[2J") // hide the cursor, clear the screen
		defer io.WriteString(out, "\x1b[?25h")
	}
	var screen bytes.Buffer
	lastStates, printed := "", false
	draw := func(now time.Time) error {
		screen.Reset()
		t.render(&screen, now)
		if opt.tty {
			var b bytes.Buffer
			b.WriteString("\x1b[H")
			for _, line := range strings.SplitAfter(screen.String(), "\n") {
				b.WriteString(strings.TrimSuffix(line, "\n"))
				if strings.HasSuffix(line, "\n") {
					b.WriteString("\x1b[K\n")
				}
			}
			b.WriteString("\x1b[J")
			_, err := out.Write(b.Bytes())
			return err
		}
		_, err := fmt.Fprintf(out, "%s\n", screen.Bytes())
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-roundTimer:
			return fmt.Errorf("stats: no complete round of stats within %v (still missing %s)", opt.roundTimeout, strings.Join(t.missing(), ", "))
		case now := <-tick.C:
			if opt.tty {
				if err := draw(now); err != nil {
					return err
				}
			} else if s := t.states(now); s != lastStates && !opt.once && printed {
				lastStates = s
				if err := draw(now); err != nil {
					return err
				}
			}
		case m := <-msgs:
			if m.err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("stats: connection lost: %w", m.err)
			}
			if err := t.apply(m.typ, m.data, m.at); err != nil && opt.once {
				return err
			}
			switch {
			case opt.once:
				if len(t.missing()) == 0 {
					return draw(m.at)
				}
			case opt.tty:
				if err := draw(m.at); err != nil {
					return err
				}
			case len(t.missing()) == 0 && (m.typ == "sysStats" || !printed):
				// plain: one table per sysStats round, the first once every type has arrived
				printed = true
				lastStates = t.states(m.at)
				if err := draw(m.at); err != nil {
					return err
				}
			}
		}
	}
}

// readStats reads messages until an error or stop, with a read deadline of idle per message.
func readStats(c *statsConn, idle time.Duration, msgs chan<- statsMsg, stop <-chan struct{}) {
	send := func(m statsMsg) bool {
		select {
		case msgs <- m:
			return true
		case <-stop:
			return false
		}
	}
	for {
		c.conn.SetReadDeadline(time.Now().Add(idle))
		_, b, err := c.conn.ReadMessage()
		if err != nil {
			send(statsMsg{err: err})
			return
		}
		c.log("<", b)
		var env envelope
		if err := json.Unmarshal(b, &env); err != nil {
			if !send(statsMsg{err: fmt.Errorf("server sent a message that is not JSON: %w", err)}) {
				return
			}
			continue
		}
		if !send(statsMsg{at: time.Now(), typ: env.Type, data: env.Data}) {
			return
		}
	}
}

// Client-side payload types of the current shapes (PROTOCOL.md §2.2–§2.5), as the Go client
// declares them.

type statsSysInfo struct {
	VirtSystem, VirtRole       string
	CPUCount                   int
	CPUModel, CPUMhz, CPUCache string
	TotalMemoryMB              uint64
	SystemVersion, Error       string
}

type statsHostSys struct {
	Uptime            uint64
	TotalMemory       uint64
	MemoryUsedPercent float64
	Disks             []struct {
		Mount, Partition string
		Total, Used      uint64
	}
	CPUUsage float64
	CPUCount int
	Net      struct{ Up, Down uint64 }
	IO       []struct {
		Device      string
		Read, Write uint64
	}
	LoadAverage struct {
		Load1 float64 `json:"load1"`
	}
	Iowait float64
}

type statsIdx struct {
	UUID       string
	Error      string
	IndexStats []struct {
		Name  string
		Stats []struct {
			Data, Entries uint64
			Path          string
			Cold          bool
		}
	}
}

// statsHost is one row of the table.
type statsHost struct {
	desc   statsSysInfo
	sys    *statsHostSys
	sysErr string
	idx    *statsIdx
	named  bool      // a ping has named this host
	state  string    // its latest ping state
	lastOK time.Time // when a ping last named it OK
}

// statsTable is the state of the watch: hosts from sysDesc, filled from the other messages.
type statsTable struct {
	target   string
	start    time.Time
	hosts    map[string]*statsHost
	lastPing time.Time
	seen     map[string]bool
	err      string // the last payload error, shown under the table
}

func newStatsTable(target string, start time.Time) *statsTable {
	return &statsTable{target: target, start: start, hosts: map[string]*statsHost{}, seen: map[string]bool{}}
}

func (t *statsTable) host(name string) *statsHost {
	h := t.hosts[name]
	if h == nil {
		h = &statsHost{}
		t.hosts[name] = h
	}
	return h
}

// apply folds one message into the table. A payload that does not decode is reported (and
// shown) but leaves the table as it was.
func (t *statsTable) apply(typ string, data []byte, now time.Time) error {
	var err error
	switch typ {
	case "sysDesc":
		var m map[string]statsSysInfo
		if err = json.Unmarshal(data, &m); err == nil {
			// a fresh sysDesc replaces the host list (PROTOCOL.md §2.1)
			for name := range t.hosts {
				if _, ok := m[name]; !ok {
					delete(t.hosts, name)
				}
			}
			for name, d := range m {
				t.host(name).desc = d
			}
		}
	case "ping":
		var m struct {
			States map[string]string
			Error  string
		}
		if err = json.Unmarshal(data, &m); err == nil {
			t.lastPing = now
			for addr, st := range m.States {
				h := t.host(addr)
				h.named, h.state = true, st
				if st == "OK" {
					h.lastOK = now
				}
			}
			if m.Error != "" {
				err = errors.New(m.Error)
			}
		}
	case "sysStats":
		var m struct {
			Stats map[string]struct {
				Stats *statsHostSys
				Error string
			}
			Error string
		}
		if err = json.Unmarshal(data, &m); err == nil {
			for name, s := range m.Stats {
				h := t.host(name)
				if s.Stats != nil {
					h.sys = s.Stats
				}
				h.sysErr = s.Error
			}
			if m.Error != "" {
				err = errors.New(m.Error)
			}
		}
	case "idxStats":
		var m struct {
			Stats map[string]statsIdx
			Error string
		}
		if err = json.Unmarshal(data, &m); err == nil {
			for addr, x := range m.Stats {
				t.host(addr).idx = &x
			}
			if m.Error != "" {
				err = errors.New(m.Error)
			}
		}
	default:
		return nil
	}
	if err != nil {
		err = fmt.Errorf("stats: %s: %w", typ, err)
		t.err = err.Error()
		return err
	}
	t.seen[typ] = true
	return nil
}

// missing lists the subscribed types not received yet.
func (t *statsTable) missing() []string {
	var out []string
	for _, typ := range statsSubs {
		if !t.seen[typ] {
			out = append(out, typ)
		}
	}
	return out
}

// state is a host's liveness at now. A host that pings name is OK while one named it OK within
// the last 30 s and DEAD after; a host pings never name (the webserver) follows the pings
// themselves. Until 30 s have passed since connecting, a host not yet confirmed is "waiting".
func (t *statsTable) state(h *statsHost, now time.Time) string {
	ref, alive := t.lastPing, !t.lastPing.IsZero()
	if h.named {
		ref, alive = h.lastOK, !h.lastOK.IsZero()
	}
	if !alive {
		ref = t.start
	}
	switch {
	case now.Sub(ref) > statsDeadAfter:
		return "DEAD"
	case h.named && h.state != "OK":
		return h.state
	case alive:
		return "OK"
	}
	return "waiting"
}

// states summarises every host's state, to notice changes.
func (t *statsTable) states(now time.Time) string {
	var b strings.Builder
	for _, name := range t.order() {
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(t.state(t.hosts[name], now))
		b.WriteByte(' ')
	}
	return b.String()
}

// order is the webserver first, then the other hosts by name.
func (t *statsTable) order() []string {
	names := make([]string, 0, len(t.hosts))
	for name := range t.hosts {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		if (names[i] == "webserver") != (names[j] == "webserver") {
			return names[i] == "webserver"
		}
		return names[i] < names[j]
	})
	return names
}

// render writes the table at now, in three sections that each fit an 80-column terminal:
// CPU and memory per host, network and disk per host, then entries stored per indexer and well.
func (t *statsTable) render(w io.Writer, now time.Time) {
	fmt.Fprintf(w, "sluice stats  %s  %s\n\n", t.target, now.Format("2006-01-02 15:04:05"))
	hosts := t.order()
	var notes []string
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "HOST\tSTATE\tCPUS\tCPU\tIOWAIT\tLOAD\tMEM\tMEM USED\n")
	for _, name := range hosts {
		h := t.hosts[name]
		cells := []string{strings.TrimSpace(name), t.state(h, now)}
		cpus := h.desc.CPUCount
		if s := h.sys; s != nil {
			if s.CPUCount > 0 {
				cpus = s.CPUCount
			}
			mem := s.TotalMemory
			if mem == 0 {
				mem = h.desc.TotalMemoryMB << 20
			}
			cells = append(cells, statsInt(cpus), statsPct(s.CPUUsage), statsPct(s.Iowait),
				strconv.FormatFloat(s.LoadAverage.Load1, 'f', 2, 64), statsBytes(mem), statsPct(s.MemoryUsedPercent))
		} else {
			cells = append(cells, statsInt(cpus), "-", "-", "-", statsBytes(h.desc.TotalMemoryMB<<20), "-")
		}
		fmt.Fprint(tw, strings.Join(cells, "\t")+"\n")
		for _, e := range []string{h.desc.Error, h.sysErr, idxErr(h.idx)} {
			if e != "" {
				notes = append(notes, name+": "+e)
			}
		}
	}
	tw.Flush()
	if len(t.hosts) == 0 {
		fmt.Fprintln(w, "(no hosts yet: waiting for sysDesc)")
	}

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "HOST\tNET UP\tNET DOWN\tDISK USED\tDISK READ\tDISK WRITE\n")
	for _, name := range hosts {
		h := t.hosts[name]
		cells := []string{strings.TrimSpace(name)}
		if s := h.sys; s != nil {
			var used, total, rd, wr uint64
			for _, d := range s.Disks {
				used += d.Used
				total += d.Total
			}
			for _, d := range s.IO {
				rd += d.Read
				wr += d.Write
			}
			cells = append(cells, statsBytes(s.Net.Up)+"/s", statsBytes(s.Net.Down)+"/s", statsDisk(used, total),
				statsBytes(rd)+"/s", statsBytes(wr)+"/s")
		} else {
			cells = append(cells, "-", "-", "-", "-", "-")
		}
		fmt.Fprint(tw, strings.Join(cells, "\t")+"\n")
	}
	tw.Flush()

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "HOST / WELL\tENTRIES\tSTORED\n")
	for _, name := range hosts {
		h := t.hosts[name]
		x := h.idx
		if x == nil {
			continue
		}
		var entries, data uint64
		for _, w := range x.IndexStats {
			for _, s := range w.Stats {
				entries += s.Entries
				data += s.Data
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", strings.TrimSpace(name), thousands(entries), statsBytes(data))
		for _, w := range x.IndexStats {
			var entries, data uint64
			cold := ""
			for _, s := range w.Stats {
				entries += s.Entries
				data += s.Data
				if s.Cold {
					cold = " (+cold)"
				}
			}
			fmt.Fprintf(tw, "  %s%s\t%s\t%s\n", w.Name, cold, thousands(entries), statsBytes(data))
		}
	}
	tw.Flush()
	for _, n := range notes {
		fmt.Fprintln(w, "!", n)
	}
	if t.err != "" {
		fmt.Fprintln(w, "!", t.err)
	}
}

func idxErr(x *statsIdx) string {
	if x == nil {
		return ""
	}
	return x.Error
}

func statsInt(n int) string {
	if n <= 0 {
		return "-"
	}
	return strconv.Itoa(n)
}

func statsPct(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) + "%" }

func statsDisk(used, total uint64) string {
	if total == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%% of %s", float64(used)/float64(total)*100, statsBytes(total))
}

// statsBytes formats n bytes with IEC units: "512B", "1.7KiB", "226.6GiB".
func statsBytes(n uint64) string {
	if n < 1024 {
		return strconv.FormatUint(n, 10) + "B"
	}
	f := float64(n)
	unit := 0
	for f >= 1024 && unit < 6 {
		f /= 1024
		unit++
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + [...]string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}[unit]
}
