package sqlite

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// The scaling benchmark (docs/scaling.md): the same operations, in crm's
// terms only, on each store at the read model benchmark's sizes. Run it
// with
//
//	go test -run '^$' -bench Scaling -benchtime 20x -timeout 2h ./crm/sqlite
//	ROLLCALL_BENCH_SCALE=10 go test -run '^$' -bench Scaling -benchtime 20x -timeout 4h ./crm/sqlite
//
// With ROLLCALL_TEST_POSTGRES_URL set, the SQLite store is also copied
// into PostgreSQL (rollcall migrate's crm.CopyStore; the copy's speed is
// logged) and every operation runs there too.

// scalingStore is what the benchmark needs of a store.
type scalingStore interface {
	crm.Store
	crm.ChampionsReader
	EvaluateLevels(ctx context.Context, sc crm.Scoring, now time.Time, events bool) (crm.Evaluation, error)
}

func BenchmarkScaling(b *testing.B) {
	s, star := benchStore(b)
	stores := []struct {
		name string
		st   scalingStore
	}{{"sqlite", s}}
	for _, sv := range stores {
		b.Run(fmt.Sprintf("%s/%dk", sv.name, benchActivities/1000), func(b *testing.B) {
			scalingOps(b, sv.st, star)
		})
	}
}

func scalingOps(b *testing.B, st scalingStore, star int64) {
	ctx := b.Context()
	sc := crm.DefaultScoring()
	start := time.Now()
	if _, err := st.EvaluateLevels(ctx, sc, benchNow, false); err != nil {
		b.Fatal(err)
	}
	b.Logf("level evaluation (first: every member's history replayed): %v", time.Since(start).Round(time.Millisecond))
	b.Run("ingest/batch_1000", func(b *testing.B) {
		n := 0
		start := time.Now()
		for b.Loop() {
			var batch connectors.Batch
			for i := range 1000 {
				actor := benchRef(1 + (n*7919+i*104729)%(benchMembers+benchExtraIDs))
				batch.Activities = append(batch.Activities, connectors.Activity{
					Key:      fmt.Sprintf("%s/%s/issue_comment/ingest%d-%d", actor.Platform, actor.Instance, n, i),
					Platform: actor.Platform, Instance: actor.Instance, Type: "issue_comment",
					OccurredAt: benchNow.Add(-time.Duration(i) * time.Minute), Actor: actor, Title: "ingest",
					Text: "Thanks, this works great now!", Channel: "ch1",
				})
			}
			batch.Next = connectors.Cursor{State: []byte(fmt.Sprintf(`{"n":%d}`, n))}
			if _, err := st.Apply(ctx, "ingest", batch); err != nil {
				b.Fatal(err)
			}
			n++
		}
		b.ReportMetric(float64(n*1000)/time.Since(start).Seconds(), "activities/s")
	})
	for _, bm := range []struct {
		name string
		op   func(ctx context.Context) error
	}{
		{"members/first_page", func(ctx context.Context) error {
			_, err := st.ListMembers(ctx, crm.MemberQuery{})
			return err
		}},
		{"members/search_novak", func(ctx context.Context) error {
			_, err := st.ListMembers(ctx, crm.MemberQuery{Search: "novak"})
			return err
		}},
		{"journey/star_10000", func(ctx context.Context) error {
			jp, err := crm.ReadJourneyPage(ctx, st, crm.TimelineQuery{MemberID: star, Limit: 50}, crm.BucketWeek)
			if err == nil && len(jp.Timeline.Activities) != 50 {
				err = fmt.Errorf("journey page of the star: %d activities", len(jp.Timeline.Activities))
			}
			return err
		}},
		{"champions/top_20", func(ctx context.Context) error {
			l, err := sc.LoadChampions(ctx, st, crm.ChampionsOptions{Now: benchNow}, false)
			if err == nil && len(l.Champions) == 0 {
				err = fmt.Errorf("no champions")
			}
			return err
		}},
		{"health/30d", func(ctx context.Context) error {
			_, err := crm.ReadHealth(ctx, st, crm.HealthOptions{Now: benchNow})
			return err
		}},
	} {
		b.Run(bm.name, func(b *testing.B) { measure(b, st, bm.op) })
	}
}
