package limits

import (
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

var sinkBytes []byte

// BenchmarkLoopbackTCP is raw TCP throughput from this process to another over loopback:
// 1 MiB per write on one connection, the sink reading 256 KiB at a time.
func BenchmarkLoopbackTCP(b *testing.B) {
	c, err := net.Dial("tcp", startSink(b))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 1<<20)
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	b.ResetTimer()
	for b.Loop() {
		if n, err := c.Write(buf); err != nil || n != len(buf) {
			b.Fatalf("write: %d, %v", n, err)
		}
	}
}

// BenchmarkMemcpy is memory copy bandwidth: 1 MiB per copy, beyond L2 but within L3 on most
// machines.
func BenchmarkMemcpy(b *testing.B) {
	src, dst := make([]byte, 1<<20), make([]byte, 1<<20)
	for i := range src {
		src[i] = byte(i)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if copy(dst, src) != len(src) {
			b.Fatal("short copy")
		}
	}
	sinkBytes = dst
}

// BenchmarkKernelFloorWrite1KTo1000 is the least a broadcast of 1 KB to 1000 subscribers can
// cost: one op is one blocking write(2) of 1024 bytes to each of 1000 connected loopback sockets,
// nothing else. cpu-ns/op is this process's user+system CPU per op (on loopback the sender's
// syscall also runs the receiver's TCP input path); the sink child drains.
func BenchmarkKernelFloorWrite1KTo1000(b *testing.B) { kernelFloor(b, 1000) }

// BenchmarkKernelFloorWrite1KTo10000 is the same floor for the 10 000-subscriber target.
func BenchmarkKernelFloorWrite1KTo10000(b *testing.B) { kernelFloor(b, 10000) }

func kernelFloor(b *testing.B, n int) {
	ap, err := netip.ParseAddrPort(startSink(b))
	if err != nil {
		b.Fatal(err)
	}
	sa := &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	fds := make([]int, 0, n)
	b.Cleanup(func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	})
	for range n {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			b.Fatalf("socket (raise the open-files limit for %d sockets): %v", n, err)
		}
		fds = append(fds, fd)
		if err := unix.Connect(fd, sa); err != nil {
			b.Fatalf("connect: %v", err)
		}
		unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}
	msg := make([]byte, 1024)
	b.ReportAllocs()
	b.SetBytes(int64(n * len(msg)))
	cpu0 := processCPU()
	b.ResetTimer()
	for b.Loop() {
		for _, fd := range fds {
			if w, err := unix.Write(fd, msg); err != nil || w != len(msg) {
				b.Fatalf("write: %d, %v", w, err)
			}
		}
	}
	b.StopTimer()
	reportCPU(b, cpu0)
}

// BenchmarkGoNetWrite1KTo1000 is the same broadcast through net.TCPConn.Write, what a Go
// server without its own poller pays on top of the kernel floor.
func BenchmarkGoNetWrite1KTo1000(b *testing.B) {
	addr := startSink(b)
	conns := make([]net.Conn, 0, 1000)
	b.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	for range 1000 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
	}
	msg := make([]byte, 1024)
	b.ReportAllocs()
	b.SetBytes(int64(len(conns) * len(msg)))
	cpu0 := processCPU()
	b.ResetTimer()
	for b.Loop() {
		for _, c := range conns {
			if w, err := c.Write(msg); err != nil || w != len(msg) {
				b.Fatalf("write: %d, %v", w, err)
			}
		}
	}
	b.StopTimer()
	reportCPU(b, cpu0)
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, cpu0 time.Duration) {
	if b.N > 0 {
		b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	}
}
