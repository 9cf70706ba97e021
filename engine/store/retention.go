package store

import "os"

// enforceRetention drops whole shards of wells over their MaxAge or MaxBytes. It runs in the
// committer goroutine (after ingests into limited wells and every RetentionInterval), so no
// write races with a deletion. Scans holding a dropped shard finish reading it: the file is
// unlinked at once and closed after the last scan releases it.
func (s *Store) enforceRetention() {
	now := s.now().UnixNano()
	for _, w := range s.wells {
		if w.maxAge <= 0 && w.maxBytes <= 0 {
			continue
		}
		var drop []*shard
		var reasons []string
		s.mu.Lock()
		if w.maxAge > 0 {
			cutoff := now - int64(w.maxAge)
			keep := w.shards[:0]
			for _, sh := range w.shards {
				old := len(sh.blocks) > 0 && sh.maxTS < cutoff || len(sh.blocks) == 0 && sh.start+w.dur <= cutoff
				if old {
					drop = append(drop, sh)
					reasons = append(reasons, "MaxAge")
				} else {
					keep = append(keep, sh)
				}
			}
			clear(w.shards[len(keep):])
			w.shards = keep
		}
		if w.maxBytes > 0 {
			total, _ := w.bytesAndEntries()
			for len(w.shards) > 1 && total > uint64(w.maxBytes) {
				sh := w.shards[0]
				total -= uint64(sh.size)
				drop = append(drop, sh)
				reasons = append(reasons, "MaxBytes")
				w.shards[0] = nil
				w.shards = w.shards[1:]
			}
		}
		s.mu.Unlock()
		if len(drop) == 0 {
			continue
		}
		s.tags.mu.Lock()
		s.tags.mayFree = true // tags whose data went with these shards may be reclaimed
		s.tags.mu.Unlock()
		for i, sh := range drop {
			s.mu.RLock()
			bad := sh.bad
			s.mu.RUnlock()
			err := joinErrors(os.Remove(sh.path), removeIfExists(sh.path+idxSuffix), removeQuarantine(sh.path, bad), removeIfExists(sh.path+accSuffix))
			if err != nil {
				s.log.Error("store: retention could not remove shard", "well", w.name, "file", sh.path, "err", err)
			} else {
				s.log.Info("store: retention dropped shard", "well", w.name, "file", sh.path,
					"bytes", sh.size, "entries", sh.entries, "limit", reasons[i])
			}
			sh.release()
		}
		if err := syncDir(w.dir + "/" + wellMetaName); err != nil {
			s.log.Error("store: retention could not sync well directory", "well", w.name, "err", err)
		}
	}
}
