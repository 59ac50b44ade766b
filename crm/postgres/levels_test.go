package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/postgres"
	"github.com/rollcall-dev/rollcall/crm/postgres/pgtest"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
	"github.com/rollcall-dev/rollcall/crm/storetest"
	"github.com/rollcall-dev/rollcall/identity"
)

// levelsStore is what the level tests read of either store.
type levelsStore interface {
	crm.Store
	crm.IdentityStore
	crm.ScoreReader
	crm.ChampionsReader
	crm.RankReader
	crm.Outbox
	crm.DeliveryLister
	EvaluateLevels(ctx context.Context, sc crm.Scoring, now time.Time, events bool) (crm.Evaluation, error)
	LevelsEvaluatedAt(ctx context.Context) (time.Time, error)
	StoredHealth(ctx context.Context, platform string, staff bool, period time.Duration) (crm.HealthReport, bool, error)
}

var (
	_ levelsStore = (*postgres.Store)(nil)
	_ levelsStore = (*sqlite.Store)(nil)
)

var levelsT0 = time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC)

// levelsWorld is weeks of a community of n accounts on GitHub and
// Discourse: issues answered by others, some regulars, some who stop,
// reactions and text; activities from week `from` to week `to`, those of
// accounts for which quiet(account, week) is false.
func levelsWorld(n, from, to int, quiet func(acct, week int) bool) []connectors.Activity {
	r := rand.New(rand.NewPCG(uint64(from), uint64(to)))
	var out []connectors.Activity
	who := func(i int) connectors.AccountRef {
		if i%3 == 2 {
			return connectors.AccountRef{Platform: "discourse", Instance: "forum.example.org", ExternalID: fmt.Sprint(i)}
		}
		return connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: fmt.Sprint(i)}
	}
	for w := from; w < to; w++ {
		for a := range n {
			if quiet(a, w) || r.IntN(n) < a/2 {
				continue
			}
			ref := who(a)
			at := levelsT0.Add(time.Duration(w)*7*24*time.Hour + time.Duration(a)*time.Hour)
			key := fmt.Sprintf("%s/%s/w%d/a%d", ref.Platform, ref.Instance, w, a)
			typ := "issue_opened"
			if ref.Platform == "discourse" {
				typ = "topic_created"
			}
			out = append(out, connectors.Activity{Key: key, Platform: ref.Platform, Instance: ref.Instance, Type: typ,
				OccurredAt: at, Actor: ref, Channel: fmt.Sprintf("ch%d", a%4), Title: "help", Text: "This is broken, please help",
				Reactions: &connectors.Reactions{Total: a % 3, ByKind: map[string]int{"+1": a % 3}}})
			// Someone else on the same platform answers.
			for b := (a + 3) % n; b != a; b = (b + 3) % n {
				if who(b).Platform != ref.Platform || quiet(b, w) {
					continue
				}
				rb := who(b)
				ctyp := "issue_comment"
				if ref.Platform == "discourse" {
					ctyp = "post_created"
				}
				out = append(out, connectors.Activity{Key: key + fmt.Sprintf("/reply%d", b), Platform: rb.Platform, Instance: rb.Instance,
					Type: ctyp, OccurredAt: at.Add(90 * time.Minute), Actor: rb, ParentKey: key, Channel: fmt.Sprintf("ch%d", a%4),
					Text: "Thanks! Fixed it for you, great question."})
				break
			}
		}
	}
	return out
}

func loadLevelsWorld(t *testing.T, st levelsStore, acts []connectors.Activity) {
	t.Helper()
	ctx := t.Context()
	for i := 0; i < len(acts); i += 97 {
		if _, err := st.Apply(ctx, "w", connectors.Batch{Activities: acts[i:min(i+97, len(acts))]}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := (&identity.Resolver{}).Run(ctx, st); err != nil {
		t.Fatalf("resolve: %v", err)
	}
}

// levelsView is everything the level evaluation leaves readable.
type levelsView struct {
	Eval       crm.Evaluation
	At         time.Time
	Levels     map[int64]crm.LevelState
	History    map[int64][]crm.LevelPoint
	Ranks      map[string][]crm.RankRow
	Health     map[string]crm.HealthReport
	Scores     []crm.ScoreMember
	Period     []crm.PeriodActivity
	Deliveries []string // event bodies without their ids
}

func readLevelsView(t *testing.T, st levelsStore, eval crm.Evaluation, now time.Time) levelsView {
	t.Helper()
	ctx := t.Context()
	v := levelsView{Eval: eval, History: map[int64][]crm.LevelPoint{}, Ranks: map[string][]crm.RankRow{}, Health: map[string]crm.HealthReport{}}
	var err error
	if v.At, err = st.LevelsEvaluatedAt(ctx); err != nil {
		t.Fatal(err)
	}
	if v.Levels, err = st.Levels(ctx); err != nil {
		t.Fatal(err)
	}
	d, err := st.ScoreData(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v.Scores = d.Members
	var ids []int64
	for _, m := range d.Members {
		ids = append(ids, m.ID)
		if v.History[m.ID], err = st.LevelHistory(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
	}
	some, err := st.ScoreMembers(ctx, ids[:len(ids)/2])
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(d.Members[:len(ids)/2], some, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("ScoreMembers of half the members differs from ScoreData's:\n%s", diff)
	}
	of, err := st.LevelsOf(ctx, ids[:3])
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids[:3] {
		if of[id] != v.Levels[id] {
			t.Errorf("LevelsOf(%d) = %+v, Levels has %+v", id, of[id], v.Levels[id])
		}
	}
	for _, kind := range []string{"champions", "rising", "slipping", "rising_7d", "rising_90d", "rising_365d"} {
		for _, plat := range []string{"", "github", "discourse"} {
			for _, staff := range []bool{false, true} {
				_, rows, _, err := st.ChampionRanks(ctx, kind, plat, staff, 50)
				if err != nil {
					t.Fatal(err)
				}
				v.Ranks[fmt.Sprintf("%s/%s/%v", kind, plat, staff)] = rows
			}
		}
	}
	for _, period := range append(slices.Clone(crm.ShortStoredPeriods), crm.LongStoredPeriods...) {
		for _, plat := range []string{"", "github", "discourse"} {
			for _, staff := range []bool{false, true} {
				r, ok, err := st.StoredHealth(ctx, plat, staff, period)
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					v.Health[fmt.Sprintf("%v/%s/%v", period, plat, staff)] = r
				}
			}
		}
	}
	if v.Period, err = st.PeriodActivities(ctx, now.Add(-90*24*time.Hour), now, ""); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(v.Period, func(a, b crm.PeriodActivity) int { return strings.Compare(a.Key, b.Key) })
	ds, err := st.Deliveries(ctx, crm.DeliveryFilter{Pending: true, Failed: true, Delivered: true, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		var ev map[string]any
		if err := json.Unmarshal(d.Body, &ev); err != nil {
			t.Fatalf("delivery %d body %s: %v", d.ID, d.Body, err)
		}
		delete(ev, "id")
		b, _ := json.Marshal(ev)
		v.Deliveries = append(v.Deliveries, string(b))
	}
	slices.Sort(v.Deliveries)
	return v
}

// TestLevelsMatchSQLite: the level evaluation, the rankings, the stored
// health reports, the score reads and the webhook events of the
// PostgreSQL store equal the SQLite store's for the same community: a
// first (baseline) evaluation, then one eight weeks later in which some
// members went quiet and others arrived.
func TestLevelsMatchSQLite(t *testing.T) {
	ctx := t.Context()
	sc := crm.DefaultScoring()
	first := levelsWorld(18, 0, 26, func(a, w int) bool { return false })
	later := levelsWorld(18, 26, 34, func(a, w int) bool { return a%4 == 1 })

	ref, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "rollcall.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ref.Close() })
	pg, err := postgres.Open(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })

	norm := []cmp.Option{cmpopts.EquateEmpty(), cmpopts.EquateApprox(1e-9, 1e-12)}
	now := levelsT0.Add(26 * 7 * 24 * time.Hour)
	// Step 2 is ten minutes after step 1, with nothing new: the long
	// periods' results stay those of step 1 in both stores. Step 3, ten
	// minutes later still, brings twelve more members, more than a tenth
	// more activities (crm.LongPeriodsGrowth): both compute them again.
	grown := levelsWorld(30, 26, 34, func(a, w int) bool { return a%4 == 1 })
	var longAt time.Time
	for step, acts := range [][]connectors.Activity{first, later, nil, grown} {
		switch step {
		case 1:
			now = now.Add(8 * 7 * 24 * time.Hour)
			longAt = now
		case 2, 3:
			now = now.Add(10 * time.Minute)
		}
		if step == 3 {
			longAt = now
		}
		var views []levelsView
		for _, st := range []levelsStore{ref, pg} {
			loadLevelsWorld(t, st, acts)
			ev, err := st.EvaluateLevels(ctx, sc, now, true)
			if err != nil {
				t.Fatalf("step %d: %T: evaluate levels: %v", step, st, err)
			}
			views = append(views, readLevelsView(t, st, ev, now))
		}
		want, got := views[0], views[1]
		if len(want.Levels) < 10 || len(want.Ranks["champions//false"]) == 0 || len(want.Health) != 4*6 || len(want.Ranks["rising_365d//true"]) == 0 {
			t.Fatalf("step %d: the reference evaluation is too thin to compare: %d levels, %d champions, %d health reports",
				step, len(want.Levels), len(want.Ranks["champions//false"]), len(want.Health))
		}
		if step == 1 && (want.Eval.Events == 0 || len(want.Deliveries) == 0 || len(want.Ranks["slipping//false"]) == 0) {
			t.Fatalf("step 1: the reference evaluation wrote %d events, %d slipping; the world should make both", want.Eval.Events, len(want.Ranks["slipping//false"]))
		}
		if diff := cmp.Diff(want, got, norm...); diff != "" {
			t.Errorf("step %d: PostgreSQL's evaluation differs from SQLite's (-sqlite +postgres):\n%s", step, diff)
		}
		if step >= 2 {
			for i, v := range views {
				if r, short := v.Health["8760h0m0s//false"], v.Health["168h0m0s//false"]; r.Now != crm.TimeJSON(longAt) || short.Now != crm.TimeJSON(now) {
					t.Errorf("step %d, store %d: the 365-day report is of %s and the 7-day one of %s, want %v and %v", step, i, r.Now, short.Now, longAt, now)
				}
			}
		}
	}
}

// TestEvaluateLevelsOnceAcrossReplicas: replicas evaluating the same
// store at the same moment write each level change and each webhook event
// once: together, what one evaluation alone writes.
func TestEvaluateLevelsOnceAcrossReplicas(t *testing.T) {
	ctx := t.Context()
	sc := crm.DefaultScoring()
	u := pgtest.URL(t)
	open := func() *postgres.Store {
		s, err := postgres.Open(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a := open()
	now := levelsT0.Add(26 * 7 * 24 * time.Hour)
	loadLevelsWorld(t, a, levelsWorld(18, 0, 26, func(int, int) bool { return false }))
	if _, err := a.EvaluateLevels(ctx, sc, now, true); err != nil {
		t.Fatal(err)
	}
	loadLevelsWorld(t, a, levelsWorld(18, 26, 34, func(a, w int) bool { return a%4 == 1 }))
	now = now.Add(8 * 7 * 24 * time.Hour)

	// The reference: one evaluation alone, on a copy made the same way.
	refStore, err := postgres.Open(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { refStore.Close() })
	loadLevelsWorld(t, refStore, levelsWorld(18, 0, 26, func(int, int) bool { return false }))
	if _, err := refStore.EvaluateLevels(ctx, sc, now.Add(-8*7*24*time.Hour), true); err != nil {
		t.Fatal(err)
	}
	loadLevelsWorld(t, refStore, levelsWorld(18, 26, 34, func(a, w int) bool { return a%4 == 1 }))
	alone, err := refStore.EvaluateLevels(ctx, sc, now, true)
	if err != nil {
		t.Fatal(err)
	}
	if alone.Events == 0 || alone.Changes == 0 {
		t.Fatalf("one evaluation alone wrote %d events and %d changes; the world should make both", alone.Events, alone.Changes)
	}

	replicas := []*postgres.Store{a, open(), open()}
	var wg sync.WaitGroup
	results := make([]crm.Evaluation, len(replicas))
	errs := make([]error, len(replicas))
	for i, s := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = s.EvaluateLevels(ctx, sc, now, true)
		}()
	}
	wg.Wait()
	var events, changes int
	for i := range replicas {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		events += results[i].Events
		changes += results[i].Changes
	}
	if events != alone.Events || changes != alone.Changes {
		t.Errorf("three replicas at once wrote %d events and %d level changes; one alone writes %d and %d",
			events, changes, alone.Events, alone.Changes)
	}
	ds, err := a.Deliveries(ctx, crm.DeliveryFilter{Pending: true, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, d := range ds {
		var ev crm.Event
		if err := json.Unmarshal(d.Body, &ev); err != nil {
			t.Fatal(err)
		}
		k := fmt.Sprintf("%s/%d/%d", ev.Type, ev.Member.ID, ev.Level)
		if seen[k] {
			t.Errorf("event %s written twice", k)
		}
		seen[k] = true
	}
}

// TestOutboxLifecycle: enqueue, due, done, failed, given up, retried, and
// the errors for rows that are not there, as crm/sqlite's outbox does.
func TestOutboxLifecycle(t *testing.T) {
	ctx := t.Context()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s, err := postgres.Open(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.Now = func() time.Time { return now }
	var ids []int64
	for i, ev := range []crm.Event{
		{Type: crm.EventLevelChanged, Member: crm.EventMember{ID: 7, Name: "Ana"}, Level: 2, LevelName: "contributor", PreviousLevel: 3},
		{Type: crm.EventChampionEntered, At: now.Add(-time.Hour), Member: crm.EventMember{ID: 9, Name: "Bo"}, Level: 1, LevelName: "core", Rank: 3},
		{Type: crm.EventSlippingStarted, Level: 2, LevelName: "contributor"},
	} {
		id, err := s.EnqueueEvent(ctx, ev)
		if err != nil {
			t.Fatalf("EnqueueEvent %d: %v", i, err)
		}
		ids = append(ids, id)
		due, err := s.DueDeliveries(ctx, now, 10)
		if err != nil {
			t.Fatal(err)
		}
		d := due[len(due)-1]
		if d.ID != id || d.Event != ev.Type || d.MemberID != ev.Member.ID || !d.CreatedAt.Equal(now) || d.Attempts != 0 {
			t.Errorf("delivery %d = %+v", i, d)
		}
		var got crm.Event
		if err := json.Unmarshal(d.Body, &got); err != nil {
			t.Fatalf("body %s: %v", d.Body, err)
		}
		want := ev
		want.ID = id
		if want.At.IsZero() {
			want.At = now
		}
		if got != want {
			t.Errorf("body = %+v, want %+v", got, want)
		}
	}
	if _, err := s.EnqueueEvent(ctx, crm.Event{}); err == nil {
		t.Error("EnqueueEvent without a type: no error")
	}
	if err := s.DeliveryDone(ctx, ids[0], now); err != nil {
		t.Fatal(err)
	}
	if err := s.DeliveryDone(ctx, ids[0], now); !errors.Is(err, crm.ErrNoDelivery) {
		t.Errorf("second DeliveryDone: %v, want ErrNoDelivery", err)
	}
	if err := s.DeliveryFailed(ctx, 999, now, now, false, "x"); !errors.Is(err, crm.ErrNoDelivery) {
		t.Errorf("DeliveryFailed of an unknown id: %v, want ErrNoDelivery", err)
	}
	later := now.Add(time.Minute)
	if err := s.DeliveryFailed(ctx, ids[1], now, later, false, "HTTP 503"); err != nil {
		t.Fatal(err)
	}
	if due, err := s.DueDeliveries(ctx, now, 10); err != nil || len(due) != 1 || due[0].ID != ids[2] {
		t.Errorf("due now after a failure put off to later: %+v, %v", due, err)
	}
	if due, err := s.DueDeliveries(ctx, later, 10); err != nil || len(due) != 2 || due[0].ID != ids[2] || due[1].ID != ids[1] || due[1].Attempts != 1 {
		t.Errorf("due later: %+v, %v", due, err)
	}
	if err := s.RetryDelivery(ctx, ids[1], now); !errors.Is(err, crm.ErrNoDelivery) {
		t.Errorf("RetryDelivery of a pending row: %v, want ErrNoDelivery", err)
	}
	if err := s.DeliveryFailed(ctx, ids[1], later, time.Time{}, true, "HTTP 410"); err != nil {
		t.Fatal(err)
	}
	failed, err := s.Deliveries(ctx, crm.DeliveryFilter{Failed: true})
	if err != nil || len(failed) != 1 || failed[0].ID != ids[1] || !failed[0].Failed || failed[0].LastError != "HTTP 410" || failed[0].Attempts != 2 {
		t.Fatalf("failed deliveries: %+v, %v", failed, err)
	}
	if err := s.RetryDelivery(ctx, ids[1], later); err != nil {
		t.Fatal(err)
	}
	pending, err := s.Deliveries(ctx, crm.DeliveryFilter{Pending: true})
	if err != nil || len(pending) != 2 || pending[0].ID != ids[2] || pending[1].ID != ids[1] || pending[1].Attempts != 0 {
		t.Errorf("pending after retry (newest first): %+v, %v", pending, err)
	}
	delivered, err := s.Deliveries(ctx, crm.DeliveryFilter{Delivered: true})
	if err != nil || len(delivered) != 1 || delivered[0].ID != ids[0] || !delivered[0].DeliveredAt.Equal(now) {
		t.Errorf("delivered: %+v, %v", delivered, err)
	}
	if none, err := s.Deliveries(ctx, crm.DeliveryFilter{}); err != nil || len(none) != 0 {
		t.Errorf("no status chosen: %+v, %v", none, err)
	}
}

// TestEvaluationEqualsWholeWindow: the reports and rankings an evaluation
// stores, reading the window a piece at a time, are those computed from
// the whole window at once.
func TestEvaluationEqualsWholeWindow(t *testing.T) {
	storetest.RunEvaluation(t, open(t, pgtest.URL(t)))
}
