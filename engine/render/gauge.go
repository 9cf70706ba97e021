package render

import (
	"github.com/sluicehq/sluice/wire"
)

// gaugeState holds gauge and numbercard values (PROTOCOL.md §5.5), guarded by Result.mu.
//
// `gauge [min=N] [max=N] [value ...]`: one GaugeValue per named value, Magnitude the value in
// the latest entry that carried it (aggregation modules emit their final entry last), Min and
// Max from the arguments (0 when not given). Without names, every numeric value becomes a
// gauge in the order first seen, up to Spec.MaxColumns. A gauge appears once it has a value.
type gaugeState struct {
	fixed  bool
	names  []string
	idx    map[string]int
	values []float64
	has    []bool
	seen   []int // gauges in the order they got their first value
}

func (g *gaugeState) init(names []string) {
	g.fixed = len(names) > 0
	g.names = append([]string(nil), names...)
	g.values = make([]float64, len(names))
	g.has = make([]bool, len(names))
	g.idx = make(map[string]int)
	for i, n := range names {
		g.idx[n] = i
	}
}

// addGauge takes e's values; r.mu is held.
func (r *Result) addGauge(e *wire.Entry) {
	g := &r.gauge
	for i := range e.EVs {
		ev := &e.EVs[i]
		f, ok := ev.Value.Float()
		if !ok || !numeric(ev.Value.Type) {
			continue
		}
		j, known := g.idx[ev.Name]
		if !known {
			if g.fixed || len(g.names) >= r.spec.MaxColumns {
				continue
			}
			if !r.growCond(int64(len(ev.Name)) + 48) {
				r.drop(e.TS)
				continue
			}
			name := cloneString(ev.Name)
			j = len(g.names)
			g.idx[name] = j
			g.names = append(g.names, name)
			g.values = append(g.values, 0)
			g.has = append(g.has, false)
		}
		if !g.has[j] {
			g.has[j] = true
			g.seen = append(g.seen, j)
			r.condN.Add(1)
		}
		g.values[j] = f
	}
}

// appendGauges appends the GaugeValues of gauges [from, to) (in first-value order); r.mu is
// held for reading.
func (r *Result) appendGauges(dst []byte, from, to int) []byte {
	g := &r.gauge
	dst = append(dst, '[')
	for i := from; i < to; i++ {
		if i > from {
			dst = append(dst, ',')
		}
		j := g.seen[i]
		if g.fixed {
			j = g.fixedOrder(i)
		}
		gv := wire.GaugeValue{Name: g.names[j], Magnitude: g.values[j], Min: r.args.min, Max: r.args.max}
		dst = wire.AppendGaugeValue(dst, &gv)
	}
	return append(dst, ']')
}

// fixedOrder returns the gauge at position i among the named gauges that have a value, in
// argument order.
func (g *gaugeState) fixedOrder(i int) int {
	for j, h := range g.has {
		if h {
			if i == 0 {
				return j
			}
			i--
		}
	}
	return 0
}
