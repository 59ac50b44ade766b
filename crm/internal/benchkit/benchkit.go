// Package benchkit holds what the stores' benchmarks share: the accounts
// of the read model benchmark's store (built by crm/sqlite's benchStore,
// copied into PostgreSQL by rollcall migrate), the syncing goroutine that
// applies batches while a read is measured, and the scaling benchmark's
// operations (docs/scaling.md), so that both stores run one list.
package benchkit

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// Now is the benchmarks' "now": the bench store's activities end before it.
var Now = time.Date(2024, 12, 20, 0, 0, 0, 0, time.UTC)

// Platforms are the bench store's four platforms; bulk identity id is on
// Platforms[id%4].
var Platforms = []struct{ Platform, Instance string }{
	{"github", "github.com"}, {"mastodon", "social.example"}, {"discourse", "forum.example"}, {"stackoverflow", "stackoverflow.com"},
}

// Ref is the account of bulk identity id (1 to the number of bulk
// identities).
func Ref(id int) connectors.AccountRef {
	p := Platforms[id%4]
	return connectors.AccountRef{Platform: p.Platform, Instance: p.Instance, ExternalID: fmt.Sprint("b", id)}
}

// StarRef is the star member's account on Platforms[p] (the star, the
// member with 10,000 activities, has accounts on 0, 2 and 3).
func StarRef(p int) connectors.AccountRef {
	return connectors.AccountRef{Platform: Platforms[p].Platform, Instance: Platforms[p].Instance, ExternalID: "star"}
}

// Star finds the star member's id in a bench store: the member of its
// GitHub account.
func Star(ctx context.Context, st interface {
	IdentityByRef(ctx context.Context, ref connectors.AccountRef) (crm.Identity, error)
}) (int64, error) {
	id, err := st.IdentityByRef(ctx, StarRef(0))
	if err != nil {
		return 0, fmt.Errorf("the star member's account %v: %w", StarRef(0), err)
	}
	return id.MemberID, nil
}

// Applier is the store a benchmark syncs into meanwhile.
type Applier interface {
	Apply(ctx context.Context, source string, b connectors.Batch) (crm.ApplyResult, error)
}

// Syncing applies batches of 100 activities by random existing accounts
// (1 to accounts, and a new account now and then) through Store.Apply
// until stop is closed, pausing 10 ms between batches, as a busy daemon
// does. Every call applies the same keys (the random source has a fixed
// seed), so a later call replays what an earlier one wrote.
func Syncing(ctx context.Context, b *testing.B, s Applier, accounts int, stop <-chan struct{}, wg *sync.WaitGroup, applied *atomic.Int64) {
	defer wg.Done()
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		case <-time.After(10 * time.Millisecond):
		}
		var batch connectors.Batch
		for i := 0; i < 100; i++ {
			actor := Ref(1 + rng.IntN(accounts))
			if i == 0 {
				actor = connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: fmt.Sprint("live", n)}
				batch.Accounts = append(batch.Accounts, connectors.Account{AccountRef: actor, Username: fmt.Sprint("live", n)})
			}
			batch.Activities = append(batch.Activities, connectors.Activity{
				Key: fmt.Sprintf("%s/%s/post/live%d-%d", actor.Platform, actor.Instance, n, i), Platform: actor.Platform, Instance: actor.Instance,
				Type: "post", OccurredAt: time.Now().UTC(), Actor: actor, Title: "live",
			})
		}
		batch.Next = connectors.Cursor{State: []byte(fmt.Sprintf(`{"n":%d}`, n))}
		if _, err := s.Apply(ctx, fmt.Sprint("live", n%4), batch); err != nil {
			if ctx.Err() == nil {
				b.Errorf("concurrent Apply: %v", err)
			}
			return
		}
		applied.Add(int64(len(batch.Activities)))
	}
}

// Measure runs op in b.Loop with the syncing goroutine running and
// reports p50 and p95 in milliseconds, and the activities applied per
// second meanwhile.
func Measure(b *testing.B, s Applier, accounts int, op func(ctx context.Context) error) {
	ctx := b.Context()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var applied atomic.Int64
	wg.Add(1)
	go Syncing(ctx, b, s, accounts, stop, &wg, &applied)
	var ds []time.Duration
	start := time.Now()
	for b.Loop() {
		t := time.Now()
		if err := op(ctx); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(t))
	}
	elapsed := time.Since(start)
	close(stop)
	wg.Wait()
	slices.Sort(ds)
	q := func(p float64) float64 {
		return float64(ds[min(len(ds)-1, int(p*float64(len(ds))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), "ms-p50")
	b.ReportMetric(q(0.95), "ms-p95")
	b.ReportMetric(float64(applied.Load())/elapsed.Seconds(), "applied-activities/s")
}

// ScalingStore is what the scaling benchmark needs of a store.
type ScalingStore interface {
	crm.Store
	crm.ChampionsReader
	EvaluateLevels(ctx context.Context, sc crm.Scoring, now time.Time, events bool) (crm.Evaluation, error)
}

// Scaling runs the scaling benchmark's operations (docs/scaling.md) on
// st, a bench store with accounts bulk identities whose star member is
// star: a level evaluation first (logged, not measured), then ingest
// (Apply of batches of 1000 activities by bulk accounts), the members
// page, member search, the star's journey page, champions and health,
// each read measured by Measure.
//
// tag goes into the ingest activities' keys: a store the benchmark
// writes into for good (PostgreSQL's) gives each run its own, so a
// second run ingests new activities instead of replaying the first's.
func Scaling(b *testing.B, st ScalingStore, star int64, accounts int, tag string) {
	ctx := b.Context()
	sc := crm.DefaultScoring()
	start := time.Now()
	if _, err := st.EvaluateLevels(ctx, sc, Now, false); err != nil {
		b.Fatal(err)
	}
	// On a fresh copy (SQLite's runs) no levels are stored yet and every
	// member's history is replayed; on a store kept between runs
	// (PostgreSQL's) only the first run does that.
	b.Logf("level evaluation before the operations: %v", time.Since(start).Round(time.Millisecond))
	b.Run("ingest/batch_1000", func(b *testing.B) {
		n := 0
		start := time.Now()
		for b.Loop() {
			var batch connectors.Batch
			for i := range 1000 {
				actor := Ref(1 + (n*7919+i*104729)%accounts)
				batch.Activities = append(batch.Activities, connectors.Activity{
					Key:      fmt.Sprintf("%s/%s/issue_comment/ingest%s%d-%d", actor.Platform, actor.Instance, tag, n, i),
					Platform: actor.Platform, Instance: actor.Instance, Type: "issue_comment",
					OccurredAt: Now.Add(-time.Duration(i) * time.Minute), Actor: actor, Title: "ingest",
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
			l, err := sc.LoadChampions(ctx, st, crm.ChampionsOptions{Now: Now}, false)
			if err == nil && len(l.Champions) == 0 {
				err = fmt.Errorf("no champions")
			}
			return err
		}},
		{"health/30d", func(ctx context.Context) error {
			_, err := crm.ReadHealth(ctx, st, crm.HealthOptions{Now: Now})
			return err
		}},
	} {
		b.Run(bm.name, func(b *testing.B) { Measure(b, st, accounts, bm.op) })
	}
}
