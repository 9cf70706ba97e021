package limits

import (
	"errors"
	"net"
	"sync"
)

// SinkBuffer is the read size a sink uses per connection.
const SinkBuffer = 256 << 10

// ServeSink accepts connections on ln until it is closed and reads and discards everything each
// sends, one goroutine per connection. It returns nil once ln is closed and every connection has
// ended, or the first error that is not a close.
func ServeSink(ln net.Listener) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			buf := make([]byte, SinkBuffer)
			for {
				// EOF, or a reset from a writer that exits: both end the connection.
				if _, err := c.Read(buf); err != nil {
					return
				}
			}
		}()
	}
}
