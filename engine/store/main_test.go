package store

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashWriterEnv); dir != "" {
		os.Exit(crashWriter(dir, os.Getenv(crashRoundEnv)))
	}
	code := m.Run()
	if code == 0 {
		if leak := leakedGoroutines(); leak != "" {
			fmt.Fprintf(os.Stderr, "leaked goroutines:\n%s\n", leak)
			code = 1
		}
	}
	os.Exit(code)
}

// leakedGoroutines returns the stacks of store goroutines still running after the tests
// (every Store must be closed), waiting a little for ones that are finishing.
func leakedGoroutines() string {
	var leaked []string
	for range 50 {
		leaked = leaked[:0]
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "engine/store.(*Store)") {
				leaked = append(leaked, g)
			}
		}
		if len(leaked) == 0 {
			return ""
		}
		time.Sleep(20 * time.Millisecond)
	}
	return strings.Join(leaked, "\n\n")
}
