package loadgen

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/proc/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseStatusRSS(t *testing.T) {
	rss, err := parseStatusRSS(readFixture(t, "status"))
	if err != nil || rss != 48128<<10 {
		t.Fatalf("RSS %d, %v", rss, err)
	}
	if _, err := parseStatusRSS([]byte("Name:\tkthreadd\nState:\tS\n")); err == nil {
		t.Fatal("no error without VmRSS")
	}
	if _, err := parseStatusRSS([]byte("VmRSS:\t12 MB\n")); err == nil {
		t.Fatal("no error for a unit other than kB")
	}
}

func TestParseStatTicks(t *testing.T) {
	// The command "(sluice d) (x)" contains spaces and parentheses.
	ticks, err := parseStatTicks(readFixture(t, "stat"))
	if err != nil || ticks != 1234+567 {
		t.Fatalf("ticks %d, %v", ticks, err)
	}
	for _, bad := range []string{"", "42 (x) S 1 2", "42 (x) S 1 2 3 4 5 6 7 8 9 u s 1"} {
		if _, err := parseStatTicks([]byte(bad)); err == nil {
			t.Fatalf("no error for %q", bad)
		}
	}
}

func TestParseListenInodes(t *testing.T) {
	b := readFixture(t, "net_tcp")
	if got := parseListenInodes(b, 8080); !slices.Equal(got, []string{"77001"}) { // 77003 is established, not listening
		t.Fatalf("port 8080: %v", got)
	}
	if got := parseListenInodes(b, 8081); !slices.Equal(got, []string{"77002"}) {
		t.Fatalf("port 8081: %v", got)
	}
	if got := parseListenInodes(b, 80); got != nil {
		t.Fatalf("port 80: %v", got)
	}
}

func TestParseGoroutines(t *testing.T) {
	g, err := parseGoroutines(strings.NewReader(string(readFixture(t, "metrics.txt"))))
	if err != nil || g != 23 {
		t.Fatalf("goroutines %d, %v", g, err)
	}
	if _, err := parseGoroutines(strings.NewReader("go_threads 5\n")); err == nil {
		t.Fatal("no error without go_goroutines")
	}
	if g, err := parseGoroutines(strings.NewReader(`go_goroutines{job="x"} 7` + "\n")); err != nil || g != 7 {
		t.Fatalf("labelled sample: %d, %v", g, err)
	}
}

func TestLiveProc(t *testing.T) {
	// This process listens, so FindListenerPID finds itself; RSS and CPU are readable.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pid, err := FindListenerPID(ln.Addr().(*net.TCPAddr).Port)
	if err != nil || pid != os.Getpid() {
		t.Skipf("listener lookup not possible here (pid %d, err %v)", pid, err)
	}
	if rss, err := RSS(pid); err != nil || rss < 1<<20 {
		t.Fatalf("RSS %d, %v", rss, err)
	}
	if _, err := CPUTime(pid); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(readFixture(t, "metrics.txt"))
	}))
	defer srv.Close()
	if g, err := Goroutines(context.Background(), srv.URL); err != nil || g != 23 {
		t.Fatalf("Goroutines %d, %v", g, err)
	}
}
