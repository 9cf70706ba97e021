// Package sluicedtest starts the real sluiced binary for tests, as users run it (no race
// detector, loopback, its own data directory), so that tests in several packages share one way
// to do it. It is imported by tests only.
package sluicedtest

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"
)

// listening is sluiced's log line once it listens; addr= is the real address (port 0 resolved).
var listening = regexp.MustCompile(`"sluiced listening" addr=(\S+)`)

// Start runs the sluiced binary bin with -listen 127.0.0.1:0 followed by args and returns
// its URL ("http://127.0.0.1:PORT") once it listens. The process gets an interrupt when the
// test ends, and is killed if it has not exited 15 s later. A server that does not listen
// within 60 s fails the test.
func Start(t testing.TB, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-listen", "127.0.0.1:0"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case a := <-addr:
		return "http://" + a
	case <-time.After(60 * time.Second):
		t.Fatal("sluiced did not start listening within 60 s")
	}
	return ""
}
