package store

import (
	"cmp"
	"errors"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// well is a group of tags stored together, partitioned into shards by time.
type well struct {
	name     string
	idx      int    // index in Store.wells
	dir      string // absolute path
	dur      int64  // shard duration, ns
	maxAge   time.Duration
	maxBytes int64
	patterns []string // tag patterns routed here (none for default and orphan wells)
	accel    AccelConfig

	// shards sorted by start; guarded by Store.mu.
	shards []*shard
}

// wellMetaName is the file that fixes a well's shard duration: a guarded file (two
// checksummed copies, see loadGuarded) holding one line "shard-duration <ns>".
const wellMetaName = "WELL"

// wellMetaBody is the content of a well's WELL file.
func wellMetaBody(dur int64) []byte {
	return []byte("shard-duration " + strconv.FormatInt(dur, 10) + "\n")
}

// legacyWellMeta accepts a WELL file written before it had a checksum and a copy.
func legacyWellMeta(b []byte) bool {
	_, ok := parseWellMeta(b)
	return ok
}

// openWell opens or creates the well directory and loads its shards.
func openWell(root string, idx int, wc WellConfig, dur time.Duration, env *loadEnv) (*well, error) {
	log := env.log
	dir := filepath.Join(root, wc.Name)
	w := &well{name: wc.Name, idx: idx, dir: dir, maxAge: wc.MaxAge, maxBytes: wc.MaxBytes, patterns: wc.Tags, accel: wc.Accel}
	if err := w.accel.check("store: well " + strconv.Quote(wc.Name) + " Accel"); err != nil {
		return nil, err
	}
	meta := filepath.Join(dir, wellMetaName)
	b, err := loadGuarded(meta, legacyWellMeta, log, env.dc)
	switch {
	case err == nil:
		v, ok := parseWellMeta(b)
		if !ok {
			return nil, errors.New("store: well " + strconv.Quote(wc.Name) + ": " + meta + " holds no valid shard duration")
		}
		w.dur = v
		if v != int64(dur) {
			log.Info("store: well keeps the shard duration it was created with", "well", wc.Name,
				"shard_duration", time.Duration(v).String(), "configured", dur.String())
		}
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, errors.New("store: cannot create well " + strconv.Quote(wc.Name) + ": " + err.Error())
		}
		if err := syncDir(dir); err != nil {
			return nil, err
		}
		w.dur = int64(dur)
		if err := writeGuarded(meta, wellMetaBody(w.dur)); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("store: cannot open well " + strconv.Quote(wc.Name) + ": " + err.Error())
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, errors.New("store: cannot open well " + strconv.Quote(wc.Name) + ": " + err.Error())
	}
	accStale, accOK := w.accelStale(), true
	for _, e := range ents {
		name := e.Name()
		p := filepath.Join(dir, name)
		if strings.HasSuffix(name, ".tmp") {
			os.Remove(p) // a write+rename interrupted by a crash
			continue
		}
		start, ok := parseShardName(name)
		if !ok {
			continue
		}
		sh, err := loadShard(w, p, start, env)
		if err != nil {
			w.closeShards()
			return nil, err
		}
		if sh.size == 0 && len(sh.bad) == 0 { // created by a group commit that failed or never finished
			sh.f.Close()
			if err := joinErrors(os.Remove(p), removeIfExists(p+idxSuffix), removeIfExists(p+accSuffix)); err != nil {
				w.closeShards()
				return nil, errors.New("store: cannot remove empty shard: " + err.Error())
			}
			continue
		}
		accOK = sh.loadAccel(&w.accel, accStale, log) && accOK
		w.shards = append(w.shards, sh)
	}
	if accStale && accOK {
		if err := w.saveAccelSpec(); err != nil {
			log.Warn("store: cannot record the well's accelerator spec; its accelerators are rebuilt at the next open", "well", wc.Name, "err", err)
		}
	}
	slices.SortFunc(w.shards, func(a, b *shard) int { return cmp.Compare(a.start, b.start) })
	return w, nil
}

func parseWellMeta(b []byte) (int64, bool) {
	s, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "shard-duration ")
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 || v > int64(maxShardDuration) {
		return 0, false
	}
	return v, true
}

func removeIfExists(p string) error {
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// closeShards drops the index reference of every shard (used on Open failure and Close).
func (w *well) closeShards() {
	for _, sh := range w.shards {
		sh.release()
	}
	w.shards = nil
}

// routes reports whether tag name belongs to this configured well.
func (w *well) routes(name string) bool {
	for _, p := range w.patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// shardStart returns the start of the shard window holding ts.
func (w *well) shardStart(ts int64) int64 { return ts - ts%w.dur }

// findShard returns the shard starting at start, or nil. Caller holds Store.mu or is the
// committer.
func (w *well) findShard(start int64) *shard {
	i, ok := slices.BinarySearchFunc(w.shards, start, func(sh *shard, t int64) int { return cmp.Compare(sh.start, t) })
	if ok {
		return w.shards[i]
	}
	return nil
}

// bytesAndEntries sums the well's published shards. Caller holds Store.mu.
func (w *well) bytesAndEntries() (bytes, entries uint64) {
	for _, sh := range w.shards {
		bytes += uint64(sh.size)
		entries += sh.entries
	}
	return bytes, entries
}
