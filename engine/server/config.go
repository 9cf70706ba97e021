package server

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/engine/access"
)

// Config holds the limits and policies of a Server. The zero value works: every zero field
// takes the default named in its comment. Every limit is a field; hitting one is logged with
// the field's name and counted in sluice_ws_limit_hits_total{limit="<Field>"}.
type Config struct {
	// MaxConns bounds concurrent websocket connections; upgrades past it get 503.
	// Default 65536.
	MaxConns int
	// MaxConnsPerPrincipal bounds the concurrent websocket connections of one principal (of
	// one remote address for Local and Anonymous: access.LimitKey); upgrades past it get 429.
	// Default MaxConns.
	MaxConnsPerPrincipal int
	// MaxFrameSize bounds one inbound frame's payload; larger frames close the socket with
	// 1009, decided from the frame header before the payload is read. Default 1 MiB.
	MaxFrameSize int
	// MaxMessageSize bounds one inbound message (all its fragments, and its size after
	// decompression); larger messages close the socket with 1009. Default 1 MiB.
	MaxMessageSize int
	// MaxBacklogBytes bounds the bytes queued for a session that reads slower than the server
	// writes. A Send that would pass it closes the session with 1008. Default 8 MiB.
	MaxBacklogBytes int
	// NegotiationTimeout is how long the server waits for the {"Subs":[...]} message
	// (PROTOCOL.md §1.4). Default 2 s.
	NegotiationTimeout time.Duration
	// IdleTimeout closes a session when no message was received and none written for this
	// long (PROTOCOL.md §1.7). Default 90 s.
	IdleTimeout time.Duration
	// WriteStallTimeout cuts off a session whose queued output made no progress for this
	// long. Default 30 s.
	WriteStallTimeout time.Duration
	// CloseTimeout is how long a closing socket waits for the peer's close frame and FIN
	// after the server's close frame was written. Default 2 s.
	CloseTimeout time.Duration
	// Workers is the size of the pool that serves readable sockets. Default
	// max(4, 2*GOMAXPROCS).
	Workers int
	// ReadBufferSize is the size of each worker's shared read buffer. Default 64 KiB.
	ReadBufferSize int
	// Access is the policy every upgrade is admitted by (Host, Origin, credential) and that
	// names the session's principal. nil: a policy built from Tokens and AllowedOrigins.
	Access *access.Policy
	// Tokens are accepted credentials (PROTOCOL.md §1.2), each the anonymous admin; used only
	// when Access is nil. Empty: every request is accepted (use CheckListen to refuse
	// non-loopback listening in that case).
	Tokens []string
	// AllowedOrigins are extra origins accepted besides the request's own host, as origins
	// ("https://gui.example.com") or hosts ("gui.example.com:8443"); "*" allows all. Used only
	// when Access is nil.
	AllowedOrigins []string
	// Compression controls permessage-deflate (RFC 7692, no context takeover both ways).
	// The zero value, CompressionDefault, enables it.
	Compression CompressionMode
	// CompressThreshold is the smallest payload compressed on a deflate session.
	// Default 512 bytes.
	CompressThreshold int
	// CompressLevel is the flate level for outgoing messages (klauspost/compress/flate).
	// Default 1 (best speed).
	CompressLevel int
	// Portable serves every connection in netpoll's portable goroutine-per-connection mode
	// even where epoll exists (for comparison and tests).
	Portable bool
}

// CompressionMode says whether permessage-deflate is negotiated when a client offers it.
type CompressionMode int8

// Compression modes.
const (
	CompressionDefault  CompressionMode = iota // enabled
	CompressionEnabled                         // negotiated when offered
	CompressionDisabled                        // never negotiated
)

// Enabled reports whether m negotiates compression.
func (m CompressionMode) Enabled() bool { return m != CompressionDisabled }

// String returns "on" or "off".
func (m CompressionMode) String() string {
	if m.Enabled() {
		return "on"
	}
	return "off"
}

// UnmarshalText accepts true/false, on/off, yes/no, 1/0 (and "" for the default), so the
// mode can be set from flags (flag.TextVar), environment variables and config files.
func (m *CompressionMode) UnmarshalText(b []byte) error {
	switch strings.ToLower(strings.TrimSpace(string(b))) {
	case "":
		*m = CompressionDefault
	case "true", "on", "yes", "1":
		*m = CompressionEnabled
	case "false", "off", "no", "0":
		*m = CompressionDisabled
	default:
		return errors.New("server: invalid Compression value " + strconv.Quote(string(b)) + " (want on or off)")
	}
	return nil
}

// MarshalText returns the String form.
func (m CompressionMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalJSON accepts a JSON bool or one of the UnmarshalText strings.
func (m *CompressionMode) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if uq, err := strconv.Unquote(s); err == nil {
		s = uq
	}
	return m.UnmarshalText([]byte(s))
}

func (c *Config) setDefaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxConns, 65536)
	def(&c.MaxConnsPerPrincipal, c.MaxConns)
	def(&c.MaxFrameSize, 1<<20)
	def(&c.MaxMessageSize, 1<<20)
	def(&c.MaxBacklogBytes, 8<<20)
	def(&c.CompressThreshold, 512)
	def(&c.CompressLevel, 1)
	if c.CompressLevel > 9 {
		c.CompressLevel = 9
	}
	defD(&c.NegotiationTimeout, 2*time.Second)
	defD(&c.IdleTimeout, 90*time.Second)
	defD(&c.WriteStallTimeout, 30*time.Second)
	defD(&c.CloseTimeout, 2*time.Second)
}

// CheckListen returns an error when addr ("host:port") is not a loopback address and no
// tokens are configured: without credentials the server must only be reachable from this
// machine (issue 3). See access.Policy.CheckListen, which it calls.
func CheckListen(addr string, tokens []string) error {
	pol, err := access.NewPolicy(access.Config{Tokens: tokens})
	if err != nil {
		return err
	}
	return pol.CheckListen(addr, false, false)
}
