package crm_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rollcall-dev/rollcall/crm"
)

var now = time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC) // a Wednesday

// ago is now minus a number of months (crm.Month) and days.
func ago(months float64, days int) time.Time {
	return now.Add(-time.Duration(months*float64(crm.Month))).AddDate(0, 0, -days)
}

// ident builds an identity from (type, time, channel) triples.
func ident(id int64, platform string, acts ...any) crm.ScoreIdentity {
	si := crm.ScoreIdentity{ID: id, Platform: platform, Tallies: map[string]crm.Tally{}}
	for i := 0; i < len(acts); i += 3 {
		typ, at, ch := acts[i].(string), acts[i+1].(time.Time), acts[i+2].(string)
		t := si.Tallies[typ]
		t.Add(at, 0.9)
		si.Tallies[typ] = t
		if ch != "" && !slices.Contains(si.Channels, ch) {
			si.Channels = append(si.Channels, ch)
			slices.Sort(si.Channels)
		}
		si.Weeks.Set(crm.WeekOf(at))
		si.Months.Set(crm.MonthOf(at))
		if si.FirstActivity.IsZero() || at.Before(si.FirstActivity) {
			si.FirstActivity = at
		}
	}
	return si
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestMemberLove: known answers, computed by hand from the default weights.
func TestMemberLove(t *testing.T) {
	sc := crm.DefaultScoring()
	m := crm.ScoreMember{ID: 1, Identities: []crm.ScoreIdentity{
		ident(10, "github", "pr_merged", ago(2, 0), "o/a", "issue_comment", now, "o/a", "issue_comment", now, "o/a"),
		ident(11, "mastodon", "post", ago(1, 0), "#go"),
	}}
	l := sc.MemberLove(m, now, "")
	// pr_merged 4 × 0.9² = 3.24; issue_comment 1.5 × 2 = 3; post 1 × 0.9 = 0.9.
	if !near(l.Base, 7.14) {
		t.Errorf("base = %v, want 7.14 (%+v)", l.Base, l.Lines)
	}
	// 2 platforms: +0.10; 2 channels: +0.02.
	if l.Platforms != 2 || l.Channels != 2 || !near(l.BreadthFactor, 0.12) || !near(l.Total, 7.14*1.12) {
		t.Errorf("breadth = %d platforms, %d channels, factor %v, total %v; want 2, 2, 0.12, %v", l.Platforms, l.Channels, l.BreadthFactor, l.Total, 7.14*1.12)
	}
	want := []crm.LoveLine{
		{Platform: "github", Type: "pr_merged", Count: 1, Weight: 4, Decayed: 0.81, Points: 3.24},
		{Platform: "github", Type: "issue_comment", Count: 2, Weight: 1.5, Decayed: 2, Points: 3},
		{Platform: "mastodon", Type: "post", Count: 1, Weight: 1, Decayed: 0.9, Points: 0.9},
	}
	if d := cmp.Diff(want, l.Lines, cmpopts.EquateApprox(0, 1e-9)); d != "" {
		t.Errorf("breakdown (-want +got):\n%s", d)
	}
	gh := sc.MemberLove(m, now, "github")
	if !near(gh.Base, 6.24) || gh.Breadth != 0 || gh.Platforms != 1 {
		t.Errorf("github love = %+v, want base 6.24 and no breadth", gh)
	}
	// A git commit author counts as GitHub for breadth and the filter.
	m.Identities = append(m.Identities, ident(12, "git", "commit", now, "o/a"))
	if l := sc.MemberLove(m, now, "github"); !near(l.Base, 8.24) || l.Platforms != 1 {
		t.Errorf("github love with commits = %+v, want base 8.24 on 1 platform", l)
	}
	// Channels count up to MaxBonusChannels.
	var many []any
	for i := range 15 {
		many = append(many, "post", now, string(rune('a'+i)))
	}
	wide := crm.ScoreMember{Identities: []crm.ScoreIdentity{ident(1, "mastodon", many...)}}
	if l := sc.MemberLove(wide, now, ""); !near(l.BreadthFactor, 0.02*9) {
		t.Errorf("15 channels: factor %v, want %v", l.BreadthFactor, 0.02*9)
	}
}

func TestMeasuredLevel(t *testing.T) {
	sc := crm.DefaultScoring()
	for _, tt := range []struct {
		commit float64
		p      crm.PresenceCounts
		want   int
	}{
		{60, crm.PresenceCounts{Weeks4: 3, Weeks13: 8, Weeks52: 8}, crm.LevelCore},
		{59.9, crm.PresenceCounts{Weeks4: 4, Weeks13: 13, Weeks52: 52}, crm.LevelContributor},
		{100, crm.PresenceCounts{Weeks4: 2, Weeks13: 13, Weeks52: 52}, crm.LevelContributor},
		{100, crm.PresenceCounts{Weeks4: 4, Weeks13: 7, Weeks52: 52}, crm.LevelContributor},
		{8, crm.PresenceCounts{Weeks13: 2, Weeks52: 2}, crm.LevelContributor},
		{8, crm.PresenceCounts{Weeks13: 1, Weeks52: 9}, crm.LevelParticipant},
		{0.5, crm.PresenceCounts{Weeks52: 1}, crm.LevelParticipant},
		{0.49, crm.PresenceCounts{Weeks52: 1}, crm.LevelObserver},
		{50, crm.PresenceCounts{}, crm.LevelObserver},
	} {
		if got := sc.MeasuredLevel(tt.commit, tt.p); got != tt.want {
			t.Errorf("MeasuredLevel(%v, %+v) = %d, want %d", tt.commit, tt.p, got, tt.want)
		}
	}
}

// TestNextLevelHysteresis: a level rises at once and falls only after the
// measured level stayed lower for the whole grace period.
func TestNextLevelHysteresis(t *testing.T) {
	sc := crm.DefaultScoring() // grace 28 days
	day := func(n int) time.Time { return now.AddDate(0, 0, n) }
	type step struct {
		at       int
		measured int
		level    int
		changed  bool
	}
	for _, tt := range []struct {
		name  string
		steps []step
	}{
		{"first level", []step{{0, 3, 3, true}}},
		{"rise at once", []step{{0, 3, 3, true}, {1, 1, 1, true}}},
		{"fall after grace", []step{{0, 2, 2, true}, {1, 4, 2, false}, {28, 4, 2, false}, {29, 4, 4, true}}},
		{"a return stops the grace", []step{{0, 2, 2, true}, {1, 3, 2, false}, {20, 2, 2, false}, {40, 3, 2, false}, {67, 3, 2, false}, {68, 3, 3, true}}},
		{"fall to what is measured then", []step{{0, 1, 1, true}, {1, 2, 1, false}, {29, 4, 4, true}}},
		{"a rise during grace", []step{{0, 2, 2, true}, {1, 3, 2, false}, {5, 1, 1, true}, {6, 1, 1, false}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var st crm.LevelState
			ok := false
			for i, s := range tt.steps {
				next, changed := sc.NextLevel(st, ok, s.measured, day(s.at))
				if next.Level != s.level || changed != s.changed {
					t.Fatalf("step %d (day %d, measured %d): level %d changed %v, want %d %v", i, s.at, s.measured, next.Level, changed, s.level, s.changed)
				}
				st, ok = next, true
			}
		})
	}
}

// TestReplayLevels: a member who commented twice a week for 12 weeks,
// then stopped, became a participant, then a contributor, and fell to
// observer once the grace period after their last active weeks ran out.
func TestReplayLevels(t *testing.T) {
	sc := crm.DefaultScoring()
	start := crm.WeekStart(crm.WeekOf(now) - 40).Add(36 * time.Hour) // a Tuesday noon, 40 weeks ago
	var acts []crm.TimedActivity
	for w := range 12 {
		for i := range 2 {
			acts = append(acts, crm.TimedActivity{Type: "issue_comment", At: start.AddDate(0, 0, 7*w+i)})
		}
	}
	hist, st := sc.ReplayLevels(acts, now)
	var levels []int
	for _, p := range hist {
		levels = append(levels, p.Level)
	}
	// Week 1: 3 points: participant. Week 3: 9 points, 3 active weeks:
	// contributor. After the last week (11) the contributor rule (2 active
	// weeks of 13) holds until week 23; falling needs 28 more days below.
	if want := []int{crm.LevelParticipant, crm.LevelContributor, crm.LevelParticipant}; !slices.Equal(levels, want) {
		t.Fatalf("history levels = %v, want %v (%+v)", levels, want, hist)
	}
	if got, want := hist[0].At, crm.WeekStart(crm.WeekOf(start)+1); !got.Equal(want) {
		t.Errorf("participant at %v, want the end of the first week %v", got, want)
	}
	if got, want := hist[1].At, crm.WeekStart(crm.WeekOf(start)+3); !got.Equal(want) {
		t.Errorf("contributor at %v, want the end of the third week %v", got, want)
	}
	// Contributor until week 11+13 = 24 (the 13-week window no longer
	// holds two active weeks at the end of week 23), then 28 days of grace.
	fellBelow := crm.WeekStart(crm.WeekOf(start) + 23)
	if got := hist[2].At; got.Before(fellBelow.Add(sc.Grace)) || got.After(fellBelow.Add(sc.Grace+7*24*time.Hour)) {
		t.Errorf("fell to participant at %v, want within a week after %v", got, fellBelow.Add(sc.Grace))
	}
	if st.Level != crm.LevelParticipant {
		t.Errorf("state now = %+v, want participant (active in the last 52 weeks)", st)
	}
	if hist[1].Previous != crm.LevelParticipant || hist[0].Previous != 0 {
		t.Errorf("previous levels = %d, %d; want 0 and participant", hist[0].Previous, hist[1].Previous)
	}
	// Order of input does not matter.
	r := rand.New(rand.NewPCG(3, 4))
	shuffled := slices.Clone(acts)
	r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	if h2, st2 := sc.ReplayLevels(shuffled, now); !cmp.Equal(h2, hist) || st2 != st {
		t.Error("replay depends on the order of activities")
	}
}

// graphData: 1 helped 2 and 3 (who never talk to each other), 4 helped 1
// and 2, a bot answered 2, and 5 answered 1 once two years ago.
func graphData() crm.ScoreData {
	m := func(id int64, role string) crm.ScoreMember {
		return crm.ScoreMember{ID: id, Name: "m" + string(rune('0'+id)), Role: role,
			Identities: []crm.ScoreIdentity{ident(id*10, "github", "pr_opened", now, "o/a")}}
	}
	return crm.ScoreData{
		Members: []crm.ScoreMember{m(1, ""), m(2, ""), m(3, ""), m(4, ""), m(5, ""), m(6, crm.RoleBot)},
		Interactions: []crm.Interaction{
			{From: 10, To: 20, N: 3, LastAt: now},
			{From: 10, To: 30, N: 1, LastAt: ago(1, 0)},
			{From: 40, To: 10, N: 2, LastAt: now},
			{From: 40, To: 20, N: 1, LastAt: now},
			{From: 60, To: 20, N: 9, LastAt: now},
			{From: 50, To: 10, N: 1, LastAt: ago(24, 0)},
		},
	}
}

func TestReach(t *testing.T) {
	sc := crm.DefaultScoring()
	g := sc.BuildGraph(graphData(), now, "")
	for _, tt := range []struct {
		member int64
		want   crm.Reach
	}{
		// 1's contacts: 2, 3, 4. 2 and 4 are linked; 3 is linked to no
		// other of them: 1 connects 1 person.
		{1, crm.Reach{Helped: 2, Contacts: 3, Connects: 1}},
		// 4's contacts 1 and 2 are linked to each other.
		{4, crm.Reach{Helped: 2, Contacts: 2, Connects: 0}},
		// The bot's answers make no edge; 2's contacts 1 and 4 are linked.
		{2, crm.Reach{Helped: 0, Contacts: 2, Connects: 0}},
		{3, crm.Reach{Helped: 0, Contacts: 1}},
		// 0.9^24 ≈ 0.08 < 0.25: too old to count.
		{5, crm.Reach{}},
	} {
		if got := sc.Reach(g, tt.member); got != tt.want {
			t.Errorf("reach of %d = %+v, want %+v", tt.member, got, tt.want)
		}
	}
}

func TestChampions(t *testing.T) {
	sc := crm.DefaultScoring()
	d := graphData()
	d.Members = append(d.Members, crm.ScoreMember{ID: 7, Name: "staffer", Role: crm.RoleStaff,
		Identities: []crm.ScoreIdentity{ident(70, "github", "pr_merged", now, "o/a", "pr_merged", now, "o/a", "pr_merged", now, "o/a")}})
	list := sc.Champions(d, nil, nil, crm.ChampionsOptions{Now: now})
	var order []int64
	for _, c := range list.Champions {
		order = append(order, c.Member.ID)
		if c.Member.Role != "" {
			t.Errorf("%s (%s) among the champions by default", c.Member.Name, c.Member.Role)
		}
	}
	// Everyone has love 3 (a pull request) and level participant (factor
	// 1): score = 3 + helped + 2 × connects. 1: 3 + 2 + 2 = 7; 4: 5; then
	// 2, 3, 5 at 3, by id.
	if want := []int64{1, 4, 2, 3, 5}; !slices.Equal(order, want) {
		t.Errorf("order = %v, want %v", order, want)
	}
	if c := list.Champions[0]; !near(c.Score, 7) || c.Reach.Helped != 2 || c.Reach.Connects != 1 || c.Level.Name != "participant" {
		t.Errorf("first = %+v", c)
	}
	with := sc.Champions(d, nil, nil, crm.ChampionsOptions{Now: now, IncludeStaff: true})
	if with.Champions[0].Member.ID != 7 {
		t.Errorf("with staff, first = %+v, want the staffer (3 merges)", with.Champions[0].Member)
	}
	// A stored level wins over the measured one.
	lv := sc.Champions(d, map[int64]crm.LevelState{3: {Level: crm.LevelCore, Since: ago(0, 3)}}, nil, crm.ChampionsOptions{Now: now})
	if c := lv.Champions[2]; c.Member.ID != 3 || c.Level.Level != crm.LevelCore || c.Level.Measured != crm.LevelParticipant || !near(c.Score, 3*1.5) {
		t.Errorf("with 3 core: third = %+v", c)
	}
	// The platform filter: nobody on mastodon.
	if l := sc.Champions(d, nil, nil, crm.ChampionsOptions{Now: now, Platform: "mastodon"}); len(l.Champions) != 0 {
		t.Errorf("mastodon champions = %+v", l.Champions)
	}
}

// TestChampionsOrderFree: the list never depends on the order of members,
// identities or interactions, and staff and bots never appear by default.
func TestChampionsOrderFree(t *testing.T) {
	sc := crm.DefaultScoring()
	r := rand.New(rand.NewPCG(5, 6))
	types := []string{"issue_comment", "pr_opened", "post", "answer", "star", "post_created"}
	platforms := []string{"github", "mastodon", "stackoverflow", "discourse"}
	var d crm.ScoreData
	for i := range 60 {
		m := crm.ScoreMember{ID: int64(i + 1), Name: "m"}
		switch i % 10 {
		case 3:
			m.Role = crm.RoleStaff
		case 7:
			m.Role = crm.RoleBot
		}
		for j := range 1 + r.IntN(3) {
			var acts []any
			for range 1 + r.IntN(12) {
				acts = append(acts, types[r.IntN(len(types))], ago(r.Float64()*14, 0), "c"+string(rune('a'+r.IntN(5))))
			}
			m.Identities = append(m.Identities, ident(int64(i*10+j), platforms[r.IntN(len(platforms))], acts...))
		}
		d.Members = append(d.Members, m)
	}
	for range 200 {
		a, b := d.Members[r.IntN(60)], d.Members[r.IntN(60)]
		d.Interactions = append(d.Interactions, crm.Interaction{From: a.Identities[0].ID, To: b.Identities[0].ID, N: 1 + r.IntN(3), LastAt: ago(r.Float64()*6, 0)})
	}
	var recent []crm.PeriodActivity
	for i, m := range d.Members {
		recent = append(recent, crm.PeriodActivity{Key: string(rune('a' + i)), Type: "issue_comment", OccurredAt: ago(0, i%20), IdentityID: m.Identities[0].ID, MemberID: m.ID})
	}
	for _, o := range []crm.ChampionsOptions{
		{Now: now}, {Now: now, Top: 100}, {Now: now, Platform: "github"}, {Now: now, Rising: true}, {Now: now, Slipping: true, Top: 100},
	} {
		want := sc.Champions(d, nil, recent, o)
		for _, c := range want.Champions {
			if c.Member.Role != "" {
				t.Errorf("%+v: %d (%s) listed", o, c.Member.ID, c.Member.Role)
			}
		}
		for trial := range 5 {
			e := crm.ScoreData{Members: slices.Clone(d.Members), Interactions: slices.Clone(d.Interactions)}
			r.Shuffle(len(e.Members), func(i, j int) { e.Members[i], e.Members[j] = e.Members[j], e.Members[i] })
			for i := range e.Members {
				ids := slices.Clone(e.Members[i].Identities)
				r.Shuffle(len(ids), func(a, b int) { ids[a], ids[b] = ids[b], ids[a] })
				e.Members[i].Identities = ids
			}
			r.Shuffle(len(e.Interactions), func(i, j int) { e.Interactions[i], e.Interactions[j] = e.Interactions[j], e.Interactions[i] })
			rc := slices.Clone(recent)
			r.Shuffle(len(rc), func(i, j int) { rc[i], rc[j] = rc[j], rc[i] })
			got := sc.Champions(e, nil, rc, o)
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("%+v, trial %d: list depends on input order:\n%s", o, trial, d)
			}
		}
	}
}

// TestRisingAndSlipping: known answers for the two other lists.
func TestRisingAndSlipping(t *testing.T) {
	sc := crm.DefaultScoring()
	week := crm.WeekOf(now)
	mid := func(w int64) time.Time { return crm.WeekStart(w).Add(60 * time.Hour) }
	// 1 was active weekly 5 to 17 weeks ago (13 weeks), then stopped.
	var reg []any
	for w := week - 17; w <= week-5; w++ {
		reg = append(reg, "issue_comment", mid(w), "o/a")
	}
	// 2 answered 4 questions in the last 10 days.
	newcomer := []any{}
	var recent []crm.PeriodActivity
	for i := range 4 {
		at := now.AddDate(0, 0, -1-2*i)
		newcomer = append(newcomer, "answer", at, "go")
		recent = append(recent, crm.PeriodActivity{Key: string(rune('a' + i)), Type: "answer", OccurredAt: at, IdentityID: 20, MemberID: 2})
	}
	// 3 was active 5 weeks ago only: not a regular.
	d := crm.ScoreData{Members: []crm.ScoreMember{
		{ID: 1, Identities: []crm.ScoreIdentity{ident(10, "github", reg...)}},
		{ID: 2, Identities: []crm.ScoreIdentity{ident(20, "stackoverflow", newcomer...)}},
		{ID: 3, Identities: []crm.ScoreIdentity{ident(30, "github", "issue_comment", mid(week-5), "o/a")}},
	}}
	slip := sc.Champions(d, nil, nil, crm.ChampionsOptions{Now: now, Slipping: true})
	if len(slip.Champions) != 1 || slip.Champions[0].Member.ID != 1 || !slip.Champions[0].LastActive.Equal(crm.WeekStart(week-5)) {
		t.Errorf("slipping = %+v, want member 1, last active the week 5 weeks ago", slip.Champions)
	}
	rise := sc.Champions(d, nil, recent, crm.ChampionsOptions{Now: now, Rising: true, Period: 30 * 24 * time.Hour})
	if len(rise.Champions) == 0 || rise.Champions[0].Member.ID != 2 {
		t.Fatalf("rising = %+v, want member 2 first", rise.Champions)
	}
	// 2 had no love a month ago: the gain is all of today's love.
	if c := rise.Champions[0]; !near(*c.Gain, c.Love.Total) {
		t.Errorf("gain of 2 = %v, want its whole love %v", *c.Gain, c.Love.Total)
	}
	for _, c := range rise.Champions {
		if c.Member.ID == 1 || c.Member.ID == 3 {
			t.Errorf("member %d (only decaying) is rising: %+v", c.Member.ID, *c.Gain)
		}
	}
}

// rankStore is a RankReader over stored Rankings and the data they came
// from.
type rankStore struct {
	d      crm.ScoreData
	at     time.Time
	rows   []crm.RankRow
	recent []crm.PeriodActivity
}

func (r *rankStore) ScoreData(context.Context) (crm.ScoreData, error) { return r.d, nil }
func (r *rankStore) PeriodActivities(context.Context, time.Time, time.Time, string) ([]crm.PeriodActivity, error) {
	return r.recent, nil
}
func (r *rankStore) Levels(context.Context) (map[int64]crm.LevelState, error) { return nil, nil }
func (r *rankStore) LevelHistory(context.Context, int64) ([]crm.LevelPoint, error) {
	return nil, nil
}
func (r *rankStore) ChampionRanks(_ context.Context, kind, platform string, staff bool, top int) (time.Time, []crm.RankRow, bool, error) {
	var out []crm.RankRow
	for _, x := range r.rows {
		if x.Kind == kind && x.Platform == platform && x.Staff == staff && x.Rank <= top {
			out = append(out, x)
		}
	}
	return r.at, out, true, nil
}
func (r *rankStore) ScoreMembers(_ context.Context, ids []int64) ([]crm.ScoreMember, error) {
	var out []crm.ScoreMember
	for _, m := range r.d.Members {
		if slices.Contains(ids, m.ID) {
			out = append(out, m)
		}
	}
	return out, nil
}
func (r *rankStore) LevelsOf(context.Context, []int64) (map[int64]crm.LevelState, error) {
	return nil, nil
}

// TestStoredRankingsEqualLive: a list read from stored Rankings is the
// list ranked live at the same time, for every variant.
func TestStoredRankingsEqualLive(t *testing.T) {
	sc := crm.DefaultScoring()
	d := graphData()
	week := crm.WeekOf(now)
	var reg []any
	for w := week - 17; w <= week-5; w++ {
		reg = append(reg, "issue_comment", crm.WeekStart(w).Add(60*time.Hour), "o/a")
	}
	d.Members = append(d.Members,
		crm.ScoreMember{ID: 7, Name: "staffer", Role: crm.RoleStaff, Identities: []crm.ScoreIdentity{ident(70, "mastodon", "post", now, "#go")}},
		crm.ScoreMember{ID: 8, Name: "regular", Identities: []crm.ScoreIdentity{ident(80, "discourse", reg...)}})
	// An activity an hour ago, and the regular's weekly comments 5 to 17
	// weeks ago: the rising lists of 7 and 30 days differ from those of 90
	// and 365.
	recent := []crm.PeriodActivity{{Key: "a", Type: "pr_opened", OccurredAt: now.Add(-time.Hour), IdentityID: 10, MemberID: 1}}
	for w := week - 17; w <= week-5; w++ {
		recent = append(recent, crm.PeriodActivity{Key: fmt.Sprintf("reg-%d", w), Type: "issue_comment", OccurredAt: crm.WeekStart(w).Add(60 * time.Hour), IdentityID: 80, MemberID: 8})
	}
	periods := append(slices.Clone(crm.ShortStoredPeriods), crm.LongStoredPeriods...)
	rows, slipping := sc.Rankings(d, nil, recent, now, periods...)
	if !slices.Equal(slipping, []int64{8}) {
		t.Errorf("slipping = %v, want [8]", slipping)
	}
	rs := &rankStore{d: d, at: now, rows: rows, recent: recent}
	kinds := map[string]bool{}
	for _, r := range rows {
		kinds[r.Kind] = true
	}
	for _, k := range []string{"champions", "slipping", "rising", "rising_7d", "rising_90d", "rising_365d"} {
		if !kinds[k] {
			t.Errorf("no stored ranking of kind %s (have %v)", k, kinds)
		}
	}
	rising := map[string][]int64{}
	for _, r := range rows {
		if r.Platform == "" && r.Staff {
			rising[r.Kind] = append(rising[r.Kind], r.MemberID)
		}
	}
	if slices.Equal(rising["rising_7d"], rising["rising_90d"]) {
		t.Errorf("the rising lists of 7 and 90 days are alike (%v): the periods compared nothing", rising)
	}
	opts := []crm.ChampionsOptions{{Top: 3}, {Slipping: true}}
	for _, period := range periods {
		opts = append(opts, crm.ChampionsOptions{Rising: true, Period: period})
	}
	for _, p := range crm.RankPlatforms {
		for _, staff := range []bool{false, true} {
			for _, o := range opts {
				o.Now, o.Platform, o.IncludeStaff = now, p, staff
				stored, err := sc.LoadChampions(t.Context(), rs, o, false)
				if err != nil {
					t.Fatal(err)
				}
				var inPeriod []crm.PeriodActivity
				for _, a := range recent {
					if o.Period == 0 || !a.OccurredAt.Before(now.Add(-o.Period)) {
						inPeriod = append(inPeriod, a)
					}
				}
				live := sc.Champions(d, nil, inPeriod, o)
				if diff := cmp.Diff(live, stored); diff != "" {
					t.Errorf("%+v: stored differs from live (-live +stored):\n%s", o, diff)
				}
			}
		}
	}
}
