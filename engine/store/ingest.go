package store

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// commitReq is one Ingest call's encoded blocks, handed to the committer.
type commitReq struct {
	parts   []commitPart
	hdrs    []blockHeader // headers of all blocks, in buf order
	accs    []*bloom      // accelerators of all blocks (nil: none), in buf order
	sums    [][]byte      // summaries of all blocks, in buf order
	buf     []byte        // encoded blocks, back to back
	newTags []uint16      // tags of the entries that are not durable yet
	entries uint64
	bytes   uint64
	done    chan error
}

// commitPart is a run of whole blocks for one shard.
type commitPart struct {
	well     int
	start    int64 // shard start
	off, end int   // byte range in buf
	hLo, hHi int   // header range in hdrs
}

// ingestState is pooled scratch for one Ingest call.
type ingestState struct {
	keys    []ingestKey
	raw     []byte
	req     commitReq
	ab      accelBuilder
	sb      summaryBuilder
	tagSeen [1024]uint64 // distinct tags of the call (all zero between calls)
	tagList []uint16
}

type ingestKey struct {
	well  int
	start int64
	ts    int64
	i     int
}

var ingestPool = sync.Pool{New: func() any {
	return &ingestState{req: commitReq{done: make(chan error, 1)}}
}}

// maxPooledIngest is the largest scratch buffer an ingestState keeps in the pool.
const maxPooledIngest = 64 << 20

// Ingest stores entries durably: it returns nil only after every entry is written and fsynced.
// The call is all-or-nothing: entries are validated first (Tag must come from TagID, Data at
// most MaxEntrySize bytes, TS within [MinTimestamp, MaxTimestamp), SRC without an IPv6 zone)
// and an invalid entry rejects the whole call with an *EntryError naming its index; a write
// or sync failure (e.g. a full disk) rolls the call back and returns the error. Concurrent
// callers share fsyncs (group commit). Ingest does not keep or modify entries.
func (s *Store) Ingest(entries []wire.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	names, wellOf := s.tags.view()
	st := ingestPool.Get().(*ingestState)
	defer st.release()
	if err := s.checkEntries(st, entries, names); err != nil {
		return err
	}
	s.encode(st, entries, wellOf)
	s.life.RLock()
	if s.closed {
		s.life.RUnlock()
		return ErrClosed
	}
	s.commitCh <- &st.req
	s.life.RUnlock()
	return <-st.req.done
}

// checkEntries validates entries (see Ingest) and lists in st.req.newTags the tags they
// carry that are not durable yet, so the group commit writes their records.
func (s *Store) checkEntries(st *ingestState, entries []wire.Entry, names []string) error {
	tags := st.tagList[:0]
	defer func() {
		for _, t := range tags {
			st.tagSeen[t>>6] = 0
		}
		st.tagList = tags[:0]
	}()
	for i := range entries {
		e := &entries[i]
		if int(e.Tag) >= len(names) || names[e.Tag] == "" {
			return &EntryError{Index: i, Reason: "unknown tag ID " + strconv.Itoa(int(e.Tag))}
		}
		if st.tagSeen[e.Tag>>6]&(1<<(e.Tag&63)) == 0 {
			st.tagSeen[e.Tag>>6] |= 1 << (e.Tag & 63)
			tags = append(tags, e.Tag)
		}
		if len(e.Data) > s.cfg.MaxEntrySize {
			le := &LimitError{Field: "MaxEntrySize", Limit: int64(s.cfg.MaxEntrySize), Value: int64(len(e.Data))}
			return &EntryError{Index: i, Field: "Data", Reason: "data of " + strconv.Itoa(len(e.Data)) + " bytes exceeds MaxEntrySize " + strconv.Itoa(s.cfg.MaxEntrySize), Err: le}
		}
		if e.TS < MinTimestamp || e.TS >= MaxTimestamp {
			return &EntryError{Index: i, Field: "TS", Reason: "timestamp " + strconv.FormatInt(e.TS, 10) + " outside 1970-01-01..2262-01-01"}
		}
		if e.SRC.Zone() != "" {
			return &EntryError{Index: i, Field: "SRC", Reason: "source address has an IPv6 zone"}
		}
	}
	t := s.tags
	st.req.newTags = st.req.newTags[:0]
	t.mu.RLock()
	for _, id := range tags {
		if int(id) < len(t.durable) && !t.durable[id] {
			st.req.newTags = append(st.req.newTags, id)
		}
	}
	t.mu.RUnlock()
	return nil
}

func (st *ingestState) release() {
	if cap(st.raw) > maxPooledIngest || cap(st.req.buf) > maxPooledIngest {
		return
	}
	st.keys = st.keys[:0]
	st.raw = st.raw[:0]
	st.req.parts = st.req.parts[:0]
	st.req.hdrs = st.req.hdrs[:0]
	clear(st.req.accs)
	st.req.accs = st.req.accs[:0]
	clear(st.req.sums)
	st.req.sums = st.req.sums[:0]
	st.req.buf = st.req.buf[:0]
	st.req.newTags = st.req.newTags[:0]
	ingestPool.Put(st)
}

// encode sorts entries by (well, shard, timestamp) and encodes them into blocks in st.req.
func (s *Store) encode(st *ingestState, entries []wire.Entry, wellOf []uint16) {
	keys := st.keys[:0]
	var nbytes uint64
	for i := range entries {
		e := &entries[i]
		w := int(wellOf[e.Tag])
		keys = append(keys, ingestKey{well: w, start: s.wells[w].shardStart(e.TS), ts: e.TS, i: i})
		nbytes += uint64(len(e.Data))
	}
	cmp := func(a, b ingestKey) int {
		if a.well != b.well {
			return a.well - b.well
		}
		if a.start != b.start {
			return cmp.Compare(a.start, b.start)
		}
		return cmp.Compare(a.ts, b.ts)
	}
	if !slices.IsSortedFunc(keys, cmp) {
		slices.SortFunc(keys, cmp)
	}
	st.keys = keys
	req := &st.req
	req.entries, req.bytes = uint64(len(entries)), nbytes
	codec := s.codec()
	for lo := 0; lo < len(keys); {
		hi := lo + 1
		for hi < len(keys) && keys[hi].well == keys[lo].well && keys[hi].start == keys[lo].start {
			hi++
		}
		part := commitPart{well: keys[lo].well, start: keys[lo].start, off: len(req.buf), hLo: len(req.hdrs)}
		// cut the shard's run into blocks of about BlockSize record bytes
		for b := lo; b < hi; {
			raw := st.raw[:0]
			var mask uint64
			n := 0
			for ; b < hi && (n == 0 || len(raw)+recordSize(&entries[keys[b].i]) <= s.cfg.BlockSize); b++ {
				e := &entries[keys[b].i]
				raw = appendRecord(raw, e)
				mask |= tagBit(e.Tag)
				n++
			}
			st.raw = raw
			var h blockHeader
			req.buf, h = appendBlock(req.buf, raw, n, keys[b-n].ts, keys[b-1].ts, mask, codec, s.key)
			req.hdrs = append(req.hdrs, h)
			req.accs = append(req.accs, s.buildAccel(st, entries, keys[b-n:b]))
			req.sums = append(req.sums, buildSummary(&st.sb, entries, keys[b-n:b], h.bodyCRC))
		}
		part.end, part.hHi = len(req.buf), len(req.hdrs)
		req.parts = append(req.parts, part)
		lo = hi
	}
}

func (s *Store) codec() uint8 {
	switch s.cfg.Compression {
	case CompressionZstd:
		return codecZstd
	case CompressionNone:
		return codecNone
	}
	return codecS2
}

// maxGroupBytes bounds how much one group commit writes before syncing.
const maxGroupBytes = 256 << 20

// commitLoop is the committer goroutine: it takes pending requests, writes them as one group,
// fsyncs every touched file once and answers all of them. It also runs retention.
func (s *Store) commitLoop() {
	defer close(s.committerDone)
	tick := time.NewTicker(s.cfg.RetentionInterval)
	defer tick.Stop()
	s.enforceRetention()
	var group []*commitReq
	for {
		select {
		case r := <-s.commitCh:
			group = append(group[:0], r)
			size := len(r.buf)
		drain:
			for size < maxGroupBytes {
				select {
				case r := <-s.commitCh:
					group = append(group, r)
					size += len(r.buf)
				default:
					break drain
				}
			}
			s.commitGroup(group)
			clear(group)
		case <-tick.C:
			s.enforceRetention()
		case <-s.stop:
			// Close set closed before stop: nothing new arrives, drain what is queued.
			for {
				select {
				case r := <-s.commitCh:
					s.commitGroup([]*commitReq{r})
				default:
					return
				}
			}
		}
	}
}

// touched records a shard written by the current group and its size before the group.
type touched struct {
	sh      *shard
	preSize int64
	created bool
}

// commitGroup writes, syncs and publishes a group of requests, or rolls all of them back.
func (s *Store) commitGroup(group []*commitReq) {
	if s.failed != nil {
		for _, r := range group {
			r.done <- s.failed
		}
		return
	}
	hk := s.hooks.Load()
	seq := s.nextSeq
	s.nextSeq++ // never reused, even if this group fails
	var tl []touched
	// records of the group's new tags: written and fsynced with its blocks, before COMMIT
	var tagRecs []byte
	var tagIDs []uint16
	for _, r := range group {
		tagRecs, tagIDs = s.tags.pendingRecords(tagRecs, r.newTags, seq, tagIDs)
	}
	err := func() error {
		for _, r := range group {
			for _, p := range r.parts {
				off := p.off
				for i := p.hLo; i < p.hHi; i++ {
					setSeq(r.buf[off:], seq, s.key)
					r.hdrs[i].seq = seq
					off += int(r.hdrs[i].size())
				}
				sh, created, err := s.shardFor(p.well, p.start)
				if err != nil {
					return err
				}
				if !slices.ContainsFunc(tl, func(t touched) bool { return t.sh == sh }) {
					tl = append(tl, touched{sh: sh, preSize: sh.wsize, created: created})
				} else if created {
					panic("BUG: store: shard created twice in one group")
				}
				data := r.buf[p.off:p.end]
				n, err := hk.writeAt(sh.f, data, sh.wsize)
				sh.wsize += int64(n)
				if err == nil && n != len(data) {
					err = errors.New("short write")
				}
				if err != nil {
					return fmt.Errorf("store: cannot write %s: %w", sh.path, err)
				}
			}
		}
		if err := s.writeTags(hk, tagRecs); err != nil {
			return err
		}
		if err := s.syncTouched(hk, tl); err != nil {
			return err
		}
		return s.commit.commit(seq, hk)
	}()
	if err != nil {
		s.rollback(hk, tl, err)
		if len(tagRecs) > 0 {
			// records past the log's committed size are ignored, and their sequence number
			// never reaches COMMIT; cut them so the next group writes over them
			s.tags.mu.RLock()
			for _, f := range []*os.File{s.tags.f, s.tags.fc} {
				if terr := hk.truncate(f, s.tags.size); terr != nil {
					s.log.Warn("store: cannot cut the tag records of a failed group; they are overwritten by the next", "file", f.Name(), "err", terr)
				}
			}
			s.tags.mu.RUnlock()
		}
		for _, r := range group {
			r.done <- err
		}
		return
	}
	if len(tagRecs) > 0 {
		s.tags.markDurable(tagIDs, int64(len(tagRecs)))
	}
	var accs []accRecord
	s.mu.Lock()
	for _, r := range group {
		for _, p := range r.parts {
			sh := s.wells[p.well].findShard(p.start)
			off := sh.size
			for i, h := range r.hdrs[p.hLo:p.hHi] {
				sh.addBlock(blockMeta{off: off, blockHeader: h, acc: r.accs[p.hLo+i], sum: r.sums[p.hLo+i]})
				accs = append(accs, accRecord{sh: sh, off: off, acc: r.accs[p.hLo+i], sum: r.sums[p.hLo+i]})
				off += h.size()
			}
		}
	}
	s.mu.Unlock()
	s.writeAccels(accs)
	now := s.now()
	retain := false
	for _, r := range group {
		s.counters.add(now, r.entries, r.bytes)
		for _, p := range r.parts {
			w := s.wells[p.well]
			retain = retain || w.maxAge > 0 || w.maxBytes > 0
		}
	}
	// Retention runs before the callers hear back, so a caller that checks Stats after Ingest
	// sees the limits applied. It only costs time when it drops a shard.
	if retain {
		s.enforceRetention()
	}
	for _, r := range group {
		r.done <- nil
	}
}

// writeTags appends a group's tag records to both copies of the tag log at its committed size
// and fsyncs them.
func (s *Store) writeTags(hk *fileHooks, recs []byte) error {
	if len(recs) == 0 {
		return nil
	}
	t := s.tags
	t.mu.RLock()
	files, off := [2]*os.File{t.f, t.fc}, t.size
	t.mu.RUnlock()
	// both copies hold the same bytes at the same offsets (see tagcopy.go)
	for _, f := range files {
		n, err := hk.writeAt(f, recs, off)
		if err == nil && n != len(recs) {
			err = errors.New("short write")
		}
		if err == nil {
			err = hk.sync(f)
		}
		if err != nil {
			return fmt.Errorf("store: cannot write tag log: %w", err)
		}
	}
	return nil
}

// syncTouched fsyncs every touched shard file, in parallel when there are several, and the
// directories of new shard files.
func (s *Store) syncTouched(hk *fileHooks, tl []touched) error {
	var dirs []string
	for _, t := range tl {
		if t.created && !slices.Contains(dirs, t.sh.w.dir) {
			dirs = append(dirs, t.sh.w.dir)
		}
	}
	if len(tl) == 1 && len(dirs) == 0 {
		if err := hk.sync(tl[0].sh.f); err != nil {
			return fmt.Errorf("store: cannot sync %s: %w", tl[0].sh.path, err)
		}
		return nil
	}
	errs := make([]error, len(tl)+len(dirs))
	var wg sync.WaitGroup
	for i, t := range tl {
		wg.Go(func() {
			if err := hk.sync(t.sh.f); err != nil {
				errs[i] = fmt.Errorf("store: cannot sync %s: %w", t.sh.path, err)
			}
		})
	}
	for i, d := range dirs {
		wg.Go(func() { errs[len(tl)+i] = syncDir(d + "/" + wellMetaName) })
	}
	wg.Wait()
	return joinErrors(errs...)
}

// rollback truncates every touched shard to its size before the group and syncs it. If that
// fails too, acknowledged data is still intact but a file may keep part of the failed group
// (whole, checksummed blocks that reappear on reopen, or a torn tail that recovery cuts), so
// the store refuses further ingest (sticky failure) until it is reopened.
func (s *Store) rollback(hk *fileHooks, tl []touched, cause error) {
	var errs []error
	for _, t := range tl {
		err := hk.truncate(t.sh.f, t.preSize)
		if err == nil {
			err = hk.sync(t.sh.f)
		}
		if err != nil {
			errs = append(errs, errors.New(t.sh.path+": "+err.Error()))
			continue
		}
		t.sh.wsize = t.preSize
	}
	if len(errs) > 0 {
		s.failed = fmt.Errorf("%w: %w (rollback failed: %w)", ErrFailed, cause, joinErrors(errs...))
		s.log.Error("store: write failed and could not be rolled back; ingest disabled until reopen", "err", s.failed)
		return
	}
	s.log.Warn("store: write failed; group rolled back", "err", cause)
}

// shardFor returns the shard of well wi starting at start, creating its file if needed.
// Committer only.
func (s *Store) shardFor(wi int, start int64) (*shard, bool, error) {
	w := s.wells[wi]
	if sh := w.findShard(start); sh != nil {
		return sh, false, nil
	}
	p := w.dir + "/" + shardName(start)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, false, fmt.Errorf("store: cannot create shard: %w", err)
	}
	sh := &shard{w: w, start: start, path: p, f: f}
	sh.refs.Store(1)
	s.mu.Lock()
	i, _ := slices.BinarySearchFunc(w.shards, start, func(sh *shard, t int64) int { return cmp.Compare(sh.start, t) })
	w.shards = slices.Insert(w.shards, i, sh)
	s.mu.Unlock()
	return sh, true, nil
}
