package wire

import "testing"

func BenchmarkEnvelopeParse(b *testing.B) {
	msg := []byte(`{"type":"search1","data":{"ID":16,"EntryRange":{"First":0,"Last":100,"StartTS":"2024-01-01T00:00:00Z","EndTS":"2024-01-02T00:00:00Z"}}}`)
	var ep EnvelopeParser
	var env Envelope
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if err := ep.Parse(msg, &env); err != nil || len(env.Type) != 7 {
			b.Fatal(err)
		}
	}
}

func BenchmarkEnvelopeParseFoldedKeys(b *testing.B) {
	msg := []byte(`{"Type":"PONG","Data":{}}`)
	var ep EnvelopeParser
	var env Envelope
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if err := ep.Parse(msg, &env); err != nil || len(env.Type) != 4 {
			b.Fatal(err)
		}
	}
}
