package store

import (
	"errors"
	"math"
	"math/bits"
	"strconv"

	"github.com/cespare/xxhash/v2"

	"github.com/sluicehq/sluice/wire"
)

// Accelerators (Gravwell's name) let a scan skip blocks that cannot hold an entry a query
// wants. Each well builds, at ingest and next to every block, a bloom filter of the block's
// fulltext tokens; a query's literal constraints become a Filter, and a block whose bloom
// filter says a required token is absent is never read or decompressed. A block without an
// accelerator (written with Extractor "none", or whose accelerator was lost) is always read,
// so the accelerator changes how much a scan reads, never what it returns.
//
// Tokens: maximal runs of token bytes (IsTokenByte), ASCII lower-cased. A literal that
// occurs in an entry's data contains only whole data tokens strictly inside it: a run of token
// bytes with a non-token byte of the literal on both sides.

// AccelConfig configures a well's accelerator. The zero value is a fulltext bloom filter with
// a 1% collision rate.
//
// Every accelerator also indexes each entry's SRC, so `src ADDR` queries skip blocks too. A
// named-field accelerator indexes, per block, the values its extractor finds for Fields, each
// hashed together with the field (and the extractor's options), so only a query that extracts
// the same field the same way uses it: `kv host==web1` on a well with
// {"extractor": "kv", "fields": ["host"]}. Values are found by engine/extract, the code the
// query modules run, so both agree on JSON escapes, kv quoting and CSV quoting.
type AccelConfig struct {
	// Extractor selects what is indexed: "fulltext" (the default) indexes every token of the
	// entry data; "json", "kv", "syslog", "csv" and "regex" index the values of the named
	// Fields; "none" builds no accelerator for new blocks.
	Extractor string `json:"extractor"`
	// Fields names what a named-field extractor indexes: JSON paths (json), keys (kv),
	// syslog fields such as Hostname, Appname or Structured[ID].KEY (syslog), columns as
	// [N] or a name from Header (csv), named groups of Pattern (regex; empty: all of them).
	Fields []string `json:"fields,omitempty"`
	// Header names csv columns ("ts,host,bytes"), so Fields may use the names.
	Header string `json:"header,omitempty"`
	// Pattern is the regex extractor's Go regular expression with named groups (?P<name>...).
	Pattern string `json:"pattern,omitempty"`
	// Delimiters, Separator and Quoted are the kv extractor's -d, -sep and -q options
	// (defaults: space and tab, "=", unquoted); a query uses the accelerator only when its kv
	// module has the same options.
	Delimiters string `json:"delimiters,omitempty"`
	Separator  string `json:"separator,omitempty"`
	Quoted     bool   `json:"quoted,omitempty"`
	// Engine is the index structure: "bloom" (the default and only engine), one bloom filter
	// per block.
	Engine string `json:"engine"`
	// CollisionRate is the bloom filters' target false-positive rate, in (0, 0.5]: the share
	// of blocks without a token that still have to be read. Default 0.01; lower rates cost
	// more disk and memory (about 1.44·log2(1/rate) bits per distinct token of a block).
	CollisionRate float64 `json:"collision_rate"`

	spec *accelSpec // compiled by check
}

// DefaultCollisionRate is AccelConfig.CollisionRate's default.
const DefaultCollisionRate = 0.01

// check validates c, applies defaults and compiles its spec; field names the config path
// for errors.
func (c *AccelConfig) check(field string) error {
	switch c.Extractor {
	case "":
		c.Extractor = "fulltext"
	case "fulltext", "none", "json", "kv", "syslog", "csv", "regex":
	default:
		return errors.New(field + ".Extractor: unsupported extractor " + strconv.Quote(c.Extractor) + " (fulltext, json, kv, syslog, csv, regex or none)")
	}
	switch c.Engine {
	case "":
		c.Engine = "bloom"
	case "bloom":
	default:
		return errors.New(field + ".Engine: unsupported engine " + strconv.Quote(c.Engine) + " (bloom)")
	}
	if c.CollisionRate == 0 {
		c.CollisionRate = DefaultCollisionRate
	}
	if !(c.CollisionRate > 0 && c.CollisionRate <= 0.5) {
		return errors.New(field + ".CollisionRate: " + strconv.FormatFloat(c.CollisionRate, 'g', -1, 64) + " out of range (0, 0.5]")
	}
	spec, err := compileAccel(c, field)
	if err != nil {
		return err
	}
	c.spec = spec
	return nil
}

// enabled reports whether new blocks get an accelerator.
func (c *AccelConfig) enabled() bool { return c.Extractor != "none" }

// IsTokenByte reports whether c belongs to a fulltext token: ASCII letters and digits, and
// every byte of a multi-byte UTF-8 sequence (>= 0x80).
func IsTokenByte(c byte) bool { return tokenByte[c] }

var tokenByte = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
	}
	return t
}()

// lowerASCII maps ASCII upper case to lower case and every other byte to itself.
var lowerASCII = func() (t [256]byte) {
	for c := 0; c < 256; c++ {
		t[c] = byte(c)
		if c >= 'A' && c <= 'Z' {
			t[c] = byte(c) + 'a' - 'A'
		}
	}
	return t
}()

// tokenHash returns the accelerator hash of tok, lower-casing it into *scratch.
func tokenHash(tok []byte, scratch *[]byte) uint64 {
	b := (*scratch)[:0]
	for _, c := range tok {
		b = append(b, lowerASCII[c])
	}
	*scratch = b
	return xxhash.Sum64(b)
}

// bloom is one block's bloom filter: k probes into len(bits)*64 bits, by double hashing.
type bloom struct {
	k    uint8
	bits []uint64
	// spec is what the filter indexes (in memory only: a well's sidecars are rebuilt when
	// its spec changes, see accelStale); nil reads as fulltext tokens only.
	spec *accelSpec
}

// probes returns the first index and the step of h's probe sequence.
func probes(h uint64) (uint64, uint64) {
	// splitmix64's finaliser makes the step independent enough of the start
	z := h + 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return h, (z ^ z>>31) | 1
}

func (b *bloom) add(h uint64) {
	m := uint64(len(b.bits)) * 64
	x, step := probes(h)
	for i := uint8(0); i < b.k; i++ {
		hi, _ := bits.Mul64(x, m)
		b.bits[hi>>6] |= 1 << (hi & 63)
		x += step
	}
}

func (b *bloom) has(h uint64) bool {
	m := uint64(len(b.bits)) * 64
	x, step := probes(h)
	for i := uint8(0); i < b.k; i++ {
		hi, _ := bits.Mul64(x, m)
		if b.bits[hi>>6]&(1<<(hi&63)) == 0 {
			return false
		}
		x += step
	}
	return true
}

// size returns the bloom filter's size in bytes.
func (b *bloom) size() int { return 8 * len(b.bits) }

// accelBuilder collects the distinct token hashes of one block and builds its bloom filter.
// It is reused: steady-state building allocates only the filter it returns.
type accelBuilder struct {
	set     []uint64 // open addressing by hash, 0 = empty
	n       int
	scratch []byte
	fx      fieldScratch
}

func (ab *accelBuilder) reset() {
	if len(ab.set) == 0 {
		ab.set = make([]uint64, 1<<12)
	}
	clear(ab.set)
	ab.n = 0
}

// addEntry adds what spec indexes of e: its SRC, and its data's fulltext tokens or its
// named fields' values. A nil spec adds the fulltext tokens only.
func (ab *accelBuilder) addEntry(spec *accelSpec, e *wire.Entry) {
	if spec == nil {
		ab.addData(e.Data)
		return
	}
	if e.SRC.IsValid() {
		ab.addHash(srcHash(e.SRC, &ab.scratch))
	}
	if spec.extractor == "fulltext" {
		ab.addData(e.Data)
		return
	}
	spec.addFields(ab, e)
}

// addData adds every token of data.
func (ab *accelBuilder) addData(data []byte) {
	for i := 0; i < len(data); {
		if !tokenByte[data[i]] {
			i++
			continue
		}
		j := i + 1
		for j < len(data) && tokenByte[data[j]] {
			j++
		}
		ab.addHash(tokenHash(data[i:j], &ab.scratch))
		i = j
	}
}

func (ab *accelBuilder) addHash(h uint64) {
	if h == 0 {
		h = 1 // 0 marks empty slots
	}
	if 2*(ab.n+1) > len(ab.set) {
		ab.grow()
	}
	mask := uint64(len(ab.set) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch ab.set[i] {
		case h:
			return
		case 0:
			ab.set[i] = h
			ab.n++
			return
		}
	}
}

func (ab *accelBuilder) grow() {
	old := ab.set
	ab.set = make([]uint64, 2*len(old))
	mask := uint64(len(ab.set) - 1)
	for _, h := range old {
		if h == 0 {
			continue
		}
		i := h & mask
		for ab.set[i] != 0 {
			i = (i + 1) & mask
		}
		ab.set[i] = h
	}
}

// build returns the bloom filter of the tokens added since reset, sized for rate.
func (ab *accelBuilder) build(rate float64) *bloom {
	n := max(ab.n, 1)
	m := math.Ceil(float64(n) * -math.Log(rate) / (math.Ln2 * math.Ln2))
	words := max(int((m+63)/64), 1)
	k := int(math.Round(float64(words*64) / float64(n) * math.Ln2))
	b := &bloom{k: uint8(min(max(k, 1), 16)), bits: make([]uint64, words)}
	for _, h := range ab.set {
		if h != 0 {
			b.add(h)
		}
	}
	return b
}

// Filter is a block filter built from a query's literal constraints: a conjunction of clauses,
// each a disjunction of alternatives, each a set of Terms that must all occur. A nil or empty
// Filter accepts every block; so does every block without an accelerator. A block's
// accelerator answers only for the spaces its well indexes (fulltext tokens, SRC, named
// fields): a term of another space counts as present, so a filter never skips a block of a
// well that cannot tell.
type Filter struct {
	// clauses[i][j] is one alternative, flattened: space, hash, space, hash, ...
	clauses [][][]uint64
}

// Term is one token a Filter can require: a hash in a space. Build terms with FulltextTerm,
// SrcTerm and the Value and Number methods of a Space.
type Term struct{ space, hash uint64 }

// spaceFulltext is the space of fulltext tokens (tokenHash without a prefix).
var spaceFulltext = xxhash.Sum64String("sluice-accel-space\x00fulltext")

// FulltextTerm returns the term of fulltext token tok (case does not matter).
func FulltextTerm(tok string) Term {
	var scratch []byte
	return Term{space: spaceFulltext, hash: nonZero(tokenHash([]byte(tok), &scratch))}
}

func nonZero(h uint64) uint64 {
	if h == 0 {
		return 1
	}
	return h
}

// Require adds a clause: an entry can be selected only if, for at least one of alternatives,
// every token of the alternative occurs in its data. Tokens must be whole tokens of any data
// the alternative matches (see the package notes); case does not matter. An alternative
// without tokens constrains nothing, so the clause is then dropped.
func (f *Filter) Require(alternatives [][]string) {
	alts := make([][]Term, len(alternatives))
	for i, alt := range alternatives {
		for _, tok := range alt {
			alts[i] = append(alts[i], FulltextTerm(tok))
		}
	}
	f.RequireTerms(alts)
}

// RequireTerms adds a clause: an entry can be selected only if, for at least one of
// alternatives, every term of the alternative occurs in its block's accelerator. An
// alternative without terms constrains nothing, so the clause is then dropped.
func (f *Filter) RequireTerms(alternatives [][]Term) {
	clause := make([][]uint64, 0, len(alternatives))
	for _, alt := range alternatives {
		if len(alt) == 0 {
			return
		}
		flat := make([]uint64, 0, 2*len(alt))
		for _, t := range alt {
			flat = append(flat, t.space, t.hash)
		}
		clause = append(clause, flat)
	}
	if len(clause) > 0 {
		f.clauses = append(f.clauses, clause)
	}
}

// Empty reports whether f constrains nothing.
func (f *Filter) Empty() bool { return f == nil || len(f.clauses) == 0 }

// mayMatch reports whether a block with accelerator b may hold an entry f selects.
func (f *Filter) mayMatch(b *bloom) bool {
	if b == nil || f.Empty() {
		return true
	}
	for _, clause := range f.clauses {
		ok := false
		for _, alt := range clause {
			all := true
			for i := 0; i+1 < len(alt); i += 2 {
				if b.spec.indexes(alt[i]) && !b.has(alt[i+1]) {
					all = false
					break
				}
			}
			if all {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// ScanCounts reports how a scan used block metadata and accelerators. The scan writes it
// before it returns.
type ScanCounts struct {
	Blocks  int64 // blocks in the range with a selected tag
	Skipped int64 // of those, blocks the Filter excluded unread
	// Summarised counts, of those, blocks answered from their summaries (ScanQuery.Meta).
	Summarised int64
}
