package sqlite_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
)

// TestKeepTextFalseKeepsSentiment: with SetKeepText(false) the excerpt is
// not stored but its sentiment is; with the default both are.
func TestKeepTextFalseKeepsSentiment(t *testing.T) {
	for _, keep := range []bool{true, false} {
		t.Run(fmt.Sprint("keep=", keep), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "rollcall.db")
			s := open(t, path)
			defer s.Close()
			s.SetKeepText(keep)
			ref := connectors.AccountRef{Platform: "mastodon", Instance: "m.example", ExternalID: "1"}
			b := connectors.Batch{Activities: []connectors.Activity{
				{Key: "mastodon/m.example/post/1", Platform: "mastodon", Instance: "m.example", Type: "post",
					OccurredAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Actor: ref, Text: "I love this project, thank you!"},
				{Key: "mastodon/m.example/post/2", Platform: "mastodon", Instance: "m.example", Type: "post",
					OccurredAt: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), Actor: ref},
			}}
			if _, err := s.Apply(t.Context(), "m", b); err != nil {
				t.Fatal(err)
			}
			got, err := s.PeriodActivities(t.Context(), time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "")
			if err != nil {
				t.Fatal(err)
			}
			slices.SortFunc(got, func(a, b crm.PeriodActivity) int { return cmpString(a.Key, b.Key) })
			if len(got) != 2 || got[0].Sentiment == nil || *got[0].Sentiment < 0.5 || got[1].Sentiment != nil {
				t.Fatalf("sentiments = %+v", got)
			}
			// An edited post is scored again; one read again unchanged
			// keeps its score.
			for _, tt := range []struct {
				text     string
				negative bool
			}{{"This is terrible, I hate it.", true}, {"This is terrible, I hate it.", true}} {
				e := b
				e.Activities = []connectors.Activity{b.Activities[0]}
				e.Activities[0].Text = tt.text
				if _, err := s.Apply(t.Context(), "m", e); err != nil {
					t.Fatal(err)
				}
				got, err := s.PeriodActivities(t.Context(), time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC), "")
				if err != nil || len(got) != 1 || got[0].Sentiment == nil || (*got[0].Sentiment < 0) != tt.negative {
					t.Fatalf("after editing to %q: %+v, %v", tt.text, got, err)
				}
			}
			// Back to the first text for the checks below.
			if _, err := s.Apply(t.Context(), "m", connectors.Batch{Activities: b.Activities[:1]}); err != nil {
				t.Fatal(err)
			}
			row, _ := readEngagement(t, path, "mastodon/m.example/post/1")
			want := ""
			if keep {
				want = "I love this project, thank you!"
			}
			if row.text != want {
				t.Errorf("stored text %q, want %q", row.text, want)
			}
		})
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// scoreWorld is activities of a few identities on two platforms with
// replies between them, some replies listed before their parents.
func scoreWorld() []connectors.Activity {
	gh := func(id string) connectors.AccountRef {
		return connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: id}
	}
	t0 := time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC)
	var acts []connectors.Activity
	add := func(typ, id string, actor connectors.AccountRef, days int, channel, parent string) {
		acts = append(acts, connectors.Activity{Key: "github/github.com/" + typ + "/" + id, Platform: "github", Instance: "github.com",
			Type: typ, OccurredAt: t0.AddDate(0, 0, days), Actor: actor, Channel: channel, ParentKey: parent})
	}
	for i := range 6 {
		issue := fmt.Sprint("i", i)
		add("issue_opened", issue, gh("1"), i*10, "o/a", "")
		add("issue_comment", issue+"c", gh("2"), i*10+1, "o/a", "github/github.com/issue_opened/"+issue)
		add("issue_comment", issue+"d", gh("3"), i*10+2, "o/b", "github/github.com/issue_opened/"+issue)
		add("star", issue, gh("3"), i*10+3, fmt.Sprint("o/s", i), "")
	}
	add("pr_opened", "p1", gh("2"), 5, "o/a", "")
	add("pr_review", "r1", gh("1"), 6, "o/a", "github/github.com/pr_opened/p1")
	add("pr_merged", "p1", gh("1"), 7, "o/a", "github/github.com/pr_opened/p1")
	// A reply to an activity that is never stored makes no edge.
	add("issue_comment", "orphan", gh("2"), 8, "o/a", "github/github.com/issue_opened/gone")
	return acts
}

// scoreState reads what the store keeps for scoring, ids replaced by
// external ids so that two stores compare.
func scoreState(t *testing.T, s *sqlite.Store) (map[string]crm.ScoreIdentity, map[[2]string]crm.Interaction) {
	t.Helper()
	d, err := s.ScoreData(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ext := map[int64]string{}
	for _, x := range []string{"1", "2", "3"} {
		ident, err := s.IdentityByRef(t.Context(), connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: x})
		if err != nil {
			t.Fatal(err)
		}
		ext[ident.ID] = x
	}
	ids := map[string]crm.ScoreIdentity{}
	for _, m := range d.Members {
		for _, id := range m.Identities {
			x := ext[id.ID]
			id.ID = 0
			ids[x] = id
		}
	}
	edges := map[[2]string]crm.Interaction{}
	for _, e := range d.Interactions {
		k := [2]string{ext[e.From], ext[e.To]}
		e.From, e.To = 0, 0
		edges[k] = e
	}
	return ids, edges
}

// TestScoreInputsKeptByApply: what Apply keeps for scoring does not depend
// on the order or the batching of the activities (replies before parents
// included), equals a rebuild from the activities, and replaying changes
// nothing.
func TestScoreInputsKeptByApply(t *testing.T) {
	ctx := t.Context()
	acts := scoreWorld()
	build := func(order []connectors.Activity, batch int) *sqlite.Store {
		s := open(t, filepath.Join(t.TempDir(), "rollcall.db"))
		t.Cleanup(func() { s.Close() })
		for i := 0; i < len(order); i += batch {
			b := connectors.Batch{Activities: order[i:min(i+batch, len(order))]}
			if _, err := s.Apply(ctx, "gh", b); err != nil {
				t.Fatal(err)
			}
		}
		resolveAll(t, s)
		return s
	}
	ref := build(acts, len(acts))
	wantIDs, wantEdges := scoreState(t, ref)

	// Known answers: identity 1 opened 6 issues, reviewed and merged a PR.
	one := wantIDs["1"]
	if one.Tallies["issue_opened"].Count != 6 || one.Tallies["pr_review"].Count != 1 || one.Tallies["pr_merged"].Count != 1 {
		t.Errorf("tallies of 1 = %+v", one.Tallies)
	}
	if got := len(wantIDs["3"].Channels); got != 7 {
		t.Errorf("channels of 3 = %v, want o/b and o/s0..o/s5: %d", wantIDs["3"].Channels, got)
	}
	if e := wantEdges[[2]string{"2", "1"}]; e.N != 6 {
		t.Errorf("2 answered 1 %d times, want 6 (%+v)", e.N, wantEdges)
	}
	if e := wantEdges[[2]string{"1", "2"}]; e.N != 2 {
		t.Errorf("1 helped 2 %d times (review and merge), want 2", e.N)
	}
	if len(wantEdges) != 3 {
		t.Errorf("edges = %v, want 2→1, 3→1, 1→2", wantEdges)
	}
	// A decayed count can be checked by hand: one activity, then 3 months.
	at := acts[0].OccurredAt
	tl := crm.Tally{}
	tl.Add(at, sqlite.DefaultDecay)
	if got, want := tl.Decayed(at.Add(3*crm.Month), sqlite.DefaultDecay), 0.729; math.Abs(got-want) > 1e-9 {
		t.Errorf("decayed after 3 months = %v, want %v", got, want)
	}

	opts := cmp.Options{cmpopts.EquateApprox(1e-9, 0), cmpopts.EquateEmpty()}
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 4 {
		order := slices.Clone(acts)
		r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		s := build(order, 1+trial*3)
		// Replay everything once more: no change.
		if _, err := s.Apply(ctx, "gh", connectors.Batch{Activities: order}); err != nil {
			t.Fatal(err)
		}
		ids, edges := scoreState(t, s)
		if d := cmp.Diff(wantIDs, ids, opts); d != "" {
			t.Errorf("trial %d: identity scores differ (-in order +shuffled):\n%s", trial, d)
		}
		if d := cmp.Diff(wantEdges, edges, opts); d != "" {
			t.Errorf("trial %d: interactions differ (-in order +shuffled):\n%s", trial, d)
		}
	}

	// A rebuild (another decay, then back) gives the same.
	if err := ref.SetDecay(ctx, 0.8); err != nil {
		t.Fatal(err)
	}
	ids08, _ := scoreState(t, ref)
	if ids08["1"].Tallies["issue_opened"].Base == wantIDs["1"].Tallies["issue_opened"].Base {
		t.Error("SetDecay(0.8) did not rebuild the bases")
	}
	if err := ref.SetDecay(ctx, 0.9); err != nil {
		t.Fatal(err)
	}
	ids, edges := scoreState(t, ref)
	if d := cmp.Diff(wantIDs, ids, opts); d != "" {
		t.Errorf("rebuilt identity scores differ:\n%s", d)
	}
	if d := cmp.Diff(wantEdges, edges, opts); d != "" {
		t.Errorf("rebuilt interactions differ:\n%s", d)
	}
}

// resolveAll gives every unassigned identity a member of its own.
func resolveAll(t testing.TB, s *sqlite.Store) {
	t.Helper()
	un, err := s.Unassigned(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var as []crm.Assignment
	for _, id := range un {
		as = append(as, crm.Assignment{IdentityID: id.ID, Reason: crm.ReasonNewAccount})
	}
	if err := s.Assign(t.Context(), as); err != nil {
		t.Fatal(err)
	}
}
