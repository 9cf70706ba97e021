package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
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
