package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// sig3 formats v with about three significant digits and no exponent above 1.
func sig3(v float64) string {
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// num formats a rate or count with an SI suffix from 100,000 up.
func num(v float64) string {
	a := math.Abs(v)
	switch {
	case a < 1e5 && v == math.Trunc(v):
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 1e9:
		return sig3(v/1e9) + "G"
	case a >= 1e6:
		return sig3(v/1e6) + "M"
	case a >= 1e5:
		return sig3(v/1e3) + "k"
	}
	return sig3(v)
}

func duration(ns float64) string {
	a := math.Abs(ns)
	switch {
	case a >= 1e9:
		return sig3(ns/1e9) + " s"
	case a >= 1e6:
		return sig3(ns/1e6) + " ms"
	case a >= 1e3:
		return sig3(ns/1e3) + " µs"
	}
	return sig3(ns) + " ns"
}

func bytesize(b float64) string {
	a := math.Abs(b)
	switch {
	case a >= 10<<30:
		return sig3(b/(1<<30)) + " GiB"
	case a >= 10<<20:
		return sig3(b/(1<<20)) + " MiB"
	case a >= 10000:
		return sig3(b/(1<<10)) + " KiB"
	}
	return sig3(b) + " B"
}

// value formats one figure in its unit: benchmark units ("ns/op", "MB/s", "B/op",
// "allocs/op", custom ones such as "entries/s" or "cpu-ns/op") and the load tables' display
// units ("ns", "cpu-ns", "B", "count", "x").
func value(unit string, v float64) string {
	switch {
	case unit == "ns/op" || unit == "ns":
		return duration(v)
	case unit == "cpu-ns/op" || unit == "cpu-ns":
		return duration(v) + " CPU"
	case strings.HasPrefix(unit, "ns/"):
		return duration(v) + "/" + unit[3:]
	case unit == "B/op" || unit == "B":
		return bytesize(v)
	case unit == "count" || unit == "x" || unit == "allocs/op":
		return num(v)
	}
	return num(v) + " " + unit
}

// cell formats a summary as "median (min–max)", "median" for one run or identical runs, and
// "—" when nothing was measured.
func cell(unit string, s Summary) string {
	if s.N == 0 {
		return "—"
	}
	m := value(unit, s.Median)
	if s.N == 1 || s.Min == s.Max {
		return m
	}
	lo, hi := value(unit, s.Min), value(unit, s.Max)
	// Drop a unit shared by all three: "1.90 ms (1.81–1.99)".
	if _, u, ok := strings.Cut(m, " "); ok && strings.HasSuffix(lo, " "+u) && strings.HasSuffix(hi, " "+u) {
		lo, hi = strings.TrimSuffix(lo, " "+u), strings.TrimSuffix(hi, " "+u)
	}
	return fmt.Sprintf("%s (%s–%s)", m, lo, hi)
}

func ratioCell(r Ratio) string {
	if !r.OK {
		return "—"
	}
	if r.Low == r.High {
		return sig3(r.Median) + "×"
	}
	return fmt.Sprintf("%s× (%s–%s)", sig3(r.Median), sig3(r.Low), sig3(r.High))
}

// verdict checks a figure whose median is m and whose runs span [lo, hi] against b; unit
// formats absolute figures ("" for ratios).
func verdict(b *Bound, m, lo, hi float64, unit string) string {
	f := func(v float64) string {
		if unit == "" {
			return sig3(v) + "×"
		}
		return value(unit, v)
	}
	met := m <= b.Value
	if b.Op == "≥" {
		met = m >= b.Value
	}
	var s string
	switch {
	case met:
		s = "**met**"
	case b.Op == "≥":
		s = fmt.Sprintf("**missed**: %s is %.0f%% of %s", f(m), 100*m/b.Value, f(b.Value))
	default:
		s = fmt.Sprintf("**missed**: %s is %s× %s", f(m), sig3(m/b.Value), f(b.Value))
	}
	if lo <= b.Value && b.Value <= hi && lo != hi {
		s += "; runs straddle the bound"
	}
	return s
}

// esc makes s safe inside a Markdown table cell.
func esc(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
