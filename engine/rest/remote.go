package rest

import (
	"net/http"
	"sort"

	"github.com/sluicehq/sluice/engine/access"
	"github.com/sluicehq/sluice/engine/search"
	"github.com/sluicehq/sluice/wire"
)

// Remote lets the routes reach the searches other webservers of a cluster hold (package
// engine/cluster implements it over the cluster's search registry). Config.Remote nil: this
// server's searches are all there are.
type Remote interface {
	// Serve answers r, a route about search id, when another webserver holds that search and
	// c may see it there (it proxies the request to that webserver, authorised as c), and
	// reports whether it did. It reports false for an ID the registry does not know or c may
	// not see, which the route then answers as any unknown ID.
	Serve(w http.ResponseWriter, r *http.Request, c *access.Principal, id string) bool
	// List returns the searches other webservers hold that c may see (all: every one),
	// newest first.
	List(c *access.Principal, all bool) []RemoteSearch
}

// RemoteSearch is a search another webserver holds, as the cluster registry describes it.
type RemoteSearch struct {
	search.Summary
	EffectiveQuery string
	Node           string // the webserver holding it
	Addr           string // that webserver's HTTP address
	// Gone, when set, says why the search's results cannot be reached (its webserver is
	// dead); the search is listed with State "GONE".
	Gone string
}

// WriteError answers with e's status and {"Error":…,"Field":…}, as every route does.
func WriteError(w http.ResponseWriter, e *Error) { writeError(w, e) }

// remoteFirst wraps the handler of a route about a search ({id}): an ID this server does not
// hold is offered to Config.Remote first.
func (a *API) remoteFirst(fn func(w http.ResponseWriter, r *http.Request, c *access.Principal)) func(w http.ResponseWriter, r *http.Request, c *access.Principal) {
	if a.cfg.Remote == nil {
		return fn
	}
	return func(w http.ResponseWriter, r *http.Request, c *access.Principal) {
		id := r.PathValue("id")
		if _, ok := a.m.Get(id); !ok && id != "" && len(id) <= 64 && a.cfg.Remote.Serve(w, r, c, id) {
			return
		}
		fn(w, r, c)
	}
}

// remoteList returns the other webservers' searches c may see, nil without Config.Remote.
func (a *API) remoteList(c *access.Principal, all bool) []RemoteSearch {
	if a.cfg.Remote == nil {
		return nil
	}
	return a.cfg.Remote.List(c, all)
}

// remoteStatus is SearchCtrlStatus of a remote search, from its registry record.
func remoteStatus(rs *RemoteSearch) ctrlStatus {
	st := search.Status{State: rs.State, Consumers: rs.Consumers, Background: rs.Background, UID: rs.UID,
		GIDs: rs.GIDs, Global: rs.Global}
	cs := ctrlStatus{ID: rs.ID, UID: rs.UID, GIDs: rs.GIDs, Global: rs.Global, State: stateText(&st),
		AttachedClients: rs.Consumers, UserQuery: rs.UserQuery, EffectiveQuery: rs.EffectiveQuery,
		StartRange: rs.StartRange, EndRange: rs.EndRange, LaunchInfo: launchInfo{Started: rs.Launched},
		Name: rs.Name, Progress: rs.State}
	if len(rs.GIDs) > 0 {
		cs.GID = rs.GIDs[0]
	}
	if rs.Gone != "" {
		cs.State, cs.Progress = "GONE", "gone: "+rs.Gone
	}
	return cs
}

// remoteInfo appends the SearchInfo of a remote search, from its registry record.
func remoteInfo(dst []byte, rs *RemoteSearch) []byte {
	si := wire.SearchInfo{ID: rs.ID, UID: rs.UID, GIDs: rs.GIDs, Global: rs.Global, UserQuery: rs.UserQuery,
		EffectiveQuery: rs.EffectiveQuery, StartRange: rs.StartRange, EndRange: rs.EndRange, Descending: true,
		Started: rs.Launched, Name: rs.Name, Background: rs.Background, Error: rs.Gone,
		LaunchInfo: wire.LaunchInfo{Started: rs.Launched}}
	if len(rs.GIDs) > 0 {
		si.GID = rs.GIDs[0]
	}
	return wire.AppendSearchInfo(dst, &si)
}

// sortStatuses orders statuses newest first, as the list routes answer.
func sortStatuses(out []ctrlStatus) {
	sort.SliceStable(out, func(i, j int) bool { return out[i].LaunchInfo.Started.After(out[j].LaunchInfo.Started) })
}
