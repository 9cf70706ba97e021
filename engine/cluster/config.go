package cluster

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sluicehq/sluice/collect"
)

// Role is what a node does in the cluster.
type Role string

// Node roles. RoleAll is an indexer and a webserver in one process.
const (
	RoleAll       Role = "all"
	RoleIndexer   Role = "indexer"
	RoleWebserver Role = "webserver"
)

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleAll, RoleIndexer, RoleWebserver:
		return r, nil
	}
	return "", fmt.Errorf("cluster: unknown role %q (want all, indexer or webserver)", s)
}

// Indexes reports whether the role stores partitions.
func (r Role) Indexes() bool { return r == RoleAll || r == RoleIndexer }

// Serves reports whether the role is a webserver (the "webserver" host of its stats socket).
func (r Role) Serves() bool { return r == RoleAll || r == RoleWebserver }

// Config configures a Node. URL and Name are required; the zero value of every other field
// selects its default.
type Config struct {
	URL  string // NATS server URLs, comma separated
	Name string // node name, unique in the cluster: [A-Za-z0-9_-], at most 64 bytes
	Role Role   // default RoleAll
	// IndexerKey is this indexer's host key on the stats sockets (PROTOCOL.md §2.1 "Host
	// keys": an address such as "10.0.0.1:9404"); default Name.
	IndexerKey string
	// HTTPAddr is this node's HTTP address, advertised to the other nodes.
	HTTPAddr string

	// NATS credentials: a .creds file (JWT + NKey), or user and password, or a token.
	CredsFile, User, Password, Token string

	Heartbeat time.Duration // heartbeat period; default 1s
	DeadAfter time.Duration // a node silent this long is dead; default 10s

	// Partitions is the number of ingest partitions; every node must use the same. Default 8.
	Partitions int
	// Replicas is the number of JetStream copies of every entry message (and of the buckets);
	// an ingest is acknowledged once they are stored. Default 1; a three-server cluster should
	// use 3.
	Replicas int
	// MaxAge is how long the stream keeps entries (the window a replacement can rebuild
	// from); default 7 days.
	MaxAge time.Duration
	// RebuildFrom, when set, makes an indexer starting on an empty store replay the stream
	// ranges its name held before (received since this time): the way a replacement indexer,
	// started under the dead one's name, rebuilds its data.
	RebuildFrom time.Time
	// FetchBatch is the most messages an indexer pulls at a time; default 256.
	FetchBatch int
	// MaxMessageBytes bounds one entry message or search chunk; default 512 KiB (NATS's
	// default max_payload is 1 MiB).
	MaxMessageBytes int
	// SearchWorkers is how many goroutines an indexer's share of a mergeable query scans and
	// aggregates with; default (0) GOMAXPROCS, all the cores.
	SearchWorkers int
	// SearchTimeout is how long a search waits for the next chunk of a live indexer before
	// giving it up with a warning; default DeadAfter.
	SearchTimeout time.Duration

	// ProxySecret is the shared secret of the credential with which a webserver proxies a
	// request to the webserver holding a search (an HMAC over the principal, the search, the
	// target node and an expiry). Empty: a random secret the first webserver stores in the
	// bucket sluice_searches, readable by whoever may read that bucket (set NATS permissions
	// accordingly, or set this on every webserver).
	ProxySecret string
	// ProxyCredentialTTL is how long a proxy credential is accepted after it is made;
	// default 30s.
	ProxyCredentialTTL time.Duration
	// ProxyDialTimeout bounds connecting to the webserver holding a search; default 5s.
	ProxyDialTimeout time.Duration
	// ProxyKeepAlive is the period of the PONG a relayed search socket sends the holding
	// webserver while idle, so its IdleTimeout does not close the relay; default 30s.
	ProxyKeepAlive time.Duration
	// RegistryTimeout bounds each operation on the search registry bucket (a launch waits
	// for its record); default 5s.
	RegistryTimeout time.Duration
	// RegistryRetention is how long the searches of a webserver that died stay in the
	// registry, listed and answered as gone naming it, before they are deleted; default 1h.
	RegistryRetention time.Duration

	Collector *collect.Collector // samples this machine for heartbeats; default NewCollector
	Logger    *slog.Logger       // default slog.Default()
}

func (c *Config) defaults() error {
	if c.URL == "" {
		return errors.New("cluster: Config.URL (the NATS server) is required")
	}
	if err := checkName(c.Name); err != nil {
		return err
	}
	if c.Role == "" {
		c.Role = RoleAll
	}
	if _, err := ParseRole(string(c.Role)); err != nil {
		return err
	}
	if c.IndexerKey == "" {
		c.IndexerKey = c.Name
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = time.Second
	}
	if c.DeadAfter <= 0 {
		c.DeadAfter = 10 * time.Second
	}
	if c.DeadAfter < 2*c.Heartbeat {
		return fmt.Errorf("cluster: DeadAfter=%s must be at least twice Heartbeat=%s", c.DeadAfter, c.Heartbeat)
	}
	if c.Partitions <= 0 {
		c.Partitions = 8
	}
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	if c.MaxAge <= 0 {
		c.MaxAge = 7 * 24 * time.Hour
	}
	if c.FetchBatch <= 0 {
		c.FetchBatch = 256
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = 512 << 10
	}
	if c.SearchTimeout <= 0 {
		c.SearchTimeout = c.DeadAfter
	}
	if c.ProxyCredentialTTL <= 0 {
		c.ProxyCredentialTTL = 30 * time.Second
	}
	if c.ProxyDialTimeout <= 0 {
		c.ProxyDialTimeout = 5 * time.Second
	}
	if c.ProxyKeepAlive <= 0 {
		c.ProxyKeepAlive = 30 * time.Second
	}
	if c.RegistryTimeout <= 0 {
		c.RegistryTimeout = 5 * time.Second
	}
	if c.RegistryRetention <= 0 {
		c.RegistryRetention = time.Hour
	}
	if c.Collector == nil {
		c.Collector = collect.NewCollector(collect.Config{})
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

func checkName(name string) error {
	if name == "" {
		return errors.New("cluster: Config.Name (the node name) is required")
	}
	if len(name) > 64 {
		return fmt.Errorf("cluster: node name %q is longer than 64 bytes", name[:64])
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return fmt.Errorf("cluster: node name %q: byte %d is not in [A-Za-z0-9_-]", name, i)
		}
	}
	return nil
}

// natsOptions returns the connection options of c.
func (c *Config) natsOptions() []nats.Option {
	opts := []nats.Option{nats.Name("sluice-" + c.Name), nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond)}
	switch {
	case c.CredsFile != "":
		opts = append(opts, nats.UserCredentials(c.CredsFile))
	case c.User != "":
		opts = append(opts, nats.UserInfo(c.User, c.Password))
	case c.Token != "":
		opts = append(opts, nats.Token(c.Token))
	}
	return opts
}
