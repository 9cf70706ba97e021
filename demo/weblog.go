package demo

import (
	"math"
	"net/netip"
)

var (
	apiGetPaths = []string{"/api/v1/users/", "/api/v1/orders/", "/api/v1/products/", "/api/v1/cart", "/api/v1/orders", "/api/v1/search?q=", "/api/v1/recommendations", "/api/v1/users/me"}
	apiPutPaths = []string{"/api/v1/users/", "/api/v1/orders/", "/api/v1/cart/items/"}
	pagePaths   = []string{"/", "/shop", "/product/", "/cart", "/account", "/login", "/about", "/shop/category/"}
)

// weblog writes one JSON access log line into g.msg and returns the web server's address.
//
// Shape: {"time":..,"host":..,"client":..,"method":..,"path":..,"proto":..,"status":..,
// "bytes":..,"duration_ms":..,"referer":..,"ua":..}. Every string is plain ASCII without quotes
// or backslashes, so nothing needs escaping.
func (g *gen) weblog() netip.Addr {
	h := webHosts[g.r.IntN(len(webHosts))]
	outage := g.ts >= g.outageStart && g.ts < g.outageEnd
	client := g.client()
	ua := g.userAgent()
	method, status := "GET", 200
	var size, dur float64
	g.path = g.path[:0]

	switch p := g.r.IntN(100); {
	case p < 30: // static assets
		obj := pick(g, staticObjs)
		g.path = append(g.path, obj...)
		switch {
		case g.chance(15):
			status = 304
		case obj[len(obj)-3:] == ".js":
			size = g.lognormal(math.Log(150000), 0.4)
		case obj[len(obj)-4:] == ".css":
			size = g.lognormal(math.Log(40000), 0.3)
		default:
			size = g.lognormal(math.Log(60000), 0.8)
		}
		dur = g.lognormal(math.Log(1.5), 0.6)
	case p < 75: // the API
		switch q := g.r.IntN(100); {
		case q < 70:
			g.path = g.appendAPIPath(g.path, pick(g, apiGetPaths))
		case q < 88:
			method, status = "POST", 201
			g.path = append(g.path, pick(g, upstreamPaths)...)
		case q < 94:
			method = "PUT"
			g.path = g.appendAPIPath(g.path, pick(g, apiPutPaths))
		case q < 97:
			method, status = "DELETE", 204
			g.path = g.appendAPIPath(g.path, pick(g, apiPutPaths))
		default:
			method = "PATCH"
			g.path = g.appendAPIPath(g.path, pick(g, apiPutPaths))
		}
		size = g.lognormal(math.Log(2500), 1)
		dur = g.lognormal(math.Log(35), 0.8)
		switch e := g.r.IntN(1000); {
		case outage && e < 500:
			if e < 300 {
				status, dur = 504, 30000+g.r.Float64()*50
			} else {
				status, dur = 502, g.lognormal(math.Log(4), 0.5)
			}
			size = 150 + float64(g.r.IntN(20))
		case e < 20:
			status = 400
		case e < 40:
			status = 401
		case e < 50:
			status = 403
		case e < 80:
			status = 404
		case e < 85:
			status = 429
		case e < 90:
			status, dur = 500, g.lognormal(math.Log(200), 0.7)
		}
		if status >= 400 && status < 500 {
			size = 60 + float64(g.r.IntN(200))
		}
	case p < 90: // pages
		pg := pick(g, pagePaths)
		g.path = append(g.path, pg...)
		if pg[len(pg)-1] == '/' && len(pg) > 1 {
			g.path = appendInt(g.path, 1+g.r.IntN(5000))
		}
		switch {
		case pg == "/login" && g.chance(40):
			method, status, size = "POST", 302, 0
		case pg == "/shop" && g.chance(10):
			status, size = 301, 162
		default:
			size = g.lognormal(math.Log(30000), 0.4)
		}
		dur = g.lognormal(math.Log(60), 0.6)
	case p < 97: // probes and scrapes
		if g.chance(50) {
			g.path = append(g.path, "/healthz"...)
			size, ua = 2, "kube-probe/1.29"
		} else {
			g.path = append(g.path, "/metrics"...)
			size, ua = g.lognormal(math.Log(20000), 0.1), "Prometheus/2.51.2"
		}
		client = [4]byte{10, 0, 5, byte(11 + g.r.IntN(2))}
		dur = g.lognormal(math.Log(0.4), 0.5)
	default: // scanners
		g.path = append(g.path, pick(g, scanPaths)...)
		status, size = 404, 150+float64(g.r.IntN(400))
		client, ua = g.publicIP(), pick(g, userAgents[6:9])
		dur = g.lognormal(math.Log(0.8), 0.5)
	}
	if status == 304 || status == 204 {
		size = 0
	}
	if method == "GET" && g.chance(1) {
		method = "HEAD"
	}

	g.msg = g.msg[:0]
	g.w(`{"time":"`)
	g.msg = g.appendStamp(g.msg)
	g.w(`","host":"`)
	g.w(hosts[h].name)
	g.w(`","client":"`)
	g.wip(client)
	g.w(`","method":"`)
	g.w(method)
	g.w(`","path":"`)
	g.msg = append(g.msg, g.path...)
	if g.chance(70) {
		g.w(`","proto":"HTTP/2.0","status":`)
	} else {
		g.w(`","proto":"HTTP/1.1","status":`)
	}
	g.wi(status)
	g.w(`,"bytes":`)
	g.wi(int(size))
	g.w(`,"duration_ms":`)
	g.wf(dur, 3)
	g.w(`,"referer":"`)
	g.wpick(referers)
	g.w(`","ua":"`)
	g.w(ua)
	g.w(`"}`)
	return addrOf(hosts[h].ip)
}

// appendAPIPath completes an API path: an ID after a trailing slash, a search word after "=".
func (g *gen) appendAPIPath(dst []byte, p string) []byte {
	dst = append(dst, p...)
	switch p[len(p)-1] {
	case '/':
		dst = appendInt(dst, 1+g.r.IntN(200000))
	case '=':
		dst = append(dst, pick(g, searchQ)...)
	}
	return dst
}

// userAgent draws a user agent with realistic odds.
func (g *gen) userAgent() string {
	n := g.r.IntN(uaTotal)
	for i, w := range uaWeights {
		if n < w {
			return userAgents[i]
		}
		n -= w
	}
	return userAgents[0]
}

var uaTotal = func() (t int) {
	for _, w := range uaWeights {
		t += w
	}
	return t
}()
