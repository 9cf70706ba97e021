package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/sluicehq/sluice/engine/search"
)

// runHelp is "sluice help [TOPIC]". Topics: query, filters, renderers, time, exit, a module or
// renderer name, or a command name. The query language text is generated from the parser's
// own module table and renderer list (engine/search ModuleDocs, RendererDocs), so it cannot
// drift from what the server accepts.
func runHelp(ctx context.Context, g *globalFlags, args []string) error {
	out := g.stdout()
	if len(args) == 0 {
		overview(out)
		return nil
	}
	if len(args) > 1 {
		return usageErr("help takes one topic: sluice help query, sluice help MODULE, sluice help COMMAND")
	}
	topic := strings.TrimLeft(args[0], "-")
	switch topic {
	case "query", "language", "modules":
		helpQuery(out)
		return nil
	case "filters":
		helpFilters(out)
		return nil
	case "renderers":
		helpRenderers(out)
		return nil
	case "time", "times":
		fmt.Fprintf(out, "Time expressions for -start and -end (default -start -24h -end now), read in -timezone\n(default the local zone; -timezone UTC or an IANA name such as Europe/Berlin):\n\n%s\n\nThe start must be before the end; an empty range (start = end) is refused.\n", timeSyntax)
		return nil
	case "exit", "exit-codes":
		helpExit(out)
		return nil
	case "h", "help":
		overview(out)
		return nil
	}
	if d, ok := search.LookupDoc(topic); ok {
		helpModule(out, d)
		return nil
	}
	if c, ok := findCommand(topic); ok {
		if c.name == "help" {
			overview(out)
			return nil
		}
		// The command prints its own usage and flags for -h.
		sub := *g
		sub.Stderr = out
		err := c.run(ctx, &sub, []string{"-h"})
		if err == flag.ErrHelp {
			return nil
		}
		return err
	}
	return usageErr(fmt.Sprintf("no help for %q: try sluice help query, a module (sluice help count), a renderer (sluice help chart) or a command (sluice help search)", topic))
}

// helpQuery prints the query language: structure, then every module by kind, filters,
// renderers and times, each with an example.
func helpQuery(w io.Writer) {
	fmt.Fprint(w, `The query language

A query names tags, then modules joined by |, and may end in a renderer:

  tag=syslog syslog Appname==sshd Hostname | count by Hostname | table

  tag=NAME[,NAME2,web*]   the tags to read (wildcards allowed; "sluice tags" lists them);
                          without tag= the query reads the tag "default"
  MODULE ARGS | ...       extraction, filtering, aggregation and ordering modules
  RENDERER ARGS           the last module decides the shape of the results (default text)

Modules that condense (aggregations, sort) see every entry before passing anything on.
"sluice help MODULE" shows one module in full.
`)
	docs := search.ModuleDocs()
	kind := ""
	for _, d := range docs {
		if d.Kind != kind {
			kind = d.Kind
			fmt.Fprintf(w, "\n%s modules\n", strings.ToUpper(kind[:1])+kind[1:])
		}
		fmt.Fprintf(w, "\n  %s %s\n      %s\n      e.g. %s\n", d.Name, d.Usage, d.Summary, d.Example)
	}
	fmt.Fprintln(w)
	helpFilters(w)
	fmt.Fprintln(w)
	helpRenderers(w)
	fmt.Fprintf(w, "\nTimes (sluice search -start/-end/-since; sluice help time)\n\n%s\n", timeSyntax)
}

func helpFilters(w io.Writer) {
	fmt.Fprint(w, "Filters\n\nExtraction modules filter on what they extract: FIELD OP VALUE, without spaces or quoted.\n\n")
	for _, f := range search.Filters {
		fmt.Fprintf(w, "  %-3s %s\n", f.Op, f.Meaning)
	}
	fmt.Fprint(w, "\n  e.g. tag=weblog json status>=500 method!=GET path~/api/\n")
}

func helpRenderers(w io.Writer) {
	fmt.Fprint(w, "Renderers (the last module of a query)\n")
	for _, d := range search.RendererDocs() {
		fmt.Fprintf(w, "\n  %s %s\n      %s\n      sluice search shows it as %s\n      e.g. %s\n",
			d.Name, d.Usage, d.Summary, terminalForm(d.Name), d.Example)
	}
}

func helpModule(w io.Writer, d search.Doc) {
	fmt.Fprintf(w, "%s %s\n\n%s\n", d.Name, d.Usage, d.Summary)
	if d.Details != "" {
		fmt.Fprintf(w, "\n%s\n", d.Details)
	}
	switch {
	case d.Kind == "renderer":
		fmt.Fprintf(w, "\nA renderer: the last module of a query. sluice search -o %s prints it as %s.\n",
			strings.Join(formatsFor(d.Name), "|"), terminalForm(d.Name))
	case d.Condense:
		fmt.Fprintf(w, "\nA %s module; it condenses (sees every entry before passing anything on).\n", d.Kind)
	default:
		fmt.Fprintf(w, "\nA %s module.\n", d.Kind)
	}
	fmt.Fprintf(w, "\nExample:\n\n  sluice search '%s'\n", d.Example)
}

// terminalForm says how the default -o table format shows a renderer.
func terminalForm(renderer string) string {
	switch renderer {
	case "text", "raw":
		return "a table of TS, SRC, TAG and DATA (-o raw: the data byte for byte)"
	case "hex", "pcap":
		return "a hex dump of each entry"
	case "table":
		return "aligned columns (a TIME column for \"over\" windows)"
	case "chart":
		return "one sparkline per series with a time axis"
	case "gauge":
		return "big numbers with their names and a bar between min and max"
	case "numbercard":
		return "big numbers with their names"
	}
	return "JSON"
}

func helpExit(w io.Writer) {
	fmt.Fprint(w, "Exit codes of sluice\n\nWhatever the format, anything the server says is missing or wrong with the results is\nprinted to stderr in words, and the exit code says which:\n\n")
	for _, c := range exitCodes {
		fmt.Fprintf(w, "  %3d  %s\n", c.code, c.what)
	}
}

// commandFlags returns the flags a command accepts, read from its own usage output, for
// shell completion.
func commandFlags(ctx context.Context, c command) []string {
	var buf bytes.Buffer
	g := &globalFlags{Stdout: io.Discard, Stderr: &buf}
	c.run(ctx, g, []string{"-h"})
	var flags []string
	for _, line := range strings.Split(buf.String(), "\n") {
		rest, ok := strings.CutPrefix(line, "  -")
		if !ok || rest == "" || rest[0] == ' ' || rest[0] == '-' {
			continue
		}
		name, _, _ := strings.Cut(rest, " ")
		name, _, _ = strings.Cut(name, "\t")
		flags = append(flags, "-"+name)
	}
	return flags
}
