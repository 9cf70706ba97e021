package wire

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"
)

// Tests of the lead's json.go appenders against encoding/json and the time package.

func jsonNoHTML(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	cases := []string{"", "plain", "a\x00\x01\x1f\x7f", "\"\\/", "<>&", "\u2028\u2029", "\xff", "a\xc3", "\xed\xa0\x80",
		"é日本\U0001F600", "\n\r\t\b\f", "\xf4\x90\x80\x80", string(utf8.RuneError)}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		want := jsonNoHTML(t, s)
		// Since Go 1.22 encoding/json writes \b and \f where AppendString writes \u0008 and
		// \u000c: the same JSON string. Everything else is byte for byte.
		norm := func(b []byte) []byte {
			return bytes.ReplaceAll(bytes.ReplaceAll(b, []byte(`\u0008`), []byte(`\b`)), []byte(`\u000c`), []byte(`\f`))
		}
		if got := AppendString(nil, s); !bytes.Equal(norm(got), want) {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
		}
		if got := AppendString(nil, []byte(s)); !bytes.Equal(norm(got), want) {
			t.Errorf("AppendString([]byte %q) = %s, want %s", s, got, want)
		}
	}
}

func TestAppendFloatMatchesEncodingJSON(t *testing.T) {
	cases := []float64{0, math.Copysign(0, -1), 1, -1, 1.5, 0.1, 1e20, 1e21, 1e-6, 1e-7, 9.999999e-7, 123456789, 1.0 / 3,
		math.MaxFloat64, math.SmallestNonzeroFloat64, -math.MaxFloat64, 5e-324, 1e300, 31691.213, 2.5e-9}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		cases = append(cases, math.Float64frombits(rng.Uint64()))
	}
	for _, f := range cases {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			if got := string(AppendFloat(nil, f)); got != "null" {
				t.Errorf("AppendFloat(%v) = %s, want null", f, got)
			}
			continue
		}
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendFloat(nil, f); !bytes.Equal(got, want) {
			t.Errorf("AppendFloat(%v) = %s, want %s", f, got, want)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if got := string(AppendFloat(nil, f)); got != "null" {
			t.Errorf("AppendFloat(%v) = %s, want null", f, got)
		}
	}
}

func TestAppendTimeMatchesTimePackage(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	times := []time.Time{{}, time.Unix(0, 0), time.Unix(-1, 999999999), time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2024, 2, 29, 12, 0, 0, 500000000, time.UTC), time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 5, 1, 10, 0, 2, 113000000, time.FixedZone("x", -7*3600))}
	for range 3000 {
		sec := rng.Int64N(253402300800+62167219200) - 62167219200
		times = append(times, time.Unix(sec, rng.Int64N(1e9)))
	}
	for _, tm := range times {
		want, err := tm.UTC().MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendTime(nil, tm); !bytes.Equal(got, want) {
			t.Errorf("AppendTime(%v) = %s, want %s", tm, got, want)
		}
		if tm.Year() >= 1678 && tm.Year() <= 2261 {
			if got := AppendUnixNano(nil, tm.UnixNano()); !bytes.Equal(got, want) {
				t.Errorf("AppendUnixNano(%d) = %s, want %s", tm.UnixNano(), got, want)
			}
		}
	}
	for _, ns := range []int64{math.MinInt64, math.MaxInt64, -1, 0, 1} {
		want, _ := time.Unix(0, ns).UTC().MarshalJSON()
		if got := AppendUnixNano(nil, ns); !bytes.Equal(got, want) {
			t.Errorf("AppendUnixNano(%d) = %s, want %s", ns, got, want)
		}
	}
	// Years outside 0000–9999 are clamped.
	if got := string(AppendRFC3339(nil, -62167219201, 5)); got != "0000-01-01T00:00:00Z" {
		t.Errorf("before year 0: %s", got)
	}
	if got := string(AppendRFC3339(nil, 253402300800, 0)); got != "9999-12-31T23:59:59.999999999Z" {
		t.Errorf("after year 9999: %s", got)
	}
}

func TestAppendDurationMatchesString(t *testing.T) {
	ds := []time.Duration{0, 1, 850, 1200, 999999, 1000000, 77137567, 1500 * time.Millisecond, 90*time.Second + 500*time.Millisecond,
		2 * time.Hour, -1, -1500 * time.Millisecond, math.MinInt64, math.MaxInt64}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 2000 {
		ds = append(ds, time.Duration(rng.Int64()>>uint(rng.IntN(63))))
	}
	for _, d := range ds {
		want := strconv.Quote(d.String())
		if got := string(AppendDuration(nil, d)); got != want {
			t.Errorf("AppendDuration(%d) = %s, want %s", int64(d), got, want)
		}
		if _, err := time.ParseDuration(d.String()); err != nil && d != math.MinInt64 {
			t.Errorf("%v does not parse back: %v", d, err)
		}
	}
}

func TestAppendBase64MatchesEncodingJSON(t *testing.T) {
	for _, b := range [][]byte{{}, {0}, {0, 1}, {0, 1, 2}, []byte("Nov 21 sshd"), bytes.Repeat([]byte{0xff}, 100)} {
		want, _ := json.Marshal(b)
		if got := AppendBase64(nil, b); !bytes.Equal(got, want) {
			t.Errorf("AppendBase64(%x) = %s, want %s", b, got, want)
		}
	}
}
