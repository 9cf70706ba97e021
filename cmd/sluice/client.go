package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/valyala/fastjson"
)

// searchClient is a minimal search-socket client (PROTOCOL.md §3) in lockstep, as the Gravwell
// Go client works: one request, then the reply on the same channel.
type searchClient struct {
	conn    *websocket.Conn
	parser  fastjson.Parser // for incoming messages; values are valid until the next read
	debug   *os.File
	debugMu sync.Mutex
	channel string
	launch  launchResponse
}

type launchResponse struct {
	Error                string
	RenderModule         string
	OutputSearchSubproto string
	SearchID             string
	SearchStartRange     string
	SearchEndRange       string
}

// wsURL turns the -server URL into the websocket URL of path.
func wsURL(server, path string) (string, error) {
	if !strings.Contains(server, "://") {
		server = "http://" + server // a bare host:port
	}
	u, err := url.Parse(server)
	if err != nil {
		return "", fmt.Errorf("bad -server %q: %w", server, err)
	}
	switch u.Scheme {
	case "http", "ws", "":
		u.Scheme = "ws"
	case "https", "wss":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("bad -server %q: scheme must be http, https, ws or wss", server)
	}
	if u.Host == "" {
		return "", fmt.Errorf("bad -server %q: no host", server)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	return u.String(), nil
}

func dial(ctx context.Context, g *globalFlags, path string) (*websocket.Conn, *os.File, error) {
	target, err := wsURL(g.Server, path)
	if err != nil {
		return nil, nil, err
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
			return nil, nil, fmt.Errorf("cannot connect to %s: %s", target, resp.Status)
		}
		return nil, nil, fmt.Errorf("cannot connect to %s: %w", target, err)
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

func (c *searchClient) logMsg(dir string, b []byte) {
	if c.debug == nil {
		return
	}
	c.debugMu.Lock()
	fmt.Fprintf(c.debug, "%s %s %s\n", time.Now().Format(time.RFC3339Nano), dir, strings.TrimRight(string(b), "\n"))
	c.debugMu.Unlock()
}

func (c *searchClient) writeRaw(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.logMsg(">", b)
	return c.conn.WriteMessage(websocket.TextMessage, b)
}

func (c *searchClient) send(channel string, data any) error {
	return c.writeRaw(map[string]any{"type": channel, "data": data})
}

type envelope struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// nextValue reads messages until one arrives on channel and returns its parsed data. The value
// is valid until the next read.
func (c *searchClient) nextValue(channel string, timeout time.Duration) (*fastjson.Value, error) {
	for {
		c.conn.SetReadDeadline(time.Now().Add(timeout))
		_, b, err := c.conn.ReadMessage()
		if err != nil {
			return nil, err
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
func (c *searchClient) next(channel string, timeout time.Duration) ([]byte, error) {
	v, err := c.nextValue(channel, timeout)
	if err != nil {
		return nil, err
	}
	return v.MarshalTo(nil), nil
}

// openSearch connects, negotiates, launches query over [start, end) and acknowledges it.
func openSearch(ctx context.Context, g *globalFlags, query string, start, end time.Time) (*searchClient, error) {
	conn, debug, err := dial(ctx, g, "/api/ws/search")
	if err != nil {
		return nil, err
	}
	c := &searchClient{conn: conn, debug: debug}
	fail := func(err error) (*searchClient, error) { c.Close(); return nil, err }
	if err := c.writeRaw(map[string]any{"Subs": []string{"PONG", "parse", "search", "attach"}}); err != nil {
		return fail(err)
	}
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := c.conn.ReadMessage()
	if err != nil {
		return fail(fmt.Errorf("no negotiation reply: %w", err))
	}
	c.logMsg("<", b)
	var ack struct{ Resp string }
	if json.Unmarshal(b, &ack) != nil || ack.Resp != "ACK" {
		return fail(fmt.Errorf("negotiation refused: %s", b))
	}
	err = c.send("search", map[string]any{"SearchString": query,
		"SearchStart": start.UTC().Format(time.RFC3339Nano), "SearchEnd": end.UTC().Format(time.RFC3339Nano),
		"LaunchInfo": map[string]any{"method": "manual"}})
	if err != nil {
		return fail(err)
	}
	data, err := c.next("search", 30*time.Second)
	if err != nil {
		return fail(err)
	}
	if err := json.Unmarshal(data, &c.launch); err != nil {
		return fail(err)
	}
	if c.launch.Error != "" {
		return fail(errors.New(c.launch.Error))
	}
	c.channel = c.launch.OutputSearchSubproto
	if err := c.send("search", map[string]any{"OK": true, "OutputSearchSubproto": c.channel}); err != nil {
		return fail(err)
	}
	return c, nil
}

// requestValue sends one render request and returns its parsed reply, failing on RESP_ERROR.
// The value is valid until the next read.
func (c *searchClient) requestValue(req map[string]any) (*fastjson.Value, error) {
	if err := c.send(c.channel, req); err != nil {
		return nil, err
	}
	v, err := c.nextValue(c.channel, 60*time.Second)
	if err != nil {
		return nil, err
	}
	if msg := v.GetStringBytes("Error"); len(msg) > 0 {
		return nil, errors.New(string(msg))
	}
	return v, nil
}

// request is requestValue returning the reply as JSON bytes.
func (c *searchClient) request(req map[string]any) ([]byte, error) {
	v, err := c.requestValue(req)
	if err != nil {
		return nil, err
	}
	return v.MarshalTo(nil), nil
}

// waitFinished polls REQ_ENTRY_COUNT until the search has finished, calling progress with the
// entry count so far.
func (c *searchClient) waitFinished(ctx context.Context, progress func(count uint64)) (uint64, error) {
	for {
		data, err := c.request(map[string]any{"ID": 3})
		if err != nil {
			return 0, err
		}
		var r struct {
			Finished   bool
			EntryCount uint64
		}
		if err := json.Unmarshal(data, &r); err != nil {
			return 0, err
		}
		if progress != nil {
			progress(r.EntryCount)
		}
		if r.Finished {
			return r.EntryCount, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Close sends REQ_CLOSE when a search is open and closes the socket.
func (c *searchClient) Close() error {
	if c.channel != "" {
		c.send(c.channel, map[string]any{"ID": 1})
		c.next(c.channel, 2*time.Second)
	}
	c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	err := c.conn.Close()
	if c.debug != nil {
		c.debug.Close()
	}
	return err
}

// parseWhen reads a time flag: RFC 3339, "now", or a negative duration relative to now ("-24h").
func parseWhen(s string, now time.Time) (time.Time, error) {
	switch {
	case s == "" || s == "now":
		return now, nil
	case strings.HasPrefix(s, "-"):
		rel := s[1:]
		if days, ok := strings.CutSuffix(rel, "d"); ok { // time.ParseDuration has no days
			n, err := strconv.Atoi(days)
			if err != nil || n < 0 {
				return time.Time{}, fmt.Errorf("bad relative time %q: want -N d, or a Go duration such as -90m", s)
			}
			return now.AddDate(0, 0, -n), nil
		}
		d, err := time.ParseDuration(rel)
		if err != nil {
			return time.Time{}, fmt.Errorf("bad relative time %q: %w", s, err)
		}
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad time %q: want RFC 3339, now, or -DURATION", s)
	}
	return t, nil
}
