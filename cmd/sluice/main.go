// Command sluice is the sluice client: it ingests files, runs searches, streams results and
// watches the stats socket of a sluice (or Gravwell-compatible) server.
//
// Usage:
//
//	sluice [-server URL] [-token TOKEN] [-debug FILE] COMMAND [ARGS]
//
// Commands: ingest, search, stream, stats-of, stats. Run "sluice COMMAND -h" for each.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// globalFlags are the flags every command shares.
type globalFlags struct {
	Server string // base URL, http(s):// or ws(s)://
	Token  string // sent as Authorization: Bearer and as the websocket protocol
	Debug  string // file that receives every JSON message sent and received
	// Stdout receives the search, stream and stats-of results; nil means os.Stdout.
	Stdout io.Writer
}

func (g *globalFlags) stdout() io.Writer {
	if g.Stdout == nil {
		return os.Stdout
	}
	return g.Stdout
}

var commands = map[string]func(context.Context, *globalFlags, []string) error{
	"ingest":   runIngest,
	"stats":    runStats,
	"search":   runSearch,
	"stream":   runStream,
	"stats-of": runStatsOf,
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "sluice:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	g := &globalFlags{}
	fs := flag.NewFlagSet("sluice", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&g.Server, "server", envOr("SLUICE_SERVER", "http://127.0.0.1:8080"), "server `URL`")
	fs.StringVar(&g.Token, "token", os.Getenv("SLUICE_TOKEN"), "auth `token`")
	fs.StringVar(&g.Debug, "debug", "", "write every JSON message sent and received to `FILE`")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sluice [-server URL] [-token TOKEN] [-debug FILE] COMMAND [ARGS]")
		fmt.Fprintln(stderr, "commands: ingest, search, stream, stats-of, stats")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("no command given")
	}
	cmd, ok := commands[fs.Arg(0)]
	if !ok {
		fs.Usage()
		return fmt.Errorf("unknown command %q", fs.Arg(0))
	}
	return cmd(ctx, g, fs.Args()[1:])
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
