package baseline

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Timeouts and limits shared by both servers, as a careful gorilla user would set them.
const (
	negotiationWait = 2 * time.Second  // PROTOCOL.md §1.4
	idleWait        = 90 * time.Second // §1.7
	writeWait       = 30 * time.Second
	maxMessageSize  = 1 << 20 // §1.3
)

// Request and response IDs used by StreamServer (PROTOCOL.md Appendix C).
const (
	reqClose      = 1
	reqEntryCount = 3
	reqGetEntries = 16
	reqStreaming  = 17
	respError     = 0xFFFFFFFF
)

// StreamServer serves a fixed list of entries as the result of every search launched on it
// (PROTOCOL.md §3.4, §4.5.5, §6). Set the exported fields before serving; zero values take the
// protocol's defaults.
type StreamServer struct {
	// BlockSize is the number of entries per REQ_STREAMING block (default 1000).
	BlockSize int
	// MaxPage clamps a REQ_GET_ENTRIES range (default 10 000).
	MaxPage int
	// TagName is the tag every entry carries (default "syslog").
	TagName string

	entries  []Entry
	upgrader websocket.Upgrader

	mu       sync.Mutex
	searches map[string]*search // by search ID, for attach
}

// search is one launched search: its range and query. All searches share the server's entries.
type search struct {
	id         string
	query      string
	start, end time.Time
}

// NewStreamServer returns a search-socket server whose searches all yield entries, in order.
// The slice is shared, never modified.
func NewStreamServer(entries []Entry) *StreamServer {
	return &StreamServer{
		entries:  entries,
		searches: map[string]*search{},
		upgrader: websocket.Upgrader{
			ReadBufferSize:  4096,
			WriteBufferSize: 64 << 10, // large blocks go out in few writes
			CheckOrigin:     func(*http.Request) bool { return true },
		},
	}
}

// ServeHTTP upgrades the request and serves the socket on the calling goroutine until it
// closes.
func (s *StreamServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has replied with an HTTP error
	}
	defer conn.Close()
	conn.SetReadLimit(maxMessageSize)
	sess := &streamSession{srv: s, conn: conn, channels: map[string]*search{}, pending: map[string]*search{}}
	sess.enc = json.NewEncoder(&sess.buf)
	defer func() {
		for _, id := range sess.launched {
			s.forget(id)
		}
	}()
	if !negotiate(conn, nil) {
		return
	}
	for {
		conn.SetReadDeadline(time.Now().Add(idleWait))
		_, msg, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var env inEnvelope
		if json.Unmarshal(msg, &env) != nil {
			continue
		}
		if err := sess.handle(env.Type, env.Data); err != nil {
			return
		}
	}
}

// negotiate reads the Subs message and answers ACK or ERROR (PROTOCOL.md §1.4); subs, when not
// nil, receives the subscribed names.
func negotiate(conn *websocket.Conn, subs *[]string) bool {
	conn.SetReadDeadline(time.Now().Add(negotiationWait))
	var req subsRequest
	_, msg, err := conn.ReadMessage()
	if err != nil {
		return false
	}
	conn.SetWriteDeadline(time.Now().Add(writeWait))
	if json.Unmarshal(msg, &req) != nil || len(req.Subs) == 0 {
		conn.WriteJSON(subsResponse{Resp: "ERROR"})
		return false
	}
	if subs != nil {
		*subs = req.Subs
	}
	return conn.WriteJSON(subsResponse{Resp: "ACK"}) == nil
}

// streamSession is one search socket's state, owned by its goroutine.
type streamSession struct {
	srv      *StreamServer
	conn     *websocket.Conn
	buf      bytes.Buffer
	enc      *json.Encoder
	channels map[string]*search // live output channels
	pending  map[string]*search // launched, waiting for the acknowledgement
	launched []string           // search IDs launched here, forgotten when the socket closes
	seq      int
}

// send encodes v in an envelope for channel typ with the session's encoder and writes it as one
// frame.
func (s *streamSession) send(typ string, v any) error {
	s.buf.Reset()
	if err := s.enc.Encode(envelope{Type: typ, Data: v}); err != nil {
		return err
	}
	s.conn.SetWriteDeadline(time.Now().Add(writeWait))
	return s.conn.WriteMessage(websocket.TextMessage, s.buf.Bytes())
}

func (s *streamSession) handle(typ string, data json.RawMessage) error {
	switch typ {
	case "PONG":
		return s.send("PONG", struct{}{})
	case "search":
		return s.handleSearch(data)
	case "attach":
		return s.handleAttach(data)
	}
	if se, ok := s.channels[typ]; ok {
		return s.handleRequest(typ, se, data)
	}
	return nil // unregistered channel: dropped (PROTOCOL.md §1.5)
}

func (s *streamSession) handleSearch(data json.RawMessage) error {
	var probe map[string]json.RawMessage
	if json.Unmarshal(data, &probe) != nil {
		return s.send("search", launchResponse{Error: "cannot decode request"})
	}
	if _, ok := probe["SearchString"]; !ok {
		var ack launchAck
		if json.Unmarshal(data, &ack) != nil || ack.OK == nil {
			return nil
		}
		se, ok := s.pending[ack.OutputSearchSubproto]
		if !ok {
			return nil
		}
		delete(s.pending, ack.OutputSearchSubproto)
		if *ack.OK {
			s.channels[ack.OutputSearchSubproto] = se
		} else {
			s.srv.forget(se.id)
		}
		return nil
	}
	var req launchRequest
	if err := json.Unmarshal(data, &req); err != nil {
		return s.send("search", launchResponse{Error: "cannot decode launch request: " + err.Error()})
	}
	if req.SearchString == "" {
		return s.send("search", launchResponse{Error: "empty search string"})
	}
	se := &search{query: req.SearchString, start: EntriesBase.Add(-time.Hour), end: EntriesBase}
	if n := len(s.srv.entries); n > 0 {
		se.start, se.end = s.srv.entries[n-1].TS, s.srv.entries[0].TS.Add(time.Nanosecond)
	}
	if req.SearchStart != nil && req.SearchEnd != nil {
		if !req.SearchEnd.After(*req.SearchStart) {
			return s.send("search", launchResponse{Error: "invalid search range: end is not after start"})
		}
		se.start, se.end = *req.SearchStart, *req.SearchEnd
	}
	s.srv.register(se)
	s.launched = append(s.launched, se.id)
	s.seq++
	ch := "search" + strconv.Itoa(s.seq)
	s.pending[ch] = se
	return s.send("search", launchResponse{
		RawQuery: req.SearchString, SearchString: req.SearchString, RenderModule: "text", RenderCmd: "text",
		OutputSearchSubproto: ch, SearchID: se.id, SearchStartRange: se.start, SearchEndRange: se.end,
		CollapsingIndex: 1, Addendum: req.Addendum, LaunchInfo: launchInfo{Started: time.Now().UTC()},
		Tags: []string{s.srv.tagName()}, ModuleHints: []moduleHint{{Name: "sort"}},
	})
}

func (s *streamSession) handleAttach(data json.RawMessage) error {
	var req attachRequest
	if err := json.Unmarshal(data, &req); err != nil {
		return s.send("attach", attachResponse{Error: "cannot decode attach request: " + err.Error()})
	}
	s.srv.mu.Lock()
	se, ok := s.srv.searches[req.ID]
	s.srv.mu.Unlock()
	if !ok {
		return s.send("attach", attachResponse{Error: "search " + req.ID + " not found"})
	}
	s.seq++
	ch := "attach" + strconv.Itoa(s.seq)
	s.channels[ch] = se
	return s.send("attach", attachResponse{Subproto: ch, RendererMod: "text", RendererCmd: "text", Info: &searchInfo{
		ID: se.id, UserQuery: se.query, EffectiveQuery: se.query, StartRange: se.start, EndRange: se.end,
		Descending: true, Started: time.Now().UTC(), ItemCount: uint64(len(s.srv.entries)), MinZoomWindow: 1,
		Tags: []string{s.srv.tagName()},
	}})
}

func (s *streamSession) base(id uint32) baseResponse {
	return baseResponse{ID: id, Finished: true, EntryCount: uint64(len(s.srv.entries)), EntryCountValid: true}
}

func (s *streamSession) handleRequest(ch string, se *search, data json.RawMessage) error {
	var req renderRequest
	if err := json.Unmarshal(data, &req); err != nil {
		r := s.base(respError)
		r.Error = "cannot decode request: " + err.Error()
		return s.send(ch, &r)
	}
	switch req.ID {
	case reqClose:
		delete(s.channels, ch)
		r := entriesResponse{baseResponse: s.base(reqClose), Entries: []Entry{}}
		r.Finished, r.EntryCount, r.EntryCountValid = false, 0, false
		return s.send(ch, &r)
	case reqEntryCount:
		r := s.base(reqEntryCount)
		return s.send(ch, &r)
	case reqGetEntries:
		if req.EntryRange == nil || req.EntryRange.Last < req.EntryRange.First {
			r := s.base(respError)
			r.Error = "EntryRange: missing, or Last is before First"
			return s.send(ch, &r)
		}
		total := uint64(len(s.srv.entries))
		first, last := req.EntryRange.First, req.EntryRange.Last
		last = min(last, first+uint64(s.srv.maxPage()))
		lo, hi := min(first, total), min(last, total)
		r := entriesResponse{baseResponse: s.base(reqGetEntries), Entries: s.srv.entries[lo:hi]}
		r.EntryRange = &entryRange{StartTS: se.start, EndTS: se.end, First: first, Last: last}
		r.Tags = map[string]uint16{s.srv.tagName(): 0}
		r.AdditionalEntries = total > last
		return s.send(ch, &r)
	case reqStreaming:
		return s.stream(ch, se)
	}
	r := s.base(respError)
	r.Error = "unknown request ID " + strconv.FormatUint(uint64(req.ID), 10)
	return s.send(ch, &r)
}

// stream sends every entry in blocks, then the empty Finished block (PROTOCOL.md §6). It reuses
// one response value; other requests on the socket wait until the stream has been written.
func (s *streamSession) stream(ch string, se *search) error {
	block := s.srv.BlockSize
	if block <= 0 {
		block = 1000
	}
	er := entryRange{StartTS: se.start, EndTS: se.end}
	r := entriesResponse{baseResponse: baseResponse{
		ID: reqStreaming, EntryRange: &er, Tags: map[string]uint16{s.srv.tagName(): 0}, EntryCountValid: true,
	}}
	all := s.srv.entries
	for first := 0; first < len(all); first += block {
		last := min(first+block, len(all))
		er.First, er.Last = uint64(first), uint64(last)
		r.EntryCount = uint64(last - first)
		r.Entries = all[first:last]
		if err := s.send(ch, &r); err != nil {
			return err
		}
	}
	er.First, er.Last = uint64(len(all)), uint64(len(all))
	r.Finished, r.EntryCount, r.Entries = true, 0, []Entry{}
	return s.send(ch, &r)
}

func (s *StreamServer) register(se *search) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		id := strconv.FormatUint(1e9+rand.Uint64N(9e9), 10) // 10 digits (PROTOCOL.md §3.5)
		if _, ok := s.searches[id]; !ok {
			se.id = id
			s.searches[id] = se
			return
		}
	}
}

func (s *StreamServer) forget(id string) {
	s.mu.Lock()
	delete(s.searches, id)
	s.mu.Unlock()
}

func (s *StreamServer) tagName() string {
	if s.TagName == "" {
		return "syslog"
	}
	return s.TagName
}

func (s *StreamServer) maxPage() int {
	if s.MaxPage <= 0 {
		return 10000
	}
	return s.MaxPage
}
