package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeStore is an IndexerSource with fixed wells and counters that counts its calls.
type fakeStore struct {
	uuid     string
	wells    []WellStats
	counters IngestCounters
	calls    atomic.Int64
}

func (s *fakeStore) IndexerUUID() string { return s.uuid }
func (s *fakeStore) Stats() []WellStats  { s.calls.Add(1); return s.wells }
func (s *fakeStore) IngestCounters() IngestCounters {
	s.calls.Add(1)
	return s.counters
}

func newFakeStore() *fakeStore {
	s := &fakeStore{uuid: "5e20794b-0b73-4eb0-b49b-ece17089bf28", wells: []WellStats{
		{Name: "default", ID: "5e20794b-default", Path: "/var/lib/sluice/default", Bytes: 39859808, Entries: 504549},
		{Name: "syslog", ID: "5e20794b-syslog", Path: "/var/lib/sluice/syslog", Bytes: 3100139, Entries: 30000, Accelerator: "fulltext"},
		{Name: "default", ID: "5e20794b-default-cold", Path: "/mnt/cold/default", Bytes: 1 << 30, Entries: 1 << 20, Cold: true},
	}}
	s.counters.TotalCount, s.counters.TotalSize = 534549, 42959947
	s.counters.EntriesPerSecond, s.counters.BytesPerSecond = 56, 5600.5
	s.counters.LastDayCount, s.counters.LastDaySize = 24000, 2400000
	for i := range s.counters.EntriesMinuteTail {
		s.counters.EntriesMinuteTail[i] = uint64(i)
		s.counters.BytesMinuteTail[i] = uint64(i) * 100
	}
	for i := range s.counters.EntriesHourTail {
		s.counters.EntriesHourTail[i] = 1000
		s.counters.BytesHourTail[i] = uint64(i) * 100000
	}
	return s
}

func newTestHub(t testing.TB, store IndexerSource, cfg HubConfig) *Hub {
	t.Helper()
	cfg.Store = store
	cfg.Collector = NewCollector(fixtureConfig("testdata"))
	return NewHub(cfg)
}

// envelope decodes a packet and checks its type.
func envelope(t testing.TB, b []byte, typ string, data any) {
	t.Helper()
	var env struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if env.Type != typ {
		t.Fatalf("type %q, want %q", env.Type, typ)
	}
	if err := json.Unmarshal(env.Data, data); err != nil {
		t.Fatalf("%s data: %v: %s", typ, err, env.Data)
	}
}

func TestHubSysDesc(t *testing.T) {
	h := newTestHub(t, newFakeStore(), HubConfig{Sources: Sources{IndexerAddr: "10.0.0.1:9404"}})
	p := h.SysDesc()
	var cur map[string]map[string]any
	envelope(t, p.Current, TypeSysDesc, &cur)
	if len(cur) != 2 || cur["webserver"]["CPUMhz"] != "3700" || cur["10.0.0.1:9404"]["CPUModel"] != "Intel(R) Xeon(R) E-2288G CPU @ 3.70GHz" ||
		cur["webserver"]["VirtSystem"] != "kvm" || cur["webserver"]["CPUMIPS"] != nil {
		t.Fatalf("current sysDesc %s", p.Current)
	}
	var doc map[string]map[string]any
	envelope(t, p.Documented, TypeSysDesc, &doc)
	for host, fields := range doc {
		if len(fields) != 7 || fields["CPUMIPS"] != "7399.99" {
			t.Fatalf("documented sysDesc of %s: %v", host, fields)
		}
	}
	if q := h.Build(TypeSysDesc, time.Now()); !bytes.Equal(q.Current, p.Current) {
		t.Fatal("Build(sysDesc) differs from SysDesc()")
	}
	if !strings.HasPrefix(string(p.Current), `{"type":"sysDesc","data":{"10.0.0.1:9404":{`) {
		t.Fatalf("not a complete message: %s", p.Current)
	}
}

func TestHubBuild(t *testing.T) {
	store := newFakeStore()
	h := newTestHub(t, store, HubConfig{})
	now := time.Now()

	var ping struct{ States map[string]string }
	envelope(t, h.Build(TypePing, now).Current, TypePing, &ping)
	if len(ping.States) != 1 || ping.States[DefaultIndexerAddr] != "OK" {
		t.Fatalf("ping %+v", ping)
	}
	var pingDoc struct {
		Error  *string
		States []struct{ Addr, State string }
	}
	envelope(t, h.Build(TypePing, now).Documented, TypePing, &pingDoc)
	if pingDoc.Error == nil || *pingDoc.Error != "" || len(pingDoc.States) != 1 || pingDoc.States[0].Addr != DefaultIndexerAddr {
		t.Fatalf("documented ping %+v", pingDoc)
	}

	var sys struct {
		Stats map[string]struct {
			Stats map[string]any
			Error string
		}
	}
	p := h.Build(TypeSysStats, now)
	envelope(t, p.Current, TypeSysStats, &sys)
	web, idx := sys.Stats["webserver"], sys.Stats[DefaultIndexerAddr]
	if web.Stats["ProcessHeapAllocation"] == nil || idx.Stats["ProcessHeapAllocation"] != nil ||
		web.Stats["HostHash"] != idx.Stats["HostHash"] || web.Stats["Uptime"] != float64(1237164) {
		t.Fatalf("sysStats %s", p.Current)
	}
	var sysDoc struct {
		Error string
		Stats []struct {
			Name, Error string
			Host        struct{ FreeMemory, CachedMemory uint64 }
		}
	}
	envelope(t, p.Documented, TypeSysStats, &sysDoc)
	if len(sysDoc.Stats) != 2 || sysDoc.Stats[0].Name != "webserver" || sysDoc.Stats[1].Name != DefaultIndexerAddr ||
		sysDoc.Stats[0].Host.FreeMemory != 20971520<<10 || sysDoc.Stats[1].Host.CachedMemory != 6291456<<10 {
		t.Fatalf("documented sysStats %s", p.Documented)
	}

	var idxs struct {
		Stats map[string]struct {
			UUID       string
			IndexStats []struct {
				Name  string
				Stats []struct {
					ID            string
					Data, Entries uint64
					Cold          bool
					Accelerator   string
				}
			}
		}
	}
	p = h.Build(TypeIdxStats, now)
	envelope(t, p.Current, TypeIdxStats, &idxs)
	x := idxs.Stats[DefaultIndexerAddr]
	if x.UUID != store.uuid || len(x.IndexStats) != 2 || x.IndexStats[0].Name != "default" || len(x.IndexStats[0].Stats) != 2 ||
		!x.IndexStats[0].Stats[1].Cold || x.IndexStats[1].Stats[0].Accelerator != "fulltext" || x.IndexStats[1].Stats[0].Entries != 30000 {
		t.Fatalf("idxStats %s", p.Current)
	}
	if want := `{"type":"idxStats","data":{"Stats":{"127.0.0.1:9404":{"IndexStats":[{"Name":"default","Stats":[` +
		`{"Data":39859808,"Entries":504549,"Path":"/var/lib/sluice/default"},{"Data":1073741824,"Entries":1048576,"Path":"/mnt/cold/default"}]},` +
		`{"Name":"syslog","Stats":[{"Data":3100139,"Entries":30000,"Path":"/var/lib/sluice/syslog"}]}]}}}}`; string(p.Documented) != want {
		t.Fatalf("documented idxStats\ngot  %s\nwant %s", p.Documented, want)
	}

	var igst struct {
		Stats map[string]struct {
			EntriesPerSecond, BytesPerSecond float64
			TotalCount, LastDayCount         uint64
			LastDaySize                      uint64
			EntriesMinuteTail                []uint64
			BytesHourTail                    []uint64
			QuotaMax                         uint64
			Ingesters, Missing               []any
		}
	}
	p = h.Build(TypeIgstStats, now)
	if !bytes.Equal(p.Current, p.Documented) {
		t.Fatal("igstStats shapes differ")
	}
	envelope(t, p.Current, TypeIgstStats, &igst)
	g := igst.Stats[DefaultIndexerAddr]
	if g.EntriesPerSecond != 56 || g.BytesPerSecond != 5600.5 || g.TotalCount != 534549 || g.LastDayCount != 24000 ||
		g.LastDaySize != 2400000 || len(g.EntriesMinuteTail) != 60 || g.EntriesMinuteTail[59] != 59 ||
		len(g.BytesHourTail) != 24 || g.BytesHourTail[23] != 2300000 || g.QuotaMax != 0 || g.Ingesters == nil || g.Missing == nil {
		t.Fatalf("igstStats %s", p.Current)
	}
	if p := h.Build("nope", now); p.Type != "" || p.Current != nil {
		t.Fatalf("unknown type built %+v", p)
	}
}

// TestHubBuildFreshness checks that Build reuses figures younger than two periods and
// refreshes older ones, that Run's ticks do not resample figures Build just read, and that
// Build's bytes belong to the caller.
func TestHubBuildFreshness(t *testing.T) {
	store := newFakeStore()
	h := newTestHub(t, store, HubConfig{IdxStatsPeriod: time.Minute})
	t0 := time.Now()
	a := h.Build(TypeIdxStats, t0)
	h.Build(TypeIdxStats, t0.Add(119*time.Second))
	if n := store.calls.Load(); n != 1 {
		t.Fatalf("%d store calls within two periods, want 1", n)
	}
	// Run's tick does not refresh figures younger than half a period...
	h.tick(typeIndex(TypeIdxStats), t0.Add(29*time.Second))
	if n := store.calls.Load(); n != 1 {
		t.Fatalf("%d store calls after an early tick, want 1", n)
	}
	// ...but does older ones
	h.tick(typeIndex(TypeIdxStats), t0.Add(30*time.Second))
	if n := store.calls.Load(); n != 2 {
		t.Fatalf("%d store calls after a tick, want 2", n)
	}
	store.wells = store.wells[:1]
	b := h.Build(TypeIdxStats, t0.Add(150*time.Second))
	if n := store.calls.Load(); n != 3 {
		t.Fatalf("%d store calls two periods after the last refresh, want 3", n)
	}
	if bytes.Equal(a.Current, b.Current) || !strings.Contains(string(a.Current), "syslog") {
		t.Fatalf("first packet changed or second not refreshed:\n%s\n%s", a.Current, b.Current)
	}
}

func TestHubZeroConfig(t *testing.T) {
	h := NewHub(HubConfig{})
	if p, s, i, g := h.Periods(); p != 5*time.Second || s != 5*time.Second || i != 10*time.Second || g != 10*time.Second {
		t.Fatalf("periods %v %v %v %v", p, s, i, g)
	}
	d := h.SysDesc()
	var desc map[string]map[string]any
	envelope(t, d.Current, TypeSysDesc, &desc)
	if len(desc) != 1 || desc["webserver"] == nil {
		t.Fatalf("sysDesc without a store: %s", d.Current)
	}
	now := time.Now()
	for typ, want := range map[string][2]string{
		TypePing:      {`{"type":"ping","data":{}}`, `{"type":"ping","data":{"Error":"","States":[]}}`},
		TypeIdxStats:  {`{"type":"idxStats","data":{}}`, `{"type":"idxStats","data":{"Stats":{}}}`},
		TypeIgstStats: {`{"type":"igstStats","data":{}}`, `{"type":"igstStats","data":{}}`},
	} {
		p := h.Build(typ, now)
		if string(p.Current) != want[0] || string(p.Documented) != want[1] {
			t.Fatalf("%s without a store: %s / %s", typ, p.Current, p.Documented)
		}
	}
	var sys struct{ Stats map[string]json.RawMessage }
	envelope(t, h.Build(TypeSysStats, now).Current, TypeSysStats, &sys)
	if len(sys.Stats) != 1 || sys.Stats["webserver"] == nil {
		t.Fatalf("sysStats without a store: %v", sys.Stats)
	}
}

func TestHubSampleError(t *testing.T) {
	cfg := fixtureConfig("testdata")
	cfg.MaxFileSize = 64
	h := NewHub(HubConfig{Sources: Sources{Store: newFakeStore(), Collector: NewCollector(cfg)}})
	p := h.Build(TypeSysStats, time.Now())
	var sys struct {
		Stats map[string]struct{ Error string }
	}
	envelope(t, p.Current, TypeSysStats, &sys)
	for host, s := range sys.Stats {
		if !strings.Contains(s.Error, "MaxFileSize") {
			t.Fatalf("%s: error %q", host, s.Error)
		}
	}
}

func TestHubRun(t *testing.T) {
	h := newTestHub(t, newFakeStore(), HubConfig{PingPeriod: 20 * time.Millisecond, SysStatsPeriod: 30 * time.Millisecond,
		IdxStatsPeriod: 40 * time.Millisecond, IgstStatsPeriod: 50 * time.Millisecond})
	var mu sync.Mutex
	counts := map[string]int{}
	ctx, cancel := context.WithCancel(context.Background())
	done, first := make(chan struct{}), make(chan struct{})
	var firstOnce sync.Once
	go func() {
		defer close(done)
		h.Run(ctx, func(p Packet) {
			firstOnce.Do(func() { close(first) })
			if !json.Valid(p.Current) || !json.Valid(p.Documented) {
				t.Errorf("%s: invalid JSON", p.Type)
			}
			if !bytes.HasPrefix(p.Current, []byte(`{"type":"`+p.Type+`","data":`)) {
				t.Errorf("not a %s message: %s", p.Type, p.Current)
			}
			mu.Lock()
			counts[p.Type]++
			mu.Unlock()
		})
	}()
	// while it runs, a second Run returns at once
	select {
	case <-first:
	case <-time.After(5 * time.Second):
		t.Fatal("nothing published")
	}
	second := make(chan struct{})
	go func() { h.Run(ctx, func(Packet) { t.Error("second Run published") }); close(second) }()
	select {
	case <-second:
	case <-time.After(5 * time.Second):
		t.Fatal("second Run did not return")
	}
	time.Sleep(310 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
	mu.Lock()
	defer mu.Unlock()
	// generous bounds: the machine is shared
	for typ, max := range map[string]int{TypePing: 17, TypeSysStats: 11, TypeIdxStats: 9, TypeIgstStats: 7} {
		if counts[typ] < 2 || counts[typ] > max {
			t.Errorf("%s published %d times in 330 ms", typ, counts[typ])
		}
	}
	if counts[TypePing] <= counts[TypeIgstStats] {
		t.Errorf("ping (%d) not more frequent than igstStats (%d)", counts[TypePing], counts[TypeIgstStats])
	}
}

func TestGroupWells(t *testing.T) {
	var dst = groupWells(nil, newFakeStore().wells)
	if len(dst) != 2 || len(dst[0].Stats) != 2 || len(dst[1].Stats) != 1 {
		t.Fatalf("%+v", dst)
	}
	// regrouping reuses the slices and forgets wells that are gone
	dst = groupWells(dst, []WellStats{{Name: "syslog"}})
	if len(dst) != 1 || dst[0].Name != "syslog" || len(dst[0].Stats) != 1 {
		t.Fatalf("%+v", dst)
	}
	if dst = groupWells(dst, nil); len(dst) != 0 {
		t.Fatalf("%+v", dst)
	}
}
