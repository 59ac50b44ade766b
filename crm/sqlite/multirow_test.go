package sqlite_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm/sqlite/storefault"
)

// TestApplyMultiRowAsOneAtATime: a batch of many activities (more than
// one multi-row statement holds, replies before and after their parents
// across statements, keys repeated in the batch with other counts and
// texts, keys stored by an earlier batch), then one of much evidence
// (repeated, known), store what the same activities and evidence store
// applied one batch each, in the same order.
func TestApplyMultiRowAsOneAtATime(t *testing.T) {
	ctx := t.Context()
	gh := func(id int) connectors.AccountRef {
		return connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: fmt.Sprint(id)}
	}
	t0 := time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC)
	key := func(i int) string { return fmt.Sprintf("github/github.com/issue_comment/%d", i) }
	var acts []connectors.Activity
	for i := range 700 {
		a := connectors.Activity{Key: key(i), Platform: "github", Instance: "github.com", Type: "issue_comment",
			OccurredAt: t0.Add(time.Duration(i) * time.Minute), Actor: gh(i % 37), Channel: fmt.Sprint("o/", i%5),
			Text: fmt.Sprintf("comment %d is great", i)}
		if i%3 != 0 {
			a.ParentKey = key((i * 7919) % 700) // before or after it, in this statement or another
		}
		if i%4 == 0 {
			a.Reactions = &connectors.Reactions{Total: i % 9, ByKind: map[string]int{"+1": i % 9}}
		}
		acts = append(acts, a)
	}
	// Repeats: the same key again later in the batch, with other counts
	// and an edited text, and one repeated at once.
	for _, i := range []int{3, 250, 401, 699} {
		a := acts[i]
		a.Reactions = &connectors.Reactions{Total: 40 + i%7}
		a.Text = fmt.Sprintf("comment %d, edited: awful", i)
		acts = append(acts, a)
	}
	acts = append(acts, acts[len(acts)-1])
	r := rand.New(rand.NewPCG(3, 4))
	r.Shuffle(len(acts)-5, func(i, j int) { acts[i], acts[j] = acts[j], acts[i] })
	earlier := []connectors.Activity{acts[10], acts[500]}
	earlier[1].Text = "stored before, text to change"
	// Evidence between the actors and accounts never stored, repeated in
	// the batch and stored before.
	var evidence []connectors.Evidence
	for i := range 450 {
		evidence = append(evidence, connectors.Evidence{Kind: fmt.Sprint("kind", i%3), A: gh(i % 41), B: gh((i*13 + 1) % 43)})
	}
	evidence = append(evidence, evidence[7], evidence[300])
	earlierEvidence := []connectors.Evidence{evidence[20]}

	now := func() time.Time { return t0.AddDate(1, 0, 0) }
	build := func(batches []connectors.Batch, keepText bool) (string, int) {
		path := filepath.Join(t.TempDir(), "rollcall.db")
		s := open(t, path)
		defer s.Close()
		s.Now = now
		s.SetKeepText(keepText)
		if _, err := s.Apply(ctx, "gh", connectors.Batch{Activities: earlier, Evidence: earlierEvidence}); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, b := range batches {
			res, err := s.Apply(ctx, "gh", b)
			if err != nil {
				t.Fatal(err)
			}
			n += res.NewActivities
		}
		return path, n
	}
	var single []connectors.Batch
	for _, a := range acts {
		single = append(single, connectors.Batch{Activities: []connectors.Activity{a}})
	}
	for _, e := range evidence {
		single = append(single, connectors.Batch{Evidence: []connectors.Evidence{e}})
	}
	for _, keepText := range []bool{true, false} {
		wantPath, wantNew := build(single, keepText)
		gotPath, gotNew := build([]connectors.Batch{{Activities: acts}, {Evidence: evidence}}, keepText)
		if gotNew != wantNew || wantNew != 698 {
			t.Errorf("keep text %v: new activities: %d in one batch, %d one at a time, want 698", keepText, gotNew, wantNew)
		}
		compare(t, keepText, wantPath, gotPath)
	}
}

// compare reports how the activities, interactions, identity stats,
// evidence and dirty marks of two stores differ.
func compare(t *testing.T, keepText bool, wantPath, gotPath string) {
	t.Helper()
	queries := []string{
		`SELECT key || '|' || type || '|' || occurred_at || '|' || i.external_id || '|' || parent_key || '|' || channel || '|' ||
			ifnull(reactions_total, 'null') || '|' || reactions || '|' || text || '|' || ifnull(sentiment, 'null') || '|' || ingested_at
			FROM activities a JOIN identities i ON i.id = a.identity_id`,
		`SELECT f.external_id || '→' || t.external_id || ' ' || n || ' ' || last_at FROM interactions
			JOIN identities f ON f.id = from_identity JOIN identities t ON t.id = to_identity`,
		`SELECT external_id || ' ' || activity_count || ' ' || ifnull(first_activity_at, '') || ' ' || ifnull(last_activity_at, '') FROM identities`,
		`SELECT kind || ' ' || a_ref || ' ' || b_ref || ' ' || observed_at FROM evidence`,
		`SELECT i.external_id || ' ' || d.gen FROM identity_dirty d JOIN identities i ON i.id = d.identity_id`,
	}
	want, got := storefault.Lines(t, wantPath, queries...), storefault.Lines(t, gotPath, queries...)
	for i, q := range []string{"activities", "interactions", "identity stats", "evidence", "dirty marks"} {
		if len(want[i]) == 0 {
			t.Errorf("no %s", q)
		}
		if d := cmp.Diff(want[i], got[i]); d != "" {
			t.Errorf("keep text %v: %s differ (-one at a time +one batch):\n%s", keepText, q, d)
		}
	}
	if len(want[1]) < 30 {
		t.Errorf("only %d interactions: the test makes too few", len(want[1]))
	}
}
