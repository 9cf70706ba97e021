package access

import (
	"encoding/json"
	"net/http"
	"strings"
)

// HandlerOptions adjusts Policy.Handler.
type HandlerOptions struct {
	// Public reports whether a request may pass without a credential (it is still held to
	// the Host and Origin rules, and carries its principal when it offers a valid one).
	// nil: no route is public.
	Public func(r *http.Request) bool
	// OnRefuse, when set, is called for every refused request (to log and count it).
	OnRefuse func(r *http.Request, ref *Refusal)
	// Login, when set, returns where a browser navigating to r's page without a credential
	// is sent (303 See Other) instead of being answered 401, or "" for no redirect.
	Login func(r *http.Request) string
}

// Handler wraps h so that every request passes Admit first; the principal is then in the
// request's context (FromContext). Refusals are answered with the Refusal's status and
// {"Error":"..."}; a 401 carries "WWW-Authenticate: Bearer", and also Basic for a browser
// navigating to a page, so that the browser asks for the token.
func (pol *Policy) Handler(h http.Handler, opts HandlerOptions) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ref := pol.Admit(r)
		if ref != nil && ref.Status == http.StatusUnauthorized && opts.Public != nil && opts.Public(r) {
			ref = nil // public: no principal, but Host and Origin held
		}
		if ref != nil {
			if opts.OnRefuse != nil {
				opts.OnRefuse(r, ref)
			}
			if ref.Status == http.StatusUnauthorized && opts.Login != nil && navigating(r) {
				if to := opts.Login(r); to != "" {
					w.Header().Set("Cache-Control", "no-store")
					http.Redirect(w, r, to, http.StatusSeeOther)
					return
				}
			}
			WriteRefusal(w, r, ref)
			return
		}
		if p != nil {
			r = r.WithContext(NewContext(r.Context(), p))
		}
		h.ServeHTTP(w, r)
	})
}

// WriteRefusal answers r with ref: its status and {"Error":"<message>"}.
func WriteRefusal(w http.ResponseWriter, r *http.Request, ref *Refusal) {
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("X-Content-Type-Options", "nosniff")
	if ref.Status == http.StatusUnauthorized {
		hd.Add("WWW-Authenticate", `Bearer realm="sluice"`) // RFC 9110 §15.5.2
		if navigating(r) {
			hd.Add("WWW-Authenticate", `Basic realm="sluice", charset="UTF-8"`) // RFC 7617
		}
	}
	w.WriteHeader(ref.Status)
	b, _ := json.Marshal(struct{ Error string }{ref.Message})
	w.Write(append(b, '\n'))
}

// navigating reports whether r is a browser loading a page (not a script's fetch).
func navigating(r *http.Request) bool {
	if m := r.Header.Get("Sec-Fetch-Mode"); m != "" {
		return m == "navigate"
	}
	return r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html")
}
