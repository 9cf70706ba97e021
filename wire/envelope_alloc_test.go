//go:build !race

package wire

import "testing"

func TestEnvelopeParseNoAllocs(t *testing.T) {
	var ep EnvelopeParser
	var env Envelope
	for _, msg := range []string{
		`{"type":"search1","data":{"ID":16,"EntryRange":{"First":0,"Last":100}}}`,
		`{"TYPE":"PONG","DATA":{}}`,
		`{"type":"x"}`,
	} {
		in := []byte(msg)
		_ = ep.Parse(in, &env) // warm the parser's buffers
		if n := testing.AllocsPerRun(100, func() {
			if err := ep.Parse(in, &env); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Fatalf("Parse(%s) allocates %v times", msg, n)
		}
	}
}
