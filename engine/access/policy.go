package access

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// PrincipalConfig names one principal in the configuration. Its token appears only as a hash.
type PrincipalConfig struct {
	Name  string  `json:"name"`
	UID   int32   `json:"uid"`            // 1 or more, unique
	GIDs  []int32 `json:"gids,omitempty"` // groups it belongs to
	Admin bool    `json:"admin,omitempty"`
	// TokenHash is HashToken(token): "sha256:" and 64 hex digits.
	TokenHash string `json:"token_hash"`
}

// Config configures a Policy. The zero value is loopback mode: no credential needed, every
// request is the Local admin, and only loopback Host names pass.
type Config struct {
	// Principals are the named identities, each with its token's hash.
	Principals []PrincipalConfig
	// Tokens are legacy clear-text tokens (SLUICE_TOKENS); each authenticates as Anonymous,
	// an admin. Kept for compatibility: prefer Principals.
	Tokens []string
	// AllowedOrigins are origins accepted on state-changing requests besides the request's
	// own host, as origins ("https://gui.example.com") or hosts ("gui.example.com:8443");
	// "*" accepts every origin.
	AllowedOrigins []string
	// AllowedHosts are Host header values accepted besides loopback names and IP addresses,
	// as "name" (any port) or "name:port"; "*" accepts every host and turns the DNS-rebinding
	// defence off.
	AllowedHosts []string
	// MetricsPublic serves /metrics without a credential even when principals or tokens are
	// configured.
	MetricsPublic bool
	// ConsolePublic serves the web console's page and files (/, /console/…) without a
	// credential even when principals or tokens are configured; the page then needs a token
	// in its token box. Without it a browser logs in at /login and holds a session cookie.
	ConsolePublic bool
	// SessionLifetime is how long a console session (the cookie POST /login sets) lasts from
	// the login; default DefaultSessionLifetime (12h).
	SessionLifetime time.Duration
	// MaxSessions bounds the console sessions held at once; a login past it is refused with
	// 503 naming MaxSessions. Default DefaultMaxSessions.
	MaxSessions int
	// MaxIngestBytesPerSecond bounds the ingest body bytes one principal (one remote address
	// for Local and Anonymous, LimitKey) sends per second, in bursts of one second's worth: a
	// faster client is slowed, never refused, and nothing is lost. 0: no limit.
	MaxIngestBytesPerSecond int64
	// Delegate, when set, is asked first by Authenticate: a request it handles (one carrying
	// a cluster-internal credential, engine/cluster) gets its principal p, or is refused with
	// reason when p is nil, whatever else it carries.
	Delegate func(r *http.Request) (p *Principal, handled bool, reason string)
}

// Policy is the access policy of a server: its principals, and the Host, Origin and
// credential rules of Admit. It is immutable and safe for concurrent use.
type Policy struct {
	keys          []key
	principals    []*Principal
	origins       []string // lower-case host[:port]
	anyOrigin     bool
	hosts         []string // lower-case name or name:port
	anyHost       bool
	metricsPublic bool
	consolePublic bool
	sessions      *sessions
	delegate      func(r *http.Request) (*Principal, bool, string)
}

type key struct {
	hash [32]byte
	p    *Principal
}

// NewPolicy checks cfg and returns its Policy. Errors name the offending principal and field.
func NewPolicy(cfg Config) (*Policy, error) {
	pol := &Policy{metricsPublic: cfg.MetricsPublic, consolePublic: cfg.ConsolePublic,
		sessions: newSessions(cfg.MaxSessions, cfg.SessionLifetime), delegate: cfg.Delegate}
	names := map[string]bool{}
	uids := map[int32]string{}
	hashes := map[[32]byte]string{}
	var errs []error
	for i, pc := range cfg.Principals {
		what := "principal " + strconv.Itoa(i+1) + " " + strconv.Quote(pc.Name)
		if err := checkName(pc.Name); err != nil {
			errs = append(errs, fmt.Errorf("access: %s: %w", what, err))
			continue
		}
		if names[pc.Name] {
			errs = append(errs, fmt.Errorf("access: %s: name used twice", what))
			continue
		}
		names[pc.Name] = true
		if pc.UID < 1 {
			errs = append(errs, fmt.Errorf("access: %s: uid must be 1 or more, got %d", what, pc.UID))
			continue
		}
		if other, dup := uids[pc.UID]; dup {
			errs = append(errs, fmt.Errorf("access: %s: uid %d already belongs to %q", what, pc.UID, other))
			continue
		}
		uids[pc.UID] = pc.Name
		h, err := parseHash(pc.TokenHash)
		if err != nil {
			errs = append(errs, fmt.Errorf("access: %s: %w", what, err))
			continue
		}
		if other, dup := hashes[h]; dup {
			errs = append(errs, fmt.Errorf("access: %s: same token as %q", what, other))
			continue
		}
		hashes[h] = pc.Name
		p := &Principal{Name: pc.Name, UID: pc.UID, GIDs: append([]int32(nil), pc.GIDs...), Admin: pc.Admin}
		pol.principals = append(pol.principals, p)
		pol.keys = append(pol.keys, key{hash: h, p: p})
	}
	for _, t := range cfg.Tokens {
		if t = strings.TrimSpace(t); t != "" {
			pol.keys = append(pol.keys, key{hash: sha256.Sum256([]byte(t)), p: Anonymous})
		}
	}
	for _, o := range cfg.AllowedOrigins {
		o = strings.TrimSpace(o)
		if o == "*" {
			pol.anyOrigin = true
		} else if h := originHost(o); h != "" {
			pol.origins = append(pol.origins, strings.ToLower(h))
		}
	}
	for _, h := range cfg.AllowedHosts {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "*" {
			pol.anyHost = true
		} else if h != "" {
			pol.hosts = append(pol.hosts, h)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return pol, nil
}

func checkName(name string) error {
	if name == "" {
		return errors.New("name is empty")
	}
	if name == Local.Name || name == Anonymous.Name {
		return errors.New("name " + strconv.Quote(name) + " is reserved")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-@", r)) {
			return errors.New("name may hold only letters, digits and . _ - @")
		}
	}
	return nil
}

// Open reports whether no principals and no tokens are configured: every request is then
// Local, and the server must listen on loopback only (CheckListen).
func (pol *Policy) Open() bool { return len(pol.keys) == 0 }

// HasPrincipals reports whether named principals are configured.
func (pol *Policy) HasPrincipals() bool { return len(pol.principals) > 0 }

// MetricsPublic reports Config.MetricsPublic.
func (pol *Policy) MetricsPublic() bool { return pol.metricsPublic }

// Principals returns the configured principals (not Local or Anonymous), in config order.
func (pol *Policy) Principals() []*Principal { return pol.principals }

// Refusal is why Admit refused a request: the HTTP status, a short reason for metrics
// ("host", "origin", "auth") and a message for the client and the log. It never holds a
// credential.
type Refusal struct {
	Status  int
	Reason  string
	Message string
}

func (r *Refusal) Error() string { return r.Message }

// Admit applies the Host, Origin and credential rules (see the package comment) and returns
// the request's principal, or why it is refused. Every HTTP route and websocket upgrade uses it.
func (pol *Policy) Admit(r *http.Request) (*Principal, *Refusal) {
	if !pol.HostAllowed(r.Host) {
		return nil, &Refusal{Status: http.StatusForbidden, Reason: "host",
			Message: "access: host " + strconv.Quote(r.Host) + " not allowed: use a loopback name or an IP address, or add it to allowed_hosts"}
	}
	if StateChanging(r) && !pol.OriginAllowed(r) {
		return nil, &Refusal{Status: http.StatusForbidden, Reason: "origin",
			Message: "access: origin " + strconv.Quote(r.Header.Get("Origin")) + " not allowed: add it to allowed_origins"}
	}
	if crossSiteSubresource(r) && (r.Header.Get("Origin") == "" || !pol.OriginAllowed(r)) {
		// A browser sends no Origin with an <img> or <script> GET, but marks it: another
		// site's page may not make the user's browser fetch (or attach to) anything here.
		return nil, &Refusal{Status: http.StatusForbidden, Reason: "origin",
			Message: "access: cross-site request (Sec-Fetch-Site: " + r.Header.Get("Sec-Fetch-Site") + ") without an allowed origin"}
	}
	p, reason, byCookie := pol.authenticate(r)
	if p == nil {
		return nil, &Refusal{Status: http.StatusUnauthorized, Reason: "auth", Message: reason}
	}
	if byCookie && StateChanging(r) && r.Header.Get("Origin") == "" {
		// A browser sends Origin with every POST, DELETE and websocket upgrade; a cookie is
		// the one credential a browser adds by itself, so without an Origin there is no
		// telling whose page sent the request (CSRF).
		return nil, &Refusal{Status: http.StatusForbidden, Reason: "origin",
			Message: "access: a state-changing request authenticated by the session cookie must carry an Origin header"}
	}
	return p, nil
}

// Authenticate returns the principal whose token r carries, or nil and the reason. A request
// Config.Delegate handles is decided by it alone. In loopback
// mode (Open) every request is Local. Credentials are taken from every Sec-WebSocket-Protocol
// value, "Authorization: Bearer TOKEN", "Authorization: Basic" (any user name, the token as
// password) and "Gravwell-Token"; the first that matches wins. A request that offers none of
// them is authenticated by its console session cookie (SessionCookie), if any.
func (pol *Policy) Authenticate(r *http.Request) (*Principal, string) {
	p, reason, _ := pol.authenticate(r)
	return p, reason
}

// authenticate is Authenticate, also reporting whether the session cookie was the credential.
func (pol *Policy) authenticate(r *http.Request) (*Principal, string, bool) {
	if pol.delegate != nil {
		if p, handled, reason := pol.delegate(r); handled {
			return p, reason, false
		}
	}
	if pol.Open() {
		return Local, "", false
	}
	p, reason := pol.headerCredential(r)
	if p != nil || reason != errNoCredential {
		return p, reason, false
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		p, reason := pol.sessions.lookup(c.Value)
		return p, reason, p != nil
	}
	return nil, reason, false
}

// errNoCredential is headerCredential's reason when a request offers no credential at all.
const errNoCredential = "access: missing credential (Sec-WebSocket-Protocol, Authorization: Bearer or Gravwell-Token, or the console's session cookie)"

// headerCredential returns the principal of the first token r's headers offer that matches.
func (pol *Policy) headerCredential(r *http.Request) (*Principal, string) {
	offered := false
	try := func(c string) *Principal {
		c = strings.TrimSpace(c)
		if c == "" {
			return nil
		}
		offered = true
		return pol.lookup(c)
	}
	for _, v := range r.Header.Values("Sec-WebSocket-Protocol") {
		for v != "" {
			var t string
			t, v, _ = strings.Cut(v, ",")
			if p := try(t); p != nil {
				return p, ""
			}
		}
	}
	for _, v := range r.Header.Values("Authorization") {
		scheme, cred, _ := strings.Cut(strings.TrimSpace(v), " ")
		switch {
		case strings.EqualFold(scheme, "bearer"):
			if p := try(cred); p != nil {
				return p, ""
			}
		case strings.EqualFold(scheme, "basic"):
			if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred)); err == nil {
				_, pass, _ := strings.Cut(string(b), ":")
				if p := try(pass); p != nil {
					return p, ""
				}
			} else {
				offered = true
			}
		default:
			offered = true
		}
	}
	for _, v := range r.Header.Values("Gravwell-Token") {
		if p := try(v); p != nil {
			return p, ""
		}
	}
	if !offered {
		return nil, errNoCredential
	}
	return nil, "access: invalid credential"
}

// lookup returns the principal of token c, comparing its hash with every key in constant time.
func (pol *Policy) lookup(c string) *Principal {
	h := sha256.Sum256([]byte(c))
	var found *Principal
	for i := range pol.keys {
		if subtle.ConstantTimeCompare(h[:], pol.keys[i].hash[:]) == 1 && found == nil {
			found = pol.keys[i].p
		}
	}
	return found
}

// HostAllowed reports whether a Host header value passes the DNS-rebinding rule: empty (HTTP/1.0),
// "localhost" or a name under ".localhost" (browsers resolve those to loopback themselves), an IP
// address literal (a page can reach an address only under that address, so it cannot be
// rebound), or one of AllowedHosts.
func (pol *Policy) HostAllowed(hostport string) bool {
	if hostport == "" || pol.anyHost {
		return true
	}
	hp := strings.ToLower(hostport)
	host := hp
	if h, _, err := net.SplitHostPort(hp); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if IsLoopback(host) || net.ParseIP(host) != nil {
		return true
	}
	for _, a := range pol.hosts {
		if a == hp || a == host {
			return true
		}
	}
	return false
}

// OriginAllowed applies PROTOCOL.md §1.2 rule 3: no Origin, an Origin whose host equals the
// request's Host (scheme ignored, ASCII case-insensitive), or an allowed origin.
func (pol *Policy) OriginAllowed(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || pol.anyOrigin {
		return true
	}
	h := originHost(o)
	if h == "" {
		return false
	}
	if strings.EqualFold(h, r.Host) {
		return true
	}
	for _, a := range pol.origins {
		if strings.EqualFold(h, a) {
			return true
		}
	}
	return false
}

// crossSiteSubresource reports whether a browser marked r as sent by another site's page
// (Sec-Fetch-Site cross-site or same-site, the latter being another port or subdomain) for
// anything but a top-level navigation, which a link to the console may be.
func crossSiteSubresource(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return !(r.Method == http.MethodGet && r.Header.Get("Sec-Fetch-Mode") == "navigate")
	}
	return false
}

// StateChanging reports whether r may change state: any method but GET, HEAD and OPTIONS, or a
// protocol upgrade (a websocket opens a socket able to launch and delete searches).
func StateChanging(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return r.Header.Get("Upgrade") != ""
	}
	return true
}

// originHost returns the host[:port] of an origin ("scheme://host[:port][/...]") or of a
// bare "host[:port]".
func originHost(o string) string {
	o = strings.TrimSpace(o)
	if _, rest, ok := strings.Cut(o, "://"); ok {
		o = rest
	}
	if i := strings.IndexAny(o, "/?#"); i >= 0 {
		o = o[:i]
	}
	return o
}
