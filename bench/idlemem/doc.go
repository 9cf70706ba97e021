// Package idlemem measures where an idle stats subscriber's memory goes in the sluice server
// (issue 6's ≤ 2 KiB RSS per idle connection target). It holds no code of its own: its test
// (TestIdleSubscriberMemory) starts engine.New behind an http.Server in the test process, has a
// re-executed child process connect N idle /api/ws/stats subscribers (so that the clients'
// memory is not counted), and reports the server's heap, stacks and RSS per connection before
// and after a forced GC and after returning free memory to the OS, the live heap by
// allocating function, and optionally writes the heap profile for `go tool pprof`.
//
//	go test ./bench/idlemem -run IdleSubscriberMemory -v -idlemem.n 5000 -idlemem.heapprofile /tmp/idle.pprof
//	go tool pprof -top -sample_index=inuse_space /tmp/idle.pprof
//
// With -idlemem.tls the engine is served over TLS with a generated certificate, as sluiced with
// tls_cert/tls_key, and the subscribers connect over wss (the per-socket cost of TLS).
package idlemem
