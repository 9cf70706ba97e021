package loadgen

import (
	"fmt"
	"io"
	"time"
)

func (s Summary) String() string {
	if s.N == 0 {
		return "no samples"
	}
	return fmt.Sprintf("n=%d min=%v p50=%v p90=%v p99=%v max=%v", s.N, s.Min, s.P50, s.P90, s.P99, s.Max)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func goroutines(g int) string {
	if g < 0 {
		return "unknown"
	}
	return fmt.Sprint(g)
}

func notes(w io.Writer, n []string) {
	for _, s := range n {
		fmt.Fprintf(w, "  note: %s\n", s)
	}
}

// WriteText writes a human-readable report.
func (r *IdleResult) WriteText(w io.Writer) {
	fmt.Fprintf(w, "subscribers:   %d connected of %d in %v (%d dial errors%s)\n", r.Connected, r.Subscribers, r.ConnectTime.Round(time.Millisecond), r.DialErrors, firstErr(r.FirstDialError))
	fmt.Fprintf(w, "server RSS:    %s → %s, %.0f bytes per connection\n", mib(r.Before.RSS), mib(r.After.RSS), r.RSSPerConn)
	fmt.Fprintf(w, "goroutines:    %s → %s, %.2f per connection\n", goroutines(r.Before.Goroutines), goroutines(r.After.Goroutines), r.GoroutinesPerConn)
	fmt.Fprintf(w, "broadcasts:    %d complete, %d incomplete (gap %v), %d subscribers disconnected\n", r.Broadcasts, r.Incomplete, r.Gap.Round(time.Millisecond), r.Disconnected)
	fmt.Fprintf(w, "spread:        %v (first to last subscriber)\n", r.Spread)
	fmt.Fprintf(w, "inter-arrival: %v\n", r.Interval)
	fmt.Fprintf(w, "jitter:        %v (|interval − median|)\n", r.Jitter)
	serverCPU(w, r)
	fmt.Fprintf(w, "client CPU:    %v\n", r.ClientCPU.Round(time.Millisecond))
	notes(w, r.Notes)
}

// serverCPU writes the server CPU over a broadcast window, per broadcast when known.
func serverCPU(w io.Writer, r *IdleResult) {
	switch {
	case r.ServerCPU <= 0:
		fmt.Fprintf(w, "server CPU:    unknown over the window\n")
	case r.ServerCPUPerBroadcast > 0:
		fmt.Fprintf(w, "server CPU:    %v over the window, %d broadcasts begun: %v per broadcast (upper bound)\n",
			r.ServerCPU, r.Begun, time.Duration(r.ServerCPUPerBroadcast).Round(time.Microsecond))
		if r.ServerCPUPerAnyBroadcast > 0 {
			fmt.Fprintf(w, "               %v per broadcast of any type (%v in the window)\n",
				time.Duration(r.ServerCPUPerAnyBroadcast).Round(time.Microsecond), r.BroadcastsByType)
		}
	default:
		fmt.Fprintf(w, "server CPU:    %v over the window (%d broadcasts begun)\n", r.ServerCPU, r.Begun)
	}
}

func firstErr(s string) string {
	if s == "" {
		return ""
	}
	return "; first: " + s
}

// WriteText writes a human-readable report.
func (r *StreamResult) WriteText(w io.Writer) {
	fmt.Fprintf(w, "consumers:     %d on %d searches of %d entries\n", r.Consumers, r.Searches, r.SearchEntries)
	fmt.Fprintf(w, "received:      %d entries, %d messages, %.1f MB in %v\n", r.Entries, r.Messages, float64(r.Bytes)/1e6, r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "throughput:    %.0f entries/s, %.1f MB/s\n", r.EntriesPerSec, r.MBPerSec)
	fmt.Fprintf(w, "fairness:      %.3f (slowest/fastest consumer entries/s)\n", r.Fairness)
	fmt.Fprintf(w, "server CPU:    %v, %.3f µs per entry\n", r.ServerCPU, r.ServerCPUPerEntryNs/1e3)
	fmt.Fprintf(w, "client CPU:    %v, %.3f µs per entry\n", r.ClientCPU.Round(time.Millisecond), r.ClientCPUPerEntryNs/1e3)
	fmt.Fprintf(w, "server RSS:    %s → %s\n", mib(r.Before.RSS), mib(r.After.RSS))
	notes(w, r.Notes)
}

// WriteText writes a human-readable report.
func (r *PagedResult) WriteText(w io.Writer) {
	fmt.Fprintf(w, "readers:       %d, pages of %d over searches of %d entries\n", r.Readers, r.PageSize, r.SearchEntries)
	fmt.Fprintf(w, "requests:      %d in %v: %.0f requests/s, %.0f entries/s, %.1f MB/s\n", r.Requests, r.Elapsed.Round(time.Millisecond), r.RequestsPerSec, r.EntriesPerSec, r.MBPerSec)
	fmt.Fprintf(w, "latency:       %v\n", r.Latency)
	fmt.Fprintf(w, "server CPU:    %v, %.1f µs per request\n", r.ServerCPU, r.ServerCPUPerRequestNs/1e3)
	fmt.Fprintf(w, "client CPU:    %v\n", r.ClientCPU.Round(time.Millisecond))
	notes(w, r.Notes)
}

// WriteText writes a human-readable report.
func (r *MixedResult) WriteText(w io.Writer) {
	fmt.Fprintln(w, "== quiet (no streams)")
	r.Quiet.WriteText(w)
	fmt.Fprintln(w, "== while streaming")
	fmt.Fprintf(w, "broadcasts:    %d complete, %d incomplete, %d subscribers disconnected\n", r.Loaded.Broadcasts, r.Loaded.Incomplete, r.Loaded.Disconnected)
	fmt.Fprintf(w, "spread:        %v\n", r.Loaded.Spread)
	fmt.Fprintf(w, "inter-arrival: %v\n", r.Loaded.Interval)
	fmt.Fprintf(w, "jitter:        %v\n", r.Loaded.Jitter)
	serverCPU(w, &r.Loaded)
	notes(w, r.Loaded.Notes)
	fmt.Fprintln(w, "== streams")
	r.Stream.WriteText(w)
}
