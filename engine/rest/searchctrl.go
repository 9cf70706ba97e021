package rest

import (
	"encoding/json"
	"errors"
	"github.com/sluicehq/sluice/engine/access"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/engine/search"
	"github.com/sluicehq/sluice/wire"
)

// maxControlBody bounds the JSON bodies of the search-control routes (launch, parse, save,
// group, render requests).
const maxControlBody = 1 << 20

// launchInfo is SearchLaunchInfo with its lower-case keys (PROTOCOL.md §5.9).
type launchInfo struct {
	Method    string    `json:"method,omitempty"`
	Reference string    `json:"reference,omitempty"`
	Started   time.Time `json:"started"`
	Expires   time.Time `json:"expires"`
}

type importInfo struct {
	Imported  bool
	Time      time.Time
	BatchName string
	BatchInfo string
}

// ctrlStatus is Gravwell's SearchCtrlStatus, plus GIDs, Global, Name and Progress (sluice's run
// state: pending, running, finished or stopped), which Gravwell's clients ignore.
type ctrlStatus struct {
	ID              string
	UID             int32
	GID             int32
	GIDs            []int32
	Global          bool
	State           string
	AttachedClients int
	StoredData      int64
	UserQuery       string
	EffectiveQuery  string
	StartRange      time.Time
	EndRange        time.Time
	NoHistory       bool
	Import          importInfo
	LaunchInfo      launchInfo
	Name            string `json:",omitempty"`
	Progress        string
}

// stateText is Gravwell's search state: ACTIVE (attached clients) or DORMANT, then
// BACKGROUNDED and SAVED when they apply, joined by "/" ("DORMANT/BACKGROUNDED").
func stateText(st *search.Status) string {
	s := "DORMANT"
	if st.Consumers > 0 {
		s = "ACTIVE"
	}
	if st.Background {
		s += "/BACKGROUNDED"
	}
	if st.Saved {
		s += "/SAVED"
	}
	return s
}

func statusOf(s *search.Search, st *search.Status) ctrlStatus {
	si := s.Result.Info()
	var gid int32
	if len(st.GIDs) > 0 {
		gid = st.GIDs[0]
	}
	return ctrlStatus{ID: s.ID, UID: st.UID, GID: gid, GIDs: st.GIDs, Global: st.Global, State: stateText(st),
		AttachedClients: st.Consumers, StoredData: si.StoreSize + si.IndexSize, UserQuery: si.UserQuery,
		EffectiveQuery: si.EffectiveQuery, StartRange: si.StartRange, EndRange: si.EndRange, NoHistory: si.NoHistory,
		Import: importInfo(si.Import), LaunchInfo: launchInfo(si.LaunchInfo), Name: si.Name, Progress: st.State}
}

// visible returns the live searches c may see (search.Manager.ListFor; every one with all),
// newest first.
func (a *API) visible(c *access.Principal, all bool) []*search.Search {
	sums := a.m.List()
	if !all {
		sums = a.m.ListFor(c)
	}
	out := make([]*search.Search, 0, len(sums))
	for _, sum := range sums {
		if s, ok := a.m.Get(sum.ID); ok && s.Status().State != "deleted" {
			out = append(out, s)
		}
	}
	return out
}

// lookup returns the search of the request's {id} if c may see it (search.Manager.Lookup);
// any other ID is "not found", the same answer whether the search does not exist or belongs to
// someone else.
func (a *API) lookup(r *http.Request, c *access.Principal) (*search.Search, *Error) {
	id := r.PathValue("id")
	if id == "" || len(id) > 64 {
		return nil, badRequest("id", "missing or malformed search ID")
	}
	s, err := a.m.Lookup(id, c)
	if err != nil || s.Status().State == "deleted" {
		return nil, notFound("id", "search "+strconv.Quote(id)+" not found")
	}
	return s, nil
}

// list serves GET /api/searchctrl: []SearchCtrlStatus of the searches the caller may see.
func (a *API) list(w http.ResponseWriter, r *http.Request, c *access.Principal) {
	a.writeStatuses(w, a.visible(c, false), a.remoteList(c, false))
}

// listAll serves GET /api/searchctrl/all: every search, for admins.
func (a *API) listAll(w http.ResponseWriter, r *http.Request, c *access.Principal) {
	if !c.Admin {
		writeError(w, &Error{Status: http.StatusForbidden, Field: "admin", Msg: "listing every search needs an admin"})
		return
	}
	a.writeStatuses(w, a.visible(c, true), a.remoteList(c, true))
}

// writeStatuses answers with the statuses of this server's searches ss and of the other
// webservers' searches remote (a cluster's), newest first.
func (a *API) writeStatuses(w http.ResponseWriter, ss []*search.Search, remote []RemoteSearch) {
	out := make([]ctrlStatus, 0, len(ss)+len(remote))
	for _, s := range ss {
		st := s.Status()
		out = append(out, statusOf(s, &st))
	}
	for i := range remote {
		out = append(out, remoteStatus(&remote[i]))
	}
	if len(remote) > 0 {
		sortStatuses(out)
	}
	writeJSON(w, http.StatusOK, out)
}

// listDetails serves GET /api/searchctrl/details: []SearchInfo.
func (a *API) listDetails(w http.ResponseWriter, r *http.Request, c *access.Principal) {
	ss := a.visible(c, false)
	b := wire.GetBuffer()
	defer wire.PutBuffer(b)
	b.B = append(b.B, '[')
	for i, s := range ss {
		if i > 0 {
			b.B = append(b.B, ',')
		}
		b.B = s.Result.AppendInfo(b.B)
	}
	for i, rs := range a.remoteList(c, false) {
		if i > 0 || len(ss) > 0 {
			b.B = append(b.B, ',')
		}
		b.B = remoteInfo(b.B, &rs)
	}
	b.B = append(b.B, ']')
	writeRaw(w, http.StatusOK, b.B)
}

// status serves GET /api/searchctrl/{id}: SearchCtrlStatus.
func (a *API) status(w http.ResponseWriter, r *http.Request, c *access.Principal) {
	s, e := a.lookup(r, c)
	if e != nil {
		writeError(w, e)
		return
	}
	st := s.Status()
	writeJSON(w, http.StatusOK, statusOf(s, &st))
}

// details serves GET /api/searchctrl/{id}/details: SearchInfo.
func (a *API) details(w http.ResponseWriter, r *http.Request, c *access.Principal) {
	s, e := a.lookup(r, c)
	if e != nil {
		writeError(w, e)
		return
	}
	b := wire.GetBuffer()
	defer wire.PutBuffer(b)
	b.B = s.Result.AppendInfo(b.B)
	writeRaw(w, http.StatusOK, b.B)
}

// delete serves DELETE /api/searchctrl/{id}.
func (a *API) delete(w http.ResponseWriter, r *http.Request, c *access.Principal) {
	s, e := a.lookup(r, c)
	if e != nil {
		writeError(w, e)
		return
	}
	if err := a.m.Delete(s.ID); err != nil {
		writeError(w, notFound("id", "search "+strconv.Quote(s.ID)+" not found"))
		return
	}
	a.forget(s)
	writeJSON(w, http.StatusOK, map[string]string{"Deleted": s.ID})
}

// control runs fn on the search of the request and answers {} or the error.
func (a *API) control(w http.ResponseWriter, r *http.Request, c *access.Principal, fn func(s *search.Search) *Error) {
	s, e := a.lookup(r, c)
	if e != nil {
		writeError(w, e)
		return
	}
	if e := fn(s); e != nil {
		writeError(w, e)
		return
	}
	writeRaw(w, http.StatusOK, []byte("{}"))
}

func deletedError(s *search.Search, err error) *Error {
	if errors.Is(err, search.ErrDeleted) {
		return notFound("id", "search "+strconv.Quote(s.ID)+" not found")
	}
	return badRequest("", strings.TrimPrefix(err.Error(), "search: "))
}

// background serves PATCH /api/searchctrl/{id}/background.
func (a *API) background(w http.ResponseWriter, r *http.Request, c *access.Principal) {
	a.control(w, r, c, func(s *search.Search) *Error {
		if err := s.SetBackground(); err != nil {
			return deletedError(s, err)
		}
		return nil
	})
}

// savePatch is Gravwell's SaveSearchPatch: SearchLaunchInfo and a name and notes.
type savePatch struct {
	Method    string    `json:"method"`
	Reference string    `json:"reference"`
	Started   time.Time `json:"started"`
	Expires   time.Time `json:"expires"`
	Name      string    `json:"name"`
	Notes     string    `json:"notes"`
}

// save serves PATCH /api/searchctrl/{id}/save with an optional SaveSearchPatch body.
func (a *API) save(w http.ResponseWriter, r *http.Request, c *access.Principal) {
	var p savePatch
	if e := decodeBody(r, &p, true); e != nil {
		writeError(w, e)
		return
	}
	a.control(w, r, c, func(s *search.Search) *Error {
		err := s.Save(search.SaveRequest{Expires: p.Expires, Name: p.Name, Notes: p.Notes})
		if err != nil && !errors.Is(err, search.ErrDeleted) {
			return badRequest("expires", strings.TrimPrefix(err.Error(), "search: save: "))
		}
		if err != nil {
			return deletedError(s, err)
		}
		return nil
	})
}

// stop serves PUT /api/searchctrl/{id}/stop.
func (a *API) stop(w http.ResponseWriter, r *http.Request, c *access.Principal) {
	a.control(w, r, c, func(s *search.Search) *Error {
		if err := s.Stop(); err != nil {
			return deletedError(s, err)
		}
		return nil
	})
}

// owns reports whether c may change the sharing of s: its owner or an admin.
func owns(c *access.Principal, s *search.Search) *Error {
	st := s.Status()
	if c.Admin || c.UID == st.UID {
		return nil
	}
	return &Error{Status: http.StatusForbidden, Field: "id", Msg: "only the owner of search " + s.ID + " or an admin may change its sharing"}
}

// group serves PUT /api/searchctrl/{id}/group with {"GID":n}: share with one group (0: none).
func (a *API) group(w http.ResponseWriter, r *http.Request, c *access.Principal) {
	var body struct{ GID *int32 }
	if e := decodeBody(r, &body, false); e != nil {
		writeError(w, e)
		return
	}
	if body.GID == nil {
		writeError(w, badRequest("GID", "missing GID (0 removes the group)"))
		return
	}
	gid := *body.GID
	if gid < 0 {
		writeError(w, badRequest("GID", "group ID "+strconv.Itoa(int(gid))+" is negative"))
		return
	}
	a.control(w, r, c, func(s *search.Search) *Error {
		if e := owns(c, s); e != nil {
			return e
		}
		if gid != 0 && !c.Admin && !c.InGroup(gid) {
			return &Error{Status: http.StatusForbidden, Field: "GID", Msg: "caller is not in group " + strconv.Itoa(int(gid))}
		}
		if err := s.SetGroup(gid); err != nil {
			return deletedError(s, err)
		}
		return nil
	})
}

// groups serves PUT /api/searchctrl/{id}/groups with {"GIDs":[…]}: share with those groups.
func (a *API) groups(w http.ResponseWriter, r *http.Request, c *access.Principal) {
	var body struct{ GIDs *[]int32 }
	if e := decodeBody(r, &body, false); e != nil {
		writeError(w, e)
		return
	}
	if body.GIDs == nil {
		writeError(w, badRequest("GIDs", "missing GIDs ([] removes every group)"))
		return
	}
	gids := *body.GIDs
	a.control(w, r, c, func(s *search.Search) *Error {
		if e := owns(c, s); e != nil {
			return e
		}
		for _, g := range gids {
			if g <= 0 {
				return badRequest("GIDs", "group ID "+strconv.Itoa(int(g))+" is not positive")
			}
			if !c.Admin && !c.InGroup(g) {
				return &Error{Status: http.StatusForbidden, Field: "GIDs", Msg: "caller is not in group " + strconv.Itoa(int(g))}
			}
		}
		if err := s.SetGroups(gids); err != nil {
			return deletedError(s, err)
		}
		return nil
	})
}

// global serves PUT /api/searchctrl/{id}/global with {"Global":bool}; admins only, as in
// Gravwell.
func (a *API) global(w http.ResponseWriter, r *http.Request, c *access.Principal) {
	var body struct{ Global *bool }
	if e := decodeBody(r, &body, false); e != nil {
		writeError(w, e)
		return
	}
	if body.Global == nil {
		writeError(w, badRequest("Global", "missing Global (true or false)"))
		return
	}
	a.control(w, r, c, func(s *search.Search) *Error {
		if !c.Admin {
			return &Error{Status: http.StatusForbidden, Field: "Global", Msg: "only admins may make a search global"}
		}
		if err := s.SetGlobal(*body.Global); err != nil {
			return deletedError(s, err)
		}
		return nil
	})
}

// parse serves POST /api/parse: a ParseSearchRequest answered by the same core as the search
// socket's parse channel. A query that does not parse is a 200 with ParseError set, as in
// Gravwell; a body that does not decode is a 400.
func (a *API) parse(w http.ResponseWriter, r *http.Request, c *access.Principal) {
	body, e := readBody(r, false)
	if e != nil {
		writeError(w, e)
		return
	}
	var p wire.RequestParser
	var req wire.ParseSearchRequest
	if err := p.ParseSearchRequest(body, &req); err != nil {
		writeError(w, bodyError(err))
		return
	}
	resp := a.m.ParseReply(&req)
	b := wire.GetBuffer()
	defer wire.PutBuffer(b)
	b.B = wire.AppendParseSearchResponse(b.B, &resp)
	writeRaw(w, http.StatusOK, b.B)
}

// launch serves POST /api/searchctrl/launch: a StartSearchRequest, decoded and launched by the
// same core as the search socket, answered with StartSearchResponse (no output channel: read
// the results with the render-request, download and export routes). The search starts at once
// and behaves as one launched on a socket: the caller holds it through a REST attachment (as
// POST …/attach), which lapses after KeepAlive without a ping; then a foreground search is
// deleted after the grace period, a background one (Background: true) stays.
func (a *API) launch(w http.ResponseWriter, r *http.Request, c *access.Principal) {
	body, e := readBody(r, false)
	if e != nil {
		writeError(w, e)
		return
	}
	var p wire.RequestParser
	var req wire.StartSearchRequest
	if err := p.StartSearchRequest(body, &req); err != nil {
		writeError(w, bodyError(err))
		return
	}
	if !req.IsLaunch {
		writeError(w, badRequest("SearchString", "missing SearchString"))
		return
	}
	if g, ok := c.CanShare(req.GIDs); !ok {
		writeError(w, &Error{Status: http.StatusForbidden, Field: "GIDs", Msg: "caller is not in group " + strconv.Itoa(int(g))})
		return
	}
	if req.Global && !c.Admin {
		writeError(w, &Error{Status: http.StatusForbidden, Field: "Global", Msg: "only admins may launch a global search"})
		return
	}
	s, err := a.m.LaunchWire(&req, c.UID, 0, access.LimitKey(c, r.RemoteAddr))
	if err != nil {
		var le *search.LimitError
		switch {
		case errors.As(err, &le):
			writeError(w, &Error{Status: http.StatusServiceUnavailable, Field: le.Field, Msg: err.Error()})
		case errors.Is(err, search.ErrRange):
			writeError(w, badRequest("SearchStart", err.Error()))
		default:
			writeError(w, badRequest("SearchString", err.Error()))
		}
		return
	}
	s.Start() // the launch's consumer: the caller's REST attachment holds it
	if e := a.hold(s, c, true); e != nil {
		s.Detach()
		writeError(w, e)
		return
	}
	resp := s.StartReply(&req, "")
	b := wire.GetBuffer()
	defer wire.PutBuffer(b)
	b.B = wire.AppendStartSearchResponse(b.B, &resp)
	writeRaw(w, http.StatusOK, b.B)
}

// readBody reads a request body of at most maxControlBody bytes; empty is an error unless
// optional.
func readBody(r *http.Request, optional bool) ([]byte, *Error) {
	if r.ContentLength > maxControlBody {
		return nil, &Error{Status: http.StatusRequestEntityTooLarge, Field: "body",
			Msg: "request body is over " + strconv.Itoa(maxControlBody) + " bytes"}
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxControlBody+1))
	if err != nil {
		return nil, badRequest("body", "cannot read the request body: "+err.Error())
	}
	if len(b) > maxControlBody {
		return nil, &Error{Status: http.StatusRequestEntityTooLarge, Field: "body",
			Msg: "request body is over " + strconv.Itoa(maxControlBody) + " bytes"}
	}
	if len(strings.TrimSpace(string(b))) == 0 && !optional {
		return nil, badRequest("body", "missing JSON request body")
	}
	return b, nil
}

// decodeBody decodes a JSON object body into v; an empty body is allowed when optional.
func decodeBody(r *http.Request, v any, optional bool) *Error {
	b, e := readBody(r, optional)
	if e != nil {
		return e
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return badRequest(te.Field, "expected "+te.Type.String()+", got JSON "+te.Value)
		}
		return badRequest("body", "cannot decode the JSON body: "+err.Error())
	}
	return nil
}

// bodyError maps a wire decoding error to a 400 naming the field (RequestError.Field; "body"
// when the body as a whole is wrong).
func bodyError(err error) *Error {
	var re *wire.RequestError
	if errors.As(err, &re) {
		field := re.Field
		if field == "" {
			field = "body"
		}
		return badRequest(field, re.Msg)
	}
	return badRequest("body", err.Error())
}
