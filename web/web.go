// Package web is sluice's embedded web console: a live stats dashboard and a search console.
// The page is hand-written ES modules, CSS and HTML embedded with go:embed: no build step, no
// Node at run time, no third-party code; charts are drawn as SVG. It speaks only the public
// protocol, as any other client would: the stats and search websockets (PROTOCOL.md) and the
// REST routes, with the token handling of the Gravwell JS client (the token is offered as the
// websocket protocol value, and sent as Authorization: Bearer on REST calls).
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// DefaultDeadAfter is how long the dashboard waits for a ping before it declares a backend
// dead: clients treat 30 s without a ping as "backend dead" (PROTOCOL.md §1.7).
const DefaultDeadAfter = 30 * time.Second

// Config configures the console. The zero value is what users get.
type Config struct {
	// DeadAfter is how long the dashboard waits for a ping from a backend before it marks the
	// backend dead. Default DefaultDeadAfter; tests shorten it.
	DeadAfter time.Duration
	// Login tells the page that it is served behind the login (principals or tokens are
	// configured and the console is not public): it shows a Log out button (POST /logout) and
	// goes back to the login page when a REST call is refused for want of a credential.
	Login bool
}

// Prefix is the path under which the console's modules and styles are served; the page itself
// is served at "/".
const Prefix = "/console/"

// asset is one embedded file, ready to serve.
type asset struct {
	body  []byte
	ctype string
	etag  string
}

// Handler serves the console: GET / is the page, GET /console/NAME its modules and styles,
// GET /favicon.ico its icon, and GET /login.css the login page's stylesheet (LoginPage writes
// the login page itself). Every response carries a strict Content-Security-Policy (scripts, styles and
// connections from the page's own origin only) and an ETag, so reloads revalidate cheaply.
// The handler is safe for concurrent use.
func Handler(cfg Config) http.Handler {
	if cfg.DeadAfter <= 0 {
		cfg.DeadAfter = DefaultDeadAfter
	}
	assets := map[string]*asset{}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		if name == "index.html" {
			body = bytes.ReplaceAll(body, []byte("{{DEAD_AFTER_MS}}"), []byte(strconv.FormatInt(cfg.DeadAfter.Milliseconds(), 10)))
			body = bytes.ReplaceAll(body, []byte("{{LOGIN}}"), []byte(strconv.FormatBool(cfg.Login)))
		}
		sum := sha256.Sum256(body)
		ctype := mime.TypeByExtension(path.Ext(name))
		switch path.Ext(name) { // the system's MIME table may lack these or differ
		case ".js":
			ctype = "text/javascript; charset=utf-8"
		case ".css":
			ctype = "text/css; charset=utf-8"
		case ".html":
			ctype = "text/html; charset=utf-8"
		case ".svg":
			ctype = "image/svg+xml"
		}
		assets[name] = &asset{body: body, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	if err != nil {
		panic("BUG: web: embedded files unreadable: " + err.Error())
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := "index.html"
		if r.URL.Path == loginCSS {
			serveLoginCSS(w, r)
			return
		}
		if r.URL.Path == "/favicon.ico" {
			name = "icon.svg"
		} else if r.URL.Path != "/" {
			var ok bool
			if name, ok = strings.CutPrefix(r.URL.Path, Prefix); !ok || name == "index.html" {
				http.NotFound(w, r)
				return
			}
		}
		a := assets[name]
		if a == nil {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.ctype)
		h.Set("ETag", a.etag)
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; "+
			"img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
	})
}
