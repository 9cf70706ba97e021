package loadgen

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/valyala/fastjson"
)

// Protocol constants (PROTOCOL.md Appendix C).
const (
	reqClose      = 1
	reqEntryCount = 3
	reqGetEntries = 16
	reqStreaming  = 17
	respError     = 0xFFFFFFFF
)

// SearchParams is what a consumer launches (PROTOCOL.md §3.4 StartSearchRequest).
type SearchParams struct {
	Query      string
	Start, End time.Time // zero: the server's choice is not allowed by sluice, so give a range
}

// ReplyTimeout bounds every wait for a single reply.
const ReplyTimeout = 30 * time.Second

// Subscribe sends {"Subs":[…]} and waits for {"Resp":"ACK"} (PROTOCOL.md §1.4).
func (c *Conn) Subscribe(subs []string) error {
	b, _ := json.Marshal(struct{ Subs []string }{subs})
	if err := c.WriteText(b); err != nil {
		return fmt.Errorf("loadgen: cannot send Subs: %w", err)
	}
	c.SetReadDeadline(time.Now().Add(ReplyTimeout))
	msg, err := c.ReadMessage()
	if err != nil {
		return fmt.Errorf("loadgen: no reply to Subs: %w", err)
	}
	if string(field(msg, "Resp")) != "ACK" {
		return fmt.Errorf("loadgen: Subs refused: %.200s", msg)
	}
	return nil
}

// Send writes {"type":channel,"data":data}; data must be a JSON value.
func (c *Conn) Send(channel string, data []byte) error {
	b := make([]byte, 0, len(channel)+len(data)+24)
	b = append(b, `{"type":`...)
	name, _ := json.Marshal(channel) // a string always marshals
	b = append(b, name...)
	b = append(b, `,"data":`...)
	b = append(b, data...)
	b = append(b, '}')
	return c.WriteText(b)
}

// Await returns the next message on channel, skipping others (stats pushes, PONGs). The
// message is valid until the next read.
func (c *Conn) Await(channel string, deadline time.Time) ([]byte, error) {
	c.SetReadDeadline(deadline)
	for {
		msg, err := c.ReadMessage()
		if err != nil {
			return nil, err
		}
		if string(field(msg, "type")) == channel {
			return msg, nil
		}
	}
}

// Search is one launched or attached output channel.
type Search struct {
	Channel string // output channel name
	ID      string // search ID
}

// Launch starts a search and acknowledges it (PROTOCOL.md §3.4): launch request, launch
// response naming the output channel, {"Ok":true,…}.
func (c *Conn) Launch(p SearchParams) (Search, error) {
	req := map[string]any{"SearchString": p.Query, "Background": false, "NoHistory": true, "Preview": false}
	if !p.Start.IsZero() {
		req["SearchStart"] = p.Start.UTC().Format(time.RFC3339Nano)
	}
	if !p.End.IsZero() {
		req["SearchEnd"] = p.End.UTC().Format(time.RFC3339Nano)
	}
	b, _ := json.Marshal(req)
	if err := c.Send("search", b); err != nil {
		return Search{}, fmt.Errorf("loadgen: cannot send launch: %w", err)
	}
	msg, err := c.Await("search", time.Now().Add(ReplyTimeout))
	if err != nil {
		return Search{}, fmt.Errorf("loadgen: no launch response: %w", err)
	}
	v, err := fastjson.ParseBytes(msg)
	if err != nil {
		return Search{}, fmt.Errorf("loadgen: cannot parse launch response: %w", err)
	}
	if e := v.Get("data", "Error"); e != nil && e.Type() != fastjson.TypeNull {
		return Search{}, fmt.Errorf("loadgen: launch refused: %s", e)
	}
	s := Search{Channel: string(v.GetStringBytes("data", "OutputSearchSubproto")), ID: string(v.GetStringBytes("data", "SearchID"))}
	if s.Channel == "" {
		return Search{}, fmt.Errorf("loadgen: launch response without OutputSearchSubproto: %.300s", msg)
	}
	ack, _ := json.Marshal(map[string]any{"Ok": true, "OutputSearchSubproto": s.Channel})
	if err := c.Send("search", ack); err != nil {
		return Search{}, fmt.Errorf("loadgen: cannot acknowledge launch: %w", err)
	}
	return s, nil
}

// Attach attaches to search id (PROTOCOL.md §3.6).
func (c *Conn) Attach(id string) (Search, error) {
	b, _ := json.Marshal(map[string]string{"ID": id})
	if err := c.Send("attach", b); err != nil {
		return Search{}, fmt.Errorf("loadgen: cannot send attach: %w", err)
	}
	msg, err := c.Await("attach", time.Now().Add(ReplyTimeout))
	if err != nil {
		return Search{}, fmt.Errorf("loadgen: no attach response: %w", err)
	}
	v, err := fastjson.ParseBytes(msg)
	if err != nil {
		return Search{}, fmt.Errorf("loadgen: cannot parse attach response: %w", err)
	}
	if e := v.Get("data", "Error"); e != nil && e.Type() != fastjson.TypeNull {
		return Search{}, fmt.Errorf("loadgen: attach refused: %s", e)
	}
	s := Search{Channel: string(v.GetStringBytes("data", "Subproto")), ID: id}
	if s.Channel == "" {
		return Search{}, fmt.Errorf("loadgen: attach response without Subproto: %.300s", msg)
	}
	return s, nil
}

// Request sends a render-module request on s's channel and returns the reply, failing on
// RESP_ERROR.
func (c *Conn) Request(s Search, req []byte) ([]byte, error) {
	if err := c.Send(s.Channel, req); err != nil {
		return nil, err
	}
	msg, err := c.Await(s.Channel, time.Now().Add(ReplyTimeout))
	if err != nil {
		return nil, err
	}
	if id, _ := fieldUint(msg, "ID"); id == respError {
		return nil, fmt.Errorf("loadgen: RESP_ERROR: %s", field(msg, "Error"))
	}
	return msg, nil
}

// WaitFinished polls REQ_ENTRY_COUNT until the search reports Finished, and returns its
// EntryCount.
func (c *Conn) WaitFinished(s Search, poll time.Duration, deadline time.Time) (uint64, error) {
	for {
		msg, err := c.Request(s, []byte(`{"ID":3}`))
		if err != nil {
			return 0, fmt.Errorf("loadgen: entry count: %w", err)
		}
		if fin, _ := fieldBool(msg, "Finished"); fin {
			n, _ := fieldUint(msg, "EntryCount")
			return n, nil
		}
		if time.Now().After(deadline) {
			return 0, errors.New("loadgen: search did not finish before the deadline")
		}
		time.Sleep(poll)
	}
}

// StreamStats is what one REQ_STREAMING drain received.
type StreamStats struct {
	Entries  uint64
	Bytes    uint64 // message payload bytes on the output channel
	Messages uint64
}

// Stream sends REQ_STREAMING and reads blocks until the empty Finished block (PROTOCOL.md §6).
// With verify, every block is fully parsed and its Entries counted against EntryCount.
func (c *Conn) Stream(s Search, deadline time.Time, verify bool) (StreamStats, error) {
	var st StreamStats
	if err := c.Send(s.Channel, []byte(`{"ID":17}`)); err != nil {
		return st, err
	}
	c.SetReadDeadline(deadline)
	var p fastjson.Parser
	for {
		msg, err := c.ReadMessage()
		if err != nil {
			return st, fmt.Errorf("loadgen: stream: %w", err)
		}
		if string(field(msg, "type")) != s.Channel {
			continue
		}
		st.Messages++
		st.Bytes += uint64(len(msg))
		id, _ := fieldUint(msg, "ID")
		switch id {
		case reqStreaming:
		case respError:
			return st, fmt.Errorf("loadgen: stream: RESP_ERROR: %s", field(msg, "Error"))
		default:
			continue // a reply to something else
		}
		n, ok := fieldUint(msg, "EntryCount")
		if !ok {
			return st, fmt.Errorf("loadgen: stream block without EntryCount: %.200s", msg)
		}
		fin, _ := fieldBool(msg, "Finished")
		if verify {
			v, err := p.ParseBytes(msg)
			if err != nil {
				return st, fmt.Errorf("loadgen: stream block is not JSON: %w", err)
			}
			if got := len(v.GetArray("data", "Entries")); uint64(got) != n || v.GetBool("data", "Finished") != fin {
				return st, fmt.Errorf("loadgen: verify: block has %d entries, EntryCount %d, Finished %v", got, n, fin)
			}
		}
		if fin {
			if n != 0 {
				return st, fmt.Errorf("loadgen: terminator with EntryCount %d", n)
			}
			return st, nil
		}
		st.Entries += n
	}
}

// Page is one REQ_GET_ENTRIES reply's figures.
type Page struct {
	First, Last uint64 // EntryRange echoed by the server (after its clamp)
	Entries     uint64 // entries in the reply: the echoed range within EntryCount
	More        bool   // AdditionalEntries
	Bytes       int
}

// GetEntries sends REQ_GET_ENTRIES for [first, last) and reads the reply (PROTOCOL.md §4.5.5).
func (c *Conn) GetEntries(s Search, first, last uint64, verify bool, p *fastjson.Parser) (Page, error) {
	req := make([]byte, 0, 80)
	req = append(req, `{"ID":16,"EntryRange":{"First":`...)
	req = strconv.AppendUint(req, first, 10)
	req = append(req, `,"Last":`...)
	req = strconv.AppendUint(req, last, 10)
	req = append(req, `}}`...)
	msg, err := c.Request(s, req)
	if err != nil {
		return Page{}, err
	}
	if id, _ := fieldUint(msg, "ID"); id != reqGetEntries {
		return Page{}, fmt.Errorf("loadgen: GET_ENTRIES reply has ID %d", id)
	}
	pg := Page{Bytes: len(msg)}
	pg.First, _ = subField(msg, "EntryRange", "First")
	pg.Last, _ = subField(msg, "EntryRange", "Last")
	pg.More, _ = fieldBool(msg, "AdditionalEntries")
	total, _ := fieldUint(msg, "EntryCount")
	pg.Entries = min(pg.Last, total) - min(pg.First, total)
	if verify {
		v, err := p.ParseBytes(msg)
		if err != nil {
			return Page{}, fmt.Errorf("loadgen: page is not JSON: %w", err)
		}
		n := uint64(len(v.GetArray("data", "Entries")))
		if n != pg.Entries || v.GetUint64("data", "EntryRange", "First") != pg.First || v.GetBool("data", "AdditionalEntries") != pg.More {
			return Page{}, fmt.Errorf("loadgen: verify: page [%d,%d) of %d has %d entries", pg.First, pg.Last, total, n)
		}
	}
	return pg, nil
}
