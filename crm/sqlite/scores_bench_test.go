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
// The live cases (a period other than the stored 30 days) run on every
// member: "_live" in their names.
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
		{"champions/rising_7d_live", champions(crm.ChampionsOptions{Rising: true, Period: 7 * 24 * time.Hour})},
		{"champions/rising_90d_live", champions(crm.ChampionsOptions{Rising: true, Period: 90 * 24 * time.Hour})},
		{"champions/rising_365d_live", champions(crm.ChampionsOptions{Rising: true, Period: 365 * 24 * time.Hour})},
		{"champions/rising_90d_github_live", champions(crm.ChampionsOptions{Rising: true, Period: 90 * 24 * time.Hour, Platform: "github"})},
		{"health/30d", health(crm.HealthOptions{})},
		{"health/30d_github", health(crm.HealthOptions{Platform: "github"})},
		{"health/7d_live", health(crm.HealthOptions{Period: 7 * 24 * time.Hour})},
		{"health/90d_live", health(crm.HealthOptions{Period: 90 * 24 * time.Hour})},
		{"health/365d_live", health(crm.HealthOptions{Period: 365 * 24 * time.Hour})},
		{"health/90d_github_live", health(crm.HealthOptions{Period: 90 * 24 * time.Hour, Platform: "github"})},
		{"evaluate_levels/incremental", func(ctx context.Context) error {
			_, err := s.EvaluateLevels(ctx, sc, benchNow.Add(time.Hour), true)
			return err
		}},
	} {
		b.Run(bm.name, func(b *testing.B) { measure(b, s, bm.op) })
	}
}
