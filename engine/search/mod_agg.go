package search

import (
	"encoding/binary"
	"math"
	"sort"
	"strconv"
	"strings"
	"unsafe"

	"github.com/sluicehq/sluice/wire"
)

// Aggregation modules (condensing):
//
//	count [FIELD] [as NAME] [by F1[,F2] ...] [over WINDOW]
//	sum | mean | min | max | stddev | variance FIELD [as NAME] [by ...] [over WINDOW]
//	stats OP[(FIELD)] [as NAME] ... [by ...] [over WINDOW]    OP: count sum mean min max stddev variance unique_count
//
// Entries are grouped by the values of the by fields (an entry lacking one is skipped) and,
// with "over", by window (windows are aligned to the search start; the chart renderer gets a
// window even without "over", see RunOptions.ChartWindow). A single-operation module skips
// entries whose FIELD is missing or not numeric; stats skips them per operation. Results are
// enumerated values named after the operation (or NAME): count and unique_count int64; sum
// int64 while every input is an integer (float64 otherwise); min and max keep int64 when every
// input is an integer; mean, stddev and variance float64 (population statistics). Each group
// becomes one entry whose EVs are the by values then the results, whose Data is the text of the
// first result, and whose TS is its window start (with a window) or its newest entry's TS.
type aggSpec struct {
	module string
	ops    []aggOp
	by     []string
	window int64
	single bool // one operation: entries without a usable FIELD are skipped entirely
}

type aggOp struct {
	kind  int
	field string
	name  string
}

const (
	aggCount = iota
	aggSum
	aggMean
	aggMin
	aggMax
	aggStddev
	aggVariance
	aggUniqueCount
)

var aggNames = map[string]int{"count": aggCount, "sum": aggSum, "mean": aggMean, "min": aggMin, "max": aggMax,
	"stddev": aggStddev, "variance": aggVariance, "unique_count": aggUniqueCount}

func aggParser(kind int) func(p *modParser) (moduleImpl, *ParseError) {
	return func(p *modParser) (moduleImpl, *ParseError) {
		s := &aggSpec{module: p.name, single: true}
		op := aggOp{kind: kind, name: p.name}
		if t := p.peek(); t != nil && !isWord(t, "by") && !isWord(t, "over") && !isWord(t, "as") {
			p.next()
			op.field = t.text
		}
		if op.field == "" && kind != aggCount {
			return nil, p.errAt(p.peek(), "missing argument: expected the field to "+p.name)
		}
		if isWord(p.peek(), "as") {
			p.next()
			t := p.next()
			if t == nil || t.text == "" {
				return nil, p.errAt(nil, "expected a name after \"as\"")
			}
			op.name = t.text
		}
		s.ops = []aggOp{op}
		p.consumes(op.field)
		return s.finish(p)
	}
}

func parseStats(p *modParser) (moduleImpl, *ParseError) {
	s := &aggSpec{module: "stats"}
	for p.more() && !isWord(p.peek(), "by") && !isWord(p.peek(), "over") {
		t := p.next()
		name, field := t.text, ""
		if open := strings.IndexByte(name, '('); open >= 0 {
			if !strings.HasSuffix(name, ")") {
				return nil, p.errAt(t, "unbalanced parenthesis in "+strconv.Quote(t.raw)+"; expected OP(FIELD)")
			}
			name, field = name[:open], name[open+1:len(name)-1]
			if field == "" {
				return nil, p.errAt(t, "empty field in "+strconv.Quote(t.raw))
			}
		}
		kind, ok := aggNames[name]
		if !ok {
			return nil, p.errAt(t, "unknown operation "+strconv.Quote(name)+"; expected count, sum, mean, min, max, stddev, variance or unique_count")
		}
		if field == "" && kind != aggCount {
			return nil, p.errAt(t, "missing argument: "+name+" needs a field, e.g. "+name+"(bytes)")
		}
		op := aggOp{kind: kind, field: field, name: name}
		if isWord(p.peek(), "as") {
			p.next()
			n := p.next()
			if n == nil || n.text == "" {
				return nil, p.errAt(nil, "expected a name after \"as\"")
			}
			op.name = n.text
		}
		for _, o := range s.ops {
			if o.name == op.name {
				return nil, p.errAt(t, "two operations produce "+strconv.Quote(op.name)+"; rename one with \"as\"")
			}
		}
		s.ops = append(s.ops, op)
		p.consumes(field)
	}
	if len(s.ops) == 0 {
		return nil, p.errAt(p.peek(), "missing argument: expected one or more operations, e.g. stats count sum(bytes)")
	}
	return s.finish(p)
}

func (s *aggSpec) finish(p *modParser) (moduleImpl, *ParseError) {
	by, window, perr := p.byOver()
	if perr != nil {
		return nil, perr
	}
	s.by, s.window = by, window
	for _, b := range by {
		p.spec.Produces = appendUnique(p.spec.Produces, b)
	}
	for _, o := range s.ops {
		p.spec.Produces = appendUnique(p.spec.Produces, o.name)
	}
	return s, nil
}

// accum is one operation's running state in one group.
type accum struct {
	n      int64 // samples
	isum   int64
	fsum   float64
	float  bool // saw a float (or the integer sum overflowed)
	imin   int64
	imax   int64
	fmin   float64
	fmax   float64
	mean   float64 // Welford
	m2     float64
	unique map[string]struct{}
}

func (a *accum) add(i int64, f float64, isInt bool) {
	a.n++
	if isInt && !a.float {
		s := a.isum + i
		if (i > 0 && s < a.isum) || (i < 0 && s > a.isum) {
			a.float = true
			a.fsum += float64(a.isum) + float64(i)
			a.isum = 0
		} else {
			a.isum = s
		}
	} else {
		if !a.float {
			a.float = true
			a.fsum += float64(a.isum)
			a.isum = 0
		}
		a.fsum += f
	}
	if a.n == 1 {
		a.imin, a.imax, a.fmin, a.fmax = i, i, f, f
	} else {
		a.imin, a.imax = min(a.imin, i), max(a.imax, i)
		a.fmin, a.fmax = min(a.fmin, f), max(a.fmax, f)
	}
	d := f - a.mean
	a.mean += d / float64(a.n)
	a.m2 += d * (f - a.mean)
}

// aggGroup is one group: its by values (copied), time and accumulators.
type aggGroup struct {
	ts     int64 // window start, or the newest entry's TS
	first  int64 // TS of the group's newest entry: the first in scan order
	tag    uint16
	allInt []bool // per op: every sample was an integer
	by     []wire.Value
	acc    int // offset of the group's accumulators in aggStage.accs
}

func (s *aggSpec) newStage(rc *runCtx) stage {
	w := s.window
	if w == 0 {
		w = rc.window
	}
	return &aggStage{s: s, rc: rc, window: w, index: map[string]int32{}, vals: make([]wire.Value, len(s.by))}
}

type aggStage struct {
	s      *aggSpec
	rc     *runCtx
	window int64
	index  map[string]int32
	groups []aggGroup
	accs   []accum
	key    []byte
	vals   []wire.Value
	mem    memHold // the groups' share of RunOptions.Memory

	merged bool // other workers' groups were merged in: flush orders groups by first

	// flush state
	order  []int32
	next   int
	out    []wire.Entry
	outEVs []wire.EV
	outBuf []byte
}

func (g *aggStage) process(ents []wire.Entry) (int, error) {
	s := g.s
	if g.window == 0 && len(s.by) == 0 && s.single && s.ops[0].kind == aggCount && s.ops[0].field == "" {
		return g.countAll(ents)
	}
	for i := range ents {
		e := &ents[i]
		key := g.key[:0]
		if g.window > 0 {
			ws := g.rc.windowStart(e.TS, g.window)
			key = appendWindowKey(key, ws)
		}
		ok := true
		for k, f := range s.by {
			v, found := lookup(e, f, g.rc.ar)
			if !found {
				ok = false
				break
			}
			g.vals[k] = v
			key = appendKey(key, v)
		}
		g.key = key
		if !ok {
			continue
		}
		var si int64
		var sf float64
		var sInt bool
		if s.single && s.ops[0].field != "" {
			v, found := lookup(e, s.ops[0].field, g.rc.ar)
			if !found {
				continue
			}
			if s.ops[0].kind != aggCount {
				var num bool
				if si, sf, sInt, num = numeric(v); !num {
					continue
				}
			}
		}
		idx, err := g.group(e, true)
		if err != nil {
			return 0, err
		}
		grp := &g.groups[idx]
		if e.TS > grp.first {
			// a worker of a parallel scan sees blocks out of order: keep the newest entry's
			grp.first, grp.tag = e.TS, e.Tag
			if g.window == 0 {
				grp.ts = e.TS
			}
		}
		for k := range s.ops {
			op := &s.ops[k]
			a := &g.accs[grp.acc+k]
			if op.kind == aggCount {
				if op.field != "" && !s.single {
					if _, found := lookup(e, op.field, g.rc.ar); !found {
						continue
					}
				}
				a.n++
				continue
			}
			i, f, isInt := si, sf, sInt
			if !s.single {
				v, found := lookup(e, op.field, g.rc.ar)
				if !found {
					continue
				}
				if op.kind == aggUniqueCount {
					g.key = appendKey(g.key[:0], v)
					if a.unique == nil {
						a.unique = map[string]struct{}{}
					}
					if _, seen := a.unique[string(g.key)]; !seen {
						a.unique[string(g.key)] = struct{}{}
					}
					a.n++
					continue
				}
				var num bool
				if i, f, isInt, num = numeric(v); !num {
					continue
				}
			}
			if !isInt {
				grp.allInt[k] = false
			}
			a.add(i, f, isInt)
		}
	}
	return 0, nil
}

// countAll is process for a plain count (no field, no by, no window): one group, whose count
// grows by the batch size and whose newest entry is found in one pass, instead of a key and a
// map lookup per entry. It gives exactly what the general loop gives.
func (g *aggStage) countAll(ents []wire.Entry) (int, error) {
	if len(ents) == 0 {
		return 0, nil
	}
	newest := 0
	for i := 1; i < len(ents); i++ {
		if ents[i].TS > ents[newest].TS {
			newest = i
		}
	}
	g.key = g.key[:0]
	idx, err := g.group(&ents[0], false)
	if err != nil {
		return 0, err
	}
	grp := &g.groups[idx]
	if e := &ents[newest]; e.TS > grp.first {
		grp.first, grp.tag, grp.ts = e.TS, e.Tag, e.TS
	}
	g.accs[grp.acc].n += int64(len(ents))
	return 0, nil
}

// appendWindowKey appends the key bytes of the window starting at ws.
func appendWindowKey(key []byte, ws int64) []byte {
	return binary.LittleEndian.AppendUint64(key, uint64(ws))
}

// group returns the group of the current key (g.key) and values (g.vals), creating it from e
// when it is new: within MaxGroups, and with its memory reserved when reserve is set.
func (g *aggStage) group(e *wire.Entry, reserve bool) (int32, error) {
	if idx, ok := g.index[string(g.key)]; ok {
		return idx, nil
	}
	if len(g.groups) >= g.rc.opt.MaxGroups {
		return 0, &LimitExceededError{Module: g.s.module, Field: "MaxGroups", Limit: int64(g.rc.opt.MaxGroups)}
	}
	if reserve {
		if err := g.mem.add(g.rc, g.groupBytes(len(g.key)), "aggregation groups"); err != nil {
			return 0, err
		}
	}
	return g.newGroup(e), nil
}

// newGroup creates the group of the current key and values.
func (g *aggStage) newGroup(e *wire.Entry) int32 {
	s := g.s
	grp := aggGroup{tag: e.Tag, first: e.TS, acc: len(g.accs), allInt: make([]bool, len(s.ops))}
	for k := range grp.allInt {
		grp.allInt[k] = true
	}
	if g.window > 0 {
		grp.ts = g.rc.windowStart(e.TS, g.window)
	} else {
		grp.ts = e.TS
	}
	if len(s.by) > 0 {
		size := 0
		for _, v := range g.vals {
			size += len(v.B)
		}
		buf := make([]byte, 0, size)
		grp.by = make([]wire.Value, len(s.by))
		for k, v := range g.vals {
			if v.B != nil {
				start := len(buf)
				buf = append(buf, v.B...)
				v.B = buf[start:len(buf):len(buf)]
			}
			grp.by[k] = v
		}
	}
	for range s.ops {
		g.accs = append(g.accs, accum{})
	}
	idx := int32(len(g.groups))
	g.groups = append(g.groups, grp)
	g.index[string(g.key)] = idx
	return idx
}

// result returns operation k's value for a group; ok is false when it has no samples.
func (g *aggStage) result(grp *aggGroup, k int) (wire.Value, bool) {
	op := &g.s.ops[k]
	a := &g.accs[grp.acc+k]
	switch op.kind {
	case aggCount:
		return wire.IntValue(a.n), true
	case aggUniqueCount:
		return wire.IntValue(int64(len(a.unique))), true
	}
	if a.n == 0 {
		return wire.Value{}, false
	}
	switch op.kind {
	case aggSum:
		if a.float {
			return wire.FloatValue(a.fsum + float64(a.isum)), true
		}
		return wire.IntValue(a.isum), true
	case aggMean:
		sum := a.fsum + float64(a.isum)
		return wire.FloatValue(sum / float64(a.n)), true
	case aggMin:
		if grp.allInt[k] {
			return wire.IntValue(a.imin), true
		}
		return wire.FloatValue(a.fmin), true
	case aggMax:
		if grp.allInt[k] {
			return wire.IntValue(a.imax), true
		}
		return wire.FloatValue(a.fmax), true
	case aggStddev:
		return wire.FloatValue(math.Sqrt(a.m2 / float64(a.n))), true
	case aggVariance:
		return wire.FloatValue(a.m2 / float64(a.n)), true
	}
	return wire.Value{}, false
}

func (g *aggStage) flush() ([]wire.Entry, error) {
	if g.order == nil {
		g.order = make([]int32, len(g.groups))
		for i := range g.order {
			g.order[i] = int32(i)
		}
		if g.merged {
			// one worker creates groups in scan order; merged ones are put back in it
			sort.SliceStable(g.order, func(a, b int) bool { return g.groups[g.order[a]].first > g.groups[g.order[b]].first })
		}
		if g.window > 0 {
			sort.SliceStable(g.order, func(a, b int) bool { return g.groups[g.order[a]].ts < g.groups[g.order[b]].ts })
		}
	}
	g.out, g.outEVs, g.outBuf = g.out[:0], g.outEVs[:0], g.outBuf[:0]
	for g.next < len(g.order) && len(g.out) < g.rc.opt.FlushBatch {
		grp := &g.groups[g.order[g.next]]
		g.next++
		start := len(g.outEVs)
		for k, name := range g.s.by {
			g.outEVs = append(g.outEVs, wire.EV{Name: name, Value: grp.by[k]})
		}
		dataStart := len(g.outBuf)
		first := true
		for k := range g.s.ops {
			v, ok := g.result(grp, k)
			if !ok {
				continue
			}
			if first {
				g.outBuf = appendValueText(g.outBuf, v)
				first = false
			}
			g.outEVs = append(g.outEVs, wire.EV{Name: g.s.ops[k].name, Value: v})
		}
		g.out = append(g.out, wire.Entry{TS: grp.ts, Tag: grp.tag, Data: g.outBuf[dataStart:len(g.outBuf):len(g.outBuf)]})
		g.out[len(g.out)-1].EVs = g.outEVs[start:len(g.outEVs):len(g.outEVs)]
	}
	// outBuf and outEVs may have been reallocated while appending: re-slice from the final arrays
	// so that every entry refers to the same memory the next call reuses.
	if len(g.out) > 0 {
		evOff, bufOff := 0, 0
		for i := range g.out {
			e := &g.out[i]
			ne, nb := len(e.EVs), len(e.Data)
			e.EVs = g.outEVs[evOff : evOff+ne : evOff+ne]
			e.Data = g.outBuf[bufOff : bufOff+nb : bufOff+nb]
			evOff += ne
			bufOff += nb
		}
	}
	return g.out, nil
}

// merge folds the accumulator of the same operation in another worker's group into a, as if
// a had seen b's samples too. Integer sums, counts, minima, maxima and unique sets are exact;
// float sums and the mean/variance (Chan et al.'s pairwise update of Welford's state) differ
// from one accumulator fed every sample only by rounding.
func (a *accum) merge(b *accum) {
	if b.unique != nil {
		if a.unique == nil {
			a.unique = b.unique
		} else {
			for k := range b.unique {
				a.unique[k] = struct{}{}
			}
		}
	}
	if b.n == 0 {
		return
	}
	if a.n == 0 {
		u := a.unique
		*a = *b
		a.unique = u
		return
	}
	if a.float || b.float {
		a.fsum = a.fsum + float64(a.isum) + b.fsum + float64(b.isum)
		a.isum, a.float = 0, true
	} else if s := a.isum + b.isum; (b.isum > 0 && s < a.isum) || (b.isum < 0 && s > a.isum) {
		a.fsum, a.isum, a.float = float64(a.isum)+float64(b.isum), 0, true
	} else {
		a.isum = s
	}
	a.imin, a.imax = min(a.imin, b.imin), max(a.imax, b.imax)
	a.fmin, a.fmax = min(a.fmin, b.fmin), max(a.fmax, b.fmax)
	n := a.n + b.n
	d := b.mean - a.mean
	a.mean += d * float64(b.n) / float64(n)
	a.m2 += b.m2 + d*d*float64(a.n)*float64(b.n)/float64(n)
	a.n = n
}

// groupBytes estimates the memory of one group whose key is keyLen bytes: the key, the map
// entry, the group and its accumulators.
func (g *aggStage) groupBytes(keyLen int) int64 {
	return int64(keyLen) + 64 + int64(unsafe.Sizeof(aggGroup{})) + int64(len(g.s.ops))*int64(unsafe.Sizeof(accum{}))
}

// merge folds another worker's aggregation stage of the same module into g.
func (g *aggStage) merge(other stage) error {
	o := other.(*aggStage)
	g.mem.merge(o.mem) // o's groups were reserved by o
	nops := len(g.s.ops)
	// in o's group order, not the map's, so that a merge gives the same group order every time
	keys := make([]string, len(o.groups))
	for key, oi := range o.index {
		keys[oi] = key
	}
	for oi, key := range keys {
		og := &o.groups[oi]
		idx, ok := g.index[key]
		if !ok {
			if len(g.groups) >= g.rc.opt.MaxGroups {
				return &LimitExceededError{Module: g.s.module, Field: "MaxGroups", Limit: int64(g.rc.opt.MaxGroups)}
			}
			ng := *og
			ng.acc = len(g.accs)
			g.accs = append(g.accs, o.accs[og.acc:og.acc+nops]...)
			g.index[key] = int32(len(g.groups))
			g.groups = append(g.groups, ng)
			continue
		}
		grp := &g.groups[idx]
		if og.first > grp.first {
			grp.first, grp.tag = og.first, og.tag
		}
		if g.window == 0 && og.ts > grp.ts {
			grp.ts = og.ts
		}
		for k := 0; k < nops; k++ {
			grp.allInt[k] = grp.allInt[k] && og.allInt[k]
			g.accs[grp.acc+k].merge(&o.accs[og.acc+k])
		}
	}
	g.merged = true
	return nil
}
