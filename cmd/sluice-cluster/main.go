// Command sluice-cluster runs a local sluice cluster for trying it out (`make cluster`): a
// three-server NATS JetStream cluster inside this process (the real nats-server library) and
// four sluiced child processes, two indexers and two webservers, all on loopback. It seeds the
// demo data set through the first webserver's /api/ingest (so it travels through JetStream),
// prints where everything is, and stops it all on Ctrl-C.
//
// Usage:
//
//	sluice-cluster [-sluiced bin/sluiced] [-dir data/cluster] [-nats-port 4222] [-port 8080] [-demo-count 200000]
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/demo"
	"github.com/sluicehq/sluice/engine/cluster/localnats"
	"github.com/sluicehq/sluice/wire"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "sluice-cluster:", err)
		os.Exit(1)
	}
}

type child struct {
	name, role, listen string
	cmd                *exec.Cmd
}

func run() error {
	sluiced := flag.String("sluiced", "bin/sluiced", "the sluiced `binary`")
	dir := flag.String("dir", "data/cluster", "`directory` for the NATS stores and the nodes' data")
	natsPort := flag.Int("nats-port", 4222, "client `port` of the first NATS server (the others take the next two)")
	port := flag.Int("port", 8080, "HTTP `port` of the first webserver; the second webserver and the indexers take the next three")
	demoCount := flag.Int("demo-count", 200_000, "demo entries to ingest through the first webserver (0: none)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	nc, err := localnats.Start(localnats.Config{Servers: 3, Dir: filepath.Join(*dir, "nats"),
		Ports: []int{*natsPort, *natsPort + 1, *natsPort + 2}})
	if err != nil {
		return err
	}
	defer nc.Shutdown()
	fmt.Println("NATS JetStream cluster:", nc.URL())

	nodes := []*child{{name: "web-1", role: "webserver"}, {name: "web-2", role: "webserver"},
		{name: "idx-1", role: "indexer"}, {name: "idx-2", role: "indexer"}}
	var wg sync.WaitGroup
	for i, c := range nodes {
		c.listen = "127.0.0.1:" + strconv.Itoa(*port+i)
		c.cmd = exec.Command(*sluiced, "-role", c.role, "-nats", nc.URL(), "-node-name", c.name,
			"-listen", c.listen, "-data", filepath.Join(*dir, c.name), "-indexer-addr", c.listen,
			"-replicas", "3", "-partitions", "8")
		out, _ := c.cmd.StderrPipe()
		c.cmd.Stdout = os.Stdout
		if err := c.cmd.Start(); err != nil {
			stopAll(nodes)
			return fmt.Errorf("start %s: %w", c.name, err)
		}
		wg.Add(1)
		go func() { // the child's log, prefixed with its name
			defer wg.Done()
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				fmt.Fprintf(os.Stderr, "%-6s %s\n", c.name, sc.Text())
			}
		}()
	}
	for _, c := range nodes {
		if err := waitHTTP(ctx, "http://"+c.listen+"/metrics"); err != nil {
			stopAll(nodes)
			return fmt.Errorf("%s: %w", c.name, err)
		}
	}
	fmt.Printf("webservers: http://%s and http://%s (search and stats sockets on both)\n", nodes[0].listen, nodes[1].listen)
	fmt.Printf("indexers:   %s and %s\n", nodes[2].listen, nodes[3].listen)
	if *demoCount > 0 {
		time.Sleep(3 * time.Second) // the indexers take their partitions
		start := time.Now()
		n, err := seed(ctx, "http://"+nodes[0].listen, *demoCount)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sluice-cluster: demo data:", err)
		} else {
			fmt.Printf("demo data: %d entries ingested through web-1 in %s\n", n, time.Since(start).Round(time.Millisecond))
		}
	}
	fmt.Println("try: bin/sluice -server http://" + nodes[1].listen + " search 'tag=weblog json status | count by status | table' --start -24h")
	fmt.Println("Ctrl-C stops the cluster")
	<-ctx.Done()
	stopAll(nodes)
	wg.Wait()
	return nil
}

// stopAll asks every child to stop and waits for it.
func stopAll(nodes []*child) {
	for _, c := range nodes {
		if c.cmd != nil && c.cmd.Process != nil {
			_ = c.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	for _, c := range nodes {
		if c.cmd != nil && c.cmd.Process != nil {
			_ = c.cmd.Wait()
		}
	}
}

func waitHTTP(ctx context.Context, url string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return errors.New("no HTTP answer after 30s")
}

// seed posts the demo data set to url's /api/ingest as JSON entries.
func seed(ctx context.Context, url string, count int) (int, error) {
	names := []string{demo.TagSyslog, demo.TagWeblog, demo.TagNetflow}
	tagID := func(name string) (uint16, error) {
		for i, n := range names {
			if n == name {
				return uint16(i), nil
			}
		}
		return 0, fmt.Errorf("unknown demo tag %q", name)
	}
	type entry struct {
		TS   string
		Tag  string
		SRC  string `json:",omitempty"`
		Data string
	}
	total := 0
	err := demo.Generate(demo.Config{Count: count, TagID: tagID}, func(batch []wire.Entry) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		body := make([]entry, len(batch))
		for i, e := range batch {
			body[i] = entry{TS: time.Unix(0, e.TS).UTC().Format(time.RFC3339Nano), Tag: names[e.Tag],
				Data: base64.StdEncoding.EncodeToString(e.Data)}
			if e.SRC.IsValid() {
				body[i].SRC = e.SRC.String()
			}
		}
		b, _ := json.Marshal(body)
		resp, err := http.Post(url+"/api/ingest", "application/json", bytes.NewReader(b))
		if err != nil {
			return err
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("ingest: %s: %s", resp.Status, msg)
		}
		total += len(batch)
		return nil
	})
	return total, err
}
