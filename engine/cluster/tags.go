package cluster

import (
	"sync"

	"github.com/sluicehq/sluice/engine/store"
)

// tagTable numbers tag names for this node's searches and ingest. Indexers keep their own
// numbering in their stores; between nodes tags travel by name. Safe for concurrent use.
type tagTable struct {
	mu     sync.RWMutex
	byName map[string]uint16
	names  []string
}

func newTagTable() *tagTable { return &tagTable{byName: map[string]uint16{}} }

// TagID returns the ID of name, numbering it if new; the name must be a valid tag name.
func (t *tagTable) TagID(name string) (uint16, error) {
	t.mu.RLock()
	id, ok := t.byName[name]
	t.mu.RUnlock()
	if ok {
		return id, nil
	}
	if err := store.CheckTagName(name); err != nil {
		return 0, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if id, ok := t.byName[name]; ok {
		return id, nil
	}
	if len(t.names) >= store.MaxTags {
		return 0, store.ErrTooManyTags
	}
	id = uint16(len(t.names))
	t.names = append(t.names, name)
	t.byName[name] = id
	return id, nil
}

// name returns the name of id.
func (t *tagTable) name(id uint16) (string, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if int(id) >= len(t.names) {
		return "", false
	}
	return t.names[id], true
}
