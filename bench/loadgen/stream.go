package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// StreamConfig configures RunStream.
type StreamConfig struct {
	Target
	Consumers int // M concurrent consumers (default 1, at most MaxConsumers)
	// Searches is how many searches the consumers share: consumer i < Searches launches one,
	// the others attach to search i mod Searches (PROTOCOL.md §3.6). 0 means one per consumer.
	Searches int
	Search   SearchParams
	// NoWait starts streaming right after the launch instead of waiting for the search to
	// finish, so the figure includes the search itself.
	NoWait bool
	// MinDuration repeats REQ_STREAMING on every consumer until this much time has passed
	// (for RunMixed); 0 streams once.
	MinDuration time.Duration
	Timeout     time.Duration // bound on the whole run (default 5 min, at most MaxDuration)
	ReadBuffer  int           // per-consumer read buffer (default 256 KiB)
	Verify      bool          // parse every block fully and check EntryCount against Entries
}

func (c *StreamConfig) defaults() error {
	if err := c.check(); err != nil {
		return err
	}
	if c.Consumers <= 0 {
		c.Consumers = 1
	}
	if c.Consumers > MaxConsumers {
		return fmt.Errorf("loadgen: %d consumers is over the cap of %d", c.Consumers, MaxConsumers)
	}
	if c.Searches <= 0 || c.Searches > c.Consumers {
		c.Searches = c.Consumers
	}
	if c.Search.Query == "" {
		return errors.New("loadgen: no query to launch")
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Minute
	}
	if c.Timeout > MaxDuration || c.MinDuration > MaxDuration {
		return fmt.Errorf("loadgen: timeout %v or duration %v is over the cap of %v", c.Timeout, c.MinDuration, MaxDuration)
	}
	if c.ReadBuffer <= 0 {
		c.ReadBuffer = 256 << 10
	}
	return nil
}

// ConsumerStats is one consumer's share of a stream run.
type ConsumerStats struct {
	Entries       uint64        `json:"entries"`
	Bytes         uint64        `json:"bytes"`
	Messages      uint64        `json:"messages"`
	Streams       int           `json:"streams"`
	Elapsed       time.Duration `json:"elapsed_ns"`
	EntriesPerSec float64       `json:"entries_per_sec"`
}

// StreamResult is what RunStream measured. MB are 10^6 bytes of websocket message payload.
type StreamResult struct {
	Consumers           int             `json:"consumers"`
	Searches            int             `json:"searches"`
	SearchEntries       uint64          `json:"search_entries"`
	Entries             uint64          `json:"entries"`
	Bytes               uint64          `json:"bytes"`
	Messages            uint64          `json:"messages"`
	Elapsed             time.Duration   `json:"elapsed_ns"`
	EntriesPerSec       float64         `json:"entries_per_sec"`
	MBPerSec            float64         `json:"mb_per_sec"`
	Fairness            float64         `json:"fairness_min_over_max"`
	PerConsumer         []ConsumerStats `json:"per_consumer"`
	Before              ServerSample    `json:"server_before"`
	After               ServerSample    `json:"server_after"`
	ServerCPU           time.Duration   `json:"server_cpu_ns"`
	ServerCPUPerEntryNs float64         `json:"server_cpu_per_entry_ns"`
	ClientCPU           time.Duration   `json:"client_cpu_ns"`
	ClientCPUPerEntryNs float64         `json:"client_cpu_per_entry_ns"`
	Notes               []string        `json:"notes,omitempty"`
}

// consumer is one streaming socket.
type consumer struct {
	conn   *Conn
	search Search
	stats  ConsumerStats
	err    error
}

// RunStream launches (or attaches to) searches on M sockets, waits for them to finish unless
// NoWait, then starts every consumer's REQ_STREAMING at once and drains each to its
// terminator. Server CPU is measured over the streaming phase only.
func RunStream(ctx context.Context, cfg StreamConfig) (*StreamResult, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	res := &StreamResult{Consumers: cfg.Consumers, Searches: cfg.Searches}
	srv := newServer(&cfg.Target, &res.Notes)
	cons, total, err := setupConsumers(ctx, &cfg)
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
	deadline, _ := ctx.Deadline()
	stop := context.AfterFunc(ctx, func() { // unblock reads when the run is cut short
		for _, c := range cons {
			c.conn.SetReadDeadline(time.Now())
		}
	})
	defer stop()

	res.Before = srv.sample(ctx)
	cpu0 := selfCPU()
	var wg sync.WaitGroup
	start := time.Now()
	for _, c := range cons {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			for {
				st, err := c.conn.Stream(c.search, deadline, cfg.Verify)
				c.stats.Entries += st.Entries
				c.stats.Bytes += st.Bytes
				c.stats.Messages += st.Messages
				c.stats.Streams++
				if err != nil {
					c.err = err
					break
				}
				if time.Since(start) >= cfg.MinDuration {
					break
				}
			}
			c.stats.Elapsed = time.Since(t0)
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.ClientCPU = selfCPU() - cpu0
	res.After = srv.sample(context.Background())
	for _, c := range cons {
		if c.err != nil {
			return nil, c.err
		}
		c.conn.Send(c.search.Channel, []byte(`{"ID":1}`)) // REQ_CLOSE; the reply is not awaited (§1.8)
		if c.stats.Elapsed > 0 {
			c.stats.EntriesPerSec = float64(c.stats.Entries) / c.stats.Elapsed.Seconds()
		}
		res.PerConsumer = append(res.PerConsumer, c.stats)
		res.Entries += c.stats.Entries
		res.Bytes += c.stats.Bytes
		res.Messages += c.stats.Messages
	}
	res.fill()
	return res, nil
}

func (res *StreamResult) fill() {
	if s := res.Elapsed.Seconds(); s > 0 {
		res.EntriesPerSec = float64(res.Entries) / s
		res.MBPerSec = float64(res.Bytes) / s / 1e6
	}
	lo, hi := 0.0, 0.0
	for i, c := range res.PerConsumer {
		if i == 0 || c.EntriesPerSec < lo {
			lo = c.EntriesPerSec
		}
		hi = max(hi, c.EntriesPerSec)
	}
	if hi > 0 {
		res.Fairness = lo / hi
	}
	if res.Before.CPU > 0 || res.After.CPU > 0 {
		res.ServerCPU = res.After.CPU - res.Before.CPU
	}
	if res.Entries > 0 {
		res.ServerCPUPerEntryNs = float64(res.ServerCPU) / float64(res.Entries)
		res.ClientCPUPerEntryNs = float64(res.ClientCPU) / float64(res.Entries)
	}
}

// setupConsumers dials every consumer, launches or attaches its search and, unless NoWait,
// waits for the search to finish. It returns the consumers and the entry count of search 0.
func setupConsumers(ctx context.Context, cfg *StreamConfig) ([]*consumer, uint64, error) {
	cons := make([]*consumer, cfg.Consumers)
	ids := make([]chan string, cfg.Searches)
	for i := range ids {
		ids[i] = make(chan string, cfg.Consumers)
	}
	srcs := cfg.sources()
	errs := make([]error, cfg.Consumers)
	counts := make([]uint64, cfg.Consumers)
	deadline, _ := ctx.Deadline()
	var wg sync.WaitGroup
	for i := range cons {
		cons[i] = &consumer{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := cons[i]
			var err error
			defer func() {
				errs[i] = err
				if i < cfg.Searches { // release attachers waiting on this launch
					close(ids[i])
				}
			}()
			c.conn, err = Dial(ctx, DialConfig{URL: cfg.SearchURL(), LocalAddr: srcs[i%len(srcs)], ReadBuffer: cfg.ReadBuffer, Token: cfg.Token})
			if err != nil {
				return
			}
			if err = c.conn.Subscribe([]string{"PONG", "parse", "search", "attach"}); err != nil {
				return
			}
			if i < cfg.Searches {
				if c.search, err = c.conn.Launch(cfg.Search); err != nil {
					return
				}
				for range cfg.Consumers {
					ids[i] <- c.search.ID
				}
			} else {
				id, ok := <-ids[i%cfg.Searches]
				if !ok {
					err = fmt.Errorf("loadgen: consumer %d: the search it attaches to failed to launch", i)
					return
				}
				if c.search, err = c.conn.Attach(id); err != nil {
					return
				}
			}
			if !cfg.NoWait {
				counts[i], err = c.conn.WaitFinished(c.search, 100*time.Millisecond, deadline)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return cons, 0, err
	}
	return cons, counts[0], nil
}
