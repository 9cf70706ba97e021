package store

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Store is the embedded durable entry store. All methods are safe for concurrent use.
type Store struct {
	cfg  Config
	log  *slog.Logger
	dir  string
	uuid string
	lock *os.File
	tags *tagTable
	// key checks block headers (nil only while Open upgrades a store that has none).
	key *blockKey

	// mu guards the wells' shard lists and every shard's published state.
	mu    sync.RWMutex
	wells []*well // wells[0] is "default"

	// life guards closed; Ingest and Scan hold it for reading while they register.
	life   sync.RWMutex
	closed bool

	commitCh      chan *commitReq
	stop          chan struct{}
	committerDone chan struct{}
	failed        error // sticky write failure; committer only
	commit        *commitLog
	nextSeq       uint64 // committer only

	counters rateRing
	damage   damageCounters
	// sidecarMu serialises appends to quarantine sidecars by scans.
	sidecarMu sync.Mutex
	now       func() time.Time
	hooks     atomic.Pointer[fileHooks]
}

// fileHooks replace file operations in tests (fault injection).
type fileHooks struct {
	writeAt   func(f *os.File, b []byte, off int64) (int, error)
	sync      func(f *os.File) error
	truncate  func(f *os.File, size int64) error
	writeFile func(p string, data []byte) error // index files at Close
}

var defaultHooks = fileHooks{
	writeAt:   (*os.File).WriteAt,
	sync:      (*os.File).Sync,
	truncate:  (*os.File).Truncate,
	writeFile: writeIdxFile,
}

// Open opens the store in cfg.Dir, creating it if needed, and recovers every shard: blocks are
// validated and a torn or corrupt tail is cut and logged. Only one Store may have a directory
// open at a time.
func Open(cfg Config) (*Store, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, errors.New("store: bad Config.Dir: " + err.Error())
	}
	if err := os.MkdirAll(filepath.Join(dir, "wells"), 0o755); err != nil {
		return nil, errors.New("store: cannot create data directory: " + err.Error())
	}
	s := &Store{
		cfg:           cfg,
		log:           cfg.Logger,
		dir:           dir,
		commitCh:      make(chan *commitReq, 256),
		stop:          make(chan struct{}),
		committerDone: make(chan struct{}),
		now:           time.Now,
	}
	s.hooks.Store(&defaultHooks)
	if s.lock, err = lockDir(filepath.Join(dir, "LOCK")); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			s.closeFiles()
		}
	}()
	if s.uuid, err = loadUUID(filepath.Join(dir, "indexer.uuid"), s.log, &s.damage); err != nil {
		return nil, err
	}
	commit, commitOK, err := openCommitLog(filepath.Join(dir, "COMMIT"))
	if err != nil {
		return nil, err
	}
	s.commit = commit
	if s.key, err = loadBlockKey(dir, s.log, &s.damage); err != nil {
		return nil, err
	}
	committed := commit.seq
	if !commitOK {
		s.log.Error("store: COMMIT file is corrupt; trusting every checksummed block", "file", commit.path)
		committed = math.MaxUint64
	}
	if err := s.openWells(committed); err != nil {
		return nil, err
	}
	if !commitOK {
		for _, w := range s.wells {
			for _, sh := range w.shards {
				for _, b := range sh.blocks {
					commit.seq = max(commit.seq, b.seq)
				}
			}
		}
		if err := commit.commit(commit.seq, &defaultHooks); err != nil {
			return nil, err
		}
	}
	if c := s.damage.snapshot(); c != (DamageCounters{}) {
		s.log.Warn("store: start-up check contained damage (see the lines above; sluiced verify reads every block)",
			"quarantined_ranges", c.BlocksQuarantined, "quarantined_entries", c.EntriesQuarantined,
			"tails_cut", c.TailsCut, "tail_bytes_cut", c.BytesCut, "index_files_rejected", c.IndexRejected, "metadata_copies_repaired", c.CopiesRepaired)
	}
	s.nextSeq = commit.seq + 1
	if s.key == nil {
		// a store from before block keys (or a new one): its blocks are all version 1, with
		// sequence numbers below nextSeq
		if s.key, err = createBlockKey(dir, s.nextSeq); err != nil {
			return nil, err
		}
		lvl := slog.LevelDebug // a new store
		if s.nextSeq > 1 {
			lvl = slog.LevelInfo // an upgrade: its earlier blocks stay unkeyed
		}
		s.log.Log(context.Background(), lvl, "store: block key created; new blocks carry keyed headers",
			"file", filepath.Join(dir, blockKeyName), "since_commit", s.nextSeq)
	}
	if s.tags, err = openTags(filepath.Join(dir, "tags.log"), committed, s.cfg.MaxTags, s.log, s.route, &s.damage); err != nil {
		return nil, err
	}
	s.counters.init()
	ok = true
	go s.commitLoop()
	return s, nil
}

// openWells opens "default", the configured wells in order, then wells found on disk that are
// no longer configured (kept readable, without tags or retention).
func (s *Store) openWells(committed uint64) error {
	root := filepath.Join(s.dir, "wells")
	cfgs := []WellConfig{{Name: DefaultWell}}
	for _, wc := range s.cfg.Wells {
		if wc.Name == DefaultWell {
			cfgs[0] = wc
		} else {
			cfgs = append(cfgs, wc)
		}
	}
	ents, err := os.ReadDir(root)
	if err != nil {
		return errors.New("store: cannot list wells: " + err.Error())
	}
	for _, e := range ents {
		if !e.IsDir() || validName(e.Name()) != nil || slices.ContainsFunc(cfgs, func(c WellConfig) bool { return c.Name == e.Name() }) {
			continue
		}
		s.log.Info("store: well on disk is not configured; its data stays searchable", "well", e.Name())
		cfgs = append(cfgs, WellConfig{Name: e.Name()})
	}
	env := &loadEnv{committed: committed, log: s.log, dc: &s.damage, key: s.key}
	for i, wc := range cfgs {
		w, err := openWell(root, i, wc, s.cfg.ShardDuration, env)
		if err != nil {
			return err
		}
		s.wells = append(s.wells, w)
	}
	return nil
}

// route returns the well index for a tag name: the first configured well with a matching
// pattern, else default.
func (s *Store) route(name string) uint16 {
	for _, w := range s.wells[1:] {
		if w.routes(name) {
			return uint16(w.idx)
		}
	}
	return 0
}

func (s *Store) isClosed() bool {
	s.life.RLock()
	defer s.life.RUnlock()
	return s.closed
}

// Close waits for queued ingests to commit, writes shard index files (so the next Open skips
// re-validating what they cover; an index it cannot write, on a full disk say, is logged and
// skipped, as nothing is lost without it) and closes the store. Scans running during Close finish
// normally; later Ingest, Scan and TagID calls, and a second Close, return ErrClosed.
func (s *Store) Close() error {
	s.life.Lock()
	if s.closed {
		s.life.Unlock()
		return ErrClosed
	}
	s.closed = true
	s.life.Unlock()
	close(s.stop)
	<-s.committerDone
	// NOTE: index files are derived data. Failing to write one (a full disk, typically) loses
	// nothing: every acknowledged entry is already durable in its shard, and the next Open
	// validates the shard block by block. So Close logs what it could not write and does not
	// fail for it; a shutdown on a full disk is a clean shutdown.
	writeFile := s.hooks.Load().writeFile
	if writeFile == nil {
		writeFile = writeIdxFile
	}
	s.mu.Lock()
	for _, w := range s.wells {
		wrote := false
		for _, sh := range w.shards {
			if len(sh.blocks) == 0 || sh.idxSize == sh.size {
				continue
			}
			if err := writeFile(sh.path+idxSuffix, sh.appendIdx(nil, s.key)); err != nil {
				s.log.Warn("store: could not write a shard index at close; nothing is lost, the next start validates the shard block by block",
					"file", sh.path+idxSuffix, "err", err)
				continue
			}
			sh.idxSize = sh.size
			wrote = true
		}
		if wrote {
			if err := syncDir(filepath.Join(w.dir, wellMetaName)); err != nil {
				s.log.Warn("store: could not sync a well directory at close; an index file may be missing at the next start (nothing is lost)",
					"well", w.name, "err", err)
			}
		}
	}
	s.mu.Unlock()
	return s.closeFiles()
}

// writeIdxFile writes p via p.tmp, fsync and rename; the caller syncs the directory once.
func writeIdxFile(p string, data []byte) error {
	tmp := p + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err == nil {
		err = writeSyncClose(f, data)
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp)
		return errors.New("store: cannot write shard index: " + err.Error())
	}
	return nil
}

// closeFiles releases shards, the tag log and the directory lock.
func (s *Store) closeFiles() error {
	var errs []error
	s.mu.Lock()
	for _, w := range s.wells {
		w.closeShards()
	}
	s.mu.Unlock()
	if s.tags != nil {
		s.tags.mu.Lock()
		errs = append(errs, s.tags.closeFiles())
		s.tags.mu.Unlock()
	}
	if s.commit != nil {
		errs = append(errs, s.commit.f.Close())
		s.commit = nil
	}
	if s.lock != nil {
		errs = append(errs, unlockDir(s.lock))
		s.lock = nil
	}
	return joinErrors(errs...)
}

// IndexerUUID returns the store's UUID in canonical 8-4-4-4-12 form. It is created once
// (random, version 4) and kept in the data directory.
func (s *Store) IndexerUUID() string { return s.uuid }

// WellStats describes one well for idxStats.
type WellStats struct {
	Name    string
	ID      string   // stable: first 8 hex digits of the indexer UUID, "-", well name
	Path    string   // the well's directory
	Bytes   uint64   // bytes of shard files
	Entries uint64   // entries stored
	Tags    []string // names of existing tags routed to this well, sorted
	// AccelBytes is the disk the well's accelerators and block summaries take besides Bytes
	// (their overhead).
	AccelBytes uint64
	// SummaryBytes is the share of AccelBytes taken by block summaries (summary.go).
	SummaryBytes uint64
}

// Stats returns one WellStats per well: "default" first, then configured wells in Config
// order, then unconfigured wells found on disk. The result is new on every call.
func (s *Store) Stats() []WellStats {
	names, wellOf := s.tags.view()
	out := make([]WellStats, len(s.wells))
	s.mu.RLock()
	for i, w := range s.wells {
		b, e := w.bytesAndEntries()
		ab, sb := w.accelBytes()
		out[i] = WellStats{Name: w.name, ID: s.uuid[:8] + "-" + w.name, Path: w.dir, Bytes: b, Entries: e, Tags: []string{}, AccelBytes: ab, SummaryBytes: sb}
	}
	s.mu.RUnlock()
	for id, wi := range wellOf {
		if names[id] != "" {
			out[wi].Tags = append(out[wi].Tags, names[id])
		}
	}
	for i := range out {
		slices.Sort(out[i].Tags)
	}
	return out
}

// TimeBounds returns the smallest and largest timestamp stored; ok is false when the store
// is empty.
func (s *Store) TimeBounds() (minTS, maxTS int64, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, w := range s.wells {
		for _, sh := range w.shards {
			if len(sh.blocks) == 0 {
				continue
			}
			if !ok || sh.minTS < minTS {
				minTS = sh.minTS
			}
			if !ok || sh.maxTS > maxTS {
				maxTS = sh.maxTS
			}
			ok = true
		}
	}
	return minTS, maxTS, ok
}
