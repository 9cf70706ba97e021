package extract

// KV describes a key=value format: Sep separates a key from its value (default "="),
// Delims lists the bytes that separate pairs (default space and tab), Quoted lets values be
// double-quoted so they may contain delimiters (`k="a b"`; the quotes are removed). The zero
// value is ready to use; KV is read-only during scans and safe for concurrent use.
type KV struct {
	Sep    string
	Delims string
	Quoted bool
}

func (c *KV) isDelim(b byte) bool {
	if c.Delims == "" {
		return b == ' ' || b == '\t'
	}
	for i := 0; i < len(c.Delims); i++ {
		if c.Delims[i] == b {
			return true
		}
	}
	return false
}

// Next returns the key=value pair at or after data[i] and the index to continue from. Tokens
// without a separator are skipped. ok is false when no pair is left.
func (c *KV) Next(data []byte, i int) (key, val []byte, next int, ok bool) {
	sep := c.Sep
	if sep == "" {
		sep = "="
	}
	for i < len(data) {
		for i < len(data) && c.isDelim(data[i]) {
			i++
		}
		start := i
		// find the separator before the next delimiter
		for i < len(data) && !c.isDelim(data[i]) {
			if data[i] == sep[0] && len(data)-i >= len(sep) && string(data[i:i+len(sep)]) == sep {
				break
			}
			i++
		}
		if i >= len(data) || c.isDelim(data[i]) || i == start {
			// no separator in this token, or an empty key: skip the rest of the token
			for i < len(data) && !c.isDelim(data[i]) {
				i++
			}
			continue
		}
		key = data[start:i]
		v := i + len(sep)
		if c.Quoted && v < len(data) && data[v] == '"' {
			e := v + 1
			for e < len(data) && data[e] != '"' {
				if data[e] == '\\' && e+1 < len(data) {
					e++
				}
				e++
			}
			if e < len(data) {
				return key, data[v+1 : e], e + 1, true
			}
		}
		e := v
		for e < len(data) && !c.isDelim(data[e]) {
			e++
		}
		return key, data[v:e], e, true
	}
	return nil, nil, len(data), false
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
