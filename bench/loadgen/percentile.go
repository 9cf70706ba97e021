package loadgen

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// Summary describes a sample of durations.
type Summary struct {
	N    int           `json:"n"`
	Min  time.Duration `json:"min_ns"`
	P50  time.Duration `json:"p50_ns"`
	P90  time.Duration `json:"p90_ns"`
	P99  time.Duration `json:"p99_ns"`
	Max  time.Duration `json:"max_ns"`
	Mean time.Duration `json:"mean_ns"`
}

// Percentile returns the p-th percentile (0 ≤ p ≤ 100) of sorted by the nearest-rank method:
// the smallest value such that at least p percent of the sample is less than or equal to it.
// p ≤ 0 gives the minimum, p ≥ 100 the maximum; an empty sample gives 0.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p*float64(n)/100 - 1e-9)) // the epsilon absorbs float error: 99.9% of 1000 is rank 999
	return sorted[min(max(rank, 1), n)-1]
}

// Summarize sorts d in place and returns its summary.
func Summarize(d []time.Duration) Summary {
	if len(d) == 0 {
		return Summary{}
	}
	slices.Sort(d)
	var sum float64
	for _, v := range d {
		sum += float64(v)
	}
	return Summary{
		N: len(d), Min: d[0], Max: d[len(d)-1],
		P50: Percentile(d, 50), P90: Percentile(d, 90), P99: Percentile(d, 99),
		Mean: time.Duration(sum / float64(len(d))),
	}
}

// Sampler keeps a bounded uniform sample of durations (reservoir sampling, Algorithm R), so a
// long run measures every request without unbounded memory. The zero value keeps up to
// DefaultSamples. A Sampler is not safe for concurrent use; give each goroutine its own and
// Merge them.
type Sampler struct {
	Max  int // capacity; 0 means DefaultSamples
	seen uint64
	d    []time.Duration
	rng  *rand.Rand
}

// DefaultSamples is a Sampler's capacity when Max is 0.
const DefaultSamples = 1 << 20

// Add records one duration.
func (s *Sampler) Add(d time.Duration) {
	s.seen++
	capacity := s.Max
	if capacity <= 0 {
		capacity = DefaultSamples
	}
	if len(s.d) < capacity {
		s.d = append(s.d, d)
		return
	}
	if s.rng == nil {
		s.rng = rand.New(rand.NewPCG(s.seen, uint64(capacity)))
	}
	if j := s.rng.Uint64N(s.seen); j < uint64(capacity) {
		s.d[j] = d
	}
}

// Seen returns the number of durations added.
func (s *Sampler) Seen() uint64 { return s.seen }

// Merge appends o's sample to s's. The result is a fair sample only when both kept everything
// or saw similar counts; the load generator sizes samplers so that they keep everything.
func (s *Sampler) Merge(o *Sampler) {
	s.seen += o.seen
	s.d = append(s.d, o.d...)
}

// Summary summarizes the sample (sorting it).
func (s *Sampler) Summary() Summary { return Summarize(s.d) }
