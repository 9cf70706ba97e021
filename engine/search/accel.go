package search

import "github.com/sluicehq/sluice/engine/store"

// blockFilter returns the store Filter of q's literal constraints, nil when there are none:
// the patterns of every grep on entry data (not -v, not -e) among q's leading per-entry
// modules. Those modules decide each entry on its own and never change Data, so an entry
// without a grep's tokens can never pass the prefix; modules after it may depend on which
// entries came before (limit, unique) and never filter blocks.
//
// A skipped block's entries are not counted in any module's statistics, as Gravwell's
// accelerated searches do not count them: the first module's InputCount is then the entries
// of the blocks that were read.
func (q *Query) blockFilter() *store.Filter {
	k, _ := q.perEntryPrefix()
	var f store.Filter
	for _, m := range q.Modules[:k] {
		g, ok := m.impl.(*grepSpec)
		if !ok || g.invert || g.field != "" {
			continue
		}
		alts := make([][]string, len(g.pats))
		for i := range g.pats {
			alts[i] = g.pats[i].tokens()
		}
		if g.strict {
			for _, a := range alts {
				f.Require([][]string{a})
			}
		} else {
			f.Require(alts)
		}
	}
	if f.Empty() {
		return nil
	}
	return &f
}

// scanQuery returns the store query of a run: its range, tags, block filter and decoders (an
// ordered scan decodes blocks ahead on Workers-1 more goroutines).
func (q *Query) scanQuery(opt *RunOptions) store.ScanQuery {
	sq := store.ScanQuery{Tags: opt.Tags, Start: opt.Start, End: opt.End, Counts: opt.Counts, Decoders: opt.Workers}
	if !opt.NoAccel {
		sq.Filter = q.blockFilter()
	}
	return sq
}

// tokens returns the whole data tokens any match of the pattern contains: in every piece, each
// run of token bytes (store.IsTokenByte) with a literal non-token byte on both sides. Runs at a
// piece's ends or next to a '?' may be part of a longer token of the data.
func (g *grepPattern) tokens() []string {
	var out []string
	for _, pc := range g.pieces {
		lit := pc.lit
		bound := func(i int) bool { // position i holds a literal non-token byte
			return (pc.any == nil || !pc.any[i]) && !store.IsTokenByte(lit[i])
		}
		for i := 0; i < len(lit); {
			if !bound(i) {
				i++
				continue
			}
			j := i + 1
			for j < len(lit) && (pc.any == nil || !pc.any[j]) && store.IsTokenByte(lit[j]) {
				j++
			}
			if j > i+1 && j < len(lit) && bound(j) {
				out = append(out, string(lit[i+1:j]))
			}
			i = j
		}
	}
	return out
}
