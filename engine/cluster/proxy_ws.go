package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/valyala/fastjson"

	"github.com/sluicehq/sluice/engine/access"
	"github.com/sluicehq/sluice/wire"
)

// Attach implements engine.ClusterSearches.Attach: it opens a search socket to the webserver
// holding search id (as principal p, by a proxy credential), attaches there, and relays the
// output channel both ways: the client's render requests on channel go to the holder's
// channel, the holder's replies (REQ_STREAMING blocks included) come back through deliver,
// which blocks while the client's socket is backed up, so a slow client slows the holder's
// stream through TCP and nothing is buffered without bound. It returns nil functions and a
// nil error when no other webserver holds a search id that p may see, and an error naming
// the webserver when the holder is gone or does not answer.
//
// NOTE: the holder answers in order, so the relay keeps the requests awaiting replies; when
// the holder's socket drops, each of them, and every later request, is answered RESP_ERROR
// naming the webserver, so a lockstep client never waits forever.
func (r *Registry) Attach(ctx context.Context, p *access.Principal, id, channel string, deliver func([]byte) error,
	ended func()) (send func([]byte), stop func(), reply []byte, err error) {
	rec, ok := r.remote(ctx, p, id)
	if !ok {
		return nil, nil, nil, nil
	}
	if why := r.gone(rec); why != "" {
		return nil, nil, nil, goneError(id, why)
	}
	who := "webserver " + rec.Node + " (" + rec.Addr + ")"
	dctx, cancel := r.dialContext(ctx)
	defer cancel()
	hdr := http.Header{}
	hdr.Set(ProxyHeader, r.credential(p, id, rec.Node))
	d := websocket.Dialer{HandshakeTimeout: r.n.cfg.ProxyDialTimeout}
	conn, resp, err := d.DialContext(dctx, "ws://"+rec.Addr+"/api/ws/search", hdr)
	if err != nil {
		if resp != nil {
			err = fmt.Errorf("%w (HTTP %s)", err, resp.Status)
		}
		return nil, nil, nil, fmt.Errorf("search %s is held by %s, which did not answer: %w", id, who, err)
	}
	rl := &relay{r: r, conn: conn, id: id, who: who, channel: channel, deliver: deliver, ended: ended}
	reply, err = rl.attach(dctx)
	if err != nil {
		conn.Close()
		return nil, nil, nil, err
	}
	r.n.log.Debug("cluster: attach relayed", "search", id, "node", rec.Node, "principal", p.Name)
	go rl.read()
	go rl.keepAlive()
	return rl.send, rl.close, reply, nil
}

// relay is one output channel relayed to the webserver holding its search.
type relay struct {
	r       *Registry
	conn    *websocket.Conn
	id, who string
	channel string // the client's name of the channel
	remote  string // the holder's name of it
	prefix  []byte // `{"type":"<remote>","data":` as the holder frames its messages
	deliver func([]byte) error
	ended   func()

	wmu sync.Mutex // one writer at a time (gorilla/websocket)

	mu      sync.Mutex
	pending []pendingReq // requests sent, replies not yet relayed, in order
	gone    string       // why the holder's socket is over ("" while it is up)
	closing bool
	done    bool // ended was called or the client closed
	lastOut time.Time
}

// pendingReq is a request awaiting its reply: enough to answer it with RESP_ERROR.
type pendingReq struct {
	id       uint32
	addendum []byte
}

// attach negotiates the holder's search socket and attaches to the search, returning the
// attach reply for the client with its Subproto renamed to the client's channel.
func (rl *relay) attach(ctx context.Context) ([]byte, error) {
	if dl, ok := ctx.Deadline(); ok {
		rl.conn.SetReadDeadline(dl)
		defer rl.conn.SetReadDeadline(time.Time{})
	}
	fail := func(err error) error {
		return fmt.Errorf("search %s is held by %s: cannot attach through it: %w", rl.id, rl.who, err)
	}
	if err := rl.conn.WriteMessage(websocket.TextMessage, []byte(`{"Subs":["attach","PONG"]}`)); err != nil {
		return nil, fail(err)
	}
	var ack struct{ Resp string }
	if err := rl.conn.ReadJSON(&ack); err != nil || ack.Resp != "ACK" {
		return nil, fail(fmt.Errorf("negotiation: %q, %v", ack.Resp, err))
	}
	req, _ := json.Marshal(map[string]any{"type": "attach", "data": map[string]string{"ID": rl.id}})
	if err := rl.conn.WriteMessage(websocket.TextMessage, req); err != nil {
		return nil, fail(err)
	}
	var ep wire.EnvelopeParser
	var env wire.Envelope
	for {
		_, msg, err := rl.conn.ReadMessage()
		if err != nil {
			return nil, fail(err)
		}
		if ep.Parse(msg, &env) != nil || string(env.Type) != "attach" {
			continue
		}
		var p fastjson.Parser
		v, err := p.ParseBytes(env.Data)
		if err != nil {
			return nil, fail(err)
		}
		if e := v.GetStringBytes("Error"); len(e) > 0 {
			// The holder's own answer ("search ID not found" when the principal may not see
			// it there): passed on as it is, as a direct attach would give it.
			return nil, errors.New(string(e))
		}
		rl.remote = string(v.GetStringBytes("Subproto"))
		if rl.remote == "" {
			return nil, fail(errors.New("attach reply without Subproto"))
		}
		rl.prefix = wire.BeginMessage(nil, rl.remote)[wire.HeaderRoom:]
		var a fastjson.Arena
		v.Set("Subproto", a.NewString(rl.channel))
		return v.MarshalTo(nil), nil
	}
}

// send forwards one client request to the holder, or answers it RESP_ERROR when the holder
// is gone.
func (rl *relay) send(data []byte) {
	var rp wire.RequestParser
	var req wire.Request
	perr := rp.Parse(data, &req)
	pr := pendingReq{id: req.ID, addendum: append([]byte(nil), req.Addendum...)}
	rl.mu.Lock()
	if rl.done {
		rl.mu.Unlock()
		return
	}
	gone := rl.gone
	if gone == "" {
		rl.pending = append(rl.pending, pr)
		if perr == nil && req.ID == wire.ReqClose {
			rl.closing = true
		}
		rl.lastOut = time.Now()
	}
	rl.mu.Unlock()
	if gone != "" {
		rl.fail(pr, gone)
		if perr == nil && req.ID == wire.ReqClose {
			rl.finish()
		}
		return
	}
	msg := make([]byte, 0, len(rl.prefix)+len(data)+1)
	msg = append(append(append(msg, rl.prefix...), data...), '}')
	rl.wmu.Lock()
	rl.conn.SetWriteDeadline(time.Now().Add(rl.r.n.cfg.ProxyDialTimeout))
	err := rl.conn.WriteMessage(websocket.TextMessage, msg)
	rl.wmu.Unlock()
	if err != nil {
		rl.conn.Close() // the reader sees it and answers what is pending
	}
}

// fail answers pr with RESP_ERROR naming the gone holder.
func (rl *relay) fail(pr pendingReq, why string) {
	b := wire.AppendErrorResponse(nil, &wire.BaseResponse{ID: pr.id, Addendum: pr.addendum},
		"search "+rl.id+" is held by "+rl.who+", which is gone: "+why)
	rl.deliver(b)
}

// read relays the holder's messages on its channel to the client until the socket ends.
// Messages are read into one reused buffer: deliver copies what it sends.
func (rl *relay) read() {
	var ep wire.EnvelopeParser
	var env wire.Envelope
	var buf bytes.Buffer
	for {
		msg, err := readMessage(rl.conn, &buf)
		if err != nil {
			rl.lost(err)
			return
		}
		data, ok := rl.unwrap(msg, &ep, &env)
		if !ok {
			continue // PONG replies and anything not on the relayed channel
		}
		closed := rl.replied(data)
		if err := rl.deliver(data); err != nil {
			rl.close() // the client's socket is gone
			return
		}
		if closed {
			rl.finish()
			return
		}
	}
}

// readMessage reads the next message into buf, reused (its bytes are valid until the next
// call), keeping buf from holding on to more than twice a typical block once a huge message
// has passed.
func readMessage(conn *websocket.Conn, buf *bytes.Buffer) ([]byte, error) {
	_, r, err := conn.NextReader()
	if err != nil {
		return nil, err
	}
	if buf.Cap() > maxKeptBuffer {
		*buf = bytes.Buffer{}
	}
	buf.Reset()
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// maxKeptBuffer is the largest read buffer a relay keeps between messages (a few streaming
// blocks); a larger one, after a huge page, is dropped.
const maxKeptBuffer = 4 << 20

// unwrap returns the data of a message on the holder's channel. The holder frames every
// message as wire.BeginMessage does, so the data is cut out without a parse; anything else
// goes through the envelope parser.
func (rl *relay) unwrap(msg []byte, ep *wire.EnvelopeParser, env *wire.Envelope) ([]byte, bool) {
	if bytes.HasPrefix(msg, rl.prefix) && len(msg) > len(rl.prefix) && msg[len(msg)-1] == '}' {
		return msg[len(rl.prefix) : len(msg)-1], true
	}
	if ep.Parse(msg, env) != nil || string(env.Type) != rl.remote {
		return nil, false
	}
	return env.Data, true
}

var finishedTrue = []byte(`"Finished":true`)

// replied updates the pending requests for one reply and reports whether it answers a
// REQ_CLOSE (the channel is then over). Replies come in request order, one each, except a
// REQ_STREAMING, which ends with its terminator (Finished: true) or an error.
func (rl *relay) replied(data []byte) bool {
	id, ok := replyID(data)
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if !ok {
		return false
	}
	if id == wire.ReqClose && rl.closing {
		rl.pending = nil // the close reply is the last message; it also ends a stream
		return true
	}
	if len(rl.pending) == 0 {
		return false
	}
	front := rl.pending[0]
	if front.id == wire.ReqStreaming && id == wire.ReqStreaming && !bytes.Contains(data, finishedTrue) {
		return false // a block of a stream still running
	}
	rl.pending = rl.pending[1:]
	return false
}

// replyID reads the ID a reply starts with ({"ID":N, as wire.AppendResponseHead writes it).
func replyID(data []byte) (uint32, bool) {
	rest, ok := bytes.CutPrefix(data, []byte(`{"ID":`))
	if !ok {
		return 0, false
	}
	n := 0
	for n < len(rest) && n < 10 && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	v, err := strconv.ParseUint(string(rest[:n]), 10, 32)
	if err != nil {
		return 0, false
	}
	return uint32(v), true
}

// lost answers every pending request RESP_ERROR once the holder's socket is over.
func (rl *relay) lost(err error) {
	why := err.Error()
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		why = "its socket closed (" + strconv.Itoa(ce.Code) + " " + ce.Text + ")"
	}
	rl.mu.Lock()
	if rl.gone == "" {
		rl.gone = why
	}
	pending := rl.pending
	rl.pending = nil
	done, closing := rl.done, rl.closing
	rl.mu.Unlock()
	if done {
		return
	}
	rl.r.n.log.Info("cluster: relayed search socket lost", "search", rl.id, "holder", rl.who, "err", err)
	for _, pr := range pending {
		rl.fail(pr, why)
	}
	if closing {
		rl.finish()
	}
}

// finish ends the channel: the client's REQ_CLOSE was answered.
func (rl *relay) finish() {
	rl.mu.Lock()
	done := rl.done
	rl.done = true
	rl.mu.Unlock()
	rl.closeConn()
	if !done {
		rl.ended()
	}
}

// close ends the relay because the client's socket closed: the holder sees its socket close
// and detaches the consumer.
func (rl *relay) close() {
	rl.mu.Lock()
	rl.done = true
	rl.mu.Unlock()
	rl.closeConn()
}

// closeConn says goodbye to the holder (a close frame, 1000) and closes the connection.
func (rl *relay) closeConn() {
	rl.wmu.Lock()
	rl.conn.SetWriteDeadline(time.Now().Add(time.Second))
	rl.conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	rl.wmu.Unlock()
	rl.conn.Close()
}

// keepAlive sends the holder a PONG message whenever the relay was idle for ProxyKeepAlive,
// so the holder's IdleTimeout does not close it, until the relay ends.
func (rl *relay) keepAlive() {
	period := rl.r.n.cfg.ProxyKeepAlive
	t := time.NewTicker(period)
	defer t.Stop()
	for range t.C {
		rl.mu.Lock()
		over := rl.done || rl.gone != ""
		idle := time.Since(rl.lastOut) >= period
		rl.mu.Unlock()
		if over {
			return
		}
		if !idle {
			continue
		}
		rl.wmu.Lock()
		rl.conn.SetWriteDeadline(time.Now().Add(rl.r.n.cfg.ProxyDialTimeout))
		err := rl.conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"PONG","data":{}}`))
		rl.wmu.Unlock()
		if err != nil {
			return
		}
		rl.mu.Lock()
		rl.lastOut = time.Now()
		rl.mu.Unlock()
	}
}
