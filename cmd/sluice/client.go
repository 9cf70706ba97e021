package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/valyala/fastjson"
)

// Render request IDs the client sends (PROTOCOL.md §4.2).
const (
	reqClose      = 1
	reqEntryCount = 3
	reqDetails    = 4
	reqTags       = 5
	reqGetEntries = 16
	reqStreaming  = 17
	reqStatsGet   = 2130706435
)

// searchConn is a minimal search-socket client (PROTOCOL.md §3) in lockstep, as the Gravwell
// Go client works: one request, then the reply on the same channel. One socket may carry
// several searches (launches and attaches) one after the other.
type searchConn struct {
	conn    *websocket.Conn
	parser  fastjson.Parser // for incoming messages; values are valid until the next read
	debug   *os.File
	debugMu sync.Mutex
	stop    func() bool // stops the context watcher
	ctx     context.Context
}

// wsURL turns the -server URL into the websocket URL of path.
func wsURL(server, path string) (string, error) {
	u, err := serverURL(server)
	if err != nil {
		return "", err
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	return u.String(), nil
}

// httpURL turns the -server URL into the http(s) URL of path.
func httpURL(server, path string) (string, error) {
	u, err := serverURL(server)
	if err != nil {
		return "", err
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	return u.String(), nil
}

// serverURL parses -server: http(s) as given, ws(s) mapped to http(s), a bare host:port taken
// as http.
func serverURL(server string) (*url.URL, error) {
	if !strings.Contains(server, "://") {
		server = "http://" + server // a bare host:port
	}
	u, err := url.Parse(server)
	if err != nil {
		return nil, fmt.Errorf("bad -server %q: %w", server, err)
	}
	switch u.Scheme {
	case "http", "ws", "":
		u.Scheme = "http"
	case "https", "wss":
		u.Scheme = "https"
	default:
		return nil, fmt.Errorf("bad -server %q: scheme must be http, https, ws or wss", server)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("bad -server %q: no host", server)
	}
	return u, nil
}

// authError explains a refused handshake or request: what to set, and what was sent.
func authError(status string, g *globalFlags) error { return authErrorToken(status, g.Token) }

// authErrorToken is authError for the token sent.
func authErrorToken(status, token string) *codeError {
	msg := "the server refused the request (" + status + "): "
	if token == "" {
		msg += "it requires a token; set -token TOKEN or the SLUICE_TOKEN environment variable"
	} else {
		msg += "the token given with -token or SLUICE_TOKEN was not accepted; check it, or ask for one (sluiced token add)"
	}
	return &codeError{code: exitAuth, msg: msg}
}

func dial(ctx context.Context, g *globalFlags, path string) (*websocket.Conn, *os.File, error) {
	target, err := wsURL(g.Server, path)
	if err != nil {
		return nil, nil, usageErr(err.Error())
	}
	h := http.Header{}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 1 << 16, WriteBufferSize: 1 << 12}
	if g.Token != "" {
		h.Set("Authorization", "Bearer "+g.Token)
		d.Subprotocols = []string{g.Token}
	}
	conn, resp, err := d.DialContext(ctx, target, h)
	if err != nil {
		if resp != nil {
			if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
				return nil, nil, authError(resp.Status, g)
			}
			return nil, nil, fmt.Errorf("cannot connect to %s: %s", target, resp.Status)
		}
		if ctx.Err() != nil {
			return nil, nil, errInterrupted
		}
		return nil, nil, fmt.Errorf("cannot connect to %s: %w (is sluiced running? set -server or SLUICE_SERVER)", target, err)
	}
	conn.SetReadLimit(1 << 30)
	var debug *os.File
	if g.Debug != "" {
		if debug, err = os.OpenFile(g.Debug, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
			conn.Close()
			return nil, nil, err
		}
	}
	return conn, debug, nil
}

// dialSearch connects to the search socket and negotiates its base channels. The socket is
// closed when ctx is cancelled, which ends any read in progress.
func dialSearch(ctx context.Context, g *globalFlags) (*searchConn, error) {
	conn, debug, err := dial(ctx, g, "/api/ws/search")
	if err != nil {
		return nil, err
	}
	c := &searchConn{conn: conn, debug: debug, ctx: ctx}
	c.stop = context.AfterFunc(ctx, func() { conn.Close() })
	if err := c.writeRaw(map[string]any{"Subs": []string{"PONG", "parse", "search", "attach"}}); err != nil {
		c.Close()
		return nil, c.readErr(err)
	}
	c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, b, err := c.conn.ReadMessage()
	if err != nil {
		c.Close()
		return nil, c.readErr(fmt.Errorf("no negotiation reply: %w", err))
	}
	c.logMsg("<", b)
	var ack struct{ Resp string }
	if json.Unmarshal(b, &ack) != nil || ack.Resp != "ACK" {
		c.Close()
		return nil, fmt.Errorf("negotiation refused: %s", b)
	}
	return c, nil
}

// readErr turns a read or write error after the context was cancelled into errInterrupted.
func (c *searchConn) readErr(err error) error {
	if c.ctx != nil && c.ctx.Err() != nil {
		return errInterrupted
	}
	return err
}

func (c *searchConn) logMsg(dir string, b []byte) {
	if c.debug == nil {
		return
	}
	c.debugMu.Lock()
	fmt.Fprintf(c.debug, "%s %s %s\n", time.Now().Format(time.RFC3339Nano), dir, strings.TrimRight(string(b), "\n"))
	c.debugMu.Unlock()
}

func (c *searchConn) writeRaw(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.logMsg(">", b)
	return c.conn.WriteMessage(websocket.TextMessage, b)
}

func (c *searchConn) send(channel string, data any) error {
	return c.readErr(c.writeRaw(map[string]any{"type": channel, "data": data}))
}

// nextValue reads messages until one arrives on channel and returns its parsed data. The value
// is valid until the next read.
func (c *searchConn) nextValue(channel string, timeout time.Duration) (*fastjson.Value, error) {
	for {
		c.conn.SetReadDeadline(time.Now().Add(timeout))
		_, b, err := c.conn.ReadMessage()
		if err != nil {
			return nil, c.readErr(err)
		}
		c.logMsg("<", b)
		v, err := c.parser.ParseBytes(b)
		if err != nil {
			return nil, fmt.Errorf("server sent a message that is not JSON: %w", err)
		}
		if string(v.GetStringBytes("type")) == channel {
			data := v.Get("data")
			if data == nil {
				return nil, fmt.Errorf("message on %q has no data", channel)
			}
			return data, nil
		}
	}
}

// next is nextValue returning the data as JSON bytes, for small replies decoded with
// encoding/json.
func (c *searchConn) next(channel string, timeout time.Duration) ([]byte, error) {
	v, err := c.nextValue(channel, timeout)
	if err != nil {
		return nil, err
	}
	return v.MarshalTo(nil), nil
}

// Close closes the socket politely.
func (c *searchConn) Close() error {
	c.stop()
	c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	err := c.conn.Close()
	if c.debug != nil {
		c.debug.Close()
	}
	return err
}

// searchHandle is one search on a searchConn: a launch or an attach, with its output channel
// and what its replies said about the results.
type searchHandle struct {
	c         *searchConn
	channel   string
	id        string
	renderer  string
	renderCmd string
	query     string // the query as run (for the local parse that finds "over" windows)
	status    resultStatus
	closed    bool
}

// launch starts query over [start, end) and acknowledges it. A background search outlives
// the socket.
func (c *searchConn) launch(query string, start, end time.Time, background bool) (*searchHandle, error) {
	req := map[string]any{"SearchString": query,
		"SearchStart": start.UTC().Format(time.RFC3339Nano), "SearchEnd": end.UTC().Format(time.RFC3339Nano),
		"LaunchInfo": map[string]any{"method": "manual"}}
	if background {
		req["Background"] = true
	}
	if err := c.send("search", req); err != nil {
		return nil, err
	}
	data, err := c.next("search", 60*time.Second)
	if err != nil {
		return nil, err
	}
	var r struct {
		Error                string
		RenderModule         string
		RenderCmd            string
		SearchString         string
		OutputSearchSubproto string
		SearchID             string
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	if r.Error != "" {
		return nil, fmt.Errorf("search refused: %s", r.Error)
	}
	if err := c.send("search", map[string]any{"OK": true, "OutputSearchSubproto": r.OutputSearchSubproto}); err != nil {
		return nil, err
	}
	q := r.SearchString
	if q == "" {
		q = query
	}
	return &searchHandle{c: c, channel: r.OutputSearchSubproto, id: r.SearchID, renderer: r.RenderModule,
		renderCmd: r.RenderCmd, query: q}, nil
}

// openSearch connects to the search socket and launches query over [start, end). done closes
// the search (unless it runs in the background) and the socket.
func openSearch(ctx context.Context, g *globalFlags, query string, start, end time.Time, background bool) (h *searchHandle, done func(), err error) {
	c, err := dialSearch(ctx, g)
	if err != nil {
		return nil, nil, err
	}
	h, err = c.launch(query, start, end, background)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return h, func() {
		if !background {
			h.close()
		}
		c.Close()
	}, nil
}

// attach joins the live search id (PROTOCOL.md §3.6).
func (c *searchConn) attach(id string) (*searchHandle, error) {
	if err := c.send("attach", map[string]any{"ID": id}); err != nil {
		return nil, err
	}
	data, err := c.next("attach", 60*time.Second)
	if err != nil {
		return nil, err
	}
	var r struct {
		Error       string
		Subproto    string
		RendererMod string
		RendererCmd string
		Info        struct{ EffectiveQuery, Error string }
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	if r.Error != "" {
		return nil, fmt.Errorf("cannot attach to search %s: %s (sluice searches lists the live ones)", id, r.Error)
	}
	h := &searchHandle{c: c, channel: r.Subproto, id: id, renderer: r.RendererMod, renderCmd: r.RendererCmd,
		query: r.Info.EffectiveQuery}
	h.status.searchErr = r.Info.Error
	return h, nil
}

// requestValue sends one render request and returns its parsed reply, failing on RESP_ERROR.
// Every reply updates the handle's status. The value is valid until the next read.
func (h *searchHandle) requestValue(req map[string]any) (*fastjson.Value, error) {
	if err := h.c.send(h.channel, req); err != nil {
		return nil, err
	}
	v, err := h.next(60 * time.Second)
	if err != nil {
		return nil, err
	}
	if msg := v.GetStringBytes("Error"); len(msg) > 0 {
		return nil, errors.New(string(msg))
	}
	return v, nil
}

// next reads the next message on the handle's channel and records its status fields.
func (h *searchHandle) next(timeout time.Duration) (*fastjson.Value, error) {
	v, err := h.c.nextValue(h.channel, timeout)
	if err != nil {
		return nil, err
	}
	h.status.observe(v)
	return v, nil
}

// request is requestValue returning the reply as JSON bytes.
func (h *searchHandle) request(req map[string]any) ([]byte, error) {
	v, err := h.requestValue(req)
	if err != nil {
		return nil, err
	}
	return v.MarshalTo(nil), nil
}

// Poll intervals of wait: the first poll comes at once, then the interval doubles from
// pollFirst up to pollMax, so a search that takes 20 ms is printed after about 20 ms and a long
// one costs a few requests a second.
const (
	pollFirst = time.Millisecond
	pollMax   = 100 * time.Millisecond
)

// wait polls REQ_ENTRY_COUNT until the search has finished, calling progress with the entry
// count so far.
func (h *searchHandle) wait(ctx context.Context, progress func(count uint64)) error {
	interval := pollFirst
	for {
		if _, err := h.requestValue(map[string]any{"ID": reqEntryCount}); err != nil {
			return err
		}
		if progress != nil {
			progress(h.status.entryCount)
		}
		if h.status.finished {
			return nil
		}
		select {
		case <-ctx.Done():
			return errInterrupted
		case <-time.After(interval):
		}
		interval = min(interval*2, pollMax)
	}
}

// close sends REQ_CLOSE: this consumer leaves the search (PROTOCOL.md §3.8).
func (h *searchHandle) close() {
	if h.closed || h.c.ctx.Err() != nil {
		return
	}
	h.closed = true
	if h.c.send(h.channel, map[string]any{"ID": reqClose}) == nil {
		for {
			v, err := h.c.nextValue(h.channel, 2*time.Second)
			if err != nil || v.GetUint("ID") == reqClose {
				return
			}
		}
	}
}

// verdict asks the server for the search's details and returns nil when the printed results
// are the whole truth, or an *incompleteError saying, in words, what is missing and why.
// printed is how many results were printed; complete is false when the user asked for fewer
// (-limit), which is not a problem.
func (h *searchHandle) verdict(printed uint64, entries bool) error {
	if v, err := h.requestValue(map[string]any{"ID": reqDetails}); err == nil {
		if msg := v.Get("SearchInfo").GetStringBytes("Error"); len(msg) > 0 {
			h.status.searchErr = string(msg)
		}
	} else if h.c.ctx.Err() == nil {
		return fmt.Errorf("cannot read the search's details to check the results are complete: %w", err)
	}
	return h.status.problems(printed, entries)
}

// resultStatus gathers what the server's replies said about a search's results (PROTOCOL.md
// §4.3): the render store limit, warnings, and a run-time failure.
type resultStatus struct {
	overLimit          bool
	dropStart, dropEnd string
	warning            string
	finished           bool
	entryCount         uint64 // from REQ_ENTRY_COUNT: entries that entered the renderer
	searchErr          string
}

// observe records the status fields of one reply.
func (s *resultStatus) observe(v *fastjson.Value) {
	if v.GetBool("OverLimit") {
		s.overLimit = true
		if r := v.Get("LimitDroppedRange"); r != nil {
			s.dropStart = string(r.GetStringBytes("StartTS"))
			s.dropEnd = string(r.GetStringBytes("EndTS"))
		}
	}
	if w := v.GetStringBytes("Warning"); len(w) > 0 {
		s.warning = string(w)
	}
	if v.GetUint("ID") == reqEntryCount {
		s.entryCount = v.GetUint64("EntryCount")
		s.finished = v.GetBool("Finished")
	}
}

// problems returns the incompleteError for the status, or nil.
func (s *resultStatus) problems(printed uint64, entries bool) error {
	e := &incompleteError{}
	add := func(code int, msg string) {
		if e.code == 0 {
			e.code = code
		}
		e.problems = append(e.problems, msg)
	}
	if s.searchErr != "" {
		add(exitFailed, "the search failed on the server: "+s.searchErr+"; the results printed are partial")
	}
	if s.overLimit {
		msg := "results truncated: the server's render store limit was reached"
		if s.dropStart != "" && !strings.HasPrefix(s.dropStart, "0001-") {
			msg += " and the results between " + s.dropStart + " and " + s.dropEnd + " were dropped"
		}
		if entries && s.entryCount > printed {
			msg += " (" + thousands(printed) + " of " + thousands(s.entryCount) + " entries printed, " +
				thousands(s.entryCount-printed) + " missing)"
		}
		msg += "; raise render_store_limit_mb on the server, or narrow the query or its time range"
		add(exitTruncated, msg)
	}
	if !s.overLimit && entries && s.entryCount > printed {
		add(exitTruncated, "results incomplete: the server counted "+thousands(s.entryCount)+" entries but sent "+
			thousands(printed)+"; "+thousands(s.entryCount-printed)+" are missing")
	}
	if s.warning != "" && !(s.overLimit && strings.HasPrefix(s.warning, "render store limit")) {
		add(exitWarning, "warning from the server: "+s.warning)
	}
	if e.code == 0 {
		return nil
	}
	return e
}

func thousands(n uint64) string { return string(appendThousands(nil, int64(n))) }
