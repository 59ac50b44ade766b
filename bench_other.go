//go:build !linux

package main

import "time"

// onThreadCPU runs f; without a per-thread CPU clock it reports f's wall
// time.
func onThreadCPU(f func()) (took time.Duration, ok bool) {
	start := time.Now()
	f()
	return time.Since(start), true
}
