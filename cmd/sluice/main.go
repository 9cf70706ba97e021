// Command sluice is the sluice client: it ingests files, runs searches (printing, streaming,
// following, attaching to and backgrounding them), lists tags and live searches, and watches the
// stats socket of a sluice (or Gravwell-compatible) server.
//
// Usage:
//
//	sluice [-server URL] [-token TOKEN] [-debug FILE] COMMAND [FLAGS] [ARGS]
//
// Run "sluice help" for the commands, "sluice help query" for the query language and
// "sluice help exit" for the exit codes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/sluicehq/sluice/cmd/internal/version"
)

// globalFlags are the flags every command shares, and the outside world of a run.
type globalFlags struct {
	Server string // base URL, http(s):// or ws(s)://
	Token  string // sent as Authorization: Bearer and as the websocket protocol
	Debug  string // file that receives every JSON message sent and received
	// Stdout receives the results; nil means os.Stdout.
	Stdout io.Writer
	// Stderr receives usage, help and progress; nil means os.Stderr (and progress lines are
	// drawn only then, on a terminal).
	Stderr io.Writer
}

func (g *globalFlags) stdout() io.Writer {
	if g.Stdout == nil {
		return os.Stdout
	}
	return g.Stdout
}

func (g *globalFlags) stderr() io.Writer {
	if g.Stderr == nil {
		return os.Stderr
	}
	return g.Stderr
}

// command is one sluice command.
type command struct {
	name    string
	args    string // positional arguments, for the overview
	summary string
	run     func(context.Context, *globalFlags, []string) error
}

// commands lists the commands in the order "sluice help" shows them.
var commands []command

func init() {
	commands = []command{
		{"search", "QUERY", "run a query and print its results (-o table|ndjson|csv|raw, -follow)", runSearch},
		{"stream", "QUERY", "stream every result of a query as NDJSON", runStream},
		{"attach", "ID", "print the results of a live search (sluice searches lists them)", runAttach},
		{"background", "QUERY", "launch a search that keeps running after sluice exits; prints its ID", runBackground},
		{"searches", "", "list the live searches on the server", runSearches},
		{"delete", "ID", "delete a live search", runDelete},
		{"tags", "", "list the tags that hold entries, with their counts", runTags},
		{"stats-of", "QUERY", "print a query's pipeline statistics per time chunk", runStatsOf},
		{"ingest", "FILE...", "store log files (or - for stdin) under a tag", runIngest},
		{"stats", "", "live table of the server's hosts from the stats socket", runStats},
		{"completion", "bash|zsh", "print a shell completion script", runCompletion},
		{"help", "[TOPIC]", "this overview; help query, help MODULE, help time, help exit, help COMMAND", runHelp},
		{"version", "", "print the version of sluice", runVersion},
	}
}

func findCommand(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], &globalFlags{})
	if err != nil && ctx.Err() != nil && exitCode(err) == exitError {
		err = errInterrupted
	}
	stop()
	os.Exit(report(err, os.Stderr))
}

// report prints err (unless it is a request for help) and returns the exit code.
func report(err error, stderr io.Writer) int {
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stderr, "sluice:", err)
	}
	return exitCode(err)
}

// run parses the global flags and runs the command named in args.
func run(ctx context.Context, args []string, g *globalFlags) error {
	fs := flag.NewFlagSet("sluice", flag.ContinueOnError)
	fs.SetOutput(g.stderr())
	fs.StringVar(&g.Server, "server", envOr("SLUICE_SERVER", "http://127.0.0.1:8080"), "server `URL` (env SLUICE_SERVER)")
	fs.StringVar(&g.Token, "token", os.Getenv("SLUICE_TOKEN"), "auth `token` (env SLUICE_TOKEN)")
	fs.StringVar(&g.Debug, "debug", "", "write every JSON message sent and received to `FILE`")
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() { overview(fs.Output()) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageErr(err.Error())
	}
	if *showVersion {
		return runVersion(ctx, g, nil)
	}
	if fs.NArg() == 0 {
		overview(g.stderr())
		return usageErr("no command given")
	}
	cmd, ok := findCommand(fs.Arg(0))
	if !ok {
		return usageErr(fmt.Sprintf("unknown command %q; sluice help lists them%s", fs.Arg(0), suggest(fs.Arg(0))))
	}
	return cmd.run(ctx, g, fs.Args()[1:])
}

// suggest returns ", did you mean X?" for a mistyped command, or "".
func suggest(name string) string {
	for _, c := range commands {
		if strings.HasPrefix(c.name, name) || strings.HasPrefix(name, c.name) {
			return "; did you mean " + c.name + "?"
		}
	}
	return ""
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// overview prints "sluice help".
func overview(w io.Writer) {
	fmt.Fprint(w, `sluice: search, follow and ingest logs on a sluice (Gravwell-compatible) server

usage: sluice [-server URL] [-token TOKEN] [-debug FILE] COMMAND [FLAGS] [ARGS]

commands:
`)
	width := 0
	for _, c := range commands {
		width = max(width, len(c.name)+1+len(c.args))
	}
	for _, c := range commands {
		u := c.name
		if c.args != "" {
			u += " " + c.args
		}
		fmt.Fprintf(w, "  %-*s  %s\n", width, u, c.summary)
	}
	fmt.Fprint(w, `
help:
  sluice help query       the query language: modules, filters, renderers, with examples
  sluice help MODULE      one module or renderer, e.g. sluice help count, sluice help chart
  sluice help time        what -start, -end and -since accept
  sluice help exit        exit codes (results truncated, warnings, failed searches)
  sluice COMMAND -h       a command's flags

global flags (also accepted after the command):
  -server URL    server to talk to (env SLUICE_SERVER; default http://127.0.0.1:8080)
  -token TOKEN   auth token (env SLUICE_TOKEN), sent as Authorization: Bearer
  -debug FILE    write every message sent and received to FILE
  -version       print the version
`)
}

// runVersion prints the version of sluice.
func runVersion(_ context.Context, g *globalFlags, args []string) error {
	if len(args) > 0 {
		if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
			fmt.Fprintln(g.stderr(), "usage: sluice version (or sluice --version)")
			return flag.ErrHelp
		}
		return usageErr("version takes no arguments")
	}
	_, err := fmt.Fprintln(g.stdout(), version.String("sluice"))
	return err
}

// commandNames returns the command names, sorted.
func commandNames() []string {
	names := make([]string, 0, len(commands))
	for _, c := range commands {
		names = append(names, c.name)
	}
	sort.Strings(names)
	return names
}
