package engine

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// requireToken guards the REST routes with the same tokens as the websockets: with tokens
// configured a request must carry one as "Authorization: Bearer" or "Gravwell-Token"; with none
// configured the server listens on loopback only (CheckListen) and the routes are open.
func requireToken(tokens []string, h http.Handler) http.Handler {
	if len(tokens) == 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cred := r.Header.Get("Gravwell-Token")
		if a := r.Header.Get("Authorization"); cred == "" && len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
			cred = strings.TrimSpace(a[7:])
		}
		for _, t := range tokens {
			if cred != "" && subtle.ConstantTimeCompare([]byte(cred), []byte(t)) == 1 {
				h.ServeHTTP(w, r)
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("WWW-Authenticate", `Bearer realm="sluice"`) // RFC 9110 §15.5.2
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"Error":"missing or invalid token: send Authorization: Bearer TOKEN or Gravwell-Token"}` + "\n"))
	})
}
