// Package localnats starts a NATS cluster with JetStream inside the current process, on
// loopback, for tests and for `make cluster`. It runs the real nats-server (the
// github.com/nats-io/nats-server/v2 library), not a stand-in.
package localnats

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Config configures Start. The zero value starts three servers on random loopback ports.
type Config struct {
	Servers int    // number of servers; default 3
	Dir     string // JetStream store root; each server gets Dir/<name>. Required.
	// Ports are the client ports, one per server; empty means random ports. Cluster (route)
	// ports are always random.
	Ports []int
	Name  string // cluster name; default "sluice"
	// User and Password, when set, are required of clients.
	User, Password string
	// Ready bounds the wait for the servers and the JetStream meta leader; default 30s.
	Ready time.Duration
}

// Cluster is a running set of NATS servers.
type Cluster struct {
	Servers []*server.Server
}

// Start starts the servers, routes them to the first one and waits until JetStream has a
// meta leader. Shutdown stops them.
func Start(cfg Config) (*Cluster, error) {
	if cfg.Servers <= 0 {
		cfg.Servers = 3
	}
	if cfg.Dir == "" {
		return nil, errors.New("localnats: Config.Dir is required")
	}
	if cfg.Name == "" {
		cfg.Name = "sluice"
	}
	if cfg.Ready <= 0 {
		cfg.Ready = 30 * time.Second
	}
	if len(cfg.Ports) != 0 && len(cfg.Ports) != cfg.Servers {
		return nil, fmt.Errorf("localnats: %d ports for %d servers", len(cfg.Ports), cfg.Servers)
	}
	// JetStream clustering needs the routes configured up front: pick the route ports first.
	routePorts, err := freePorts(cfg.Servers)
	if err != nil {
		return nil, err
	}
	var routes []*url.URL
	for _, p := range routePorts {
		routes = append(routes, &url.URL{Scheme: "nats", Host: "127.0.0.1:" + strconv.Itoa(p)})
	}
	c := &Cluster{}
	for i := 0; i < cfg.Servers; i++ {
		name := fmt.Sprintf("n%d", i+1)
		port := -1
		if len(cfg.Ports) > 0 {
			port = cfg.Ports[i]
		}
		o := &server.Options{ServerName: name, Host: "127.0.0.1", Port: port,
			JetStream: true, StoreDir: filepath.Join(cfg.Dir, name),
			Username: cfg.User, Password: cfg.Password, NoSigs: true, NoLog: true,
			Cluster: server.ClusterOpts{Name: cfg.Name, Host: "127.0.0.1", Port: routePorts[i]},
			Routes:  routes}
		if cfg.Servers == 1 {
			o.Cluster, o.Routes = server.ClusterOpts{}, nil
		}
		s, err := server.NewServer(o)
		if err != nil {
			c.Shutdown()
			return nil, fmt.Errorf("localnats: server %s: %w", name, err)
		}
		go s.Start()
		c.Servers = append(c.Servers, s)
	}
	for _, s := range c.Servers {
		if !s.ReadyForConnections(cfg.Ready) {
			c.Shutdown()
			return nil, fmt.Errorf("localnats: server %s not ready after %s", s.Name(), cfg.Ready)
		}
	}
	if err := c.waitJetStream(cfg.Ready, cfg.User, cfg.Password); err != nil {
		c.Shutdown()
		return nil, err
	}
	return c, nil
}

// waitJetStream waits until a client can reach the JetStream API (a meta leader is elected).
func (c *Cluster) waitJetStream(d time.Duration, user, pass string) error {
	deadline := time.Now().Add(d)
	opts := []nats.Option{}
	if user != "" {
		opts = append(opts, nats.UserInfo(user, pass))
	}
	var last error
	for time.Now().Before(deadline) {
		nc, err := nats.Connect(c.URL(), opts...)
		if err == nil {
			js, _ := nc.JetStream()
			_, err = js.AccountInfo(nats.MaxWait(time.Second))
			nc.Close()
			if err == nil {
				return nil
			}
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("localnats: JetStream not ready after %s: %v", d, last)
}

// freePorts returns n loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	ports := make([]int, n)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("localnats: %w", err)
		}
		lns = append(lns, ln)
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}

// URL returns every server's client URL, comma separated, as nats.Connect takes them.
func (c *Cluster) URL() string {
	urls := make([]string, len(c.Servers))
	for i, s := range c.Servers {
		urls[i] = s.ClientURL()
	}
	return strings.Join(urls, ",")
}

// Shutdown stops every server and waits for them.
func (c *Cluster) Shutdown() {
	for _, s := range c.Servers {
		s.Shutdown()
	}
	for _, s := range c.Servers {
		s.WaitForShutdown()
	}
}
