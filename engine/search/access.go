package search

import (
	"github.com/sluicehq/sluice/engine/access"
)

// notFoundError is the error for a search ID that no live search has, or whose search the
// asking principal may not see: the two are indistinguishable on purpose.
type notFoundError struct{ id string }

func (e *notFoundError) Error() string        { return "search " + e.id + " not found" }
func (e *notFoundError) Is(target error) bool { return target == ErrNotFound }

// VisibleTo reports whether p may list, attach to, read or delete s: access.CanSee on the
// search's UID, GIDs and Global (GIDs and Global may change later, through REST).
func (s *Search) VisibleTo(p *access.Principal) bool {
	s.mu.Lock() // GIDs and Global change with the REST group and global routes
	defer s.mu.Unlock()
	return access.CanSee(p, s.UID, s.GIDs, s.Global)
}

// Lookup returns the live search with the given ID if p may see it; otherwise an error that
// wraps ErrNotFound and reads exactly as for an ID no search has.
func (m *Manager) Lookup(id string, p *access.Principal) (*Search, error) {
	s, ok := m.Get(id)
	if !ok || !s.VisibleTo(p) {
		return nil, &notFoundError{id}
	}
	return s, nil
}

// AttachAs is Attach for principal p: a search p may not see is not found.
func (m *Manager) AttachAs(id string, p *access.Principal) (*Search, error) {
	if _, err := m.Lookup(id, p); err != nil {
		return nil, err
	}
	return m.Attach(id)
}

// DeleteAs is Delete for principal p: a search p may not see is not found (ErrNotFound).
func (m *Manager) DeleteAs(id string, p *access.Principal) error {
	s, err := m.Lookup(id, p)
	if err != nil {
		return err
	}
	m.delete(s)
	return nil
}

// ListFor returns the summaries of the live searches p may see, newest first.
func (m *Manager) ListFor(p *access.Principal) []Summary {
	all := m.List()
	out := all[:0]
	for _, s := range all {
		if access.CanSee(p, s.UID, s.GIDs, s.Global) {
			out = append(out, s)
		}
	}
	return out
}
