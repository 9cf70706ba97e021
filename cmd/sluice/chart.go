package main

import (
	"bufio"
	"encoding/csv"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/valyala/fastjson"

	"github.com/sluicehq/sluice/wire"
)

// chartWriter gathers a ChartableValueSet (PROTOCOL.md §5.6) and prints it at the end: as a
// sparkline table with a time axis (one row per series), as one NDJSON object per time slice,
// or as CSV with a column per series.
type chartWriter struct {
	out    *bufio.Writer
	o      outOpts
	names  []string
	ts     []string
	values [][]float64 // per time slice, one value per series; NaN when missing
}

func (w *chartWriter) page(v *fastjson.Value) (int, error) {
	e := v.Get("Entries")
	if w.names == nil {
		w.names = []string{}
		for _, n := range e.GetArray("Names") {
			w.names = append(w.names, string(n.GetStringBytes()))
		}
	}
	slices := e.GetArray("Values")
	for _, s := range slices {
		w.ts = append(w.ts, string(s.GetStringBytes("TS")))
		row := make([]float64, len(w.names))
		data := s.GetArray("Data")
		for i := range row {
			row[i] = math.NaN()
			if i < len(data) && data[i].Type() == fastjson.TypeNumber {
				row[i] = data[i].GetFloat64()
			}
		}
		w.values = append(w.values, row)
	}
	return len(slices), nil
}

func (w *chartWriter) finish() error {
	switch w.o.format {
	case fmtNDJSON:
		var line []byte
		for i, ts := range w.ts {
			line = append(line[:0], `{"TS":`...)
			line = wire.AppendString(line, w.o.tsText(nil, []byte(ts)))
			for j, name := range w.names {
				line = append(line, ',')
				line = wire.AppendString(line, name)
				line = append(line, ':')
				line = wire.AppendFloat(line, w.values[i][j]) // NaN (no point) is null
			}
			line = append(line, '}', '\n')
			w.out.Write(line)
		}
		return nil
	case fmtCSV:
		c := csv.NewWriter(w.out)
		c.Write(append([]string{"TS"}, w.names...))
		rec := make([]string, len(w.names)+1)
		for i, ts := range w.ts {
			rec[0] = string(w.o.tsText(nil, []byte(ts)))
			for j := range w.names {
				rec[j+1] = ""
				if f := w.values[i][j]; !math.IsNaN(f) {
					rec[j+1] = strconv.FormatFloat(f, 'f', -1, 64)
				}
			}
			c.Write(rec)
		}
		c.Flush()
		return c.Error()
	}
	w.sparklines()
	return nil
}

// sparkBlocks are the eight heights of a sparkline cell, lowest first.
var sparkBlocks = []rune("▁▂▃▄▅▆▇█")

// sparklines prints one row per series: name, min, max, last, and a sparkline whose columns
// are time buckets (several slices averaged when there are more slices than columns), then a
// time axis under the sparklines.
func (w *chartWriter) sparklines() {
	if len(w.names) == 0 || len(w.ts) == 0 {
		w.out.WriteString("(no data: the chart is empty)\n")
		return
	}
	names := make([]string, len(w.names))
	nameW := len("SERIES")
	for i, n := range w.names {
		names[i] = string(appendTerminalSafe(nil, n))
		nameW = max(nameW, min(utf8.RuneCountInString(names[i]), 32))
	}
	type stat struct{ min, max, last string }
	stats := make([]stat, len(w.names))
	numW := [3]int{3, 3, 4}
	for j := range w.names {
		lo, hi, last := math.Inf(1), math.Inf(-1), math.NaN()
		for i := range w.ts {
			if f := w.values[i][j]; !math.IsNaN(f) {
				lo, hi, last = min(lo, f), max(hi, f), f
			}
		}
		stats[j] = stat{fmtNum(lo), fmtNum(hi), fmtNum(last)}
		numW[0] = max(numW[0], len(stats[j].min))
		numW[1] = max(numW[1], len(stats[j].max))
		numW[2] = max(numW[2], len(stats[j].last))
	}
	left := nameW + 2 + numW[0] + 2 + numW[1] + 2 + numW[2] + 2
	cols := min(len(w.ts), max(w.o.width-left-1, 10))
	per := (len(w.ts) + cols - 1) / cols // slices per column
	cols = (len(w.ts) + per - 1) / per

	pad := func(s string, n int, right bool) string {
		gap := strings.Repeat(" ", max(n-utf8.RuneCountInString(s), 0))
		if right {
			return gap + s
		}
		return s + gap
	}
	start := w.o.tsText(nil, []byte(w.ts[0]))
	end := w.o.tsText(nil, []byte(w.ts[len(w.ts)-1]))
	step := ""
	if len(w.ts) > 1 {
		t0, err0 := time.Parse(time.RFC3339Nano, w.ts[0])
		t1, err1 := time.Parse(time.RFC3339Nano, w.ts[1])
		if err0 == nil && err1 == nil {
			step = " (" + (t1.Sub(t0) * time.Duration(per)).String() + " per column"
			if per > 1 {
				step += ", the mean of " + strconv.Itoa(per) + " slices"
			}
			step += ")"
		}
	}
	w.out.WriteString(pad("SERIES", nameW, false) + "  " + pad("MIN", numW[0], true) + "  " + pad("MAX", numW[1], true) +
		"  " + pad("LAST", numW[2], true) + "  " + strconv.Itoa(len(w.ts)) + " time slices" + step + "\n")
	for j := range w.names {
		lo, hi := math.Inf(1), math.Inf(-1)
		buckets := make([]float64, cols)
		for c := range cols {
			sum, n := 0.0, 0
			for i := c * per; i < min((c+1)*per, len(w.ts)); i++ {
				if f := w.values[i][j]; !math.IsNaN(f) {
					sum += f
					n++
				}
			}
			buckets[c] = math.NaN()
			if n > 0 {
				buckets[c] = sum / float64(n)
				lo, hi = min(lo, buckets[c]), max(hi, buckets[c])
			}
		}
		lo = min(lo, 0) // a baseline at zero, so a lone point or a flat series of counts shows its size
		var line strings.Builder
		line.WriteString(pad(names[j], nameW, false) + "  " + pad(stats[j].min, numW[0], true) + "  " +
			pad(stats[j].max, numW[1], true) + "  " + pad(stats[j].last, numW[2], true) + "  ")
		for _, b := range buckets {
			switch {
			case math.IsNaN(b):
				line.WriteByte(' ')
			case hi == lo:
				line.WriteRune(sparkBlocks[0])
			default:
				line.WriteRune(sparkBlocks[int((b-lo)/(hi-lo)*float64(len(sparkBlocks)-1)+0.5)])
			}
		}
		w.out.WriteString(line.String() + "\n")
	}
	// The axis: a tick under the first and last columns, then their times.
	axis := strings.Repeat(" ", left) + "└" + strings.Repeat("─", max(cols-2, 0))
	if cols > 1 {
		axis += "┘"
	}
	w.out.WriteString(axis + "\n")
	w.out.WriteString(strings.Repeat(" ", left) + string(start) + " → " + string(end) + "\n")
}

// fmtNum formats a chart or gauge value: integers without a fraction, others with up to four
// significant decimals; "-" for none.
func fmtNum(f float64) string {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return "-"
	case f == math.Trunc(f) && math.Abs(f) < 1e15:
		return string(appendThousands(nil, int64(f)))
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i > 5 {
		s = strconv.FormatFloat(f, 'f', 4, 64)
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	whole, frac, _ := strings.Cut(s, ".")
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return s
	}
	out := string(appendThousands(nil, n))
	if whole == "-0" {
		out = "-0"
	}
	if frac != "" {
		out += "." + frac
	}
	return out
}

// gaugeWriter gathers GaugeValues (PROTOCOL.md §5.5) and prints each as a big number under its
// name (with a bar between Min and Max when the gauge has bounds), as NDJSON or as CSV.
type gaugeWriter struct {
	out  *bufio.Writer
	o    outOpts
	card bool
	vals []gaugeValue
}

type gaugeValue struct {
	name              string
	magnitude, lo, hi float64
	hasMagnitude      bool
}

func (w *gaugeWriter) page(v *fastjson.Value) (int, error) {
	arr := v.GetArray("Entries")
	for _, g := range arr {
		m := g.Get("Magnitude")
		w.vals = append(w.vals, gaugeValue{name: string(g.GetStringBytes("Name")), magnitude: g.GetFloat64("Magnitude"),
			lo: g.GetFloat64("Min"), hi: g.GetFloat64("Max"), hasMagnitude: m != nil && m.Type() == fastjson.TypeNumber})
	}
	return len(arr), nil
}

func (w *gaugeWriter) finish() error {
	switch w.o.format {
	case fmtNDJSON:
		var line []byte
		for _, g := range w.vals {
			line = append(line[:0], `{"Name":`...)
			line = wire.AppendString(line, g.name)
			line = append(line, `,"Magnitude":`...)
			if g.hasMagnitude {
				line = wire.AppendFloat(line, g.magnitude)
			} else {
				line = append(line, "null"...)
			}
			line = append(line, `,"Min":`...)
			line = wire.AppendFloat(line, g.lo)
			line = append(line, `,"Max":`...)
			line = wire.AppendFloat(line, g.hi)
			line = append(line, '}', '\n')
			w.out.Write(line)
		}
		return nil
	case fmtCSV:
		c := csv.NewWriter(w.out)
		c.Write([]string{"Name", "Magnitude", "Min", "Max"})
		for _, g := range w.vals {
			mag := ""
			if g.hasMagnitude {
				mag = strconv.FormatFloat(g.magnitude, 'f', -1, 64)
			}
			c.Write([]string{g.name, mag, strconv.FormatFloat(g.lo, 'f', -1, 64), strconv.FormatFloat(g.hi, 'f', -1, 64)})
		}
		c.Flush()
		return c.Error()
	}
	if len(w.vals) == 0 {
		w.out.WriteString("(no data: nothing to show)\n")
	}
	for i, g := range w.vals {
		if i > 0 {
			w.out.WriteByte('\n')
		}
		num := "-"
		if g.hasMagnitude {
			num = fmtNum(g.magnitude)
		}
		w.out.WriteString(string(appendTerminalSafe(nil, g.name)) + "  " + num + "\n")
		for _, l := range bigDigits(num) {
			w.out.WriteString("  " + l + "\n")
		}
		if !w.card && g.hi > g.lo && g.hasMagnitude {
			frac := min(max((g.magnitude-g.lo)/(g.hi-g.lo), 0), 1)
			const barW = 30
			fill := int(frac*barW + 0.5)
			w.out.WriteString("  [" + strings.Repeat("█", fill) + strings.Repeat("░", barW-fill) + "] " +
				strconv.FormatFloat(frac*100, 'f', 0, 64) + "% of " + fmtNum(g.lo) + " … " + fmtNum(g.hi) + "\n")
		}
	}
	return nil
}

// bigFont draws digits and number punctuation three rows high.
var bigFont = map[rune][3]string{
	'0': {"█▀█", "█ █", "▀▀▀"},
	'1': {"▀█ ", " █ ", "▀▀▀"},
	'2': {"▀▀█", "█▀▀", "▀▀▀"},
	'3': {"▀▀█", " ▀█", "▀▀▀"},
	'4': {"█ █", "▀▀█", "  ▀"},
	'5': {"█▀▀", "▀▀█", "▀▀▀"},
	'6': {"█▀▀", "█▀█", "▀▀▀"},
	'7': {"▀▀█", "  █", "  ▀"},
	'8': {"█▀█", "█▀█", "▀▀▀"},
	'9': {"█▀█", "▀▀█", "▀▀▀"},
	'.': {" ", " ", "▀"},
	',': {" ", " ", "▄"},
	'-': {"   ", "▀▀▀", "   "},
}

// bigDigits returns s drawn in bigFont, or nothing when s has a character the font lacks.
func bigDigits(s string) []string {
	var rows [3]strings.Builder
	for _, r := range s {
		g, ok := bigFont[r]
		if !ok {
			return nil
		}
		for i := range rows {
			rows[i].WriteString(g[i])
			rows[i].WriteByte(' ')
		}
	}
	return []string{rows[0].String(), rows[1].String(), rows[2].String()}
}
