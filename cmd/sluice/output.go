package main

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/valyala/fastjson"

	"github.com/sluicehq/sluice/wire"
)

// Output formats (-o / -format).
const (
	fmtTable  = "table"  // the renderer's terminal form: aligned columns, charts, big numbers, hex dumps
	fmtNDJSON = "ndjson" // one JSON object per result, values keeping their types
	fmtCSV    = "csv"    // a header, then one record per result
	fmtRaw    = "raw"    // entry data exactly as stored, one entry per line
)

// outOpts says how results are printed.
type outOpts struct {
	format  string
	wire    bool           // ndjson: the protocol's own objects (base64 Data, numeric Tag)
	loc     *time.Location // timestamps are shown in this zone
	width   int            // terminal width for charts
	timeCol bool           // table renderer: a TIME column from each row's TS (queries with "over")
}

// pageWriter prints the results of a renderer, one reply (page or stream block) at a time, in
// bounded memory: nothing but the first page (to size table columns) is kept, except by the
// chart and gauge writers whose results are small by nature.
type pageWriter interface {
	// page prints the results in reply v and returns how many it held.
	page(v *fastjson.Value) (int, error)
	// finish prints what is held back (charts, gauges, a short first page) and flushes.
	finish() error
}

// formatsFor lists the formats each renderer family can print, the first being the default.
func formatsFor(renderer string) []string {
	switch renderer {
	case "text", "raw", "hex", "pcap", "table":
		return []string{fmtTable, fmtNDJSON, fmtCSV, fmtRaw}
	case "chart", "gauge", "numbercard":
		return []string{fmtTable, fmtNDJSON, fmtCSV}
	}
	return []string{fmtNDJSON}
}

// newPageWriter returns the writer for renderer in o.format, or a usage error naming the
// formats the renderer supports.
func newPageWriter(out *bufio.Writer, renderer string, o outOpts) (pageWriter, error) {
	ok := false
	for _, f := range formatsFor(renderer) {
		ok = ok || f == o.format
	}
	if !ok {
		if formatsFor(renderer)[0] == fmtNDJSON {
			o.format = fmtNDJSON // unknown renderers: their Entries as JSON
		} else {
			return nil, usageErr(fmt.Sprintf("-o %s cannot show the %s renderer's results: use one of %v", o.format, renderer, formatsFor(renderer)))
		}
	}
	if o.loc == nil {
		o.loc = time.Local
	}
	if o.width <= 0 {
		o.width = 80
	}
	switch renderer {
	case "text", "raw", "hex", "pcap":
		return &entriesWriter{out: out, o: o, hexDump: renderer == "hex" || renderer == "pcap", csv: csv.NewWriter(out),
			cols: colTable{out: out}}, nil
	case "table":
		return &tableWriter{out: out, o: o, csv: csv.NewWriter(out), cols: colTable{out: out}}, nil
	case "chart":
		return &chartWriter{out: out, o: o}, nil
	case "gauge", "numbercard":
		return &gaugeWriter{out: out, o: o, card: renderer == "numbercard"}, nil
	}
	return &jsonWriter{out: out}, nil
}

// tsText formats a protocol timestamp in o's zone: RFC 3339 with milliseconds for the table
// view, with every digit for the machine formats. Text that is not a timestamp is kept.
func (o *outOpts) tsText(dst, ts []byte) []byte {
	t, err := time.Parse(time.RFC3339Nano, string(ts))
	if err != nil {
		return append(dst, ts...)
	}
	if o.format == fmtTable {
		return t.In(o.loc).AppendFormat(dst, "2006-01-02T15:04:05.000Z07:00")
	}
	return t.In(o.loc).AppendFormat(dst, time.RFC3339Nano)
}

// entriesWriter prints SearchEntry lists (text, raw, hex, pcap).
type entriesWriter struct {
	out     *bufio.Writer
	o       outOpts
	hexDump bool
	csv     *csv.Writer
	cols    colTable
	header  bool
	tags    map[int]string // tag number → name, from the reply's Tags
	data    []byte         // scratch: decoded entry data
	line    []byte         // scratch
	ts      []byte
	bcells  [][]byte // scratch: one row's cells, slices of line
}

func (w *entriesWriter) page(v *fastjson.Value) (int, error) {
	if w.tags == nil {
		w.tags = map[int]string{}
	}
	v.Get("Tags").GetObject().Visit(func(k []byte, n *fastjson.Value) { w.tags[n.GetInt()] = string(k) })
	arr := v.GetArray("Entries")
	for _, e := range arr {
		if w.o.format == fmtNDJSON && w.o.wire {
			w.line = append(e.MarshalTo(w.line[:0]), '\n')
			w.out.Write(w.line)
			continue
		}
		var err error
		w.data, err = base64.StdEncoding.AppendDecode(w.data[:0], e.GetStringBytes("Data"))
		if err != nil {
			return 0, fmt.Errorf("entry Data is not base64: %w", err)
		}
		tag, ok := w.tags[e.GetInt("Tag")]
		if !ok {
			tag = strconv.Itoa(e.GetInt("Tag"))
		}
		w.ts = w.o.tsText(w.ts[:0], e.GetStringBytes("TS"))
		src := e.GetStringBytes("SRC")
		switch w.o.format {
		case fmtRaw:
			w.out.Write(w.data)
			w.out.WriteByte('\n')
		case fmtNDJSON:
			w.line = appendEntryJSON(w.line[:0], w.ts, src, tag, w.data, e.GetArray("Enumerated"))
			w.out.Write(w.line)
		case fmtCSV:
			if !w.header {
				w.header = true
				w.csv.Write([]string{"TS", "SRC", "TAG", "DATA"})
			}
			w.csv.Write([]string{string(w.ts), string(src), tag, string(w.data)})
		default:
			if w.hexDump {
				w.line = append(w.line[:0], w.ts...)
				w.line = append(w.line, "  "...)
				w.line = appendTerminalSafe(w.line, src)
				w.line = append(w.line, "  "...)
				w.line = appendTerminalSafe(w.line, tag)
				w.line = append(w.line, "  "...)
				w.line = strconv.AppendInt(w.line, int64(len(w.data)), 10)
				w.line = append(w.line, " bytes\n"...)
				w.out.Write(w.line)
				d := hex.Dumper(w.out)
				d.Write(w.data)
				d.Close()
				w.out.WriteByte('\n')
				continue
			}
			if !w.header {
				w.header = true
				w.cols.setHeader([]string{"TS", "SRC", "TAG", "DATA"})
			}
			// The cells are escaped into one scratch buffer, then sliced: no allocation per row
			// once the columns are sized.
			w.line = append(w.line[:0], w.ts...)
			a := len(w.line)
			w.line = appendTerminalSafe(w.line, src)
			b := len(w.line)
			w.line = appendTerminalSafe(w.line, tag)
			c := len(w.line)
			w.line = appendTerminalSafe(w.line, w.data)
			w.bcells = append(w.bcells[:0], w.line[:a], w.line[a:b], w.line[b:c], w.line[c:])
			w.cols.rowBytes(w.bcells)
		}
	}
	return len(arr), endPage(&w.cols, w.o, w.csv)
}

// endPage ends a page of a table view, or flushes the CSV writer, and reports its error.
func endPage(cols *colTable, o outOpts, w *csv.Writer) error {
	cols.endPage()
	if o.format == fmtCSV {
		w.Flush()
		return w.Error()
	}
	return nil
}

func (w *entriesWriter) finish() error {
	return endPage(&w.cols, w.o, w.csv)
}

// appendEntryJSON appends one entry as the NDJSON object sluice prints for search -o ndjson
// and stream: {"TS","SRC","Tag" (the name),"Data" (the text),"Enumerated":{name: typed value}}.
// Data that is not UTF-8 is written in base64 with "DataEncoding":"base64", never altered.
func appendEntryJSON(dst, ts, src []byte, tag string, data []byte, evs []*fastjson.Value) []byte {
	dst = append(dst, `{"TS":`...)
	dst = wire.AppendString(dst, ts)
	dst = append(dst, `,"SRC":`...)
	dst = wire.AppendString(dst, src)
	dst = append(dst, `,"Tag":`...)
	dst = wire.AppendString(dst, tag)
	dst = append(dst, `,"Data":`...)
	if utf8.Valid(data) {
		dst = wire.AppendString(dst, data)
	} else {
		dst = wire.AppendBase64(dst, data)
		dst = append(dst, `,"DataEncoding":"base64"`...)
	}
	dst = append(dst, `,"Enumerated":{`...)
	for i, ev := range evs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = wire.AppendString(dst, ev.GetStringBytes("Name"))
		dst = append(dst, ':')
		dst = appendTypedValue(dst, ev)
	}
	return append(dst, '}', '}', '\n')
}

// appendTypedValue appends an EnumeratedPair's value with its JSON type: integers and finite
// floats as numbers, bools as booleans, everything else as its ValueStr text (PROTOCOL.md §5.3).
func appendTypedValue(dst []byte, ev *fastjson.Value) []byte {
	str := ev.GetStringBytes("ValueStr")
	val := ev.Get("Value")
	typ := val.GetInt("Type")
	switch {
	case typ == int(wire.TypeBool):
		if string(str) == "true" || string(str) == "false" {
			return append(dst, str...)
		}
	case typ >= int(wire.TypeByte) && typ <= int(wire.TypeUint64):
		if isJSONNumber(string(str)) {
			return append(dst, str...)
		}
	case typ == int(wire.TypeFloat32) || typ == int(wire.TypeFloat64):
		raw, err := base64.StdEncoding.DecodeString(string(val.GetStringBytes("Data")))
		if err == nil {
			var f float64
			switch len(raw) {
			case 4:
				f = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw)))
			case 8:
				f = math.Float64frombits(binary.LittleEndian.Uint64(raw))
			default:
				f = math.NaN()
			}
			if !math.IsNaN(f) && !math.IsInf(f, 0) {
				return wire.AppendFloat(dst, f)
			}
		}
	}
	return wire.AppendString(dst, str)
}

// tableWriter prints the table renderer's rows.
type tableWriter struct {
	out     *bufio.Writer
	o       outOpts
	csv     *csv.Writer
	cols    colTable
	columns []string
	cells   []string
	line    []byte
	ts      []byte
}

func (w *tableWriter) page(v *fastjson.Value) (int, error) {
	entries := v.Get("Entries")
	if w.columns == nil {
		w.columns = []string{}
		if w.o.timeCol {
			w.columns = append(w.columns, "TIME")
		}
		for _, c := range entries.GetArray("Columns") {
			w.columns = append(w.columns, string(c.GetStringBytes()))
		}
		switch w.o.format {
		case fmtCSV:
			w.csv.Write(w.columns)
		case fmtTable:
			hdr := make([]string, len(w.columns))
			for i, c := range w.columns {
				hdr[i] = string(appendTerminalSafe(nil, c))
			}
			w.cols.setHeader(hdr)
		}
	}
	rows := entries.GetArray("Rows")
	for _, row := range rows {
		w.cells = w.cells[:0]
		if w.o.timeCol {
			w.ts = w.o.tsText(w.ts[:0], row.GetStringBytes("TS"))
			w.cells = append(w.cells, string(w.ts))
		}
		for _, c := range row.GetArray("Row") {
			w.cells = append(w.cells, string(c.GetStringBytes()))
		}
		switch w.o.format {
		case fmtNDJSON:
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
				if isJSONNumber(cell) && !(w.o.timeCol && i == 0) {
					w.line = append(w.line, cell...)
				} else {
					w.line = wire.AppendString(w.line, cell)
				}
			}
			w.line = append(w.line, '}', '\n')
			w.out.Write(w.line)
		case fmtCSV:
			w.csv.Write(w.cells)
		case fmtRaw:
			for i, c := range w.cells {
				if i > 0 {
					w.out.WriteByte('\t')
				}
				w.out.WriteString(c)
			}
			w.out.WriteByte('\n')
		default:
			for i, c := range w.cells {
				w.cells[i] = string(appendTerminalSafe(w.line[:0], c))
			}
			w.cols.row(w.cells)
		}
	}
	return len(rows), endPage(&w.cols, w.o, w.csv)
}

func (w *tableWriter) finish() error {
	return endPage(&w.cols, w.o, w.csv)
}

// jsonWriter prints the Entries of renderers without a terminal form, one JSON document per
// reply.
type jsonWriter struct {
	out  *bufio.Writer
	line []byte
}

func (w *jsonWriter) page(v *fastjson.Value) (int, error) {
	e := v.Get("Entries")
	if e == nil {
		return 0, nil
	}
	w.line = append(e.MarshalTo(w.line[:0]), '\n')
	w.out.Write(w.line)
	return 0, nil
}

func (w *jsonWriter) finish() error { return nil }

// colTable prints aligned columns as rows arrive: the column widths are fixed from the header
// and the first page of rows (held until endPage), and every later row is printed at once, so
// memory stays bounded by one page however many rows follow. A cell wider than its column
// pushes the rest of its row to the right rather than being cut; the last column is never
// padded.
type colTable struct {
	out     *bufio.Writer
	header  []string
	widths  []int
	pending [][]string
	sized   bool
}

// maxColWidth caps the width a column is sized to from its first page.
const maxColWidth = 48

func (t *colTable) setHeader(h []string) { t.header = h }

func (t *colTable) row(cells []string) {
	if t.sized {
		t.print(cells)
		return
	}
	t.pending = append(t.pending, append([]string(nil), cells...))
}

// endPage fixes the widths after the first page and prints what was held.
func (t *colTable) endPage() {
	if t.sized || (t.header == nil && len(t.pending) == 0) {
		return
	}
	t.sized = true
	n := len(t.header)
	for _, r := range t.pending {
		n = max(n, len(r))
	}
	t.widths = make([]int, n)
	measure := func(r []string) {
		for i, c := range r {
			t.widths[i] = max(t.widths[i], min(utf8.RuneCountInString(c), maxColWidth))
		}
	}
	measure(t.header)
	for _, r := range t.pending {
		measure(r)
	}
	if t.header != nil {
		t.print(t.header)
	}
	for _, r := range t.pending {
		t.print(r)
	}
	t.pending = nil
}

// rowBytes is row for cells in scratch buffers: printed at once when the widths are fixed,
// else copied.
func (t *colTable) rowBytes(cells [][]byte) {
	if !t.sized {
		r := make([]string, len(cells))
		for i, c := range cells {
			r[i] = string(c)
		}
		t.pending = append(t.pending, r)
		return
	}
	pad := 0
	for i, c := range cells {
		for range pad {
			t.out.WriteByte(' ')
		}
		t.out.Write(c)
		pad = 2
		if i < len(t.widths) {
			pad += t.widths[i] - utf8.RuneCount(c)
		}
		pad = max(pad, 1)
	}
	t.out.WriteByte('\n')
}

func (t *colTable) print(cells []string) {
	pad := 0
	for i, c := range cells {
		for range pad {
			t.out.WriteByte(' ')
		}
		t.out.WriteString(c)
		pad = 2
		if i < len(t.widths) {
			pad += t.widths[i] - utf8.RuneCountInString(c)
		}
		pad = max(pad, 1)
	}
	t.out.WriteByte('\n')
}
