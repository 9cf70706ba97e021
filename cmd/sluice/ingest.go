package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sluicehq/sluice/ingest"
	"github.com/sluicehq/sluice/wire"
)

const (
	defaultIngestBatch = 4 << 20 // entry bytes per request
	maxBatchEntries    = 100_000 // entries per request, well under the server's MaxEntries
	arrivalRefresh     = 256     // lines between clock reads for the arrival-time fallback
)

const ingestUsage = `usage: sluice ingest -tag TAG [-src IP] [-batch BYTES] [-max-entry-size BYTES] [-q] FILE... (- for stdin)

Reads newline-delimited files, finds each line's timestamp (RFC 3339, RFC 5424/3164 syslog,
Apache/nginx access logs, epoch time at the line start or in JSON "ts"/"time"/"timestamp"
fields), falling back to the time the line was read, and stores the lines on the server under
TAG. Empty lines are skipped and a trailing \r is removed.

The lines travel as JSON entries (POST /api/ingest, Content-Type application/json) carrying the
timestamps found here, in batches of about -batch bytes; each batch is stored all-or-nothing.
A progress bar is drawn on a terminal.
`

// ingestCmd is one run of "sluice ingest"; its fields other than the flags are the outside
// world, replaced in tests.
type ingestCmd struct {
	tag, src   string
	batchBytes int
	maxEntry   int
	quiet      bool

	stdin          io.Reader
	stdout, stderr io.Writer
	tty            bool // draw the progress bar on stderr
	client         *http.Client
}

// runIngest implements "sluice ingest".
func runIngest(ctx context.Context, g *globalFlags, args []string) error {
	c := &ingestCmd{
		stdin: os.Stdin, stdout: g.stdout(), stderr: g.stderr(),
		tty: g.Stderr == nil && isTerminal(os.Stderr), client: http.DefaultClient,
	}
	return c.run(ctx, g, args)
}

func (c *ingestCmd) run(ctx context.Context, g *globalFlags, args []string) error {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.StringVar(&c.tag, "tag", "", "store the lines under `TAG` (required)")
	fs.StringVar(&c.src, "src", "", "source `IP` of the entries (default: the address the server sees)")
	fs.IntVar(&c.batchBytes, "batch", defaultIngestBatch, "entry `BYTES` per request")
	fs.IntVar(&c.maxEntry, "max-entry-size", ingest.DefaultMaxEntrySize, "refuse lines longer than `BYTES` (the server has its own limit)")
	fs.BoolVar(&c.quiet, "q", false, "no progress bar")
	fs.StringVar(&g.Server, "server", g.Server, "server `URL`")
	fs.StringVar(&g.Token, "token", g.Token, "auth `token`")
	fs.StringVar(&g.Debug, "debug", g.Debug, "log every request and reply to `FILE`")
	fs.Usage = func() {
		fmt.Fprint(c.stderr, ingestUsage)
		fs.PrintDefaults()
	}
	files, err := parseFileArgs(fs, args)
	if err != nil {
		return err
	}
	switch {
	case c.tag == "":
		fs.Usage()
		return errors.New("ingest: -tag is required")
	case len(files) == 0:
		fs.Usage()
		return errors.New("ingest: no FILE given (use - for stdin)")
	case c.batchBytes <= 0 || c.maxEntry <= 0:
		return errors.New("ingest: -batch and -max-entry-size must be positive")
	}
	if c.src != "" {
		if _, err := netip.ParseAddr(c.src); err != nil {
			return fmt.Errorf("ingest: -src %q is not an IP address", c.src)
		}
	}
	target, err := ingestURL(g.Server, c.tag, c.src)
	if err != nil {
		return err
	}
	inputs, total, err := c.openInputs(files)
	if err != nil {
		return err
	}
	defer func() {
		for _, in := range inputs {
			in.close()
		}
	}()
	var debug *os.File
	if g.Debug != "" {
		if debug, err = os.OpenFile(g.Debug, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		defer debug.Close()
	}

	start := time.Now()
	prog := newProgress(total, start)
	var stopBar func()
	if c.tty && !c.quiet {
		stopBar = prog.draw(c.stderr, 200*time.Millisecond)
	}
	s := &ingestSender{client: c.client, url: target, token: g.Token, debug: debug, prog: prog}
	err = c.pump(ctx, inputs, s)
	if stopBar != nil {
		stopBar()
	}
	entries, data := prog.entries.Load(), prog.data.Load()
	elapsed := time.Since(start)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("ingest: interrupted after storing %d entries (%s); the batch in flight may or may not be stored", entries, fmtSize(data))
		}
		if entries > 0 {
			return fmt.Errorf("%w (%d entries stored before it)", err, entries)
		}
		return err
	}
	fmt.Fprintf(c.stdout, "stored %d entries (%s) in %s\n", entries, fmtSize(data), fmtSeconds(elapsed))
	return nil
}

// parseFileArgs parses flags that may come before, between or after the files. "-" is a file
// (stdin) and everything after "--" is a file.
func parseFileArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return files, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(files, rest...), nil
		}
		files = append(files, rest[0])
		args = rest[1:]
	}
}

// ingestURL builds the endpoint URL from the -server URL: http(s) as given, ws(s) mapped to
// http(s), a bare host:port taken as http; a path in the URL is kept as a prefix.
func ingestURL(server, tag, src string) (string, error) {
	if !strings.Contains(server, "://") {
		server = "http://" + server
	}
	u, err := url.Parse(server)
	if err != nil {
		return "", fmt.Errorf("ingest: bad -server %q: %w", server, err)
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "http"
	case "https", "wss":
		u.Scheme = "https"
	default:
		return "", fmt.Errorf("ingest: bad -server %q: scheme must be http, https, ws or wss", server)
	}
	if u.Host == "" {
		return "", fmt.Errorf("ingest: bad -server %q: no host", server)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/api/ingest"
	u.RawPath = ""
	q := url.Values{"tag": {tag}}
	if src != "" {
		q.Set("src", src)
	}
	u.RawQuery = q.Encode()
	u.Fragment = ""
	return u.String(), nil
}

// input is one file (or stdin) to ingest.
type input struct {
	name  string
	r     io.Reader
	close func()
}

// openInputs opens every file up front, so a typo fails before anything is sent, and sums
// their sizes; total is -1 when a size is unknown (a pipe, a terminal).
func (c *ingestCmd) openInputs(files []string) (inputs []input, total int64, err error) {
	closeAll := func() {
		for _, in := range inputs {
			in.close()
		}
	}
	stdinUsed := false
	for _, name := range files {
		if name == "-" {
			if stdinUsed {
				closeAll()
				return nil, 0, errors.New("ingest: - (stdin) given twice")
			}
			stdinUsed = true
			size := int64(-1)
			if f, ok := c.stdin.(*os.File); ok {
				if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
					if off, err := f.Seek(0, io.SeekCurrent); err == nil {
						size = st.Size() - off
					}
				}
			}
			total = addSize(total, size)
			inputs = append(inputs, input{name: "stdin", r: c.stdin, close: func() {}})
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			closeAll()
			return nil, 0, fmt.Errorf("ingest: %w", err)
		}
		size := int64(-1)
		if st, err := f.Stat(); err == nil {
			if st.IsDir() {
				f.Close()
				closeAll()
				return nil, 0, fmt.Errorf("ingest: %s is a directory", name)
			}
			if st.Mode().IsRegular() {
				size = st.Size()
			}
		}
		total = addSize(total, size)
		inputs = append(inputs, input{name: name, r: f, close: func() { f.Close() }})
	}
	return inputs, total, nil
}

func addSize(total, size int64) int64 {
	if total < 0 || size < 0 {
		return -1
	}
	return total + size
}

// batch is one request body: a JSON array of entries, and where each entry came from.
type batch struct {
	body    []byte
	entries int
	data    int64     // entry bytes
	input   int64     // input bytes consumed, line endings and empty lines included
	from    []lineRef // per entry
}

type lineRef struct {
	name string
	line int
}

func (b *batch) reset() {
	b.body = append(b.body[:0], '[')
	b.entries, b.data, b.input = 0, 0, 0
	b.from = b.from[:0]
}

// pump reads the inputs into batches on one goroutine and sends them on this one, so reading
// and encoding overlap with the server's work. It stops at the first error.
func (c *ingestCmd) pump(ctx context.Context, inputs []input, s *ingestSender) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	full := make(chan *batch, 1)
	free := make(chan *batch, 3)
	for range 3 {
		free <- &batch{}
	}
	var readErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(full)
		readErr = c.read(ctx, inputs, full, free)
	})
	var sendErr error
	for b := range full {
		if sendErr == nil {
			if sendErr = s.send(ctx, b); sendErr != nil {
				cancel()
			}
		}
		free <- b
	}
	wg.Wait()
	if sendErr != nil {
		return sendErr
	}
	if readErr != nil && ctx.Err() == nil {
		return readErr
	}
	return ctx.Err()
}

// read turns the inputs into batches.
func (c *ingestCmd) read(ctx context.Context, inputs []input, full, free chan *batch) error {
	var b *batch
	get := func() error {
		select {
		case b = <-free:
			b.reset()
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	ship := func() error {
		b.body = append(b.body, ']')
		select {
		case full <- b:
			return get()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := get(); err != nil {
		return err
	}
	var now time.Time
	sinceClock := arrivalRefresh
	for _, in := range inputs {
		l := ingest.NewLines(in.r, c.maxEntry)
		consumed := int64(0)
		for l.Next() {
			if sinceClock++; sinceClock >= arrivalRefresh {
				now, sinceClock = time.Now(), 0
			}
			line := l.Bytes()
			ts, ok := ingest.ExtractTime(line, now)
			if !ok {
				ts = now.UnixNano()
			}
			b.body = appendEntry(b.body, b.entries > 0, ts, line)
			b.entries++
			b.data += int64(len(line))
			b.input += l.Consumed() - consumed
			consumed = l.Consumed()
			b.from = append(b.from, lineRef{in.name, l.Line()})
			if b.data >= int64(c.batchBytes) || b.entries >= maxBatchEntries {
				if err := ship(); err != nil {
					return err
				}
			}
		}
		b.input += l.Consumed() - consumed
		if err := l.Err(); err != nil {
			var big *ingest.EntryTooLargeError
			if errors.As(err, &big) {
				return fmt.Errorf("ingest: %s line %d: entry is %d bytes, over the limit -max-entry-size=%d", in.name, big.Line, big.Size, big.Limit)
			}
			return fmt.Errorf("ingest: cannot read %s: %w", in.name, err)
		}
	}
	if b.entries > 0 {
		return ship()
	}
	return nil
}

// appendEntry appends one JSON entry. Valid UTF-8 goes as "Text" (smaller than base64 and
// cheaper for the server), anything else as base64 "Data"; both give back the exact bytes.
func appendEntry(dst []byte, comma bool, ts int64, line []byte) []byte {
	if comma {
		dst = append(dst, ',')
	}
	dst = append(dst, `{"TS":`...)
	dst = wire.AppendUnixNano(dst, ts)
	if utf8.Valid(line) {
		dst = append(dst, `,"Text":`...)
		dst = wire.AppendString(dst, line)
	} else {
		dst = append(dst, `,"Data":`...)
		dst = wire.AppendBase64(dst, line)
	}
	return append(dst, '}')
}

// ingestSender posts batches.
type ingestSender struct {
	client *http.Client
	url    string
	token  string
	debug  *os.File
	prog   *progress
}

// send posts one batch and checks the reply. A refusal is returned with the server's message
// verbatim and, when it names an entry, the file and line it came from.
func (s *ingestSender) send(ctx context.Context, b *batch) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(b.body))
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	s.log(">", "POST "+s.url+" ("+strconv.Itoa(b.entries)+" entries, "+strconv.Itoa(len(b.body))+" bytes)")
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("ingest: cannot read the server's reply: %w", err)
	}
	s.log("<", resp.Status+" "+strings.TrimSpace(string(raw)))
	var rep struct {
		Stored *int
		Error  string
	}
	jsonErr := json.Unmarshal(raw, &rep)
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		e := authErrorToken(resp.Status, s.token)
		e.msg = "ingest: " + e.msg
		if rep.Error != "" {
			e.msg += " (the server said: " + rep.Error + ")"
		}
		return e
	}
	if resp.StatusCode != http.StatusOK {
		if jsonErr != nil || rep.Error == "" {
			return fmt.Errorf("ingest: server replied %s: %s", resp.Status, truncate(strings.TrimSpace(string(raw)), 200))
		}
		return fmt.Errorf("ingest: server refused the batch (%s): %s%s", resp.Status, rep.Error, b.where(rep.Error))
	}
	if jsonErr != nil || rep.Stored == nil {
		return fmt.Errorf("ingest: server replied %s with %s, not {\"Stored\":N}", resp.Status, truncate(string(raw), 200))
	}
	if *rep.Stored != b.entries {
		return fmt.Errorf("ingest: server stored %d entries of a batch of %d", *rep.Stored, b.entries)
	}
	s.prog.add(int64(b.entries), b.data, b.input)
	return nil
}

// where turns "entry K: ..." in a server error into " (FILE line N)".
func (b *batch) where(msg string) string {
	rest, ok := strings.CutPrefix(msg, "entry ")
	if !ok {
		return ""
	}
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	k, err := strconv.Atoi(rest[:n])
	if err != nil || k >= len(b.from) {
		return ""
	}
	return " (" + b.from[k].name + " line " + strconv.Itoa(b.from[k].line) + ")"
}

func (s *ingestSender) log(dir, msg string) {
	if s.debug == nil {
		return
	}
	fmt.Fprintf(s.debug, "%s %s %s\n", time.Now().Format(time.RFC3339Nano), dir, msg)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
