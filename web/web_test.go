package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/web"
)

// TestHandler checks what the console handler serves: the page at /, its modules and styles
// with their types, the dead-backend period in the page, ETag revalidation, the CSP, and 404s.
func TestHandler(t *testing.T) {
	h := web.Handler(web.Config{DeadAfter: 1500 * time.Millisecond})
	get := func(path string, hdr ...string) *http.Response {
		t.Helper()
		req := httptest.NewRequest("GET", path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Result()
	}
	body := func(r *http.Response) string {
		t.Helper()
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	f := func(path string, status int, ctype, contains string) *http.Response {
		t.Helper()
		r := get(path)
		if r.StatusCode != status {
			t.Fatalf("GET %s: status %d, want %d", path, r.StatusCode, status)
		}
		if got := r.Header.Get("Content-Type"); ctype != "" && got != ctype {
			t.Errorf("GET %s: Content-Type %q, want %q", path, got, ctype)
		}
		if b := body(r); !strings.Contains(b, contains) {
			t.Errorf("GET %s: body lacks %q", path, contains)
		}
		return r
	}
	page := f("/", 200, "text/html; charset=utf-8", `content="1500"`)
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	f(web.Prefix+"app.js", 200, "text/javascript; charset=utf-8", "import")
	f(web.Prefix+"search.js", 200, "text/javascript; charset=utf-8", "REQ_TS_RANGE")
	f(web.Prefix+"style.css", 200, "text/css; charset=utf-8", "prefers-color-scheme: dark")
	f(web.Prefix+"icon.svg", 200, "image/svg+xml", "<svg")
	f("/login.css", 200, "text/css; charset=utf-8", "prefers-color-scheme: dark")
	f(web.Prefix+"nope.js", 404, "", "")
	f(web.Prefix+"index.html", 404, "", "") // the page lives at / only
	f("/elsewhere", 404, "", "")

	etag := get(web.Prefix + "app.js").Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if r := get(web.Prefix+"app.js", "If-None-Match", etag); r.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation with the ETag: status %d, want 304", r.StatusCode)
	}
	// The zero Config gets the protocol's 30 s.
	w := httptest.NewRecorder()
	web.Handler(web.Config{}).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if !strings.Contains(w.Body.String(), `content="30000"`) {
		t.Error("the zero Config does not give the page a 30 s dead-backend period")
	}
}

// TestLoginPage: the login page posts the token to /login, escapes the message it shows, allows
// no script and a form only to its own origin, and says when no login is needed.
func TestLoginPage(t *testing.T) {
	w := httptest.NewRecorder()
	web.LoginPage(w, http.StatusUnauthorized, `bad <script>alert(1)</script>`, false, 12*time.Hour)
	r := w.Result()
	b, _ := io.ReadAll(r.Body)
	body := string(b)
	if r.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `<form method="post" action="/login"`) ||
		!strings.Contains(body, "bad &lt;script&gt;") || strings.Contains(body, "<script") || !strings.Contains(body, "12 hours") {
		t.Fatalf("login page %d:\n%s", r.StatusCode, body)
	}
	csp := r.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "form-action 'self'") || strings.Contains(csp, "script-src") {
		t.Errorf("CSP %q", csp)
	}
	if rp := r.Header.Get("Referrer-Policy"); rp == "no-referrer" {
		t.Error("no-referrer makes browsers post the form with Origin: null")
	}
	w = httptest.NewRecorder()
	web.LoginPage(w, http.StatusOK, "", true, time.Hour)
	if body := w.Body.String(); strings.Contains(body, "<form") || !strings.Contains(body, "needs no login") {
		t.Errorf("open-mode login page:\n%s", body)
	}
}
