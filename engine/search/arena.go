package search

import "github.com/sluicehq/sluice/wire"

// arena holds the enumerated values and value bytes the pipeline attaches to one batch of
// entries. It is reset before every batch, so its memory is reused and steady-state processing
// does not allocate; entries handed to the Sink are valid only during Sink.Add.
//
// Every entry's EVs is a slice of evs with its capacity cut to its length, so appending to one
// entry never overwrites another's: addEV extends in place when the entry's values are the last
// ones in evs, and copies them to the end otherwise.
type arena struct {
	evs []wire.EV
	buf []byte
}

func (a *arena) reset() {
	a.evs = a.evs[:0]
	a.buf = a.buf[:0]
}

// alloc returns n bytes of arena memory. When the current chunk is full a bigger one replaces
// it; values already handed out keep the old chunk alive until they are dropped.
func (a *arena) alloc(n int) []byte {
	if cap(a.buf)-len(a.buf) < n {
		a.grow(n)
	}
	l := len(a.buf)
	a.buf = a.buf[:l+n]
	return a.buf[l : l+n : l+n]
}

func (a *arena) copy(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	d := a.alloc(len(b))
	copy(d, b)
	return d
}

// scratch returns an empty slice over the free tail of the current chunk, for an append-style
// writer (extract.LookupJSON, extract.NextCSV); commit claims what the writer appended. No
// other arena method may run between the two calls.
func (a *arena) scratch() []byte {
	if cap(a.buf)-len(a.buf) < minScratch {
		a.grow(minScratch)
	}
	return a.buf[len(a.buf):len(a.buf)]
}

// minScratch is the free space scratch guarantees, so that writers rarely reallocate.
const minScratch = 1024

// grow replaces the current chunk with an empty one of at least twice its size and n bytes.
func (a *arena) grow(n int) {
	c := 2 * cap(a.buf)
	if c < 4096 {
		c = 4096
	}
	if c < n {
		c = n
	}
	a.buf = make([]byte, 0, c)
}

// commit claims the bytes appended to the slice scratch returned. When the writer had to
// reallocate, its slice becomes the current chunk.
func (a *arena) commit(grown []byte) {
	if len(grown) == 0 {
		return
	}
	if free := a.buf[len(a.buf):cap(a.buf)]; len(free) >= len(grown) && &free[0] == &grown[0] {
		a.buf = a.buf[:len(a.buf)+len(grown)]
		return
	}
	a.buf = grown
}

// setEV sets the enumerated value name of e: it overwrites a value of the same name, or
// appends one.
func (a *arena) setEV(e *wire.Entry, name string, v wire.Value) {
	for i := range e.EVs {
		if e.EVs[i].Name == name {
			e.EVs[i].Value = v
			return
		}
	}
	n := len(e.EVs)
	if n > 0 && len(a.evs) >= n && &a.evs[len(a.evs)-1] == &e.EVs[n-1] {
		a.evs = append(a.evs, wire.EV{Name: name, Value: v})
		l := len(a.evs)
		e.EVs = a.evs[l-n-1 : l : l]
		return
	}
	start := len(a.evs)
	a.evs = append(a.evs, e.EVs...)
	a.evs = append(a.evs, wire.EV{Name: name, Value: v})
	l := len(a.evs)
	e.EVs = a.evs[start:l:l]
}

// evBuild attaches the enumerated values one stage extracts from one entry. When the entry has
// none yet (the first extraction module of a query) and the stage's names are distinct, the
// values are appended in place at the end of the arena's evs and the entry's EVs set once at
// the end; otherwise every value goes through setEV.
//
// NOTE: setEV's search for a value of the same name and its copy of the entry's values was a
// fifth of syslog extraction's time; most entries reach the first extraction stage with none.
type evBuild struct {
	e      *wire.Entry
	start  int // first of the entry's values in the arena's evs, when direct
	direct bool
}

// beginEVs starts attaching values to e; distinct says the names the caller sets are distinct.
func (a *arena) beginEVs(e *wire.Entry, distinct bool) evBuild {
	return evBuild{e: e, start: len(a.evs), direct: distinct && len(e.EVs) == 0}
}

// addEV attaches the value name of the entry b was begun for.
func (a *arena) addEV(b *evBuild, name string, v *wire.Value) {
	if !b.direct {
		a.setEV(b.e, name, *v)
		return
	}
	a.evs = append(a.evs, wire.EV{Name: name, Value: *v})
}

// endEVs sets the entry's EVs to the values added directly; keep false drops them (the entry
// is dropped, so values set through setEV do not matter).
func (a *arena) endEVs(b *evBuild, keep bool) {
	if !b.direct {
		return
	}
	if !keep {
		a.evs = a.evs[:b.start]
		return
	}
	if l := len(a.evs); l > b.start {
		b.e.EVs = a.evs[b.start:l:l]
	}
}
