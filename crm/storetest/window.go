package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// Evaluator is a store whose level evaluation keeps rankings and health
// reports (crm.Scoring.EvaluateWindow reading the store a piece at a
// time).
type Evaluator interface {
	crm.Store
	crm.ScoreReader
	crm.HealthStore
	EvaluateLevels(ctx context.Context, sc crm.Scoring, now time.Time, events bool) (crm.Evaluation, error)
	Levels(ctx context.Context) (map[int64]crm.LevelState, error)
	ChampionRanks(ctx context.Context, kind, platform string, staff bool, top int) (time.Time, []crm.RankRow, bool, error)
}

// RunEvaluation checks that an evaluation's stored reports and rankings
// are those computed from the whole window at once (crm.Health,
// crm.Scoring.Rankings), on a random community with what linking replies
// to threads must get right.
func RunEvaluation(t *testing.T, s Evaluator) {
	ctx := t.Context()
	sc := crm.DefaultScoring()
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	accounts, acts := evaluationWorld(3, 40, 2400, now)
	apply(t, s, "world", connectors.Batch{Accounts: accounts})
	for b := range slices.Chunk(acts, 200) {
		apply(t, s, "world", connectors.Batch{Activities: b})
	}
	un, err := s.Unassigned(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var as []crm.Assignment
	for i, id := range un {
		if i%9 != 4 { // some identities keep no member
			as = append(as, crm.Assignment{IdentityID: id.ID, Reason: crm.ReasonNewAccount})
		}
	}
	if err := s.Assign(ctx, as); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EvaluateLevels(ctx, sc, now, false); err != nil {
		t.Fatal(err)
	}
	d, err := s.ScoreData(ctx)
	if err != nil {
		t.Fatal(err)
	}
	levels, err := s.Levels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	periods := append(slices.Clone(crm.ShortStoredPeriods), crm.LongStoredPeriods...)
	window, err := s.PeriodActivities(ctx, now.Add(-crm.EvaluationSpan(true)), now, "")
	if err != nil {
		t.Fatal(err)
	}
	threads := 0
	for _, period := range periods {
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
					t.Errorf("%v %q staff=%v: stored report differs (-whole window +stored):\n%s", period, p, staff, diff)
				}
				for _, x := range got.FirstResponse {
					threads += x.Current.Answered
				}
			}
		}
	}
	if threads < 50 {
		t.Errorf("%d answered threads in all reports: the world tests little", threads)
	}
	var since []crm.PeriodActivity
	for _, a := range window {
		if !a.OccurredAt.Before(now.Add(-slices.Max(periods))) {
			since = append(since, a)
		}
	}
	ranks, _ := sc.Rankings(d, levels, since, now, periods...)
	want := map[string][]crm.RankRow{}
	for _, r := range ranks {
		k := fmt.Sprint(r.Kind, "/", r.Platform, "/", r.Staff)
		want[k] = append(want[k], r)
	}
	gains := 0
	for k, rows := range want {
		r := rows[0]
		_, got, ok, err := s.ChampionRanks(ctx, r.Kind, r.Platform, r.Staff, crm.RankDepth)
		if err != nil || !ok {
			t.Fatalf("stored ranking %s: %v %v", k, ok, err)
		}
		if diff := cmp.Diff(rows, got); diff != "" {
			t.Errorf("ranking %s differs (-whole window +stored):\n%s", k, diff)
		}
		for _, x := range got {
			if x.Gain != 0 {
				gains++
			}
		}
	}
	if gains == 0 {
		t.Error("no rising gain in any stored ranking: the world tests little")
	}
	// Rising lists of periods not stored, computed when asked.
	if cr, ok := s.(crm.ChampionsReader); ok {
		for _, o := range []crm.ChampionsOptions{
			{Now: now, Rising: true, Period: 45 * crm.Day, Top: 1000},
			{Now: now, Rising: true, Period: 200 * crm.Day, Platform: "github", IncludeStaff: true, Top: 1000},
		} {
			recent, err := s.PeriodActivities(ctx, o.Now.Add(-o.Period), o.Now, "")
			if err != nil {
				t.Fatal(err)
			}
			want := sc.Champions(d, levels, recent, o)
			got, err := sc.LoadChampions(ctx, cr, o, false)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%+v: live rising list differs (-whole period +read):\n%s", o, diff)
			}
			if len(got.Champions) == 0 {
				t.Errorf("%+v: nobody rising: the world tests little", o)
			}
		}
	} else {
		t.Logf("%T reads no champions: live rising lists not compared", s)
	}
	// Reports of periods not stored, computed when asked: from the window
	// a piece at a time when the store reads it so.
	if _, ok := s.(crm.WindowScoreReader); !ok {
		t.Logf("%T reads no window: live reports from whole periods", s)
	}
	for _, opt := range []crm.HealthOptions{
		{Now: now, Period: 45 * crm.Day}, {Now: now, Period: 200 * crm.Day, Platform: "mastodon", IncludeStaff: true},
		{Now: now.Add(-30 * crm.Day), Period: 366 * crm.Day, Platform: "github"},
	} {
		acts, err := s.PeriodActivities(ctx, opt.Now.Add(-2*opt.Period), opt.Now, "")
		if err != nil {
			t.Fatal(err)
		}
		want := crm.Health(d, acts, opt)
		got, err := crm.ReadHealth(ctx, s, opt)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%+v: live report differs (-whole period +read):\n%s", opt, diff)
		}
	}
}

// evaluationWorld is a random community of n accounts and k activities
// over two years before now: threads on every platform, replies in chains
// and before their parent, several mentions of one Mastodon status, the
// status's post and replies to its post key, a reply to itself and one to
// another platform's thread, staff and a bot.
func evaluationWorld(seed uint64, n, k int, now time.Time) ([]connectors.Account, []connectors.Activity) {
	r := rand.New(rand.NewPCG(seed, 11))
	platforms := []struct {
		platform, instance string
		threads, replies   []string
	}{
		{"github", "github.com", []string{"issue_opened", "pr_opened"}, []string{"issue_comment", "pr_review", "pr_review_comment", "pr_merged"}},
		{"discourse", "forum.test", []string{"topic_created"}, []string{"post_created", "like"}},
		{"stackoverflow", "stackoverflow.com", []string{"question"}, []string{"answer", "comment"}},
		{"mastodon", "m.test", []string{"mention", "post"}, []string{"post", "mention", "favourite"}},
	}
	var accounts []connectors.Account
	for i := range n {
		p := platforms[i%len(platforms)]
		accounts = append(accounts, connectors.Account{AccountRef: connectors.AccountRef{Platform: p.platform, Instance: p.instance, ExternalID: fmt.Sprint("u", i)},
			Username: fmt.Sprint("user", i), Staff: i%11 == 3, Bot: i == 5})
	}
	var acts []connectors.Activity
	keys := map[string]bool{}
	texts := []string{"thanks, this is great", "this is broken and awful", "see the docs", ""}
	for j := range k {
		pi := r.IntN(len(platforms))
		p := platforms[pi]
		who := accounts[pi+len(platforms)*r.IntN(n/len(platforms))]
		at := now.Add(-time.Duration(r.Float64() * r.Float64() * float64(730*24*time.Hour))).Truncate(time.Second)
		a := connectors.Activity{Platform: p.platform, Instance: p.instance, OccurredAt: at, Actor: who.AccountRef, Channel: fmt.Sprint("ch", r.IntN(5)),
			Title: fmt.Sprint("title ", j), URL: fmt.Sprint("https://", p.instance, "/", j)}
		var par *connectors.Activity
		if len(acts) > 0 && r.IntN(3) > 0 {
			// Mostly a recent one of the platform: chains.
			for range 20 {
				c := &acts[len(acts)-1-r.IntN(min(len(acts), 40))]
				if c.Platform == p.platform || r.IntN(30) == 0 {
					par = c
					break
				}
			}
		}
		if par == nil {
			a.Type = p.threads[r.IntN(len(p.threads))]
		} else {
			a.Type = p.replies[r.IntN(len(p.replies))]
			a.ParentKey = par.Key
			if par.Type == "mention" && r.IntN(2) == 0 {
				a.ParentKey = statusPost(par.Key)
			}
			if par.OccurredAt.After(a.OccurredAt) && r.IntN(5) > 0 {
				a.OccurredAt = par.OccurredAt.Add(time.Duration(r.IntN(5000)) * time.Minute)
				if !a.OccurredAt.Before(now) {
					a.OccurredAt = now.Add(-time.Minute)
				}
			}
		}
		switch {
		case a.Type == "mention":
			a.Key = fmt.Sprintf("mastodon/m.test/mention/%d:acct%d@m.test", r.IntN(k/4+1), r.IntN(3))
		case p.platform == "mastodon":
			a.Key = fmt.Sprintf("mastodon/m.test/%s/%d", a.Type, r.IntN(k/4+1))
		default:
			a.Key = fmt.Sprintf("%s/%s/%s/%d", p.platform, p.instance, a.Type, j)
		}
		if r.IntN(60) == 0 && a.ParentKey != "" {
			a.ParentKey = a.Key // answers itself
		}
		if keys[a.Key] {
			continue
		}
		keys[a.Key] = true
		if a.Type != "favourite" && a.Type != "like" {
			a.Reactions = &connectors.Reactions{Total: r.IntN(6) - 1}
			a.Text = texts[r.IntN(len(texts))]
		}
		acts = append(acts, a)
	}
	return accounts, acts
}

// statusPost is the post key of a Mastodon mention's status.
func statusPost(mention string) string {
	var id string
	if _, err := fmt.Sscanf(mention, "mastodon/m.test/mention/%s", &id); err != nil {
		return mention
	}
	for i := range id {
		if id[i] == ':' {
			id = id[:i]
			break
		}
	}
	return "mastodon/m.test/post/" + id
}
