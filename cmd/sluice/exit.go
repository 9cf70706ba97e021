package main

import (
	"errors"
	"flag"
	"strings"
)

// Exit codes of sluice. They are documented in "sluice help exit" and README.md; scripts may
// rely on them.
const (
	exitOK        = 0 // everything asked for was printed
	exitError     = 1 // the command failed: cannot connect, the query does not parse, the server refused
	exitUsage     = 2 // bad flags or arguments
	exitTruncated = 3 // results incomplete: the server's render store limit dropped some (OverLimit)
	exitWarning   = 4 // the server attached a warning to the results (e.g. damaged data was skipped)
	exitFailed    = 5 // the search failed on the server while running; what was printed is partial
	exitAuth      = 6 // the server refused the credentials (set -token or SLUICE_TOKEN)
	exitInterrupt = 130
)

// exitCodes documents the exit codes, in order, for "sluice help exit" and the README.
var exitCodes = []struct {
	code int
	what string
}{
	{exitOK, "success: everything the command was asked for was printed"},
	{exitError, "the command failed (cannot connect, the query does not parse, the server refused it)"},
	{exitUsage, "bad flags or arguments"},
	{exitTruncated, "results truncated: the server's render store limit (render_store_limit_mb) dropped part of them"},
	{exitWarning, "the server attached a warning to the results (for example damaged data that was skipped)"},
	{exitFailed, "the search failed on the server while running: what was printed is partial"},
	{exitAuth, "the server refused the credentials: set -token or SLUICE_TOKEN"},
	{exitInterrupt, "interrupted (Ctrl-C)"},
}

// codeError is an error that carries the process exit code.
type codeError struct {
	code int
	msg  string
}

func (e *codeError) Error() string { return e.msg }

// usageErr returns an error that exits with exitUsage.
func usageErr(msg string) error { return &codeError{code: exitUsage, msg: msg} }

// incompleteError reports what was wrong with results that were printed: each problem is one
// line on stderr, and the exit code is the most serious one (failed, then truncated, then
// warning).
type incompleteError struct {
	code     int
	problems []string
}

func (e *incompleteError) Error() string { return strings.Join(e.problems, "\nsluice: ") }

// exitCode maps an error returned by a command to the process exit code.
func exitCode(err error) int {
	var ce *codeError
	var ie *incompleteError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ie):
		return ie.code
	case errors.As(err, &ce):
		return ce.code
	case errors.Is(err, errInterrupted):
		return exitInterrupt
	}
	return exitError
}

// errInterrupted is returned when the user interrupts a command.
var errInterrupted = errors.New("interrupted")
