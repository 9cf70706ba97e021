package render

import (
	"cmp"
	"math"
	"slices"
	"strconv"

	"github.com/sluicehq/sluice/wire"
)

// chartState holds a chart's series and time slices (PROTOCOL.md §5.6), guarded by Result.mu.
//
// `chart v [by k1 k2 …]`: every entry that carries value v adds one point at the entry's
// timestamp to the series named by its key values (joined by a space; the value's name when
// there are no keys). With several values, each value has its own series, named
// "<keys> <value>" (or just the value name). A later point for the same series and time
// replaces the earlier one. Slices are kept sorted by time, ascending.
type chartState struct {
	series   map[string]int
	names    []string
	keyComps [][]string
	sliceIdx map[int64]int
	slices   []wire.Chartable // insertion order
	order    []int32          // slices sorted by TS ascending
	dirty    bool
	name     []byte
}

func (c *chartState) init() {
	c.series = make(map[string]int)
	c.sliceIdx = make(map[int64]int)
}

// addPoint adds e's points; r.mu is held.
func (r *Result) addPoint(e *wire.Entry) {
	c := &r.chart
	multi := len(r.args.columns) > 1
	for _, vname := range r.args.columns {
		ev := findEV(e, vname)
		if ev == nil {
			continue
		}
		f, ok := ev.Value.Float()
		if !ok {
			continue
		}
		c.name = c.name[:0]
		for i, k := range r.args.keys {
			if i > 0 {
				c.name = append(c.name, ' ')
			}
			if kv := findEV(e, k); kv != nil {
				c.name = wire.AppendValueText(c.name, kv.Value)
			}
		}
		if multi || len(r.args.keys) == 0 {
			if len(r.args.keys) > 0 {
				c.name = append(c.name, ' ')
			}
			c.name = append(c.name, vname...)
		}
		s, ok := c.series[string(c.name)]
		if !ok {
			if len(c.names) >= r.spec.MaxSeries {
				r.warnSeries++
				continue
			}
			if !r.growCond(int64(len(c.name)) + 32) {
				r.drop(e.TS)
				continue
			}
			s = len(c.names)
			name := string(c.name)
			c.series[name] = s
			c.names = append(c.names, name)
			if len(r.args.keys) > 1 {
				comps := make([]string, len(r.args.keys))
				for i, k := range r.args.keys {
					if kv := findEV(e, k); kv != nil {
						comps[i] = string(wire.AppendValueText(nil, kv.Value))
					}
				}
				c.keyComps = append(c.keyComps, comps)
			}
		}
		si, ok := c.sliceIdx[e.TS]
		if !ok {
			if !r.growCond(40) {
				r.drop(e.TS)
				continue
			}
			si = len(c.slices)
			c.sliceIdx[e.TS] = si
			c.slices = append(c.slices, wire.Chartable{TS: e.TS})
			c.order = append(c.order, int32(si))
			c.dirty = true
			r.condN.Add(1)
		}
		sl := &c.slices[si]
		if s >= len(sl.Data) {
			grow := int64(s+1-len(sl.Data)) * 8
			if !r.growCond(grow) {
				r.drop(e.TS)
				continue
			}
			for len(sl.Data) <= s {
				sl.Data = append(sl.Data, math.NaN())
			}
		}
		sl.Data[s] = f
	}
}

// growCond accounts n more bytes of condensed values (RAM) against Spec.Limit and takes them
// from Spec.Memory.
func (r *Result) growCond(n int64) bool {
	if r.condSize.Load()+n > r.spec.Limit {
		r.setOver(r.spec.LimitField, r.spec.Limit, "render store limit reached ("+r.spec.LimitField+": "+
			strconv.FormatInt(r.spec.Limit, 10)+" bytes)")
		return false
	}
	if !r.spec.Memory.Reserve(n) {
		be := r.spec.Memory.Error("a chart or gauge's values", n)
		r.setOver(be.Field, be.Limit, be.Error())
		return false
	}
	r.condSize.Add(n)
	return true
}

// sortSlices restores the time order after new slices were added; r.mu is held.
func (c *chartState) sortSlices() {
	if !c.dirty {
		return
	}
	c.dirty = false
	sorted := true
	for i := 1; i < len(c.order); i++ {
		if c.slices[c.order[i-1]].TS > c.slices[c.order[i]].TS {
			sorted = false
			break
		}
	}
	if !sorted {
		slices.SortFunc(c.order, func(a, b int32) int {
			ta, tb := c.slices[a].TS, c.slices[b].TS
			switch {
			case ta < tb:
				return -1
			case ta > tb:
				return 1
			}
			return 0
		})
	}
}

// window returns the positions [a, b) of c.order whose slices lie in the window.
func (c *chartState) window(er *wire.EntryRange) (a, b int) {
	a, b = 0, len(c.order)
	if er.HasStartTS {
		a, _ = slices.BinarySearchFunc(c.order, er.StartTS, func(i int32, t int64) int { return cmp.Compare(c.slices[i].TS, t) })
	}
	if er.HasEndTS {
		b, _ = slices.BinarySearchFunc(c.order, er.EndTS, func(i int32, t int64) int { return cmp.Compare(c.slices[i].TS, t) })
	}
	return a, max(a, b)
}

// appendChart appends the ChartableValueSet with the slices at positions [from, to) of the
// time order; r.mu is held for reading.
func (r *Result) appendChart(dst []byte, from, to int) []byte {
	c := &r.chart
	var cats []string
	if len(c.names) > 0 {
		cats = c.names // Choice: Categories always equal Names (§5.6)
	}
	dst = wire.AppendChartHead(dst, c.names, c.keyComps, cats)
	for i := from; i < to; i++ {
		if i > from {
			dst = append(dst, ',')
		}
		dst = wire.AppendChartable(dst, &c.slices[c.order[i]], len(c.names))
	}
	return append(dst, "]}"...)
}

func findEV(e *wire.Entry, name string) *wire.EV {
	for i := range e.EVs {
		if e.EVs[i].Name == name {
			return &e.EVs[i]
		}
	}
	return nil
}
