package main

import (
	"errors"
	"io"
	"log/slog"
	"math"
	"runtime/debug"
	"testing"

	"github.com/KimMachineGun/automemlimit/memlimit"

	"github.com/rollcall-dev/rollcall/config"
)

func TestApplyMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	noEnv := func(string) string { return "" }

	// The configuration's memory_limit wins.
	if limit, from := applyMemoryLimit(&config.Config{MemoryLimit: 200 << 20}, func(string) string { return "1GiB" }, memlimit.Limit(1<<30), log); limit != 200<<20 || from != "memory_limit" || debug.SetMemoryLimit(-1) != 200<<20 {
		t.Errorf("memory_limit 200MiB: %d from %q, runtime %d", limit, from, debug.SetMemoryLimit(-1))
	}
	// GOMEMLIMIT, which the runtime read at start, is left as it is.
	debug.SetMemoryLimit(300 << 20)
	if limit, from := applyMemoryLimit(&config.Config{}, func(k string) string {
		if k == "GOMEMLIMIT" {
			return "300MiB"
		}
		return ""
	}, memlimit.Limit(1<<30), log); limit != 300<<20 || from != "GOMEMLIMIT" || debug.SetMemoryLimit(-1) != 300<<20 {
		t.Errorf("GOMEMLIMIT=300MiB: %d from %q, runtime %d", limit, from, debug.SetMemoryLimit(-1))
	}
	// Neither: 90% of the cgroup's limit, and a memory_limit removed on
	// reload no longer holds.
	debug.SetMemoryLimit(200 << 20)
	if limit, from := applyMemoryLimit(&config.Config{}, noEnv, memlimit.Limit(1000<<20), log); limit != 900<<20 || from != "cgroup" || debug.SetMemoryLimit(-1) != 900<<20 {
		t.Errorf("cgroup limit 1000MiB: %d from %q, runtime %d", limit, from, debug.SetMemoryLimit(-1))
	}
	// No cgroup limit (or none readable): no limit.
	for _, p := range []memlimit.Provider{
		func() (uint64, error) { return 0, memlimit.ErrNoLimit },
		func() (uint64, error) { return 0, errors.New("no cgroup") },
	} {
		debug.SetMemoryLimit(200 << 20)
		if limit, from := applyMemoryLimit(&config.Config{}, noEnv, p, log); limit != math.MaxInt64 || from != "" || debug.SetMemoryLimit(-1) != math.MaxInt64 {
			t.Errorf("no cgroup limit: %d from %q, runtime %d", limit, from, debug.SetMemoryLimit(-1))
		}
	}
	// This machine's, read for real.
	limit, from := applyMemoryLimit(&config.Config{}, noEnv, memlimit.FromCgroup, log)
	t.Logf("this machine's default: %d bytes from %q", limit, from)
}
