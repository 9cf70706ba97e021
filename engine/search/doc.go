// Package search parses sluice's query language and runs queries as pipelines over the store,
// recording per-module statistics and handing the results to a render store. The search
// manager (manager.go) keeps the live searches; this file's neighbours hold the language and the
// pipeline.
//
// A query is a tag specification followed by modules joined by '|':
//
//	tag=syslog syslog Appname Severity<4 | grep -v -e Appname cron | count by Appname | table
//
// The first module may follow the tag specification without a pipe, and a query without a tag
// specification reads the tag "default". The last module may be a renderer (raw, text, hex,
// pcap, table, chart, gauge, numbercard); a query without one renders as text. Parse turns the
// text into a Query, whose Run executes it batch by batch.
//
// Modules, with Gravwell's semantics where Gravwell has the module:
//
//	extraction  json, kv, syslog, regex, fields, csv, length
//	filtering   grep, and inline filters (==, !=, <, <=, >, >=, ~ contains, !~) on extractions
//	aggregation count, sum, mean, min, max, stddev, variance, stats (several at once), each with
//	            "by" fields and an "over" window; unique, sort, limit/head
//
// Extracted values carry the protocol's types (PROTOCOL.md §5.3): text that reads as an integer
// becomes int64, as a decimal float64, as an IPv4/IPv6 address an IP, as an RFC 3339 time a
// timestamp; everything else is a string (JSON strings are never turned into numbers).
package search
