package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/sluicehq/sluice/engine/store"
)

// exitError ends sluiced with a given exit status; msg, when set, goes to stderr.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// Exit statuses of `sluiced verify`.
const (
	verifyClean   = 0 // nothing found, or only notices (leftovers recovery removes without loss)
	verifyDamaged = 1 // damage found: data lost or unreadable, or a file that stops Open
	verifyFailed  = 2 // the directory could not be checked (missing, in use, unreadable)
)

// runVerify serves `sluiced verify [-data DIR] [-repair] [-v]`: it checks the store offline
// (store.Verify), prints one line per finding and a summary on out, and returns an
// *exitError carrying the exit status.
func runVerify(args []string, out, errOut io.Writer) error {
	fset := flag.NewFlagSet("sluiced verify", flag.ContinueOnError)
	fset.SetOutput(errOut)
	data := fset.String("data", defaultSettings().Data, "data `directory` of the store to check (sluiced must not be running on it)")
	repair := fset.Bool("repair", false, "quarantine damaged blocks and cut torn tails, as start-up would, and also blocks whose bodies rot under a valid index; "+
		"rewrite a damaged copy of tags.log, indexer.uuid, block.key or a WELL file from its good copy; without it nothing on disk changes")
	verbose := fset.Bool("v", false, "also print the recovery log lines")
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &exitError{code: verifyFailed, msg: "verify: " + err.Error()}
	}
	if fset.NArg() > 0 {
		return &exitError{code: verifyFailed, msg: "verify: unexpected argument " + fset.Arg(0) + " (usage: sluiced verify [-data DIR] [-repair] [-v])"}
	}
	opt := store.VerifyOptions{Dir: *data, Repair: *repair}
	if *verbose {
		opt.Logger = slog.New(slog.NewTextHandler(errOut, nil))
	}
	rep, err := store.Verify(opt)
	if err != nil {
		return &exitError{code: verifyFailed, msg: err.Error()}
	}
	for i := range rep.Findings {
		fmt.Fprintln(out, rep.Findings[i].String())
	}
	damage := 0
	for i := range rep.Findings {
		if rep.Findings[i].Damage {
			damage++
		}
	}
	mode := "read-only"
	if *repair {
		mode = "repair"
	}
	fmt.Fprintf(out, "verify (%s) %s: %d wells, %d shards, %d readable blocks, %d entries, %d bytes; %d findings, %d of them damage\n",
		mode, *data, rep.Wells, rep.Shards, rep.Blocks, rep.Entries, rep.Bytes, len(rep.Findings), damage)
	if damage > 0 {
		return &exitError{code: verifyDamaged}
	}
	return nil
}
