package search

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// control is the part of a search's state that the REST search-control routes change
// (background, save, stop, group); it is guarded by Search.mu.
type control struct {
	saved   bool
	expires time.Time
	expiry  *time.Timer
}

// ErrDeleted is returned by the search-control methods of a search that has been deleted.
var ErrDeleted = errors.New("search: search has been deleted")

// Status is a consistent snapshot of a search's control state (GET /api/searchctrl).
type Status struct {
	State      string // pending, running, finished, stopped or deleted
	Consumers  int
	Background bool
	Saved      bool
	UID        int32
	GIDs       []int32
	Global     bool
}

// Status returns the search's control state.
func (s *Search) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Status{State: s.state, Consumers: s.consumer, Background: s.Background, Saved: s.ctl.saved,
		UID: s.UID, GIDs: s.GIDs, Global: s.Global}
}

// IsBackground reports whether the search is a background search (it outlives its consumers).
func (s *Search) IsBackground() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Background
}

// LaunchInfo returns the search's SearchLaunchInfo (PROTOCOL.md §5.9).
func (s *Search) LaunchInfo() wire.LaunchInfo {
	return s.Result.Info().LaunchInfo
}

// SetBackground makes the search a background search: it is no longer deleted when its last
// consumer leaves (only after ManagerConfig.BackgroundRetention, when that is set). A pending
// grace-period deletion is called off.
func (s *Search) SetBackground() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deleted {
		return ErrDeleted
	}
	s.Background = true
	s.Result.SetInfo(func(si *wire.SearchInfo) { si.Background = true })
	if s.timer != nil && s.acked {
		s.timer.Stop()
		s.timerGen++
		if s.consumer == 0 {
			s.scheduleIdleLocked()
		}
	}
	return nil
}

// SaveRequest is the optional body of a save: SaveSearchPatch (Gravwell's client types), a
// SearchLaunchInfo with a name and notes.
type SaveRequest struct {
	Expires time.Time // zero keeps the search until it is deleted
	Name    string
	Notes   string
}

// Save keeps the search until it is deleted or, when req.Expires is set, until then: it becomes
// a background search that BackgroundRetention does not collect. A name or notes replace the
// search's Name and Metadata ({"name":…,"notes":…}, as Gravwell's GUI stores them). Saved
// searches live in this process only: a restart loses them like every other search.
func (s *Search) Save(req SaveRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deleted {
		return ErrDeleted
	}
	if !req.Expires.IsZero() && !req.Expires.After(time.Now()) {
		return errors.New("search: save: expires " + req.Expires.UTC().Format(time.RFC3339) + " is in the past")
	}
	s.Background = true
	s.ctl.saved = true
	s.ctl.expires = req.Expires.UTC()
	if s.timer != nil && s.acked {
		s.timer.Stop() // no idle deletion for a saved search
		s.timerGen++
	}
	if s.ctl.expiry != nil {
		s.ctl.expiry.Stop()
		s.ctl.expiry = nil
	}
	if !req.Expires.IsZero() {
		s.ctl.expiry = time.AfterFunc(time.Until(req.Expires), func() {
			if s.m.deleteIf(s, func() bool { return s.ctl.saved && s.ctl.expires.Equal(req.Expires.UTC()) }) {
				s.m.cfg.Logger.Info("saved search expired", "search", s.ID, "expires", req.Expires)
			}
		})
	}
	var md []byte
	if req.Name != "" || req.Notes != "" {
		md, _ = json.Marshal(struct {
			Name  string `json:"name,omitempty"`
			Notes string `json:"notes,omitempty"`
		}{req.Name, req.Notes})
	}
	if req.Name != "" {
		s.Name = req.Name
	}
	s.Result.SetInfo(func(si *wire.SearchInfo) {
		si.Background = true
		si.LaunchInfo.Expires = req.Expires.UTC()
		if req.Expires.IsZero() {
			si.LaunchInfo.Expires = time.Time{}
		}
		if req.Name != "" {
			si.Name = req.Name
		}
		if md != nil {
			si.Metadata = md
		}
	})
	return nil
}

// Stop stops the search's pipeline: the results gathered so far stay and can be read, the
// search reports Finished, and its state becomes "stopped". Stopping a search that has already
// finished changes nothing.
func (s *Search) Stop() error {
	s.mu.Lock()
	if s.deleted {
		s.mu.Unlock()
		return ErrDeleted
	}
	if s.state != "running" && s.state != "pending" {
		s.mu.Unlock()
		return nil
	}
	s.state = "stopped"
	cancel := s.cancel
	acked := s.acked
	s.mu.Unlock()
	if cancel != nil {
		cancel() // the pipeline goroutine finishes the result
	} else if !acked || s.Embedded {
		s.Result.Finish(nil)
	}
	return nil
}

// SetGroup shares the search with group gid (0: with no group), as Gravwell's
// PUT /api/searchctrl/{id}/group does: GIDs becomes [gid] (or none) and SearchInfo.GID gid.
func (s *Search) SetGroup(gid int32) error {
	if gid == 0 {
		return s.SetGroups(nil)
	}
	return s.SetGroups([]int32{gid})
}

// SetGroups shares the search with the groups gids (none: with no group).
func (s *Search) SetGroups(gids []int32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deleted {
		return ErrDeleted
	}
	s.GIDs = append([]int32(nil), gids...)
	if len(gids) == 0 {
		s.GIDs = nil
	}
	g := s.GIDs
	var gid int32
	if len(g) > 0 {
		gid = g[0]
	}
	s.Result.SetInfo(func(si *wire.SearchInfo) { si.GID, si.GIDs = gid, g })
	return nil
}

// SetGlobal makes the search readable by everyone, or takes that back.
func (s *Search) SetGlobal(global bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deleted {
		return ErrDeleted
	}
	s.Global = global
	s.Result.SetInfo(func(si *wire.SearchInfo) { si.Global = global })
	return nil
}
