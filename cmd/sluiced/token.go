package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/sluicehq/sluice/engine/access"
)

// defaultConfigFile is where `sluiced token add` writes when -config is not given.
const defaultConfigFile = "sluiced.json"

// runToken serves `sluiced token add NAME [-admin] [-gid N]... [-uid N] [-config FILE]`: it adds
// a principal with a fresh token to the config file, storing only the token's hash, and prints
// the token once on out (a line of its own, for scripts); what was done goes to stderr.
func runToken(args []string, out io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New("usage: sluiced token add NAME [-admin] [-gid N]... [-uid N] [-config FILE]")
	}
	args = args[1:]
	fset := flag.NewFlagSet("sluiced token add", flag.ContinueOnError)
	admin := fset.Bool("admin", false, "the principal sees and touches every search")
	uid := fset.Int("uid", 0, "numeric user ID (default: one more than the highest in the file)")
	file := fset.String("config", defaultConfigFile, "JSON config `file` to add the principal to (created if missing)")
	var gids []int32
	fset.Func("gid", "a group `N` the principal belongs to (repeatable)", func(v string) error {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return fmt.Errorf("not a group number: %w", err)
		}
		gids = append(gids, int32(n))
		return nil
	})
	// NAME may come before or after the flags.
	var name string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	if err := fset.Parse(args); err != nil {
		return err
	}
	if name == "" && fset.NArg() > 0 {
		name = fset.Arg(0)
		if err := fset.Parse(fset.Args()[1:]); err != nil {
			return err
		}
	}
	if name == "" || fset.NArg() > 0 {
		return errors.New("usage: sluiced token add NAME [-admin] [-gid N]... [-uid N] [-config FILE]")
	}
	if *uid < 0 || *uid > 1<<31-1 {
		return fmt.Errorf("-uid %d out of range", *uid)
	}

	raw := map[string]json.RawMessage{}
	b, err := os.ReadFile(*file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("cannot read config: %w", err)
	default:
		if err := json.Unmarshal(b, &raw); err != nil {
			return fmt.Errorf("cannot parse config %s: %w", *file, err)
		}
	}
	var ps []access.PrincipalConfig
	if r, ok := raw["principals"]; ok {
		if err := json.Unmarshal(r, &ps); err != nil {
			return fmt.Errorf("cannot parse config %s: principals: %w", *file, err)
		}
	}
	next := int32(0)
	for _, p := range ps {
		if p.Name == name {
			return fmt.Errorf("principal %q already exists in %s", name, *file)
		}
		next = max(next, p.UID)
	}
	if *uid == 0 {
		*uid = int(next) + 1
	}
	token, err := access.NewToken()
	if err != nil {
		return err
	}
	ps = append(ps, access.PrincipalConfig{Name: name, UID: int32(*uid), GIDs: gids, Admin: *admin, TokenHash: access.HashToken(token)})
	// The whole configuration must still load: names, UIDs and hashes are checked here, not
	// at the next start.
	if _, err := access.NewPolicy(access.Config{Principals: ps}); err != nil {
		return err
	}
	if raw["principals"], err = json.Marshal(ps); err != nil {
		return err
	}
	enc, err := json.MarshalIndent(raw, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(*file, append(enc, '\n')); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "sluiced: principal %q (uid %d, gids %v, admin %v) added to %s; its token, shown only now:\n",
		name, *uid, gids, *admin, *file)
	_, err = fmt.Fprintln(out, token)
	return err
}

// writeFileAtomic replaces file with b (mode 0600: it names principals) through a temporary
// file and a rename, so a crash leaves the old or the new config, never half of one.
func writeFileAtomic(file string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), ".sluiced-config-*")
	if err != nil {
		return fmt.Errorf("cannot write config: %w", err)
	}
	_, err = io.Copy(tmp, bytes.NewReader(b))
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), file)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("cannot write config %s: %w", file, err)
	}
	return nil
}
