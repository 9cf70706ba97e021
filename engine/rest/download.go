package rest

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/sluicehq/sluice/engine/access"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/sluicehq/sluice/engine/render"
	"github.com/sluicehq/sluice/engine/search"
	"github.com/sluicehq/sluice/wire"
)

// formatInfo is the file name extension and content type of a download format.
var formatInfo = map[string][2]string{
	"json":       {"json", "application/x-ndjson"},
	"archive":    {"archive.ndjson", "application/x-ndjson"},
	"csv":        {"csv", "text/csv; charset=utf-8"},
	"lookupdata": {"csv", "text/csv; charset=utf-8"},
	"text":       {"txt", "text/plain; charset=utf-8"},
	"pcap":       {"pcap", "application/vnd.tcpdump.pcap"},
}

// window is a download's time range: results with start <= TS < end (0: unbounded).
type window struct{ start, end int64 }

func (w *window) has(ts int64) bool {
	return (w.start == 0 || ts >= w.start) && (w.end == 0 || ts < w.end)
}

// readWindow reads the download's time range: Gravwell's client sends a TimeRange
// {"StartTS","EndTS"} as the body of its GET; start= and end= query parameters (RFC 3339) are
// accepted too.
func readWindow(r *http.Request) (window, *Error) {
	var win window
	body, e := readBody(r, true)
	if e != nil {
		return win, e
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		var tr struct{ StartTS, EndTS json.RawMessage }
		if err := json.Unmarshal(body, &tr); err != nil {
			return win, badRequest("body", "cannot decode the TimeRange body: "+err.Error())
		}
		for _, f := range []struct {
			name string
			raw  json.RawMessage
			dst  *int64
		}{{"StartTS", tr.StartTS, &win.start}, {"EndTS", tr.EndTS, &win.end}} {
			if len(f.raw) == 0 || string(f.raw) == "null" {
				continue
			}
			var t time.Time
			if err := json.Unmarshal(f.raw, &t); err != nil {
				return win, badRequest(f.name, "expected an RFC 3339 time string, got "+truncate(string(f.raw)))
			}
			if !t.IsZero() {
				*f.dst = t.UnixNano()
			}
		}
	}
	q := r.URL.Query()
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"start", &win.start}, {"end", &win.end}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return win, badRequest(p.name, "expected an RFC 3339 time, got "+strconv.Quote(truncate(v)))
			}
			*p.dst = t.UnixNano()
		}
	}
	if win.start != 0 && win.end != 0 && win.end <= win.start {
		return win, badRequest("end", "end is not after start")
	}
	return win, nil
}

// download serves GET /api/searchctrl/{id}/download/{format}: the search's results in one of
// its renderer's RenderDownloadFormats (PROTOCOL.md §5.1):
//
//   - text: each entry's data, one per line.
//   - csv: entries as timestamp,source,tag,data; tables with their columns as the header;
//     charts as timestamp,series…. lookupdata is the table's CSV.
//   - json: one JSON object per line: entries as SearchEntry with the tag's name,
//     {"TS","SRC","Tag","Data","Enumerated"}; table rows as {"TS","Row":{column: value}};
//     charts and gauges as one Entries value per page of up to MaxPage.
//   - archive: entries as {"TS","SRC","Tag","Data"} per line: POST it to
//     /api/ingest/lines?type=reimport (or as the client's IngestEntries does) and the entries
//     come back with their timestamps, tags and sources. Tables, charts and gauges give their
//     json lines after a first line {"SearchInfo":…}.
//   - pcap (pcap renderer): a libpcap file of the entries' data.
//
// The results are read from the render store as they are written: a download holds one chunk
// (Config.ChunkSize) however large the result, and one that starts while the search runs
// follows it to its end. first=N starts at result N (no CSV header then), so an interrupted
// download resumes where it stopped: N is the number of results received (entries, rows). The
// body is followed by the trailers X-Sluice-Next (the index after the last result sent),
// X-Sluice-Overlimit and X-Sluice-Warning (what the render store's limit dropped), and
// X-Sluice-Error when the search was deleted before the download ended.
func (a *API) download(w http.ResponseWriter, r *http.Request, c *access.Principal) {
	s, e := a.lookup(r, c)
	if e != nil {
		writeError(w, e)
		return
	}
	format := r.PathValue("format")
	formats := s.Result.Info().RenderDownloadFormats
	if !slices.Contains(formats, format) {
		writeError(w, badRequest("format", "renderer "+s.Query.Renderer+" downloads as "+strings.Join(formats, ", ")+
			", not "+strconv.Quote(truncate(format))))
		return
	}
	win, e := readWindow(r)
	if e != nil {
		writeError(w, e)
		return
	}
	first, e := a.position(r, s)
	if e != nil {
		writeError(w, e)
		return
	}
	name := "sluice-" + s.ID + "-" + s.Query.Renderer
	if first > 0 {
		name += "-from" + strconv.FormatInt(first, 10)
	}
	h := w.Header()
	h.Set("Content-Type", formatInfo[format][1])
	h.Set("Content-Disposition", `attachment; filename="`+name+"."+formatInfo[format][0]+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Sluice-First", strconv.FormatInt(first, 10))
	h.Set("Trailer", "X-Sluice-Next, X-Sluice-Overlimit, X-Sluice-Warning, X-Sluice-Error")
	enc := &encoder{format: format}
	var next int64
	var err error
	if s.Result.Readable() {
		if isTable(s) {
			// Tables discover columns as rows arrive: the header needs them all, so a table
			// download waits for the search to finish.
			if err = s.Result.WaitMore(r.Context(), 1<<62); errors.Is(err, render.ErrReleased) {
				err = nil // the read below reports it
			}
			enc.cols = tableColumns(s)
		}
		if err == nil {
			next, err = a.pump(r.Context(), w, s, enc, pumpOpts{first: first, win: win, follow: true, head: first == 0, info: format == "archive"})
		}
	} else {
		next, err = a.condensed(r.Context(), w, s, format, first)
	}
	a.trailers(w, s, next)
	if errors.Is(err, render.ErrReleased) {
		w.Header().Set("X-Sluice-Error", "search has been deleted: the download is incomplete")
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		a.log.Debug("rest: download ended early", "search", s.ID, "format", format, "err", err)
	}
}

// trailers sets the truncation trailers.
func (a *API) trailers(w http.ResponseWriter, s *search.Search, next int64) {
	t := s.Result.Truncation()
	h := w.Header()
	h.Set("X-Sluice-Next", strconv.FormatInt(next, 10))
	h.Set("X-Sluice-Overlimit", strconv.FormatBool(t.OverLimit))
	if t.Warning != "" {
		h.Set("X-Sluice-Warning", t.Warning)
	}
}

// position reads first=N or cursor=C: where a download or export starts.
func (a *API) position(r *http.Request, s *search.Search) (int64, *Error) {
	q := r.URL.Query()
	var first int64
	if v := q.Get("cursor"); v != "" {
		id, idx, ok := strings.Cut(v, ":")
		if !ok || id == "" {
			return 0, badRequest("cursor", "malformed cursor "+strconv.Quote(truncate(v))+" (want SEARCHID:INDEX)")
		}
		if id != s.ID {
			return 0, badRequest("cursor", "cursor "+strconv.Quote(truncate(v))+" belongs to search "+strconv.Quote(truncate(id))+", not "+s.ID)
		}
		n, err := strconv.ParseInt(idx, 10, 64)
		if err != nil || n < 0 {
			return 0, badRequest("cursor", "malformed cursor index "+strconv.Quote(truncate(idx)))
		}
		first = n
		if q.Get("first") != "" {
			return 0, badRequest("first", "give first or cursor, not both")
		}
	} else {
		n, e := uintParam(q.Get("first"), "first", 0)
		if e != nil {
			return 0, e
		}
		first = int64(n)
	}
	if s.Result.Readable() && s.Result.Finished() {
		if stored := s.Result.Stored(); first > stored {
			return 0, badRequest(paramName(q), "index "+strconv.FormatInt(first, 10)+" is past the end of the results ("+
				strconv.FormatInt(stored, 10)+" stored)")
		}
	}
	return first, nil
}

func paramName(q map[string][]string) string {
	if _, ok := q["cursor"]; ok {
		return "cursor"
	}
	return "first"
}

// pumpOpts is what pump writes.
type pumpOpts struct {
	first, limit int64 // limit <= 0: no limit
	win          window
	follow       bool // wait for results while the search runs
	head         bool // write the format's head first
	info         bool // write a {"SearchInfo":…} line first (archives of tables)
}

// pump writes results from opts.first on, encoded by enc, in chunks of Config.ChunkSize: it
// reads the render store as it goes and writes each full chunk before reading on, so a slow
// client holds back only its own response. It returns the index after the last result
// written (or skipped by the time window).
func (a *API) pump(ctx context.Context, w http.ResponseWriter, s *search.Search, enc *encoder, o pumpOpts) (int64, error) {
	res := s.Result
	chunk := a.cfg.ChunkSize
	buf := make([]byte, 0, chunk+chunk/4)
	rc := http.NewResponseController(w)
	defer rc.SetWriteDeadline(time.Time{}) // the connection may serve further requests
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		_ = rc.SetWriteDeadline(time.Now().Add(a.cfg.WriteTimeout)) // not every ResponseWriter can
		_, err := w.Write(buf)
		buf = buf[:0]
		if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
			a.log.Info("rest: download stopped: limit reached", "limit", "WriteTimeout", "value", a.cfg.WriteTimeout, "search", s.ID)
		}
		return err
	}
	if o.head {
		buf = enc.head(buf, s.Query.Renderer)
	}
	if o.info && enc.cols != nil {
		buf = append(buf, `{"SearchInfo":`...)
		buf = res.AppendInfo(buf)
		buf = append(buf, "}\n"...)
	}
	pos := o.first
	left := o.limit
	var encErr error
	for {
		if err := ctx.Err(); err != nil {
			return pos, err
		}
		fin := res.Finished() // before counting: a finished search shows everything
		n := res.Stored()
		if pos < n {
			want := n - pos
			if o.limit > 0 {
				want = min(want, left)
			}
			next, err := res.Read(pos, want, func(rec *render.Record) error {
				if !o.win.has(rec.TS) {
					return nil
				}
				buf, encErr = enc.entry(buf, rec)
				if encErr != nil {
					return encErr
				}
				if len(buf) >= chunk {
					return flush()
				}
				return nil
			})
			if o.limit > 0 {
				left -= next - pos
			}
			pos = next
			if err != nil {
				return pos, err
			}
			if o.limit > 0 && left <= 0 {
				return pos, flush()
			}
			continue
		}
		if fin || !o.follow {
			return pos, flush()
		}
		// Nothing new: send what we have, then wait for the search.
		if err := flush(); err != nil {
			return pos, err
		}
		_ = rc.Flush()
		if err := res.WaitMore(ctx, pos); err != nil {
			return pos, err
		}
	}
}

// condensed writes a chart's or gauge's results, read page by page with the render handler
// (REQ_GET_ENTRIES) once the search has finished: json gives one Entries value per line, csv
// (charts) a timestamp,series… table, archive the json lines after {"SearchInfo":…}.
func (a *API) condensed(ctx context.Context, w http.ResponseWriter, s *search.Search, format string, first int64) (int64, error) {
	res := s.Result
	if err := res.WaitMore(ctx, 1<<62); err != nil {
		return first, err
	}
	page := int64(a.m.Config().MaxPage)
	total := res.Info().ItemCount
	var p wire.RequestParser
	var req wire.Request
	var jp fastjson.Parser
	out := make([]byte, 0, a.cfg.ChunkSize)
	reply := wire.GetBuffer()
	defer wire.PutBuffer(reply)
	if format == "archive" {
		out = append(out, `{"SearchInfo":`...)
		out = res.AppendInfo(out)
		out = append(out, "}\n"...)
	}
	pos := first
	for pos < total || pos == first && total == 0 {
		body := `{"ID":16,"EntryRange":{"First":` + strconv.FormatInt(pos, 10) + `,"Last":` + strconv.FormatInt(pos+page, 10) + `}}`
		_ = p.Parse([]byte(body), &req)
		reply.B = res.Handle(&req, reply.B[:0])
		if isErrorReply(reply.B) {
			return pos, errors.New("rest: " + string(reply.B))
		}
		v, err := jp.ParseBytes(reply.B)
		if err != nil {
			return pos, err
		}
		entries := v.Get("Entries")
		if format == "csv" {
			out = condensedCSV(out, entries, pos == first && first == 0)
		} else {
			out = entries.MarshalTo(out)
			out = append(out, '\n')
		}
		if _, err := w.Write(out); err != nil {
			return pos, err
		}
		out = out[:0]
		if total == 0 {
			break
		}
		pos = min(pos+page, total)
	}
	return pos, nil
}

// export serves GET /api/searchctrl/{id}/entries?first=N&limit=M (or cursor=C instead of
// first): the results as NDJSON, past every page cap, read from the render store as they are
// written. Entries are SearchEntry objects with the tag's name, {"TS","SRC","Tag","Data",
// "Enumerated"}; table rows {"TS","Row":{column: value}}. The last line is the trailer
// {"Cursor":"ID:N","Next":N,"Finished":…,"More":…,"OverLimit":…,…}: Cursor resumes right after
// the last result sent. An export interrupted before its trailer resumes exactly with
// first = N + (complete lines received), since results never move in the render store.
//
// While the search runs the export follows it (follow=false: only what is stored now) until
// limit results were sent or the search finished. Charts and gauges have no entries to export:
// download them as json.
func (a *API) export(w http.ResponseWriter, r *http.Request, c *access.Principal) {
	s, e := a.lookup(r, c)
	if e != nil {
		writeError(w, e)
		return
	}
	if !s.Result.Readable() {
		writeError(w, badRequest("id", "renderer "+s.Query.Renderer+" keeps no entries to export: download it as json"))
		return
	}
	q := r.URL.Query()
	first, e := a.position(r, s)
	if e != nil {
		writeError(w, e)
		return
	}
	limit, e := uintParam(q.Get("limit"), "limit", 0)
	if e != nil {
		writeError(w, e)
		return
	}
	follow := true
	switch v := q.Get("follow"); v {
	case "", "true":
	case "false":
		follow = false
	default:
		writeError(w, badRequest("follow", "expected true or false, got "+strconv.Quote(truncate(v))))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/x-ndjson")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Sluice-First", strconv.FormatInt(first, 10))
	enc := &encoder{format: "ndjson"}
	if isTable(s) {
		enc.cols = tableColumns(s)
	}
	next, err := a.pump(r.Context(), w, s, enc, pumpOpts{first: first, limit: int64(limit), follow: follow})
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			a.log.Debug("rest: export ended early", "search", s.ID, "err", err)
		}
		if errors.Is(err, render.ErrReleased) {
			_, _ = io.WriteString(w, `{"Error":"search has been deleted","Next":`+strconv.FormatInt(next, 10)+"}\n")
		}
		return
	}
	t := s.Result.Truncation()
	fin := s.Result.Finished() && next >= s.Result.Stored()
	tr := struct {
		Cursor       string
		Next         int64
		Finished     bool
		More         bool
		OverLimit    bool
		DroppedStart time.Time `json:",omitzero"`
		DroppedEnd   time.Time `json:",omitzero"`
		Warning      string    `json:",omitempty"`
	}{Cursor: s.ID + ":" + strconv.FormatInt(next, 10), Next: next, Finished: fin, More: !fin, OverLimit: t.OverLimit, Warning: t.Warning}
	if t.OverLimit {
		tr.DroppedStart, tr.DroppedEnd = time.Unix(0, t.DroppedStart).UTC(), time.Unix(0, t.DroppedEnd).UTC()
	}
	b, _ := json.Marshal(tr)
	_, _ = w.Write(append(b, '\n'))
}

// isTable reports whether the search renders a table.
func isTable(s *search.Search) bool {
	rd, ok := render.Lookup(s.Query.Renderer)
	return ok && rd.Family == render.FamilyTable
}

// tableColumns returns the table's columns, never nil.
func tableColumns(s *search.Search) []string {
	if cols := s.Result.Columns(); cols != nil {
		return cols
	}
	return []string{}
}
