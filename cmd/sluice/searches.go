package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

const attachUsage = `usage: sluice attach [flags] ID

Attaches to the live search ID (sluice searches lists them; sluice background starts one),
waits for it to finish and prints its results exactly as sluice search does.`

// runAttach prints the results of a live search.
func runAttach(ctx context.Context, g *globalFlags, args []string) error {
	var of outFlags
	fs := newFlagSet("attach", attachUsage, g)
	of.add(fs)
	zone := fs.String("timezone", "Local", "`ZONE` for times shown: Local, UTC or an IANA name")
	pos, err := parseArgs(fs, args, 1, "ID")
	if err != nil {
		return err
	}
	if err := of.check(); err != nil {
		return err
	}
	loc, err := loadZone(*zone)
	if err != nil {
		return err
	}
	c, err := dialSearch(ctx, g)
	if err != nil {
		return err
	}
	defer c.Close()
	h, err := c.attach(pos[0])
	if err != nil {
		return err
	}
	defer h.close()
	return printResults(ctx, g, h, &of, loc)
}

const backgroundUsage = `usage: sluice background [flags] QUERY

Launches QUERY as a background search: it keeps running, and keeps its results, after sluice
exits, until it is deleted (sluice delete ID). Prints the search ID; sluice attach ID prints the
results, sluice searches shows its state.`

// runBackground launches a background search and prints its ID.
func runBackground(ctx context.Context, g *globalFlags, args []string) error {
	var sf searchFlags
	fs := newFlagSet("background", backgroundUsage, g)
	sf.add(fs)
	pos, err := parseArgs(fs, args, 1, "QUERY")
	if err != nil {
		return err
	}
	h, done, err := sf.open(ctx, g, pos[0], true)
	if err != nil {
		return err
	}
	defer done()
	// A background search must not be closed: leaving without REQ_CLOSE keeps it (§3.7).
	fmt.Fprintln(g.stdout(), h.id)
	fmt.Fprintf(g.stderr(), "search %s runs in the background: sluice attach %s prints its results, sluice delete %s ends it\n", h.id, h.id, h.id)
	return nil
}

// httpDo sends an authenticated request to the server's REST API and decodes a JSON reply
// into v; a refusal becomes an error with the server's message.
func httpDo(ctx context.Context, g *globalFlags, method, path string, v any) error {
	target, err := httpURL(g.Server, path)
	if err != nil {
		return usageErr(err.Error())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, nil)
	if err != nil {
		return err
	}
	if g.Token != "" {
		req.Header.Set("Authorization", "Bearer "+g.Token)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return errInterrupted
		}
		return fmt.Errorf("cannot reach %s: %w (is sluiced running? set -server or SLUICE_SERVER)", target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("cannot read the reply of %s: %w", target, err)
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return authError(resp.Status, g)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return errors.New(e.Error)
		}
		return fmt.Errorf("%s %s: %s: %s", method, target, resp.Status, truncate(strings.TrimSpace(string(body)), 200))
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%s %s: the reply is not the JSON expected: %w", method, target, err)
	}
	return nil
}

const searchesUsage = `usage: sluice searches [flags]

Lists the live searches you may see (GET /api/searchctrl), newest first: ID, state (ACTIVE with
consumers attached, else DORMANT; BACKGROUNDED, SAVED), progress (pending, running, finished),
consumers attached, when it was launched, its range and query.`

// searchStatus is one element of GET /api/searchctrl (Gravwell's SearchCtrlStatus, plus
// sluice's Name and Progress).
type searchStatus struct {
	ID                   string
	State                string
	Progress             string
	AttachedClients      int
	UserQuery            string
	Name                 string
	StartRange, EndRange time.Time
	LaunchInfo           struct {
		Started time.Time `json:"started"`
	}
}

// runSearches lists the live searches.
func runSearches(ctx context.Context, g *globalFlags, args []string) error {
	fs := newFlagSet("searches", searchesUsage, g)
	format := fs.String("o", fmtTable, "output `FORMAT`: table or ndjson (the server's objects)")
	zone := fs.String("timezone", "Local", "`ZONE` for times shown: Local, UTC or an IANA name")
	if _, err := parseArgs(fs, args, 0, "no"); err != nil {
		return err
	}
	if *format != fmtTable && *format != fmtNDJSON {
		return usageErr(fmt.Sprintf("unknown -o %q: want table or ndjson", *format))
	}
	loc, err := loadZone(*zone)
	if err != nil {
		return err
	}
	var raw []json.RawMessage
	if err := httpDo(ctx, g, http.MethodGet, "/api/searchctrl", &raw); err != nil {
		return err
	}
	out := g.stdout()
	if *format == fmtNDJSON {
		for _, r := range raw {
			if _, err := fmt.Fprintf(out, "%s\n", r); err != nil {
				return err
			}
		}
		return nil
	}
	list := make([]searchStatus, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal(r, &list[i]); err != nil {
			return fmt.Errorf("GET /api/searchctrl: an element is not a search status: %w", err)
		}
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].LaunchInfo.Started.After(list[j].LaunchInfo.Started) })
	if len(list) == 0 {
		fmt.Fprintln(g.stderr(), "no live searches")
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tPROGRESS\tCONSUMERS\tLAUNCHED\tRANGE\tQUERY")
	const layout = "2006-01-02 15:04:05"
	for _, s := range list {
		q := string(appendTerminalSafe(nil, s.UserQuery))
		if s.Name != "" {
			q = string(appendTerminalSafe(nil, s.Name)) + ": " + q
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s → %s\t%s\n", s.ID, s.State, s.Progress, s.AttachedClients,
			s.LaunchInfo.Started.In(loc).Format(layout), s.StartRange.In(loc).Format(layout), s.EndRange.In(loc).Format(layout), q)
	}
	return tw.Flush()
}

// runDelete deletes a live search.
func runDelete(ctx context.Context, g *globalFlags, args []string) error {
	fs := newFlagSet("delete", "usage: sluice delete ID\n\nDeletes the live search ID (DELETE /api/searchctrl/ID): it stops and its results are discarded.", g)
	pos, err := parseArgs(fs, args, 1, "ID")
	if err != nil {
		return err
	}
	var r map[string]any
	if err := httpDo(ctx, g, http.MethodDelete, "/api/searchctrl/"+pos[0], &r); err != nil {
		return err
	}
	fmt.Fprintln(g.stderr(), "deleted search", pos[0])
	return nil
}

const tagsUsage = `usage: sluice tags [flags]

Lists the tags that hold entries in the range (default: all time), with their entry counts,
largest first. It runs the search "tag=* count by TAG | table TAG count".`

// runTags lists tags with their counts.
func runTags(ctx context.Context, g *globalFlags, args []string) error {
	var sf searchFlags
	fs := newFlagSet("tags", tagsUsage, g)
	sf.add(fs)
	format := fs.String("o", fmtTable, "output `FORMAT`: table, ndjson or csv")
	if _, err := parseArgs(fs, args, 0, "no"); err != nil {
		return err
	}
	if *format != fmtTable && *format != fmtNDJSON && *format != fmtCSV {
		return usageErr(fmt.Sprintf("unknown -o %q: want table, ndjson or csv", *format))
	}
	if sf.start == "" && sf.since == "" {
		sf.start = "1970-01-01T00:00:00Z"
	}
	h, done, err := sf.open(ctx, g, "tag=* count by TAG | table TAG count", false)
	if err != nil {
		return err
	}
	defer done()
	if err := h.wait(ctx, nil); err != nil {
		return err
	}
	type tagCount struct {
		name  string
		count uint64
	}
	var tags []tagCount
	var first uint64
	for {
		v, err := h.requestValue(map[string]any{"ID": reqGetEntries, "EntryRange": map[string]any{"First": first, "Last": first + 10000}})
		if err != nil {
			return err
		}
		rows := v.Get("Entries").GetArray("Rows")
		for _, r := range rows {
			cells := r.GetArray("Row")
			if len(cells) != 2 {
				continue
			}
			// The server names the TAG cell (a store tag ID) itself.
			name := string(cells[0].GetStringBytes())
			n, _ := strconv.ParseUint(string(cells[1].GetStringBytes()), 10, 64)
			tags = append(tags, tagCount{name, n})
		}
		first += uint64(len(rows))
		if len(rows) == 0 || !v.GetBool("AdditionalEntries") {
			break
		}
	}
	sort.Slice(tags, func(i, j int) bool {
		if tags[i].count != tags[j].count {
			return tags[i].count > tags[j].count
		}
		return tags[i].name < tags[j].name
	})
	out := g.stdout()
	switch *format {
	case fmtNDJSON:
		for _, t := range tags {
			b, _ := json.Marshal(map[string]any{"Tag": t.name, "Count": t.count})
			fmt.Fprintf(out, "%s\n", b)
		}
	case fmtCSV:
		fmt.Fprintln(out, "tag,count")
		for _, t := range tags {
			fmt.Fprintf(out, "%s,%d\n", t.name, t.count)
		}
	default:
		nameW, countW := len("TAG"), len("ENTRIES")
		for _, t := range tags {
			nameW, countW = max(nameW, len(t.name)), max(countW, len(thousands(t.count)))
		}
		fmt.Fprintf(out, "%-*s  %*s\n", nameW, "TAG", countW, "ENTRIES")
		for _, t := range tags {
			fmt.Fprintf(out, "%-*s  %*s\n", nameW, t.name, countW, thousands(t.count))
		}
	}
	return h.verdict(0, false)
}
