package extract

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"strings"
)

// KV describes a key=value format: Sep separates a key from its value (default "="),
// Delims lists the bytes that separate pairs (default space and tab), Quoted lets values be
// double-quoted so they may contain delimiters (`k="a b"`; the quotes are removed). The zero
// value is ready to use; Compile makes custom Delims as fast as the default. KV is read-only
// during scans and safe for concurrent use.
type KV struct {
	Sep    string
	Delims string
	Quoted bool

	delims *[256]bool // Delims as a table, set by Compile
}

// defaultDelims is the delimiter table of an empty Delims: space and tab.
var defaultDelims = [256]bool{' ': true, '\t': true}

// Compile prepares the delimiter table of Delims; call it after setting Delims and before
// sharing c between goroutines. Without it, a KV with custom Delims builds the table on
// every Next call.
func (c *KV) Compile() {
	var t [256]bool
	c.fill(&t)
	c.delims = &t
}

func (c *KV) fill(t *[256]bool) {
	if c.Delims == "" {
		*t = defaultDelims
		return
	}
	for i := 0; i < len(c.Delims); i++ {
		t[c.Delims[i]] = true
	}
}

// Next returns the key=value pair at or after data[i] and the index to continue from. Tokens
// without a separator are skipped. ok is false when no pair is left.
//
// NOTE: delimiters are looked up in a 256-entry table; the per-byte test of the Delims string
// this replaces was about a third of kv extraction's time.
func (c *KV) Next(data []byte, i int) (key, val []byte, next int, ok bool) {
	switch {
	case c.delims != nil:
		return c.next(data, i, c.delims)
	case c.Delims == "":
		return c.next(data, i, &defaultDelims)
	}
	var t [256]bool
	c.fill(&t)
	return c.next(data, i, &t)
}

// KVKeys is a set of keys that KV.Find looks up together. Make it with KV.Keys; it is read-only
// afterwards and safe for concurrent use.
type KVKeys struct {
	keys   []string
	sep    []byte
	maxLen int        // of the keys
	last   [256]uint8 // bit k set when key k ends with the byte (keys that can be found)
	prev   [256]uint8 // bit k set when key k's byte before its last is the byte, or it has one
	pairs  bool       // Find splits every pair (too many keys, or delimiters in the separator)
}

// Keys prepares keys for Find with c's separator and delimiters (set them first). Keys may
// repeat.
func (c *KV) Keys(keys ...string) *KVKeys {
	sep := c.Sep
	if sep == "" {
		sep = "="
	}
	var delim [256]bool
	c.fill(&delim)
	ks := &KVKeys{keys: keys, sep: []byte(sep), pairs: len(keys) > kvFindSearchMax}
	for i := 0; i < len(sep); i++ {
		// a value may start after a delimiter inside the separator, so a delimiter no longer
		// always starts a token
		ks.pairs = ks.pairs || delim[sep[i]]
	}
	for k, key := range keys {
		ks.maxLen = max(ks.maxLen, len(key))
		// a key with a delimiter, or with the separator in it, is never a pair's key
		possible := key != "" && strings.Index(key+sep, sep) == len(key)
		for i := 0; i < len(key); i++ {
			possible = possible && !delim[key[i]]
		}
		if possible && k < kvFindSearchMax {
			ks.last[key[len(key)-1]] |= 1 << k
			for c := range ks.prev {
				if len(key) == 1 || key[len(key)-2] == byte(c) {
					ks.prev[c] |= 1 << k
				}
			}
		}
	}
	return ks
}

// Len returns the number of keys.
func (ks *KVKeys) Len() int { return len(ks.keys) }

// kvFindSearchMax is the most keys Find looks for at every separator; with more, it splits
// every pair instead.
const kvFindSearchMax = 8

// Find looks up every key of ks in data: vals[k] and found[k] (both at least ks.Len() long)
// get the value of the first pair whose key is ks's k-th key, exactly as Lookup would. It
// returns the number of keys found.
//
// NOTE: instead of splitting every pair (a table lookup per byte, most of kv extraction's
// time), Find finds the separators eight bytes at a time and checks whether one of the keys
// ends before each and starts a token there. Before the first double quote of a Quoted format
// the tokens are exactly the runs between delimiters, so a key found there is the key's first
// pair; keys not found before the quote are looked for pair by pair from the token that holds
// it. A bytes.Index per key and a bytes.IndexByte per separator were both slower: the former's
// first-byte anchor hits often in text, the latter's call costs more than the short distance
// it skips.
func (c *KV) Find(data []byte, ks *KVKeys, vals [][]byte, found []bool) int {
	delim := c.delims
	if delim == nil {
		var t [256]bool
		c.fill(&t)
		delim = &t
	}
	for k := range ks.keys {
		found[k], vals[k] = false, nil
	}
	if ks.pairs {
		return c.findPairs(data, 0, ks, vals, found, delim, 0)
	}
	limit := len(data) // keys must start at or before it
	if c.Quoted {
		if q := bytes.IndexByte(data, '"'); q >= 0 {
			limit = q
		}
	}
	end := min(len(data), limit+ks.maxLen+1) // separators from here on end keys that start after limit
	var done uint8                           // keys found
	all := uint8(1<<len(ks.keys) - 1)
	s0 := ks.sep[0]
	pat := 0x0101010101010101 * uint64(s0)
	for i := 0; i < end; i += 8 {
		var m uint64 // the separator bytes of data[i:i+8]
		if i+8 <= end {
			m = zeroBytes(binary.LittleEndian.Uint64(data[i:]) ^ pat)
		} else {
			for j := i; j < end; j++ {
				if data[j] == s0 {
					m |= 0x80 << (8 * (j - i))
				}
			}
		}
		for ; m != 0; m &= m - 1 {
			p := i + bits.TrailingZeros64(m)/8
			if p == 0 {
				continue
			}
			want := ks.last[data[p-1]] &^ done // keys still wanted that may end here
			if p >= 2 {
				want &= ks.prev[data[p-2]]
			}
			if want == 0 {
				continue
			}
			done |= c.keysAt(data, p, limit, ks, vals, found, delim, want)
			if done == all {
				return len(ks.keys)
			}
		}
	}
	n := bits.OnesCount8(done)
	if limit == len(data) {
		return n
	}
	// the token that holds the quote starts after the last delimiter before it
	t := limit
	for t > 0 && !delim[data[t-1]] {
		t--
	}
	return c.findPairs(data, t, ks, vals, found, delim, n)
}

// keysAt checks whether the keys of ks in want end before a separator at data[p] and start a
// token no later than limit; it stores their values and returns their bits.
func (c *KV) keysAt(data []byte, p, limit int, ks *KVKeys, vals [][]byte, found []bool, delim *[256]bool, want uint8) uint8 {
	if len(ks.sep) > 1 && !bytes.HasPrefix(data[p:], ks.sep) {
		return 0
	}
	var got uint8
	for m := want; m != 0; m &= m - 1 {
		k := bits.TrailingZeros8(m)
		key := ks.keys[k]
		b := p - len(key)
		if b < 0 || b > limit || data[b] != key[0] || b > 0 && !delim[data[b-1]] || string(data[b:p]) != key {
			continue
		}
		vals[k], _ = c.value(data, p+len(ks.sep), delim)
		found[k] = true
		got |= 1 << k
	}
	return got
}

// findPairs looks for the keys of ks not yet found pair by pair from data[i]; n is the number
// already found. It returns the number found in all.
func (c *KV) findPairs(data []byte, i int, ks *KVKeys, vals [][]byte, found []bool, delim *[256]bool, n int) int {
	for n < len(ks.keys) {
		key, val, next, ok := c.next(data, i, delim)
		if !ok {
			break
		}
		i = next
		for k := range ks.keys {
			if !found[k] && string(key) == ks.keys[k] {
				vals[k], found[k] = val, true
				n++
			}
		}
	}
	return n
}

func (c *KV) next(data []byte, i int, delim *[256]bool) (key, val []byte, next int, ok bool) {
	sep := c.Sep
	if sep == "" {
		sep = "="
	}
	s0 := sep[0]
	for i < len(data) {
		for i < len(data) && delim[data[i]] {
			i++
		}
		start := i
		// find the separator before the next delimiter
		for i < len(data) && !delim[data[i]] {
			if data[i] == s0 && (len(sep) == 1 || len(data)-i >= len(sep) && string(data[i:i+len(sep)]) == sep) {
				break
			}
			i++
		}
		if i >= len(data) || delim[data[i]] || i == start {
			// no separator in this token, or an empty key: skip the rest of the token
			for i < len(data) && !delim[data[i]] {
				i++
			}
			continue
		}
		val, next = c.value(data, i+len(sep), delim)
		return data[start:i], val, next, true
	}
	return nil, nil, len(data), false
}

// value returns the value that starts at data[v] (after a separator) and the index after it.
func (c *KV) value(data []byte, v int, delim *[256]bool) (val []byte, next int) {
	if c.Quoted && v < len(data) && data[v] == '"' {
		e := v + 1
		for e < len(data) && data[e] != '"' {
			if data[e] == '\\' && e+1 < len(data) {
				e++
			}
			e++
		}
		if e < len(data) {
			return data[v+1 : e], e + 1
		}
	}
	e := v
	for e < len(data) && !delim[data[e]] {
		e++
	}
	return data[v:e], e
}

// Lookup returns the value of the first pair whose key is key.
func (c *KV) Lookup(data []byte, key string) ([]byte, bool) {
	for i := 0; ; {
		k, v, next, ok := c.Next(data, i)
		if !ok {
			return nil, false
		}
		if string(k) == key {
			return v, true
		}
		i = next
	}
}
