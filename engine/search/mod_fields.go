package search

import (
	"strconv"

	"github.com/sluicehq/sluice/engine/extract"
	"github.com/sluicehq/sluice/wire"
)

// fields [-e FIELD] [-s] [-q] [-clean] [-d DELIMITER] [-h HEADER] COLUMN [OP VALUE] [as NAME] ...
// csv    [-e FIELD] [-s] [-h HEADER] COLUMN [OP VALUE] [as NAME] ...
//
// COLUMN is a 0-based index in brackets ([3], also [0x3] or [03] as Gravwell allows, named by
// the text inside the brackets), or a column name from -h, a header line in the module's own
// format (`csv -h "ts,host,bytes" host bytes>1000`). fields splits at DELIMITER (default ",",
// escapes such as "\t" allowed; -q keeps quoted delimiters, -clean trims white space and, with
// -q, quotes); csv follows CSV rules (quoted columns, doubled quotes, trimmed white space).
type columnsSpec struct {
	extractCommon
	csv     bool
	delim   string
	quoted  bool
	clean   bool
	index   []int // column index per spec
	maxCol  int
	byIndex []int // spec numbers ordered by column (one column may feed several specs)
}

func parseFields(p *modParser) (moduleImpl, *ParseError) { return parseColumns(p, false) }
func parseCSV(p *modParser) (moduleImpl, *ParseError)    { return parseColumns(p, true) }

func parseColumns(p *modParser, csv bool) (moduleImpl, *ParseError) {
	s := &columnsSpec{csv: csv, delim: ","}
	if d, ok := p.flag("-d"); ok {
		if s.delim = decodeEscapes(d, false); s.delim == "" {
			return nil, p.errAt(nil, "-d needs a non-empty delimiter")
		}
	}
	_, s.quoted = p.flag("-q")
	_, s.clean = p.flag("-clean")
	var header []string
	if h, ok := p.flag("-h"); ok {
		hb := []byte(decodeEscapes(h, false))
		for i := 0; ; {
			var col []byte
			var next int
			var more bool
			if csv {
				col, next, _, more = extract.NextCSV(hb, i, nil)
			} else {
				col, next, more = extract.NextField(hb, i, s.delim, s.quoted)
				col = extract.TrimSpace(col)
			}
			if !more {
				break
			}
			header = append(header, string(col))
			i = next
		}
	}
	bad := ""
	var perr *ParseError
	s.extractCommon, perr = p.extractCommon(func(col string) string {
		idx, name, ok := extract.ColumnIndex(col, header)
		if !ok {
			if bad == "" {
				bad = col
			}
			name = col
		}
		s.index = append(s.index, idx)
		return name
	})
	if perr != nil {
		return nil, perr
	}
	if bad != "" {
		return nil, p.errAt(nil, "bad column "+strconv.Quote(bad)+"; expected [N] or a name from the -h header")
	}
	s.byIndex = make([]int, len(s.index))
	for i := range s.byIndex {
		s.byIndex[i] = i
	}
	for i := 1; i < len(s.byIndex); i++ {
		for j := i; j > 0 && s.index[s.byIndex[j]] < s.index[s.byIndex[j-1]]; j-- {
			s.byIndex[j], s.byIndex[j-1] = s.byIndex[j-1], s.byIndex[j]
		}
	}
	for _, ix := range s.index {
		s.maxCol = max(s.maxCol, ix)
	}
	return s, nil
}

func (s *columnsSpec) newStage(rc *runCtx) stage {
	return &columnsStage{s: s, ar: rc.ar, vals: make([][]byte, len(s.specs)), found: make([]bool, len(s.specs))}
}

type columnsStage struct {
	s     *columnsSpec
	ar    *arena
	vals  [][]byte
	found []bool
}

func (g *columnsStage) process(ents []wire.Entry) (int, error) {
	return keepEntries(ents, g.s.field, g.ar, g), nil
}

func (g *columnsStage) keep(e *wire.Entry, data []byte) bool {
	s, ar := g.s, g.ar
	clear(g.found)
	next := 0 // position in byIndex
	for col, pos := 0, 0; col <= s.maxCol && next < len(s.byIndex); col++ {
		var v []byte
		var more bool
		if s.csv {
			var grown []byte
			v, pos, grown, more = extract.NextCSV(data, pos, ar.scratch())
			ar.commit(grown)
		} else {
			v, pos, more = extract.NextField(data, pos, s.delim, s.quoted)
			if s.clean {
				v = extract.TrimSpace(v)
				if s.quoted && len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
					v = v[1 : len(v)-1]
				}
			}
		}
		if !more {
			break
		}
		for next < len(s.byIndex) && s.index[s.byIndex[next]] == col {
			k := s.byIndex[next]
			g.vals[k], g.found[k] = v, true
			next++
		}
	}
	return s.applyText(e, g.found, g.vals, ar)
}

func (g *columnsStage) flush() ([]wire.Entry, error) { return nil, nil }
