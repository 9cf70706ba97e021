package limits

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// sinkEnv switches the re-executed test binary into sink mode.
const sinkEnv = "SLUICE_LIMITS_SINK"

// TestMain runs the sink when the binary is re-executed as one: listen on 127.0.0.1, print the
// address, drain connections until stdin is closed by the parent.
func TestMain(m *testing.M) {
	if os.Getenv(sinkEnv) == "1" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, "sink:", err)
			os.Exit(1)
		}
		fmt.Println(ln.Addr().String())
		go func() {
			io.Copy(io.Discard, os.Stdin) // the parent closes stdin to stop us
			ln.Close()
			os.Exit(0)
		}()
		if err := ServeSink(ln); err != nil {
			fmt.Fprintln(os.Stderr, "sink:", err)
			os.Exit(1)
		}
		select {}
	}
	os.Exit(m.Run())
}

// startSink starts a sink child process and returns its address; the child is stopped at the
// end of the test or benchmark.
func startSink(tb testing.TB) string {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), sinkEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("cannot start sink process: %v", err)
	}
	tb.Cleanup(func() {
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		tb.Fatalf("sink did not report its address: %v", err)
	}
	return strings.TrimSpace(line)
}

func TestSinkDrains(t *testing.T) {
	addr := startSink(t)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 1<<20)
	for range 32 { // far more than the socket buffers hold: only a draining sink lets this finish
		if _, err := c.Write(buf); err != nil {
			t.Fatalf("write to sink: %v", err)
		}
	}
}

func TestServeSinkReturnsOnClose(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- ServeSink(ln) }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("hello"))
	c.Close()
	ln.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ServeSink: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ServeSink did not return after its listener closed")
	}
}
