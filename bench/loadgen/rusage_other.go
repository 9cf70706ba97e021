//go:build !unix

package loadgen

import "time"

// selfCPU is not available on this system; client CPU is reported as 0.
func selfCPU() time.Duration { return 0 }
