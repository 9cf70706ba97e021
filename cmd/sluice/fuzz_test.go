package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParseWhen: no panic; an accepted expression gives a time that parses the same way twice.
func FuzzParseWhen(f *testing.F) {
	for _, s := range []string{"now", "today", "yesterday", "-90m", "-1h30m", "-7d", "-1w", "-3mo", "-2y",
		"2026-12-01", "2026-12-01 10:30", "2026-12-01T10:30:05.25", "09:15", "2026-12-01T10:30:00+02:00",
		"-", "--1h", "-99999999999999999999d", "-1e9h", "2026-13-01", "24:00"} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 3, 10, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		a, errA := parseWhen(s, now, time.UTC)
		b, errB := parseWhen(s, now, time.UTC)
		if (errA == nil) != (errB == nil) || !a.Equal(b) {
			t.Fatalf("parseWhen(%q) is not deterministic", s)
		}
		if errA != nil && !strings.Contains(errA.Error(), "bad") {
			t.Fatalf("parseWhen(%q): error %q does not say what is bad", s, errA)
		}
	})
}

// FuzzTerminalSafe: the output is valid UTF-8 without control characters, bidi overrides or
// lone escape bytes, and printable ASCII other than controls passes unchanged.
func FuzzTerminalSafe(f *testing.F) {
	for _, s := range []string{"plain", `"quoted" \x`, "\x1b[2J", "\t\n\r", "\u202e\u2066", "\xff\xfe", "日本語", "\u009b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := string(appendTerminalSafe(nil, s))
		if out != string(appendTerminalSafe(nil, []byte(s))) {
			t.Fatal("string and []byte forms differ")
		}
		if !utf8.ValidString(out) {
			t.Fatalf("output %q is not UTF-8", out)
		}
		for _, r := range out {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
				t.Fatalf("output %q of %q holds %U", out, s, r)
			}
		}
		if !strings.ContainsAny(s, "\\") && !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r >= 0x7f }) && out != s {
			t.Fatalf("printable ASCII %q changed to %q", s, out)
		}
	})
}

// FuzzIsJSONNumber: what isJSONNumber accepts is a JSON number to encoding/json.
func FuzzIsJSONNumber(f *testing.F) {
	for _, s := range []string{"0", "-1", "12.5", "1e9", "1E+21", "007", "1.", ".5", "+1", "NaN", "10.0.0.1", "-0.5e-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var n json.Number
		valid := json.Unmarshal([]byte(s), &n) == nil && string(n) == s
		if isJSONNumber(s) && !valid {
			t.Fatalf("isJSONNumber(%q) but encoding/json disagrees", s)
		}
		if valid && len(s) <= 64 && !isJSONNumber(s) {
			t.Fatalf("encoding/json reads %q as a number, isJSONNumber does not", s)
		}
	})
}
