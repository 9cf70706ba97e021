package store

import (
	"errors"
	"math"
	"math/bits"
	"strconv"

	"github.com/cespare/xxhash/v2"
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
type AccelConfig struct {
	// Extractor selects what is indexed: "fulltext" (the default) indexes every token of the
	// entry data; "none" builds no accelerator for new blocks. (Named fields of json, kv,
	// syslog, csv or regex extractions are not implemented.)
	Extractor string `json:"extractor"`
	// Engine is the index structure: "bloom" (the default and only engine), one bloom filter
	// per block.
	Engine string `json:"engine"`
	// CollisionRate is the bloom filters' target false-positive rate, in (0, 0.5]: the share
	// of blocks without a token that still have to be read. Default 0.01; lower rates cost
	// more disk and memory (about 1.44·log2(1/rate) bits per distinct token of a block).
	CollisionRate float64 `json:"collision_rate"`
}

// DefaultCollisionRate is AccelConfig.CollisionRate's default.
const DefaultCollisionRate = 0.01

// check validates c and applies defaults; field names the config path for errors.
func (c *AccelConfig) check(field string) error {
	switch c.Extractor {
	case "":
		c.Extractor = "fulltext"
	case "fulltext", "none":
	default:
		return errors.New(field + ".Extractor: unsupported extractor " + strconv.Quote(c.Extractor) + " (fulltext or none)")
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
}

func (ab *accelBuilder) reset() {
	if len(ab.set) == 0 {
		ab.set = make([]uint64, 1<<12)
	}
	clear(ab.set)
	ab.n = 0
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
// each a disjunction of alternatives, each a set of tokens that must all occur. A nil or empty
// Filter accepts every block; so does every block without an accelerator.
type Filter struct {
	clauses [][][]uint64
}

// Require adds a clause: an entry can be selected only if, for at least one of alternatives,
// every token of the alternative occurs in its data. Tokens must be whole tokens of any data
// the alternative matches (see the package notes); case does not matter. An alternative
// without tokens constrains nothing, so the clause is then dropped.
func (f *Filter) Require(alternatives [][]string) {
	var scratch []byte
	clause := make([][]uint64, 0, len(alternatives))
	for _, alt := range alternatives {
		if len(alt) == 0 {
			return
		}
		hs := make([]uint64, len(alt))
		for i, tok := range alt {
			hs[i] = tokenHash([]byte(tok), &scratch)
			if hs[i] == 0 {
				hs[i] = 1
			}
		}
		clause = append(clause, hs)
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
			for _, h := range alt {
				if !b.has(h) {
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
