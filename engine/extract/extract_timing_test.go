package extract

import (
	"encoding/json"
	"testing"
)

var benchJSON = []byte(`{"ts":"2024-05-01T10:00:01.5Z","host":"web-07","method":"GET","path":"/api/v1/items?id=12345","status":404,"bytes":5123,"dur":0.0153,"client":{"ip":"10.0.3.17","ua":"Mozilla/5.0 (X11; Linux x86_64)"},"tags":["edge","cache-miss"]}`)

func BenchmarkLookupJSON(b *testing.B) {
	var paths []JSONPath
	for _, s := range []string{"status", "method", "client.ip", "tags.[1]"} {
		p, _ := ParseJSONPath(s)
		paths = append(paths, p)
	}
	scratch := make([]byte, 0, 256)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchJSON)))
	for b.Loop() {
		for i := range paths {
			v, _, ok := LookupJSON(benchJSON, &paths[i], scratch[:0])
			if !ok || v.Kind == JSONInvalid {
				b.Fatal("lookup failed")
			}
		}
	}
}

var benchSyslog = []byte(`<165>1 2024-05-01T10:00:01.003Z web-07.example.com sshd 4121 AUTH [meta@32473 src="10.0.3.17" port="22"] Accepted publickey for admin from 10.0.3.17 port 52144 ssh2`)
var benchBSD = []byte(`Nov 21 10:00:01 gw01 sshd[4121]: Accepted publickey for admin from 10.0.0.5 port 52144 ssh2`)

func BenchmarkParseSyslog5424(b *testing.B) {
	var s Syslog
	b.ReportAllocs()
	b.SetBytes(int64(len(benchSyslog)))
	for b.Loop() {
		if !ParseSyslog(benchSyslog, 0, &s) || string(s.Appname) != "sshd" {
			b.Fatal("parse failed")
		}
	}
}

func BenchmarkParseSyslog3164(b *testing.B) {
	var s Syslog
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBSD)))
	for b.Loop() {
		if !ParseSyslog(benchBSD, 1714557600e9, &s) || string(s.Appname) != "sshd" {
			b.Fatal("parse failed")
		}
	}
}

var benchKV = []byte(`ts=2024-05-01T10:00:01Z src=10.0.3.17 dst=10.0.9.1 sport=52144 dport=443 proto=tcp action=allow bytes=5123 user="admin x"`)

func BenchmarkKVLookup(b *testing.B) {
	cfg := KV{Quoted: true}
	b.ReportAllocs()
	b.SetBytes(int64(len(benchKV)))
	for b.Loop() {
		if v, ok := cfg.Lookup(benchKV, "bytes"); !ok || len(v) != 4 {
			b.Fatal("lookup failed")
		}
	}
}

func BenchmarkAppendExploreJSON(b *testing.B) {
	var dst []byte
	b.ReportAllocs()
	b.SetBytes(int64(len(benchJSON)))
	for b.Loop() {
		dst = AppendExplore(dst[:0], benchJSON, "web")
	}
	if !json.Valid(dst) {
		b.Fatal("invalid output")
	}
}

var benchKVFirewall = []byte(`date=2024-05-01 time=09:41:07 devname=fw01 type=traffic srcip=10.2.113.77 srcport=41234 dstip=10.9.0.1 dstport=443 proto=6 action=accept sentbyte=523412 rcvdbyte=81234 user="alice"`)

// BenchmarkKVFind measures one Find of four keys in a firewall line (the kv module's work per
// entry before typing the values).
func BenchmarkKVFind(b *testing.B) {
	cfg := KV{Quoted: true}
	cfg.Compile()
	ks := cfg.Keys("srcip", "dstport", "action", "sentbyte")
	vals, found := make([][]byte, 4), make([]bool, 4)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchKVFirewall)))
	for b.Loop() {
		if cfg.Find(benchKVFirewall, ks, vals, found) != 4 {
			b.Fatal("find failed")
		}
	}
}
