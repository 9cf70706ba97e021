package store

import (
	"errors"
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
	tagIDs(t, s, names...)
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

// TestTagLogTornTail cuts the last record of the tag log by hand: the tag is dropped with a
// warning and the others survive.
func TestTagLogTornTail(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, Config{Dir: dir})
	tagIDs(t, s, "one", "two", "three")
	s.Close()
	p := filepath.Join(dir, "tags.log")
	st, _ := os.Stat(p)
	if err := os.Truncate(p, st.Size()-3); err != nil {
		t.Fatal(err)
	}
	var log syncBuf
	s = openT(t, Config{Dir: dir, Logger: slogTo(&log)})
	if _, ok := s.LookupTag("three"); ok {
		t.Fatal("torn tag survived")
	}
	if id, ok := s.LookupTag("two"); !ok || id != 1 {
		t.Fatal("tag before the torn one lost")
	}
	if !strings.Contains(log.String(), "cut torn tail of tag log") {
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
