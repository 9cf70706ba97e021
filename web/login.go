package web

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// LoginPath is where the console's login page is served (GET) and where its form posts the
// token (POST, handled by the engine); LogoutPath ends the session (POST).
const (
	LoginPath  = "/login"
	LogoutPath = "/logout"
	loginCSS   = "/login.css"
)

var (
	//go:embed login/login.html
	loginHTML string
	//go:embed login/login.css
	loginStyle []byte
	//go:embed static/icon.svg
	iconSVG []byte

	loginTmpl = template.Must(template.New("login").Parse(loginHTML))
	// The icon inline (img-src allows data:), so the login page needs no console file.
	iconURL = template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(iconSVG))
)

// loginCSP is the login page's Content-Security-Policy: no scripts at all, its stylesheet,
// and a form that may post only to this origin.
const loginCSP = "default-src 'none'; style-src 'self'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Public reports whether a request for path is for the login page or its stylesheet, which
// are served to anyone: they hold no data.
func Public(path string) bool { return path == LoginPath || path == loginCSS }

// Console reports whether path is one of the console's own files (the page, its modules and
// styles, its icon). With principals or tokens configured they need a principal (a session
// cookie from the login page, or a token) unless the engine's ConsolePublic is set.
func Console(path string) bool {
	return path == "/" || path == "/favicon.ico" || strings.HasPrefix(path, Prefix)
}

// LoginPage writes the login page with the given status. msg, when not empty, is shown as the
// reason the last login was refused; open says the server needs no login (loopback mode);
// lifetime is how long a session lasts.
func LoginPage(w http.ResponseWriter, status int, msg string, open bool, lifetime time.Duration) {
	var buf bytes.Buffer
	err := loginTmpl.Execute(&buf, struct {
		Icon     template.URL
		Error    string
		Open     bool
		Lifetime string
	}{iconURL, msg, open, lifetimeText(lifetime)})
	if err != nil {
		panic("BUG: web: login template: " + err.Error())
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	// Not no-referrer: under it a browser sends "Origin: null" with a form's POST, which the
	// Origin rule refuses.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", loginCSP)
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// lifetimeText writes a session lifetime for people: "12 hours", "30 minutes".
func lifetimeText(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		if d == time.Hour {
			return "1 hour"
		}
		return strconv.Itoa(int(d/time.Hour)) + " hours"
	case d >= time.Minute && d%time.Minute == 0:
		if d == time.Minute {
			return "1 minute"
		}
		return strconv.Itoa(int(d/time.Minute)) + " minutes"
	}
	return d.String()
}

// serveLoginCSS serves the login page's stylesheet.
func serveLoginCSS(w http.ResponseWriter, r *http.Request) {
	sum := sha256.Sum256(loginStyle)
	h := w.Header()
	h.Set("Content-Type", "text/css; charset=utf-8")
	h.Set("ETag", `"`+hex.EncodeToString(sum[:8])+`"`)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "login.css", time.Time{}, bytes.NewReader(loginStyle))
}
