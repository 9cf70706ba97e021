package engine

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/sluicehq/sluice/engine/access"
	"github.com/sluicehq/sluice/engine/search"
)

// listSearches serves GET /api/searchctrl: every live search the request's principal may see
// (access.CanSee) with its state and consumers, so a user can find one to attach to.
func (e *Engine) listSearches(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(e.manager.ListFor(access.FromContext(r.Context()))); err != nil {
		e.log.Debug("searchctrl: write failed", "err", err)
	}
}

// deleteSearch serves DELETE /api/searchctrl/{id}; a search the principal may not see is
// not found.
func (e *Engine) deleteSearch(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	err := e.manager.DeleteAs(id, access.FromContext(r.Context()))
	w.Header().Set("Content-Type", "application/json")
	switch {
	case errors.Is(err, search.ErrNotFound):
		w.WriteHeader(http.StatusNotFound)
		json.NewEncoder(w).Encode(map[string]string{"Error": "search " + id + " not found"})
	case err != nil:
		w.WriteHeader(http.StatusInternalServerError)
		json.NewEncoder(w).Encode(map[string]string{"Error": err.Error()})
	default:
		json.NewEncoder(w).Encode(map[string]string{"Deleted": id})
	}
}
