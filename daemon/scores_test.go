package daemon

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestScoreLoop: one evaluation at start, one every Every, and passes
// (kicks) cause at most one per MinGap.
func TestScoreLoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var at []time.Duration
		start := time.Now()
		l := NewScoreLoop(ScoreLoop{Every: time.Hour, MinGap: time.Minute, Evaluate: func(ctx context.Context, now time.Time) error {
			mu.Lock()
			at = append(at, now.Sub(start))
			mu.Unlock()
			return nil
		}})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { l.Run(ctx); close(done) }()
		synctest.Wait()
		// Three kicks within the first minute: one evaluation, at 1m.
		for range 3 {
			time.Sleep(10 * time.Second)
			l.Kick()
		}
		time.Sleep(50 * time.Second) // 1m20s
		// A kick long after: at once.
		time.Sleep(10 * time.Minute)
		l.Kick()
		synctest.Wait()
		// Then nothing: the next one an hour after the last.
		time.Sleep(2 * time.Hour)
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		want := []time.Duration{0, time.Minute, 11*time.Minute + 20*time.Second, time.Hour + 11*time.Minute + 20*time.Second, 2*time.Hour + 11*time.Minute + 20*time.Second}
		if len(at) != len(want) {
			t.Fatalf("evaluations at %v, want %v", at, want)
		}
		for i := range want {
			if at[i] != want[i] {
				t.Fatalf("evaluations at %v, want %v", at, want)
			}
		}
	})
}

// TestScoreLoopRetriesWhenAnotherReplicaEvaluates: an evaluation skipped
// because another replica holds the levels lease is tried again after
// MinGap, without a kick.
func TestScoreLoopRetriesWhenAnotherReplicaEvaluates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var at []time.Duration
		start := time.Now()
		calls := 0
		l := NewScoreLoop(ScoreLoop{Every: time.Hour, MinGap: time.Minute, Evaluate: func(ctx context.Context, now time.Time) error {
			mu.Lock()
			defer mu.Unlock()
			calls++
			if calls <= 2 {
				return fmt.Errorf("%s: r2 holds it: %w", LevelsLease, ErrLeaseHeld)
			}
			at = append(at, now.Sub(start))
			return nil
		}})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { l.Run(ctx); close(done) }()
		time.Sleep(90 * time.Minute)
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		// Skipped at 0 and 1m, ran at 2m, then an hour after.
		want := []time.Duration{2 * time.Minute, time.Hour + 2*time.Minute}
		if calls != 4 || len(at) != 2 || at[0] != want[0] || at[1] != want[1] {
			t.Errorf("%d calls, evaluations at %v; want 4 calls, evaluations at %v", calls, at, want)
		}
	})
}
