package cluster

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/sluicehq/sluice/engine/access"
)

// ProxyHeader carries the cluster-internal credential of a proxied request: a webserver that
// relays a client's request to the webserver holding a search sends it instead of the
// client's own credential, which it does not forward.
//
// The value is base64url(claims JSON) "." base64url(HMAC-SHA256(secret, "sluice-proxy-v1." +
// first part)), with Config.ProxySecret (or the cluster's random secret in the bucket
// sluice_searches) as the key. The claims name the principal (name, UID, GIDs, admin) the
// proxying webserver authenticated, the search the request is about, the node it is meant for
// and an expiry Config.ProxyCredentialTTL ahead. The holder accepts it only with a valid MAC,
// unexpired, addressed to itself, and for a REST route about that search or the search
// socket; the request is then served as that principal, so the holder's own ownership checks
// (access.CanSee) apply exactly as for a direct request: nobody gains a privilege through the
// proxy. Without the secret the header cannot be made; a captured one serves only its search,
// its node, and only until it expires.
const ProxyHeader = "Sluice-Proxy"

// proxyClaims is what a proxy credential asserts.
type proxyClaims struct {
	Name   string  `json:"n"`
	UID    int32   `json:"u"`
	GIDs   []int32 `json:"g,omitempty"`
	Admin  bool    `json:"a,omitempty"`
	Search string  `json:"s"`
	To     string  `json:"t"` // the node the credential is for
	From   string  `json:"f"` // the node that made it (logs)
	Exp    int64   `json:"x"` // Unix nanoseconds
}

const proxyMACContext = "sluice-proxy-v1."

// credential returns the proxy credential for principal p's request about search id to node
// to.
func (r *Registry) credential(p *access.Principal, id, to string) string {
	c := proxyClaims{Search: id, To: to, From: r.n.cfg.Name, Exp: time.Now().Add(r.n.cfg.ProxyCredentialTTL).UnixNano()}
	if p != nil {
		c.Name, c.UID, c.GIDs, c.Admin = p.Name, p.UID, p.GIDs, p.Admin
	}
	b, _ := json.Marshal(&c) // a struct of strings and numbers always encodes
	head := base64.RawURLEncoding.EncodeToString(b)
	return head + "." + base64.RawURLEncoding.EncodeToString(r.mac(head))
}

func (r *Registry) mac(head string) []byte {
	h := hmac.New(sha256.New, r.secret)
	h.Write([]byte(proxyMACContext))
	h.Write([]byte(head))
	return h.Sum(nil)
}

// Authenticate implements the access delegate (access.Config.Delegate): a request without
// ProxyHeader is not its business; one with it is served as the principal it names when the
// credential is valid for this node, this request and now, and refused otherwise.
func (r *Registry) Authenticate(req *http.Request) (*access.Principal, bool, string) {
	v := req.Header.Get(ProxyHeader)
	if v == "" {
		return nil, false, ""
	}
	c, why := r.verify(v, time.Now())
	if why == "" && !proxiedPath(req.URL.Path, c.Search) {
		why = "it is for search " + c.Search + ", not " + req.URL.Path
	}
	if why != "" {
		r.n.log.Warn("cluster: proxy credential refused", "remote", req.RemoteAddr, "path", req.URL.Path, "reason", why)
		return nil, true, "access: invalid " + ProxyHeader + " credential: " + why
	}
	switch {
	case c.UID == 0 && c.Admin && c.Name == access.Local.Name:
		return access.Local, true, ""
	case c.UID == 0 && c.Admin && c.Name == access.Anonymous.Name:
		return access.Anonymous, true, ""
	}
	return &access.Principal{Name: c.Name, UID: c.UID, GIDs: c.GIDs, Admin: c.Admin}, true, ""
}

// verify checks a credential's MAC, target and expiry at now and returns its claims, or why
// it is refused.
func (r *Registry) verify(v string, now time.Time) (proxyClaims, string) {
	var c proxyClaims
	head, sig, ok := strings.Cut(v, ".")
	if !ok {
		return c, "malformed"
	}
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(mac, r.mac(head)) {
		return c, "bad signature"
	}
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil || json.Unmarshal(b, &c) != nil {
		return c, "malformed claims"
	}
	exp := time.Unix(0, c.Exp)
	switch {
	case c.To != r.n.cfg.Name:
		return c, "it is for node " + c.To + ", not " + r.n.cfg.Name
	case !now.Before(exp):
		return c, "expired " + now.Sub(exp).Round(time.Millisecond).String() + " ago"
	case exp.Sub(now) > 2*r.n.cfg.ProxyCredentialTTL:
		return c, "expiry too far ahead (ProxyCredentialTTL=" + r.n.cfg.ProxyCredentialTTL.String() + ")"
	case !validID(c.Search):
		return c, "malformed search ID"
	}
	return c, ""
}

// proxiedPath reports whether a proxied request for search id may use path: a REST route
// about that search, or the search socket (where the relay attaches to it).
func proxiedPath(path, id string) bool {
	switch path {
	case "/api/ws/search", "/ws/search":
		return true
	}
	rest, ok := strings.CutPrefix(path, "/api/searchctrl/"+id)
	return ok && (rest == "" || rest[0] == '/')
}
