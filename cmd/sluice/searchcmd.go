package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/valyala/fastjson"
	"golang.org/x/term"

	"github.com/sluicehq/sluice/engine/search"
)

// searchFlags are the flags shared by the commands that launch a search.
type searchFlags struct {
	start, end, since, zone string
	loc                     *time.Location
}

// outFlags are the flags of the commands that print results.
type outFlags struct {
	format string
	limit  int
	page   int
	wire   bool
	quiet  bool
}

// Limits of -page.
const (
	defaultPage = 1024
	maxPage     = 100_000
)

func newFlagSet(name, usage string, g *globalFlags) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(g.stderr())
	fs.StringVar(&g.Server, "server", g.Server, "server `URL` (env SLUICE_SERVER)")
	fs.StringVar(&g.Token, "token", g.Token, "auth `token` (env SLUICE_TOKEN)")
	fs.StringVar(&g.Debug, "debug", g.Debug, "write every JSON message sent and received to `FILE`")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), usage)
		fmt.Fprintln(fs.Output(), "\nflags (one or two dashes):")
		fs.PrintDefaults()
	}
	return fs
}

func (sf *searchFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&sf.start, "start", "", "range start (default -24h): now, -2h, -7d, -1w, yesterday, 2026-12-01, RFC 3339 … (sluice help time)")
	fs.StringVar(&sf.end, "end", "now", "range end, as -start")
	fs.StringVar(&sf.since, "since", "", "search the last `DURATION` (2h, 7d, 1w): -start -DURATION -end now")
	fs.StringVar(&sf.zone, "timezone", "Local", "`ZONE` for dates typed and times shown: Local, UTC or an IANA name")
}

func (of *outFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&of.format, "o", "", "output `FORMAT`: table (the default: the renderer's terminal form), ndjson, csv or raw")
	fs.StringVar(&of.format, "format", "", "output `FORMAT`, as -o")
	fs.IntVar(&of.limit, "limit", 0, "print at most `N` results (0: all)")
	fs.IntVar(&of.page, "page", defaultPage, "results per request (1 to 100000)")
	fs.BoolVar(&of.wire, "wire", false, "ndjson: print the protocol's own objects (base64 Data, numeric Tag)")
	fs.BoolVar(&of.quiet, "q", false, "no progress line on stderr")
}

func (of *outFlags) check() error {
	switch {
	case of.page < 1 || of.page > maxPage:
		return usageErr(fmt.Sprintf("-page %d: want 1 to %d results per request", of.page, maxPage))
	case of.limit < 0:
		return usageErr(fmt.Sprintf("-limit %d: want 0 (all) or a positive number of results", of.limit))
	}
	switch of.format {
	case "", fmtTable, fmtNDJSON, fmtCSV, fmtRaw:
	default:
		return usageErr(fmt.Sprintf("unknown -o %q: want table, ndjson, csv or raw", of.format))
	}
	if of.wire && of.format != fmtNDJSON {
		return usageErr("-wire needs -o ndjson")
	}
	return nil
}

// parseArgs parses flags that may come before or after the positional arguments and returns
// exactly want of them (want < 0: any number).
func parseArgs(fs *flag.FlagSet, args []string, want int, what string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageErr(err.Error())
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if want >= 0 && len(pos) != want {
		return nil, usageErr(fmt.Sprintf("%s: want exactly %d %s argument (quote the query); see %s -h", fs.Name(), want, what, fs.Name()))
	}
	return pos, nil
}

// times resolves the time flags (and sf.loc) into the search range.
func (sf *searchFlags) times() (time.Time, time.Time, error) {
	loc, err := loadZone(sf.zone)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	sf.loc = loc
	// NOTE: "now" on a whole second (the next one), so relative ranges start on whole seconds
	// and counts can be answered from the store's per-second block summaries.
	now := time.Now().Truncate(time.Second).Add(time.Second)
	return timeRange(sf.start, sf.end, sf.since, now, loc)
}

// open resolves the time flags and launches query over that range (see openSearch).
func (sf *searchFlags) open(ctx context.Context, g *globalFlags, query string, background bool) (*searchHandle, func(), error) {
	start, end, err := sf.times()
	if err != nil {
		return nil, nil, err
	}
	return openSearch(ctx, g, query, start, end, background)
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// terminalWidth is the width of stdout when it is a terminal, else $COLUMNS, else 80.
func (g *globalFlags) terminalWidth() int {
	if g.Stdout == nil {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil && w > 0 {
			return w
		}
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return 80
}

// progressOn reports whether a progress line may be drawn on stderr.
func (g *globalFlags) progressOn(quiet bool) bool {
	return !quiet && g.Stderr == nil && isTerminal(os.Stderr)
}

// hasWindow reports whether query has an "over" window, so its table gets a TIME column.
func hasWindow(query string) bool {
	q, err := search.Parse(query)
	return err == nil && q.Window > 0
}

const searchUsage = `usage: sluice search [flags] QUERY

Runs QUERY over a time range (default the last 24 hours), waits for it and prints its results
in the renderer's terminal form: text entries as a table (TS, SRC, TAG, DATA), tables as
aligned columns (with a TIME column for "over" windows), charts as sparklines, gauges and number
cards as big numbers, hex and pcap as hex dumps. -o ndjson, csv and raw print the data for
programs. Anything the server says is missing (truncated results, warnings, a failed search) is
printed to stderr and sets the exit code (sluice help exit).

  sluice search 'tag=weblog json status | count by status | table' --since 1h
  sluice search 'tag=syslog syslog Appname==sshd' -o raw --start yesterday --end today
  sluice search 'tag=syslog' --follow            # keep printing new entries (like tail -f)

The query language: sluice help query.`

// runSearch launches QUERY, waits for it, and pages through the results with REQ_GET_ENTRIES.
func runSearch(ctx context.Context, g *globalFlags, args []string) error {
	var sf searchFlags
	var of outFlags
	fs := newFlagSet("search", searchUsage, g)
	sf.add(fs)
	of.add(fs)
	follow := fs.Bool("follow", false, "after the results, keep printing new entries as they are stored (text, raw, hex renderers)")
	fs.BoolVar(follow, "f", false, "short for -follow")
	interval := fs.Duration("follow-interval", time.Second, "how often -follow asks for new entries")
	pos, err := parseArgs(fs, args, 1, "QUERY")
	if err != nil {
		return err
	}
	if err := of.check(); err != nil {
		return err
	}
	start, end, err := sf.times()
	if err != nil {
		return err
	}
	if *follow {
		if *interval <= 0 {
			return usageErr("-follow-interval must be positive")
		}
		return runFollow(ctx, g, pos[0], start, &sf, &of, *interval)
	}
	h, done, err := openSearch(ctx, g, pos[0], start, end, false)
	if err != nil {
		return err
	}
	defer done()
	return printResults(ctx, g, h, &of, sf.loc)
}

// printResults waits for the search behind h, prints its results page by page and returns
// the verdict on their completeness.
func printResults(ctx context.Context, g *globalFlags, h *searchHandle, of *outFlags, loc *time.Location) error {
	o := outOpts{format: of.format, wire: of.wire, loc: loc, width: g.terminalWidth(), timeCol: hasWindow(h.query)}
	if o.format == "" {
		o.format = formatsFor(h.renderer)[0]
	}
	out := bufio.NewWriterSize(g.stdout(), 1<<16)
	w, err := newPageWriter(out, h.renderer, o)
	if err != nil {
		return err
	}
	tty := g.progressOn(of.quiet)
	if err := h.wait(ctx, func(n uint64) {
		if tty {
			fmt.Fprintf(os.Stderr, "\rsearching… %d entries\x1b[K", n)
		}
	}); err != nil {
		return err
	}
	if tty {
		fmt.Fprint(os.Stderr, "\r\x1b[K")
	}
	var first, printed uint64
	for {
		last := first + uint64(of.page)
		if of.limit > 0 {
			last = min(last, uint64(of.limit))
		}
		v, err := h.requestValue(map[string]any{"ID": reqGetEntries, "EntryRange": map[string]any{"First": first, "Last": last}})
		if err != nil {
			return err
		}
		more := v.GetBool("AdditionalEntries")
		n, err := w.page(v)
		if err != nil {
			return err
		}
		printed += uint64(n)
		first += uint64(n)
		if !more || n == 0 || (of.limit > 0 && printed >= uint64(of.limit)) {
			break
		}
		if err := out.Flush(); err != nil {
			return err
		}
	}
	if err := w.finish(); err != nil {
		return err
	}
	if err := out.Flush(); err != nil {
		return err
	}
	if printed == 0 && tty && isEntryRenderer(h.renderer) {
		fmt.Fprintln(os.Stderr, "(no results in the range; -start/-end/-since widen it, sluice tags lists the tags)")
	}
	return h.verdict(printed, isEntryRenderer(h.renderer) && of.limit == 0)
}

const streamUsage = `usage: sluice stream [flags] QUERY

Streams every result of QUERY (REQ_STREAMING) to stdout as NDJSON, one entry or row per line,
as fast as the server sends them: the same objects as sluice search -o ndjson. -wire prints the
protocol's own objects instead (base64 Data, numeric Tag). A progress line is drawn on stderr
when it is a terminal. Missing results are reported as for search (sluice help exit).`

// runStream drains REQ_STREAMING to stdout as NDJSON, one entry (or row) per line.
func runStream(ctx context.Context, g *globalFlags, args []string) error {
	var sf searchFlags
	fs := newFlagSet("stream", streamUsage, g)
	sf.add(fs)
	wireForm := fs.Bool("wire", false, "print the protocol's own objects (base64 Data, numeric Tag)")
	quiet := fs.Bool("q", false, "no progress line on stderr")
	pos, err := parseArgs(fs, args, 1, "QUERY")
	if err != nil {
		return err
	}
	h, done, err := sf.open(ctx, g, pos[0], false)
	if err != nil {
		return err
	}
	defer done()
	out := bufio.NewWriterSize(g.stdout(), 1<<20)
	var w pageWriter
	if *wireForm {
		w = &wireWriter{out: out}
	} else {
		w, err = newPageWriter(out, h.renderer, outOpts{format: fmtNDJSON, loc: sf.loc, timeCol: hasWindow(h.query)})
		if err != nil {
			return err
		}
	}
	if err := h.c.send(h.channel, map[string]any{"ID": reqStreaming}); err != nil {
		return err
	}
	tty := g.progressOn(*quiet)
	began := time.Now()
	var total uint64
	for {
		v, err := h.next(5 * time.Minute)
		if err != nil {
			return err
		}
		if id := v.GetUint("ID"); id != reqStreaming {
			return fmt.Errorf("stream failed: %s", v.GetStringBytes("Error"))
		}
		n, err := w.page(v)
		if err != nil {
			return err
		}
		total += uint64(n)
		if tty {
			el := time.Since(began).Seconds()
			fmt.Fprintf(os.Stderr, "\rstreamed %d results, %.0f results/s\x1b[K", total, float64(total)/max(el, 1e-9))
		}
		if v.GetBool("Finished") {
			break
		}
	}
	if tty {
		fmt.Fprintln(os.Stderr)
	}
	if err := w.finish(); err != nil {
		return err
	}
	if err := out.Flush(); err != nil {
		return err
	}
	if _, err := h.requestValue(map[string]any{"ID": reqEntryCount}); err != nil {
		return err
	}
	return h.verdict(total, isEntryRenderer(h.renderer))
}

// wireWriter prints stream blocks in the protocol's own form: each element of a SearchEntry
// list, or the whole Entries document of other renderers, on its own line.
type wireWriter struct {
	out  *bufio.Writer
	line []byte
}

func (w *wireWriter) page(v *fastjson.Value) (int, error) {
	entries := v.Get("Entries")
	if arr, err := entries.Array(); err == nil {
		for _, e := range arr {
			w.line = append(e.MarshalTo(w.line[:0]), '\n')
			w.out.Write(w.line)
		}
		return len(arr), nil
	}
	if entries != nil && !v.GetBool("Finished") {
		w.line = append(entries.MarshalTo(w.line[:0]), '\n')
		w.out.Write(w.line)
		return int(v.GetUint("EntryCount")), nil
	}
	return 0, nil
}

func (w *wireWriter) finish() error { return nil }

const statsOfUsage = `usage: sluice stats-of [flags] QUERY

Runs QUERY and prints its pipeline statistics (REQ_STATS_GET) in -chunks time chunks: per
chunk and module, entries and bytes in and out and the time spent.`

// runStatsOf prints the pipeline statistics of QUERY in N chunks (REQ_STATS_GET).
func runStatsOf(ctx context.Context, g *globalFlags, args []string) error {
	var sf searchFlags
	fs := newFlagSet("stats-of", statsOfUsage, g)
	sf.add(fs)
	chunks := fs.Int("chunks", 10, "number of time `chunks` (1 to 10000)")
	pos, err := parseArgs(fs, args, 1, "QUERY")
	if err != nil {
		return err
	}
	if *chunks < 1 || *chunks > 10000 {
		return usageErr(fmt.Sprintf("-chunks %d: want 1 to 10000 time chunks", *chunks))
	}
	h, done, err := sf.open(ctx, g, pos[0], false)
	if err != nil {
		return err
	}
	defer done()
	if err := h.wait(ctx, nil); err != nil {
		return err
	}
	data, err := h.request(map[string]any{"ID": reqStatsGet, "Stats": map[string]any{"SetCount": *chunks}})
	if err != nil {
		return err
	}
	var r struct {
		Stats struct {
			Size int
			Set  []struct {
				TS    string
				Stats []struct {
					Name, Args                                       string
					InputCount, OutputCount, InputBytes, OutputBytes uint64
					Duration                                         int64
				}
			}
		}
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return err
	}
	o := outOpts{format: fmtTable, loc: sf.loc}
	tw := tabwriter.NewWriter(g.stdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHUNK START\tMODULE\tIN\tOUT\tIN BYTES\tOUT BYTES\tDURATION")
	for _, set := range r.Stats.Set {
		ts := string(o.tsText(nil, []byte(set.TS)))
		if len(set.Stats) == 0 {
			fmt.Fprintf(tw, "%s\t-\t0\t0\t0\t0\t0s\n", ts)
		}
		for _, m := range set.Stats {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%s\n", ts, strings.ReplaceAll(m.Args, "\t", " "), m.InputCount, m.OutputCount,
				m.InputBytes, m.OutputBytes, time.Duration(m.Duration))
		}
	}
	fmt.Fprintf(tw, "(%d base buckets held)\n", r.Stats.Size)
	if err := tw.Flush(); err != nil {
		return err
	}
	return h.verdict(0, false)
}
