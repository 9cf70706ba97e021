package render

import (
	"github.com/sluicehq/sluice/wire"
)

// Table columns with special meaning when no enumerated value has the name (as in Gravwell).
const (
	colTimestamp = "TIMESTAMP"
	colSRC       = "SRC"
	colTag       = "TAG"
	colData      = "DATA"
)

// addRow encodes e as a table row {"TS":…,"Row":[…]} into the arena (PROTOCOL.md §5.4).
// Cells are the ValueStr of the column's enumerated value, "" when the entry has none. With
// no column arguments the columns are every value name, in the order first seen: a row
// stored before a column appeared is padded with "" when it is written.
func (r *Result) addRow(e *wire.Entry) {
	tag := r.searchTag(e.Tag)
	if r.over.Load() {
		r.drop(e.TS)
		return
	}
	dynamic := len(r.args.columns) == 0
	if dynamic {
		r.discoverColumns(e)
	}
	ncols := len(r.columns) // the writer is the only one changing columns
	buf := r.arena.room(64 * (ncols + 1))
	buf = append(buf, `{"TS":`...)
	buf = wire.AppendUnixNano(buf, e.TS)
	buf = append(buf, `,"Row":[`...)
	if dynamic {
		evs := r.rowEVs[:0]
		for range ncols {
			evs = append(evs, nil)
		}
		for i := range e.EVs {
			if c, ok := r.colIdx[e.EVs[i].Name]; ok {
				evs[c] = &e.EVs[i]
			}
		}
		for c, ev := range evs {
			if c > 0 {
				buf = append(buf, ',')
			}
			if ev == nil {
				buf = append(buf, `""`...)
			} else {
				buf = r.appendValue(buf, ev)
			}
		}
		clear(evs)
		r.rowEVs = evs
	} else {
		for c, name := range r.columns {
			if c > 0 {
				buf = append(buf, ',')
			}
			buf = r.appendCell(buf, e, tag, name)
		}
	}
	buf = append(buf, "]}"...)
	if !r.arena.commit(buf, e.TS, uint16(ncols), 0) {
		r.stopped()
		r.drop(e.TS)
		return
	}
	r.trackOrder(e.TS)
}

// discoverColumns adds e's value names that are not columns yet, up to Spec.MaxColumns.
func (r *Result) discoverColumns(e *wire.Entry) {
	for i := range e.EVs {
		name := e.EVs[i].Name
		if _, ok := r.colIdx[name]; ok || len(r.columns) >= r.spec.MaxColumns {
			continue
		}
		name = cloneString(name)
		r.mu.Lock()
		r.colIdx[name] = len(r.columns)
		r.columns = append(r.columns, name)
		r.mu.Unlock()
	}
}

// appendValue appends the quoted cell of an enumerated value. A TAG value (count by TAG) is a
// store tag ID, shown by its name as in Gravwell.
func (r *Result) appendValue(dst []byte, ev *wire.EV) []byte {
	if ev.Name == colTag && ev.Value.Type == wire.TypeUint16 {
		return wire.AppendString(dst, r.storeTagName(uint16(ev.Value.N)))
	}
	return wire.AppendValueStr(dst, ev.Value)
}

// appendCell appends the quoted cell of column name for e.
func (r *Result) appendCell(dst []byte, e *wire.Entry, tag uint16, name string) []byte {
	for i := range e.EVs {
		if e.EVs[i].Name == name {
			return r.appendValue(dst, &e.EVs[i])
		}
	}
	switch name {
	case colTimestamp:
		return wire.AppendUnixNano(dst, e.TS)
	case colSRC:
		dst = append(dst, '"')
		if e.SRC.IsValid() {
			dst = e.SRC.WithZone("").Unmap().AppendTo(dst)
		}
		return append(dst, '"')
	case colTag:
		return wire.AppendString(dst, r.tagName(tag))
	case colData:
		return wire.AppendString(dst, e.Data)
	}
	return append(dst, `""`...)
}

// appendRows appends the rows of items sel, joined by commas, each padded to ncols cells.
func appendRows(dst []byte, v *view, sel *selection, ncols int) ([]byte, error) {
	first := true
	var err error
	sel.each(v, func(from, to int64) {
		// Runs of rows that already have every column are copied as they are.
		for i := from; i < to && err == nil; {
			j := i
			for j < to && int(v.item(j).aux()) == ncols {
				j++
			}
			if j > i {
				if !first {
					dst = append(dst, ',')
				}
				dst, err = v.appendJoined(dst, i, j)
				first = false
				i = j
				continue
			}
			if !first {
				dst = append(dst, ',')
			}
			if dst, err = v.appendFrag(dst, i); err != nil {
				return
			}
			dst = dst[:len(dst)-2] // without "]}"
			for c := int(v.item(i).aux()); c < ncols; c++ {
				if c > 0 {
					dst = append(dst, ',')
				}
				dst = append(dst, `""`...)
			}
			dst = append(dst, "]}"...)
			first = false
			i++
		}
	})
	return dst, err
}
