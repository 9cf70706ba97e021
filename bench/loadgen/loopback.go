package loadgen

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// CheckLoopback returns an error unless target, a "host:port" address or a ws://, wss://,
// http:// or https:// URL, names only loopback addresses: a literal loopback IP, or a host name
// all of whose addresses are loopback ("localhost").
func CheckLoopback(target string) error {
	host, err := hostOf(target)
	if err != nil {
		return err
	}
	if host == "" {
		return fmt.Errorf("loadgen: target %q has no host: give a loopback address such as 127.0.0.1", target)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if !ip.Unmap().IsLoopback() {
			return fmt.Errorf("loadgen: refusing non-loopback target %q: the load generator only measures this machine", target)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("loadgen: cannot resolve target host %q: %w", host, err)
	}
	if len(addrs) == 0 {
		return fmt.Errorf("loadgen: target host %q has no addresses", host)
	}
	for _, a := range addrs {
		if !a.Unmap().IsLoopback() {
			return fmt.Errorf("loadgen: refusing target %q: %s resolves to non-loopback %s", target, host, a)
		}
	}
	return nil
}

// hostOf returns the host part of a "host:port" address, a bare host or a URL, without
// brackets.
func hostOf(target string) (string, error) {
	host := target
	if strings.Contains(target, "://") {
		u, err := url.Parse(target)
		if err != nil {
			return "", fmt.Errorf("loadgen: cannot parse target %q: %w", target, err)
		}
		host = u.Hostname()
	} else if h, _, err := net.SplitHostPort(target); err == nil {
		host = h
	}
	return strings.Trim(host, "[]"), nil
}

// SourceAddrs returns n loopback source addresses to spread connections over, so that one
// destination port can take more connections than one source address has ephemeral ports:
// 127.0.0.1 … 127.0.0.n for an IPv4 target (n ≤ 254), or just ::1 for an IPv6 one.
func SourceAddrs(target string, n int) []net.IP {
	host, _ := hostOf(target)
	if ip, err := netip.ParseAddr(host); err == nil && ip.Is6() && !ip.Is4In6() {
		return []net.IP{net.IPv6loopback}
	}
	n = min(max(n, 1), 254)
	out := make([]net.IP, n)
	for i := range out {
		out[i] = net.IPv4(127, 0, 0, byte(1+i))
	}
	return out
}
