package sqlite_test

import (
	"bytes"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
)

// engagementRow is what the store keeps of an activity's counts and text.
type engagementRow struct {
	total     sql.NullInt64
	reactions string
	text      string
}

func readEngagement(t *testing.T, path, key string) (engagementRow, int) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var r engagementRow
	if err := db.QueryRowContext(t.Context(), `SELECT reactions_total, reactions, text FROM activities WHERE key = ?`, key).
		Scan(&r.total, &r.reactions, &r.text); err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	var n int
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM activities WHERE key = ?`, key).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return r, n
}

// TestApplyUpdatesEngagement: counts and excerpts of a known activity
// follow a later batch, the activity is not duplicated, a batch without
// counts or text leaves them, and re-applying a batch changes nothing.
func TestApplyUpdatesEngagement(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "rollcall.db")
	s := open(t, path)
	defer s.Close()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	ref := connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: "1"}
	const key = "github/github.com/issue_opened/1"
	act := func(r *connectors.Reactions, text string) connectors.Batch {
		return connectors.Batch{Activities: []connectors.Activity{{
			Key: key, Platform: "github", Instance: "github.com", Type: "issue_opened",
			OccurredAt: now, Actor: ref, Reactions: r, Text: text,
		}}}
	}
	for i, step := range []struct {
		name    string
		batch   connectors.Batch
		newActs int
		want    engagementRow
	}{
		{"first", act(&connectors.Reactions{Total: 3, ByKind: map[string]int{"+1": 2, "heart": 1}}, "it breaks"), 1,
			engagementRow{sql.NullInt64{Int64: 3, Valid: true}, `{"+1":2,"heart":1}`, "it breaks"}},
		{"replay", act(&connectors.Reactions{Total: 3, ByKind: map[string]int{"heart": 1, "+1": 2}}, "it breaks"), 0,
			engagementRow{sql.NullInt64{Int64: 3, Valid: true}, `{"+1":2,"heart":1}`, "it breaks"}},
		{"newer counts and edited text", act(&connectors.Reactions{Total: 4, ByKind: map[string]int{"+1": 3, "heart": 1}}, "it breaks on arm64"), 0,
			engagementRow{sql.NullInt64{Int64: 4, Valid: true}, `{"+1":3,"heart":1}`, "it breaks on arm64"}},
		{"no counts, no text", act(nil, ""), 0,
			engagementRow{sql.NullInt64{Int64: 4, Valid: true}, `{"+1":3,"heart":1}`, "it breaks on arm64"}},
		{"counts fall to zero", act(&connectors.Reactions{}, ""), 0,
			engagementRow{sql.NullInt64{Int64: 0, Valid: true}, "", "it breaks on arm64"}},
		{"negative score", act(&connectors.Reactions{Total: -2, ByKind: map[string]int{connectors.ReactionScore: -2}}, ""), 0,
			engagementRow{sql.NullInt64{Int64: -2, Valid: true}, `{"score":-2}`, "it breaks on arm64"}},
	} {
		res, err := s.Apply(ctx, "gh", step.batch)
		if err != nil {
			t.Fatalf("%d %s: %v", i, step.name, err)
		}
		if res.NewActivities != step.newActs {
			t.Errorf("%s: %d new activities, want %d", step.name, res.NewActivities, step.newActs)
		}
		got, n := readEngagement(t, path, key)
		if got != step.want || n != 1 {
			t.Errorf("%s: stored %+v (%d rows), want %+v (1 row)", step.name, got, n, step.want)
		}
	}
}

// TestReplayChangesNothing: re-applying a batch with counts and text writes
// no row (SQLite's total_changes stays put).
func TestReplayChangesNothing(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "rollcall.db")
	s := open(t, path)
	defer s.Close()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	ref := connectors.AccountRef{Platform: "mastodon", Instance: "m.example", ExternalID: "9"}
	b := connectors.Batch{Activities: []connectors.Activity{{
		Key: "mastodon/m.example/post/1", Platform: "mastodon", Instance: "m.example", Type: "post",
		OccurredAt: now, Actor: ref, Text: "hello", Reactions: connectors.ReactionsOf(map[string]int{connectors.ReactionFavourite: 2}),
	}}, Next: connectors.Cursor{State: []byte(`{}`)}}
	if _, err := s.Apply(ctx, "m", b); err != nil {
		t.Fatal(err)
	}
	before := dataVersion(t, path)
	if _, err := s.Apply(ctx, "m", b); err != nil {
		t.Fatal(err)
	}
	if after := dataVersion(t, path); after != before {
		t.Errorf("replay changed the activities: %q, was %q", after, before)
	}
}

// dataVersion is a digest of every stored activity column.
func dataVersion(t *testing.T, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	if err := db.QueryRowContext(t.Context(), `SELECT group_concat(key || '|' || ingested_at || '|' || coalesce(reactions_total, 'null') || '|' || reactions || '|' || text, ';') FROM activities`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// fileContains reports which of the store's files (.db, -wal, -shm) hold s.
func fileContains(t *testing.T, path, s string) []string {
	t.Helper()
	var in []string
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		raw, err := os.ReadFile(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte(s)) {
			in = append(in, filepath.Base(f))
		}
	}
	return in
}

// TestDeleteTextLeavesNoTrace: DeleteText (privacy.keep_text: false at
// start-up) blanks every excerpt in one UPDATE, keeps the activities and
// their counts, and leaves no excerpt in the database files.
func TestDeleteTextLeavesNoTrace(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "rollcall.db")
	s := open(t, path)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	ref := connectors.AccountRef{Platform: "discourse", Instance: "forum.example", ExternalID: "5"}
	const secret = "qwzx private excerpt words"
	var acts []connectors.Activity
	for i := range 3 {
		acts = append(acts, connectors.Activity{
			Key: "discourse/forum.example/post_created/" + strconv.Itoa(i), Platform: "discourse", Instance: "forum.example",
			Type: "post_created", OccurredAt: now, Actor: ref, Text: secret + " " + strconv.Itoa(i),
			Reactions: connectors.ReactionsOf(map[string]int{connectors.ReactionLike: i + 1}),
		})
	}
	acts = append(acts, connectors.Activity{Key: "discourse/forum.example/like/9", Platform: "discourse", Instance: "forum.example",
		Type: "like", OccurredAt: now, Actor: ref})
	if _, err := s.Apply(ctx, "forum", connectors.Batch{Activities: acts}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if in := fileContains(t, path, secret); len(in) == 0 {
		t.Fatal("the excerpt is not in the files before DeleteText: the check below proves nothing")
	}
	s = open(t, path)
	n, err := s.DeleteText(ctx)
	if err != nil || n != 3 {
		t.Fatalf("DeleteText = %d, %v; want 3, nil", n, err)
	}
	if n, err := s.DeleteText(ctx); err != nil || n != 0 {
		t.Errorf("second DeleteText = %d, %v; want 0, nil", n, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if in := fileContains(t, path, "qwzx private"); len(in) != 0 {
		t.Errorf("an excerpt is still in %v", in)
	}
	for i := range 3 {
		got, rows := readEngagement(t, path, "discourse/forum.example/post_created/"+strconv.Itoa(i))
		if rows != 1 || got.text != "" || got.total.Int64 != int64(i+1) {
			t.Errorf("activity %d after DeleteText: %+v (%d rows), want no text, %d likes", i, got, rows, i+1)
		}
	}
}
