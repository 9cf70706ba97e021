package access

import (
	"errors"
	"net"
	"strconv"
	"strings"
)

// CheckListen refuses listen addresses that would expose the server: off loopback, a server
// with no principals and no tokens would serve anyone; and a server with principals would take
// their tokens in clear text over plain TCP unless tlsOn, or allowInsecure says that is wanted
// (a TLS-terminating proxy in front, for instance). Legacy tokens alone keep working over plain
// TCP, for compatibility. An empty host, 0.0.0.0 and :: listen on every interface.
func (pol *Policy) CheckListen(addr string, tlsOn, allowInsecure bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("access: cannot check listen address " + strconv.Quote(addr) + ": " + err.Error())
	}
	if IsLoopback(host) {
		return nil
	}
	what := strconv.Quote(addr)
	if host == "" || host == "0.0.0.0" || host == "::" {
		what += " (every interface)"
	}
	switch {
	case pol.Open():
		return errors.New("access: refusing to listen on " + what + " without principals or tokens: add a principal (`sluiced token add NAME`), or listen on a loopback address such as 127.0.0.1")
	case pol.HasPrincipals() && !tlsOn && !allowInsecure:
		return errors.New("access: refusing to listen on " + what + " over plain TCP with principals configured (tokens would travel in clear text): set tls_cert and tls_key, or allow_insecure if a TLS proxy sits in front")
	}
	return nil
}

// IsLoopback reports whether host (a name or an address, brackets allowed) is this machine
// only: "localhost", a name under ".localhost", or a loopback address.
func IsLoopback(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
