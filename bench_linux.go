package main

import (
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// onThreadCPU runs f with the goroutine locked to its OS thread and
// returns the CPU time that thread spent meanwhile (CLOCK_THREAD_CPUTIME_ID):
// f's own CPU time, not the wall time it took, which on a loaded machine
// counts the time other processes ran. ok is false when the clock cannot
// be read.
func onThreadCPU(f func()) (took time.Duration, ok bool) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var a, b unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &a) != nil {
		f()
		return 0, false
	}
	f()
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &b) != nil {
		return 0, false
	}
	return time.Duration(b.Nano() - a.Nano()), true
}
