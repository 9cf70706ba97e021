package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/valyala/fastjson"
	"golang.org/x/term"
)

// searchFlags are the flags shared by search, stream and stats-of.
type searchFlags struct {
	start, end string
}

func newSearchFlagSet(name string, g *globalFlags, sf *searchFlags) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&sf.start, "start", "-24h", "range start: RFC 3339, now, or -DURATION")
	fs.StringVar(&sf.end, "end", "now", "range end: RFC 3339, now, or -DURATION")
	fs.StringVar(&g.Server, "server", g.Server, "server `URL`")
	fs.StringVar(&g.Token, "token", g.Token, "auth `token`")
	fs.StringVar(&g.Debug, "debug", g.Debug, "write every JSON message sent and received to `FILE`")
	return fs
}

// parseArgs parses flags that may come before or after the query.
func parseArgs(fs *flag.FlagSet, args []string) (string, error) {
	var query []string
	for {
		if err := fs.Parse(args); err != nil {
			return "", err
		}
		if fs.NArg() == 0 {
			break
		}
		query = append(query, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(query) != 1 {
		return "", errors.New("want exactly one QUERY argument (quote it)")
	}
	return query[0], nil
}

func (sf *searchFlags) times() (time.Time, time.Time, error) {
	now := time.Now()
	start, err := parseWhen(sf.start, now)
	if err != nil {
		return start, start, err
	}
	end, err := parseWhen(sf.end, now)
	return start, end, err
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// runSearch launches QUERY, waits for it, and pages through the results with REQ_GET_ENTRIES.
func runSearch(ctx context.Context, g *globalFlags, args []string) error {
	var sf searchFlags
	fs := newSearchFlagSet("search", g, &sf)
	format := fs.String("format", "table", "output format: table, ndjson or csv")
	limit := fs.Int("limit", 0, "print at most `N` results (0: all)")
	page := fs.Int("page", 1024, "results per REQ_GET_ENTRIES request")
	query, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if *format != "table" && *format != "ndjson" && *format != "csv" {
		return fmt.Errorf("unknown -format %q: want table, ndjson or csv", *format)
	}
	start, end, err := sf.times()
	if err != nil {
		return err
	}
	c, err := openSearch(ctx, g, query, start, end)
	if err != nil {
		return err
	}
	defer c.Close()
	tty := isTerminal(os.Stderr)
	if _, err := c.waitFinished(ctx, func(n uint64) {
		if tty {
			fmt.Fprintf(os.Stderr, "\rsearching… %d entries", n)
		}
	}); err != nil {
		return err
	}
	if tty {
		fmt.Fprint(os.Stderr, "\r\033[K")
	}
	out := bufio.NewWriterSize(os.Stdout, 1<<16)
	defer out.Flush()
	w := newResultWriter(out, *format, c.launch.RenderModule)
	var first uint64
	printed := 0
	for {
		last := first + uint64(*page)
		if *limit > 0 && int(last-first) > *limit-printed {
			last = first + uint64(*limit-printed)
		}
		data, err := c.request(map[string]any{"ID": 16, "EntryRange": map[string]any{"First": first, "Last": last}})
		if err != nil {
			return err
		}
		n, more, err := w.write(data)
		if err != nil {
			return err
		}
		printed += n
		if !more || n == 0 || (*limit > 0 && printed >= *limit) {
			break
		}
		first += uint64(n)
	}
	return w.flush()
}

// runStream drains REQ_STREAMING to stdout as NDJSON, one entry (or row) per line.
func runStream(ctx context.Context, g *globalFlags, args []string) error {
	var sf searchFlags
	fs := newSearchFlagSet("stream", g, &sf)
	query, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	start, end, err := sf.times()
	if err != nil {
		return err
	}
	c, err := openSearch(ctx, g, query, start, end)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.send(c.channel, map[string]any{"ID": 17}); err != nil {
		return err
	}
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer out.Flush()
	tty := isTerminal(os.Stderr)
	began := time.Now()
	var p fastjson.Parser
	var total, bytes int
	var line []byte
	for {
		data, err := c.next(c.channel, 5*time.Minute)
		if err != nil {
			return err
		}
		v, err := p.ParseBytes(data)
		if err != nil {
			return fmt.Errorf("bad streaming block: %w", err)
		}
		if id := v.GetUint("ID"); id != 17 {
			return fmt.Errorf("stream failed: %s", v.GetStringBytes("Error"))
		}
		entries := v.Get("Entries")
		if arr, err := entries.Array(); err == nil {
			for _, e := range arr {
				line = e.MarshalTo(line[:0])
				line = append(line, '\n')
				bytes += len(line)
				out.Write(line)
			}
			total += len(arr)
		} else if entries != nil {
			line = append(entries.MarshalTo(line[:0]), '\n')
			out.Write(line)
		}
		if tty {
			el := time.Since(began).Seconds()
			fmt.Fprintf(os.Stderr, "\rstreamed %d entries, %.1f MB, %.0f entries/s", total, float64(bytes)/1e6, float64(total)/max(el, 1e-9))
		}
		if v.GetBool("Finished") {
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if tty {
		fmt.Fprintln(os.Stderr)
	}
	return nil
}

// runStatsOf prints the pipeline statistics of QUERY in N chunks (REQ_STATS_GET).
func runStatsOf(ctx context.Context, g *globalFlags, args []string) error {
	var sf searchFlags
	fs := newSearchFlagSet("stats-of", g, &sf)
	chunks := fs.Int("chunks", 10, "number of chunks (SetCount)")
	query, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	start, end, err := sf.times()
	if err != nil {
		return err
	}
	c, err := openSearch(ctx, g, query, start, end)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.waitFinished(ctx, nil); err != nil {
		return err
	}
	data, err := c.request(map[string]any{"ID": 2130706435, "Stats": map[string]any{"SetCount": *chunks}})
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
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHUNK START\tMODULE\tIN\tOUT\tIN BYTES\tOUT BYTES\tDURATION")
	for _, set := range r.Stats.Set {
		if len(set.Stats) == 0 {
			fmt.Fprintf(tw, "%s\t-\t0\t0\t0\t0\t0s\n", set.TS)
		}
		for _, m := range set.Stats {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%s\n", set.TS, m.Args, m.InputCount, m.OutputCount,
				m.InputBytes, m.OutputBytes, time.Duration(m.Duration))
		}
	}
	fmt.Fprintf(tw, "(%d base buckets held)\n", r.Stats.Size)
	return tw.Flush()
}

// resultWriter prints pages of any renderer's Entries in table, ndjson or csv form.
type resultWriter struct {
	out      io.Writer
	format   string
	renderer string
	tw       *tabwriter.Writer
	csv      *csv.Writer
	header   bool
}

func newResultWriter(out io.Writer, format, renderer string) *resultWriter {
	w := &resultWriter{out: out, format: format, renderer: renderer}
	switch format {
	case "table":
		w.tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	case "csv":
		w.csv = csv.NewWriter(out)
	}
	return w
}

func (w *resultWriter) row(cells []string) {
	switch w.format {
	case "table":
		fmt.Fprintln(w.tw, strings.Join(cells, "\t"))
	case "csv":
		w.csv.Write(cells)
	}
}

// write prints one page and returns how many results it held and whether more remain.
func (w *resultWriter) write(data []byte) (int, bool, error) {
	var r struct {
		AdditionalEntries bool
		Tags              map[string]uint16
		Entries           json.RawMessage
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return 0, false, err
	}
	switch w.renderer {
	case "table":
		var t struct {
			Columns []string
			Rows    []struct {
				TS  string
				Row []string
			}
		}
		if err := json.Unmarshal(r.Entries, &t); err != nil {
			return 0, false, err
		}
		if !w.header {
			w.header = true
			if w.format != "ndjson" {
				w.row(t.Columns)
			}
		}
		for _, row := range t.Rows {
			if w.format == "ndjson" {
				obj := map[string]string{}
				for i, c := range t.Columns {
					if i < len(row.Row) {
						obj[c] = row.Row[i]
					}
				}
				b, _ := json.Marshal(obj)
				fmt.Fprintf(w.out, "%s\n", b)
			} else {
				w.row(row.Row)
			}
		}
		return len(t.Rows), r.AdditionalEntries, nil
	case "text", "raw", "hex", "pcap":
		var entries []struct {
			TS         string
			SRC        string
			Tag        uint16
			Data       []byte
			Enumerated []struct{ Name, ValueStr string }
		}
		if err := json.Unmarshal(r.Entries, &entries); err != nil {
			return 0, false, err
		}
		names := map[uint16]string{}
		for n, id := range r.Tags {
			names[id] = n
		}
		if !w.header && w.format != "ndjson" {
			w.header = true
			w.row([]string{"TS", "SRC", "TAG", "DATA"})
		}
		for _, e := range entries {
			if w.format == "ndjson" {
				ev := map[string]string{}
				for _, p := range e.Enumerated {
					ev[p.Name] = p.ValueStr
				}
				b, _ := json.Marshal(map[string]any{"TS": e.TS, "SRC": e.SRC, "Tag": names[e.Tag], "Data": string(e.Data), "Enumerated": ev})
				fmt.Fprintf(w.out, "%s\n", b)
				continue
			}
			data := string(e.Data)
			if w.format == "table" {
				data = strconv.Quote(data)
				data = data[1 : len(data)-1]
			}
			w.row([]string{e.TS, e.SRC, names[e.Tag], data})
		}
		return len(entries), r.AdditionalEntries, nil
	default: // chart, gauge, numbercard: one JSON document
		fmt.Fprintf(w.out, "%s\n", r.Entries)
		return 0, false, nil
	}
}

func (w *resultWriter) flush() error {
	if w.tw != nil {
		return w.tw.Flush()
	}
	if w.csv != nil {
		w.csv.Flush()
		return w.csv.Error()
	}
	return nil
}
