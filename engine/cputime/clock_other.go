//go:build !linux

package cputime

import "time"

const exact = false

var epoch = time.Now()

// threadNanos falls back to the monotonic wall clock where the thread CPU clock is not used:
// spans then count time spent blocked too (an over-estimate, never an under-estimate).
func threadNanos() int64 { return int64(time.Since(epoch)) }
