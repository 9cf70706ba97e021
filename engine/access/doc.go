// Package access decides who a request is and what it may touch.
//
// A Principal is an identity: a name, a numeric UID, group IDs and an admin flag, as Gravwell
// has them. A Policy holds the configured principals, each known only by the SHA-256 hash of
// its token (the token itself is printed once by `sluiced token add` and never stored), plus
// the legacy clear-text tokens of SLUICE_TOKENS, which authenticate as the anonymous admin.
//
// Policy.Admit is the one check every HTTP route and every websocket upgrade goes through:
//
//  1. Host: the Host header must be a loopback name ("localhost", "*.localhost"), an IP
//     address, or one of AllowedHosts. A DNS-rebinding page reaches the server under its own
//     host name, so this refuses it before anything else is looked at.
//  2. Origin, for state-changing requests (any method but GET, HEAD and OPTIONS, and every
//     websocket upgrade): absent, equal to Host, or one of AllowedOrigins. A web page the local
//     user opens can therefore neither POST to the server nor open its websockets. A request
//     the browser marks as made by another site's page (Sec-Fetch-Site: cross-site or
//     same-site, e.g. an <img> GET, which carries no Origin) needs an allowed Origin too,
//     top-level navigations excepted.
//  3. Credential: a token as any Sec-WebSocket-Protocol value, "Authorization: Bearer",
//     "Authorization: Basic" (the token as password) or "Gravwell-Token"; or, when none is
//     offered, the web console's session cookie (SessionCookie, set by StartSession after a
//     login with a valid token). A state-changing request authenticated by the cookie must
//     carry an Origin, which rule 2 then checks: a browser adds the cookie by itself, so this
//     is what stops another page from using it (CSRF). With no principals and no tokens
//     configured (loopback mode) every request is the Local admin.
//
// Admit returns the Principal, which the caller carries on the request (NewContext /
// FromContext) or on the websocket session. CanSee is Gravwell's search ownership rule, used
// by every route that lists, attaches to, reads or deletes a search.
package access
