package sqlite_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
	"github.com/rollcall-dev/rollcall/crm/storetest"
)

type outboxRow struct {
	event  string
	member int64
	body   crm.Event
}

func readOutbox(t *testing.T, path string) []outboxRow {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), `SELECT id, event, member_id, body FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var r outboxRow
		var id int64
		var body string
		if err := rows.Scan(&id, &r.event, &r.member, &body); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(body), &r.body); err != nil {
			t.Fatalf("outbox %d body %q: %v", id, body, err)
		}
		if r.body.ID != id || r.body.Type != r.event || r.body.Member.ID != r.member {
			t.Errorf("outbox %d: body %+v does not match its row (%s, member %d)", id, r.body, r.event, r.member)
		}
		out = append(out, r)
	}
	return out
}

// weekly is n weeks of k issue comments a week by GitHub user id, from
// week start, at Tuesday noon.
func weekly(id string, start int64, n, k int) []connectors.Activity {
	ref := connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: id}
	var acts []connectors.Activity
	for w := range n {
		for i := range k {
			at := crm.WeekStart(start + int64(w)).Add(36*time.Hour + time.Duration(i)*time.Minute)
			acts = append(acts, connectors.Activity{Key: fmt.Sprintf("github/github.com/issue_comment/%s-%d-%d", id, w, i),
				Platform: "github", Instance: "github.com", Type: "issue_comment", OccurredAt: at, Actor: ref, Channel: "o/a"})
		}
	}
	return acts
}

// TestEvaluateLevels: the first evaluation replays each member's history
// and writes no webhook event (a baseline); later ones keep levels with
// hysteresis, write each change to the history and, with events, to the
// outbox in the same transaction; a member merged away keeps no level.
func TestEvaluateLevels(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "rollcall.db")
	s := open(t, path)
	defer s.Close()
	sc := crm.DefaultScoring()
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	w := crm.WeekOf(now)
	// 1 commented 3 times a week for the last 12 weeks: a contributor
	// (36 comments × 1.5, decayed, is about 50 points: below core's 60).
	// 2 commented once, 20 weeks ago: a participant (1.5 × 0.9^4.6).
	b := connectors.Batch{Activities: append(weekly("1", w-11, 12, 3), weekly("2", w-20, 1, 1)...)}
	if _, err := s.Apply(ctx, "gh", b); err != nil {
		t.Fatal(err)
	}
	resolveAll(t, s)
	m1 := memberOfRef(t, s, "1")
	m2 := memberOfRef(t, s, "2")

	res, err := s.EvaluateLevels(ctx, sc, now, true)
	if err != nil {
		t.Fatal(err)
	}
	if res.Members != 2 || res.Replayed != 2 || res.Events != 0 {
		t.Errorf("first evaluation = %+v, want 2 members replayed and no events", res)
	}
	levels, err := s.Levels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if levels[m1].Level != crm.LevelContributor || levels[m2].Level != crm.LevelParticipant {
		t.Fatalf("levels = %+v, want 1 contributor and 2 participant", levels)
	}
	hist, err := s.LevelHistory(ctx, m1)
	if err != nil {
		t.Fatal(err)
	}
	// Participant after the first week, contributor after the second (2
	// active weeks, 12 points).
	if len(hist) != 2 || hist[0].Level != crm.LevelParticipant || hist[1].Level != crm.LevelContributor ||
		!hist[1].At.Equal(crm.WeekStart(w-9)) || hist[1].Previous != crm.LevelParticipant {
		t.Errorf("history of 1 = %+v, want participant then contributor at %v", hist, crm.WeekStart(w-9))
	}
	if got := readOutbox(t, path); len(got) != 0 {
		t.Errorf("baseline wrote %d events", len(got))
	}

	// Nothing new an hour later: nothing changes.
	res, err = s.EvaluateLevels(ctx, sc, now.Add(time.Hour), true)
	if err != nil || res.Changes != 0 || res.Events != 0 {
		t.Errorf("second evaluation = %+v, %v; want no change", res, err)
	}

	// 1 goes quiet. Five weeks later 1 is slipping (12 active weeks
	// before, none in the last 4): an event; still a contributor (8 of
	// the last 13 weeks active).
	if _, err := s.EvaluateLevels(ctx, sc, now.AddDate(0, 0, 35), true); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.Levels(ctx); l[m1].Level != crm.LevelContributor || !l[m1].BelowSince.IsZero() {
		t.Errorf("after 5 quiet weeks: %+v, want contributor", l[m1])
	}
	// 13 weeks on, no active week is left in the last 13: the measured
	// level is participant, but the grace period holds the level…
	below := now.AddDate(0, 0, 7*13)
	if _, err := s.EvaluateLevels(ctx, sc, below, true); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.Levels(ctx); l[m1].Level != crm.LevelContributor || !l[m1].BelowSince.Equal(below) {
		t.Errorf("after 13 quiet weeks: %+v, want contributor with the grace period running since %v", l[m1], below)
	}
	if _, err := s.EvaluateLevels(ctx, sc, below.AddDate(0, 0, 27), true); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.Levels(ctx); l[m1].Level != crm.LevelContributor {
		t.Errorf("27 days into the grace period: %+v, want contributor", l[m1])
	}
	// …until it has run out (28 days): the level falls and an event is
	// written.
	later := below.AddDate(0, 0, 28)
	if _, err := s.EvaluateLevels(ctx, sc, later, true); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.Levels(ctx); l[m1].Level != crm.LevelParticipant {
		t.Errorf("after the grace period: %+v, want participant", l[m1])
	}
	var kinds []string
	for _, r := range readOutbox(t, path) {
		if r.member == m1 {
			kinds = append(kinds, r.event)
			if r.event == crm.EventLevelChanged && (r.body.Level != crm.LevelParticipant || r.body.PreviousLevel != crm.LevelContributor || r.body.LevelName != "participant") {
				t.Errorf("level event = %+v", r.body)
			}
		}
	}
	if fmt.Sprint(kinds) != fmt.Sprint([]string{crm.EventSlippingStarted, crm.EventLevelChanged}) {
		t.Errorf("events of 1 = %v, want slipping then level change", kinds)
	}
	if h, _ := s.LevelHistory(ctx, m1); len(h) != 3 || !h[2].At.Equal(later) {
		t.Errorf("history of 1 = %+v, want a third entry at %v", h, later)
	}

	// Without events, changes are recorded but nothing is queued.
	n := len(readOutbox(t, path))
	back := later.AddDate(0, 0, 7)
	if _, err := s.Apply(ctx, "gh", connectors.Batch{Activities: weekly("1", crm.WeekOf(back)-1, 2, 10)}); err != nil {
		t.Fatal(err)
	}
	if res, err := s.EvaluateLevels(ctx, sc, back, false); err != nil || res.Changes == 0 || res.Events != 0 {
		t.Errorf("evaluation without events = %+v, %v; want a change and no events", res, err)
	}
	if got := len(readOutbox(t, path)); got != n {
		t.Errorf("outbox grew from %d to %d without events", n, got)
	}

	// Merge 2 into 1: 2's level goes.
	if _, err := s.Merge(ctx, refOf("1"), refOf("2"), "test", "same person"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EvaluateLevels(ctx, sc, back.Add(time.Hour), true); err != nil {
		t.Fatal(err)
	}
	l, _ := s.Levels(ctx)
	if len(l) != 1 {
		t.Errorf("levels after the merge = %+v, want only the surviving member", l)
	}
}

func refOf(id string) connectors.AccountRef {
	return connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: id}
}

func memberOfRef(t *testing.T, s *sqlite.Store, id string) int64 {
	t.Helper()
	ident, err := s.IdentityByRef(t.Context(), refOf(id))
	if err != nil {
		t.Fatal(err)
	}
	return ident.MemberID
}

// TestStoredHealthEqualsLive: the health reports an evaluation stores (of
// every stored period) are the reports computed live at the same time.
func TestStoredHealthEqualsLive(t *testing.T) {
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "rollcall.db"))
	defer s.Close()
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	w := crm.WeekOf(now)
	b := connectors.Batch{Activities: append(weekly("1", w-11, 12, 3), weekly("2", w-5, 3, 1)...)}
	// Threads with titles and replies: the reports' top threads carry
	// their titles and URLs (read after the lean read of the window).
	opener := connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: "3"}
	for i := range 3 {
		key := fmt.Sprintf("github/github.com/issue_opened/o/a#%d", i)
		at := now.Add(-time.Duration(i+1) * 24 * time.Hour)
		b.Activities = append(b.Activities,
			connectors.Activity{Key: key, Platform: "github", Instance: "github.com", Type: "issue_opened", OccurredAt: at, Actor: opener,
				Channel: "o/a", Title: fmt.Sprintf("Issue %d", i), URL: fmt.Sprintf("https://github.com/o/a/issues/%d", i)},
			connectors.Activity{Key: key + "-reply", Platform: "github", Instance: "github.com", Type: "issue_comment", OccurredAt: at.Add(time.Hour),
				Actor: connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: "1"}, Channel: "o/a", ParentKey: key})
	}
	if _, err := s.Apply(ctx, "gh", b); err != nil {
		t.Fatal(err)
	}
	resolveAll(t, s)
	if _, err := s.EvaluateLevels(ctx, crm.DefaultScoring(), now, false); err != nil {
		t.Fatal(err)
	}
	d, err := s.ScoreData(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, period := range append(slices.Clone(crm.ShortStoredPeriods), crm.LongStoredPeriods...) {
		acts, err := s.PeriodActivities(ctx, now.Add(-2*period), now, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range append([]string{""}, crm.HealthPlatforms...) {
			for _, staff := range []bool{false, true} {
				got, ok, err := s.StoredHealth(ctx, p, staff, period)
				if err != nil || !ok {
					t.Fatalf("stored %v %q %v: %v %v", period, p, staff, ok, err)
				}
				want := crm.Health(d, acts, crm.HealthOptions{Now: now, Period: period, Platform: p, IncludeStaff: staff})
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%v %q staff=%v: stored differs (-live +stored):\n%s", period, p, staff, diff)
				}
				if p == "" && !staff && got.Active.Current.Active == 0 {
					t.Errorf("%v: report has no active members: %+v", period, got.Active)
				}
				if p == "" && !staff && (len(got.Engagement.TopThreads) == 0 || got.Engagement.TopThreads[0].Title == "" || got.Engagement.TopThreads[0].URL == "") {
					t.Errorf("%v: report's top threads have no titles and URLs: %+v", period, got.Engagement.TopThreads)
				}
			}
		}
	}
	// ReadHealth reads the stored one for the default period.
	r, err := crm.ReadHealth(ctx, s, crm.HealthOptions{Now: now.Add(time.Minute)})
	if err != nil || r.Now != crm.TimeJSON(now) {
		t.Errorf("ReadHealth = %v, %v; want the stored report of %v", r.Now, err, now)
	}
}

// TestChampionsOfAnyPeriodStored: the period matters only to the rising
// list, so the champions and slipping lists of any period are the stored
// rankings, as for the default period (not a live computation over every
// member).
func TestChampionsOfAnyPeriodStored(t *testing.T) {
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "rollcall.db"))
	defer s.Close()
	evaluated := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	w := crm.WeekOf(evaluated)
	b := connectors.Batch{Activities: append(append(weekly("1", w-11, 12, 3), weekly("2", w-5, 3, 1)...), weekly("3", w-13, 8, 1)...)}
	if _, err := s.Apply(ctx, "gh", b); err != nil {
		t.Fatal(err)
	}
	resolveAll(t, s)
	sc := crm.DefaultScoring()
	if _, err := s.EvaluateLevels(ctx, sc, evaluated, false); err != nil {
		t.Fatal(err)
	}
	later := evaluated.Add(2 * time.Hour)
	for _, o := range []crm.ChampionsOptions{{}, {Slipping: true}, {Platform: "github"}} {
		o.Now = later
		def, err := sc.LoadChampions(ctx, s, o, false)
		if err != nil {
			t.Fatal(err)
		}
		if !def.GeneratedAt.Equal(evaluated) || len(def.Champions) == 0 {
			t.Fatalf("%+v: the default period's list was made at %v with %d entries; want the stored ranking of %v", o, def.GeneratedAt, len(def.Champions), evaluated)
		}
		for _, days := range []int{7, 90, 365} {
			o.Period = time.Duration(days) * 24 * time.Hour
			got, err := sc.LoadChampions(ctx, s, o, false)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(def, got); diff != "" {
				t.Errorf("%+v: the list of %d days differs from the stored one (-stored +got):\n%s", o, days, diff)
			}
		}
	}
}

// TestLongPeriodsRefreshedHourly: every evaluation stores the short
// periods' health reports and rising lists; the long periods' (90 and 365
// days) are computed again only once they are crm.LongPeriodsEvery old,
// and are read as of when they were computed. ReadHealth and the rising
// list of each stored period read the stored ones.
func TestLongPeriodsRefreshedHourly(t *testing.T) {
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "rollcall.db"))
	defer s.Close()
	first := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	w := crm.WeekOf(first)
	b := connectors.Batch{Activities: append(append(weekly("1", w-40, 40, 2), weekly("2", w-5, 6, 1)...), weekly("3", w-20, 18, 1)...)}
	if _, err := s.Apply(ctx, "gh", b); err != nil {
		t.Fatal(err)
	}
	resolveAll(t, s)
	sc := crm.DefaultScoring()
	at := func(period time.Duration, now time.Time) (health, rising time.Time) {
		t.Helper()
		r, err := crm.ReadHealth(ctx, s, crm.HealthOptions{Now: now, Period: period})
		if err != nil {
			t.Fatal(err)
		}
		h, err := time.Parse(time.RFC3339, r.Now)
		if err != nil {
			t.Fatal(err)
		}
		l, err := sc.LoadChampions(ctx, s, crm.ChampionsOptions{Now: now, Rising: true, Period: period}, false)
		if err != nil {
			t.Fatal(err)
		}
		return h, l.GeneratedAt
	}
	steps := []struct {
		now       time.Time
		long      time.Time // when the long periods' results are from
		shortFrom time.Time
	}{
		{first, first, first},
		{first.Add(10 * time.Minute), first, first.Add(10 * time.Minute)},
		{first.Add(59 * time.Minute), first, first.Add(59 * time.Minute)},
		{first.Add(crm.LongPeriodsEvery), first.Add(crm.LongPeriodsEvery), first.Add(crm.LongPeriodsEvery)},
	}
	for _, st := range steps {
		if _, err := s.EvaluateLevels(ctx, sc, st.now, false); err != nil {
			t.Fatal(err)
		}
		asked := st.now.Add(time.Minute)
		for _, p := range crm.ShortStoredPeriods {
			if h, r := at(p, asked); !h.Equal(st.shortFrom) || !r.Equal(st.shortFrom) {
				t.Errorf("evaluated at %v: the %v report is of %v and the rising list of %v, want both of %v", st.now, p, h, r, st.shortFrom)
			}
		}
		for _, p := range crm.LongStoredPeriods {
			if h, r := at(p, asked); !h.Equal(st.long) || !r.Equal(st.long) {
				t.Errorf("evaluated at %v: the %v report is of %v and the rising list of %v, want both of %v", st.now, p, h, r, st.long)
			}
		}
		// A period not stored is computed when asked.
		if h, r := at(45*24*time.Hour, asked); !h.Equal(asked) || !r.Equal(asked) {
			t.Errorf("evaluated at %v: the 45-day report is of %v and rising list of %v, want both computed at %v", st.now, h, r, asked)
		}
	}
	// The long rising lists are not empty: the test compared lists.
	l, err := sc.LoadChampions(ctx, s, crm.ChampionsOptions{Now: first, Rising: true, Period: 365 * 24 * time.Hour}, false)
	if err != nil || len(l.Champions) == 0 {
		t.Errorf("365-day rising list: %d entries, %v", len(l.Champions), err)
	}
}

// TestLongPeriodsAfterGrowth: the long periods are computed again before
// they are an hour old when the members' activities have grown by
// crm.LongPeriodsGrowth since (a backfill), and not for less.
func TestLongPeriodsAfterGrowth(t *testing.T) {
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "rollcall.db"))
	defer s.Close()
	first := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	w := crm.WeekOf(first)
	sc := crm.DefaultScoring()
	steps := []struct {
		name  string
		acts  []connectors.Activity
		at    time.Duration // after first
		long  time.Duration // when the long periods' results are from
		grown int           // the 365-day report's new members
	}{
		{"80 activities", weekly("1", w-40, 40, 2), 0, 0, 1},
		{"4 more (5%)", weekly("2", w-3, 2, 2), 5 * time.Minute, 0, 1},
		{"4 more (10% since the long periods)", weekly("3", w-3, 2, 2), 10 * time.Minute, 10 * time.Minute, 3},
		{"nothing new", nil, 20 * time.Minute, 10 * time.Minute, 3},
	}
	for _, st := range steps {
		if len(st.acts) > 0 {
			if _, err := s.Apply(ctx, "gh", connectors.Batch{Activities: st.acts}); err != nil {
				t.Fatal(err)
			}
			resolveAll(t, s)
		}
		now := first.Add(st.at)
		if _, err := s.EvaluateLevels(ctx, sc, now, false); err != nil {
			t.Fatal(err)
		}
		r, err := crm.ReadHealth(ctx, s, crm.HealthOptions{Now: now.Add(time.Minute), Period: 365 * crm.Day})
		if err != nil {
			t.Fatal(err)
		}
		if want := crm.TimeJSON(first.Add(st.long)); r.Now != want || r.Growth.Current != st.grown {
			t.Errorf("%s: the 365-day report is of %s with %d new members, want of %s with %d", st.name, r.Now, r.Growth.Current, want, st.grown)
		}
	}
}

// TestEvaluationEqualsWholeWindow: the reports and rankings an evaluation
// stores, reading the window a piece at a time, are those computed from
// the whole window at once.
func TestEvaluationEqualsWholeWindow(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "rollcall.db"))
	defer s.Close()
	storetest.RunEvaluation(t, s)
}
