package store

import (
	"encoding/binary"
	"hash/crc32"
	"math"
	"syscall"
	"time"

	"errors"
	"github.com/sluicehq/sluice/wire"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestTagIDSuccess(t *testing.T) {
	s := openT(t, Config{Dir: t.TempDir()})
	f := func(name string, want uint16) {
		t.Helper()
		id, err := s.TagID(name)
		if err != nil || id != want {
			t.Fatalf("TagID(%q) = %d, %v; want %d", name, id, err, want)
		}
		// twice gives the same ID
		if id, err := s.TagID(name); err != nil || id != want {
			t.Fatalf("second TagID(%q) = %d, %v; want %d", name, id, err, want)
		}
		if got, ok := s.TagName(want); !ok || got != name {
			t.Fatalf("TagName(%d) = %q, %v", want, got, ok)
		}
	}
	f("syslog", 0)
	f("web.access-log_2", 1)
	f("A", 2)
	f(strings.Repeat("x", MaxTagLength), 3)
	f("syslog", 0)
	if _, ok := s.TagName(4); ok {
		t.Fatal("TagName of unknown ID")
	}
}

func TestTagIDFailure(t *testing.T) {
	s := openT(t, Config{Dir: t.TempDir()})
	f := func(name string) {
		t.Helper()
		_, err := s.TagID(name)
		if !errors.Is(err, ErrInvalidTag) {
			t.Fatalf("TagID(%q) error %v, want ErrInvalidTag", name, err)
		}
		if !strings.HasPrefix(err.Error(), "store: ") {
			t.Fatalf("error %q lacks package prefix", err)
		}
		if _, ok := s.LookupTag(name); ok {
			t.Fatalf("invalid tag %q was created", name)
		}
	}
	f("")
	f(strings.Repeat("x", MaxTagLength+1))
	f("has space")
	f("slash/tag")
	f("star*")
	f("ünïcode")
	f("nul\x00")
	f(".")
	f("..")
}

func TestTagsPersist(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, Config{Dir: dir})
	names := []string{"c", "a", "b"}
	ingestTagged(t, s, tagIDs(t, s, names...)...) // tags are durable with their entries
	uuid := s.IndexerUUID()
	if !validUUID(uuid) || uuid[14] != '4' {
		t.Fatalf("IndexerUUID %q is not a canonical v4 UUID", uuid)
	}
	s.Close()
	s = openT(t, Config{Dir: dir})
	for i, n := range names {
		if id, ok := s.LookupTag(n); !ok || id != uint16(i) {
			t.Fatalf("after reopen LookupTag(%q) = %d, %v", n, id, ok)
		}
	}
	if id := tagIDs(t, s, "d")[0]; id != 3 {
		t.Fatalf("new tag after reopen got ID %d", id)
	}
	if s.IndexerUUID() != uuid {
		t.Fatalf("UUID changed: %s -> %s", uuid, s.IndexerUUID())
	}
	if st := s.Stats(); st[0].ID != uuid[:8]+"-default" {
		t.Fatalf("well ID %q", st[0].ID)
	}
}

// TestTagLogTornTail cuts the last record of both copies of the tag log by hand: the tag is
// dropped with a warning and the others survive. (One cut copy is restored from the other:
// TestTagLogCopyRestores.)
func TestTagLogTornTail(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, Config{Dir: dir})
	for _, id := range tagIDs(t, s, "one", "two", "three") {
		ingestTagged(t, s, id) // one group commit, so one tag record, each
	}
	s.Close()
	p := filepath.Join(dir, "tags.log")
	for _, f := range []string{p, p + copySuffix} {
		st, _ := os.Stat(f)
		if err := os.Truncate(f, st.Size()-3); err != nil {
			t.Fatal(err)
		}
	}
	var log syncBuf
	s = openT(t, Config{Dir: dir, Logger: slogTo(&log)})
	if _, ok := s.LookupTag("three"); ok {
		t.Fatal("torn tag survived")
	}
	if id, ok := s.LookupTag("two"); !ok || id != 1 {
		t.Fatal("tag before the torn one lost")
	}
	if !strings.Contains(log.String(), "cut torn or uncommitted tail of tag log") {
		t.Fatalf("no warning logged: %s", log.String())
	}
	if id := tagIDs(t, s, "four")[0]; id != 2 {
		t.Fatalf("next tag ID %d", id)
	}
}

func TestMatchTags(t *testing.T) {
	s := openT(t, Config{Dir: t.TempDir()})
	tagIDs(t, s, "web", "syslog", "weblog", "netflow", "web2", "auth")
	f := func(patterns []string, want ...string) {
		t.Helper()
		ids, names := s.MatchTags(patterns)
		if !slices.Equal(names, want) && !(len(names) == 0 && len(want) == 0) {
			t.Fatalf("MatchTags(%q) names %q, want %q", patterns, names, want)
		}
		for i, id := range ids {
			if n, _ := s.TagName(id); n != names[i] {
				t.Fatalf("MatchTags(%q): id %d is %q, not %q", patterns, id, n, names[i])
			}
		}
	}
	f([]string{"syslog"}, "syslog")
	f([]string{"nope"})
	f([]string{"web*"}, "web", "web2", "weblog")
	f([]string{"weblog", "web*"}, "weblog", "web", "web2")
	f([]string{"syslog", "*"}, "syslog", "auth", "netflow", "web", "web2", "weblog")
	f([]string{"?eb"}, "web")
	f([]string{"[ns]*"}, "netflow", "syslog")
	f([]string{"[bad"})
	f([]string{"auth", "auth", "a*"}, "auth")
	f(nil)
}

func TestConfigErrors(t *testing.T) {
	f := func(cfg Config, want string) {
		t.Helper()
		_, err := Open(cfg)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("Open(%+v) error %v, want %q", cfg, err, want)
		}
	}
	dir := t.TempDir()
	f(Config{}, "Dir is required")
	f(Config{Dir: dir, MaxEntrySize: -1}, "MaxEntrySize")
	f(Config{Dir: dir, ShardDuration: -1}, "ShardDuration")
	f(Config{Dir: dir, BlockSize: 1 << 30}, "BlockSize")
	f(Config{Dir: dir, Compression: 9}, "Compression")
	f(Config{Dir: dir, Wells: []WellConfig{{Name: "bad name", Tags: []string{"x"}}}}, "Wells[0].Name")
	f(Config{Dir: dir, Wells: []WellConfig{{Name: "a", Tags: []string{"x"}}, {Name: "a", Tags: []string{"y"}}}}, "duplicate")
	f(Config{Dir: dir, Wells: []WellConfig{{Name: "default", Tags: []string{"x"}}}}, "cannot list Tags")
	f(Config{Dir: dir, Wells: []WellConfig{{Name: "a"}}}, "has no Tags")
	f(Config{Dir: dir, Wells: []WellConfig{{Name: "a", Tags: []string{"[x"}}}}, "bad pattern")
	s := openT(t, Config{Dir: dir})
	_ = s
	f(Config{Dir: dir}, "in use")
}

// ingestTagged stores one entry of each tag in one Ingest call.
func ingestTagged(t *testing.T, s *Store, ids ...uint16) {
	t.Helper()
	var es []wire.Entry
	for i, id := range ids {
		es = append(es, wire.Entry{TS: 1e18 + int64(i), Tag: id, Data: []byte("x")})
	}
	if err := s.Ingest(es); err != nil {
		t.Fatal(err)
	}
}

// TestTagsDurableOnlyWithEntries: a tag is written with its first committed entries; a tag
// whose request never stored anything is gone after a restart, and at once when released.
func TestTagsDurableOnlyWithEntries(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, Config{Dir: dir})
	ids := tagIDs(t, s, "kept", "never-stored", "released")
	ingestTagged(t, s, ids[0])
	s.ReleaseTags(ids[2:])
	if _, ok := s.LookupTag("released"); ok {
		t.Fatal("a released tag without entries survived")
	}
	if id := tagIDs(t, s, "reuses-the-id")[0]; id != ids[2] {
		t.Fatalf("freed ID %d not reused (got %d)", ids[2], id)
	}
	s.Close()
	s = openT(t, Config{Dir: dir})
	if id, ok := s.LookupTag("kept"); !ok || id != ids[0] {
		t.Fatalf("kept: %d %v", id, ok)
	}
	for _, n := range []string{"never-stored", "released", "reuses-the-id"} {
		if _, ok := s.LookupTag(n); ok {
			t.Fatalf("tag %q without entries survived a restart", n)
		}
	}
	// a failed write keeps no tag either
	id := tagIDs(t, s, "failed")[0]
	s.hooks.Store(&fileHooks{writeAt: func(f *os.File, b []byte, off int64) (int, error) { return 0, syscall.ENOSPC },
		sync: defaultHooks.sync, truncate: defaultHooks.truncate})
	if err := s.Ingest([]wire.Entry{{TS: 1e18, Tag: id, Data: []byte("x")}}); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Ingest on a full disk: %v", err)
	}
	s.hooks.Store(&defaultHooks)
	s.Close()
	s = openT(t, Config{Dir: dir})
	if _, ok := s.LookupTag("failed"); ok {
		t.Fatal("the tag of a failed ingest survived")
	}
}

// TestMaxTags: the limit is configurable and named in its error; releasing a failed
// request's tags makes room again.
func TestMaxTags(t *testing.T) {
	s := openT(t, Config{Dir: t.TempDir(), MaxTags: 3})
	ids := tagIDs(t, s, "a", "b", "c")
	_, err := s.TagID("d")
	var le *LimitError
	if !errors.Is(err, ErrTooManyTags) || !errors.As(err, &le) || le.Field != "MaxTags" || le.Limit != 3 ||
		!strings.Contains(err.Error(), "Config.MaxTags=3") {
		t.Fatalf("TagID past MaxTags: %v", err)
	}
	if id, err := s.TagID("a"); err != nil || id != ids[0] {
		t.Fatalf("existing tag at the limit: %d, %v", id, err)
	}
	s.ReleaseTags(ids[1:]) // "a" is still held twice
	if _, err := s.TagID("d"); err != nil {
		t.Fatalf("after release: %v", err)
	}
	if _, err := Open(Config{Dir: t.TempDir(), MaxTags: MaxTags + 1}); err == nil || !strings.Contains(err.Error(), "MaxTags") {
		t.Fatalf("MaxTags out of range: %v", err)
	}
}

// TestTagReuseAfterRetention: once retention removed every entry of a tag, its ID is reused
// at the limit, and the new name is what a restart finds.
func TestTagReuseAfterRetention(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, MaxTags: 2, Wells: []WellConfig{{Name: DefaultWell, MaxAge: time.Hour}}}
	s := openT(t, cfg)
	old, recent := tagIDs(t, s, "old")[0], tagIDs(t, s, "recent")[0]
	now := time.Now().UnixNano()
	if err := s.Ingest([]wire.Entry{{TS: now - 48*int64(time.Hour), Tag: old, Data: []byte("gone")},
		{TS: now, Tag: recent, Data: []byte("here")}}); err != nil {
		t.Fatal(err)
	}
	s.ReleaseTags([]uint16{old, recent})
	// retention runs after the ingest; the old shard is gone
	id, err := s.TagID("new")
	if err != nil {
		t.Fatalf("TagID at the limit after retention: %v", err)
	}
	if id != old {
		t.Fatalf("new tag got ID %d, want the reclaimed %d", id, old)
	}
	if _, ok := s.LookupTag("old"); ok {
		t.Fatal("reclaimed tag still resolves")
	}
	if _, err := s.TagID("another"); !errors.Is(err, ErrTooManyTags) {
		t.Fatalf("a tag with data was reclaimed: %v", err)
	}
	if err := s.Ingest([]wire.Entry{{TS: now, Tag: id, Data: []byte("new")}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openT(t, cfg)
	if got, ok := s.LookupTag("new"); !ok || got != old {
		t.Fatalf("after restart: new = %d, %v", got, ok)
	}
	if _, ok := s.LookupTag("old"); ok {
		t.Fatal("after restart the reused ID has its old name")
	}
	if got := scanAll(t, s, ScanQuery{Tags: []uint16{id}, End: math.MaxInt64}); len(got) != 1 || got[0].Data != "new" {
		t.Fatalf("scan of the reused ID: %+v", got)
	}
}

// TestTagLogV1Upgrade: a version 1 log (records in ID order) opens with the same IDs and is
// rewritten as version 2.
func TestTagLogV1Upgrade(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, Config{Dir: dir})
	s.Close()
	v1 := append([]byte(nil), tagLogMagicV1...)
	for _, n := range []string{"x", "y", "z"} {
		start := len(v1)
		v1 = append(v1, byte(len(n)))
		v1 = append(v1, n...)
		v1 = binary.LittleEndian.AppendUint32(v1, crc32.Checksum(v1[start:], crcTable))
	}
	p := filepath.Join(dir, "tags.log")
	if err := os.WriteFile(p, v1, 0o644); err != nil {
		t.Fatal(err)
	}
	s = openT(t, Config{Dir: dir})
	for i, n := range []string{"x", "y", "z"} {
		if id, ok := s.LookupTag(n); !ok || id != uint16(i) {
			t.Fatalf("%s: %d %v", n, id, ok)
		}
	}
	s.Close()
	if b, _ := os.ReadFile(p); !strings.HasPrefix(string(b), string(tagLogMagic)) {
		t.Fatal("log not upgraded")
	}
	s = openT(t, Config{Dir: dir})
	if id, ok := s.LookupTag("z"); !ok || id != 2 {
		t.Fatal("upgraded log lost a tag")
	}
}

// TestTagLogDamagedRecord: a record damaged in the middle of both copies of the tag log loses
// that one tag's name, not the tags after it; no ID is reused; verify names the range. (A
// record damaged in one copy loses nothing: TestTagLogCopyRestores.)
func TestTagLogDamagedRecord(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, Config{Dir: dir})
	for _, id := range tagIDs(t, s, "one", "two", "three") {
		ingestTagged(t, s, id)
	}
	s.ReleaseTags([]uint16{0, 1, 2})
	s.Close()
	p := filepath.Join(dir, "tags.log")
	// the second record starts after the magic and the first (1+3+2+8+4 bytes)
	second := len(tagLogMagic) + 1 + 3 + 2 + 8 + 4
	for _, f := range []string{p, p + copySuffix} {
		flipByte(t, f, int64(second+2))
	}
	rep, err := Verify(VerifyOptions{Dir: dir})
	if err != nil || !rep.Damaged() || len(rep.Findings) != 2 || rep.Findings[0].Kind != "damaged tag log record" ||
		rep.Findings[0].Offset != int64(second) || !strings.Contains(rep.Findings[0].Detail, "lost it too") {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	var log syncBuf
	s = openT(t, Config{Dir: dir, Logger: slogTo(&log)})
	if id, ok := s.LookupTag("three"); !ok || id != 2 {
		t.Fatalf("the tag after the damaged record: %d %v\n%s", id, ok, log.String())
	}
	if _, ok := s.LookupTag("two"); ok {
		t.Fatal("the damaged record's tag survived")
	}
	if id := tagIDs(t, s, "four")[0]; id == 1 {
		t.Fatal("the lost tag's ID was reused")
	}
	if !strings.Contains(log.String(), "tag log record damaged in both copies") {
		t.Fatalf("not logged:\n%s", log.String())
	}
}

// TestTagLogCopyRestores: any single fault in one copy of the tag log (a flipped record, a
// bad header, a lost tail, a zeroed page, a missing file) loses no tag: Open reads the
// records from the other copy, rewrites the damaged one (logged, counted), every tag still
// selects its entries, Verify names the fault first and finds nothing after.
func TestTagLogCopyRestores(t *testing.T) {
	names := []string{"one", "two", "three", "four"}
	second := len(tagLogMagic) + 1 + 3 + 2 + 8 + 4
	for _, c := range []struct {
		name   string
		damage func(t *testing.T, p string)
	}{
		{"flip-record", func(t *testing.T, p string) { flipByte(t, p, int64(second+2)) }},
		{"flip-header", func(t *testing.T, p string) { flipByte(t, p, 2) }},
		{"cut-last-records", func(t *testing.T, p string) { os.Truncate(p, int64(second+5)) }},
		{"zeroed", func(t *testing.T, p string) {
			st, _ := os.Stat(p)
			writeAtT(t, p, 0, make([]byte, st.Size()))
		}},
		{"deleted", func(t *testing.T, p string) { os.Remove(p) }},
	} {
		for _, which := range []string{"", copySuffix} {
			t.Run(c.name+which, func(t *testing.T) {
				dir := t.TempDir()
				s := openT(t, Config{Dir: dir})
				for _, id := range tagIDs(t, s, names...) {
					ingestTagged(t, s, id)
				}
				s.Close()
				p := filepath.Join(dir, "tags.log")
				c.damage(t, p+which)
				rep, err := Verify(VerifyOptions{Dir: dir})
				if err != nil || len(rep.Findings) == 0 || rep.Findings[0].File != "tags.log"+which {
					t.Fatalf("verify: %+v %v", rep, err)
				}
				for _, f := range rep.Findings {
					t.Log(f.String())
				}
				var log syncBuf
				s = openT(t, Config{Dir: dir, Logger: slogTo(&log)})
				for i, n := range names {
					id, ok := s.LookupTag(n)
					if !ok || id != uint16(i) {
						t.Fatalf("tag %s: %d %v\n%s", n, id, ok, log.String())
					}
					if got := scanAll(t, s, ScanQuery{Tags: []uint16{id}, End: MaxTimestamp}); len(got) != 1 {
						t.Fatalf("tag %s selects %d entries", n, len(got))
					}
				}
				// a missing copy is also how a store from before the copy looks: created, not counted
				upgrade := c.name == "deleted" && which == copySuffix
				if s.DamageCounters().CopiesRepaired == 0 && !upgrade || !strings.Contains(log.String(), "tags.log"+which) {
					t.Fatalf("repair not counted or logged:\n%s", log.String())
				}
				id := tagIDs(t, s, "five")[0]
				ingestTagged(t, s, id)
				s.Close()
				if rep, err := Verify(VerifyOptions{Dir: dir}); err != nil || len(rep.Findings) != 0 {
					t.Fatalf("after the repair: %+v %v", rep, err)
				}
				a, _ := os.ReadFile(p)
				b, _ := os.ReadFile(p + copySuffix)
				if string(a) != string(b) {
					t.Fatal("copies differ after the repair")
				}
				s = openT(t, Config{Dir: dir})
				if id, ok := s.LookupTag("five"); !ok || id != 4 {
					t.Fatalf("tag added after the repair: %d %v", id, ok)
				}
			})
		}
	}
}
