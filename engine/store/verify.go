package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/wire"
)

// Finding is one fault Verify found, or one decision recovery takes.
type Finding struct {
	// File is the file concerned, relative to the data directory in a VerifyReport.
	File string
	// Offset and Bytes are the byte range in File; -1 when the finding is about the whole file.
	Offset, Bytes int64
	// Entries is how many entries the range held; -1 when unknown or not applicable.
	Entries int64
	// Kind names the fault, e.g. "damaged block", "damaged tail", "index file rejected".
	Kind string
	// Damage is true when stored data is lost or unreadable (or the store cannot open);
	// false for leftovers that recovery removes without loss (a torn, never acknowledged
	// tail; a stale index file).
	Damage bool
	Detail string // what is wrong
	Action string // what Open does about it, or what Verify with Repair did
}

// String formats f on one line: kind, file, range, entries, detail and action.
func (f *Finding) String() string {
	var b strings.Builder
	if f.Damage {
		b.WriteString("DAMAGE ")
	} else {
		b.WriteString("notice ")
	}
	b.WriteString(f.Kind)
	b.WriteString(": ")
	b.WriteString(f.File)
	if f.Offset >= 0 {
		fmt.Fprintf(&b, " offset=%d bytes=%d", f.Offset, f.Bytes)
	}
	switch {
	case f.Entries >= 0:
		fmt.Fprintf(&b, " entries=%d", f.Entries)
	case f.Offset >= 0:
		b.WriteString(" entries=unknown")
	}
	if f.Detail != "" {
		b.WriteString(": ")
		b.WriteString(f.Detail)
	}
	if f.Action != "" {
		b.WriteString(" [")
		b.WriteString(f.Action)
		b.WriteString("]")
	}
	return b.String()
}

// VerifyOptions configure Verify.
type VerifyOptions struct {
	// Dir is the data directory. It must exist and must not be open in a running Store.
	Dir string
	// Repair quarantines what Verify finds, as Open would, and also blocks whose bodies rot
	// under a valid index (which Open does not read): damaged ranges are recorded in the
	// shard's sidecar, damaged tails are copied aside and cut, torn tails are cut. Without
	// Repair, Verify changes nothing on disk.
	Repair bool
	// Logger receives the recovery log lines; default: discarded.
	Logger *slog.Logger
}

// VerifyReport is what Verify found.
type VerifyReport struct {
	Wells, Shards, Blocks int
	Entries, Bytes        uint64 // entries and shard bytes readable
	Findings              []Finding
}

// Damaged reports whether any finding is damage.
func (r *VerifyReport) Damaged() bool {
	return slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Damage })
}

// Verify checks a data directory offline: the indexer UUID, COMMIT, the tag log, every well's
// WELL file, and every shard: its index file, every block header and body (checksums and a
// full decode of every record), the quarantine sidecar and the damaged ranges recorded in it.
// Files it does not know are listed as notices. It takes the directory's lock, so it fails
// while a Store has the directory open. The error is for a directory it could not check at
// all; damage is in the report (and Damaged), not an error.
//
// Start-up (Open) runs the cheap part of this: index files are checked, every block header is
// compared with the index's copy, and blocks after the index are checksummed. Only Verify
// reads and decodes every block body.
func Verify(opt VerifyOptions) (*VerifyReport, error) {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	dir, err := filepath.Abs(opt.Dir)
	if err != nil {
		return nil, errors.New("store: verify: bad directory: " + err.Error())
	}
	if st, err := os.Stat(filepath.Join(dir, "wells")); err != nil || !st.IsDir() {
		return nil, errors.New("store: verify: " + opt.Dir + " is not a sluice data directory (no wells/ directory)")
	}
	lock, err := lockDir(filepath.Join(dir, "LOCK"))
	if err != nil {
		return nil, fmt.Errorf("store: verify: %w (stop sluiced first)", err)
	}
	defer unlockDir(lock)
	v := &verifier{dir: dir, opt: opt, rep: &VerifyReport{}}
	v.checkUUID()
	committed := v.checkCommit()
	v.key = v.checkBlockKey()
	v.checkTags(committed)
	if err := v.checkWells(committed); err != nil {
		return nil, err
	}
	for i := range v.rep.Findings {
		if rel, err := filepath.Rel(dir, v.rep.Findings[i].File); err == nil {
			v.rep.Findings[i].File = rel
		}
	}
	return v.rep, nil
}

type verifier struct {
	key *blockKey
	dir string
	opt VerifyOptions
	rep *VerifyReport
	dc  damageCounters
}

func (v *verifier) add(f Finding) { v.rep.Findings = append(v.rep.Findings, f) }

func (v *verifier) fileFault(p, kind, detail, action string) {
	v.add(Finding{File: p, Offset: -1, Bytes: -1, Entries: -1, Kind: kind, Damage: true, Detail: detail, Action: action})
}

func (v *verifier) checkUUID() {
	p := filepath.Join(v.dir, "indexer.uuid")
	body := v.checkGuardedFile(p, legacyUUID, "indexer UUID", "Open creates a new one")
	if body != nil && !validUUID(strings.TrimSpace(string(body))) {
		v.fileFault(p, "damaged indexer UUID", "not a canonical UUID", "Open fails; restore the file from a backup")
	}
}

// checkGuardedFile checks both copies of a guarded file (see loadGuarded) and, with Repair,
// rewrites a faulty copy from the good one. It returns the content to trust, nil when there is
// none (both copies damaged, or the file is absent: absentAction says what Open does then).
func (v *verifier) checkGuardedFile(p string, legacy func([]byte) bool, what, absentAction string) []byte {
	g := checkGuarded(p, legacy)
	if g.absent() {
		v.add(Finding{File: p, Offset: -1, Bytes: -1, Entries: -1, Kind: "missing " + what, Action: absentAction})
		return nil
	}
	if g.body == nil {
		v.fileFault(p, "damaged "+what, "both copies ("+filepath.Base(p)+" and "+filepath.Base(p)+copySuffix+") are damaged",
			"Open fails; restore one from a backup")
		return nil
	}
	action := "Open rewrites it from the good copy"
	if (g.fixMain || g.fixCopy) && v.opt.Repair {
		if err := g.repair(); err != nil {
			action = "could not rewrite it: " + err.Error()
		} else {
			action = "rewritten from the good copy"
		}
	}
	for _, pr := range g.problems() {
		kind := "damaged " + what + " copy"
		if !pr.damage {
			kind = "missing " + what + " copy"
		}
		v.add(Finding{File: pr.path, Offset: -1, Bytes: -1, Entries: -1, Kind: kind, Damage: pr.damage, Detail: pr.what, Action: action})
	}
	if g.main.state == guardLegacy {
		a := "Open adds a checksum and a second copy"
		if v.opt.Repair && !strings.HasPrefix(action, "could not") {
			a = "checksum and second copy added"
		}
		v.add(Finding{File: p, Offset: -1, Bytes: -1, Entries: -1, Kind: "unguarded " + what, Detail: "written by an older version: no checksum, no copy", Action: a})
	}
	return g.body
}

// checkBlockKey checks both copies of block.key and returns the key (nil when there is none
// to trust).
func (v *verifier) checkBlockKey() *blockKey {
	p := filepath.Join(v.dir, blockKeyName)
	body := v.checkGuardedFile(p, nil, "block key", "Open creates one")
	if body == nil {
		if g := checkGuarded(p, nil); g.absent() {
			if sh := findKeyedShard(filepath.Join(v.dir, "wells")); sh != "" {
				v.fileFault(p, "missing block key", sh+" holds keyed blocks, which cannot be checked without it",
					"Open fails; restore "+blockKeyName+" from a backup")
			}
		}
		return nil
	}
	k, ok := parseBlockKey(body)
	if !ok {
		v.fileFault(p, "damaged block key", "its content is not a block key", "Open fails; restore it from a backup")
		return nil
	}
	return k
}

// checkCommit reads COMMIT without changing it and returns the last durable commit.
func (v *verifier) checkCommit() uint64 {
	p := filepath.Join(v.dir, "COMMIT")
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		v.add(Finding{File: p, Offset: -1, Bytes: -1, Entries: -1, Kind: "missing COMMIT", Action: "Open creates it"})
		return 0
	}
	if err != nil {
		v.fileFault(p, "unreadable COMMIT", err.Error(), "Open fails")
		return math.MaxUint64
	}
	var seq uint64
	ok := false
	for i := 0; i+commitSlot <= len(b) && i < 2*commitSlot; i += commitSlot {
		s := b[i : i+commitSlot]
		if crc32.Checksum(s[:8], crcTable) == binary.LittleEndian.Uint32(s[8:]) {
			ok = true
			seq = max(seq, binary.LittleEndian.Uint64(s))
		}
	}
	if !ok {
		v.fileFault(p, "damaged COMMIT", "neither slot passes its checksum",
			"Open trusts every checksummed block, so a torn group commit may survive in part")
		return math.MaxUint64
	}
	return seq
}

// checkTags reads both copies of the tag log like Open; without Repair it changes nothing,
// with Repair it rewrites a damaged copy from the other as Open would.
func (v *verifier) checkTags(committed uint64) {
	p := filepath.Join(v.dir, "tags.log")
	var copies [2][]byte
	for i := range copies {
		b, err := readOptional(tagCopyPath(p, i))
		if err != nil {
			v.fileFault(tagCopyPath(p, i), "unreadable tag log", err.Error(), "Open fails")
			return
		}
		copies[i] = b
	}
	m, err := mergeTagLogs(copies[0], copies[1], committed)
	if err != nil {
		v.fileFault(p, "damaged tag log", "both copies: "+err.Error(), "Open fails; restore one from a backup")
		return
	}
	if m.good == nil {
		return // no tag log yet
	}
	rewrite := v.opt.Repair && (len(m.faults) > 0 || m.missing != [2]bool{})
	open := "Open reads the records from the other copy and rewrites this one"
	if rewrite {
		open = "rewritten from the other copy"
	}
	for _, f := range m.faults {
		action, detail := open, f.String()
		if !f.restored {
			action = "Open skips it and reuses no free tag ID; restore the record from a backup"
			detail += "; the other copy lost it too: one tag lost its name (its entries are stored but no tag name selects them)"
		}
		off, n := int64(f.off), int64(f.n)
		if f.n < 0 {
			off = -1
		}
		v.add(Finding{File: tagCopyPath(p, f.copy), Offset: off, Bytes: n, Entries: -1, Kind: "damaged tag log record", Damage: true,
			Detail: detail, Action: action})
	}
	for i, missing := range m.missing {
		if missing {
			v.add(Finding{File: tagCopyPath(p, i), Offset: -1, Bytes: -1, Entries: -1, Kind: "missing tag log copy",
				Damage: i == 0, Action: "Open writes it from the other copy"})
		}
	}
	for i, b := range copies {
		if b != nil && len(b) > len(m.good) && bytes.HasPrefix(b, m.good) {
			v.add(Finding{File: tagCopyPath(p, i), Offset: int64(len(m.good)), Bytes: int64(len(b) - len(m.good)), Entries: -1,
				Kind: "torn or uncommitted tag log tail", Action: "Open cuts it (no tag with data is lost)"})
		}
	}
	if rewrite {
		for i := range copies {
			if err := writeFileAtomic(tagCopyPath(p, i), m.good); err != nil {
				v.fileFault(tagCopyPath(p, i), "unwritable tag log", err.Error(), "not repaired")
			}
		}
	}
}

func (v *verifier) checkWells(committed uint64) error {
	root := filepath.Join(v.dir, "wells")
	ents, err := os.ReadDir(root)
	if err != nil {
		return errors.New("store: verify: cannot list wells: " + err.Error())
	}
	env := &loadEnv{committed: committed, log: v.opt.Logger, dc: &v.dc, findings: &v.rep.Findings, key: v.key}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		wdir := filepath.Join(root, e.Name())
		v.rep.Wells++
		b := v.checkGuardedFile(filepath.Join(wdir, wellMetaName), legacyWellMeta, "well file", "Open creates it with the configured shard duration")
		dur, ok := parseWellMeta(b)
		if !ok {
			if b != nil {
				v.fileFault(filepath.Join(wdir, wellMetaName), "damaged well file", "bad shard-duration line", "Open fails for this well; its shards are not checked")
			}
			continue
		}
		w := &well{name: e.Name(), dir: wdir, dur: dur}
		files, err := os.ReadDir(wdir)
		if err != nil {
			return errors.New("store: verify: cannot list well " + e.Name() + ": " + err.Error())
		}
		names := make(map[string]bool, len(files))
		for _, f := range files {
			names[f.Name()] = true
		}
		for _, f := range files {
			name := f.Name()
			p := filepath.Join(wdir, name)
			if start, ok := parseShardName(name); ok {
				if err := v.checkShard(w, p, start, env); err != nil {
					return err
				}
				continue
			}
			if known, orphan := sidecarOf(name, names); known {
				if orphan {
					v.add(Finding{File: p, Offset: -1, Bytes: -1, Entries: -1, Kind: "orphaned file",
						Detail: "its shard file is missing", Action: "none; remove it by hand"})
				}
				continue
			}
			if name != wellMetaName && name != wellMetaName+copySuffix && name != accelSpecName {
				v.add(Finding{File: p, Offset: -1, Bytes: -1, Entries: -1, Kind: "unrecognised file", Action: "none"})
			}
		}
	}
	return nil
}

// sidecarOf reports whether name is a file the store keeps beside a shard, and whether its
// shard is missing from names.
func sidecarOf(name string, names map[string]bool) (known, orphan bool) {
	shardOf := ""
	switch {
	case strings.HasSuffix(name, idxSuffix):
		shardOf = strings.TrimSuffix(name, idxSuffix)
	case strings.HasSuffix(name, badSuffix):
		shardOf = strings.TrimSuffix(name, badSuffix)
	case strings.HasSuffix(name, accSuffix):
		shardOf = strings.TrimSuffix(name, accSuffix)
	case strings.Contains(name, ".shard.cut-"):
		shardOf = name[:strings.Index(name, ".shard.cut-")+len(".shard")]
	case strings.HasSuffix(name, ".tmp"):
		return true, false // removed by Open
	default:
		return false, false
	}
	return true, !names[shardOf]
}

// checkShard recovers one shard (read-only unless Repair) and then reads and decodes every
// block body recovery trusted.
func (v *verifier) checkShard(w *well, p string, start int64, env *loadEnv) error {
	flag := os.O_RDONLY
	if v.opt.Repair {
		flag = os.O_RDWR
	}
	f, err := os.OpenFile(p, flag, 0)
	if err != nil {
		v.fileFault(p, "unreadable shard", err.Error(), "Open fails")
		return nil
	}
	defer f.Close()
	v.rep.Shards++
	known, malformed, err := readBadFile(p + badSuffix)
	if err != nil {
		v.fileFault(p+badSuffix, "unreadable quarantine sidecar", err.Error(), "Open fails")
		return nil
	}
	if malformed > 0 {
		v.add(Finding{File: p + badSuffix, Offset: -1, Bytes: -1, Entries: -1, Kind: "damaged quarantine sidecar",
			Detail: strconv.Itoa(malformed) + " malformed lines", Action: "ignored; the ranges they named are found again by checksum"})
	}
	for _, r := range known {
		action := "quarantined earlier: skipped in place, searches report it"
		if r.action == actionCut {
			action = "cut earlier; bytes kept in " + filepath.Base(cutName(p, r.off))
		}
		v.add(Finding{File: p, Offset: r.off, Bytes: r.size, Entries: r.entries, Kind: "quarantined range",
			Damage: true, Detail: r.reason, Action: action})
	}
	sh, err := recoverShard(w, f, p, start, env, v.opt.Repair)
	if err != nil {
		v.fileFault(p, "unreadable shard", err.Error(), "Open fails")
		return nil
	}
	filter := recordFilter{start: math.MinInt64, end: math.MaxInt64}
	var comp []byte
	var c cursor
	acc := v.openAcc(p)
	for i := range sh.blocks {
		b := &sh.blocks[i]
		if sh.isBad(b.off) {
			continue
		}
		if _, err := readBlock(sh, b, &comp, &c, &filter); err != nil {
			var be *blockError
			if errors.As(err, &be) && be.read {
				v.fileFault(p, "unreadable block", err.Error(), "searches skip it and warn")
				continue
			}
			r := rangeOf(b.off, b.size(), &b.blockHeader, actionSkipped, be.err.Error())
			action := "searches skip it and warn; -repair quarantines it"
			if v.opt.Repair {
				action = "quarantined in " + filepath.Base(p) + badSuffix
				if err := appendBadFile(p+badSuffix, &r); err != nil {
					return err
				}
			}
			v.add(Finding{File: p, Offset: b.off, Bytes: b.size(), Entries: int64(b.count), Kind: "damaged block",
				Damage: true, Detail: r.reason, Action: action})
			continue
		}
		acc.check(b, c.cur)
		v.rep.Blocks++
		v.rep.Entries += uint64(b.count)
		v.rep.Bytes += uint64(b.size())
	}
	return v.finishAcc(p, &acc)
}

// accCheck checks a shard's accelerator sidecar against its blocks.
type accCheck struct {
	present, intact   bool
	recs              map[int64]accRecs
	missing, mismatch int
	sumMismatch       int
	ab                accelBuilder
	sb                summaryBuilder
	spec              *accelSpec // what the well's ACCEL file says the records index
}

func (v *verifier) openAcc(shardPath string) accCheck {
	data, err := os.ReadFile(shardPath + accSuffix)
	if err != nil {
		return accCheck{}
	}
	recs, intact := parseAccFile(data)
	return accCheck{present: true, intact: intact, recs: recs, spec: readAccelSpec(filepath.Dir(shardPath))}
}

// check compares the records of block b with the block's entries: every token of every entry
// must pass the bloom filter, or searches would skip a block that matches, and the summary
// must be the one the entries give, or counts answered from it would be wrong. (A block may
// lack a bloom filter, in a well without accelerators, but not both records.)
func (a *accCheck) check(b *blockMeta, ents []wire.Entry) {
	if !a.present {
		return
	}
	r := a.recs[b.off]
	if r.sum != nil && !summaryMatches(&a.sb, r.sum, &b.blockHeader, ents) {
		a.sumMismatch++
	}
	bl := r.bloom
	if bl == nil {
		if r.sum == nil {
			a.missing++
		}
		return
	}
	a.ab.reset()
	for i := range ents {
		a.ab.addEntry(a.spec, &ents[i])
	}
	for _, h := range a.ab.set {
		if h != 0 && !bl.has(h) {
			a.mismatch++
			return
		}
	}
}

// finishAcc reports the accelerator findings of a shard; with Repair it removes a faulty
// sidecar so that Open rebuilds it from the blocks.
func (v *verifier) finishAcc(shardPath string, a *accCheck) error {
	p := shardPath + accSuffix
	action := func(open string) string {
		if v.opt.Repair {
			return "removed; Open rebuilds it from the blocks"
		}
		return open
	}
	faulty := false
	if a.present && !a.intact {
		faulty = true
		v.add(Finding{File: p, Offset: -1, Bytes: -1, Entries: -1, Kind: "damaged accelerator file",
			Detail: "a record fails its checksum or framing", Action: action("Open rebuilds the damaged records from the blocks")})
	}
	if a.missing > 0 {
		faulty = true
		v.add(Finding{File: p, Offset: -1, Bytes: -1, Entries: -1, Kind: "missing accelerator records",
			Detail: strconv.Itoa(a.missing) + " blocks have none", Action: action("Open rebuilds them from the blocks")})
	}
	if a.mismatch > 0 {
		faulty = true
		v.add(Finding{File: p, Offset: -1, Bytes: -1, Entries: -1, Kind: "accelerator does not match its blocks", Damage: true,
			Detail: strconv.Itoa(a.mismatch) + " blocks hold tokens their bloom filter rejects, so searches could skip matching entries",
			Action: action("not detected by Open; run verify -repair")})
	}
	if a.sumMismatch > 0 {
		faulty = true
		v.add(Finding{File: p, Offset: -1, Bytes: -1, Entries: -1, Kind: "block summary does not match its block", Damage: true,
			Detail: strconv.Itoa(a.sumMismatch) + " blocks have a summary that differs from their entries, so counts answered from it would be wrong",
			Action: action("not detected by Open when the header agrees; run verify -repair")})
	}
	if faulty && v.opt.Repair {
		if err := os.Remove(p); err != nil {
			return errors.New("store: verify: cannot remove accelerator file: " + err.Error())
		}
	}
	return nil
}
