// Package version reports the build of the sluice binaries for their --version flags: the
// version set at link time, else the module version, plus the VCS revision and the Go release
// that Go records in every binary.
package version

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Version is set at link time with -ldflags "-X github.com/sluicehq/sluice/cmd/internal/version.Version=v1.2.3".
// When empty, the module version from the build information is used ("(devel)" for a build
// from a checkout).
var Version string

// String returns "NAME VERSION (commit REV[, modified], BUILT, GO)", e.g.
// "sluice (devel) (commit 1a2b3c4d5e6f, 2026-12-03T09:00:00Z, go1.26.0)".
func String(name string) string {
	v := Version
	var rev, at string
	modified := false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	var parts []string
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		c := "commit " + rev
		if modified {
			c += ", modified"
		}
		parts = append(parts, c)
	}
	if at != "" {
		parts = append(parts, at)
	}
	parts = append(parts, runtime.Version())
	return name + " " + v + " (" + strings.Join(parts, ", ") + ")"
}
