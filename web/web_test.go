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
