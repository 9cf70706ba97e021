package wire

import (
	"encoding/base64"
	"encoding/binary"
	"slices"
)

// b64Pairs maps 12 bits to their two standard base64 characters, first character in the low
// byte.
var b64Pairs = func() (t [4096]uint16) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := range t {
		t[i] = uint16(alphabet[i>>6]) | uint16(alphabet[i&63])<<8
	}
	return t
}()

// appendBase64Fast appends the quoted standard base64 encoding (with padding) of src, exactly
// as AppendBase64 does, about twice as fast: 6 input bytes become 8 output bytes with four
// table lookups and one 8-byte store.
//
// NOTE: entry data is the bulk of every SearchEntry, and it is encoded once per entry on the
// pipeline's path (render.Result.Add), so this loop is the hottest of the render store.
func appendBase64Fast(dst, src []byte) []byte {
	n := base64.StdEncoding.EncodedLen(len(src))
	dst = slices.Grow(dst, n+2)
	start := len(dst)
	out := dst[start : start+n+2]
	out[0] = '"'
	// 8-byte loads need two bytes of slack past the six used; 12 bytes per round.
	s, d := src, out[1:]
	for len(s) >= 14 && len(d) >= 16 {
		v := binary.BigEndian.Uint64(s)
		u := binary.BigEndian.Uint64(s[6:])
		binary.LittleEndian.PutUint64(d, uint64(b64Pairs[v>>52])|uint64(b64Pairs[v>>40&0xFFF])<<16|
			uint64(b64Pairs[v>>28&0xFFF])<<32|uint64(b64Pairs[v>>16&0xFFF])<<48)
		binary.LittleEndian.PutUint64(d[8:], uint64(b64Pairs[u>>52])|uint64(b64Pairs[u>>40&0xFFF])<<16|
			uint64(b64Pairs[u>>28&0xFFF])<<32|uint64(b64Pairs[u>>16&0xFFF])<<48)
		s, d = s[12:], d[16:]
	}
	i, o := len(src)-len(s), 1+len(out)-1-len(d)
	for ; i+3 <= len(src); i += 3 {
		v := uint(src[i])<<16 | uint(src[i+1])<<8 | uint(src[i+2])
		w := uint32(b64Pairs[v>>12]) | uint32(b64Pairs[v&0xFFF])<<16
		binary.LittleEndian.PutUint32(out[o:], w)
		o += 4
	}
	switch len(src) - i {
	case 1:
		p := b64Pairs[uint(src[i])<<4]
		out[o], out[o+1], out[o+2], out[o+3] = byte(p), byte(p>>8), '=', '='
		o += 4
	case 2:
		v := uint(src[i])<<10 | uint(src[i+1])<<2
		p := b64Pairs[v>>6]
		out[o], out[o+1], out[o+2], out[o+3] = byte(p), byte(p>>8), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[v&63], '='
		o += 4
	}
	out[o] = '"'
	return dst[:start+n+2]
}
