package engine

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/gobwas/ws"

	"github.com/sluicehq/sluice/engine/access"
	"github.com/sluicehq/sluice/engine/render"
	"github.com/sluicehq/sluice/engine/search"
	"github.com/sluicehq/sluice/engine/server"
	"github.com/sluicehq/sluice/wire"
)

// searchService serves the search socket (PROTOCOL.md §3): the base channels PONG, parse,
// search and attach, and one output channel per search consumer answering render requests.
type searchService struct {
	m       *search.Manager
	log     *slog.Logger
	metrics *engineMetrics
	remote  ClusterSearches // a cluster's search registry: attach to other webservers' searches
}

func newSearchService(m *search.Manager, log *slog.Logger, metrics *engineMetrics) *searchService {
	return &searchService{m: m, log: log, metrics: metrics}
}

// searchSession is the per-socket state of the search socket.
type searchSession struct {
	mu     sync.Mutex
	parser wire.RequestParser
	req    wire.Request
	// The render requests of every output channel, answered in arrival order by one drain
	// goroutine at a time, off the netpoll workers.
	jmu         sync.Mutex
	jobs        []job
	queuedBytes int  // bytes in jobs, at most MaxQueuedBytes
	running     bool // a drain goroutine owns the queue
	rparser     wire.RequestParser
	rreq        wire.Request
	next        int                       // output channel counter, never reused (§3.5)
	pending     map[string]*search.Search // launched, awaiting acknowledgement
	queued      map[string][][]byte       // requests that arrived before their acknowledgement
	outputs     map[string]*output
	relays      map[string]relayed // output channels relayed to another webserver
}

// output is one consumer of a search on one channel. Its requests are answered in order by
// one goroutine at a time (drain), off the netpoll workers.
type output struct {
	name   string
	s      *search.Search
	stream context.CancelFunc // non-nil while a REQ_STREAMING runs
	done   chan struct{}      // closed when the stream goroutine ends

	mu     sync.Mutex
	closed bool // REQ_CLOSE answered or the socket closed: requests still queued are dropped
}

// job is a render request waiting for its reply.
type job struct {
	o *output
	b *wire.Buffer
}

func state(sess *server.Session) *searchSession { return sess.Value().(*searchSession) }

func (ss *searchService) Open(sess *server.Session, subs []string) {
	sess.SetValue(&searchSession{pending: map[string]*search.Search{}, queued: map[string][][]byte{},
		outputs: map[string]*output{}})
}

func (ss *searchService) Closed(sess *server.Session) {
	st := state(sess)
	st.mu.Lock()
	outs := st.outputs
	pend := st.pending
	st.outputs, st.pending = map[string]*output{}, map[string]*search.Search{}
	relays := st.relays
	st.relays = nil
	st.mu.Unlock()
	for _, r := range relays {
		r.stop()
	}
	for _, o := range outs {
		o.mu.Lock()
		o.closed = true
		o.mu.Unlock()
		o.stopStream()
		o.s.Detach()
	}
	for _, s := range pend {
		if !s.IsBackground() {
			s.Discard()
		}
	}
}

func (ss *searchService) Message(sess *server.Session, channel string, data []byte) {
	switch channel {
	case "PONG":
		sess.SendFrame(pongReply)
	case "parse":
		ss.parse(sess, data)
	case "search":
		ss.searchMsg(sess, data)
	case "attach":
		ss.attach(sess, data)
	default:
		if !ss.relay(sess, channel, data) {
			ss.output(sess, channel, data)
		}
	}
}

// pongReply is the answer to every PONG message, framed once.
var pongReply = server.NewEnvelopeFrame("PONG", []byte("{}"))

// send frames one message on channel; fill appends the data value.
func (ss *searchService) send(sess *server.Session, channel string, fill func([]byte) []byte) error {
	b := wire.GetBuffer()
	b.B = wire.BeginMessage(b.B, channel)
	b.B = fill(b.B)
	b.B = wire.EndMessage(b.B)
	return sess.Send(b)
}

func (ss *searchService) parse(sess *server.Session, data []byte) {
	var req wire.ParseSearchRequest
	err := state(sess).parser.ParseSearchRequest(data, &req)
	resp := ss.m.ParseReply(&req)
	if err != nil { // the request did not decode: say so rather than parse what it had
		resp = wire.ParseSearchResponse{Sequence: req.Sequence, RawQuery: req.SearchString, ParseError: err.Error()}
	}
	ss.send(sess, "parse", func(dst []byte) []byte { return wire.AppendParseSearchResponse(dst, &resp) })
}

func (ss *searchService) searchMsg(sess *server.Session, data []byte) {
	var req wire.StartSearchRequest
	err := state(sess).parser.StartSearchRequest(data, &req)
	switch {
	case req.IsAck && err == nil:
		ss.ack(sess, req.OK, req.OutputSearchSubproto)
	case err != nil:
		ss.launchError(sess, err.Error())
	case !req.IsLaunch:
		ss.launchError(sess, "search: message has neither SearchString (a launch) nor OK (an acknowledgement)")
	default:
		ss.launch(sess, &req)
	}
}

func (ss *searchService) launchError(sess *server.Session, msg string) {
	ss.send(sess, "search", func(dst []byte) []byte {
		return wire.AppendStartSearchResponse(dst, &wire.StartSearchResponse{Error: msg})
	})
}

func (ss *searchService) launch(sess *server.Session, req *wire.StartSearchRequest) {
	who := sess.Principal()
	if gid, ok := who.CanShare(req.GIDs); !ok {
		ss.metrics.launches.WithLabelValues("share").Inc()
		ss.launchError(sess, "search: cannot share with group "+strconv.Itoa(int(gid))+": principal "+
			strconv.Quote(who.Name)+" is not a member")
		return
	}
	s, err := ss.m.LaunchWire(req, who.UID, sess.ID(), access.LimitKey(who, sess.RemoteAddr().String()))
	ss.metrics.launches.WithLabelValues(launchOutcome(err)).Inc()
	if err != nil {
		var le *search.LimitError
		if errors.As(err, &le) && le.Owner != "" {
			ss.metrics.principalLimits.WithLabelValues(who.Name, le.Field).Inc()
		}
		if errors.As(err, &le) {
			ss.log.Warn("search launch refused: limit reached", "field", le.Field, "limit", le.Limit,
				"session", sess.ID(), "principal", who.Name)
		} else {
			ss.log.Debug("search launch refused", "session", sess.ID(), "principal", who.Name, "err", err)
		}
		ss.launchError(sess, err.Error())
		return
	}
	ss.metrics.principalLaunches.WithLabelValues(who.Name).Inc()
	ss.log.Debug("search launched", "search", s.ID, "principal", who.Name, "session", sess.ID())
	st := state(sess)
	st.mu.Lock()
	st.next++
	name := "search" + strconv.Itoa(st.next)
	st.pending[name] = s
	st.mu.Unlock()
	// Register the channel now so requests that arrive right behind the acknowledgement are
	// queued in order rather than dropped (§3.4).
	sess.AddChannel(name)
	// A launch discarded before its acknowledgement (AckTimeout, or deleted over REST) is
	// forgotten with its channel and queued requests: a late acknowledgement naming it is then
	// ignored like any unknown one (§3.4).
	s.OnDelete(func() { st.forgetPending(sess, name, s) })
	resp := s.StartReply(req, name)
	ss.send(sess, "search", func(dst []byte) []byte { return wire.AppendStartSearchResponse(dst, &resp) })
}

// forgetPending drops the launch on channel name if it is still awaiting its acknowledgement
// and is search s.
func (st *searchSession) forgetPending(sess *server.Session, name string, s *search.Search) {
	st.mu.Lock()
	mine := st.pending[name] == s
	if mine {
		delete(st.pending, name)
		delete(st.queued, name)
	}
	st.mu.Unlock()
	if mine {
		sess.RemoveChannel(name)
	}
}

func (ss *searchService) ack(sess *server.Session, ok bool, name string) {
	st := state(sess)
	st.mu.Lock()
	s := st.pending[name]
	queued := st.queued[name]
	delete(st.pending, name)
	delete(st.queued, name)
	if s != nil && ok {
		st.outputs[name] = &output{name: name, s: s}
	}
	st.mu.Unlock()
	if s == nil {
		return // an acknowledgement naming an unknown channel is ignored (§3.4)
	}
	if !ok {
		sess.RemoveChannel(name)
		s.Discard()
		return
	}
	s.Start()
	for _, data := range queued {
		ss.output(sess, name, data)
	}
}

func (ss *searchService) attach(sess *server.Session, data []byte) {
	var req wire.AttachSearchRequest
	err := state(sess).parser.AttachSearchRequest(data, &req)
	var s *search.Search
	if err == nil {
		s, err = ss.m.AttachAs(req.ID, sess.Principal())
	}
	if errors.Is(err, search.ErrNotFound) && ss.remote != nil && ss.attachRemote(sess, req.ID) {
		return // another webserver holds it: relayed, or its error answered
	}
	if err != nil {
		ss.send(sess, "attach", func(dst []byte) []byte {
			return wire.AppendAttachSearchResponse(dst, &wire.AttachSearchResponse{Error: err.Error()})
		})
		return
	}
	st := state(sess)
	st.mu.Lock()
	st.next++
	name := "attach" + strconv.Itoa(st.next)
	st.outputs[name] = &output{name: name, s: s}
	st.mu.Unlock()
	sess.AddChannel(name)
	info := s.Result.Info()
	ss.send(sess, "attach", func(dst []byte) []byte {
		return wire.AppendAttachSearchResponse(dst, &wire.AttachSearchResponse{
			Subproto: name, RendererMod: s.Query.Renderer, RendererCmd: s.Query.RenderCmd, Info: &info})
	})
}

// output answers one render request on an output channel (§4).
func (ss *searchService) output(sess *server.Session, name string, data []byte) {
	st := state(sess)
	st.mu.Lock()
	o := st.outputs[name]
	pending := st.pending[name] != nil
	st.mu.Unlock()
	if o == nil {
		if pending { // queued, not dropped, until the acknowledgement (§3.4)
			limit := ss.m.Config().MaxQueuedBytes
			st.mu.Lock()
			q := st.queued[name]
			size := len(data)
			for _, r := range q {
				size += len(r)
			}
			full := size > limit
			if !full {
				st.queued[name] = append(q, append([]byte(nil), data...))
			}
			st.mu.Unlock()
			if full {
				ss.log.Info("search socket closed: limit reached", "session", sess.ID(), "channel", name,
					"limit", "MaxQueuedBytes", "value", limit)
				sess.Close(ws.StatusPolicyViolation, "MaxQueuedBytes="+strconv.Itoa(limit)+
					" reached by requests on "+name+" before its acknowledgement")
			}
		}
		return
	}
	limit := ss.m.Config().MaxQueuedBytes
	st.jmu.Lock()
	if st.queuedBytes+len(data) > limit {
		st.jmu.Unlock()
		ss.log.Info("search socket closed: limit reached", "session", sess.ID(), "channel", name,
			"limit", "MaxQueuedBytes", "value", limit)
		sess.Close(ws.StatusPolicyViolation, "MaxQueuedBytes="+strconv.Itoa(limit)+
			" reached by requests waiting for their replies on "+name)
		return
	}
	b := wire.GetBuffer()
	b.B = append(b.B[:0], data...)
	st.jobs = append(st.jobs, job{o, b})
	st.queuedBytes += len(data)
	start := !st.running
	st.running = true
	st.jmu.Unlock()
	if start {
		go ss.drain(sess, st)
	}
}

// replySlots bounds the replies being computed at once (pages up to MaxPage, explorer pages,
// stats aggregation, deflate): they run on goroutines of their own, never on the netpoll
// workers, so a large page delays no other socket's ping, and at most GOMAXPROCS of them use
// the CPU at a time.
var replySlots = make(chan struct{}, runtime.GOMAXPROCS(0))

// drain answers the queued render requests in order, one at a time, and ends when none are
// left. A socket's replies keep the order of its requests; other sockets are not held up.
func (ss *searchService) drain(sess *server.Session, st *searchSession) {
	for {
		st.jmu.Lock()
		if len(st.jobs) == 0 {
			st.jobs, st.queuedBytes, st.running = st.jobs[:0], 0, false
			st.jmu.Unlock()
			return
		}
		j := st.jobs[0]
		st.jobs[0] = job{}
		st.jobs = st.jobs[1:]
		st.queuedBytes -= len(j.b.B)
		st.jmu.Unlock()
		j.o.mu.Lock()
		closed := j.o.closed
		j.o.mu.Unlock()
		if !closed {
			ss.answer(sess, st, j.o, j.b.B)
		}
		wire.PutBuffer(j.b)
	}
}

// answer handles one render request on o's channel (§4).
func (ss *searchService) answer(sess *server.Session, st *searchSession, o *output, data []byte) {
	name := o.name
	req := &st.rreq
	if st.rparser.Parse(data, req) != nil {
		// Handle answers a request that did not decode with RESP_ERROR naming the field (§4.4).
		ss.send(sess, name, func(dst []byte) []byte { return o.s.Result.Handle(req, dst) })
		return
	}
	switch req.ID {
	case wire.ReqClose:
		o.stopStream()
		o.mu.Lock()
		o.closed = true // requests queued behind the close are dropped (§4.5.1)
		o.mu.Unlock()
		st.mu.Lock()
		delete(st.outputs, name)
		st.mu.Unlock()
		ss.send(sess, name, func(dst []byte) []byte { return o.s.Result.Handle(req, dst) })
		sess.RemoveChannel(name)
		o.s.Detach()
	case wire.ReqStreaming:
		o.mu.Lock()
		running := o.stream != nil
		done := o.done
		o.mu.Unlock()
		if running {
			select {
			case <-done:
			default:
				ss.send(sess, name, func(dst []byte) []byte {
					return o.s.Result.AppendError(dst, req, "REQ_STREAMING: a stream is already running on this channel")
				})
				return
			}
		}
		ss.startStream(sess, o, req)
	default:
		replySlots <- struct{}{}
		ss.send(sess, name, func(dst []byte) []byte { return o.s.Result.Handle(req, dst) })
		<-replySlots
	}
}

// streamLowWater is the backlog below which the next streaming block is produced: blocks are
// made only when the connection has room, so a slow reader slows only its own stream.
const streamLowWater = 256 << 10

func (ss *searchService) startStream(sess *server.Session, o *output, req *wire.Request) {
	// req is the session's reusable request: keep what the stream needs before the next Parse.
	req = &wire.Request{ID: req.ID, HasID: true, Addendum: append([]byte(nil), req.Addendum...)}
	ctx, cancel := context.WithCancel(sess.Context())
	done := make(chan struct{})
	o.mu.Lock()
	o.stream, o.done = cancel, done
	o.mu.Unlock()
	go func() {
		defer close(done)
		err := o.s.Result.StreamRequest(ctx, req, func(fill func([]byte) []byte) error {
			if err := sess.WaitWritable(ctx, streamLowWater); err != nil {
				return err
			}
			return ss.send(sess, o.name, fill)
		})
		if errors.Is(err, render.ErrReleased) && ctx.Err() == nil {
			// The search was deleted under the stream: no terminator will come, so say why
			// instead of leaving the client waiting for one (§1.6, §4.4).
			err = ss.send(sess, o.name, func(dst []byte) []byte {
				return o.s.Result.AppendError(dst, req, "search has been deleted")
			})
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			ss.log.Debug("stream ended", "session", sess.ID(), "channel", o.name, "err", err)
		}
	}()
}

// stopStream cancels a running stream and waits for it, so that nothing follows a close reply.
func (o *output) stopStream() {
	o.mu.Lock()
	cancel, done := o.stream, o.done
	o.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}
