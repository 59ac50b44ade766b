package crm

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// evalWorld is a random community over two years for the evaluation: the
// members of healthWorld with tallies, and activities over the span of the
// long periods with what threads() must get right: chains of replies,
// replies before their parent, several mentions of one status and a
// Mastodon post of a mentioned status, replies to a status's post key,
// self-replies and cycles, parents on another platform, mentions off
// Mastodon, identities with no member, staff and bots.
func evalWorld(seed uint64, members, acts int) (ScoreData, []PeriodActivity) {
	rng := rand.New(rand.NewPCG(seed, seed^0x5bd1))
	platforms := []string{"github", "mastodon", "discourse", "stackoverflow", "git"}
	var data ScoreData
	for i := 1; i <= members; i++ {
		role := ""
		switch rng.IntN(10) {
		case 0:
			role = RoleStaff
		case 1:
			role = RoleBot
		}
		first := hNow.Add(-time.Duration(rng.IntN(800*24)) * time.Hour)
		m := ScoreMember{ID: int64(i), Role: role, FirstSeen: first}
		for j := range 1 + rng.IntN(3) {
			id := ScoreIdentity{ID: int64(i*10 + j), Platform: platforms[rng.IntN(len(platforms))], FirstActivity: first.Add(time.Duration(rng.IntN(100)) * time.Hour)}
			for range rng.IntN(8) {
				id.Months.Set(MonthOf(first) + int64(rng.IntN(30)))
			}
			n := 1 + rng.IntN(5)
			id.Tallies = map[string]Tally{"issue_comment": {Count: n, Base: float64(n) * TallyTerm(first, DefaultScoring().Decay)}}
			m.Identities = append(m.Identities, id)
		}
		data.Members = append(data.Members, m)
	}
	threadTypes := map[string][]string{"github": {"issue_opened", "pr_opened"}, "discourse": {"topic_created"}, "stackoverflow": {"question"},
		"mastodon": {"mention", "post"}, "git": {"commit", "mention"}}
	replies := map[string][]string{"github": {"issue_comment", "pr_review", "pr_review_comment", "pr_merged"}, "discourse": {"post_created", "like"},
		"stackoverflow": {"answer", "comment"}, "mastodon": {"post", "mention", "favourite"}, "git": {"commit", "comment", "mention"}}
	span := 2 * 365 * Day
	var out []PeriodActivity
	for i := range acts {
		p := platforms[rng.IntN(len(platforms))]
		m := int64(1 + rng.IntN(members))
		ident := m*10 + int64(rng.IntN(2))
		if rng.IntN(20) == 0 {
			m, ident = 0, int64(100000+rng.IntN(5)) // no member
		}
		at := hNow.Add(-time.Duration(rng.Int64N(int64(span/time.Minute)+600)) * time.Minute)
		a := PeriodActivity{Platform: p, MemberID: m, IdentityID: ident, OccurredAt: at, Channel: fmt.Sprint("c", rng.IntN(8))}
		if len(out) == 0 || rng.IntN(3) == 0 {
			a.Type = threadTypes[p][rng.IntN(len(threadTypes[p]))]
		} else {
			a.Type = replies[p][rng.IntN(len(replies[p]))]
			// Mostly a recent parent (chains), on the same platform.
			j := len(out) - 1 - rng.IntN(min(len(out), 30))
			if rng.IntN(4) == 0 {
				j = rng.IntN(len(out))
			}
			par := out[j]
			a.ParentKey = par.Key
			if par.Type == "mention" && rng.IntN(3) > 0 {
				if sk, ok := statusKey(par.Key); ok {
					a.ParentKey = sk
				}
			}
			switch rng.IntN(40) {
			case 0:
				a.ParentKey = "nowhere/" + fmt.Sprint(i)
			case 1:
				a.ParentKey = fmt.Sprintf("self/%d", i) // the key below
			}
			if a.OccurredAt.Before(par.OccurredAt) && rng.IntN(5) > 0 {
				a.OccurredAt = par.OccurredAt.Add(time.Duration(rng.IntN(3000)) * time.Minute)
			}
		}
		switch {
		case a.ParentKey == fmt.Sprintf("self/%d", i):
			a.Key = a.ParentKey
		case a.Type == "mention":
			// Statuses shared by a few mentions, and with posts.
			a.Key = fmt.Sprintf("mastodon/m.test/mention/%d:acct%d@m.test", rng.IntN(acts/3+1), rng.IntN(3))
		case p == "mastodon":
			a.Key = fmt.Sprintf("mastodon/m.test/%s/%d", a.Type, rng.IntN(acts/3+1))
		default:
			a.Key = fmt.Sprintf("%s/x.test/%s/%d", p, a.Type, i)
		}
		if slices.ContainsFunc(out, func(b PeriodActivity) bool { return b.Key == a.Key }) {
			continue // keys are unique in a store
		}
		if rng.IntN(2) == 0 {
			n := rng.IntN(7) - 1
			a.Reactions = &n
		}
		if rng.IntN(2) == 0 {
			f := float64(rng.IntN(201)-100) / 100
			a.Sentiment = &f
		}
		out = append(out, a)
	}
	// A cycle of two replies, and one that passes through a thread.
	out = append(out,
		PeriodActivity{Key: "github/x.test/issue_comment/c1", ParentKey: "github/x.test/issue_comment/c2", Type: "issue_comment", Platform: "github", OccurredAt: hNow.Add(-time.Hour), MemberID: 1, IdentityID: 10},
		PeriodActivity{Key: "github/x.test/issue_comment/c2", ParentKey: "github/x.test/issue_comment/c1", Type: "issue_comment", Platform: "github", OccurredAt: hNow.Add(-time.Hour), MemberID: 2, IdentityID: 20},
		PeriodActivity{Key: "mastodon/m.test/mention/c3:a", ParentKey: "mastodon/m.test/post/c4", Type: "mention", Platform: "mastodon", OccurredAt: hNow.Add(-2 * time.Hour), MemberID: 3, IdentityID: 30},
		PeriodActivity{Key: "mastodon/m.test/post/c4", ParentKey: "mastodon/m.test/post/c3", Type: "post", Platform: "mastodon", OccurredAt: hNow.Add(-time.Hour), MemberID: 4, IdentityID: 40},
	)
	return data, out
}

// TestEvaluateWindowEqualsEvaluatePeriods: the bounded evaluation gives
// the rankings and reports of the one that holds the whole window, on
// random communities, with and without the long periods.
func TestEvaluateWindowEqualsEvaluatePeriods(t *testing.T) {
	sc := DefaultScoring()
	for seed := range uint64(12) {
		for _, long := range []bool{false, true} {
			d, acts := evalWorld(seed, 50, 1500+int(seed%3)*1500)
			for i := range acts {
				acts[i].Title, acts[i].URL = fmt.Sprint("title ", i), fmt.Sprint("https://x.test/", i)
			}
			want := sc.EvaluatePeriods(d, nil, slices.Clone(acts), hNow, long)
			for i := range want.Reports {
				for j := range want.Reports[i].Engagement.TopThreads {
					tt := &want.Reports[i].Engagement.TopThreads[j]
					tt.Title, tt.URL = "", ""
				}
			}
			got, err := sc.EvaluateWindow(t.Context(), SliceWindow(acts), d, nil, hNow, long)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("seed %d, long %v: EvaluateWindow differs (-EvaluatePeriods +EvaluateWindow):\n%s", seed, long, diff)
			}
		}
	}
}

// TestEvalWorldHasThreads: the random communities have what the equality
// test is for.
func TestEvalWorldHasThreads(t *testing.T) {
	_, acts := evalWorld(3, 50, 1500)
	r := Health(ScoreData{}, acts, HealthOptions{Now: hNow, Period: 365 * Day, IncludeStaff: true})
	answered, threads := 0, 0
	for _, x := range r.FirstResponse {
		answered += x.Current.Answered
		threads += x.Current.Threads
	}
	shadowed := 0
	for _, a := range acts {
		if a.Type == "post" {
			if p, ok := MentionPrefix(a.Key); ok && slices.ContainsFunc(acts, func(b PeriodActivity) bool { return b.Key > p && b.Key < p+";" }) {
				shadowed++
			}
		}
	}
	if answered < 20 || threads < 100 || len(r.Engagement.TopThreads) != 5 || shadowed < 5 {
		t.Errorf("answered %d of %d threads, %d top threads, %d posts of mentioned statuses: too few", answered, threads, len(r.Engagement.TopThreads), shadowed)
	}
}

func TestMentionPrefix(t *testing.T) {
	for _, c := range []struct {
		key, want string
		ok        bool
	}{
		{"mastodon/m.test/post/123", "mastodon/m.test/mention/123", true},
		{"mastodon/m.test/post/a/b", "mastodon/m.test/mention/a/b", true},
		{"mastodon/m.test/post/", "", false},
		{"mastodon/m.test/post/1:2", "", false},
		{"mastodon/m.test/mention/1:a", "", false},
		{"github/x/post/1", "", false},
	} {
		got, ok := MentionPrefix(c.key)
		if got != c.want || ok != c.ok {
			t.Errorf("MentionPrefix(%q) = %q, %v; want %q, %v", c.key, got, ok, c.want, c.ok)
		}
		// Every mention of the prefix has the key as its status.
		if ok {
			for _, m := range []string{got, got + ":acct@x"} {
				if sk, _ := statusKey(m); sk != c.key {
					t.Errorf("statusKey(%q) = %q, want %q", m, sk, c.key)
				}
			}
		}
	}
}

// TestWindowHealthEqualsHealth: a report of any period, platform and
// staff choice read a piece at a time is Health's of the whole period.
func TestWindowHealthEqualsHealth(t *testing.T) {
	for seed := range uint64(6) {
		d, acts := evalWorld(seed, 50, 2000)
		for _, opt := range []HealthOptions{
			{Now: hNow}, {Now: hNow, Period: 45 * Day, IncludeStaff: true}, {Now: hNow, Period: 366 * Day, Platform: "mastodon"},
			{Now: hNow, Period: 200 * Day, Platform: "github", IncludeStaff: true}, {Now: hNow.Add(-90 * Day), Period: 36 * time.Hour}, {Now: hNow, Period: 120 * Day, Platform: "git"},
		} {
			want := Health(d, acts, opt)
			for i := range want.Engagement.TopThreads {
				want.Engagement.TopThreads[i].Title, want.Engagement.TopThreads[i].URL = "", ""
			}
			got, err := WindowHealth(t.Context(), SliceWindow(acts), d, opt)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("seed %d, %+v: WindowHealth differs (-Health +WindowHealth):\n%s", seed, opt, diff)
			}
		}
	}
}
