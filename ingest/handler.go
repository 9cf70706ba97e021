package ingest

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// DefaultMaxBodySize is the request body limit used when HandlerConfig.MaxBodySize is zero.
const DefaultMaxBodySize = 64 << 20

// Sink is where the ingest handler puts entries: the store, or anything like it.
//
// Ingest must be all-or-nothing: it stores every entry or none, and returns nil only once they
// are durable. The entries and their Data are valid only during the call. Entry.Tag comes from
// the sink's own TagID.
type Sink interface {
	Tagger
	Ingest(entries []wire.Entry) error
}

// HandlerConfig configures NewHandler. The zero value works.
type HandlerConfig struct {
	MaxBodySize  int64            // largest request body in bytes; DefaultMaxBodySize when <= 0 (413 past it)
	MaxEntrySize int              // largest entry in bytes; DefaultMaxEntrySize when <= 0 (400 past it)
	MaxEntries   int              // most entries per request; DefaultMaxEntries when <= 0 (413 past it)
	Now          func() time.Time // the clock for arrival times and syslog years; time.Now when nil
	Logger       *slog.Logger     // where sink failures are logged; slog.Default() when nil
}

// handler serves POST /api/ingest. See NewHandler.
type handler struct {
	sink Sink
	cfg  HandlerConfig
}

// NewHandler returns the HTTP ingest endpoint, meant for POST /api/ingest?tag=TAG[&src=IP].
//
// The body is either newline-delimited entries (any Content-Type but application/json; the
// line rules are those of Lines), all tagged with the tag= query parameter and timestamped with
// ExtractTime, falling back to the arrival time; or, with Content-Type application/json, a JSON
// array of entries as ParseJSONEntries reads it, where tag= is the default tag.
//
// Each entry's source is the src= query parameter when given, else the client's address (the
// connection's remote address; forwarding headers are not trusted).
//
// A request is all-or-nothing: the whole body is read and validated, then handed to the sink in
// one Ingest call. Replies are JSON:
//
//	200 {"Stored":N}
//	400 {"Error":"line 17: entry is 2000000 bytes, over the limit MaxEntrySize=1048576"} (bad input)
//	405 {"Error":"..."} (not POST; Allow: POST)
//	413 {"Error":"..."} (over MaxBodySize or MaxEntries)
//	500 {"Error":"..."} (the sink failed; nothing of the request is stored)
//	503 {"Error":"..."} (the sink is closed or disabled: errors matching ErrUnavailable)
//	507 {"Error":"..."} (the server's disk is full: ENOSPC or EDQUOT)
//
// 4xx replies name the line, entry and field at fault, including entries the sink refuses
// for what they hold (errors with EntryIndex and a non-empty EntryField, as
// store.EntryError). 5xx replies never carry the server's paths: the full error goes to the
// log at ERROR, the reply says what happened.
//
// Authentication is not the handler's business: wrap it.
func NewHandler(sink Sink, cfg HandlerConfig) http.Handler {
	if cfg.MaxBodySize <= 0 {
		cfg.MaxBodySize = DefaultMaxBodySize
	}
	if cfg.MaxEntrySize <= 0 {
		cfg.MaxEntrySize = DefaultMaxEntrySize
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = DefaultMaxEntries
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &handler{sink: sink, cfg: cfg}
}

// ServeHTTP implements http.Handler.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		replyError(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed, use POST")
		return
	}
	n, err := h.serve(r)
	if err != nil {
		status := statusOf(err)
		msg := strings.TrimPrefix(err.Error(), "ingest: ")
		if status >= 500 {
			// Server faults are logged in full; the reply says what happened without the
			// server's paths or internals.
			h.cfg.Logger.Error("ingest: cannot store entries", "remote", r.RemoteAddr, "status", status, "err", err)
			msg = serverFaultMsg(status)
		}
		replyError(w, status, msg)
		return
	}
	b := make([]byte, 0, 32)
	b = append(b, `{"Stored":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, "}\n"...)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// TagReleaser is implemented by sinks whose TagID holds a tag for the caller (the store):
// the handler releases every tag it resolved once the request is done, so a request that
// failed leaves none of its new tags behind.
type TagReleaser interface {
	ReleaseTags(ids []uint16)
}

// heldTags is the Tagger of one request: it records every ID the sink handed out.
type heldTags struct {
	Tagger
	ids []uint16
}

func (h *heldTags) TagID(name string) (uint16, error) {
	id, err := h.Tagger.TagID(name)
	if err == nil {
		h.ids = append(h.ids, id)
	}
	return id, err
}

// serve reads, parses and stores one request and returns the number of entries stored.
func (h *handler) serve(r *http.Request) (int, error) {
	tags := &heldTags{Tagger: h.sink}
	if rel, ok := h.sink.(TagReleaser); ok {
		defer func() { rel.ReleaseTags(tags.ids) }()
	}
	return h.serveWith(r, tags)
}

func (h *handler) serveWith(r *http.Request, tagger Tagger) (int, error) {
	q := r.URL.Query()
	var src netip.Addr
	if s := q.Get("src"); s != "" {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return 0, &InputError{Index: -1, Msg: "query parameter \"src\": cannot parse " + quoteTrunc([]byte(s)) + " as an IP address"}
		}
		if a.Zone() != "" {
			return 0, &InputError{Index: -1, Msg: "query parameter \"src\": " + zoneMsg([]byte(s))}
		}
		src = a.Unmap()
	} else if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		src = ap.Addr().WithZone("").Unmap() // a link-local client's zone is local to this host
	}
	isJSON := false
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil {
			return 0, &InputError{Index: -1, Msg: "cannot parse Content-Type " + quoteTrunc([]byte(ct)), Err: err}
		}
		isJSON = mt == "application/json"
	}
	tag := q.Get("tag")
	if !isJSON && tag == "" {
		return 0, &InputError{Index: -1, Msg: "missing tag= query parameter"}
	}
	body, err := readBody(r, h.cfg.MaxBodySize)
	if err != nil {
		return 0, err
	}
	now := h.cfg.Now()
	var entries []wire.Entry
	if isJSON {
		entries, err = ParseJSONEntries(body, JSONOptions{
			Tagger: tagger, Tag: tag, SRC: src, Now: now.UnixNano(),
			MaxEntrySize: h.cfg.MaxEntrySize, MaxEntries: h.cfg.MaxEntries,
		})
	} else {
		entries, err = h.parseLines(body, tagger, tag, src, now)
	}
	if err != nil {
		return 0, err
	}
	if len(entries) == 0 {
		return 0, nil
	}
	if err := h.sink.Ingest(entries); err != nil {
		return 0, entryInputError(err)
	}
	return len(entries), nil
}

// entryInputError turns a sink error that refuses an entry for what it holds into the
// *InputError naming the entry and field (the client's mistake); other errors are returned
// unchanged.
func entryInputError(err error) error {
	var ee entryRejection
	if !errors.As(err, &ee) || ee.EntryField() == "" {
		return err
	}
	msg := err.Error()
	if i := strings.Index(msg, ": "); i >= 0 {
		msg = msg[i+2:] // "store: "
	}
	if i := strings.Index(msg, ": "); i >= 0 && strings.HasPrefix(msg, "entry ") {
		msg = msg[i+2:] // "entry N: "
	}
	return &InputError{Index: ee.EntryIndex(), Field: ee.EntryField(), Msg: msg}
}

// SinkErrorReply returns the HTTP status and reply text for an error of Sink.Ingest, for
// every HTTP front end of a sink: 400 naming the entry and field when the sink refused an
// entry for what it holds, 507 for a full disk, 503 for ErrUnavailable, else 500. A 5xx text
// says what happened and never carries err's text (it may hold server paths): log err.
func SinkErrorReply(err error) (int, string) {
	err = entryInputError(err)
	status := statusOf(err)
	if status >= 500 {
		return status, serverFaultMsg(status)
	}
	return status, strings.TrimPrefix(err.Error(), "ingest: ")
}

// entryRejection is implemented by sink errors that refuse one entry for what it holds
// (store.EntryError): EntryField names the entry's field at fault, or is "" when the fault
// is not the client's.
type entryRejection interface {
	EntryIndex() int
	EntryField() string
}

// zoneMsg explains why an address with an IPv6 zone (fe80::1%eth0) is refused.
func zoneMsg(addr []byte) string {
	return quoteTrunc(addr) + " has an IPv6 zone; a zone names an interface of one host and cannot be stored (give the address without %zone)"
}

// parseLines splits a newline-delimited body into entries, then resolves the tag.
func (h *handler) parseLines(body []byte, tagger Tagger, tag string, src netip.Addr, now time.Time) ([]wire.Entry, error) {
	est := bytes.Count(body, []byte{'\n'}) + 1
	if est > h.cfg.MaxEntries+1 {
		est = h.cfg.MaxEntries + 1
	}
	entries := make([]wire.Entry, 0, est)
	arrival := now.UnixNano()
	err := splitLines(body, h.cfg.MaxEntrySize, func(line []byte, _ int) error {
		if len(entries) == h.cfg.MaxEntries {
			return &TooManyEntriesError{Limit: h.cfg.MaxEntries}
		}
		ts, ok := ExtractTime(line, now)
		if !ok {
			ts = arrival
		}
		entries = append(entries, wire.Entry{TS: ts, SRC: src, Data: line[:len(line):len(line)]})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return entries, nil
	}
	id, err := tagger.TagID(tag)
	if err != nil {
		return nil, &InputError{Index: -1, Msg: "query parameter \"tag\": tag " + strconv.Quote(tag), Err: err}
	}
	for i := range entries {
		entries[i].Tag = id
	}
	return entries, nil
}

// readBody reads the whole body, refusing more than max bytes.
func readBody(r *http.Request, max int64) ([]byte, error) {
	if r.ContentLength > max {
		return nil, &BodyTooLargeError{Limit: max}
	}
	if r.ContentLength >= 0 {
		body := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			return nil, &InputError{Index: -1, Msg: "cannot read request body", Err: err}
		}
		return body, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		return nil, &InputError{Index: -1, Msg: "cannot read request body", Err: err}
	}
	if int64(len(body)) > max {
		return nil, &BodyTooLargeError{Limit: max}
	}
	return body, nil
}

// statusOf maps an error of serve to its HTTP status.
func statusOf(err error) int {
	var (
		inErr   *InputError
		bigErr  *EntryTooLargeError
		bodyErr *BodyTooLargeError
		manyErr *TooManyEntriesError
	)
	switch {
	case errors.As(err, &bodyErr), errors.As(err, &manyErr):
		return http.StatusRequestEntityTooLarge
	case errors.As(err, &inErr), errors.As(err, &bigErr):
		return http.StatusBadRequest
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return http.StatusInsufficientStorage
	case errors.Is(err, ErrUnavailable):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// ErrUnavailable is wrapped (or matched through errors.Is) by sink errors that mean the sink
// is not taking entries right now (closed, or disabled after a failed write): 503.
var ErrUnavailable = errors.New("ingest: sink unavailable")

// serverFaultMsg is the reply text for a server fault: what happened and that nothing of the
// request was stored, never the server's paths (those are in its log).
func serverFaultMsg(status int) string {
	switch status {
	case http.StatusInsufficientStorage:
		return "the server's disk is full; nothing of this request was stored"
	case http.StatusServiceUnavailable:
		return "the store is not accepting entries (shutting down, or disabled after a write error; see the server log); nothing of this request was stored"
	}
	return "the server could not store the entries (see the server log); nothing of this request was stored"
}

func replyError(w http.ResponseWriter, status int, msg string) {
	b := make([]byte, 0, len(msg)+16)
	b = append(b, `{"Error":`...)
	b = wire.AppendString(b, msg)
	b = append(b, "}\n"...)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
