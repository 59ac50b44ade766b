package sqlite

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/internal/benchkit"
)

// The scores benchmark (issue 11, point 9): champions, health and level
// evaluations over the read model benchmark's store (1,000,000
// activities, 100,000 members; see readmodel_bench_test.go), while a
// goroutine applies batches through Store.Apply. Run it with
//
//	go test -run '^$' -bench Scores -benchtime 20x ./crm/sqlite
//
// The live cases (a period the evaluation does not store: 45 days) run on
// every member: "_live" in their names.
//
// "Now" is the end of the store's activities (they span 2021-12 to
// 2024-12), so that recent weeks hold activity.
var benchNow = benchkit.Now

func BenchmarkScores(b *testing.B) {
	s, _ := benchStore(b)
	ctx := b.Context()
	sc := crm.DefaultScoring()
	start := time.Now()
	first, err := s.EvaluateLevels(ctx, sc, benchNow, true)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("first evaluation (every member's level history replayed): %v, %+v", time.Since(start).Round(time.Millisecond), first)
	evalAt := benchNow
	champions := func(o crm.ChampionsOptions) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			o.Now = benchNow
			l, err := sc.LoadChampions(ctx, s, o, false)
			if err == nil && len(l.Champions) == 0 && !o.Slipping {
				err = fmt.Errorf("no champions for %+v", o)
			}
			return err
		}
	}
	health := func(o crm.HealthOptions) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			o.Now = benchNow
			_, err := crm.ReadHealth(ctx, s, o)
			return err
		}
	}
	for _, bm := range []struct {
		name string
		op   func(ctx context.Context) error
	}{
		{"champions/top_20", champions(crm.ChampionsOptions{})},
		{"champions/top_20_github", champions(crm.ChampionsOptions{Platform: "github"})},
		{"champions/rising_30d", champions(crm.ChampionsOptions{Rising: true})},
		{"champions/slipping", champions(crm.ChampionsOptions{Slipping: true, Top: 100})},
		{"champions/rising_7d", champions(crm.ChampionsOptions{Rising: true, Period: 7 * 24 * time.Hour})},
		{"champions/rising_90d", champions(crm.ChampionsOptions{Rising: true, Period: 90 * 24 * time.Hour})},
		{"champions/rising_365d", champions(crm.ChampionsOptions{Rising: true, Period: 365 * 24 * time.Hour})},
		{"champions/rising_90d_github", champions(crm.ChampionsOptions{Rising: true, Period: 90 * 24 * time.Hour, Platform: "github"})},
		{"champions/rising_45d_live", champions(crm.ChampionsOptions{Rising: true, Period: 45 * 24 * time.Hour})},
		{"health/30d", health(crm.HealthOptions{})},
		{"health/30d_github", health(crm.HealthOptions{Platform: "github"})},
		{"health/7d", health(crm.HealthOptions{Period: 7 * 24 * time.Hour})},
		{"health/90d", health(crm.HealthOptions{Period: 90 * 24 * time.Hour})},
		{"health/365d", health(crm.HealthOptions{Period: 365 * 24 * time.Hour})},
		{"health/90d_github", health(crm.HealthOptions{Period: 90 * 24 * time.Hour, Platform: "github"})},
		{"health/45d_live", health(crm.HealthOptions{Period: 45 * 24 * time.Hour})},
		// Each call a minute after the last: the short periods only.
		{"evaluate_levels/incremental", func(ctx context.Context) error {
			evalAt = evalAt.Add(time.Minute)
			_, err := s.EvaluateLevels(ctx, sc, evalAt, true)
			return err
		}},
		// Each call an hour after the last: the long periods too.
		{"evaluate_levels/with_long_periods", func(ctx context.Context) error {
			evalAt = evalAt.Add(crm.LongPeriodsEvery)
			_, err := s.EvaluateLevels(ctx, sc, evalAt, true)
			return err
		}},
	} {
		b.Run(bm.name, func(b *testing.B) { measure(b, s, bm.op) })
	}
}
