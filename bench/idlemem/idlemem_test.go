package idlemem

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/bench/loadgen"
	"github.com/sluicehq/sluice/engine"
)

var (
	subscribers = flag.Int("idlemem.n", 5000, "idle stats subscribers to connect")
	settle      = flag.Duration("idlemem.settle", time.Second, "wait with every subscriber connected before measuring, as sluice-load idle (broadcasts keep flowing)")
	profileRate = flag.Int("idlemem.memprofilerate", 1, "runtime.MemProfileRate: 1 records every allocation (exact sites, but the profile's own buckets add to RSS and are reported apart); 0 disables the profile")
	period      = flag.Duration("idlemem.period", 2*time.Second, "ping and sysStats broadcast period of the engine (bench/report.sh uses 2s)")
	heapProfile = flag.String("idlemem.heapprofile", "", "write the heap profile taken with every subscriber connected to this file")
	jsonOut     = flag.String("idlemem.json", "", "write the figures as JSON to this file")
	useTLS      = flag.Bool("idlemem.tls", false, "serve https/wss with a generated certificate (as sluiced -tls-cert/-tls-key) and connect over wss")
)

// childEnv switches the re-executed test binary into client mode: it holds the subscribers.
const childEnv = "SLUICE_IDLEMEM_CLIENTS"

// childTLSEnv tells the child to connect over wss.
const childTLSEnv = "SLUICE_IDLEMEM_TLS"

// selfSigned returns a fresh self-signed ECDSA certificate for 127.0.0.1.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestMain runs the client side when re-executed as the child, and otherwise records every
// heap allocation (MemProfileRate 1, unless -idlemem.memprofilerate says otherwise) so that
// per-connection figures are exact, not sampled.
func TestMain(m *testing.M) {
	if v := os.Getenv(childEnv); v != "" {
		os.Exit(runClients(v))
	}
	flag.Parse()
	runtime.MemProfileRate = *profileRate
	os.Exit(m.Run())
}

// subs are the channels every subscriber asks for: the Go client's list, as sluice-load idle.
var subs = []string{"ping", "idxStats", "sysStats", "sysDesc"}

// runClients is the child: "ADDR N" connects N stats subscribers to ADDR over 8 loopback
// source addresses, each read by its own goroutine (messages discarded), prints
// "connected K" once all dials ended, and exits when stdin closes.
func runClients(spec string) int {
	addr, nstr, _ := strings.Cut(spec, " ")
	n, err := strconv.Atoi(nstr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "idlemem child:", err)
		return 2
	}
	srcs := loadgen.SourceAddrs(addr, 8)
	url := "ws://" + addr + "/api/ws/stats"
	var tlsc *tls.Config
	if os.Getenv(childTLSEnv) != "" {
		url = "wss://" + addr + "/api/ws/stats"
		tlsc = &tls.Config{InsecureSkipVerify: true} // the parent's throwaway certificate; loopback only
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var conns []*loadgen.Conn
	var firstErr error
	sem := make(chan struct{}, 32)
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			c, err := loadgen.Dial(context.Background(), loadgen.DialConfig{URL: url, LocalAddr: srcs[i%len(srcs)], TLS: tlsc})
			if err == nil {
				if err = c.Subscribe(subs); err != nil {
					c.Close()
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			c.SetReadDeadline(time.Time{})
			conns = append(conns, c)
			go func() {
				for {
					if _, err := c.ReadMessage(); err != nil {
						return
					}
				}
			}()
		}()
	}
	wg.Wait()
	if firstErr != nil {
		fmt.Fprintln(os.Stderr, "idlemem child: first dial error:", firstErr)
	}
	fmt.Printf("connected %d\n", len(conns))
	io.Copy(io.Discard, os.Stdin) // the parent closes stdin to stop us
	for _, c := range conns {
		c.Close()
	}
	return 0
}

// snapshot is the server process's memory at one moment.
type snapshot struct {
	RSS          int64  `json:"rss_bytes"`
	HeapAlloc    uint64 `json:"heap_alloc_bytes"`    // live + not yet swept garbage
	HeapInuse    uint64 `json:"heap_inuse_bytes"`    // spans holding objects
	HeapIdle     uint64 `json:"heap_idle_bytes"`     // free spans, retained or released
	HeapReleased uint64 `json:"heap_released_bytes"` // free spans returned to the OS
	StackInuse   uint64 `json:"stack_inuse_bytes"`
	MSpan        uint64 `json:"mspan_inuse_bytes"` // span descriptors
	GCSys        uint64 `json:"gc_sys_bytes"`      // GC metadata
	OtherSys     uint64 `json:"other_sys_bytes"`   // other runtime structures (incl. MCache)
	Profiling    uint64 `json:"buck_hash_sys_bytes"`
	Sys          uint64 `json:"sys_bytes"`
	TotalAlloc   uint64 `json:"total_alloc_bytes"`
	NextGC       uint64 `json:"next_gc_bytes"`
	NumGC        uint32 `json:"num_gc"`
	Goroutines   int    `json:"goroutines"`
}

func take(tb testing.TB) snapshot {
	tb.Helper()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	rss, err := loadgen.RSS(os.Getpid())
	if err != nil {
		tb.Fatal(err)
	}
	return snapshot{
		RSS: rss, HeapAlloc: m.HeapAlloc, HeapInuse: m.HeapInuse, HeapIdle: m.HeapIdle, HeapReleased: m.HeapReleased,
		StackInuse: m.StackInuse, MSpan: m.MSpanInuse, GCSys: m.GCSys, OtherSys: m.OtherSys + m.MCacheInuse, Profiling: m.BuckHashSys,
		Sys: m.Sys, TotalAlloc: m.TotalAlloc, NextGC: m.NextGC, NumGC: m.NumGC, Goroutines: runtime.NumGoroutine(),
	}
}

// perConn is the growth from base to s divided by n connections, field by field.
type perConn struct {
	RSS, HeapAlloc, HeapInuse, HeapRetained, StackInuse, MSpan, GCSys, OtherSys, Profiling float64
	// RSSLessProfiling is RSS less the memory profile's own buckets (BuckHashSys), which a
	// server without profiling does not have.
	RSSLessProfiling float64
}

func delta(base, s snapshot, n int) perConn {
	d := func(a, b uint64) float64 { return (float64(b) - float64(a)) / float64(n) }
	p := perConn{
		RSS:          float64(s.RSS-base.RSS) / float64(n),
		HeapAlloc:    d(base.HeapAlloc, s.HeapAlloc),
		HeapInuse:    d(base.HeapInuse, s.HeapInuse),
		HeapRetained: d(base.HeapIdle-base.HeapReleased, s.HeapIdle-s.HeapReleased),
		StackInuse:   d(base.StackInuse, s.StackInuse),
		MSpan:        d(base.MSpan, s.MSpan),
		GCSys:        d(base.GCSys, s.GCSys),
		OtherSys:     d(base.OtherSys, s.OtherSys),
		Profiling:    d(base.Profiling, s.Profiling),
	}
	p.RSSLessProfiling = p.RSS - p.Profiling
	return p
}

func (p perConn) String() string {
	return fmt.Sprintf("RSS %5.0f B (%5.0f without the profile's buckets): heap alloc %4.0f, heap in use %4.0f, heap free not released %4.0f, stacks %4.0f, span descriptors %3.0f, GC metadata %3.0f, other runtime %3.0f, profile buckets %4.0f",
		p.RSS, p.RSSLessProfiling, p.HeapAlloc, p.HeapInuse, p.HeapRetained, p.StackInuse, p.MSpan, p.GCSys, p.OtherSys, p.Profiling)
}

// site is the live heap allocated at one function (the first frame outside the runtime),
// from the memory profile.
type site struct {
	Func    string  `json:"func"`
	Bytes   int64   `json:"bytes"`   // in use
	Objects int64   `json:"objects"` // in use
	PerConn float64 `json:"bytes_per_conn"`
	Alloc   int64   `json:"alloc_bytes"` // allocated since the program started, freed or not
}

// liveSites aggregates the memory profile's in-use records (as of the last GC) by allocating
// function, largest first.
func liveSites(n int) []site {
	var recs []runtime.MemProfileRecord
	k, _ := runtime.MemProfile(nil, true)
	for {
		recs = make([]runtime.MemProfileRecord, k+100)
		var ok bool
		if k, ok = runtime.MemProfile(recs, true); ok {
			recs = recs[:k]
			break
		}
	}
	by := map[string]*site{}
	for _, r := range recs {
		fn := "?"
		frames := runtime.CallersFrames(r.Stack())
		for {
			f, more := frames.Next()
			if (!strings.HasPrefix(f.Function, "runtime.") && !strings.HasPrefix(f.Function, "internal/runtime/")) || f.Function == "runtime.malg" {
				fn = f.Function
				break
			}
			if !more {
				break
			}
		}
		s := by[fn]
		if s == nil {
			s = &site{Func: fn}
			by[fn] = s
		}
		s.Bytes += r.InUseBytes()
		s.Objects += r.InUseObjects()
		s.Alloc += r.AllocBytes
	}
	var out []site
	for _, s := range by {
		s.PerConn = float64(s.Bytes) / float64(n)
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b site) int { return int(b.Bytes - a.Bytes) })
	return out
}

// report is what -idlemem.json writes.
type report struct {
	Subscribers int `json:"subscribers"`
	// Base: the engine serving, nobody connected, after GC and FreeOSMemory.
	Base snapshot `json:"base"`
	// Connected: every subscriber connected and Settle passed, as sluice-load idle samples it.
	Connected snapshot `json:"connected"`
	// AfterGC: the same after runtime.GC (garbage collected, free spans kept by the runtime).
	AfterGC snapshot `json:"after_gc"`
	// AfterFree: after debug.FreeOSMemory (free spans returned to the OS).
	AfterFree  snapshot `json:"after_free"`
	PerConn    map[string]perConn
	BaseSites  []site `json:"base_sites"`
	LiveSites  []site `json:"live_sites"` // by allocating function, with every subscriber connected
	GrowthSite []site `json:"growth_sites"`
	// AllocPerConn is the heap allocated while the subscribers connected and settled, per
	// connection: live or garbage, the churn the GC has to absorb.
	AllocPerConn float64 `json:"alloc_per_conn_bytes"`
	AllocSites   []site  `json:"alloc_sites"` // the same by allocating function, largest first
}

// TestIdleSubscriberMemory measures the server's memory per idle stats subscriber and where it
// goes. It fails when a subscriber cannot connect or when the live heap per connection passes
// 4 KiB (twice issue 6's RSS target: a regression, not the target itself).
func TestIdleSubscriberMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("connects thousands of sockets")
	}
	n := *subscribers
	eng, err := engine.New(engine.Config{
		DataDir: t.TempDir(),
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Stats:   engine.StatsConfig{PingPeriod: *period, SysStatsPeriod: *period},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: eng.Handler(), ReadHeaderTimeout: 10 * time.Second} // as cmd/sluiced
	if *useTLS {
		// As cmd/sluiced with tls_cert/tls_key: a TLS listener; the upgraded sockets are
		// *tls.Conn, which netpoll serves on its portable path.
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{selfSigned(t)},
			MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}})
	}
	go srv.Serve(ln)
	defer srv.Close()

	time.Sleep(500 * time.Millisecond) // the collectors' first samples
	runtime.GC()
	debug.FreeOSMemory()
	rep := report{Subscribers: n, PerConn: map[string]perConn{}}
	rep.Base = take(t)
	rep.BaseSites = liveSites(1)

	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), childEnv+"="+ln.Addr().String()+" "+strconv.Itoa(n))
	if *useTLS {
		child.Env = append(child.Env, childTLSEnv+"=1")
	}
	child.Stderr = os.Stderr
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); child.Wait() }()
	start := time.Now()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	if got := strings.TrimSpace(line); got != "connected "+strconv.Itoa(n) {
		t.Fatalf("child: %q, want %d connected", got, n)
	}
	t.Logf("%d subscribers connected in %v", n, time.Since(start).Round(time.Millisecond))
	time.Sleep(*settle)

	rep.Connected = take(t)
	runtime.GC()
	runtime.GC() // the profile is as of the last completed cycle; the second sweeps the first's garbage
	rep.AfterGC = take(t)
	rep.LiveSites = liveSites(n)
	if *heapProfile != "" {
		f, err := os.Create(*heapProfile)
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.WriteHeapProfile(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	debug.FreeOSMemory()
	rep.AfterFree = take(t)
	rep.GrowthSite = growth(rep.BaseSites, rep.LiveSites, n)
	rep.AllocPerConn = float64(rep.Connected.TotalAlloc-rep.Base.TotalAlloc) / float64(n)
	rep.AllocSites = allocGrowth(rep.BaseSites, rep.LiveSites, n)

	for _, k := range []struct {
		name string
		s    snapshot
	}{{"connected", rep.Connected}, {"after GC", rep.AfterGC}, {"after FreeOSMemory", rep.AfterFree}} {
		rep.PerConn[k.name] = delta(rep.Base, k.s, n)
		t.Logf("%-19s %v", k.name+":", rep.PerConn[k.name])
	}
	t.Logf("goroutines %d → %d; GC cycles during the run %d; heap goal %d MiB → %d MiB",
		rep.Base.Goroutines, rep.Connected.Goroutines, rep.Connected.NumGC-rep.Base.NumGC, rep.Base.NextGC>>20, rep.Connected.NextGC>>20)
	t.Logf("live heap growth by allocating function (bytes per connection, objects per connection):")
	for _, s := range rep.GrowthSite[:min(15, len(rep.GrowthSite))] {
		t.Logf("  %7.1f B %6.2f obj  %s", s.PerConn, float64(s.Objects)/float64(n), s.Func)
	}
	t.Logf("heap allocated while connecting and settling: %.0f B per connection; by allocating function (as of the last GC):", rep.AllocPerConn)
	for _, s := range rep.AllocSites[:min(15, len(rep.AllocSites))] {
		t.Logf("  %7.1f B  %s", float64(s.Alloc)/float64(n), s.Func)
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(*jsonOut, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if *profileRate == 1 && len(rep.GrowthSite) == 0 {
		t.Fatal("no live heap growth recorded by the memory profile")
	}
	// Over TLS a socket holds crypto/tls state and buffers and a reading goroutine (netpoll's
	// portable path): measured and reported, not held to the plain sockets' bound.
	if live := rep.PerConn["after GC"].HeapAlloc; !*useTLS && (live <= 0 || live > 4096) {
		t.Fatalf("live heap per idle subscriber %.0f B, want (0, 4096]", live)
	}
}

// growth is the live heap per allocating function with every subscriber connected, less what
// the same function held before any connected, divided by n.
func growth(base, live []site, n int) []site {
	b := map[string]site{}
	for _, s := range base {
		b[s.Func] = s
	}
	var out []site
	for _, s := range live {
		s.Bytes -= b[s.Func].Bytes
		s.Objects -= b[s.Func].Objects
		s.PerConn = float64(s.Bytes) / float64(n)
		if s.Bytes > 0 {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b site) int { return int(b.Bytes - a.Bytes) })
	return out
}

// allocGrowth is the heap allocated per allocating function between base and live (live or
// since freed), largest first.
func allocGrowth(base, live []site, n int) []site {
	b := map[string]int64{}
	for _, s := range base {
		b[s.Func] = s.Alloc
	}
	var out []site
	for _, s := range live {
		if s.Alloc -= b[s.Func]; s.Alloc > 0 {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b site) int { return int(b.Alloc - a.Alloc) })
	return out
}
