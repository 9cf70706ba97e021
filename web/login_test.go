package web_test

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestConsoleLogin: with a token configured the console is behind its login page. Without a
// session / shows the login page and no data; a wrong token is refused with a clear message;
// the right one opens the console, whose sockets and REST calls then work on the session
// cookie alone (the page holds no token, and cannot read the HttpOnly cookie); Log out ends
// the session; and another origin's page cannot log the browser in (a cross-origin POST
// /login is refused).
func TestConsoleLogin(t *testing.T) {
	e := startConsole(t)

	// No session: the console sends the browser to the login page, which shows no data.
	e.do(chromedp.Navigate(e.url + "/#dashboard"))
	e.waitJS("the login page", `location.pathname === '/login' && document.querySelector('#login-form #token')`, 5*time.Second)
	text := eval[string](e, `document.body.innerText`)
	for _, data := range []string{"syslog", "webserver", "netflow", "Dashboard", indexer} {
		if strings.Contains(text, data) {
			t.Errorf("the login page shows %q:\n%s", data, text)
		}
	}
	if eval[bool](e, `!!document.querySelector('#view-dashboard, #view-search, script')`) {
		t.Error("the login page holds the console or a script")
	}
	e.shot("login")

	// A wrong token: refused, with a message that says so; still no session.
	e.do(chromedp.SendKeys(chromedp.CSS("#token"), "not-the-token"), chromedp.Submit(chromedp.CSS("#login-form")))
	e.waitJS("the refusal", `location.pathname === '/login' && document.querySelector('#login-error')`, 5*time.Second)
	if msg := eval[string](e, `document.querySelector('#login-error').textContent`); !strings.Contains(msg, "That token is not valid") {
		t.Errorf("refusal message %q", msg)
	}
	e.shot("login-refused")

	// The right token: the console, whose dashboard fills over the cookie alone.
	e.do(chromedp.SendKeys(chromedp.CSS("#token"), consoleToken), chromedp.Submit(chromedp.CSS("#login-form")))
	e.waitJS("the console", `location.pathname === '/' && document.querySelector('#view-search')`, 10*time.Second)
	e.do(chromedp.Navigate(e.url + "/#dashboard"))
	e.waitJS("both sockets live", `document.querySelector('#pill-stats').dataset.state === 'open' && document.querySelector('#pill-search').dataset.state === 'open'`, 10*time.Second)
	e.waitJS("the dashboard's rows", fmt.Sprintf(`document.querySelector('tr[data-host=%q]')`, indexer), 10*time.Second)
	e.waitJS("the tags from GET /api/tags", `document.querySelector('#tags-line [data-tag="syslog"]')`, 10*time.Second)
	if got := eval[string](e, `(localStorage.getItem('sluice.token') || '') + '|' + document.cookie`); got != "|" {
		t.Errorf("the page can see a credential: %q (want no stored token and an HttpOnly cookie)", got)
	}
	if !eval[bool](e, `!document.querySelector('#logout-btn').hidden`) {
		t.Error("no Log out button behind the login")
	}
	e.shot("console-logged-in")

	// Log out: back to the login page, and the console is closed again.
	e.do(chromedp.Click(chromedp.CSS("#logout-btn")))
	e.waitJS("the login page after logout", `location.pathname === '/login' && document.querySelector('#login-form')`, 5*time.Second)
	e.do(chromedp.Navigate(e.url + "/#search"))
	e.waitJS("the login page for the closed console", `location.pathname === '/login'`, 5*time.Second)

	// Another origin's page posts the login form with a valid token: refused (403), no session.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><form method="post" action="%s/login"><input name="token" value="%s"></form>`+
			`<script>document.forms[0].submit()</script>`, html.EscapeString(e.url), html.EscapeString(consoleToken))
	}))
	defer evil.Close()
	e.do(chromedp.Navigate(evil.URL))
	e.waitJS("the refusal of the cross-origin login", `/origin .* not allowed/.test(document.body.innerText)`, 5*time.Second)
	e.shot("login-cross-origin")
	e.do(chromedp.Navigate(e.url + "/"))
	e.waitJS("still logged out", `location.pathname === '/login'`, 5*time.Second)

	// The browser's own log of the refused login (401) and origin (403) is expected.
	e.mu.Lock()
	for _, m := range e.errs {
		if !strings.Contains(m, "401") && !strings.Contains(m, "403") {
			t.Errorf("page console: %s", m)
		}
	}
	e.errs = nil
	e.mu.Unlock()
}
