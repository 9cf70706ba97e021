// Command sluice-load is a load generator for servers that speak the search and stats websocket
// protocol (sluice, or bench/cmd/baseline-server for comparison). It only talks to loopback
// addresses and every run is bounded in connections and time.
//
// Usage:
//
//	sluice-load idle   [flags]   N idle stats subscribers: server RSS and goroutines per connection, broadcast spread
//	sluice-load stream [flags]   M streaming consumers: entries/s, MB/s, fairness, server CPU per entry
//	sluice-load paged  [flags]   REQ_GET_ENTRIES readers: requests/s, latency percentiles
//	sluice-load mixed  [flags]   idle subscribers while streams run: broadcast rhythm
//
// Run "sluice-load CMD -h" for each command's flags.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/sluicehq/sluice/bench/loadgen"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "sluice-load:", err)
		}
		os.Exit(2)
	}
}

const usage = `usage: sluice-load idle|stream|paged|mixed [flags]  (sluice-load CMD -h for flags)`

// common holds the flags every command shares.
type common struct {
	target  loadgen.Target
	jsonOut bool
	outFile string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.target.Addr, "addr", "127.0.0.1:8080", "server `host:port` (loopback only)")
	fs.IntVar(&c.target.PID, "pid", 0, "server process id (default: the process listening on -addr)")
	fs.StringVar(&c.target.Token, "token", "", "credential to send, if the server wants one")
	fs.IntVar(&c.target.Sources, "sources", 8, "number of 127.0.0.x source addresses")
	fs.StringVar(&c.target.StatsPath, "stats-path", "/api/ws/stats", "stats socket path")
	fs.StringVar(&c.target.SearchPath, "search-path", "/api/ws/search", "search socket path")
	fs.StringVar(&c.target.MetricsPath, "metrics-path", "/metrics", `Prometheus metrics path for go_goroutines ("-" to skip)`)
	fs.BoolVar(&c.jsonOut, "json", false, "print the result as JSON")
	fs.StringVar(&c.outFile, "out", "", "also write the result as JSON to `file`")
}

// searchFlags are the launch parameters of stream, paged and mixed.
type searchFlags struct {
	query      string
	start, end string
	span       time.Duration
}

func (s *searchFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.query, "query", "tag=*", "query to launch")
	fs.StringVar(&s.start, "start", "", "search start, RFC 3339 (default: now - range)")
	fs.StringVar(&s.end, "end", "", "search end, RFC 3339 (default: now)")
	fs.DurationVar(&s.span, "range", 24*time.Hour, "search range when -start/-end are not given")
}

func (s *searchFlags) params() (loadgen.SearchParams, error) {
	p := loadgen.SearchParams{Query: s.query, End: time.Now().UTC()}
	var err error
	if s.end != "" {
		if p.End, err = time.Parse(time.RFC3339Nano, s.end); err != nil {
			return p, fmt.Errorf("-end: %w", err)
		}
	}
	p.Start = p.End.Add(-s.span)
	if s.start != "" {
		if p.Start, err = time.Parse(time.RFC3339Nano, s.start); err != nil {
			return p, fmt.Errorf("-start: %w", err)
		}
	}
	return p, nil
}

// idleFlags are the subscriber flags of idle and mixed.
type idleFlags struct {
	subs string
}

func registerIdle(fs *flag.FlagSet, cfg *loadgen.IdleConfig, f *idleFlags, n int, d time.Duration) {
	fs.IntVar(&cfg.Subscribers, "n", n, fmt.Sprintf("stats subscribers (at most %d)", loadgen.MaxSubscribers))
	fs.DurationVar(&cfg.Duration, "duration", d, fmt.Sprintf("measuring window (at most %v)", loadgen.MaxDuration))
	fs.StringVar(&f.subs, "subs", "ping,idxStats,sysStats,sysDesc", "comma-separated channels to subscribe to")
	fs.StringVar(&cfg.Type, "type", "ping", "broadcast type to time")
	fs.DurationVar(&cfg.Gap, "gap", 0, "arrivals further apart than this are different broadcasts (0: a third of the median period)")
	fs.IntVar(&cfg.DialConcurrency, "dial-concurrency", 64, "connections opened at once")
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fs := flag.NewFlagSet("sluice-load "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	var sf searchFlags
	var result interface{ WriteText(io.Writer) }
	switch args[0] {
	case "idle":
		var cfg loadgen.IdleConfig
		var f idleFlags
		registerIdle(fs, &cfg, &f, 1000, 30*time.Second)
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		cfg.Target, cfg.Subs = c.target, strings.Split(f.subs, ",")
		r, err := loadgen.RunIdle(ctx, cfg)
		if err != nil {
			return err
		}
		result = r
	case "stream":
		var cfg loadgen.StreamConfig
		sf.register(fs)
		fs.IntVar(&cfg.Consumers, "m", 1, fmt.Sprintf("concurrent consumers (at most %d)", loadgen.MaxConsumers))
		fs.IntVar(&cfg.Searches, "searches", 0, "searches shared by the consumers; the rest attach (default: one each)")
		fs.BoolVar(&cfg.NoWait, "nowait", false, "stream while the search runs instead of after it finished")
		fs.DurationVar(&cfg.MinDuration, "min-duration", 0, "repeat the stream until this much time has passed")
		fs.DurationVar(&cfg.Timeout, "duration", 5*time.Minute, fmt.Sprintf("bound on the whole run (at most %v)", loadgen.MaxDuration))
		fs.BoolVar(&cfg.Verify, "verify", false, "parse every block fully and check it")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		p, err := sf.params()
		if err != nil {
			return err
		}
		cfg.Target, cfg.Search = c.target, p
		r, err := loadgen.RunStream(ctx, cfg)
		if err != nil {
			return err
		}
		result = r
	case "paged":
		var cfg loadgen.PagedConfig
		sf.register(fs)
		fs.IntVar(&cfg.Readers, "c", 1, fmt.Sprintf("concurrent readers (at most %d)", loadgen.MaxReaders))
		fs.IntVar(&cfg.PageSize, "page", 1024, "entries per request")
		fs.IntVar(&cfg.Requests, "n", 0, fmt.Sprintf("total requests, 0 for -duration (at most %d)", loadgen.MaxRequests))
		fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, fmt.Sprintf("run time (at most %v)", loadgen.MaxDuration))
		fs.BoolVar(&cfg.Verify, "verify", false, "parse every reply fully and check it")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		p, err := sf.params()
		if err != nil {
			return err
		}
		cfg.Target, cfg.Search = c.target, p
		r, err := loadgen.RunPaged(ctx, cfg)
		if err != nil {
			return err
		}
		result = r
	case "mixed":
		var cfg loadgen.MixedConfig
		var f idleFlags
		registerIdle(fs, &cfg.IdleConfig, &f, 10000, 30*time.Second)
		sf.register(fs)
		fs.IntVar(&cfg.Consumers, "m", 1, "concurrent streaming consumers")
		fs.IntVar(&cfg.Searches, "searches", 0, "searches shared by the consumers")
		fs.DurationVar(&cfg.Quiet, "quiet", 10*time.Second, "window measured before the streams start")
		fs.BoolVar(&cfg.Verify, "verify", false, "parse every block fully and check it")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		p, err := sf.params()
		if err != nil {
			return err
		}
		cfg.Target, cfg.Subs, cfg.Search = c.target, strings.Split(f.subs, ","), p
		r, err := loadgen.RunMixed(ctx, cfg)
		if err != nil {
			return err
		}
		result = r
	default:
		return fmt.Errorf("unknown command %q; %s", args[0], usage)
	}
	if c.outFile != "" {
		b, err := json.MarshalIndent(result, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(c.outFile, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if c.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(result)
	}
	result.WriteText(stdout)
	return nil
}
