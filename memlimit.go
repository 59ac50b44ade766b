package main

import (
	"log/slog"
	"math"
	"runtime/debug"

	"github.com/KimMachineGun/automemlimit/memlimit"

	"github.com/rollcall-dev/rollcall/config"
)

// memoryLimitRatio is the share of the cgroup's memory limit (systemd's
// MemoryMax=) the Go runtime's soft limit takes when the configuration
// names none: the rest is for what the runtime does not count (stacks
// outside the heap, the kernel's page tables, SQLite's mapped file).
const memoryLimitRatio = 0.9

// applyMemoryLimit sets the Go runtime's soft memory limit, so that the
// collector works harder as the heap nears it instead of letting garbage
// grow to twice the live data: cfg's memory_limit, else the GOMEMLIMIT
// environment variable (which the runtime read at start), else 90% of the
// cgroup's limit, else none. It returns the limit in force (math.MaxInt64:
// none) and where it came from. Called at start and on each reload, so a
// memory_limit removed from the file gives way to the default again.
// cgroup reads the cgroup's limit (memlimit.FromCgroup).
func applyMemoryLimit(cfg *config.Config, getenv func(string) string, cgroup memlimit.Provider, log *slog.Logger) (int64, string) {
	switch {
	case cfg.MemoryLimit > 0:
		debug.SetMemoryLimit(cfg.MemoryLimit)
		log.Info("memory limit set", "bytes", cfg.MemoryLimit, "from", "memory_limit")
		return cfg.MemoryLimit, "memory_limit"
	case getenv("GOMEMLIMIT") != "":
		limit := debug.SetMemoryLimit(-1)
		log.Info("memory limit set", "bytes", limit, "from", "GOMEMLIMIT")
		return limit, "GOMEMLIMIT"
	}
	limit, err := memlimit.Set(memlimit.WithProvider(cgroup), memlimit.WithRatio(memoryLimitRatio))
	if err != nil || limit <= 0 || limit == math.MaxInt64 {
		// No cgroup limit, or none readable (not in a cgroup, no memory
		// controller): no limit, also when an earlier one was in force.
		if err != nil {
			log.Debug("no memory limit: the cgroup's could not be read", "err", err)
		}
		debug.SetMemoryLimit(math.MaxInt64)
		return math.MaxInt64, ""
	}
	log.Info("memory limit set", "bytes", limit, "from", "cgroup")
	return limit, "cgroup"
}
