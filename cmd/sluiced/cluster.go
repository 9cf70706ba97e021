package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/sluicehq/sluice/collect"
	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/cluster"
)

// clusterConfig returns the cluster node configuration of s, or ok false for a single node
// (no NATS). A role other than "all" without NATS is an error.
func clusterConfig(s settings, listen string, logger *slog.Logger) (cfg cluster.Config, ok bool, err error) {
	role, err := cluster.ParseRole(s.Role)
	if err != nil {
		return cfg, false, err
	}
	if s.NATS == "" {
		if role != cluster.RoleAll {
			return cfg, false, fmt.Errorf("-role %s needs -nats URL (a cluster); without NATS only -role all runs", role)
		}
		return cfg, false, nil
	}
	name := s.NodeName
	if name == "" {
		host, err := os.Hostname()
		if err != nil {
			return cfg, false, fmt.Errorf("no -node-name and no host name: %w", err)
		}
		name = strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
				return r
			}
			return '-'
		}, host)
	}
	cfg = cluster.Config{URL: s.NATS, Name: name, Role: role, IndexerKey: s.IndexerAddr, HTTPAddr: listen,
		CredsFile: s.NATSCreds, User: s.NATSUser, Password: s.NATSPassword, Token: s.NATSToken,
		Partitions: s.Partitions, Replicas: s.Replicas, Heartbeat: time.Duration(s.Heartbeat),
		DeadAfter: time.Duration(s.DeadAfter), SearchTimeout: time.Duration(s.SearchTimeout), Logger: logger,
		ProxySecret: s.ClusterSecret, RegistryRetention: time.Duration(s.RegistryRetention)}
	if s.AdvertiseAddr != "" {
		cfg.HTTPAddr = s.AdvertiseAddr
	}
	if s.RebuildFrom != "" {
		t, err := time.Parse(time.RFC3339, s.RebuildFrom)
		if err != nil {
			return cfg, false, fmt.Errorf("rebuild_from: %w", err)
		}
		cfg.RebuildFrom = t
	}
	return cfg, true, nil
}

// startCluster joins the cluster and makes cfg an engine configuration of a node of it: a
// webserver keeps no store. attach finishes the job once the engine is running.
func startCluster(ccfg cluster.Config, cfg *engine.Config, procRoot string) (node *cluster.Node, attach func(*engine.Engine) error, err error) {
	ccfg.Collector = collect.NewCollector(collect.Config{FS: collect.FS{Root: procRoot}})
	ccfg.SearchWorkers = cfg.Search.Workers
	node, err = cluster.New(ccfg)
	if err != nil {
		return nil, nil, err
	}
	dir := cfg.DataDir
	if !ccfg.Role.Indexes() {
		cfg.DataDir = ""
	}
	cfg.Cluster = &engine.ClusterHooks{Source: node.Source(), Tags: node.Tags(), Ingest: node.Ingest(), Stats: node.Stats()}
	if ccfg.Role.Serves() {
		reg, err := node.Searches() // the search registry: attach through any webserver
		if err != nil {
			node.Close()
			return nil, nil, err
		}
		cfg.Cluster.Searches = reg
	}
	attach = func(eng *engine.Engine) error {
		if !ccfg.Role.Indexes() {
			return nil
		}
		node.SetMemory(eng.Memory())
		return node.AttachStore(eng.Store(), dir)
	}
	return node, attach, nil
}
