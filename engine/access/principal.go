package access

import (
	"context"
	"net"
	"slices"
)

// Principal is an authenticated identity. Values returned by a Policy are shared and must
// not be modified.
type Principal struct {
	// Name identifies the principal in logs and metrics; it is never a token.
	Name string
	// UID is the numeric user ID that owns the principal's searches (SearchInfo.UID).
	// Configured principals have UIDs of 1 or more; Local and Anonymous have 0.
	UID int32
	// GIDs are the groups the principal belongs to: it sees searches shared with any of them,
	// and may share its own searches only with them.
	GIDs []int32
	// Admin principals see and touch every search.
	Admin bool
}

// Local is the principal of every request when no principals and no tokens are configured:
// the server then listens on loopback only and its one user is the admin.
var Local = &Principal{Name: "local", Admin: true}

// Anonymous is the principal of the legacy tokens (Config.Tokens, SLUICE_TOKENS): an admin
// without a name of its own.
var Anonymous = &Principal{Name: "anonymous", Admin: true}

// CanSee is Gravwell's ownership rule: p may list, attach to, read or delete a search owned by
// UID owner and shared with gids (or with everyone when global) if p is an admin, the owner,
// the search is global, or p belongs to one of gids. A nil p sees nothing. Callers answer a
// search p cannot see exactly as a search that does not exist.
func CanSee(p *Principal, owner int32, gids []int32, global bool) bool {
	switch {
	case p == nil:
		return false
	case p.Admin, global, p.UID == owner:
		return true
	}
	for _, g := range gids {
		if p.InGroup(g) {
			return true
		}
	}
	return false
}

// CanSee is the method form of the package function CanSee.
func (p *Principal) CanSee(owner int32, gids []int32, global bool) bool {
	return CanSee(p, owner, gids, global)
}

// InGroup reports whether p belongs to group gid.
func (p *Principal) InGroup(gid int32) bool { return p != nil && slices.Contains(p.GIDs, gid) }

// CanShare returns the first of gids that p may not share a search with (a group it does
// not belong to) and false; or 0 and true when it may share with all of them. Admins may
// share with any group.
func (p *Principal) CanShare(gids []int32) (int32, bool) {
	if p != nil && p.Admin {
		return 0, true
	}
	for _, g := range gids {
		if !p.InGroup(g) {
			return g, false
		}
	}
	return 0, true
}

type ctxKey struct{}

// NewContext returns a copy of ctx carrying p.
func NewContext(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal that Policy.Handler (or NewContext) put in ctx, or nil.
// Every request served behind Policy.Handler carries one.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}

// LimitKey names whose per-principal limits (searches, connections, ingest bytes) a request
// counts against: the principal's name for a configured principal; for Local and Anonymous,
// which many clients share, "addr " and the remote IP address (of remoteAddr, "ip:port").
func LimitKey(p *Principal, remoteAddr string) string {
	if p != nil && p != Local && p != Anonymous {
		return p.Name
	}
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	return "addr " + host
}
