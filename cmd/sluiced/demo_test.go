package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/sluicehq/sluice/demo"
	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/wire"
)

// TestDemoKeptAlive: a demo store last written two days ago is brought up to now at start-up,
// and the live feed keeps adding fresh entries; a store of other logs is left alone.
func TestDemoKeptAlive(t *testing.T) {
	dir := t.TempDir()
	eng, err := engine.New(engine.Config{DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	old := time.Now().Add(-48 * time.Hour)
	if err := demo.Generate(demo.Config{Now: old, Count: 2000, TagID: eng.TagID}, eng.Ingest); err != nil {
		t.Fatal(err)
	}
	if err := demo.Mark(dir); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := defaultSettings()
	s.Data, s.DemoCount, s.DemoRate = dir, 2400, 200
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := keepDemoAlive(ctx, eng, s, false, log); err != nil {
		t.Fatal(err)
	}
	_, newest, _ := eng.Store().TimeBounds()
	if age := time.Since(time.Unix(0, newest)); age > time.Minute {
		t.Fatalf("after the refresh the newest entry is %s old", age)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, n2, _ := eng.Store().TimeBounds()
		if n2 > newest {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the live feed added nothing newer in 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A store of real logs gets no demo data.
	dir2 := t.TempDir()
	eng2, err := engine.New(engine.Config{DataDir: dir2, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer eng2.Close()
	tag, _ := eng2.TagID("mylogs")
	if err := eng2.Ingest([]wire.Entry{{TS: old.UnixNano(), Tag: tag, Data: []byte("mine")}}); err != nil {
		t.Fatal(err)
	}
	s.Data = dir2
	if err := keepDemoAlive(ctx, eng2, s, false, log); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if _, newest, _ := eng2.Store().TimeBounds(); newest != old.UnixNano() {
		t.Fatal("demo data was added to a store of other logs")
	}
}
