package main

import (
	"bufio"
	"context"
	"encoding/base64"
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

	"github.com/sluicehq/sluice/wire"
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
	out := bufio.NewWriterSize(g.stdout(), 1<<16)
	defer out.Flush()
	w := newResultWriter(out, *format, c.launch.RenderModule)
	var first uint64
	printed := 0
	for {
		last := first + uint64(*page)
		if *limit > 0 && int(last-first) > *limit-printed {
			last = first + uint64(*limit-printed)
		}
		v, err := c.requestValue(map[string]any{"ID": 16, "EntryRange": map[string]any{"First": first, "Last": last}})
		if err != nil {
			return err
		}
		n, more, err := w.write(v)
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
	out := bufio.NewWriterSize(g.stdout(), 1<<20)
	defer out.Flush()
	tty := isTerminal(os.Stderr)
	began := time.Now()
	var total, bytes int
	var line []byte
	for {
		v, err := c.nextValue(c.channel, 5*time.Minute)
		if err != nil {
			return err
		}
		if id := v.GetUint("ID"); id != 17 {
			return fmt.Errorf("stream failed: %s", v.GetStringBytes("Error"))
		}
		entries := v.Get("Entries")
		if arr, err := entries.Array(); err == nil {
			for _, e := range arr {
				line = append(e.MarshalTo(line[:0]), '\n')
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
	tw := tabwriter.NewWriter(g.stdout(), 0, 4, 2, ' ', 0)
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
	columns  []string       // table columns
	cells    []string       // scratch: one row
	tags     map[int]string // tag number → name
	data     []byte         // scratch: decoded entry data
	line     []byte         // scratch: one output line
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
func (w *resultWriter) write(v *fastjson.Value) (int, bool, error) {
	more := v.GetBool("AdditionalEntries")
	entries := v.Get("Entries")
	switch w.renderer {
	case "table":
		if !w.header {
			w.header = true
			for _, c := range entries.GetArray("Columns") {
				w.columns = append(w.columns, string(c.GetStringBytes()))
			}
			if w.format != "ndjson" {
				w.row(w.columns)
			}
		}
		rows := entries.GetArray("Rows")
		for _, row := range rows {
			w.cells = w.cells[:0]
			for _, c := range row.GetArray("Row") {
				w.cells = append(w.cells, string(c.GetStringBytes()))
			}
			if w.format == "ndjson" {
				w.line = append(w.line[:0], '{')
				for i, c := range w.columns {
					if i > 0 {
						w.line = append(w.line, ',')
					}
					w.line = wire.AppendString(w.line, c)
					w.line = append(w.line, ':')
					cell := ""
					if i < len(w.cells) {
						cell = w.cells[i]
					}
					w.line = wire.AppendString(w.line, cell)
				}
				w.line = append(w.line, '}', '\n')
				w.out.Write(w.line)
			} else {
				w.row(w.cells)
			}
		}
		return len(rows), more, nil
	case "text", "raw", "hex", "pcap":
		if w.tags == nil {
			w.tags = map[int]string{}
			v.Get("Tags").GetObject().Visit(func(k []byte, n *fastjson.Value) { w.tags[n.GetInt()] = string(k) })
		}
		if !w.header && w.format != "ndjson" {
			w.header = true
			w.row([]string{"TS", "SRC", "TAG", "DATA"})
		}
		arr := entries.GetArray()
		for _, e := range arr {
			var err error
			w.data, err = base64.StdEncoding.AppendDecode(w.data[:0], e.GetStringBytes("Data"))
			if err != nil {
				return 0, false, fmt.Errorf("entry Data is not base64: %w", err)
			}
			ts, src, tag := e.GetStringBytes("TS"), e.GetStringBytes("SRC"), w.tags[e.GetInt("Tag")]
			if w.format != "ndjson" {
				data := string(w.data)
				if w.format == "table" {
					q := strconv.Quote(data)
					data = q[1 : len(q)-1]
				}
				w.row([]string{string(ts), string(src), tag, data})
				continue
			}
			w.line = append(w.line[:0], `{"TS":`...)
			w.line = wire.AppendString(w.line, ts)
			w.line = append(w.line, `,"SRC":`...)
			w.line = wire.AppendString(w.line, src)
			w.line = append(w.line, `,"Tag":`...)
			w.line = wire.AppendString(w.line, tag)
			w.line = append(w.line, `,"Data":`...)
			w.line = wire.AppendString(w.line, w.data)
			w.line = append(w.line, `,"Enumerated":{`...)
			for i, ev := range e.GetArray("Enumerated") {
				if i > 0 {
					w.line = append(w.line, ',')
				}
				w.line = wire.AppendString(w.line, ev.GetStringBytes("Name"))
				w.line = append(w.line, ':')
				w.line = wire.AppendString(w.line, ev.GetStringBytes("ValueStr"))
			}
			w.line = append(w.line, '}', '}', '\n')
			w.out.Write(w.line)
		}
		return len(arr), more, nil
	default: // chart, gauge, numbercard: one JSON document
		w.line = append(entries.MarshalTo(w.line[:0]), '\n')
		w.out.Write(w.line)
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
