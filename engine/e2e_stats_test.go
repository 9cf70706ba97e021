package engine_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

type envelope struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

func TestStatsSocketCurrentShapes(t *testing.T) {
	ts := startServer(t, nil)
	ingestN(t, ts, "app", 10)
	c := dial(t, ts.url+"/api/ws/stats", "ping", "idxStats", "sysStats", "sysDesc")
	var first envelope
	c.readRaw(&first)
	if first.Type != "sysDesc" {
		t.Fatalf("first message is %q, want sysDesc", first.Type)
	}
	var desc map[string]struct {
		CPUCount      int
		CPUModel      string
		CPUMhz        string
		TotalMemoryMB uint64
		SystemVersion string
	}
	if err := json.Unmarshal(first.Data, &desc); err != nil {
		t.Fatal(err)
	}
	if desc["webserver"].CPUCount <= 0 || desc["webserver"].TotalMemoryMB == 0 {
		t.Errorf("sysDesc webserver: %+v", desc["webserver"])
	}
	got := map[string]json.RawMessage{}
	for i := 0; i < 20 && len(got) < 3; i++ {
		var m envelope
		c.readRaw(&m)
		got[m.Type] = m.Data
	}
	var ping struct{ States map[string]string }
	if err := json.Unmarshal(got["ping"], &ping); err != nil || ping.States["127.0.0.1:9404"] != "OK" {
		t.Errorf("ping: %s (%v)", got["ping"], err)
	}
	var sys struct {
		Stats map[string]struct {
			Stats struct {
				Uptime      uint64
				TotalMemory uint64
				Disks       []struct{ Mount string }
				CPUUsage    float64
				Net         struct{ Up, Down uint64 }
				LoadAverage struct {
					Load1 float64 `json:"load1"`
				}
			}
		}
	}
	if err := json.Unmarshal(got["sysStats"], &sys); err != nil || sys.Stats["webserver"].Stats.TotalMemory == 0 {
		t.Errorf("sysStats: %s (%v)", got["sysStats"], err)
	}
	var idx struct {
		Stats map[string]struct {
			UUID       string
			IndexStats []struct {
				Name  string
				Stats []struct {
					ID      string
					Entries uint64
					Data    uint64
				}
			}
		}
	}
	if err := json.Unmarshal(got["idxStats"], &idx); err != nil {
		t.Fatalf("idxStats: %s (%v)", got["idxStats"], err)
	}
	var entries uint64
	for _, w := range idx.Stats["127.0.0.1:9404"].IndexStats {
		for _, s := range w.Stats {
			entries += s.Entries
		}
	}
	if entries != 10 || len(idx.Stats["127.0.0.1:9404"].UUID) != 36 {
		t.Errorf("idxStats entries = %d: %s", entries, got["idxStats"])
	}
}

func TestStatsSocketDocumentedShapes(t *testing.T) {
	ts := startServer(t, nil)
	c := dial(t, ts.url+"/ws/stats", "ping", "idxStats", "sysStats", "sysDesc")
	var first envelope
	c.readRaw(&first)
	if first.Type != "sysDesc" || !strings.Contains(string(first.Data), `"CPUMIPS"`) {
		t.Fatalf("first message: %s %s", first.Type, first.Data)
	}
	for i := 0; i < 20; i++ {
		var m envelope
		c.readRaw(&m)
		if m.Type != "ping" {
			continue
		}
		var ping struct {
			Error  *string
			States []struct{ Addr, State string }
		}
		if err := json.Unmarshal(m.Data, &ping); err != nil || ping.Error == nil || len(ping.States) == 0 {
			t.Fatalf("documented ping: %s (%v)", m.Data, err)
		}
		return
	}
	t.Fatal("no ping")
}

func TestStatsSubsetOnlyAndBadNegotiation(t *testing.T) {
	ts := startServer(t, nil)
	c := dial(t, ts.url+"/api/ws/stats", "ping")
	for i := 0; i < 3; i++ {
		var m envelope
		c.readRaw(&m)
		if m.Type != "ping" {
			t.Fatalf("unsubscribed type %q sent", m.Type)
		}
	}
	// No Subs: ERROR then close.
	conn, _, err := websocket.DefaultDialer.Dial(ts.url+"/api/ws/stats", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.WriteMessage(websocket.TextMessage, []byte(`{"Subs":[]}`))
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := conn.ReadMessage()
	if err != nil || !strings.Contains(string(b), `"ERROR"`) {
		t.Fatalf("empty Subs: %s %v", b, err)
	}
	// A plain GET on a websocket path is refused before the upgrade.
	resp, err := http.Get(ts.srv.URL + "/api/ws/stats")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("plain GET: %d", resp.StatusCode)
	}
}

func TestStatsBroadcastManySubscribers(t *testing.T) {
	ts := startServer(t, nil)
	const n = 1000
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, _, err := websocket.DefaultDialer.Dial(ts.url+"/api/ws/stats", nil)
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close()
			conn.WriteMessage(websocket.TextMessage, []byte(`{"Subs":["ping"]}`))
			pings := 0
			deadline := time.Now().Add(20 * time.Second)
			for pings < 3 {
				conn.SetReadDeadline(deadline)
				_, b, err := conn.ReadMessage()
				if err != nil {
					errs <- err
					return
				}
				if strings.Contains(string(b), `"type":"ping"`) {
					pings++
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
