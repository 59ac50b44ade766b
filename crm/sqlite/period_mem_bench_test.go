package sqlite_test

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/crm"
)

// BenchmarkPeriodMemory measures what the whole-community computations
// allocate (issue 15, point 6: the daemon's memory under load): the
// activities of a period read for health (lean), a live health report,
// every member's score data, and an incremental level evaluation, on a
// generated community of 5,000 accounts and 100,000 activities over two
// years. held-MiB is what a read holds while a computation runs on it
// (the live heap with its result kept, less without); B/op is what it
// allocates. Run it with
//
//	go test -run '^$' -bench PeriodMemory -benchmem ./crm/sqlite
func BenchmarkPeriodMemory(b *testing.B) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	accounts, acts := fastCommunity(1, 5000, 100_000, now)
	s := fastStore(b, accounts, acts, 1000)
	ctx := b.Context()
	sc := crm.DefaultScoring()
	if _, err := s.EvaluateLevels(ctx, sc, now, false); err != nil {
		b.Fatal(err)
	}
	// What every member's score data holds (the level evaluation's and
	// the champions' read), and what reading it allocates.
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	d, err := s.ScoreData(ctx)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	dataHeld := float64(after.HeapAlloc) - float64(before.HeapAlloc)
	members := len(d.Members)
	runtime.KeepAlive(d)
	d = crm.ScoreData{}
	b.Run("score_data", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.ScoreData(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(members), "members")
		b.ReportMetric(dataHeld/(1<<20), "held-MiB")
	})
	for _, days := range []int{30, 90, 365} {
		period := time.Duration(days) * 24 * time.Hour
		// What the read holds while a computation reads it: the live heap
		// with its result kept, less the live heap without.
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		data, window, err := s.LeanPeriod(ctx, now.Add(-2*period), now, "")
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		n := len(window)
		held := float64(after.HeapAlloc) - float64(before.HeapAlloc)
		runtime.KeepAlive(data)
		runtime.KeepAlive(window)
		window = nil
		b.Run("lean_period_"+strconv.Itoa(days)+"d", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := s.LeanPeriod(ctx, now.Add(-2*period), now, ""); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n), "activities")
			b.ReportMetric(held/(1<<20), "held-MiB")
		})
		b.Run("health_"+strconv.Itoa(days)+"d", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := crm.ReadHealth(ctx, s, crm.HealthOptions{Now: now, Period: period}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n), "activities")
		})
	}
	// An evaluation a minute after the last computes the short periods;
	// one an hour after, the long ones too (crm.LongPeriodsEvery).
	at := now
	for _, step := range []struct {
		name string
		d    time.Duration
	}{{"evaluate_levels", time.Minute}, {"evaluate_levels_long_periods", crm.LongPeriodsEvery}} {
		b.Run(step.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				at = at.Add(step.d)
				if _, err := s.EvaluateLevels(ctx, sc, at, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
