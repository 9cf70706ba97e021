package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
)

func TestLoadSettingsPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sluice.json")
	if err := os.WriteFile(file, []byte(`{"listen":"127.0.0.1:9000","data":"/from/file","demo":false,"tokens":["a"],"ping_period":"2s"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SLUICE_DATA": "/from/env", "SLUICE_MAX_SEARCHES": "7"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	s, err := loadSettings([]string{"-config", file, "-listen", "127.0.0.1:9100"}, lookup)
	if err != nil {
		t.Fatal(err)
	}
	if s.Listen != "127.0.0.1:9100" { // flag beats file
		t.Errorf("Listen = %q", s.Listen)
	}
	if s.Data != "/from/env" { // env beats file
		t.Errorf("Data = %q", s.Data)
	}
	if s.Demo { // file beats default
		t.Error("Demo from file not applied")
	}
	if s.MaxSearches != 7 || len(s.Tokens) != 1 || time.Duration(s.PingPeriod) != 2*time.Second {
		t.Errorf("settings = %+v", s)
	}
}

func TestLoadSettingsErrors(t *testing.T) {
	none := func(string) (string, bool) { return "", false }
	f := func(args []string, env func(string) (string, bool)) {
		t.Helper()
		if _, err := loadSettings(args, env); err == nil {
			t.Errorf("loadSettings(%q) succeeded; want an error", args)
		}
	}
	f([]string{"-nosuchflag"}, none)
	f([]string{"stray"}, none)
	f([]string{"-config", "/nonexistent/sluice.json"}, none)
	f(nil, func(k string) (string, bool) { return "x", k == "SLUICE_MAX_CONNS" })
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"listen":"x","nosuchkey":1}`), 0o600)
	f([]string{"-config", bad}, none)
}

// TestWellsFromConfigFile checks that wells, with their accelerators, go from the config file
// into the store configuration, and that a misspelt accelerator key is refused.
func TestWellsFromConfigFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sluice.json")
	os.WriteFile(file, []byte(`{"wells":[
		{"name":"default","accelerator":{"collision_rate":0.001}},
		{"name":"fw","tags":["fw*"],"max_age":"24h","accelerator":{"extractor":"none"}}]}`), 0o600)
	none := func(string) (string, bool) { return "", false }
	s, err := loadSettings([]string{"-config", file}, none)
	if err != nil {
		t.Fatal(err)
	}
	cfg := engineConfig(s, nil)
	w := cfg.Store.Wells
	if len(w) != 2 || w[0].Name != "default" || w[0].Accel.CollisionRate != 0.001 || w[1].Name != "fw" ||
		w[1].Tags[0] != "fw*" || w[1].MaxAge != 24*time.Hour || w[1].Accel.Extractor != "none" {
		t.Fatalf("store wells = %+v", w)
	}
	os.WriteFile(file, []byte(`{"wells":[{"name":"fw","tags":["fw"],"accelerator":{"extracter":"none"}}]}`), 0o600)
	if _, err := loadSettings([]string{"-config", file}, none); err == nil {
		t.Fatal("a misspelt accelerator key was accepted")
	}

	// named-field accelerators: every key reaches the store, and a bad field stops the
	// engine naming it
	os.WriteFile(file, []byte(`{"wells":[
		{"name":"fw","tags":["fw"],"accelerator":{"extractor":"kv","fields":["user","srcip"],"delimiters":" ,","separator":":","quoted":true}},
		{"name":"flows","tags":["nf"],"accelerator":{"extractor":"csv","header":"ts,src","fields":["src","[3]"]}},
		{"name":"auth","tags":["auth"],"accelerator":{"extractor":"regex","pattern":"user=(?P<user>\\S+)"}}]}`), 0o600)
	s, err = loadSettings([]string{"-config", file}, none)
	if err != nil {
		t.Fatal(err)
	}
	w = engineConfig(s, nil).Store.Wells
	if len(w) != 3 || w[0].Accel.Extractor != "kv" || len(w[0].Accel.Fields) != 2 || w[0].Accel.Delimiters != " ," ||
		w[0].Accel.Separator != ":" || !w[0].Accel.Quoted || w[1].Accel.Header != "ts,src" || w[2].Accel.Pattern != `user=(?P<user>\S+)` {
		t.Fatalf("store wells = %+v", w)
	}
	os.WriteFile(file, []byte(`{"wells":[{"name":"fw","tags":["fw"],"accelerator":{"extractor":"json","fields":["a..b"]}}]}`), 0o600)
	s, err = loadSettings([]string{"-config", file}, none)
	if err != nil {
		t.Fatal(err)
	}
	cfg = engineConfig(s, nil)
	cfg.DataDir = t.TempDir()
	if e, err := engine.New(cfg); err == nil || !strings.Contains(err.Error(), `Wells[0].Accel.Fields[0]: "a..b": bad JSON path`) {
		if e != nil {
			e.Close()
		}
		t.Fatalf("a bad accelerator field: err %v", err)
	}
}
