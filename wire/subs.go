package wire

import (
	"strconv"

	"github.com/valyala/fastjson"
)

// SubsError is a negotiation message that is not a valid {"Subs":[...]} request
// (PROTOCOL.md §1.4). The server answers it with {"Resp":"ERROR"} and closes the socket.
type SubsError struct {
	Reason string
	Input  string // truncated copy of the message, for logs
}

// Error implements error.
func (e *SubsError) Error() string {
	if e.Input == "" {
		return "wire: cannot parse Subs: " + e.Reason
	}
	return "wire: cannot parse Subs: " + e.Reason + ": " + strconv.Quote(e.Input)
}

// ParseSubs decodes the first message of a routing websocket, a bare object
// {"Subs":["name",...]} (PROTOCOL.md §1.4), with p and appends the channel names to dst in
// first-seen order, duplicates collapsed. The key is matched case-insensitively (an exact
// "Subs" wins). It fails when msg is not a JSON object, "Subs" is missing, null, not an array,
// empty, or holds a non-string. The names are fresh strings owned by the caller.
func ParseSubs(p *fastjson.Parser, msg []byte, dst []string) ([]string, error) {
	v, err := p.ParseBytes(msg)
	if err != nil {
		return dst, &SubsError{Reason: "invalid JSON", Input: truncateInput(msg)}
	}
	o, err := v.Object()
	if err != nil {
		return dst, &SubsError{Reason: "not a JSON object", Input: truncateInput(msg)}
	}
	sv := foldGet(o, "Subs")
	if sv == nil || sv.Type() == fastjson.TypeNull {
		return dst, &SubsError{Reason: `missing "Subs"`, Input: truncateInput(msg)}
	}
	arr, err := sv.Array()
	if err != nil {
		return dst, &SubsError{Reason: `"Subs" is not an array`, Input: truncateInput(msg)}
	}
	if len(arr) == 0 {
		return dst, &SubsError{Reason: `"Subs" is empty`}
	}
	start := len(dst)
	// NOTE: lists from real clients hold at most five names, so a linear scan de-duplicates;
	// a long list (a hostile one is bounded only by the message size) switches to a set.
	var seen map[string]struct{}
	if len(arr) > 16 {
		seen = make(map[string]struct{}, len(arr))
	}
	for i, e := range arr {
		b, err := e.StringBytes()
		if err != nil {
			return dst[:start], &SubsError{Reason: `"Subs" element ` + strconv.Itoa(i) + " is not a string", Input: truncateInput(msg)}
		}
		if seen != nil {
			if _, dup := seen[string(b)]; dup {
				continue
			}
			name := string(b)
			seen[name] = struct{}{}
			dst = append(dst, name)
			continue
		}
		dup := false
		for _, have := range dst[start:] {
			if have == string(b) {
				dup = true
				break
			}
		}
		if !dup {
			dst = append(dst, internSub(b))
		}
	}
	return dst, nil
}

// knownSubs are the channel names real clients send (PROTOCOL.md §1.4). Parsed names equal to
// one of them share its string, so a thousand idle subscribers do not hold a thousand copies.
var knownSubs = [...]string{"PONG", "parse", "search", "attach",
	"ping", "sysDesc", "sysStats", "idxStats", "igstStats"}

func internSub(b []byte) string {
	for _, k := range knownSubs {
		if string(b) == k {
			return k
		}
	}
	return string(b)
}

// AppendSubsACK appends the negotiation success reply {"Resp":"ACK"} (PROTOCOL.md §1.4).
func AppendSubsACK(dst []byte) []byte {
	return append(dst, `{"Resp":"ACK"}`...)
}

// AppendSubsError appends the negotiation failure reply {"Resp":"ERROR"} (PROTOCOL.md §1.4).
func AppendSubsError(dst []byte) []byte {
	return append(dst, `{"Resp":"ERROR"}`...)
}
