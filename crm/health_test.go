package crm

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Hand-made communities with known answers. Now is 2026-06-15 12:00 UTC
// and the period 10 days: the current period is [06-05 12:00, 06-15
// 12:00), the previous one [05-26 12:00, 06-05 12:00).
var (
	hNow    = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	hPeriod = 10 * 24 * time.Hour
	hCur    = hNow.Add(-5 * 24 * time.Hour)  // mid current period
	hPrev   = hNow.Add(-15 * 24 * time.Hour) // mid previous period
	hOld    = hNow.Add(-400 * 24 * time.Hour)
)

func hMember(id int64, role string, first time.Time, ids ...ScoreIdentity) ScoreMember {
	if len(ids) == 0 {
		ids = []ScoreIdentity{{ID: id * 10, Platform: "github", Username: fmt.Sprint("u", id), FirstActivity: first}}
	}
	return ScoreMember{ID: id, Name: fmt.Sprint("m", id), Role: role, FirstSeen: first, Identities: ids}
}

// hAct is an activity by member m (identity m×10).
func hAct(key, typ string, m int64, at time.Time, mods ...func(*PeriodActivity)) PeriodActivity {
	platform := map[string]string{
		"issue_opened": "github", "pr_opened": "github", "issue_comment": "github", "pr_review": "github", "pr_merged": "github", "star": "github",
		"topic_created": "discourse", "post_created": "discourse", "like": "discourse",
		"question": "stackoverflow", "answer": "stackoverflow", "comment": "stackoverflow",
		"post": "mastodon", "mention": "mastodon", "favourite": "mastodon",
	}[typ]
	a := PeriodActivity{Key: key, Platform: platform, Type: typ, OccurredAt: at, MemberID: m, IdentityID: m * 10, Title: "t " + key, URL: "https://x.test/" + key}
	for _, f := range mods {
		f(&a)
	}
	return a
}

func parent(k string) func(*PeriodActivity)  { return func(a *PeriodActivity) { a.ParentKey = k } }
func channel(c string) func(*PeriodActivity) { return func(a *PeriodActivity) { a.Channel = c } }
func reactions(n int) func(*PeriodActivity)  { return func(a *PeriodActivity) { a.Reactions = &n } }
func sentimentOf(f float64) func(*PeriodActivity) {
	return func(a *PeriodActivity) { a.Sentiment = &f }
}

func i64(v int64) *int64     { return &v }
func f64(v float64) *float64 { return &v }

func months(ms ...time.Time) Presence {
	var p Presence
	for _, m := range ms {
		p.Set(MonthOf(m))
	}
	return p
}

func month(y int, m time.Month) time.Time { return time.Date(y, m, 10, 0, 0, 0, 0, time.UTC) }

func hOpt(mods ...func(*HealthOptions)) HealthOptions {
	o := HealthOptions{Now: hNow, Period: hPeriod}
	for _, f := range mods {
		f(&o)
	}
	return o
}

func withStaff(o *HealthOptions) { o.IncludeStaff = true }

// responseRow is the first-response row of platform.
func responseRow(r HealthReport, platform string) HealthResponse {
	for _, x := range r.FirstResponse {
		if x.Platform == platform {
			return x
		}
	}
	return HealthResponse{}
}

func TestHealthMetrics(t *testing.T) {
	h := time.Hour
	// The first-response world: 1 and 2 are members, 7 is staff, 8 a bot.
	frMembers := []ScoreMember{hMember(1, "", hOld), hMember(2, "", hOld), hMember(7, RoleStaff, hOld), hMember(8, RoleBot, hOld)}
	t0 := hCur
	frActs := []PeriodActivity{
		// Issue 1 by member 1: its author's comment (1h) and a bot's (2h)
		// do not count; staff's at 3h does.
		hAct("gh/i/1", "issue_opened", 1, t0),
		hAct("gh/c/11", "issue_comment", 1, t0.Add(1*h), parent("gh/i/1")),
		hAct("gh/c/12", "issue_comment", 8, t0.Add(2*h), parent("gh/i/1")),
		hAct("gh/c/13", "issue_comment", 7, t0.Add(3*h), parent("gh/i/1")),
		hAct("gh/c/14", "issue_comment", 2, t0.Add(4*h), parent("gh/i/1")),
		// Issue 2 answered by member 2 after 1h; PR 3 reviewed after 5h.
		hAct("gh/i/2", "issue_opened", 1, t0),
		hAct("gh/c/21", "issue_comment", 2, t0.Add(1*h), parent("gh/i/2")),
		hAct("gh/p/3", "pr_opened", 2, t0),
		hAct("gh/r/31", "pr_review", 1, t0.Add(5*h), parent("gh/p/3")),
		// The PR's merge is by its author (stand-in): not a reply.
		hAct("gh/m/32", "pr_merged", 1, t0.Add(30*time.Minute), parent("gh/p/3")),
		// Issue 4 only has a bot's reply: unanswered.
		hAct("gh/i/4", "issue_opened", 2, t0),
		hAct("gh/c/41", "issue_comment", 8, t0.Add(time.Minute), parent("gh/i/4")),
		// Issue 5 is staff's: not a thread (unless --include-staff).
		hAct("gh/i/5", "issue_opened", 7, t0),
		hAct("gh/c/51", "issue_comment", 1, t0.Add(10*h), parent("gh/i/5")),
		// Previous period: issue 6 answered after 2h; issue 7 answered only
		// after the previous period ended: unanswered then.
		hAct("gh/i/6", "issue_opened", 1, hPrev),
		hAct("gh/c/61", "issue_comment", 2, hPrev.Add(2*h), parent("gh/i/6")),
		hAct("gh/i/7", "issue_opened", 1, hPrev),
		hAct("gh/c/71", "issue_comment", 2, hCur, parent("gh/i/7")),
		// A comment on an issue opened before the window: out of scope.
		hAct("gh/c/81", "issue_comment", 2, hCur, parent("gh/i/old")),
		// Discourse: member 2 answers member 1's post in topic 1 after 30m.
		hAct("di/t/1", "topic_created", 1, t0),
		hAct("di/p/11", "post_created", 1, t0.Add(10*time.Minute), parent("di/t/1")),
		hAct("di/p/12", "post_created", 2, t0.Add(30*time.Minute), parent("di/p/11")),
		// Stack Overflow: the asker's comment does not count, the answer does.
		hAct("so/q/1", "question", 1, t0),
		hAct("so/c/11", "comment", 1, t0.Add(10*time.Minute), parent("so/q/1")),
		hAct("so/a/12", "answer", 2, t0.Add(2*h), parent("so/q/1")),
		// Mastodon: a status mentioning two tracked accounts is one thread;
		// staff's reply names the status as a post.
		hAct("mastodon/m.test/mention/555:proj@m.test", "mention", 1, t0),
		hAct("mastodon/m.test/mention/555:other@m.test", "mention", 1, t0),
		hAct("mastodon/m.test/post/556", "post", 7, t0.Add(20*time.Minute), parent("mastodon/m.test/post/555")),
		// A reply to the reply still answers the mention (later: no change).
		hAct("mastodon/m.test/post/557", "post", 2, t0.Add(40*time.Minute), parent("mastodon/m.test/post/556")),
		// A mention answered by its own author only: unanswered.
		hAct("mastodon/m.test/mention/600:proj@m.test", "mention", 2, t0),
		hAct("mastodon/m.test/post/601", "post", 2, t0.Add(time.Minute), parent("mastodon/m.test/post/600")),
	}

	tests := []struct {
		name string
		data ScoreData
		acts []PeriodActivity
		opt  HealthOptions
		got  func(HealthReport) any
		want any
	}{{
		name: "growth: new members per period, staff left out",
		data: ScoreData{Members: []ScoreMember{hMember(1, "", hCur), hMember(2, "", hCur), hMember(3, "", hPrev), hMember(4, "", hOld), hMember(5, RoleStaff, hCur), hMember(6, "", hNow)}},
		opt:  hOpt(),
		got:  func(r HealthReport) any { return r.Growth },
		want: HealthCount{Current: 2, Previous: 1, Change: 1, ChangePct: f64(100)},
	}, {
		name: "growth with staff",
		data: ScoreData{Members: []ScoreMember{hMember(1, "", hCur), hMember(2, "", hCur), hMember(3, "", hPrev), hMember(5, RoleStaff, hCur)}},
		opt:  hOpt(withStaff),
		got:  func(r HealthReport) any { return r.Growth },
		want: HealthCount{Current: 3, Previous: 1, Change: 2, ChangePct: f64(200)},
	}, {
		name: "growth on a platform: first activity there",
		data: ScoreData{Members: []ScoreMember{
			hMember(1, "", hOld, ScoreIdentity{ID: 10, Platform: "github", FirstActivity: hOld}, ScoreIdentity{ID: 11, Platform: "mastodon", FirstActivity: hCur}),
			hMember(2, "", hOld, ScoreIdentity{ID: 20, Platform: "mastodon", FirstActivity: hPrev}, ScoreIdentity{ID: 21, Platform: "mastodon", FirstActivity: hCur}),
			hMember(3, "", hCur),
		}},
		opt:  hOpt(func(o *HealthOptions) { o.Platform = "mastodon" }),
		got:  func(r HealthReport) any { return r.Growth },
		want: HealthCount{Current: 1, Previous: 1, Change: 0, ChangePct: f64(0)},
	}, {
		name: "no previous members: no percent",
		data: ScoreData{Members: []ScoreMember{hMember(1, "", hCur)}},
		opt:  hOpt(),
		got:  func(r HealthReport) any { return r.Growth },
		want: HealthCount{Current: 1, Previous: 0, Change: 1},
	}, {
		name: "active ratio: active over members existing at the period's end",
		data: ScoreData{Members: []ScoreMember{hMember(1, "", hOld), hMember(2, "", hOld), hMember(3, "", hOld), hMember(4, "", hCur), hMember(7, RoleStaff, hOld)}},
		acts: []PeriodActivity{
			hAct("a1", "star", 1, hCur), hAct("a2", "star", 2, hCur), hAct("a3", "star", 2, hPrev), hAct("a4", "star", 7, hCur),
			hAct("a5", "star", 3, hNow.Add(-30*24*time.Hour)), // before the window
		},
		opt: hOpt(),
		got: func(r HealthReport) any { return r.Active },
		want: HealthActive{
			Current:  HealthRatio{Active: 2, Members: 4, Ratio: f64(0.5)},
			Previous: HealthRatio{Active: 1, Members: 3, Ratio: f64(0.3333)},
			ChangePP: f64(16.67),
		},
	}, {
		name: "active ratio with staff",
		data: ScoreData{Members: []ScoreMember{hMember(1, "", hOld), hMember(7, RoleStaff, hOld)}},
		acts: []PeriodActivity{hAct("a4", "star", 7, hCur)},
		opt:  hOpt(withStaff),
		got:  func(r HealthReport) any { return r.Active.Current },
		want: HealthRatio{Active: 1, Members: 2, Ratio: f64(0.5)},
	}, {
		name: "first response: github issues and PRs",
		data: ScoreData{Members: frMembers},
		acts: frActs,
		opt:  hOpt(),
		got:  func(r HealthReport) any { return responseRow(r, "github") },
		want: HealthResponse{Platform: "github", Kind: ThreadIssuesPRs,
			// 1h, 3h, 5h answered; p50 = 2nd, p90 = ⌈2.7⌉ = 3rd.
			Current:  HealthResponseTimes{Threads: 4, Answered: 3, Unanswered: 1, P50Seconds: i64(3 * 3600), P90Seconds: i64(5 * 3600)},
			Previous: HealthResponseTimes{Threads: 2, Answered: 1, Unanswered: 1, P50Seconds: i64(2 * 3600), P90Seconds: i64(2 * 3600)},
			Change:   HealthResponseDelta{P50Seconds: i64(3600), P50Pct: f64(50), P90Seconds: i64(3 * 3600), P90Pct: f64(150), Unanswered: 0},
		},
	}, {
		name: "first response: staff threads with --include-staff",
		data: ScoreData{Members: frMembers},
		acts: frActs,
		opt:  hOpt(withStaff),
		got:  func(r HealthReport) any { return responseRow(r, "github").Current },
		// Issue 5 (staff's) now counts: answered after 10h; the bot's
		// replies still do not count.
		want: HealthResponseTimes{Threads: 5, Answered: 4, Unanswered: 1, P50Seconds: i64(3 * 3600), P90Seconds: i64(10 * 3600)},
	}, {
		name: "first response: discourse through a reply to a post",
		data: ScoreData{Members: frMembers},
		acts: frActs,
		opt:  hOpt(),
		got:  func(r HealthReport) any { return responseRow(r, "discourse").Current },
		want: HealthResponseTimes{Threads: 1, Answered: 1, P50Seconds: i64(1800), P90Seconds: i64(1800)},
	}, {
		name: "first response: stack overflow, the asker's comment does not count",
		data: ScoreData{Members: frMembers},
		acts: frActs,
		opt:  hOpt(),
		got:  func(r HealthReport) any { return responseRow(r, "stackoverflow").Current },
		want: HealthResponseTimes{Threads: 1, Answered: 1, P50Seconds: i64(7200), P90Seconds: i64(7200)},
	}, {
		name: "first response: mastodon mention answered through its status id",
		data: ScoreData{Members: frMembers},
		acts: frActs,
		opt:  hOpt(),
		got:  func(r HealthReport) any { return responseRow(r, "mastodon").Current },
		want: HealthResponseTimes{Threads: 2, Answered: 1, Unanswered: 1, P50Seconds: i64(1200), P90Seconds: i64(1200)},
	}, {
		name: "first response on one platform: one row",
		data: ScoreData{Members: frMembers},
		acts: frActs,
		opt:  hOpt(func(o *HealthOptions) { o.Platform = "stackoverflow" }),
		got: func(r HealthReport) any {
			var ps []string
			for _, x := range r.FirstResponse {
				ps = append(ps, x.Platform+"/"+x.Kind)
			}
			return ps
		},
		want: []string{"stackoverflow/questions"},
	}, {
		name: "retention: monthly cohorts",
		data: ScoreData{Members: []ScoreMember{
			// January: 3 new; 2 active in February and in April; July has not ended.
			hMember(1, "", month(2026, 1), ScoreIdentity{ID: 10, Platform: "github", Months: months(month(2026, 1), month(2026, 2), month(2026, 4))}),
			hMember(2, "", month(2026, 1), ScoreIdentity{ID: 20, Platform: "github", Months: months(month(2026, 2))},
				ScoreIdentity{ID: 21, Platform: "mastodon", Months: months(month(2026, 4), month(2026, 6))}),
			hMember(3, "", month(2026, 1)),
			// November 2025: 1 new, active in May 2026 (6 months later).
			hMember(4, "", month(2025, 11), ScoreIdentity{ID: 40, Platform: "github", Months: months(month(2026, 5))}),
			// March: 1 new, active in April. April: 2 new, 1 active in May.
			hMember(5, "", month(2026, 3), ScoreIdentity{ID: 50, Platform: "github", Months: months(month(2026, 4))}),
			hMember(6, "", month(2026, 4), ScoreIdentity{ID: 60, Platform: "github", Months: months(month(2026, 5))}),
			hMember(7, "", month(2026, 4)),
			// Staff are no cohort; neither is a member older than 12 months.
			hMember(8, RoleStaff, month(2026, 4)),
			hMember(9, "", month(2025, 6)),
		}},
		opt: hOpt(),
		got: func(r HealthReport) any {
			return []any{r.Retention.Cohorts[0].Month, r.Retention.Cohorts[4], r.Retention.Cohorts[6], r.Retention.Cohorts[8], r.Retention.Cohorts[9], r.Retention.Cohorts[11],
				r.Retention.After1, r.Retention.After3, r.Retention.After6}
		},
		want: []any{
			"2025-07",
			HealthCohort{Month: "2025-11", NewMembers: 1, After1: &HealthShare{Share: f64(0)}, After3: &HealthShare{Share: f64(0)}, After6: &HealthShare{Active: 1, Share: f64(1)}},
			HealthCohort{Month: "2026-01", NewMembers: 3, After1: &HealthShare{Active: 2, Share: f64(0.6667)}, After3: &HealthShare{Active: 2, Share: f64(0.6667)}},
			HealthCohort{Month: "2026-03", NewMembers: 1, After1: &HealthShare{Active: 1, Share: f64(1)}},
			HealthCohort{Month: "2026-04", NewMembers: 2, After1: &HealthShare{Active: 1, Share: f64(0.5)}},
			HealthCohort{Month: "2026-06"},
			HealthRetained{CurrentCohort: "2026-04", Current: f64(0.5), PreviousCohort: "2026-03", Previous: f64(1), ChangePP: f64(-50)},
			HealthRetained{CurrentCohort: "2026-02", PreviousCohort: "2026-01", Previous: f64(0.6667)},
			HealthRetained{CurrentCohort: "2025-11", Current: f64(1), PreviousCohort: "2025-10"},
		},
	}, {
		name: "retention on a platform: that platform's months",
		data: ScoreData{Members: []ScoreMember{
			hMember(2, "", month(2026, 1), ScoreIdentity{ID: 20, Platform: "github", FirstActivity: month(2026, 1), Months: months(month(2026, 2))},
				ScoreIdentity{ID: 21, Platform: "mastodon", FirstActivity: month(2026, 1), Months: months(month(2026, 1), month(2026, 4))}),
		}},
		opt:  hOpt(func(o *HealthOptions) { o.Platform = "mastodon" }),
		got:  func(r HealthReport) any { return r.Retention.Cohorts[6] },
		want: HealthCohort{Month: "2026-01", NewMembers: 1, After1: &HealthShare{Share: f64(0)}, After3: &HealthShare{Active: 1, Share: f64(1)}},
	}, {
		name: "engagement: reactions per post per platform",
		data: ScoreData{Members: []ScoreMember{hMember(1, "", hOld), hMember(7, RoleStaff, hOld)}},
		acts: []PeriodActivity{
			hAct("i1", "issue_opened", 1, hCur, reactions(4)),
			hAct("c1", "issue_comment", 1, hCur, reactions(1)),
			hAct("c2", "issue_comment", 1, hCur), // no reactions reported: no post
			hAct("i2", "issue_opened", 7, hCur, reactions(100)),
			hAct("i3", "issue_opened", 1, hPrev, reactions(2)),
			hAct("q1", "question", 1, hCur, reactions(-1)),
		},
		opt: hOpt(),
		got: func(r HealthReport) any { return r.Engagement.Platforms },
		want: []HealthPlatformEngagement{
			{Platform: "github", Current: HealthReactions{Posts: 2, Reactions: 5, PerPost: f64(2.5)}, Previous: HealthReactions{Posts: 1, Reactions: 2, PerPost: f64(2)},
				Change: HealthPerPost{PerPost: f64(0.5), PerPostPct: f64(25)}},
			{Platform: "discourse"},
			{Platform: "stackoverflow", Current: HealthReactions{Posts: 1, Reactions: -1, PerPost: f64(-1)}},
			{Platform: "mastodon"},
		},
	}, {
		name: "engagement: top channels",
		data: ScoreData{Members: []ScoreMember{hMember(1, "", hOld), hMember(7, RoleStaff, hOld)}},
		acts: []PeriodActivity{
			hAct("a1", "star", 1, hCur, channel("o/a")), hAct("a2", "issue_opened", 1, hCur, channel("o/a"), reactions(3)), hAct("a3", "star", 1, hPrev, channel("o/a")),
			hAct("b1", "star", 1, hCur, channel("o/b")), hAct("b2", "issue_opened", 1, hCur, channel("o/b"), reactions(1)),
			hAct("c1", "star", 1, hCur, channel("o/c")), hAct("c2", "star", 1, hCur, channel("o/c")), hAct("c3", "star", 1, hCur, channel("o/c")),
			hAct("d1", "star", 1, hCur, channel("o/d")),
			hAct("e1", "star", 1, hCur, channel("o/e")),
			hAct("f1", "star", 1, hCur, channel("o/f")),
			hAct("s1", "star", 7, hCur, channel("o/s")), hAct("s2", "star", 7, hCur, channel("o/s")), hAct("s3", "star", 7, hCur, channel("o/s")), hAct("s4", "star", 7, hCur, channel("o/s")),
			hAct("g1", "star", 1, hPrev, channel("o/g")),
		},
		opt: hOpt(),
		got: func(r HealthReport) any { return r.Engagement.TopChannels },
		want: []HealthChannel{
			{Platform: "github", Channel: "o/c", Activities: 3, Change: 3},
			{Platform: "github", Channel: "o/a", Activities: 2, Reactions: 3, PreviousActivities: 1, Change: 1, ChangePct: f64(100)},
			{Platform: "github", Channel: "o/b", Activities: 2, Reactions: 1, Change: 2},
			{Platform: "github", Channel: "o/d", Activities: 1, Change: 1},
			{Platform: "github", Channel: "o/e", Activities: 1, Change: 1},
		},
	}, {
		name: "engagement: top threads by replies and reactions",
		data: ScoreData{Members: frMembers},
		acts: append(slices.Clone(frActs),
			hAct("mastodon/m.test/post/900", "post", 1, hCur, reactions(2)),
			hAct("mastodon/m.test/post/901", "post", 2, hCur.Add(time.Hour), parent("mastodon/m.test/post/900"), reactions(1)),
		),
		opt: hOpt(),
		got: func(r HealthReport) any {
			var out []string
			for _, x := range r.Engagement.TopThreads {
				out = append(out, fmt.Sprintf("%s %s %d+%d=%d %s", x.Kind, x.Key, x.Replies, x.Reactions, x.Score, x.Title))
			}
			return out
		},
		// Post 900: one reply, 2 + 1 reactions. Issue 1: its author's and
		// member 2's comments (bot and staff replies are not counted
		// engagement). Ties: newer first, then by key; issue 7 (opened in
		// the previous period, answered in this one) scores 1 but is older.
		want: []string{
			"posts mastodon/m.test/post/900 1+3=4 t mastodon/m.test/post/900",
			"topics di/t/1 2+0=2 t di/t/1",
			"issues_prs gh/i/1 2+0=2 t gh/i/1",
			"questions so/q/1 2+0=2 t so/q/1",
			"issues_prs gh/i/2 1+0=1 t gh/i/2",
		},
	}, {
		name: "sentiment shares",
		data: ScoreData{Members: []ScoreMember{hMember(1, "", hOld), hMember(7, RoleStaff, hOld)}},
		acts: []PeriodActivity{
			hAct("s1", "issue_comment", 1, hCur, sentimentOf(0.5)), hAct("s2", "issue_comment", 1, hCur, sentimentOf(0.05)),
			hAct("s3", "issue_comment", 1, hCur, sentimentOf(0)), hAct("s4", "issue_comment", 1, hCur, sentimentOf(-0.05)),
			hAct("s5", "issue_comment", 7, hCur, sentimentOf(0.9)), hAct("s6", "star", 1, hCur),
			hAct("s7", "issue_comment", 1, hPrev, sentimentOf(0.7)),
		},
		opt: hOpt(),
		got: func(r HealthReport) any { return r.Sentiment },
		want: HealthSentiment{
			Current:  HealthSentimentShares{Texts: 4, Positive: 2, Neutral: 1, Negative: 1, PositiveShare: f64(0.5), NeutralShare: f64(0.25), NegativeShare: f64(0.25)},
			Previous: HealthSentimentShares{Texts: 1, Positive: 1, PositiveShare: f64(1), NeutralShare: f64(0), NegativeShare: f64(0)},
			ChangePP: HealthSentimentDelta{Positive: f64(-50), Neutral: f64(25), Negative: f64(25)},
		},
	}, {
		name: "sentiment with staff",
		data: ScoreData{Members: []ScoreMember{hMember(1, "", hOld), hMember(7, RoleStaff, hOld)}},
		acts: []PeriodActivity{hAct("s1", "issue_comment", 1, hCur, sentimentOf(-0.5)), hAct("s5", "issue_comment", 7, hCur, sentimentOf(0.9))},
		opt:  hOpt(withStaff),
		got:  func(r HealthReport) any { return r.Sentiment.Current },
		want: HealthSentimentShares{Texts: 2, Positive: 1, Negative: 1, PositiveShare: f64(0.5), NeutralShare: f64(0), NegativeShare: f64(0.5)},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Health(tt.data, tt.acts, tt.opt)
			if d := cmp.Diff(tt.want, tt.got(r)); d != "" {
				t.Errorf("-want +got:\n%s", d)
			}
		})
	}
}

// healthWorld is a random community over the window: members (some staff
// and bots) on every platform, threads and replies that point at earlier
// activities, reactions and texts.
func healthWorld(seed uint64, members, acts int) (ScoreData, []PeriodActivity) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e37))
	platforms := []string{"github", "mastodon", "discourse", "stackoverflow"}
	var data ScoreData
	for i := 1; i <= members; i++ {
		role := ""
		switch rng.IntN(10) {
		case 0:
			role = RoleStaff
		case 1:
			role = RoleBot
		}
		first := hNow.Add(-time.Duration(rng.IntN(500*24)) * time.Hour)
		m := ScoreMember{ID: int64(i), Role: role, FirstSeen: first}
		for j := range 1 + rng.IntN(3) {
			id := ScoreIdentity{ID: int64(i*10 + j), Platform: platforms[rng.IntN(len(platforms))], FirstActivity: first.Add(time.Duration(rng.IntN(100)) * time.Hour)}
			for range rng.IntN(8) {
				id.Months.Set(MonthOf(first) + int64(rng.IntN(14)))
			}
			m.Identities = append(m.Identities, id)
		}
		data.Members = append(data.Members, m)
	}
	threadTypes := map[string][]string{"github": {"issue_opened", "pr_opened"}, "discourse": {"topic_created"}, "stackoverflow": {"question"}, "mastodon": {"mention", "post"}}
	replyTypes := map[string][]string{"github": {"issue_comment", "pr_review", "pr_merged"}, "discourse": {"post_created", "like"}, "stackoverflow": {"answer", "comment"}, "mastodon": {"post", "mention", "favourite"}}
	var out []PeriodActivity
	byPlatform := map[string][]int{}
	for i := range acts {
		p := platforms[rng.IntN(len(platforms))]
		m := int64(1 + rng.IntN(members))
		at := hNow.Add(-time.Duration(rng.IntN(int(2*hPeriod/time.Minute)+600)) * time.Minute)
		a := PeriodActivity{Platform: p, MemberID: m, IdentityID: m * 10, OccurredAt: at, Channel: fmt.Sprint("c", rng.IntN(8)), Title: fmt.Sprint("title ", i), URL: fmt.Sprint("https://x.test/", i)}
		prev := byPlatform[p]
		if len(prev) == 0 || rng.IntN(3) == 0 {
			a.Type = threadTypes[p][rng.IntN(len(threadTypes[p]))]
		} else {
			a.Type = replyTypes[p][rng.IntN(len(replyTypes[p]))]
			par := out[prev[rng.IntN(len(prev))]]
			a.ParentKey = par.Key
			if par.Type == "mention" {
				a.ParentKey, _ = statusKey(par.Key)
			}
			// Replies mostly come after what they answer.
			if a.OccurredAt.Before(par.OccurredAt) && rng.IntN(5) > 0 {
				a.OccurredAt = par.OccurredAt.Add(time.Duration(rng.IntN(3000)) * time.Minute)
			}
		}
		switch {
		case p == "mastodon" && a.Type == "mention":
			a.Key = fmt.Sprintf("mastodon/m.test/mention/%d:acct%d@m.test", i/2, rng.IntN(2))
		case p == "mastodon":
			a.Key = fmt.Sprintf("mastodon/m.test/%s/%d", a.Type, i/2)
		default:
			a.Key = fmt.Sprintf("%s/x.test/%s/%d", p, a.Type, i)
		}
		if rng.IntN(2) == 0 {
			n := rng.IntN(7) - 1
			a.Reactions = &n
		}
		if rng.IntN(2) == 0 {
			f := float64(rng.IntN(201)-100) / 100
			a.Sentiment = &f
		}
		byPlatform[p] = append(byPlatform[p], len(out))
		out = append(out, a)
	}
	return data, out
}

// TestHealthOrderIndependent: shuffling the members, their identities and
// the activities changes nothing.
func TestHealthOrderIndependent(t *testing.T) {
	for seed := range uint64(20) {
		data, acts := healthWorld(seed, 60, 900)
		for _, opt := range []HealthOptions{hOpt(), hOpt(withStaff), hOpt(func(o *HealthOptions) { o.Platform = "mastodon" }), hOpt(func(o *HealthOptions) { o.Platform = "github"; o.Period = 3 * 24 * time.Hour })} {
			want := Health(data, acts, opt)
			rng := rand.New(rand.NewPCG(seed, 7))
			for range 3 {
				d := ScoreData{Members: slices.Clone(data.Members)}
				for i := range d.Members {
					d.Members[i].Identities = slices.Clone(d.Members[i].Identities)
					rng.Shuffle(len(d.Members[i].Identities), func(a, b int) {
						d.Members[i].Identities[a], d.Members[i].Identities[b] = d.Members[i].Identities[b], d.Members[i].Identities[a]
					})
				}
				rng.Shuffle(len(d.Members), func(a, b int) { d.Members[a], d.Members[b] = d.Members[b], d.Members[a] })
				as := slices.Clone(acts)
				rng.Shuffle(len(as), func(a, b int) { as[a], as[b] = as[b], as[a] })
				if diff := cmp.Diff(want, Health(d, as, opt)); diff != "" {
					t.Fatalf("seed %d, %+v: shuffled input changed the report (-want +got):\n%s", seed, opt, diff)
				}
			}
		}
	}
}

// TestHealthWorldSane checks invariants on random worlds: counts add up,
// percentiles are ordered, shares are fractions.
func TestHealthWorldSane(t *testing.T) {
	data, acts := healthWorld(42, 80, 2000)
	r := Health(data, acts, hOpt())
	for _, x := range r.FirstResponse {
		for _, tt := range []HealthResponseTimes{x.Current, x.Previous} {
			if tt.Threads != tt.Answered+tt.Unanswered {
				t.Errorf("%s: threads %d != %d + %d", x.Platform, tt.Threads, tt.Answered, tt.Unanswered)
			}
			if tt.P50Seconds != nil && *tt.P50Seconds > *tt.P90Seconds {
				t.Errorf("%s: p50 %d > p90 %d", x.Platform, *tt.P50Seconds, *tt.P90Seconds)
			}
		}
	}
	if a := r.Active.Current; a.Active > a.Members || a.Members == 0 {
		t.Errorf("active %+v", a)
	}
	if s := r.Sentiment.Current; s.Texts != s.Positive+s.Neutral+s.Negative || s.Texts == 0 {
		t.Errorf("sentiment %+v", s)
	}
	if len(r.Engagement.TopThreads) != 5 || len(r.Engagement.TopChannels) != 5 {
		t.Errorf("top lists: %d threads, %d channels", len(r.Engagement.TopThreads), len(r.Engagement.TopChannels))
	}
}

// BenchmarkHealth is the computation alone, over 100,000 activities.
func BenchmarkHealth(b *testing.B) {
	data, acts := healthWorld(1, 10000, 100000)
	b.ReportAllocs()
	for b.Loop() {
		Health(data, acts, hOpt())
	}
}
