package wire

import (
	"bytes"
	"encoding/json"
	"math"
	"net/netip"
	"testing"
)

func jsonValid(b []byte) bool { return json.Valid(b) }

// normJSONString is what a client decodes from the encoding of s: invalid UTF-8 becomes U+FFFD.
func normJSONString(s string) string {
	b, _ := json.Marshal(s)
	var out string
	_ = json.Unmarshal(b, &out)
	return out
}

func FuzzAppendSearchEntry(f *testing.F) {
	f.Add(int64(0), []byte("data"), "name", []byte("value"), uint8(13), uint64(5), []byte{10, 0, 0, 5}, uint16(0))
	f.Add(int64(-1), []byte{0xff, 0}, "\u2028\x01", []byte("\xff\xfe"), uint8(12), math.Float64bits(math.NaN()), []byte{}, uint16(65535))
	f.Add(int64(math.MaxInt64), []byte(nil), "", []byte(nil), uint8(16), uint64(1<<63), make([]byte, 16), uint16(7))
	f.Fuzz(func(t *testing.T, ts int64, data []byte, name string, vb []byte, typ uint8, n uint64, src []byte, tag uint16) {
		e := Entry{TS: ts, Data: data, Tag: tag, EVs: []EV{{Name: name, Value: Value{Type: ValueType(typ), N: n, B: vb}}}}
		if a, ok := netip.AddrFromSlice(src); ok {
			e.SRC = a
		}
		out := AppendSearchEntry(nil, &e, tag)
		if !json.Valid(out) {
			t.Fatalf("invalid JSON: %s", out)
		}
		var got struct {
			TS         string
			SRC        string
			Tag        uint16
			Data       []byte
			Enumerated []struct {
				Name     string
				ValueStr string
				Value    struct {
					Type uint16
					Data []byte
				}
			}
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if got.Tag != tag || !bytes.Equal(got.Data, data) || (data == nil) != (got.Data == nil) {
			t.Fatalf("round trip: %s", out)
		}
		if len(got.Enumerated) != 1 || got.Enumerated[0].Name != normJSONString(name) || got.Enumerated[0].Value.Type != uint16(typ) {
			t.Fatalf("enumerated round trip: %s", out)
		}
		want := AppendValueData(nil, e.EVs[0].Value)
		var wantData []byte
		_ = json.Unmarshal(want, &wantData)
		if !bytes.Equal(got.Enumerated[0].Value.Data, wantData) {
			t.Fatalf("value data: %s", out)
		}
		if ValueType(typ) == TypeString || ValueType(typ) == TypeBytes {
			if !bytes.Equal(got.Enumerated[0].Value.Data, vb) || got.Enumerated[0].ValueStr != normJSONString(string(vb)) {
				t.Fatalf("string value: %s", out)
			}
		}
		sec, nsec, ok := ParseRFC3339(got.TS)
		if !ok || sec*1e9+int64(nsec) != ts {
			t.Fatalf("TS %s for %d", got.TS, ts)
		}
	})
}

func FuzzAppendTableAndChart(f *testing.F) {
	f.Add("col", "cell\x00", 1.5, int64(1))
	f.Add("\xff", "\u2028", math.Inf(1), int64(-5))
	f.Fuzz(func(t *testing.T, col, cell string, v float64, ts int64) {
		out := AppendTableValueSet(nil, []string{col, cell}, []TableRow{{TS: ts, Row: []string{cell, col}}})
		var tv struct {
			Columns []string
			Rows    []struct{ Row []string }
		}
		if err := json.Unmarshal(out, &tv); err != nil || tv.Columns[0] != normJSONString(col) || tv.Rows[0].Row[0] != normJSONString(cell) {
			t.Fatalf("table %s: %v", out, err)
		}
		c := ChartableValueSet{Names: []string{col}, Categories: []string{col}, KeyComps: [][]string{{cell}},
			Values: []Chartable{{TS: ts, Data: []float64{v}}, {TS: ts}}}
		out = AppendChartableValueSet(nil, &c)
		var cv struct {
			Values []struct{ Data []*float64 }
		}
		if err := json.Unmarshal(out, &cv); err != nil || len(cv.Values) != 2 || len(cv.Values[1].Data) != 1 || cv.Values[1].Data[0] != nil {
			t.Fatalf("chart %s: %v", out, err)
		}
		if p := cv.Values[0].Data[0]; (p == nil) != (math.IsNaN(v) || math.IsInf(v, 0)) || (p != nil && *p != v) {
			t.Fatalf("chart point %v: %s", v, out)
		}
		g := GaugeValue{Name: cell, Magnitude: v, Min: v, Max: v}
		if out = AppendGaugeValue(nil, &g); !json.Valid(out) {
			t.Fatalf("gauge %s", out)
		}
	})
}
