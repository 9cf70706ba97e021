package loadgen

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// IdleConfig configures RunIdle.
type IdleConfig struct {
	Target
	Subscribers int           // N stats subscribers (default 1000, at most MaxSubscribers)
	Subs        []string      // channels each subscribes to (default the Go client's list)
	Type        string        // the broadcast type measured (default "ping")
	Duration    time.Duration // measuring window once everyone is connected (default 30 s, at most MaxDuration)
	// Gap separates broadcasts: arrivals further apart than this belong to different ones.
	// 0 means a third of the median inter-arrival time seen by the subscribers (the broadcast
	// period), or 200 ms when that is unknown.
	Gap             time.Duration
	Settle          time.Duration // wait after connecting before sampling the server (default 1 s)
	DialConcurrency int           // connections opened at once (default 64)
}

func (c *IdleConfig) defaults() error {
	if err := c.check(); err != nil {
		return err
	}
	if c.Subscribers <= 0 {
		c.Subscribers = 1000
	}
	if c.Subscribers > MaxSubscribers {
		return fmt.Errorf("loadgen: %d subscribers is over the cap of %d", c.Subscribers, MaxSubscribers)
	}
	if len(c.Subs) == 0 {
		c.Subs = []string{"ping", "idxStats", "sysStats", "sysDesc"}
	}
	if c.Type == "" {
		c.Type = "ping"
	}
	if c.Duration <= 0 {
		c.Duration = 30 * time.Second
	}
	if c.Duration > MaxDuration {
		return fmt.Errorf("loadgen: duration %v is over the cap of %v", c.Duration, MaxDuration)
	}
	if c.Settle <= 0 {
		c.Settle = time.Second
	}
	if c.DialConcurrency <= 0 {
		c.DialConcurrency = 64
	}
	return nil
}

// IdleResult is what RunIdle measured.
type IdleResult struct {
	Subscribers       int           `json:"subscribers"`
	Connected         int           `json:"connected"`
	DialErrors        int           `json:"dial_errors"`
	FirstDialError    string        `json:"first_dial_error,omitempty"`
	ConnectTime       time.Duration `json:"connect_ns"`
	Before            ServerSample  `json:"server_before"`
	After             ServerSample  `json:"server_after"`
	RSSPerConn        float64       `json:"rss_per_conn_bytes"`
	GoroutinesPerConn float64       `json:"goroutines_per_conn"`
	Gap               time.Duration `json:"gap_ns"`
	Broadcasts        int           `json:"broadcasts"`
	Incomplete        int           `json:"incomplete_broadcasts"`
	Spread            Summary       `json:"delivery_spread"`
	Interval          Summary       `json:"inter_arrival"`
	Jitter            Summary       `json:"jitter"`
	Disconnected      int           `json:"disconnected"`
	ClientCPU         time.Duration `json:"client_cpu_ns"`
	// ServerCPU is the server's user+system CPU between the start and the end of the
	// measuring window (/proc/PID/stat, clock-tick resolution); 0 when the process is unknown.
	ServerCPU time.Duration `json:"server_cpu_ns,omitempty"`
	// Begun counts the broadcasts of the measured type that began in the window (first
	// arrival inside it), complete or not: the broadcasts ServerCPU paid for.
	Begun int `json:"broadcasts_begun"`
	// ServerCPUPerBroadcast is ServerCPU / Begun. It includes everything else the server did
	// in the window (the other periodic packets, GC, timers), so it is an upper bound on one
	// broadcast's CPU. Absent when ServerCPU is unknown or when the window held other load
	// (the streaming half of a mixed run).
	ServerCPUPerBroadcast float64 `json:"server_cpu_per_broadcast_ns,omitempty"`
	// BroadcastsByType counts, for every message type, the messages one subscriber (the
	// first connected) received in the window: the broadcasts of each type the server sent.
	BroadcastsByType map[string]int `json:"broadcasts_by_type,omitempty"`
	// ServerCPUPerAnyBroadcast is ServerCPU divided by the broadcasts of every type in
	// BroadcastsByType: the window's CPU shared out per broadcast whatever its size, a lower
	// estimate for the measured (largest) type, next to ServerCPUPerBroadcast's upper bound.
	ServerCPUPerAnyBroadcast float64  `json:"server_cpu_per_any_broadcast_ns,omitempty"`
	Notes                    []string `json:"notes,omitempty"`
}

// cpuPerBroadcastNote explains server_cpu_per_broadcast_ns wherever it is reported.
const cpuPerBroadcastNote = "server_cpu_per_broadcast_ns is the server's CPU over the measuring window divided by the broadcasts of the measured type begun in it; " +
	"it includes the other periodic packets sent in that window (and GC), so it is an upper bound on one broadcast's CPU"

// RunIdle connects N stats subscribers, samples the server, and measures the delivery spread
// of each broadcast of the measured type for Duration.
func RunIdle(ctx context.Context, cfg IdleConfig) (*IdleResult, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	res := &IdleResult{Subscribers: cfg.Subscribers}
	srv := newServer(&cfg.Target, &res.Notes)
	res.Before = srv.sample(ctx)
	p, err := startPool(ctx, &cfg, res)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	sleepCtx(ctx, cfg.Settle)
	res.After = srv.sample(ctx)
	perConn(res)
	cpu0 := selfCPU()
	from := p.now()
	srv0, ok0 := srv.cpu()
	sleepCtx(ctx, cfg.Duration)
	srv1, ok1 := srv.cpu()
	to := p.now()
	res.ClientCPU = selfCPU() - cpu0
	p.stop()
	p.analyze(from, to, cfg.Gap, res)
	if ok0 && ok1 {
		res.ServerCPU = srv1 - srv0
		perBroadcast(res)
	}
	return res, nil
}

// perBroadcast sets ServerCPUPerBroadcast from ServerCPU and Begun, and
// ServerCPUPerAnyBroadcast from ServerCPU and BroadcastsByType.
func perBroadcast(res *IdleResult) {
	if res.Begun == 0 || res.ServerCPU <= 0 {
		return
	}
	res.ServerCPUPerBroadcast = float64(res.ServerCPU) / float64(res.Begun)
	res.Notes = append(res.Notes, cpuPerBroadcastNote)
	all := 0
	for _, n := range res.BroadcastsByType {
		all += n
	}
	if all >= res.Begun {
		res.ServerCPUPerAnyBroadcast = float64(res.ServerCPU) / float64(all)
	}
}

func perConn(res *IdleResult) {
	if res.Connected == 0 {
		return
	}
	if res.Before.RSS > 0 && res.After.RSS > 0 {
		res.RSSPerConn = float64(res.After.RSS-res.Before.RSS) / float64(res.Connected)
	}
	if res.Before.Goroutines >= 0 && res.After.Goroutines >= 0 {
		res.GoroutinesPerConn = float64(res.After.Goroutines-res.Before.Goroutines) / float64(res.Connected)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// subscriber is one stats socket; its goroutine owns arrivals until the pool stops.
type subscriber struct {
	conn     *Conn
	arrivals []int64 // ns since the pool's epoch, one per message of the measured type
	failedAt int64   // when the socket failed on its own; 0 if it did not
	// byType holds the arrival times of every message type; only the witness (the first
	// subscriber connected) keeps it, to count the broadcasts of each type.
	byType map[string][]int64
}

// pool is a set of stats subscribers reading on their own goroutines.
type pool struct {
	epoch    time.Time
	subs     []*subscriber
	wg       sync.WaitGroup
	stopping atomic.Bool
	once     sync.Once
}

func (p *pool) now() int64 { return int64(time.Since(p.epoch)) }

// startPool dials cfg.Subscribers sockets, DialConcurrency at a time, spread over the source
// addresses, and subscribes each.
func startPool(ctx context.Context, cfg *IdleConfig, res *IdleResult) (*pool, error) {
	p := &pool{epoch: time.Now()}
	srcs := cfg.sources()
	url := cfg.StatsURL()
	sem := make(chan struct{}, cfg.DialConcurrency)
	var mu sync.Mutex
	var dialWG sync.WaitGroup
	start := time.Now()
	for i := range cfg.Subscribers {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		dialWG.Add(1)
		go func() {
			defer func() { <-sem; dialWG.Done() }()
			c, err := Dial(ctx, DialConfig{URL: url, LocalAddr: srcs[i%len(srcs)], Token: cfg.Token})
			if err == nil {
				if err = c.Subscribe(cfg.Subs); err != nil {
					c.Close()
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.DialErrors++
				if res.FirstDialError == "" {
					res.FirstDialError = err.Error()
				}
				return
			}
			c.SetReadDeadline(time.Time{})
			s := &subscriber{conn: c}
			if len(p.subs) == 0 {
				s.byType = map[string][]int64{}
			}
			p.subs = append(p.subs, s)
			p.wg.Add(1)
			go p.read(s, cfg.Type)
		}()
	}
	dialWG.Wait()
	res.ConnectTime = time.Since(start)
	res.Connected = len(p.subs)
	if res.Connected == 0 {
		p.stop()
		return nil, fmt.Errorf("loadgen: no subscriber could connect: %s", res.FirstDialError)
	}
	return p, nil
}

func (p *pool) read(s *subscriber, typ string) {
	defer p.wg.Done()
	for {
		msg, err := s.conn.ReadMessage()
		if err != nil {
			if !p.stopping.Load() {
				s.failedAt = max(p.now(), 1)
			}
			return
		}
		t := p.now()
		mt := field(msg, "type")
		if string(mt) == typ {
			s.arrivals = append(s.arrivals, t)
		}
		if s.byType != nil {
			s.byType[string(mt)] = append(s.byType[string(mt)], t)
		}
	}
}

// stop closes every socket and waits for the readers. It is idempotent.
func (p *pool) stop() {
	p.once.Do(func() {
		p.stopping.Store(true)
		for _, s := range p.subs {
			s.conn.Close()
		}
		p.wg.Wait()
	})
}

// analyze fills res with the broadcasts seen in [from, to]. Call after stop.
func (p *pool) analyze(from, to int64, gap time.Duration, res *IdleResult) {
	var all, every []int64
	var intervals []time.Duration
	for _, s := range p.subs {
		if s.failedAt != 0 && s.failedAt <= to {
			res.Disconnected++
		}
		prev := int64(-1)
		every = append(every, s.arrivals...)
		for _, t := range s.arrivals {
			if t < from || t > to {
				continue
			}
			all = append(all, t)
			if prev >= 0 {
				intervals = append(intervals, time.Duration(t-prev))
			}
			prev = t
		}
	}
	res.Interval, res.Jitter = rhythm(intervals)
	if gap <= 0 {
		gap = autoGap(res.Interval.P50)
	}
	res.Gap = gap
	spreads, complete, incomplete := broadcastSpreads(all, int64(gap), from, to, res.Connected)
	res.Broadcasts, res.Incomplete = complete, incomplete
	res.Spread = Summarize(spreads)
	res.Begun = broadcastsBegun(every, int64(gap), from, to)
	res.BroadcastsByType = nil
	if len(p.subs) > 0 && p.subs[0].byType != nil {
		res.BroadcastsByType = countIn(p.subs[0].byType, from, to)
	}
}

// countIn counts, per type, the arrival times in [from, to); types with none are left out.
func countIn(byType map[string][]int64, from, to int64) map[string]int {
	out := map[string]int{}
	for typ, times := range byType {
		for _, t := range times {
			if t >= from && t < to {
				out[typ]++
			}
		}
		if out[typ] == 0 {
			delete(out, typ)
		}
	}
	return out
}

// broadcastsBegun counts the broadcasts whose first arrival lies in [from, to). Unlike
// broadcastSpreads it clusters every arrival, also those outside the window, so a broadcast
// that straddles from counts as begun before it. Over a window it counts the broadcasts the
// server started in it, give or take one at each edge (whose CPU is split across the edge).
func broadcastsBegun(times []int64, gap, from, to int64) int {
	n := 0
	for _, c := range clusterArrivals(times, gap) {
		if c.first >= from && c.first < to {
			n++
		}
	}
	return n
}

// autoGap is the gap between broadcasts used when none is configured: a third of the period,
// at least 10 ms, or 200 ms when the period is unknown.
func autoGap(period time.Duration) time.Duration {
	if period <= 0 {
		return 200 * time.Millisecond
	}
	return max(period/3, 10*time.Millisecond)
}

// cluster is one broadcast as seen by the subscribers: the first and last arrival and how
// many arrivals it has.
type cluster struct {
	first, last int64
	n           int
}

// clusterArrivals sorts times and splits them into clusters wherever two consecutive arrivals
// are more than gap apart.
func clusterArrivals(times []int64, gap int64) []cluster {
	slices.Sort(times)
	var out []cluster
	for i, t := range times {
		if i == 0 || t-times[i-1] > gap {
			out = append(out, cluster{first: t, last: t, n: 1})
			continue
		}
		c := &out[len(out)-1]
		c.last, c.n = t, c.n+1
	}
	return out
}

// broadcastSpreads returns the first-to-last delivery spread of every broadcast that lies
// wholly inside the window (starting after from+gap and ending before to-gap, so none is cut
// by the window's edges) and reached all subscribers once; broadcasts inside the window that
// reached fewer (or more: two broadcasts closer than gap merge) are counted as incomplete.
func broadcastSpreads(times []int64, gap, from, to int64, subscribers int) (spreads []time.Duration, complete, incomplete int) {
	for _, c := range clusterArrivals(times, gap) {
		if c.first-from <= gap || to-c.last <= gap {
			continue
		}
		if c.n != subscribers {
			incomplete++
			continue
		}
		complete++
		spreads = append(spreads, time.Duration(c.last-c.first))
	}
	return spreads, complete, incomplete
}

// rhythm summarizes inter-arrival intervals and their jitter: the absolute deviation of each
// interval from the median interval (the broadcast period as delivered).
func rhythm(intervals []time.Duration) (interval, jitter Summary) {
	if len(intervals) == 0 {
		return Summary{}, Summary{}
	}
	interval = Summarize(intervals) // sorts
	med := interval.P50
	dev := make([]time.Duration, len(intervals))
	for i, d := range intervals {
		dev[i] = d - med
		if dev[i] < 0 {
			dev[i] = -dev[i]
		}
	}
	return interval, Summarize(dev)
}
