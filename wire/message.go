package wire

// HeaderRoom is the number of bytes BeginMessage reserves in front of a message so that the
// websocket frame header (at most 14 bytes for a server frame, RFC 6455 §5.2) can be written in
// place without copying the payload.
const HeaderRoom = 14

// BeginMessage appends HeaderRoom spare bytes and the routing envelope's opening
// `{"type":"<channel>","data":` (PROTOCOL.md §1.5) to dst. Append the data value, then call
// EndMessage. The payload of the finished message is dst[HeaderRoom:].
func BeginMessage(dst []byte, channel string) []byte {
	dst = append(dst, make([]byte, HeaderRoom)...)
	dst = append(dst, `{"type":`...)
	dst = AppendString(dst, channel)
	return append(dst, `,"data":`...)
}

// EndMessage closes the envelope opened by BeginMessage.
func EndMessage(dst []byte) []byte {
	return append(dst, '}')
}

// BeginBare appends HeaderRoom spare bytes for a message without an envelope, such as the
// {"Resp":"ACK"} negotiation reply (PROTOCOL.md §1.4).
func BeginBare(dst []byte) []byte {
	return append(dst, make([]byte, HeaderRoom)...)
}
