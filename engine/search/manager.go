package search

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/engine/budget"
	"github.com/sluicehq/sluice/engine/render"
	"github.com/sluicehq/sluice/engine/stats"
	"github.com/sluicehq/sluice/engine/store"
	"github.com/sluicehq/sluice/wire"
)

// ManagerConfig holds the limits and defaults of a Manager. The zero value works.
type ManagerConfig struct {
	MaxSearches          int           // live searches in total; default 256
	MaxSearchesPerClient int           // live searches launched by one client; default 32
	Grace                time.Duration // how long an abandoned foreground search lingers; default 5s
	AckTimeout           time.Duration // launch without acknowledgement is discarded; default 30s
	BackgroundRetention  time.Duration // a background search without consumers is deleted after this; 0 keeps it
	// RenderLimit is one search's render store on disk, in bytes (sluiced render_store_limit_mb);
	// default 16 GiB. Past it the search goes OverLimit with a Warning naming the field.
	RenderLimit int64
	// RenderDir is the directory of the render store files (one per search, removed when the
	// search is deleted); default os.TempDir(). The engine uses <data>/render.
	RenderDir string
	// RenderAnonymous removes each render store file's name as soon as it is created, so that
	// nothing survives a crash where no start-up cleanup looks (the engine sets it for its
	// private temporary directory).
	RenderAnonymous bool
	// RenderDiskBudget bounds the render store files of all live searches together, in bytes
	// (sluiced render_disk_budget_mb); default 64 GiB. A search whose file cannot grow within it
	// goes OverLimit with a Warning naming the field.
	RenderDiskBudget int64
	// MemoryBudget bounds the RAM of every consumer that grows with data, in bytes (sluiced
	// memory_budget_mb); default 4 GiB. It is a reservation: a launch takes SearchReserve, its
	// render store's write buffer and first index segment before it is accepted (else it is
	// refused with a LimitError naming memory_budget_mb and the figures), and a running search
	// reserves every index segment, stats block and chart value before allocating it; one that
	// cannot grow goes OverLimit with a Warning. Deleting a search gives it all back.
	MemoryBudget int64
	// SearchReserve is the RAM a launch reserves from MemoryBudget for its pipeline's working
	// memory (scan and batch buffers of every worker), in bytes; default 4 MiB per worker, at
	// most a sixteenth of MemoryBudget.
	SearchReserve int64
	// OnLimit, when not nil, is called whenever a search goes over a limit, with the field that
	// set it (render_store_limit_mb, render_disk_budget_mb, memory_budget_mb or disk).
	OnLimit        func(field string)
	StreamBlock    int           // REQ_STREAMING block size; default 1000
	MaxPage        int           // REQ_GET_ENTRIES clamp; default 10000
	MaxBuckets     int           // stats base-bucket cap; default 65536
	FullResolution bool          // allow FullResolutionStats launches
	PreviewWindow  time.Duration // how far back a preview without times looks; default 7 days
	Logger         *slog.Logger

	// MaxSearchesPerPrincipal bounds the live searches launched under one LaunchRequest.Owner
	// (a principal, or a remote address when there are no principals), however many sockets
	// it uses; default 64.
	MaxSearchesPerPrincipal int
	// MaxQueryBytes bounds a query's text, checked before it is parsed; default 64 KiB.
	MaxQueryBytes int
	// MaxQueryPatterns bounds the match patterns of a query (every grep pattern and every
	// regex, Query.Patterns); default 256.
	MaxQueryPatterns int
	// MaxSearchDuration bounds a search's wall-clock run time; past it the search stops, keeps
	// what it found and reports the limit in its SearchInfo Error. Default 1h; negative: none.
	MaxSearchDuration time.Duration
	// MaxSearchCPU bounds a search's CPU time as the kernel accounts it (per-thread CPU
	// clocks, cputime.go), summed over every goroutine working for it: store decoding, the
	// pipeline's workers, the final emit. Time spent blocked is not counted. Past it the
	// search stops like at MaxSearchDuration. Default 1h; negative: none, and not measured.
	MaxSearchCPU time.Duration
	// OnSearchCPU, when not nil, is called when a search's run ends with the CPU time it used
	// (measured while MaxSearchCPU is on).
	OnSearchCPU func(s *Search, used time.Duration)

	// MaxQueuedBytes bounds the bytes of the requests a client may send on a launch's output
	// channel before acknowledging it (they are held and answered after the acknowledgement,
	// PROTOCOL.md §3.4); a request past it closes the socket with 1008. Default 1 MiB.
	MaxQueuedBytes int

	// Workers is the number of goroutines one search scans and runs its pipeline on (see
	// RunOptions.Workers); default runtime.GOMAXPROCS(0), 1 runs each search on one goroutine.
	Workers int
	// NoMeta makes counts decode every block instead of answering blocks from the store's
	// block summaries (RunOptions.NoMeta); the results are the same. For comparisons.
	NoMeta bool

	// Claims, when set, makes search IDs unique beyond this manager (a cluster's search
	// registry, engine/cluster): every launch and embedded search claims its ID there before
	// it becomes visible, and the claim is released when the search is deleted.
	Claims IDClaimer
}

// IDClaimer reserves search IDs in a registry shared by several managers (IDs stay unique
// across the webservers of a cluster) and records who holds each search. Its methods are
// called without the manager's locks held and may block on the network.
type IDClaimer interface {
	// Claim records s under s.ID (set, the search not yet visible in the manager). It
	// returns an error wrapping ErrIDTaken when the ID is held elsewhere (the manager then
	// tries another), or any other error to refuse the launch.
	Claim(s *Search) error
	// Release forgets a search that Claim recorded, once it is deleted or was refused.
	Release(s *Search)
}

// ErrIDTaken is wrapped by IDClaimer.Claim when another holder already has the ID.
var ErrIDTaken = errors.New("search: ID already taken")

// maxIDClaims bounds the IDs a launch tries to claim; ten-digit random IDs collide rarely,
// so running out means the registry refuses every ID.
const maxIDClaims = 8

func (c *ManagerConfig) defaults() {
	if c.MaxSearches <= 0 {
		c.MaxSearches = 256
	}
	if c.MaxSearchesPerClient <= 0 {
		c.MaxSearchesPerClient = 32
	}
	if c.Grace <= 0 {
		c.Grace = 5 * time.Second
	}
	if c.AckTimeout <= 0 {
		c.AckTimeout = 30 * time.Second
	}
	if c.MaxSearchesPerPrincipal <= 0 {
		c.MaxSearchesPerPrincipal = 64
	}
	if c.MaxQueryBytes <= 0 {
		c.MaxQueryBytes = 64 << 10
	}
	if c.MaxQueryPatterns <= 0 {
		c.MaxQueryPatterns = 256
	}
	if c.MaxSearchDuration == 0 {
		c.MaxSearchDuration = time.Hour
	}
	if c.MaxSearchCPU == 0 {
		c.MaxSearchCPU = time.Hour
	}
	if c.MaxQueuedBytes <= 0 {
		c.MaxQueuedBytes = 1 << 20
	}
	if c.RenderLimit <= 0 {
		c.RenderLimit = render.DefaultLimit
	}
	if c.RenderDiskBudget <= 0 {
		c.RenderDiskBudget = 64 << 30
	}
	if c.MemoryBudget <= 0 {
		c.MemoryBudget = 4 << 30
	}
	if c.StreamBlock <= 0 {
		c.StreamBlock = wire.StreamBlockSize
	}
	if c.MaxPage <= 0 {
		c.MaxPage = 10000
	}
	if c.MaxBuckets == 0 {
		c.MaxBuckets = wire.MaxStatsBuckets
	}
	if c.PreviewWindow <= 0 {
		c.PreviewWindow = 7 * 24 * time.Hour
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// LimitError reports that a configured limit stopped a launch. Field names the
// ManagerConfig field, or for the budgets the sluiced configuration key (memory_budget_mb);
// Err, when set, is the budget's refusal with its figures.
type LimitError struct {
	Field string
	Limit int64
	Err   error
	// Owner is the principal (or address) whose own limit it is, for per-principal limits.
	Owner string
}

func (e *LimitError) Error() string {
	if e.Err != nil {
		return "search: " + e.Err.Error()
	}
	if e.Owner != "" {
		return fmt.Sprintf("search: limit %s=%d reached for %s", e.Field, e.Limit, e.Owner)
	}
	return fmt.Sprintf("search: limit %s=%d reached", e.Field, e.Limit)
}

// Unwrap returns Err.
func (e *LimitError) Unwrap() error { return e.Err }

// ErrRange is wrapped by every error about a launch's time range.
var ErrRange = errors.New("invalid search range")

// ErrNotFound is returned for a search ID that no live search has.
var ErrNotFound = errors.New("search: not found")

// TagResolver maps the query's tag patterns to the store's tags.
type TagResolver interface {
	MatchTags(patterns []string) (ids []uint16, names []string)
}

// LaunchRequest describes a search to launch (PROTOCOL.md §3.4).
type LaunchRequest struct {
	Query       string
	Start, End  time.Time // both zero only in preview mode
	Filters     []Filter
	Background  bool
	NoHistory   bool
	Preview     bool
	NonTemporal bool
	Name        string
	Metadata    []byte // raw JSON, kept and returned in SearchInfo
	GIDs        []int32
	Global      bool
	UID         int32
	Client      uint64 // the launching session, for MaxSearchesPerClient
	// Owner names who launched it for MaxSearchesPerPrincipal: a principal's name, or a
	// remote address when there are no principals (access.LimitKey). Empty: not counted.
	Owner string
	// FullResolutionStats lifts the stats bucket cap when ManagerConfig.FullResolution allows it.
	FullResolutionStats bool
	LaunchMethod        string
	// LaunchReference is SearchLaunchInfo.reference: what launched the search (a dashboard's
	// or scheduled search's ID), kept and echoed in the launch reply and SearchInfo.
	LaunchReference string
}

// Search is one live search: its query, render store and statistics.
type Search struct {
	ID         string
	Query      *Query
	Result     *render.Result
	Ring       *stats.Ring
	Tags       []string
	RangeStart time.Time
	RangeEnd   time.Time
	Launched   time.Time
	Background bool
	Client     uint64
	Owner      string // the MaxSearchesPerPrincipal key
	UID        int32
	GIDs       []int32
	Global     bool
	Name       string
	// Embedded is true for searches whose entries an embedder supplies.
	Embedded bool

	m        *Manager
	cpu      atomic.Int64 // CPU time of the finished run, ns (CPU)
	tagIDs   []uint16
	cancel   context.CancelFunc
	ctx      context.Context
	mu       sync.Mutex
	acked    bool
	deleted  bool
	consumer int
	timer    *time.Timer
	// timerGen identifies the current timer: a timer whose callback finds another generation
	// was superseded (stopped too late) and does nothing.
	timerGen uint64
	onDelete []func()
	state    string
	reserved int64   // pipeline reserve taken from the memory budget
	ctl      control // REST search control: saved, stopped, launch info (control.go)
}

// Manager owns the live searches: IDs, launch, acknowledgement, attach, background searches and
// the collection of abandoned ones. It is safe for concurrent use.
type Manager struct {
	cfg  ManagerConfig
	mem  *budget.Budget
	disk *budget.Budget
	src  Source
	tags TagResolver
	// Explore is handed to every render store for the data-explorer requests.
	explore func(dst, data []byte, tag string) []byte

	mu        sync.Mutex
	searches  map[string]*Search
	perClient map[uint64]int
	perOwner  map[string]int
	closed    bool
	wg        sync.WaitGroup

	// scanned sums the store.ScanCounts of every search run (ScanTotals).
	scanned struct{ blocks, skipped, summarised atomic.Int64 }
}

// ScanTotals returns the blocks the searches run so far considered, and of those the ones
// their accelerators skipped unread and the ones answered from block summaries.
func (m *Manager) ScanTotals() store.ScanCounts {
	return store.ScanCounts{Blocks: m.scanned.blocks.Load(), Skipped: m.scanned.skipped.Load(),
		Summarised: m.scanned.summarised.Load()}
}

// NewManager returns a Manager over src; src and tags may be nil for a manager that only
// serves embedded searches.
func NewManager(cfg ManagerConfig, src Source, tags TagResolver, explore func(dst, data []byte, tag string) []byte) *Manager {
	cfg.defaults()
	return &Manager{cfg: cfg, src: src, mem: budget.New("memory_budget_mb", cfg.MemoryBudget),
		disk: budget.New("render_disk_budget_mb", cfg.RenderDiskBudget), tags: tags, explore: explore,
		searches: map[string]*Search{}, perClient: map[uint64]int{}, perOwner: map[string]int{}}
}

// Config returns the manager's effective configuration.
func (m *Manager) Config() ManagerConfig { return m.cfg }

func (m *Manager) newID() string {
	for {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id := fmt.Sprintf("%010d", binary.LittleEndian.Uint64(b[:])%10_000_000_000)
		if _, taken := m.searches[id]; !taken {
			return id
		}
	}
}

// register gives s a unique ID (claimed through Claims when set) and makes it live, within
// the admission limits of its client and owner.
func (m *Manager) register(s *Search) error {
	for try := 1; ; try++ {
		m.mu.Lock()
		if err := m.admit(s.Client, s.Owner); err != nil {
			m.mu.Unlock()
			return err
		}
		id := m.newID()
		if m.cfg.Claims == nil {
			m.insertLocked(s, id)
			m.mu.Unlock()
			return nil
		}
		m.mu.Unlock()
		s.ID = id
		err := m.cfg.Claims.Claim(s)
		if errors.Is(err, ErrIDTaken) {
			if try < maxIDClaims {
				continue
			}
			return fmt.Errorf("search: no free search ID after %d tries: %w", try, err)
		}
		if err != nil {
			return fmt.Errorf("search: cannot register the search: %w", err)
		}
		m.mu.Lock()
		err = m.admit(s.Client, s.Owner)
		_, taken := m.searches[id]
		if err == nil && !taken {
			m.insertLocked(s, id)
			m.mu.Unlock()
			return nil
		}
		m.mu.Unlock()
		m.cfg.Claims.Release(s)
		if err != nil {
			return err
		}
	}
}

// insertLocked makes s live under id; m.mu must be held.
func (m *Manager) insertLocked(s *Search, id string) {
	s.ID = id
	s.Result.SetInfo(func(si *wire.SearchInfo) { si.ID = s.ID })
	m.searches[s.ID] = s
	m.perClient[s.Client]++
	if s.Owner != "" {
		m.perOwner[s.Owner]++
	}
}

// admit reserves a slot for client and owner; m.mu must be held.
func (m *Manager) admit(client uint64, owner string) error {
	if m.closed {
		return errors.New("search: manager is closed")
	}
	if len(m.searches) >= m.cfg.MaxSearches {
		return &LimitError{Field: "MaxSearches", Limit: int64(m.cfg.MaxSearches)}
	}
	if client != 0 && m.perClient[client] >= m.cfg.MaxSearchesPerClient {
		return &LimitError{Field: "MaxSearchesPerClient", Limit: int64(m.cfg.MaxSearchesPerClient)}
	}
	if owner != "" && m.perOwner[owner] >= m.cfg.MaxSearchesPerPrincipal {
		return &LimitError{Field: "MaxSearchesPerPrincipal", Limit: int64(m.cfg.MaxSearchesPerPrincipal), Owner: owner}
	}
	return nil
}

// Launch parses and validates req and creates the search. The pipeline does not run until
// Start is called (on the client's acknowledgement); a search never started is discarded
// after AckTimeout.
func (m *Manager) Launch(req LaunchRequest) (*Search, error) {
	text := req.Query
	if len(req.Filters) > 0 {
		var err error
		if text, err = ApplyFilters(text, req.Filters); err != nil {
			return nil, err
		}
	}
	q, err := m.Parse(text)
	if err != nil {
		return nil, err
	}
	q.Raw = req.Query
	start, end := req.Start, req.End
	if start.IsZero() || end.IsZero() {
		if !req.Preview {
			return nil, fmt.Errorf("%w: SearchStart and SearchEnd are required unless Preview is set", ErrRange)
		}
		end = time.Now().UTC()
		start = end.Add(-m.cfg.PreviewWindow)
	}
	if !end.After(start) {
		return nil, fmt.Errorf("%w: end %s is before start %s", ErrRange,
			end.UTC().Format(time.RFC3339Nano), start.UTC().Format(time.RFC3339Nano))
	}
	if m.src == nil || m.tags == nil {
		return nil, errors.New("search: this server has no store to search; only embedded searches are served")
	}
	ids, names := m.tags.MatchTags(q.TagPatterns)
	maxBuckets := m.cfg.MaxBuckets
	if req.FullResolutionStats && m.cfg.FullResolution {
		maxBuckets = -1
	}
	s := &Search{Query: q, Tags: names, tagIDs: ids, RangeStart: start.UTC(), RangeEnd: end.UTC(),
		Launched: time.Now().UTC(), Background: req.Background, Client: req.Client, Owner: req.Owner, UID: req.UID,
		GIDs: req.GIDs, Global: req.Global, Name: req.Name, m: m, state: "pending"}
	mods := q.StatsModules()
	if err := m.reserveLaunch(s); err != nil {
		return nil, err
	}
	s.Ring = stats.NewRing(stats.RingConfig{Start: s.RangeStart.UnixNano(), End: s.RangeEnd.UnixNano(),
		Modules: len(mods), MaxBuckets: maxBuckets, MinWidth: q.Window, Memory: m.mem})
	res, err := m.newResult(s, q.Renderer, q.RendererArgs, names, ids, mods)
	if err != nil {
		s.release()
		return nil, limitErr(err)
	}
	s.Result = res
	s.fillInfo(q, req, mods)

	if err := m.register(s); err != nil {
		s.release()
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.timer = time.AfterFunc(m.cfg.AckTimeout, func() {
		// The check and the deletion happen under one hold of s.mu, so an acknowledgement
		// racing with the timer either wins or finds the search deleted.
		if m.deleteIf(s, func() bool { return !s.acked }) {
			m.cfg.Logger.Info("search discarded: no acknowledgement", "search", s.ID, "timeout", m.cfg.AckTimeout)
		}
	})
	return s, nil
}

// defaultReservePerWorker is the RAM a launch reserves per pipeline worker when SearchReserve is
// not set: measured, 100 full-range searches over 200k entries on 2 workers stay within a 256 MiB
// budget's RSS with it (bench/volume.sh), and not with half of it.
const defaultReservePerWorker = 4 << 20

// reserveLaunch takes the search's pipeline reserve from the memory budget.
func (m *Manager) reserveLaunch(s *Search) error {
	n := m.cfg.SearchReserve
	if n <= 0 {
		workers := m.cfg.Workers
		if workers <= 0 {
			workers = runtime.GOMAXPROCS(0)
		}
		n = min(int64(workers)*defaultReservePerWorker, m.cfg.MemoryBudget/16)
	}
	if !m.mem.Reserve(n) {
		return limitErr(m.mem.Error("a search launch (pipeline reserve)", n))
	}
	s.reserved = n
	return nil
}

// limitErr wraps a budget refusal as a LimitError naming its field.
func limitErr(err error) error {
	var be *budget.Error
	if errors.As(err, &be) {
		return &LimitError{Field: be.Field, Limit: be.Limit, Err: be}
	}
	return err
}

// release gives back what the search reserved: its pipeline reserve, its stats ring and (via
// Result.Release) its render store.
func (s *Search) release() {
	s.m.mem.Release(s.reserved)
	s.reserved = 0
	if s.Ring != nil {
		s.Ring.Release()
	}
	if s.Result != nil {
		s.Result.Release()
	}
}

// MemoryUsed returns the bytes reserved from the memory budget by all live searches.
func (m *Manager) MemoryUsed() int64 { return m.mem.Used() }

// Memory returns the process-wide memory budget (MemoryBudget); embedders and the websocket
// server reserve from the same one.
func (m *Manager) Memory() *budget.Budget { return m.mem }

// Disk returns the process-wide render-store disk budget (RenderDiskBudget).
func (m *Manager) Disk() *budget.Budget { return m.disk }

// Len returns the number of live searches.
func (m *Manager) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.searches)
}

func (m *Manager) newResult(s *Search, renderer string, args, names []string, ids []uint16, mods []ModuleInfo) (*render.Result, error) {
	tagIndex := make(map[uint16]uint16, len(ids))
	for i, id := range ids {
		tagIndex[id] = uint16(i)
	}
	return render.NewResult(render.Spec{
		Renderer: renderer, Args: args, TagNames: names, TagIndex: tagIndex,
		Limit: m.cfg.RenderLimit, LimitField: "render_store_limit_mb", Dir: m.cfg.RenderDir,
		Anonymous: m.cfg.RenderAnonymous,
		Memory:    m.mem, Disk: m.disk, OnLimit: func(field string, limit int64, warning string) {
			m.cfg.Logger.Warn("search over a limit: results are counted, not stored", "search", s.ID,
				"field", field, "limit", limit, "warning", warning)
			if m.cfg.OnLimit != nil {
				m.cfg.OnLimit(field)
			}
		},
		StreamBlock: m.cfg.StreamBlock, MaxPage: m.cfg.MaxPage,
		Ring: s.Ring, Modules: mods, Explore: m.explore,
		Start: s.RangeStart.UnixNano(), End: s.RangeEnd.UnixNano(),
		// SetCount is clamped to the bucket cap (PROTOCOL.md §4.5.13); with no cap
		// (MaxBuckets < 0) the render default bounds the reply.
		MaxSetCount: max(m.cfg.MaxBuckets, 0),
	})
}

// Start acknowledges the search: the consumer count becomes one and the pipeline runs.
func (s *Search) Start() {
	s.mu.Lock()
	if s.acked || s.deleted {
		s.mu.Unlock()
		return
	}
	s.acked = true
	s.consumer++
	if s.state == "stopped" { // stopped before it started: nothing to run
		if s.timer != nil {
			s.timer.Stop()
		}
		s.mu.Unlock()
		return
	}
	s.state = "running"
	if s.timer != nil {
		s.timer.Stop()
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.mu.Unlock()
	if s.Embedded {
		return
	}
	m := s.m
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		ctx, stop := m.runLimits(s.ctx)
		var counts store.ScanCounts
		err := s.Query.Run(ctx, meter(ctx, m.src), s.Result, s.Ring, RunOptions{
			Tags: s.tagIDs, Start: s.RangeStart.UnixNano(), End: s.RangeEnd.UnixNano(), Workers: m.cfg.Workers, Memory: m.mem,
			NoMeta: m.cfg.NoMeta, Counts: &counts})
		m.scanned.blocks.Add(counts.Blocks)
		m.scanned.skipped.Add(counts.Skipped)
		m.scanned.summarised.Add(counts.Summarised)
		err = stop(err)
		used := CPUUsed(ctx)
		s.cpu.Store(int64(used))
		if m.cfg.OnSearchCPU != nil {
			m.cfg.OnSearchCPU(s, used)
		}
		if errors.Is(err, context.Canceled) {
			err = nil
		}
		s.Result.Finish(err)
		s.mu.Lock()
		if s.state == "running" {
			s.state = "finished"
		}
		s.mu.Unlock()
		if err != nil {
			m.cfg.Logger.Warn("search failed", "search", s.ID, "err", err)
		}
	}()
}

// Discard drops a launched search whose acknowledgement said OK: false.
func (s *Search) Discard() { s.m.delete(s) }

// Deleted reports whether the search has been deleted.
func (s *Search) Deleted() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deleted
}

// Attach adds a consumer to the search with the given ID.
func (m *Manager) Attach(id string) (*Search, error) {
	m.mu.Lock()
	s, ok := m.searches[id]
	m.mu.Unlock()
	if !ok {
		return nil, &notFoundError{id}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deleted {
		return nil, &notFoundError{id}
	}
	s.consumer++
	if s.timer != nil && s.acked {
		s.timer.Stop() // a pending grace-period deletion is called off
		s.timerGen++   // even when its callback is already waiting for s.mu
	}
	return s, nil
}

// Detach removes one consumer. A foreground search with no consumers left is deleted after the
// grace period unless somebody attaches meanwhile (PROTOCOL.md §3.8); a background one after
// BackgroundRetention, when that is set (§3.7). Embedded searches stay until deleted.
func (s *Search) Detach() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.consumer > 0 {
		s.consumer--
	}
	if s.consumer > 0 || s.deleted {
		return
	}
	s.scheduleIdleLocked()
}

// scheduleIdleLocked arms the deletion of a search without consumers: after the grace period
// for a foreground search, after BackgroundRetention (when set) for a background one, never
// for an embedded or saved one. s.mu must be held.
func (s *Search) scheduleIdleLocked() {
	after := s.m.cfg.Grace
	if s.Background {
		if s.Embedded || s.ctl.saved || s.m.cfg.BackgroundRetention <= 0 {
			return
		}
		after = s.m.cfg.BackgroundRetention
	}
	if s.timer != nil {
		s.timer.Stop()
	}
	s.timerGen++
	gen := s.timerGen
	s.timer = time.AfterFunc(after, func() {
		// Checked under the same hold of s.mu that marks the search deleted: an Attach
		// cannot slip in between and be handed a search that is about to go.
		s.m.deleteIf(s, func() bool { return s.consumer == 0 && s.timerGen == gen })
	})
}

// OnDelete registers fn to run once when the search is deleted (at once when it already
// is). fn runs in the deleting goroutine after the results are released and must not call
// back into the search's deletion.
func (s *Search) OnDelete(fn func()) {
	s.mu.Lock()
	if !s.deleted {
		s.onDelete = append(s.onDelete, fn)
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	fn()
}

// Consumers returns the number of attached consumers.
func (s *Search) Consumers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.consumer
}

// State returns "pending", "running", "finished" or "deleted".
func (s *Search) State() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// Delete removes the search with the given ID, cancelling its pipeline.
func (m *Manager) Delete(id string) error {
	m.mu.Lock()
	s, ok := m.searches[id]
	m.mu.Unlock()
	if !ok {
		return ErrNotFound
	}
	m.delete(s)
	return nil
}

func (m *Manager) delete(s *Search) { m.deleteIf(s, nil) }

// deleteIf deletes s when cond (evaluated under s.mu; nil means always) holds and s is not
// deleted yet, and reports whether it did.
func (m *Manager) deleteIf(s *Search, cond func() bool) bool {
	s.mu.Lock()
	if s.deleted || (cond != nil && !cond()) {
		s.mu.Unlock()
		return false
	}
	s.deleted = true
	s.state = "deleted"
	if s.timer != nil {
		s.timer.Stop()
	}
	cancel := s.cancel
	hooks := s.onDelete
	s.onDelete = nil
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	m.mu.Lock()
	if m.searches[s.ID] == s {
		delete(m.searches, s.ID)
		if m.perClient[s.Client]--; m.perClient[s.Client] <= 0 {
			delete(m.perClient, s.Client)
		}
		if s.Owner != "" {
			if m.perOwner[s.Owner]--; m.perOwner[s.Owner] <= 0 {
				delete(m.perOwner, s.Owner)
			}
		}
	}
	m.mu.Unlock()
	if m.cfg.Claims != nil {
		m.cfg.Claims.Release(s)
	}
	s.release()
	for _, fn := range hooks {
		fn()
	}
	return true
}

// Get returns the live search with the given ID.
func (m *Manager) Get(id string) (*Search, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.searches[id]
	return s, ok
}

// Summary describes a live search for GET /api/searchctrl.
type Summary struct {
	ID         string
	UserQuery  string
	State      string
	Background bool
	Consumers  int
	Launched   time.Time
	StartRange time.Time
	EndRange   time.Time
	Client     uint64
	Name       string  `json:",omitempty"`
	UID        int32   // the launcher's UID
	GIDs       []int32 // groups the search is shared with
	Global     bool    // shared with everyone
}

// List returns a summary of every live search, newest first.
func (m *Manager) List() []Summary {
	m.mu.Lock()
	all := make([]*Search, 0, len(m.searches))
	for _, s := range m.searches {
		all = append(all, s)
	}
	m.mu.Unlock()
	out := make([]Summary, 0, len(all))
	for _, s := range all {
		s.mu.Lock()
		out = append(out, Summary{ID: s.ID, UserQuery: s.Query.Raw, State: s.state, Background: s.Background,
			Consumers: s.consumer, Launched: s.Launched, StartRange: s.RangeStart, EndRange: s.RangeEnd,
			Client: s.Client, Name: s.Name, UID: s.UID, GIDs: s.GIDs, Global: s.Global})
		s.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Launched.After(out[j].Launched) })
	return out
}

// Close cancels every search and waits for their pipelines.
func (m *Manager) Close() {
	m.mu.Lock()
	m.closed = true
	all := make([]*Search, 0, len(m.searches))
	for _, s := range m.searches {
		all = append(all, s)
	}
	m.mu.Unlock()
	for _, s := range all {
		m.delete(s)
	}
	m.wg.Wait()
}
