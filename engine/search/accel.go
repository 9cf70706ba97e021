package search

import (
	"github.com/sluicehq/sluice/engine/extract"
	"github.com/sluicehq/sluice/engine/store"
)

// blockFilter returns the store Filter of q's literal constraints, nil when there are none.
// They come from q's leading per-entry modules, which decide each entry on its own and never
// change Data, so an entry that fails one can never pass the prefix; modules after it may
// depend on which entries came before (limit, unique) and never filter blocks:
//   - the patterns of every grep on entry data (not -v, not -e);
//   - the `==` filters of json, kv, syslog, csv and regex extractions on entry data (not -e), as
//     named-field terms that wells indexing the same field the same way answer (eqTerms),
//     and for kv, syslog and csv as the value's fulltext tokens when the raw data must hold
//     them (eqTokens);
//   - the addresses of src (not -v, not with a prefix).
//
// A skipped block's entries are not counted in any module's statistics, as Gravwell's
// accelerated searches do not count them: the first module's InputCount is then the entries
// of the blocks that were read.
func (q *Query) blockFilter() *store.Filter {
	k, _ := q.perEntryPrefix()
	var f store.Filter
	for _, m := range q.Modules[:k] {
		switch g := m.impl.(type) {
		case *grepSpec:
			if g.invert || g.field != "" {
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
		case *srcSpec:
			if g.invert || len(g.pfxs) > 0 {
				continue
			}
			alts := make([][]store.Term, len(g.addrs))
			for i, a := range g.addrs {
				alts[i] = []store.Term{store.SrcTerm(a)}
			}
			f.RequireTerms(alts)
		case *regexSpec:
			requireEq(&f, g.field, g.specs, func(k int) (store.Space, eqKind) {
				return store.RegexSpace(g.pattern, g.specs[k].path), eqTyped
			})
		case *jsonSpec:
			requireEq(&f, g.field, g.specs, func(k int) (store.Space, eqKind) {
				return store.JSONSpace(g.paths[k].String()), eqTyped
			})
		case *kvSpec:
			safe := kvTokenSafe(&g.cfg)
			requireEq(&f, g.field, g.specs, func(k int) (store.Space, eqKind) {
				return store.KVSpace(g.cfg, g.specs[k].path), eqTyped | eqRaw*eqKind(boolInt(safe))
			})
		case *syslogSpec:
			requireEq(&f, g.field, g.specs, func(k int) (store.Space, eqKind) {
				switch g.fields[k].Kind {
				case sysTimestamp:
					return store.Space{}, 0
				case sysFacility, sysSeverity, sysPriority, sysVersion:
					return store.SyslogSpace(g.specs[k].path), eqTyped
				case extract.SyslogStructured:
					return store.SyslogSpace(g.specs[k].path), eqTyped | eqRaw
				case sysMessage: // an RFC 5424 message loses its BOM, a token byte run
					return store.SyslogSpace(g.specs[k].path), eqText
				}
				return store.SyslogSpace(g.specs[k].path), eqText | eqRaw
			})
		case *columnsSpec:
			if !g.csv {
				continue
			}
			requireEq(&f, g.field, g.specs, func(k int) (store.Space, eqKind) {
				return store.CSVSpace(g.index[k]), eqTyped | eqRaw
			})
		}
	}
	if f.Empty() {
		return nil
	}
	return &f
}

// eqKind says how an extraction's `==` filter may become block filter terms.
type eqKind uint8

const (
	// eqTyped: the value is typed like extracted text (numbers, IPs, timestamps): a plain
	// filter value asks for its text term, a number for its text or number term, an IP
	// address for its text or address term, and a time or a CIDR prefix for nothing.
	eqTyped eqKind = 1 << iota
	// eqText: the value is always text, so any filter value asks for its text term.
	eqText
	// eqRaw: the value is a run of the raw data between non-token bytes (escapes only add
	// non-token bytes), so a filter value compared as text asks for its fulltext tokens too.
	eqRaw
)

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// requireEq adds a clause per `==` filter of an extraction on entry data (field ""): the named-field
// terms of the value in the field's space, and, when eqRaw allows, one with the value's
// fulltext tokens. space returns field k's space and kind (0: none). The clauses are separate
// because each is answered by different wells: a well that does not index a clause's terms
// takes them as present.
func requireEq(f *store.Filter, field string, specs []fieldSpec, space func(k int) (store.Space, eqKind)) {
	if field != "" {
		return
	}
	for k := range specs {
		flt := specs[k].filter
		if flt == nil || flt.op != opEq {
			continue
		}
		sp, kind := space(k)
		if kind == 0 {
			continue
		}
		v := string(flt.text)
		byValue := flt.ip.IsValid() || flt.hasPfx || flt.hasTS
		number := flt.numKind != extract.NotNumber
		switch {
		case kind&eqText != 0:
			f.RequireTerms([][]store.Term{{sp.Value(v)}})
		case flt.ip.IsValid() && !number && !flt.hasTS:
			f.RequireTerms([][]store.Term{{sp.Value(v)}, {sp.IP(flt.ip)}})
			continue
		case byValue:
			continue
		case number:
			f.RequireTerms([][]store.Term{{sp.Value(v)}, {sp.Number(flt.f)}})
		default:
			f.RequireTerms([][]store.Term{{sp.Value(v)}})
		}
		if kind&eqRaw != 0 && (kind&eqText != 0 || !number) {
			f.Require([][]string{wholeTokens(flt.text)})
		}
	}
}

// wholeTokens returns every run of token bytes of v (store.IsTokenByte).
func wholeTokens(v []byte) []string {
	var out []string
	for i := 0; i < len(v); {
		if !store.IsTokenByte(v[i]) {
			i++
			continue
		}
		j := i + 1
		for j < len(v) && store.IsTokenByte(v[j]) {
			j++
		}
		out = append(out, string(v[i:j]))
		i = j
	}
	return out
}

// kvTokenSafe reports whether a kv value's first and last tokens are whole data tokens:
// the separator ends with, and every delimiter is, a non-token byte.
func kvTokenSafe(cfg *extract.KV) bool {
	sep, d := cfg.Sep, cfg.Delims
	if sep == "" {
		sep = "="
	}
	if d == "" {
		d = " \t"
	}
	if store.IsTokenByte(sep[len(sep)-1]) {
		return false
	}
	for i := 0; i < len(d); i++ {
		if store.IsTokenByte(d[i]) {
			return false
		}
	}
	return true
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
