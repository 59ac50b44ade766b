package sqlite_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
)

// fastPlatforms are the platforms of the generated community, with the
// types its members do there: threads, replies to them, and the rest.
var fastPlatforms = []struct {
	platform, instance string
	threads, replies   []string
	others             []string
}{
	{"github", "github.com", []string{"issue_opened", "pr_opened"}, []string{"issue_comment", "pr_review", "pr_review_comment"}, []string{"star", "commit", "pr_merged"}},
	{"mastodon", "m.example", []string{"post"}, []string{"post"}, []string{"boost", "favourite", "follow"}},
	{"discourse", "d.example", []string{"topic_created"}, []string{"post_created"}, []string{"like", "solution_accepted"}},
	{"stackoverflow", "stackoverflow.com", []string{"question"}, []string{"answer", "comment"}, []string{"answer_accepted"}},
}

var fastTexts = []string{"Thanks, this is great!", "This is broken and I hate it.", "See the docs.", "", "Love it, awesome work", "meh"}

// fastCommunity is a generated community of n accounts (a few staff, a
// bot, some with a second account merged later) with k activities over
// the two years before now: threads, replies to earlier threads and
// replies (some by the thread's author), reactions and texts.
func fastCommunity(seed uint64, n, k int, now time.Time) (accounts []connectors.Account, acts []connectors.Activity) {
	r := rand.New(rand.NewPCG(seed, 7))
	for i := range n {
		p := fastPlatforms[i%len(fastPlatforms)]
		a := connectors.Account{AccountRef: connectors.AccountRef{Platform: p.platform, Instance: p.instance, ExternalID: fmt.Sprint("u", i)},
			Username: fmt.Sprint("user", i), Staff: i%17 == 3, Bot: i == 5, Followers: i % 7}
		accounts = append(accounts, a)
	}
	var threads [4][]string
	var replies [4][]string
	for j := range k {
		// Skewed towards low accounts and towards recent times.
		who := accounts[(r.IntN(n)*r.IntN(n))/n]
		pi := slices.IndexFunc(fastPlatforms, func(p struct {
			platform, instance string
			threads, replies   []string
			others             []string
		}) bool {
			return p.platform == who.Platform
		})
		p := fastPlatforms[pi]
		age := time.Duration(r.Float64() * r.Float64() * float64(730*24*time.Hour))
		at := now.Add(-age).Truncate(time.Second)
		if j%50 == 0 {
			at = now.Add(-time.Duration(r.IntN(48)) * time.Hour) // the last hours too
		}
		a := connectors.Activity{Platform: p.platform, Instance: p.instance, OccurredAt: at, Actor: who.AccountRef,
			Channel: fmt.Sprint("ch", r.IntN(6)), Title: fmt.Sprint("title ", j), URL: fmt.Sprint("https://", p.instance, "/", j)}
		switch x := r.IntN(10); {
		case x < 3 || len(threads[pi]) == 0:
			a.Type = p.threads[r.IntN(len(p.threads))]
		case x < 7:
			a.Type = p.replies[r.IntN(len(p.replies))]
			if r.IntN(4) == 0 && len(replies[pi]) > 0 {
				a.ParentKey = replies[pi][r.IntN(len(replies[pi]))]
			} else {
				a.ParentKey = threads[pi][r.IntN(len(threads[pi]))]
			}
		default:
			a.Type = p.others[r.IntN(len(p.others))]
		}
		a.Key = fmt.Sprintf("%s/%s/%s/%d", p.platform, p.instance, a.Type, j)
		if a.Type != "star" && a.Type != "follow" && a.Type != "boost" && a.Type != "favourite" && a.Type != "like" {
			a.Reactions = &connectors.Reactions{Total: r.IntN(5)}
			a.Text = fastTexts[r.IntN(len(fastTexts))]
		}
		if a.ParentKey == "" && slices.Contains(p.threads, a.Type) {
			threads[pi] = append(threads[pi], a.Key)
		} else if a.ParentKey != "" {
			replies[pi] = append(replies[pi], a.Key)
		}
		acts = append(acts, a)
	}
	return accounts, acts
}

// fastStore stores accounts and acts (in batches of batch, in the given
// order), gives every account a member, merges a few second accounts and
// marks a member staff.
func fastStore(t testing.TB, accounts []connectors.Account, acts []connectors.Activity, batch int) *sqlite.Store {
	t.Helper()
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "rollcall.db"))
	t.Cleanup(func() { s.Close() })
	if _, err := s.Apply(ctx, "src", connectors.Batch{Accounts: accounts}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(acts); i += batch {
		if _, err := s.Apply(ctx, "src", connectors.Batch{Activities: acts[i:min(i+batch, len(acts))]}); err != nil {
			t.Fatal(err)
		}
	}
	resolveAll(t, s)
	member := func(a connectors.Account) int64 {
		id, err := s.IdentityByRef(ctx, a.AccountRef)
		if err != nil {
			t.Fatal(err)
		}
		return id.MemberID
	}
	if len(accounts) > 20 {
		var ms []crm.MemberMerge
		for _, p := range [][2]int{{0, 1}, {4, 6}, {8, 11}} {
			ms = append(ms, crm.MemberMerge{Into: member(accounts[p[0]]), From: member(accounts[p[1]]), Reason: "test"})
		}
		if err := s.MergeMembers(ctx, ms); err != nil {
			t.Fatal(err)
		}
		if err := s.SetMark(ctx, member(accounts[9]), crm.MarkStaff, "test", "works here"); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// fullChampions and fullHealth are the full computations: every member's
// tallies and every activity of the period, read in full.
func fullChampions(t *testing.T, s *sqlite.Store, sc crm.Scoring, o crm.ChampionsOptions) crm.ChampionsList {
	t.Helper()
	ctx := t.Context()
	d, err := s.ScoreData(ctx)
	if err != nil {
		t.Fatal(err)
	}
	levels, err := s.Levels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	recent, err := s.PeriodActivities(ctx, o.Now.Add(-o.Period), o.Now, "")
	if err != nil {
		t.Fatal(err)
	}
	return sc.Champions(d, levels, recent, o)
}

func fullHealth(t *testing.T, s *sqlite.Store, o crm.HealthOptions) crm.HealthReport {
	t.Helper()
	d, err := s.ScoreData(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	acts, err := s.PeriodActivities(t.Context(), o.Now.Add(-2*o.Period), o.Now, o.Platform)
	if err != nil {
		t.Fatal(err)
	}
	return crm.Health(d, acts, o)
}

// TestFastPathsEqualFullComputation: the rising list and the health
// report computed live from the lean reads (only the members active in the
// period get their tallies read; health reads no tallies and only the top
// threads' titles) equal the full computation exactly, for several periods,
// platforms, with and without staff, on hand-made data and on a generated
// community, before and after a level evaluation; and a store filled in
// another order and batching gives the same lists and reports.
func TestFastPathsEqualFullComputation(t *testing.T) {
	ctx := t.Context()
	sc := crm.DefaultScoring()
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	w := crm.WeekOf(now)
	handAccounts := []connectors.Account{}
	handActs := append(weekly("1", w-11, 12, 3), weekly("2", w-5, 6, 1)...)
	for _, a := range scoreWorld() {
		a.OccurredAt = now.Add(-a.OccurredAt.Sub(time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC)) / 4) // within the last 20 days
		handActs = append(handActs, a)
	}
	// Accounts first, so that both stores number identities alike.
	for _, a := range handActs {
		if !slices.ContainsFunc(handAccounts, func(b connectors.Account) bool { return b.AccountRef == a.Actor }) {
			handAccounts = append(handAccounts, connectors.Account{AccountRef: a.Actor, Username: "user" + a.Actor.ExternalID})
		}
	}
	genAccounts, genActs := fastCommunity(1, 60, 1500, now)
	periods := []time.Duration{36 * time.Hour, 7 * 24 * time.Hour, crm.DefaultRisingPeriod, 90 * 24 * time.Hour, 365 * 24 * time.Hour}
	for _, world := range []struct {
		name     string
		accounts []connectors.Account
		acts     []connectors.Activity
	}{{"hand-made", handAccounts, handActs}, {"generated", genAccounts, genActs}} {
		t.Run(world.name, func(t *testing.T) {
			s := fastStore(t, world.accounts, world.acts, len(world.acts))
			order := slices.Clone(world.acts)
			rand.New(rand.NewPCG(5, 6)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			shuffled := fastStore(t, world.accounts, order, 37)
			listed := 0
			for round, at := range []time.Time{now, now.Add(-3 * 24 * time.Hour)} {
				if round == 1 {
					// Stored levels (a later "now" than the lists: levels as
					// of then); the default period is stored, the others not.
					for _, st := range []*sqlite.Store{s, shuffled} {
						if _, err := st.EvaluateLevels(ctx, sc, now, false); err != nil {
							t.Fatal(err)
						}
					}
				}
				for _, period := range periods {
					for _, p := range append([]string{""}, crm.HealthPlatforms...) {
						for _, staff := range []bool{false, true} {
							name := fmt.Sprintf("round %d period %v platform %q staff %v", round, period, p, staff)
							if p != "git" {
								o := crm.ChampionsOptions{Now: at, Rising: true, Period: period, Platform: p, IncludeStaff: staff, Top: 1000}
								want := fullChampions(t, s, sc, o)
								if round == 1 && crm.StoredPeriod(period) {
									o.Top = crm.RankDepth + 1 // not the stored ranking
								}
								got, err := sc.LoadChampions(ctx, s, o, false)
								if err != nil {
									t.Fatal(err)
								}
								if diff := cmp.Diff(want, got); diff != "" {
									t.Errorf("%s: rising differs (-full +fast):\n%s", name, diff)
								}
								// The same with the members scanned rather than looked up.
								s.SetLookupMost(-1)
								scanned, err := sc.LoadChampions(ctx, s, o, false)
								s.SetLookupMost(0)
								if err != nil {
									t.Fatal(err)
								}
								if diff := cmp.Diff(want, scanned); diff != "" {
									t.Errorf("%s: rising from scans differs (-full +fast):\n%s", name, diff)
								}
								other, err := sc.LoadChampions(ctx, shuffled, o, false)
								if err != nil {
									t.Fatal(err)
								}
								if diff := cmp.Diff(jsonOf(t, got), jsonOf(t, other)); diff != "" {
									t.Errorf("%s: rising depends on the order of the activities (-in order +shuffled):\n%s", name, diff)
								}
								listed += len(got.Champions)
							}
							ho := crm.HealthOptions{Now: at, Period: period, Platform: p, IncludeStaff: staff}
							want := fullHealth(t, s, ho)
							// After the evaluation the stored periods have stored
							// reports (as of its time: TestStoredHealthEqualsLive);
							// the live computation is asked past them.
							var live, liveShuffled crm.ScoreReader = s, shuffled
							if round == 1 && crm.StoredPeriod(period) {
								live, liveShuffled = noStoredHealth{s}, noStoredHealth{shuffled}
							}
							got, err := crm.ReadHealth(ctx, live, ho)
							if err != nil {
								t.Fatal(err)
							}
							if diff := cmp.Diff(want, got); diff != "" {
								t.Errorf("%s: health differs (-full +fast):\n%s", name, diff)
							}
							other, err := crm.ReadHealth(ctx, liveShuffled, ho)
							if err != nil {
								t.Fatal(err)
							}
							if diff := cmp.Diff(jsonOf(t, got), jsonOf(t, other)); diff != "" {
								t.Errorf("%s: health depends on the order of the activities (-in order +shuffled):\n%s", name, diff)
							}
						}
					}
				}
			}
			t.Logf("%d rising entries compared", listed)
			if listed == 0 {
				t.Error("no rising member in any list: the comparison compared nothing")
			}
		})
	}
}

// noStoredHealth is a store whose stored health reports are not found:
// ReadHealth then computes the report live (from the lean reads).
type noStoredHealth struct{ *sqlite.Store }

func (noStoredHealth) StoredHealth(context.Context, string, bool, time.Duration) (crm.HealthReport, bool, error) {
	return crm.HealthReport{}, false, nil
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
