package wire

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/valyala/fastjson"
)

// Envelope is one routing message {"type":"<channel>","data":<JSON>} (PROTOCOL.md §1.5) as
// decoded by EnvelopeParser.Parse. Both slices point into the parser's memory and are valid
// until the next Parse with the same parser.
type Envelope struct {
	// Type is the channel name, unescaped.
	Type []byte
	// Data is the JSON text of "data" (whitespace between tokens removed, everything else as
	// sent). It is `null` when "data" is absent.
	Data []byte
}

// EnvelopeError is a routing message that is not a valid envelope. Reason says what was
// wrong; Input is a truncated copy of the offending text for logs.
type EnvelopeError struct {
	Reason string
	Input  string
}

// Error implements error.
func (e *EnvelopeError) Error() string {
	if e.Input == "" {
		return "wire: cannot parse envelope: " + e.Reason
	}
	return "wire: cannot parse envelope: " + e.Reason + ": " + strconv.Quote(e.Input)
}

// EnvelopeParser decodes routing envelopes with one reusable fastjson.Parser: it allocates
// nothing in steady state. Keys are matched ASCII case-insensitively, an exact-case match
// winning (PROTOCOL.md §0). An EnvelopeParser must not be used from concurrent goroutines.
type EnvelopeParser struct {
	p    fastjson.Parser
	data []byte
	typ  []byte
}

var envNull = []byte("null")

// replacementChar is U+FFFD, which fastjson also produces for a high surrogate escape followed
// by an escape that is not a low surrogate, swallowing the second one.
var replacementChar = []byte("\uFFFD")

// Parse decodes msg into env. env's slices are valid until the next call to Parse. msg is not
// retained and may be modified after Parse returns.
func (ep *EnvelopeParser) Parse(msg []byte, env *Envelope) error {
	env.Type, env.Data = nil, nil
	v, err := ep.p.ParseBytes(msg)
	if err != nil {
		return &EnvelopeError{Reason: "invalid JSON", Input: truncateInput(msg)}
	}
	o, err := v.Object()
	if err != nil {
		return &EnvelopeError{Reason: "not a JSON object", Input: truncateInput(msg)}
	}
	t := foldGet(o, "type")
	if t == nil {
		return &EnvelopeError{Reason: `missing "type"`, Input: truncateInput(msg)}
	}
	typ, err := t.StringBytes()
	if err != nil {
		return &EnvelopeError{Reason: `"type" is not a string`, Input: truncateInput(msg)}
	}
	if bytes.IndexByte(typ, '\\') >= 0 || bytes.Contains(typ, replacementChar) {
		typ = ep.retype(msg, typ)
	}
	env.Type = typ
	d := foldGet(o, "data")
	if d == nil {
		env.Data = envNull
		return nil
	}
	ep.data = d.MarshalTo(ep.data[:0])
	env.Data = ep.data
	return nil
}

// retype decodes "type" again with encoding/json when fastjson's unescaped form holds a
// backslash or U+FFFD. NOTE: fastjson leaves an escape it cannot decode as written (a lone
// surrogate such as \ud800 stays those six characters) and decodes a high surrogate followed
// by a non-surrogate escape as one U+FFFD, where encoding/json, like other decoders, gives
// U+FFFD for the lone surrogate and keeps what follows; and from fastjson's output alone a lone
// surrogate cannot be told from an escaped backslash followed by "ud800". Channel names never
// hold either, so this path is rare and may allocate.
func (ep *EnvelopeParser) retype(msg, typ []byte) []byte {
	var ref struct {
		Type *string `json:"type"`
	}
	if json.Unmarshal(msg, &ref) != nil || ref.Type == nil {
		return typ
	}
	ep.typ = append(ep.typ[:0], *ref.Type...)
	return ep.typ
}

// foldGet returns the value of key in o: the exact-case key if present, else the first key
// equal to it under ASCII case folding, else nil.
func foldGet(o *fastjson.Object, key string) *fastjson.Value {
	if v := o.Get(key); v != nil {
		return v
	}
	var found *fastjson.Value
	o.Visit(func(k []byte, v *fastjson.Value) {
		if found == nil && equalFoldASCII(k, key) {
			found = v
		}
	})
	return found
}

// maxEchoedInput bounds the input quoted in parse errors.
const maxEchoedInput = 64

// truncateInput returns at most maxEchoedInput bytes of b as a string, marking a cut with "...".
func truncateInput(b []byte) string {
	if len(b) <= maxEchoedInput {
		return string(b)
	}
	return string(b[:maxEchoedInput/2]) + "..." + string(b[len(b)-maxEchoedInput/2:])
}
