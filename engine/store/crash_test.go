package store

import (
	"bufio"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// The crash test re-executes the test binary as a writer process (TestMain checks
// crashWriterEnv). The writer ingests deterministic batches from several goroutines and prints
// "ack W K" after each Ingest returns nil. The parent SIGKILLs it mid-stream, reopens the store
// and checks every entry against the regenerated batches.
const (
	crashWriterEnv = "SLUICE_STORE_CRASH_WRITER"
	crashRoundEnv  = "SLUICE_STORE_CRASH_ROUND"
	crashRoundsEnv = "SLUICE_STORE_CRASH_ROUNDS" // kill rounds of TestCrashRecovery (default 3)
	crashWriters   = 3
	crashSlot      = int64(10 * time.Millisecond) // each batch owns one slot of time
	crashStep      = int64(time.Microsecond)
)

var crashBase = time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC).UnixNano()

var crashTags = []string{"crash.a", "crash.b", "crash.c"}

// crashConfig routes crash.a to its own well, so most batches write two files and a kill can
// land between them.
func crashConfig(dir string) Config {
	return Config{Dir: dir, ShardDuration: time.Second, BlockSize: 16 << 10, Logger: quietLogger(),
		Wells: []WellConfig{{Name: "wa", Tags: []string{"crash.a"}}}}
}

// crashBatch regenerates batch k of writer w. Entry i has timestamp
// crashBase + (k*crashWriters+w)*crashSlot + i*crashStep, so any timestamp names its batch.
func crashBatch(w, k int, tags []uint16) []wire.Entry {
	g := newLineGen(uint64(w)<<32 | uint64(k))
	n := 1 + (w*7+k*13)%300
	ts := crashBase + int64(k*crashWriters+w)*crashSlot
	es := make([]wire.Entry, n)
	for i := range es {
		es[i] = wire.Entry{TS: ts + int64(i)*crashStep, SRC: g.addr(), Tag: tags[(k+i)%len(tags)], Data: g.line(nil, i%3, ts)}
	}
	return es
}

// crashWriter is the writer process. Round r uses batch numbers from r*100000.
func crashWriter(dir, round string) int {
	r, _ := strconv.Atoi(round)
	s, err := Open(crashConfig(dir))
	if err != nil {
		os.Stderr.WriteString("writer: " + err.Error() + "\n")
		return 2
	}
	tags := make([]uint16, len(crashTags))
	for i, n := range crashTags {
		if tags[i], err = s.TagID(n); err != nil {
			os.Stderr.WriteString("writer: " + err.Error() + "\n")
			return 2
		}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range crashWriters {
		wg.Go(func() {
			for k := r * 100000; ; k++ {
				if err := s.Ingest(crashBatch(w, k, tags)); err != nil {
					os.Stderr.WriteString("writer: " + err.Error() + "\n")
					os.Exit(2)
				}
				line := "ack " + strconv.Itoa(w) + " " + strconv.Itoa(k) + "\n"
				mu.Lock()
				os.Stdout.WriteString(line)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return 0
}

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	dir := t.TempDir()
	type batchID struct{ w, k int }
	acked := map[batchID]bool{}
	rounds := 3
	if n, err := strconv.Atoi(os.Getenv(crashRoundsEnv)); err == nil && n > 0 {
		rounds = n // a longer run than make test's, by hand
	}
	for round := range rounds {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashWriterEnv+"="+dir, crashRoundEnv+"="+strconv.Itoa(round))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		n, killed := 0, false
		deadline := time.Now().Add(10 * time.Second)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) != 3 || f[0] != "ack" {
				t.Fatalf("writer said %q", sc.Text())
			}
			w, _ := strconv.Atoi(f[1])
			k, _ := strconv.Atoi(f[2])
			acked[batchID{w, k}] = true
			n++
			// kill after a round-dependent number of acks, while writes are in flight
			if !killed && (n == 150+round*70 || time.Now().After(deadline)) {
				cmd.Process.Signal(syscall.SIGKILL)
				killed = true
			}
		}
		err = cmd.Wait()
		if !killed {
			t.Fatalf("writer ended on its own: %v\n%s", err, stderr.String())
		}
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("writer did not die by SIGKILL: %v\n%s", err, stderr.String())
		}

		var log syncBuf
		cfg := crashConfig(dir)
		cfg.Logger = slogTo(&log)
		s, err := Open(cfg)
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		tags := make([]uint16, len(crashTags))
		for i, name := range crashTags {
			id, ok := s.LookupTag(name)
			if !ok {
				t.Fatalf("tag %q lost", name)
			}
			tags[i] = id
		}
		// group every stored entry by batch, checking each against its regenerated twin
		found := map[batchID][]bool{}
		regen := map[batchID][]wire.Entry{}
		var entries int
		// a kill tears only writes that were never acknowledged: nothing is reported damaged
		if c := s.DamageCounters(); c.BlocksQuarantined != 0 || c.EntriesQuarantined != 0 {
			t.Fatalf("round %d: recovery after SIGKILL quarantined data: %+v\n%s", round, c, log.String())
		}
		onDamage := func(d Damage) { t.Errorf("round %d: scan after SIGKILL reports damage %+v", round, d) }
		err = s.Scan(t.Context(), ScanQuery{Tags: tags, Start: 0, End: math.MaxInt64, Ascending: true, OnDamage: onDamage}, func(b []wire.Entry) error {
			for i := range b {
				e := &b[i]
				off := e.TS - crashBase
				slot := off / crashSlot
				id := batchID{int(slot % crashWriters), int(slot / crashWriters)}
				idx := int(off%crashSlot) / int(crashStep)
				want, ok := regen[id]
				if !ok {
					want = crashBatch(id.w, id.k, tags)
					regen[id] = want
				}
				if off < 0 || idx >= len(want) || off%crashSlot%crashStep != 0 {
					t.Fatalf("entry at %d belongs to no batch", e.TS)
				}
				we := &want[idx]
				if e.Tag != we.Tag || e.SRC != we.SRC || string(e.Data) != string(we.Data) {
					t.Fatalf("batch %v entry %d differs: got %v %v %q", id, idx, e.Tag, e.SRC, e.Data)
				}
				if found[id] == nil {
					found[id] = make([]bool, len(want))
				}
				if found[id][idx] {
					t.Fatalf("batch %v entry %d twice", id, idx)
				}
				found[id][idx] = true
				entries++
			}
			return nil
		})
		if err != nil {
			t.Fatalf("round %d: scan: %v", round, err)
		}
		for id := range acked {
			if found[id] == nil {
				t.Fatalf("round %d: acknowledged batch %v lost", round, id)
			}
		}
		unacked := 0
		for id, got := range found {
			for i, ok := range got {
				if !ok {
					t.Fatalf("round %d: batch %v is partly stored: entry %d missing (acked %v)", round, id, i, acked[id])
				}
			}
			if !acked[id] {
				unacked++
			}
		}
		t.Logf("round %d: %d acked batches, %d stored batches (%d committed but unacknowledged), %d entries; recovery log:\n%s",
			round, len(acked), len(found), unacked, entries, log.String())
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if round == 0 {
			shards, _ := filepath.Glob(filepath.Join(dir, "wells", "default", "*.shard"))
			if len(shards) < 2 {
				t.Fatalf("writer spread over %d shards, want several", len(shards))
			}
		}
	}
}
