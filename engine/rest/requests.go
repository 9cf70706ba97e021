package rest

import (
	"github.com/sluicehq/sluice/engine/access"
	"net/http"
	"strconv"
	"time"

	"github.com/sluicehq/sluice/engine/search"
	"github.com/sluicehq/sluice/wire"
)

// attachment is one caller's REST attachment to a search: a consumer that keeps a foreground
// search alive as a socket's output channel does, until detached or KeepAlive passes without a
// ping.
type attachment struct {
	s        *search.Search
	deadline time.Time
}

func attachKey(id string, c *access.Principal) string {
	return id + "\x00" + strconv.Itoa(int(c.UID)) + "\x00" + c.Name
}

// attach serves /api/searchctrl/{id}/attach: it adds the caller as a consumer of the search
// (once; attaching again only renews it) and answers AttachSearchResponse without a Subproto:
// {"RendererMod":…,"RendererCmd":…,"Info":SearchInfo}. The attachment lasts KeepAlive past
// the last ping.
func (a *API) attach(w http.ResponseWriter, r *http.Request, c *access.Principal) {
	s, e := a.lookup(r, c)
	if e != nil {
		writeError(w, e)
		return
	}
	if e := a.hold(s, c, false); e != nil {
		writeError(w, e)
		return
	}
	info := s.Result.Info()
	b := wire.GetBuffer()
	defer wire.PutBuffer(b)
	b.B = wire.AppendAttachSearchResponse(b.B, &wire.AttachSearchResponse{
		RendererMod: s.Query.Renderer, RendererCmd: s.Query.RenderCmd, Info: &info})
	writeRaw(w, http.StatusOK, b.B)
}

// hold makes c a consumer of s through a REST attachment (once per caller and search; holding
// again renews it). consumed says the caller already holds a consumer of s (a launch's own),
// which the attachment takes over.
func (a *API) hold(s *search.Search, c *access.Principal, consumed bool) *Error {
	key := attachKey(s.ID, c)
	a.mu.Lock()
	at := a.attached[key]
	fresh := at == nil
	a.mu.Unlock()
	if fresh {
		if !consumed {
			if _, err := a.m.Attach(s.ID); err != nil {
				return notFound("id", "search "+strconv.Quote(s.ID)+" not found")
			}
		}
		at = &attachment{s: s}
		a.mu.Lock()
		hook := !a.hooked[s]
		a.hooked[s] = true
		a.mu.Unlock()
		if hook { // once per search: its deletion drops every attachment to it
			s.OnDelete(func() { a.forget(s) })
		}
	} else if consumed {
		s.Detach() // the caller already holds one
	}
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		if fresh {
			s.Detach()
		}
		return &Error{Status: http.StatusServiceUnavailable, Msg: "server is shutting down"}
	}
	if old := a.attached[key]; fresh && old != nil {
		s.Detach() // a concurrent attach won: keep one consumer
		at = old
	}
	at.deadline = time.Now().Add(a.cfg.KeepAlive)
	a.attached[key] = at
	a.armJanitorLocked()
	a.mu.Unlock()
	return nil
}

// ping serves /api/searchctrl/{id}/ping: it renews the caller's attachment (if any) and
// answers {"ID":…,"State":…,"Finished":bool}.
func (a *API) ping(w http.ResponseWriter, r *http.Request, c *access.Principal) {
	s, e := a.lookup(r, c)
	if e != nil {
		writeError(w, e)
		return
	}
	a.mu.Lock()
	at := a.attached[attachKey(s.ID, c)]
	if at != nil {
		at.deadline = time.Now().Add(a.cfg.KeepAlive)
	}
	a.mu.Unlock()
	st := s.Status()
	writeJSON(w, http.StatusOK, struct {
		ID       string
		State    string
		Attached bool
		Finished bool
	}{s.ID, stateText(&st), at != nil, s.Result.Finished()})
}

// detach serves /api/searchctrl/{id}/detach: it ends the caller's attachment. A foreground
// search left without consumers is then deleted after the grace period (PROTOCOL.md §3.8).
func (a *API) detach(w http.ResponseWriter, r *http.Request, c *access.Principal) {
	s, e := a.lookup(r, c)
	if e != nil {
		writeError(w, e)
		return
	}
	key := attachKey(s.ID, c)
	a.mu.Lock()
	at := a.attached[key]
	delete(a.attached, key)
	a.mu.Unlock()
	if at == nil {
		writeError(w, &Error{Status: http.StatusConflict, Field: "id", Msg: "caller is not attached to search " + s.ID})
		return
	}
	at.s.Detach()
	writeRaw(w, http.StatusOK, []byte("{}"))
}

// forget drops the attachments of a deleted search.
func (a *API) forget(s *search.Search) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.hooked, s)
	for k, at := range a.attached {
		if at.s == s {
			delete(a.attached, k)
		}
	}
}

// armJanitorLocked makes sure expired attachments are detached; a.mu must be held.
func (a *API) armJanitorLocked() {
	if a.janitor != nil || a.closed {
		return
	}
	a.janitor = time.AfterFunc(a.cfg.KeepAlive/2, a.expire)
}

// expire detaches the attachments whose KeepAlive has passed.
func (a *API) expire() {
	now := time.Now()
	var gone []*attachment
	a.mu.Lock()
	for k, at := range a.attached {
		if now.After(at.deadline) {
			gone = append(gone, at)
			delete(a.attached, k)
		}
	}
	a.janitor = nil
	if len(a.attached) > 0 {
		a.armJanitorLocked()
	}
	a.mu.Unlock()
	for _, at := range gone {
		a.log.Info("rest: attachment expired without a ping", "search", at.s.ID, "keepalive", a.cfg.KeepAlive)
		at.s.Detach()
	}
}

// request serves POST /api/searchctrl/{id}/request: the body is any render-module request
// exactly as it is sent on a search's output channel (PROTOCOL.md §4.1), answered by the same
// handler (render.Result.Handle) with the same reply. REQ_STREAMING is refused: use
// GET /api/searchctrl/{id}/entries.
func (a *API) request(w http.ResponseWriter, r *http.Request, c *access.Principal) {
	s, e := a.lookup(r, c)
	if e != nil {
		writeError(w, e)
		return
	}
	body, e := readBody(r, false)
	if e != nil {
		writeError(w, e)
		return
	}
	var p wire.RequestParser
	var req wire.Request
	if err := p.Parse(body, &req); err != nil {
		writeError(w, bodyError(err))
		return
	}
	if req.ID == wire.ReqStreaming {
		writeError(w, badRequest("ID", "REQ_STREAMING (17) is a stream: use GET /api/searchctrl/{id}/entries"))
		return
	}
	a.handle(w, s, &req)
}

// handle answers req with the search's render handler; a RESP_ERROR reply is a 400 carrying
// the reply itself (its Error names the field).
func (a *API) handle(w http.ResponseWriter, s *search.Search, req *wire.Request) {
	b := wire.GetBuffer()
	defer wire.PutBuffer(b)
	b.B = s.Result.Handle(req, b.B)
	status := http.StatusOK
	if isErrorReply(b.B) {
		status = http.StatusBadRequest
	}
	writeRaw(w, status, b.B)
}

// isErrorReply reports whether a render reply is RESP_ERROR: its first key is "ID" with the
// value wire.RespError.
func isErrorReply(b []byte) bool {
	prefix := `{"ID":` + strconv.FormatUint(uint64(wire.RespError), 10) + `,`
	return len(b) > len(prefix) && string(b[:len(prefix)]) == prefix
}

// stats serves GET /api/searchctrl/{id}/stats?SetCount=N: the pipeline statistics in N chunks
// (default 1), answered as REQ_STATS_GET (PROTOCOL.md §4.5.11).
func (a *API) stats(w http.ResponseWriter, r *http.Request, c *access.Principal) {
	a.statsRequest(w, r, c, wire.ReqStatsGet, 1)
}

// statsOverview serves GET /api/searchctrl/{id}/stats/overview?SetCount=N: the overview in N
// chunks (default 100), answered as REQ_STATS_GET_OVERVIEW (PROTOCOL.md §4.5.17).
func (a *API) statsOverview(w http.ResponseWriter, r *http.Request, c *access.Principal) {
	a.statsRequest(w, r, c, wire.ReqStatsGetOverview, 100)
}

func (a *API) statsRequest(w http.ResponseWriter, r *http.Request, c *access.Principal, id uint32, def uint64) {
	s, e := a.lookup(r, c)
	if e != nil {
		writeError(w, e)
		return
	}
	n, e := uintParam(r.URL.Query().Get("SetCount"), "SetCount", def)
	if e != nil {
		writeError(w, e)
		return
	}
	a.handleBody(w, s, []byte(`{"ID":`+strconv.FormatUint(uint64(id), 10)+`,"Stats":{"SetCount":`+strconv.FormatUint(n, 10)+`}}`))
}

// explore serves GET /api/searchctrl/{id}/renderer/{renderer}/explore?first=N&last=M: the
// data explorer's view of entries [first, last) (REQ_GET_EXPLORE_ENTRIES, §4.5.8).
func (a *API) explore(w http.ResponseWriter, r *http.Request, c *access.Principal) {
	s, e := a.lookup(r, c)
	if e != nil {
		writeError(w, e)
		return
	}
	if rd := r.PathValue("renderer"); rd != s.Query.Renderer {
		writeError(w, badRequest("renderer", "search "+s.ID+" uses renderer "+s.Query.Renderer+", not "+strconv.Quote(rd)))
		return
	}
	q := r.URL.Query()
	first, e := uintParam(q.Get("first"), "first", 0)
	if e != nil {
		writeError(w, e)
		return
	}
	last, e := uintParam(q.Get("last"), "last", first+100)
	if e != nil {
		writeError(w, e)
		return
	}
	body := []byte(`{"ID":` + strconv.FormatUint(uint64(wire.ReqGetExploreEntries), 10) +
		`,"EntryRange":{"First":` + strconv.FormatUint(first, 10) + `,"Last":` + strconv.FormatUint(last, 10) + `}}`)
	a.handleBody(w, s, body)
}

// handleBody parses a request built by a route and answers it.
func (a *API) handleBody(w http.ResponseWriter, s *search.Search, body []byte) {
	var p wire.RequestParser
	var req wire.Request
	_ = p.Parse(body, &req) // a decoding error is in req.Err and answered by Handle
	a.handle(w, s, &req)
}

// uintParam parses query parameter name; empty gives def.
func uintParam(v, name string, def uint64) (uint64, *Error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseUint(v, 10, 63)
	if err != nil {
		return 0, badRequest(name, "expected a non-negative integer, got "+strconv.Quote(truncate(v)))
	}
	return n, nil
}

// truncate shortens echoed input.
func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
