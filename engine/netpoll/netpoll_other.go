//go:build !linux

package netpoll

// newEventLoop reports no event loop: every connection uses the portable mode.
func newEventLoop(p *Poller) (eventLoop, error) { return nil, nil }
