package budget

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

func TestReserveHoldsUnderContention(t *testing.T) {
	b := New("memory_budget_mb", 1<<20)
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := int64(0)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				if b.Reserve(4096) {
					mu.Lock()
					got += 4096
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if got != 1<<20 || b.Used() != 1<<20 || b.Peak() != 1<<20 {
		t.Fatalf("reserved %d, used %d, peak %d; want exactly the limit", got, b.Used(), b.Peak())
	}
	if b.Refusals() != 16*1000-256 {
		t.Fatalf("refusals %d", b.Refusals())
	}
	b.Release(got)
	if b.Used() != 0 {
		t.Fatalf("used %d after release", b.Used())
	}
}

func TestReserveUpTo(t *testing.T) {
	b := New("render_disk_budget_mb", 100)
	if n := b.ReserveUpTo(10, 60); n != 60 {
		t.Fatalf("first %d", n)
	}
	if n := b.ReserveUpTo(10, 60); n != 40 {
		t.Fatalf("second %d, want the 40 left", n)
	}
	if n := b.ReserveUpTo(1, 60); n != 0 {
		t.Fatalf("third %d, want 0", n)
	}
}

func TestErrorNamesField(t *testing.T) {
	b := New("memory_budget_mb", 256<<20)
	b.Reserve(200 << 20)
	var err error = b.Error("search launch minimum", 64<<20)
	var be *Error
	if !errors.As(err, &be) || be.Field != "memory_budget_mb" {
		t.Fatal(err)
	}
	for _, want := range []string{"memory_budget_mb reached", "64.0 MiB", "200.0 MiB of 256.0 MiB", "search launch minimum"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}

func TestNilIsUnlimited(t *testing.T) {
	var b *Budget
	if !b.Reserve(1<<40) || b.Used() != 0 || b.ReserveUpTo(1, 5) != 5 {
		t.Fatal("nil budget refused")
	}
	b.Release(5)
}
