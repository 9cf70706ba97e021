package loadgen

import (
	"context"
	"time"
)

// MixedConfig configures RunMixed: the idle subscribers of IdleConfig (Subscribers default
// 10 000) and M streaming consumers. Duration is how long the consumers keep streaming
// (REQ_STREAMING repeated until it has passed).
type MixedConfig struct {
	IdleConfig
	Consumers int
	Searches  int
	Search    SearchParams
	Verify    bool
	// Quiet is a window measured before the streams start, for comparison (default 10 s).
	Quiet time.Duration
}

// MixedResult holds the broadcast figures for the quiet window and for the window while the
// streams ran, and the streams' own figures.
type MixedResult struct {
	Quiet  IdleResult    `json:"quiet"`
	Loaded IdleResult    `json:"loaded"`
	Stream *StreamResult `json:"stream"`
}

// RunMixed connects the subscribers, measures broadcasts for Quiet, then runs the streams for
// Duration while still measuring, to show whether broadcasts keep their rhythm under load.
func RunMixed(ctx context.Context, cfg MixedConfig) (*MixedResult, error) {
	if cfg.Subscribers <= 0 {
		cfg.Subscribers = 10000
	}
	if err := cfg.IdleConfig.defaults(); err != nil {
		return nil, err
	}
	if cfg.Quiet <= 0 {
		cfg.Quiet = 10 * time.Second
	}
	scfg := StreamConfig{
		Target: cfg.Target, Consumers: cfg.Consumers, Searches: cfg.Searches, Search: cfg.Search,
		MinDuration: cfg.Duration, Timeout: cfg.Duration + 5*time.Minute, Verify: cfg.Verify,
	}
	if err := scfg.defaults(); err != nil {
		return nil, err
	}
	res := &MixedResult{}
	res.Quiet.Subscribers = cfg.Subscribers
	srv := newServer(&cfg.Target, &res.Quiet.Notes)
	res.Quiet.Before = srv.sample(ctx)
	p, err := startPool(ctx, &cfg.IdleConfig, &res.Quiet)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	sleepCtx(ctx, cfg.Settle)
	res.Quiet.After = srv.sample(ctx)
	perConn(&res.Quiet)
	res.Loaded = res.Quiet
	res.Loaded.Notes = nil

	from := p.now()
	cpu0 := selfCPU()
	srv0, ok0 := srv.cpu()
	sleepCtx(ctx, cfg.Quiet)
	srv1, ok1 := srv.cpu()
	mid := p.now()
	res.Quiet.ClientCPU = selfCPU() - cpu0
	res.Stream, err = RunStream(ctx, scfg)
	srv2, ok2 := srv.cpu()
	to := p.now()
	if err != nil {
		return nil, err
	}
	res.Loaded.ClientCPU = res.Stream.ClientCPU
	p.stop()
	p.analyze(from, mid, cfg.Gap, &res.Quiet)
	p.analyze(mid, to, cfg.Gap, &res.Loaded)
	if ok0 && ok1 {
		res.Quiet.ServerCPU = srv1 - srv0
		perBroadcast(&res.Quiet)
	}
	if ok1 && ok2 {
		// The streams' CPU dominates this window, so it has no per-broadcast figure.
		res.Loaded.ServerCPU = srv2 - srv1
		res.Loaded.Notes = append(res.Loaded.Notes, "while streaming, server_cpu_ns includes the streams' CPU, so no server_cpu_per_broadcast_ns is given for that window")
	}
	return res, nil
}
