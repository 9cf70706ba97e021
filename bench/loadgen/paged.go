package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fastjson"
)

// PagedConfig configures RunPaged.
type PagedConfig struct {
	Target
	Readers  int           // concurrent readers, one socket and search each (default 1, at most MaxReaders)
	PageSize int           // entries per REQ_GET_ENTRIES (default 1024)
	Requests int           // stop after this many requests in total; 0 runs for Duration (at most MaxRequests)
	Duration time.Duration // run time (default 10 s, at most MaxDuration)
	Search   SearchParams
	Verify   bool // parse every reply fully
}

func (c *PagedConfig) defaults() error {
	if err := c.check(); err != nil {
		return err
	}
	if c.Readers <= 0 {
		c.Readers = 1
	}
	if c.Readers > MaxReaders {
		return fmt.Errorf("loadgen: %d readers is over the cap of %d", c.Readers, MaxReaders)
	}
	if c.PageSize <= 0 {
		c.PageSize = 1024
	}
	if c.Requests < 0 || c.Requests > MaxRequests {
		return fmt.Errorf("loadgen: %d requests is outside [0, %d]", c.Requests, MaxRequests)
	}
	if c.Duration <= 0 {
		c.Duration = 10 * time.Second
	}
	if c.Duration > MaxDuration {
		return fmt.Errorf("loadgen: duration %v is over the cap of %v", c.Duration, MaxDuration)
	}
	if c.Search.Query == "" {
		return errors.New("loadgen: no query to launch")
	}
	return nil
}

// PagedResult is what RunPaged measured. Latency is from writing a request to having read
// its whole reply.
type PagedResult struct {
	Readers               int           `json:"readers"`
	PageSize              int           `json:"page_size"`
	SearchEntries         uint64        `json:"search_entries"`
	Requests              uint64        `json:"requests"`
	Entries               uint64        `json:"entries"`
	Bytes                 uint64        `json:"bytes"`
	Elapsed               time.Duration `json:"elapsed_ns"`
	RequestsPerSec        float64       `json:"requests_per_sec"`
	EntriesPerSec         float64       `json:"entries_per_sec"`
	MBPerSec              float64       `json:"mb_per_sec"`
	Latency               Summary       `json:"latency"`
	Before                ServerSample  `json:"server_before"`
	After                 ServerSample  `json:"server_after"`
	ServerCPU             time.Duration `json:"server_cpu_ns"`
	ServerCPUPerRequestNs float64       `json:"server_cpu_per_request_ns"`
	ClientCPU             time.Duration `json:"client_cpu_ns"`
	Notes                 []string      `json:"notes,omitempty"`
}

// RunPaged launches one search per reader, waits for them to finish, then has every reader
// page through its results with REQ_GET_ENTRIES as fast as replies come, wrapping to the start
// at the end, until Requests or Duration is reached.
func RunPaged(ctx context.Context, cfg PagedConfig) (*PagedResult, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	res := &PagedResult{Readers: cfg.Readers, PageSize: cfg.PageSize}
	srv := newServer(&cfg.Target, &res.Notes)
	setupCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cons, total, err := setupConsumers(setupCtx, &StreamConfig{Target: cfg.Target, Consumers: cfg.Readers, Searches: cfg.Readers, Search: cfg.Search, ReadBuffer: 256 << 10})
	defer func() {
		for _, c := range cons {
			if c != nil && c.conn != nil {
				c.conn.Close()
			}
		}
	}()
	if err != nil {
		return nil, err
	}
	res.SearchEntries = total

	var issued atomic.Int64
	limit := int64(cfg.Requests)
	samplers := make([]Sampler, len(cons))
	errs := make([]error, len(cons))
	entries := make([]uint64, len(cons))
	bytes := make([]uint64, len(cons))
	res.Before = srv.sample(ctx)
	cpu0 := selfCPU()
	start := time.Now()
	end := start.Add(cfg.Duration)
	var wg sync.WaitGroup
	for i, c := range cons {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var p fastjson.Parser
			first := uint64(0)
			for time.Now().Before(end) && ctx.Err() == nil {
				if limit > 0 && issued.Add(1) > limit {
					return
				}
				t0 := time.Now()
				pg, err := c.conn.GetEntries(c.search, first, first+uint64(cfg.PageSize), cfg.Verify, &p)
				if err != nil {
					errs[i] = err
					return
				}
				samplers[i].Add(time.Since(t0))
				entries[i] += pg.Entries
				bytes[i] += uint64(pg.Bytes)
				first = pg.Last
				if !pg.More || pg.Entries == 0 {
					first = 0
				}
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.ClientCPU = selfCPU() - cpu0
	res.After = srv.sample(context.Background())
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var all Sampler
	for i := range samplers {
		all.Merge(&samplers[i])
		res.Entries += entries[i]
		res.Bytes += bytes[i]
	}
	res.Requests = all.Seen()
	res.Latency = all.Summary()
	if s := res.Elapsed.Seconds(); s > 0 {
		res.RequestsPerSec = float64(res.Requests) / s
		res.EntriesPerSec = float64(res.Entries) / s
		res.MBPerSec = float64(res.Bytes) / s / 1e6
	}
	if res.Before.CPU > 0 || res.After.CPU > 0 {
		res.ServerCPU = res.After.CPU - res.Before.CPU
	}
	if res.Requests > 0 {
		res.ServerCPUPerRequestNs = float64(res.ServerCPU) / float64(res.Requests)
	}
	return res, nil
}
