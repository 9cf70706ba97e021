package main

import "slices"

// Summary is the median, minimum and maximum of one figure over its runs.
type Summary struct {
	Median, Min, Max float64
	N                int // runs; 0 means not measured
}

// summarize returns the summary of vs (which it does not modify). An even count takes the
// mean of the two middle values as the median.
func summarize(vs []float64) Summary {
	if len(vs) == 0 {
		return Summary{}
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	m := s[n/2]
	if n%2 == 0 {
		m = (s[n/2-1] + s[n/2]) / 2
	}
	return Summary{Median: m, Min: s[0], Max: s[n-1], N: n}
}

// Ratio is a/b of two summaries: the ratio of the medians, and the widest range the runs
// allow (runs of a and b are independent, so the extremes are min(a)/max(b) and max(a)/min(b)).
type Ratio struct {
	Median, Low, High float64
	OK                bool // false when either side is missing or b is zero
}

func ratio(a, b Summary) Ratio {
	if a.N == 0 || b.N == 0 || b.Median == 0 || b.Min == 0 || b.Max == 0 {
		return Ratio{}
	}
	return Ratio{Median: a.Median / b.Median, Low: a.Min / b.Max, High: a.Max / b.Min, OK: true}
}
