package sqlite_test

import (
	"runtime"
	"runtime/debug"
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
	// The peak of the heap while the long periods are computed, from the
	// whole span held at once (EvaluatePeriods, as before issue 15's
	// bounded evaluation) and read a piece at a time (EvaluateLevels, with
	// crm.Scoring.EvaluateWindow): sampled every millisecond with the
	// collector at GOGC=10, so that the heap stays near what is live.
	b.Run("peak_whole_window", func(b *testing.B) {
		for b.Loop() {
			peak := heapPeak(b, func() {
				d, err := s.ScoreData(ctx)
				if err != nil {
					b.Fatal(err)
				}
				_, window, err := s.LeanPeriod(ctx, now.Add(-crm.EvaluationSpan(true)), now, "")
				if err != nil {
					b.Fatal(err)
				}
				ev := sc.EvaluatePeriods(d, nil, window, now, true)
				runtime.KeepAlive(ev)
			})
			b.ReportMetric(peak/(1<<20), "peak-MiB")
		}
	})
	b.Run("peak_windowed", func(b *testing.B) {
		for b.Loop() {
			peak := heapPeak(b, func() {
				at = at.Add(crm.LongPeriodsEvery)
				if _, err := s.EvaluateLevels(ctx, sc, at, false); err != nil {
					b.Fatal(err)
				}
			})
			b.ReportMetric(peak/(1<<20), "peak-MiB")
		}
	})
}

// heapPeak runs fn and returns the highest heap in use above the live heap
// before it, sampled every millisecond with the collector at GOGC=10.
func heapPeak(b *testing.B, fn func()) float64 {
	b.Helper()
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	stop, done := make(chan struct{}), make(chan uint64)
	go func() {
		var peak uint64
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-stop:
				done <- peak
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(stop)
	peak := <-done
	if peak < base {
		return 0
	}
	return float64(peak - base)
}
