// Package limits measures the machine's physical limits in the same run as the other
// benchmarks, so sluice's figures can be read against them: raw TCP loopback throughput
// between two processes (BenchmarkLoopbackTCP), memory copy bandwidth (BenchmarkMemcpy), and the
// kernel floor for writing 1 KB to N loopback sockets (BenchmarkKernelFloorWrite1KTo1000 and
// …To10000), next to the same writes through Go's net package (BenchmarkGoNetWrite1KTo1000).
//
// The receiving side of every socket benchmark is a child process, the test binary re-executed
// in sink mode (see TestMain), which accepts connections and reads and discards everything with
// one goroutine per connection. A separate process keeps the reader's CPU out of the writer's
// figures (cpu-ns/op is the writing process's own user+system time) while still competing for
// the same cores, as a real server's clients do.
package limits
