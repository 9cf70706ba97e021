package main

import (
	"bufio"
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/valyala/fastjson"

	"github.com/sluicehq/sluice/engine/search"
)

// followOverlap is how far back each -follow round reaches before the end of the previous
// one, so an entry stored up to this long after its own timestamp is still shown; entries
// already printed are recognised and skipped.
const followOverlap = 10 * time.Second

// followBacklog is how many stored entries -follow prints before new ones when -limit is 0.
const followBacklog = 100

// runFollow prints the newest entries of query (at most -limit, default followBacklog,
// oldest first) and then, every interval, the entries stored since, like tail -f. It ends on
// Ctrl-C; problems the server reports on the way are printed at once and decide the exit
// code.
func runFollow(ctx context.Context, g *globalFlags, query string, start time.Time, sf *searchFlags, of *outFlags, interval time.Duration) error {
	c, err := dialSearch(ctx, g)
	if err != nil {
		return err
	}
	defer c.Close()
	f := &follower{g: g, of: of, seen: map[uint64]int64{}}
	f.out = bufio.NewWriterSize(g.stdout(), 1<<16)
	backlog := of.limit
	if backlog == 0 {
		backlog = followBacklog
	}
	end := time.Now()
	var worst *incompleteError
	said := map[string]bool{}
	for round := 0; ; round++ {
		h, err := c.launch(query, start, end, false)
		if err != nil {
			if ctx.Err() != nil {
				break // Ctrl-C is how -follow ends
			}
			return err
		}
		if round == 0 {
			if cond := condensedBy(h.query); cond != "" || !isEntryRenderer(h.renderer) {
				h.close()
				if cond == "" {
					cond = "renders as " + h.renderer
				} else {
					cond = "condenses with " + cond
				}
				return usageErr("-follow prints entries as they are stored; this query " + cond + " (use a query of extraction and filtering modules, rendered as text, raw or hex)")
			}
			format := of.format
			if format == "" {
				format = fmtTable
			}
			if f.w, err = newPageWriter(f.out, h.renderer, outOpts{format: format, wire: of.wire, loc: sf.loc, width: g.terminalWidth()}); err != nil {
				h.close()
				return err
			}
		}
		if round == 0 {
			// Said at run time, not only in the help: what -follow cannot show.
			fmt.Fprintf(g.stderr(), "sluice: following every %s; an entry stored more than %s after its own timestamp is not shown (search its time range to see it); Ctrl-C ends\n",
				interval, followOverlap)
		}
		err = f.round(ctx, h, backlog, round == 0)
		if err == nil {
			if perr := h.verdict(0, false); perr != nil {
				if ie, ok := perr.(*incompleteError); ok {
					if msg := ie.Error(); !said[msg] { // each problem once, not every round
						said[msg] = true
						fmt.Fprintln(g.stderr(), "sluice:", msg)
					}
					if worst == nil || ie.code == exitFailed {
						worst = ie
					}
				} else {
					err = perr
				}
			}
		}
		h.close()
		if err != nil {
			if err == errInterrupted || ctx.Err() != nil {
				break
			}
			return err
		}
		f.prune(end.Add(-followOverlap))
		select {
		case <-ctx.Done():
		case <-time.After(interval):
		}
		if ctx.Err() != nil {
			break
		}
		start, end = end.Add(-followOverlap), time.Now()
	}
	if f.w != nil {
		f.w.finish()
		f.out.Flush()
	}
	if worst != nil {
		return worst
	}
	return nil
}

// isEntryRenderer reports whether renderer returns entries (SearchEntry lists).
func isEntryRenderer(renderer string) bool {
	switch renderer {
	case "text", "raw", "hex", "pcap":
		return true
	}
	return false
}

// condensedBy returns the first module of query that condenses (aggregates or sorts), or ""
// when none does or the query does not parse here.
func condensedBy(query string) string {
	q, err := search.Parse(query)
	if err != nil {
		return ""
	}
	for _, m := range q.Modules {
		if m.Condensing && !m.Implicit {
			return m.Name
		}
	}
	return ""
}

// follower prints the rounds of a -follow search.
type follower struct {
	g    *globalFlags
	of   *outFlags
	out  *bufio.Writer
	w    pageWriter
	seen map[uint64]int64 // fingerprint of an entry printed → its timestamp (ns)
	// floor is the timestamp (ns) below which nothing is printed: the oldest entry of a
	// backlog cut short by -limit, so later rounds do not print what the backlog left out.
	floor  int64
	parser fastjson.Parser
	buf    []byte
}

type heldEntry struct {
	ts   int64
	json []byte
}

// round fetches every result of h (at most limit on the first round, the newest) that has not
// been printed yet and prints them oldest first.
func (f *follower) round(ctx context.Context, h *searchHandle, limit int, first bool) error {
	if err := h.wait(ctx, nil); err != nil {
		return err
	}
	var held []heldEntry
	var tags []byte
	var next uint64
	for {
		last := next + uint64(f.of.page)
		if first {
			last = min(last, uint64(limit))
		}
		v, err := h.requestValue(map[string]any{"ID": reqGetEntries, "EntryRange": map[string]any{"First": next, "Last": last}})
		if err != nil {
			return err
		}
		if t := v.Get("Tags"); t != nil {
			tags = t.MarshalTo(tags[:0])
		}
		arr := v.GetArray("Entries")
		for _, e := range arr {
			ts, err := time.Parse(time.RFC3339Nano, string(e.GetStringBytes("TS")))
			if err != nil {
				return fmt.Errorf("entry TS %q is not RFC 3339", e.GetStringBytes("TS"))
			}
			hf := fnv.New64a()
			hf.Write(e.GetStringBytes("TS"))
			hf.Write(e.GetStringBytes("SRC"))
			hf.Write(e.GetStringBytes("Data"))
			fmt.Fprint(hf, e.GetInt("Tag"))
			key := hf.Sum64()
			if _, dup := f.seen[key]; dup || ts.UnixNano() < f.floor {
				continue
			}
			f.seen[key] = ts.UnixNano()
			held = append(held, heldEntry{ts.UnixNano(), e.MarshalTo(nil)})
		}
		next += uint64(len(arr))
		if len(arr) == 0 || !v.GetBool("AdditionalEntries") || (first && next >= uint64(limit)) {
			break
		}
	}
	if len(held) == 0 {
		return nil
	}
	slices.SortStableFunc(held, func(a, b heldEntry) int {
		switch {
		case a.ts < b.ts:
			return -1
		case a.ts > b.ts:
			return 1
		}
		return 0
	})
	if first && next >= uint64(limit) {
		f.floor = held[0].ts
	}
	f.buf = append(f.buf[:0], `{"Tags":`...)
	if len(tags) == 0 {
		tags = append(tags, "{}"...)
	}
	f.buf = append(f.buf, tags...)
	f.buf = append(f.buf, `,"Entries":[`...)
	for i, e := range held {
		if i > 0 {
			f.buf = append(f.buf, ',')
		}
		f.buf = append(f.buf, e.json...)
	}
	f.buf = append(f.buf, ']', '}')
	v, err := f.parser.ParseBytes(f.buf)
	if err != nil {
		return fmt.Errorf("BUG: follow page does not parse: %w", err)
	}
	if _, err := f.w.page(v); err != nil {
		return err
	}
	return f.out.Flush()
}

// prune forgets the fingerprints of entries older than before: no later round reaches them.
func (f *follower) prune(before time.Time) {
	cut := before.UnixNano()
	for k, ts := range f.seen {
		if ts < cut {
			delete(f.seen, k)
		}
	}
}
