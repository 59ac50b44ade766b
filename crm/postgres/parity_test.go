package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jackc/pgx/v5"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/postgres"
	"github.com/rollcall-dev/rollcall/crm/postgres/pgtest"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
)

// parityWorld is a few accounts answering each other: replies (some
// stored before their parents when shuffled), reviews, reactions, text
// excerpts and channels.
func parityWorld() []connectors.Activity {
	t0 := time.Date(2025, 1, 6, 9, 0, 0, 123456789, time.UTC)
	who := func(id string) connectors.AccountRef {
		return connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: id}
	}
	var out []connectors.Activity
	add := func(key, typ, actor, parent, channel, text string, h int, r *connectors.Reactions) {
		out = append(out, connectors.Activity{Key: "github/github.com/" + key, Platform: "github", Instance: "github.com",
			Type: typ, OccurredAt: t0.Add(time.Duration(h) * time.Hour), Actor: who(actor), Channel: channel,
			ParentKey: parentKey(parent), Text: text, Reactions: r})
	}
	for i := range 6 {
		issue := fmt.Sprintf("issue/%d", i)
		add(issue, "issue_opened", "1", "", fmt.Sprintf("o/s%d", i), "This is broken and I am sad", i*200, &connectors.Reactions{Total: i, ByKind: map[string]int{"+1": i}})
		add(issue+"/c1", "issue_comment", "2", issue, fmt.Sprintf("o/s%d", i), "Thanks, great catch! Fixed.", i*200+3, nil)
		if i%2 == 0 {
			add(issue+"/c2", "issue_comment", "3", issue, "o/b", "", i*200+5, &connectors.Reactions{Total: 0})
		}
	}
	add("pr/1", "pr_opened", "2", "", "o/b", "Add the thing", 900, nil)
	add("pr/1/r", "pr_review", "1", "pr/1", "o/b", "Looks good to me", 901, nil)
	add("pr/1/m", "pr_merged", "1", "pr/1", "o/b", "", 902, nil)
	add("issue/0/c3", "issue_comment", "1", "issue/0", "o/s0", "self reply", 903, nil)
	return out
}

func parentKey(p string) string {
	if p == "" {
		return ""
	}
	return "github/github.com/" + p
}

// scoreRows are the Apply-time score inputs of a store, keyed by account
// and activity keys so that stores with other ids compare.
type scoreRows struct {
	Scores       map[string]score     // by external id
	Interactions map[string][2]string // "from>to" -> n, last_at
	Activities   map[string][5]string // key -> sentiment, text, reactions_total, reactions, occurred_at
}

const (
	scoresQuery = `SELECT i.external_id, s.tallies, s.channels, CAST(s.weeks AS TEXT), CAST(s.weeks_at AS TEXT), CAST(s.months AS TEXT), CAST(s.months_at AS TEXT)
		FROM identity_scores s JOIN identities i ON i.id = s.identity_id`
	edgesQuery = `SELECT f.external_id || '>' || t.external_id, CAST(x.n AS TEXT), x.last_at
		FROM interactions x JOIN identities f ON f.id = x.from_identity JOIN identities t ON t.id = x.to_identity`
	actsQuery = `SELECT key, COALESCE(CAST(ROUND(CAST(sentiment AS NUMERIC), 9) AS TEXT), 'NULL'), text,
		COALESCE(CAST(reactions_total AS TEXT), 'NULL'), reactions, occurred_at FROM activities`
)

// rowScanner is what both *sql.Rows and pgx.Rows offer.
type rowScanner interface {
	Next() bool
	Scan(dest ...any) error
}

func collect(t *testing.T, rows rowScanner, n int, put func([]string)) {
	t.Helper()
	for rows.Next() {
		v := make([]string, n)
		dest := make([]any, n)
		for i := range v {
			dest[i] = &v[i]
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		put(v)
	}
}

// score is one identity_scores row: the tallies decoded (their float sums
// depend on the order activities came in), the rest as stored.
type score struct {
	Tallies map[string]crm.Tally
	Rest    [5]string // channels, weeks, weeks_at, months, months_at
}

func mkScore(t *testing.T, v []string) score {
	tl, err := crm.DecodeTallies(v[1])
	if err != nil {
		t.Fatal(err)
	}
	return score{Tallies: tl, Rest: [5]string(v[2:])}
}

func newScoreRows() scoreRows {
	return scoreRows{Scores: map[string]score{}, Interactions: map[string][2]string{}, Activities: map[string][5]string{}}
}

func sqliteRows(t *testing.T, path string) scoreRows {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := newScoreRows()
	for q, put := range map[string]func([]string){
		scoresQuery: func(v []string) { out.Scores[v[0]] = mkScore(t, v) },
		edgesQuery:  func(v []string) { out.Interactions[v[0]] = [2]string(v[1:]) },
		// SQLite has no NUMERIC rounding: round in Go below.
		`SELECT key, CASE WHEN sentiment IS NULL THEN 'NULL' ELSE printf('%.9f', sentiment) END, text, COALESCE(CAST(reactions_total AS TEXT), 'NULL'), reactions, occurred_at FROM activities`: func(v []string) {
			out.Activities[v[0]] = [5]string(v[1:])
		},
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		n := map[string]int{scoresQuery: 7, edgesQuery: 3}[q]
		if n == 0 {
			n = 6
		}
		collect(t, rows, n, put)
		rows.Close()
	}
	return out
}

func postgresRows(t *testing.T, u string) scoreRows {
	conn, err := pgx.Connect(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	out := newScoreRows()
	for q, n := range map[string]int{scoresQuery: 7, edgesQuery: 3, actsQuery: 6} {
		rows, err := conn.Query(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		collect(t, rows, n, func(v []string) {
			switch q {
			case scoresQuery:
				out.Scores[v[0]] = mkScore(t, v)
			case edgesQuery:
				out.Interactions[v[0]] = [2]string(v[1:])
			default:
				out.Activities[v[0]] = [5]string(v[1:])
			}
		})
		rows.Close()
	}
	return out
}

// TestScoreInputsMatchSQLite: for the same activities the PostgreSQL store
// keeps the same Apply-time score inputs as the SQLite store, in the same
// text forms, whatever the order and batching of the activities (replies
// before parents included), and a replay changes nothing.
func TestScoreInputsMatchSQLite(t *testing.T) {
	ctx := t.Context()
	acts := parityWorld()
	path := filepath.Join(t.TempDir(), "rollcall.db")
	ref, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ref.Apply(ctx, "gh", connectors.Batch{Activities: acts}); err != nil {
		t.Fatal(err)
	}
	ref.Close()
	want := sqliteRows(t, path)
	if len(want.Interactions) == 0 || len(want.Scores) != 3 {
		t.Fatalf("reference store: %d edges, %d scores; the world should have both", len(want.Interactions), len(want.Scores))
	}
	// printf('%.9f') and ROUND(…, 9) write the same digits; normalise "-0".
	norm := cmp.Transformer("sentiment", func(v [5]string) [5]string {
		if v[0] == "-0.000000000" {
			v[0] = "0.000000000"
		}
		return v
	})
	r := rand.New(rand.NewPCG(3, 4))
	for trial, batch := range []int{len(acts), 1, 3, 5} {
		order := slices.Clone(acts)
		if trial > 0 {
			r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		u := pgtest.URL(t)
		s, err := postgres.Open(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(order); i += batch {
			if _, err := s.Apply(ctx, "gh", connectors.Batch{Activities: order[i:min(i+batch, len(order))]}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Apply(ctx, "gh", connectors.Batch{Activities: order}); err != nil {
			t.Fatal(err)
		}
		s.Close()
		got := postgresRows(t, u)
		if diff := cmp.Diff(want, got, norm, cmpopts.EquateEmpty(), cmpopts.EquateApprox(1e-12, 0)); diff != "" {
			t.Errorf("trial %d (batches of %d): score inputs differ from SQLite's (-sqlite +postgres):\n%s", trial, batch, diff)
		}
	}
}

// TestKeepTextFalse: without kept text the excerpt is dropped but its
// sentiment kept; DeleteText empties what was kept before.
func TestKeepTextFalse(t *testing.T) {
	ctx := t.Context()
	u := pgtest.URL(t)
	s := open(t, u)
	acts := parityWorld()
	if _, err := s.Apply(ctx, "gh", connectors.Batch{Activities: acts[:2]}); err != nil {
		t.Fatal(err)
	}
	s.SetKeepText(false)
	if _, err := s.Apply(ctx, "gh", connectors.Batch{Activities: acts[2:]}); err != nil {
		t.Fatal(err)
	}
	got := postgresRows(t, u)
	for _, a := range acts[2:] {
		row := got.Activities[a.Key]
		if row[1] != "" || (a.Text != "") != (row[0] != "NULL") {
			t.Errorf("activity %s: text %q, sentiment %s; want no text, a sentiment iff it had text", a.Key, row[1], row[0])
		}
	}
	if row := got.Activities[acts[0].Key]; row[1] == "" {
		t.Errorf("activity stored with keep_text on has no text")
	}
	n, err := s.DeleteText(ctx)
	if err != nil || n != 2 {
		t.Errorf("DeleteText = %d, %v; want 2 (the texts kept before)", n, err)
	}
	for k, row := range postgresRows(t, u).Activities {
		if row[1] != "" {
			t.Errorf("activity %s keeps text %q after DeleteText", k, row[1])
		}
	}
	var _ crm.Store = s
}

// TestSetDecayRebuilds: a new decay rebuilds the tallies from the
// activities, equal to tallies kept with that decay from the start.
func TestSetDecayRebuilds(t *testing.T) {
	ctx := t.Context()
	acts := parityWorld()
	build := func(before bool) scoreRows {
		u := pgtest.URL(t)
		s := open(t, u)
		if before {
			if err := s.SetDecay(ctx, 0.8); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Apply(ctx, "gh", connectors.Batch{Activities: acts}); err != nil {
			t.Fatal(err)
		}
		if !before {
			if err := s.SetDecay(ctx, 0.8); err != nil {
				t.Fatal(err)
			}
		}
		return postgresRows(t, u)
	}
	want, got := build(true), build(false)
	if diff := cmp.Diff(want.Scores, got.Scores, cmpopts.EquateApprox(1e-12, 0)); diff != "" {
		t.Errorf("rebuilt scores differ from scores kept with the decay (-kept +rebuilt):\n%s", diff)
	}
	if diff := cmp.Diff(want.Interactions, got.Interactions); diff != "" {
		t.Errorf("interactions differ (-kept +rebuilt):\n%s", diff)
	}
}

// TestTrigramIndex: with pg_trgm available, member search has its index.
func TestTrigramIndex(t *testing.T) {
	u := pgtest.URL(t)
	open(t, u)
	conn, err := pgx.Connect(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var avail, idx bool
	if err := conn.QueryRow(t.Context(), `SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'),
		EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'member_search_trgm')`).Scan(&avail, &idx); err != nil {
		t.Fatal(err)
	}
	if !avail {
		t.Skip("pg_trgm is not available on this server")
	}
	if !idx {
		t.Error("pg_trgm is available but member_search has no trigram index")
	}
}
