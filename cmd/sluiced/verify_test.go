package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestVerifySubcommand: a real sluiced stores entries through HTTP ingest and stops; a byte of
// its shard is flipped; `sluiced verify` exits 1 naming the file, offset and entries and
// changes nothing; -repair quarantines; a clean store exits 0.
func TestVerifySubcommand(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	s := defaultSettings()
	s.Listen, s.Data, s.Demo, s.LogLevel = "127.0.0.1:0", data, false, "error"
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- serve(ctx, s, func(a string) { addrc <- a }) }()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-errc:
		t.Fatal(err)
	case <-time.After(20 * time.Second):
		t.Fatal("sluiced did not start")
	}
	for r := range 3 {
		var b strings.Builder
		for i := range 100 {
			b.WriteString(time.Date(2024, 5, 1, 9, r, i%60, 0, time.UTC).Format(time.RFC3339) + " host sshd: line with some text to store\n")
		}
		resp, err := http.Post("http://"+addr+"/api/ingest?tag=v", "text/plain", strings.NewReader(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("ingest: %s", resp.Status)
		}
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}

	verify := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		err := runVerify(args, &out, &errOut)
		code := 0
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		} else if err != nil {
			t.Fatal(err)
		}
		return code, out.String() + errOut.String()
	}
	if code, out := verify("-data", data); code != 0 || !strings.Contains(out, "0 findings") {
		t.Fatalf("clean store: exit %d\n%s", code, out)
	}
	shards, _ := filepath.Glob(filepath.Join(data, "wells", "default", "*.shard"))
	if len(shards) != 1 {
		t.Fatalf("shards: %v", shards)
	}
	b, _ := os.ReadFile(shards[0])
	b[len(b)/2] ^= 1
	os.WriteFile(shards[0], b, 0o644)
	rel, _ := filepath.Rel(data, shards[0])
	code, out := verify("-data", data)
	if code != verifyDamaged || !strings.Contains(out, "DAMAGE damaged block: "+rel+" offset=") || !strings.Contains(out, "entries=") {
		t.Fatalf("damaged store: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(shards[0] + ".bad"); !os.IsNotExist(err) {
		t.Fatal("read-only verify wrote a sidecar")
	}
	code, out = verify("-data", data, "-repair")
	if code != verifyDamaged || !strings.Contains(out, "quarantined in") {
		t.Fatalf("repair: exit %d\n%s", code, out)
	}
	// one damaged copy of the tag log and of the well file: named, repaired from the other copy
	flipAt := func(p string, off int) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b[off] ^= 0x20
		os.WriteFile(p, b, 0o644)
	}
	flipAt(filepath.Join(data, "tags.log"), 10)
	flipAt(filepath.Join(data, "wells", "default", "WELL.copy"), 2)
	code, out = verify("-data", data)
	if code != verifyDamaged || !strings.Contains(out, "DAMAGE damaged tag log record: tags.log offset=8") ||
		!strings.Contains(out, "DAMAGE damaged well file copy: "+filepath.Join("wells", "default", "WELL.copy")) {
		t.Fatalf("damaged metadata copies: exit %d\n%s", code, out)
	}
	if _, out = verify("-data", data, "-repair"); !strings.Contains(out, "rewritten from the other copy") || !strings.Contains(out, "rewritten from the good copy") {
		t.Fatalf("repair of metadata copies:\n%s", out)
	}
	if _, out = verify("-data", data); strings.Contains(out, "tags.log") || strings.Contains(out, "WELL") {
		t.Fatalf("metadata copies still damaged after -repair:\n%s", out)
	}
	if code, out := verify("-data", filepath.Join(dir, "missing")); code != verifyFailed {
		t.Fatalf("missing dir: exit %d\n%s", code, out)
	}
}
