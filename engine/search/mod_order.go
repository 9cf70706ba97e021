package search

import (
	"bytes"
	"cmp"
	"hash/maphash"
	"net/netip"
	"sort"
	"strconv"

	"github.com/sluicehq/sluice/wire"
)

// sort [by FIELD] [asc|desc]
//
// Gravwell semantics: FIELD is time (the default), tag, src or an enumerated value; the default
// direction is descending for time and ascending for everything else. Numbers compare
// numerically, IPs as addresses, timestamps in time, other values as text; entries without the
// field sort last, and ties keep their order. The module buffers (copies) every entry, so it
// condenses; RunOptions.MaxSortBytes bounds it.
type sortSpec struct {
	key   int
	field string
	desc  bool
}

const (
	sortTime = iota
	sortTag
	sortSrc
	sortField
)

func parseSort(p *modParser) (moduleImpl, *ParseError) {
	s := &sortSpec{key: sortTime}
	if isWord(p.peek(), "by") {
		bt := p.next()
		t := p.next()
		if t == nil {
			return nil, p.errAt(bt, "expected a field after \"by\"")
		}
		switch t.text {
		case "time":
			s.key = sortTime
		case "tag":
			s.key = sortTag
		case "src":
			s.key = sortSrc
		default:
			s.key, s.field = sortField, t.text
			p.consumes(t.text)
		}
	}
	s.desc = s.key == sortTime
	if t := p.peek(); t != nil && !t.quoted && (t.raw == "asc" || t.raw == "desc") {
		s.desc = t.raw == "desc"
		p.next()
	}
	if t := p.peek(); t != nil {
		return nil, p.errAt(t, "unexpected "+strconv.Quote(t.raw)+"; expected sort [by FIELD] [asc|desc]")
	}
	return s, nil
}

func (s *sortSpec) newStage(rc *runCtx) stage { return &sortStage{s: s, rc: rc} }

type sortItem struct {
	e   wire.Entry
	key wire.Value
	has bool
}

type sortStage struct {
	s     *sortSpec
	rc    *runCtx
	items []sortItem
	slab  []byte
	evs   []wire.EV
	bytes int64
	mem   memHold // the buffers' share of RunOptions.Memory
	next  int
	out   []wire.Entry
	done  bool
}

// keep copies b into the stage's own memory.
func (g *sortStage) keep(b []byte) []byte {
	if b == nil {
		return nil
	}
	if cap(g.slab)-len(g.slab) < len(b) {
		g.slab = make([]byte, 0, max(1<<20, len(b)))
	}
	l := len(g.slab)
	g.slab = append(g.slab, b...)
	return g.slab[l:len(g.slab):len(g.slab)]
}

func (g *sortStage) process(ents []wire.Entry) (int, error) {
	for i := range ents {
		e := ents[i]
		size := int64(len(e.Data)) + 64
		for _, ev := range e.EVs {
			size += int64(len(ev.Value.B)) + 48
		}
		if g.bytes += size; g.bytes > g.rc.opt.MaxSortBytes {
			return 0, &LimitExceededError{Module: "sort", Field: "MaxSortBytes", Limit: g.rc.opt.MaxSortBytes}
		}
		if err := g.mem.add(g.rc, size, "sort buffers"); err != nil {
			return 0, err
		}
		e.Data = g.keep(e.Data)
		if len(e.EVs) > 0 {
			if cap(g.evs)-len(g.evs) < len(e.EVs) {
				g.evs = make([]wire.EV, 0, max(4096, len(e.EVs)))
			}
			start := len(g.evs)
			for _, ev := range e.EVs {
				ev.Value.B = g.keep(ev.Value.B)
				g.evs = append(g.evs, ev)
			}
			e.EVs = g.evs[start:len(g.evs):len(g.evs)]
		}
		it := sortItem{e: e}
		if g.s.key == sortField {
			it.key, it.has = lookup(&e, g.s.field, g.rc.ar)
			if it.has && it.key.B != nil && it.key.Type != wire.TypeBytes && it.key.Type != wire.TypeString {
				it.key.B = g.keep(it.key.B)
			}
		}
		g.items = append(g.items, it)
	}
	return 0, nil
}

func (g *sortStage) less(a, b *sortItem) bool {
	var c int
	switch g.s.key {
	case sortTime:
		c = cmp.Compare(a.e.TS, b.e.TS)
	case sortTag:
		c = cmp.Compare(int64(a.e.Tag), int64(b.e.Tag))
	case sortSrc:
		c = a.e.SRC.Compare(b.e.SRC)
	default:
		if a.has != b.has {
			return a.has // missing values last, whatever the direction
		}
		if !a.has {
			return a.e.TS > b.e.TS
		}
		c = compareValues(a.key, b.key)
	}
	if c == 0 {
		// ties keep scan order (newest first) however workers split the scan
		return a.e.TS > b.e.TS
	}
	if g.s.desc {
		return c > 0
	}
	return c < 0
}

func (g *sortStage) flush() ([]wire.Entry, error) {
	if !g.done {
		g.done = true
		sort.SliceStable(g.items, func(i, j int) bool { return g.less(&g.items[i], &g.items[j]) })
	}
	g.out = g.out[:0]
	for g.next < len(g.items) && len(g.out) < g.rc.opt.FlushBatch {
		g.out = append(g.out, g.items[g.next].e)
		g.next++
	}
	return g.out, nil
}

// merge folds another worker's sort stage into g: its buffered entries join g's.
func (g *sortStage) merge(other stage) error {
	o := other.(*sortStage)
	g.mem.merge(o.mem)
	if g.bytes += o.bytes; g.bytes > g.rc.opt.MaxSortBytes {
		return &LimitExceededError{Module: "sort", Field: "MaxSortBytes", Limit: g.rc.opt.MaxSortBytes}
	}
	g.items = append(g.items, o.items...)
	return nil
}

// compareValues orders two values: numerically when both are numbers, as addresses when both
// are IPs, in time when both are timestamps, otherwise by their text.
func compareValues(a, b wire.Value) int {
	if ai, af, aInt, ok := numeric(a); ok && a.Type != wire.TypeString && a.Type != wire.TypeBytes {
		if bi, bf, bInt, ok := numeric(b); ok && b.Type != wire.TypeString && b.Type != wire.TypeBytes {
			if aInt && bInt {
				return cmp.Compare(ai, bi)
			}
			return cmpFloat(af, bf)
		}
	}
	if a.Type == wire.TypeIP && b.Type == wire.TypeIP {
		x, _ := netip.AddrFromSlice(a.B)
		y, _ := netip.AddrFromSlice(b.B)
		return x.Compare(y)
	}
	if a.Type == wire.TypeTS && b.Type == wire.TypeTS {
		return cmp.Compare(int64(a.N), int64(b.N))
	}
	var ta, tb [64]byte
	return bytes.Compare(appendValueText(ta[:0], a), appendValueText(tb[:0], b))
}

// unique [FIELD ...]
//
// Passes the first entry of every distinct combination of the fields' values (entries lacking
// one are dropped), or of every distinct entry data when no field is given (compared by a
// 128-bit hash). It does not condense: entries flow on in scan order. RunOptions.MaxGroups
// bounds the keys it remembers.
type uniqueSpec struct {
	fields []string
}

func parseUnique(p *modParser) (moduleImpl, *ParseError) {
	s := &uniqueSpec{}
	for p.more() {
		t := p.next()
		for _, f := range splitComma(t.raw) {
			s.fields = append(s.fields, unquote(f))
		}
	}
	p.consumes(s.fields...)
	return s, nil
}

func splitComma(raw string) []string {
	var out []string
	start := 0
	inQuote := false
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '"':
			inQuote = !inQuote
		case ',':
			if !inQuote {
				if i > start {
					out = append(out, raw[start:i])
				}
				start = i + 1
			}
		}
	}
	if start < len(raw) {
		out = append(out, raw[start:])
	}
	return out
}

var uniqueSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

func (s *uniqueSpec) newStage(rc *runCtx) stage {
	return &uniqueStage{s: s, rc: rc, keys: map[string]struct{}{}, hashes: map[[2]uint64]struct{}{}}
}

type uniqueStage struct {
	s      *uniqueSpec
	rc     *runCtx
	keys   map[string]struct{}
	hashes map[[2]uint64]struct{}
	key    []byte
	mem    memHold // the keys' share of RunOptions.Memory
}

func (g *uniqueStage) process(ents []wire.Entry) (int, error) {
	n := 0
	for i := range ents {
		e := &ents[i]
		var fresh bool
		if len(g.s.fields) == 0 {
			h := [2]uint64{maphash.Bytes(uniqueSeeds[0], e.Data), maphash.Bytes(uniqueSeeds[1], e.Data)}
			if _, seen := g.hashes[h]; !seen {
				if len(g.hashes) >= g.rc.opt.MaxGroups {
					return 0, &LimitExceededError{Module: "unique", Field: "MaxGroups", Limit: int64(g.rc.opt.MaxGroups)}
				}
				if err := g.mem.add(g.rc, 48, "unique keys"); err != nil {
					return 0, err
				}
				g.hashes[h] = struct{}{}
				fresh = true
			}
		} else {
			key := g.key[:0]
			ok := true
			for _, f := range g.s.fields {
				v, found := lookup(e, f, g.rc.ar)
				if !found {
					ok = false
					break
				}
				key = appendKey(key, v)
			}
			g.key = key
			if !ok {
				continue
			}
			if _, seen := g.keys[string(key)]; !seen {
				if len(g.keys) >= g.rc.opt.MaxGroups {
					return 0, &LimitExceededError{Module: "unique", Field: "MaxGroups", Limit: int64(g.rc.opt.MaxGroups)}
				}
				if err := g.mem.add(g.rc, int64(len(key))+48, "unique keys"); err != nil {
					return 0, err
				}
				g.keys[string(key)] = struct{}{}
				fresh = true
			}
		}
		if fresh {
			if n != i {
				ents[n] = ents[i]
			}
			n++
		}
	}
	return n, nil
}

func (g *uniqueStage) flush() ([]wire.Entry, error) { return nil, nil }

// limit N / head N
//
// Passes the first N entries that reach it. Before any condensing module it also ends the
// scan once N entries have passed.
type limitSpec struct {
	n int64
}

func parseLimit(p *modParser) (moduleImpl, *ParseError) {
	t := p.next()
	if t == nil {
		return nil, p.errAt(nil, "missing argument: expected the number of entries, e.g. "+p.name+" 10")
	}
	n, err := strconv.ParseInt(t.text, 10, 64)
	if err != nil || n <= 0 {
		return nil, p.errAt(t, "bad count "+strconv.Quote(t.text)+"; expected a positive integer")
	}
	if extra := p.peek(); extra != nil {
		return nil, p.errAt(extra, "unexpected "+strconv.Quote(extra.raw)+" after the count")
	}
	return &limitSpec{n: n}, nil
}

func (s *limitSpec) newStage(rc *runCtx) stage { return &limitStage{left: s.n, rc: rc} }

type limitStage struct {
	left int64
	rc   *runCtx
}

func (g *limitStage) process(ents []wire.Entry) (int, error) {
	n := len(ents)
	if int64(n) > g.left {
		n = int(g.left)
	}
	g.left -= int64(n)
	if g.left == 0 && g.rc.streaming {
		g.rc.stop = true
	}
	return n, nil
}

func (g *limitStage) flush() ([]wire.Entry, error) { return nil, nil }
