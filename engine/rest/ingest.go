package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"github.com/sluicehq/sluice/engine/access"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/ingest"
	"github.com/sluicehq/sluice/wire"
)

// ingestBatch is how many entries /api/ingest/lines gathers before storing them; ingestBatchBytes
// bounds the bytes of a batch.
const (
	ingestBatch      = 4096
	ingestBatchBytes = 8 << 20
)

// ingestReply is Gravwell's IngestResponse.
type ingestReply struct {
	Count int64
	Size  int64
	Tags  []string
}

// ingestForm holds the fields of an /api/ingest/lines request (multipart form fields or query
// parameters).
type ingestForm struct {
	tag, typ   string
	src        netip.Addr
	noParseTS  bool
	body       io.Reader
	remoteAddr netip.Addr
}

// ingestLines serves POST /api/ingest/lines, the route of the Gravwell client's Ingest,
// IngestFile and IngestEntries: a multipart form with the fields tag, source, type,
// noparsetimestamp and assumelocaltimezone and the data as the part "file" (or a plain body
// with the same names as query parameters). With type "reimport" the data is a stream of JSON
// entries {"TS","Tag","SRC","Data"} (concatenated or one per line, as the client's
// IngestEntries and sluice's archive downloads write them): timestamps, tags and sources are
// kept. Otherwise it is newline-delimited lines tagged tag, timestamped from their text
// (ingest.ExtractTime) or, with noparsetimestamp or no timestamp found, the arrival time.
//
// The body is read as a stream and stored in batches as it arrives, so its size is not bounded;
// each batch is durable before the next is read. A failure stops the request: the reply (400,
// 413 or 500) says how many entries were stored before it ("Count"). Times in the data without
// a zone are read as UTC; assumelocaltimezone is accepted and ignored.
func (a *API) ingestLines(w http.ResponseWriter, r *http.Request, _ *access.Principal) {
	if a.cfg.Store == nil {
		writeError(w, notFound("path", "this server has no store to ingest into"))
		return
	}
	f, e := a.ingestForm(r)
	if e != nil {
		writeError(w, e)
		return
	}
	var rep ingestReply
	var err error
	tags, release := a.holdTags()
	if f.typ == "reimport" {
		err = a.reimport(f, tags, &rep)
	} else {
		err = a.ingestText(f, tags, &rep)
	}
	release()
	if rep.Tags == nil {
		rep.Tags = []string{}
	}
	if err != nil {
		status := http.StatusBadRequest
		msg := strings.TrimPrefix(err.Error(), "ingest: ")
		var big *ingest.EntryTooLargeError
		switch {
		case errors.As(err, &big):
			status = http.StatusRequestEntityTooLarge
		case errors.Is(err, errSink):
			// 4xx for entries the store refuses, else a 5xx without server paths (issue 11)
			status, msg = ingest.SinkErrorReply(err)
			if status >= 500 {
				a.log.Error("rest: ingest failed", "err", err, "stored", rep.Count)
			}
		}
		writeJSON(w, status, struct {
			Error string
			Field string
			Count int64
			Size  int64
		}{"rest: ingest: " + msg + " (" + strconv.FormatInt(rep.Count, 10) +
			" entries stored before it)", "file", rep.Count, rep.Size})
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

var errSink = errors.New("the store refused the entries")

// heldTags is the Tagger of one ingest request: it records the IDs the store handed out (each
// TagID holds its tag), released when the request ends, so a failed request's new tags go
// (ingest.TagReleaser), as POST /api/ingest does.
type heldTags struct {
	ingest.Tagger
	ids []uint16
}

func (h *heldTags) TagID(name string) (uint16, error) {
	id, err := h.Tagger.TagID(name)
	if err == nil {
		h.ids = append(h.ids, id)
	}
	return id, err
}

// holdTags returns the request's Tagger and the function that releases its tags.
func (a *API) holdTags() (*heldTags, func()) {
	h := &heldTags{Tagger: a.cfg.Store}
	return h, func() {
		if rel, ok := a.cfg.Store.(ingest.TagReleaser); ok {
			rel.ReleaseTags(h.ids)
		}
	}
}

// ingestForm reads the form fields of a multipart request up to its "file" part, or the query
// parameters of a plain one.
func (a *API) ingestForm(r *http.Request) (*ingestForm, *Error) {
	f := &ingestForm{}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		f.remoteAddr = ap.Addr().Unmap()
	}
	fields := map[string]string{}
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return nil, badRequest("file", "multipart form has no \"file\" part")
			}
			if err != nil {
				return nil, badRequest("body", "cannot read the multipart form: "+err.Error())
			}
			if p.FormName() == "file" {
				f.body = p
				break
			}
			v, err := io.ReadAll(io.LimitReader(p, 4096))
			if err != nil {
				return nil, badRequest(p.FormName(), "cannot read form field: "+err.Error())
			}
			fields[p.FormName()] = string(v)
		}
	} else {
		for k, v := range r.URL.Query() {
			fields[k] = v[0]
		}
		f.body = r.Body
	}
	f.tag, f.typ = fields["tag"], fields["type"]
	if s := fields["source"]; s != "" {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return nil, badRequest("source", "cannot parse "+strconv.Quote(truncate(s))+" as an IP address")
		}
		f.src = ip.Unmap()
	} else if f.typ != "reimport" {
		f.src = f.remoteAddr // re-imported entries keep their own source, even none
	}
	switch v := fields["noparsetimestamp"]; v {
	case "", "false":
	case "true":
		f.noParseTS = true
	default:
		return nil, badRequest("noparsetimestamp", "expected true or false, got "+strconv.Quote(truncate(v)))
	}
	if f.typ != "" && f.typ != "reimport" {
		return nil, badRequest("type", "unknown ingest type "+strconv.Quote(truncate(f.typ))+" (\"\" for lines, \"reimport\" for JSON entries)")
	}
	if f.typ == "" && f.tag == "" {
		return nil, badRequest("tag", "missing tag for line ingest")
	}
	return f, nil
}

// batcher gathers entries and stores them batch by batch.
type batcher struct {
	a       *API
	rep     *ingestReply
	entries []wire.Entry
	data    []byte
	seen    map[string]bool
}

func (b *batcher) tagged(name string) {
	if !b.seen[name] {
		b.seen[name] = true
		b.rep.Tags = append(b.rep.Tags, name)
	}
}

func (b *batcher) flush() error {
	if len(b.entries) == 0 {
		return nil
	}
	if err := b.a.cfg.Store.Ingest(b.entries); err != nil {
		return errors.Join(errSink, err)
	}
	for i := range b.entries {
		b.rep.Size += int64(len(b.entries[i].Data))
	}
	b.rep.Count += int64(len(b.entries))
	b.entries, b.data = b.entries[:0], b.data[:0]
	return nil
}

// ingestText stores newline-delimited lines.
func (a *API) ingestText(f *ingestForm, tags ingest.Tagger, rep *ingestReply) error {
	id, err := tags.TagID(f.tag)
	if err != nil {
		return &ingest.InputError{Index: -1, Msg: "tag " + strconv.Quote(f.tag), Err: err}
	}
	b := &batcher{a: a, rep: rep, seen: map[string]bool{}}
	b.tagged(f.tag)
	l := ingest.NewLines(f.body, a.cfg.Ingest.MaxEntrySize)
	for l.Next() {
		line := l.Bytes()
		now := time.Now()
		ts, ok := int64(0), false
		if !f.noParseTS {
			ts, ok = ingest.ExtractTime(line, now)
		}
		if !ok {
			ts = now.UnixNano()
		}
		// Lines' buffer is reused: keep the bytes in the batch's own buffer. The entries'
		// Data are set once the batch is complete, since data may move as it grows.
		off := len(b.data)
		b.data = append(b.data, line...)
		b.entries = append(b.entries, wire.Entry{TS: ts, SRC: f.src, Tag: id, Data: b.data[off:len(b.data):len(b.data)]})
		if len(b.entries) >= ingestBatch || len(b.data) >= ingestBatchBytes {
			fixData(b.entries, b.data)
			if err := b.flush(); err != nil {
				return err
			}
		}
	}
	if err := l.Err(); err != nil {
		return err
	}
	fixData(b.entries, b.data)
	return b.flush()
}

// fixData re-points the entries' Data into data, where they were appended back to back (the
// buffer may have moved while it grew).
func fixData(entries []wire.Entry, data []byte) {
	off := 0
	for i := range entries {
		n := len(entries[i].Data)
		entries[i].Data = data[off : off+n : off+n]
		off += n
	}
}

// reimport stores a stream of JSON entries, parsed batch by batch with ingest.ParseJSONEntries
// (the same rules as POST /api/ingest with a JSON body).
func (a *API) reimport(f *ingestForm, tags ingest.Tagger, rep *ingestReply) error {
	dec := json.NewDecoder(f.body)
	b := &batcher{a: a, rep: rep, seen: map[string]bool{}}
	arr := []byte{'['}
	n, index := 0, 0
	seenID := map[uint16]bool{}
	flush := func() error {
		if n == 0 {
			return nil
		}
		arr = append(arr, ']')
		entries, err := ingest.ParseJSONEntries(arr, ingest.JSONOptions{Tagger: tags, Tag: f.tag, SRC: f.src,
			MaxEntrySize: a.cfg.Ingest.MaxEntrySize, MaxEntries: ingestBatch})
		if err != nil {
			var ie *ingest.InputError
			if errors.As(err, &ie) && ie.Index >= 0 {
				ie.Index += index - n // the index in the whole stream, not the batch
			}
			return err
		}
		for i := range entries {
			if id := entries[i].Tag; !seenID[id] {
				seenID[id] = true
				if name, ok := a.cfg.Store.TagName(id); ok {
					b.tagged(name)
				}
			}
		}
		b.entries = entries
		if err := b.flush(); err != nil {
			return err
		}
		arr, n = append(arr[:0], '['), 0
		return nil
	}
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			break
		}
		if err != nil {
			return &ingest.InputError{Index: index, Msg: "cannot read JSON entry", Err: err}
		}
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 || raw[0] != '{' {
			return &ingest.InputError{Index: index, Msg: "expected a JSON object"}
		}
		if n > 0 {
			arr = append(arr, ',')
		}
		arr = append(arr, raw...)
		n++
		index++
		if n >= ingestBatch || len(arr) >= ingestBatchBytes {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// ingestInternal serves PUT /api/ingest/internal (the client's IngestInternal, admins only): a
// JSON array of entries {"TS","Tag","SRC","Data"}, stored all or nothing; entries without a tag
// go to "gravwell", as in Gravwell.
func (a *API) ingestInternal(w http.ResponseWriter, r *http.Request, c *access.Principal) {
	if a.cfg.Store == nil {
		writeError(w, notFound("path", "this server has no store to ingest into"))
		return
	}
	if !c.Admin {
		writeError(w, &Error{Status: http.StatusForbidden, Field: "admin", Msg: "internal ingest needs an admin"})
		return
	}
	max := a.cfg.Ingest.MaxBodySize
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		writeError(w, badRequest("body", "cannot read the request body: "+err.Error()))
		return
	}
	if int64(len(body)) > max {
		writeError(w, &Error{Status: http.StatusRequestEntityTooLarge, Field: "body",
			Msg: "request body is over MaxBodySize=" + strconv.FormatInt(max, 10) + " bytes"})
		return
	}
	src := netip.Addr{}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		src = ap.Addr().Unmap()
	}
	tags, release := a.holdTags()
	defer release()
	entries, err := ingest.ParseJSONEntries(body, ingest.JSONOptions{Tagger: tags, Tag: "gravwell", SRC: src,
		MaxEntrySize: a.cfg.Ingest.MaxEntrySize, MaxEntries: a.cfg.Ingest.MaxEntries})
	if err != nil {
		writeError(w, badRequest("body", strings.TrimPrefix(err.Error(), "ingest: ")))
		return
	}
	if len(entries) > 0 {
		if err := a.cfg.Store.Ingest(entries); err != nil {
			status, msg := ingest.SinkErrorReply(err) // no server paths in the reply (issue 11)
			if status >= 500 {
				a.log.Error("rest: internal ingest failed", "err", err)
			}
			writeError(w, &Error{Status: status, Msg: "cannot store the entries: " + msg})
			return
		}
	}
	writeJSON(w, http.StatusOK, ingestReply{Count: int64(len(entries)), Tags: []string{}})
}
