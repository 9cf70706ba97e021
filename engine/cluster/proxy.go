package cluster

import (
	"context"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/sluicehq/sluice/engine/access"
	"github.com/sluicehq/sluice/engine/rest"
)

// proxyTransport is the HTTP transport of REST proxying: dials bounded by ProxyDialTimeout,
// no proxy from the environment (the webservers talk directly).
func proxyTransport(cfg Config) *http.Transport {
	return &http.Transport{
		DialContext:         (&net.Dialer{Timeout: cfg.ProxyDialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     90 * time.Second,
	}
}

// clientCredentialHeaders are the request headers a proxied request does not carry to the
// holding webserver: the client's credentials (the proxy credential replaces them) and the
// browser headers whose rules this webserver already applied.
var clientCredentialHeaders = []string{"Authorization", "Gravwell-Token", "Cookie", "Origin",
	"Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest", "Sec-WebSocket-Protocol", ProxyHeader}

// Serve implements rest.Remote: a REST route about search id, which another webserver holds
// and c may see, is reverse-proxied to that webserver (net/http/httputil) with a proxy
// credential for c, so the holder authorises it as c; the reply, downloads and exports
// included, streams back as the holder writes it. A search whose webserver is gone is
// answered 410 naming the webserver (DELETE removes its record and answers as a deletion).
func (r *Registry) Serve(w http.ResponseWriter, req *http.Request, c *access.Principal, id string) bool {
	rec, ok := r.remote(req.Context(), c, id)
	if !ok {
		return false
	}
	if why := r.gone(rec); why != "" {
		if req.Method == http.MethodDelete {
			r.remove(req.Context(), id)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			w.Write([]byte(`{"Deleted":"` + id + `"}` + "\n"))
			return true
		}
		rest.WriteError(w, &rest.Error{Status: http.StatusGone, Field: "id", Msg: goneError(id, why).Error()})
		return true
	}
	target := &url.URL{Scheme: "http", Host: rec.Addr}
	cred := r.credential(c, id, rec.Node)
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			for _, h := range clientCredentialHeaders {
				pr.Out.Header.Del(h)
			}
			pr.Out.Header.Set(ProxyHeader, cred)
			pr.SetXForwarded()
		},
		Transport:     r.client.Transport,
		FlushInterval: -1, // downloads and exports stream as the holder writes them
		ErrorHandler: func(w http.ResponseWriter, req *http.Request, err error) {
			r.n.log.Warn("cluster: proxied request failed", "search", id, "node", rec.Node, "addr", rec.Addr, "err", err)
			rest.WriteError(w, &rest.Error{Status: http.StatusBadGateway, Field: "id",
				Msg: "search " + id + " is held by webserver " + rec.Node + " (" + rec.Addr + "), which did not answer: " + err.Error()})
		},
	}
	rp.ServeHTTP(w, req)
	return true
}

// dialContext bounds ctx by ProxyDialTimeout.
func (r *Registry) dialContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, r.n.cfg.ProxyDialTimeout)
}
