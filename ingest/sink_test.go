package ingest

import (
	"errors"
	"strconv"
	"sync"

	"github.com/sluicehq/sluice/wire"
)

// memSink is an in-memory Sink for tests: tags checked like the store checks them, entries
// copied.
type memSink struct {
	mu         sync.Mutex
	tags       map[string]uint16
	names      []string
	entries    []wire.Entry
	calls      int
	failIngest error
}

func newMemSink() *memSink { return &memSink{tags: map[string]uint16{}} }

func (s *memSink) TagID(name string) (uint16, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.tags[name]; ok {
		return id, nil
	}
	if name == "" || len(name) > 64 {
		return 0, errors.New("memsink: invalid tag name " + strconv.Quote(name))
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return 0, errors.New("memsink: invalid tag name " + strconv.Quote(name))
		}
	}
	id := uint16(len(s.names))
	s.tags[name] = id
	s.names = append(s.names, name)
	return id, nil
}

func (s *memSink) Ingest(batch []wire.Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.failIngest != nil {
		return s.failIngest
	}
	for _, e := range batch {
		e.Data = append([]byte(nil), e.Data...)
		s.entries = append(s.entries, e)
	}
	return nil
}

func (s *memSink) snapshot() ([]wire.Entry, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]wire.Entry(nil), s.entries...), append([]string(nil), s.names...)
}
