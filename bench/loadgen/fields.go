package loadgen

import (
	"bytes"
	"strconv"
)

// Reading fields without parsing whole messages.
//
// A streaming block is hundreds of kilobytes of entries; decoding it fully would make the load
// generator, not the server, the bottleneck. The few fields the generator needs ("type",
// "ID", "EntryCount", "Finished", "AdditionalEntries", "EntryRange") are found by searching for
// the byte sequence `"Key":`. That sequence can only be a real object key: inside a JSON string
// every '"' is escaped as \", so a string's content can never contain `"Key":`. Keys are
// case-sensitive on output (PROTOCOL.md §0), and none of these names is a key of SearchEntry,
// EnumeratedPair or the other shapes nested in entry replies, so the first occurrence is the
// top-level field. -verify in the command parses every message fully to check these claims on
// a real server.

// field returns the raw value token after the first `"key":` in msg (a string without its
// quotes, or a number/true/false/null literal), or nil.
func field(msg []byte, key string) []byte {
	needle := make([]byte, 0, 32)
	needle = append(needle, '"')
	needle = append(needle, key...)
	needle = append(needle, '"', ':')
	i := bytes.Index(msg, needle)
	if i < 0 {
		return nil
	}
	v := msg[i+len(needle):]
	for len(v) > 0 && (v[0] == ' ' || v[0] == '\t' || v[0] == '\n' || v[0] == '\r') {
		v = v[1:]
	}
	if len(v) == 0 {
		return nil
	}
	if v[0] == '"' {
		for j := 1; j < len(v); j++ {
			switch v[j] {
			case '\\':
				j++
			case '"':
				return v[1:j]
			}
		}
		return nil
	}
	end := 0
	for end < len(v) && v[end] != ',' && v[end] != '}' && v[end] != ']' && v[end] != ' ' && v[end] != '\n' {
		end++
	}
	return v[:end]
}

// fieldUint returns the first `"key":` value as an unsigned integer.
func fieldUint(msg []byte, key string) (uint64, bool) {
	v := field(msg, key)
	if v == nil {
		return 0, false
	}
	n, err := strconv.ParseUint(string(v), 10, 64)
	return n, err == nil
}

// fieldBool returns the first `"key":` value as a bool.
func fieldBool(msg []byte, key string) (val, ok bool) {
	switch string(field(msg, key)) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// subField returns the first `"inner":` value inside the object that follows `"outer":`.
func subField(msg []byte, outer, inner string) (uint64, bool) {
	i := bytes.Index(msg, []byte(`"`+outer+`":`))
	if i < 0 {
		return 0, false
	}
	obj := msg[i:]
	if j := bytes.IndexByte(obj, '}'); j >= 0 {
		obj = obj[:j+1]
	}
	return fieldUint(obj, inner)
}
