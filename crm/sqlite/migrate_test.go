package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/storetest"
)

// TestConformanceCommonFilters runs the conformance suite with every
// member list filter taken as common (checked member by member along the
// sort's index), the path that small test stores never take otherwise,
// and checks the search index's integrity after each subtest.
func TestConformanceCommonFilters(t *testing.T) {
	storetest.Run(t, func(t *testing.T) crm.Store {
		s, err := Open(t.Context(), filepath.Join(t.TempDir(), "rollcall.db"))
		if err != nil {
			t.Fatal(err)
		}
		s.rareLimit = -1
		t.Cleanup(func() {
			// Whatever the subtest did, the search index agrees with its content.
			if _, err := s.w.ExecContext(context.Background(), `INSERT INTO member_search (member_search, rank) VALUES ('integrity-check', 1)`); err != nil {
				t.Errorf("search index integrity check: %v", err)
			}
			s.Close()
		})
		return s
	})
}

// TestMigration5FillsReadModel writes a store as schema version 4 left it
// (members, identities, activities and audit rows, no kept stats), opens
// it (applying 0005 and 0006), and checks the kept stats, the search index
// and the join reasons that the migration fills from what was there, and
// that later writes keep them.
func TestMigration5FillsReadModel(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`}
	for _, m := range ms[:4] {
		stmts = append(stmts, m.SQL, `INSERT INTO schema_migrations VALUES (`+string(rune('0'+m.Version))+`, '`+m.Name+`', '2025-01-01T00:00:00.000000000Z')`)
	}
	const ts = "2025-01-01T00:00:00.000000000Z"
	stmts = append(stmts,
		`INSERT INTO members (id, name, primary_identity_id, created_at) VALUES (1, 'Ann A', 1, '`+ts+`'), (2, 'cid', 3, '`+ts+`')`,
		`INSERT INTO identities (id, member_id, platform, instance, external_id, username, name, emails, first_seen_at, updated_at) VALUES
			(1, 1, 'github', 'github.com', '1', 'ann', 'Ann A', '["ann@x.example"]', '`+ts+`', '`+ts+`'),
			(2, 1, 'github', 'github.com', '2', 'ann-alt', '', '[]', '`+ts+`', '`+ts+`'),
			(3, 2, 'github', 'github.com', '3', 'cid', '', '[]', '`+ts+`', '`+ts+`'),
			(4, NULL, 'github', 'github.com', '4', 'dee', '', '[]', '`+ts+`', '`+ts+`')`,
		`INSERT INTO activities (key, platform, instance, type, occurred_at, identity_id, source, ingested_at) VALUES
			('k1', 'github', 'github.com', 'issue_opened', '2025-02-01T00:00:00.000000000Z', 1, 'gh', '`+ts+`'),
			('k2', 'github', 'github.com', 'issue_comment', '2025-02-03T00:00:00.000000000Z', 1, 'gh', '`+ts+`'),
			('k3', 'github', 'github.com', 'issue_comment', '2025-01-15T00:00:00.000000000Z', 2, 'gh', '`+ts+`'),
			('k4', 'github', 'github.com', 'star', '2025-03-01T00:00:00.000000000Z', 3, 'gh', '`+ts+`'),
			('k5', 'github', 'github.com', 'star', '2025-03-02T00:00:00.000000000Z', 4, 'gh', '`+ts+`')`,
		`INSERT INTO audit_log (id, at, actor, action, member_id, identity_id, detail) VALUES
			(1, '`+ts+`', 'resolver', 'assign', 1, 1, '{"reason":"new account","account":"github/github.com/1","new_member":true}'),
			(2, '`+ts+`', 'resolver', 'assign', 9, 2, '{"reason":"new account","account":"github/github.com/2","new_member":true}'),
			(3, '`+ts+`', 'resolver', 'merge', 1, NULL, '{"reason":"resolver: strong evidence","evidence":["mutual links"],"from":9,"accounts":["github/github.com/2"],"into_accounts":["github/github.com/1"]}'),
			(4, '`+ts+`', 'resolver', 'assign', 2, 3, '{"reason":"new account","account":"github/github.com/3","new_member":true}')`,
	)
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open (migrating from 4): %v", err)
	}
	t.Cleanup(func() { s.Close() })
	day := func(m time.Month, d int) time.Time { return time.Date(2025, m, d, 0, 0, 0, 0, time.UTC) }
	type stat struct {
		ID          int64
		N           int
		First, Last time.Time
	}
	stats := func() []stat {
		got, err := s.Members(ctx, crm.MemberQuery{})
		if err != nil {
			t.Fatal(err)
		}
		var out []stat
		for _, m := range got {
			out = append(out, stat{m.ID, m.ActivityCount, m.FirstSeen, m.LastSeen})
		}
		return out
	}
	if diff := cmp.Diff([]stat{{1, 3, day(1, 15), day(2, 3)}, {2, 1, day(3, 1), day(3, 1)}}, stats()); diff != "" {
		t.Errorf("kept stats after migration (-want +got):\n%s", diff)
	}
	for q, want := range map[string][]int64{"nn-al": {1}, "ann@x.ex": {1}, "cid": {2}, "dee": nil} {
		p, err := s.ListMembers(ctx, crm.MemberQuery{Search: q})
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, m := range p.Members {
			got = append(got, m.ID)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("search %q after migration (-want +got):\n%s", q, diff)
		}
	}
	jr, err := s.JoinReasons(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	var reasons [][]string
	for _, j := range jr {
		reasons = append(reasons, j.Reasons)
	}
	want := [][]string{
		{"first account of a new member"},
		{"first account of a new member", "members merged on evidence: mutual links"},
	}
	if diff := cmp.Diff(want, reasons); diff != "" {
		t.Errorf("join reasons after migration (-want +got):\n%s", diff)
	}
	// Later writes build on the filled stats.
	ref := connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: "2"}
	if _, err := s.Apply(ctx, "gh", connectors.Batch{Activities: []connectors.Activity{{Key: "k6", Platform: "github", Instance: "github.com",
		Type: "commit", OccurredAt: day(1, 2), Actor: ref}}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]stat{{1, 4, day(1, 2), day(2, 3)}, {2, 1, day(3, 1), day(3, 1)}}, stats()); diff != "" {
		t.Errorf("kept stats after a later Apply (-want +got):\n%s", diff)
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO member_search (member_search, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Errorf("search index integrity check: %v", err)
	}
}

// TestMigrationsByNumber checks that every embedded migration is recorded
// once by its number, so that one numbered below an applied one (0007
// landing after 0008 was applied) is still applied.
func TestMigrationsByNumber(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "m.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(ms) {
		t.Errorf("schema_migrations has %d rows; want %d", n, len(ms))
	}
	// A store where a lower number was never applied (as when 0007 lands
	// after 0008): 0004 is undone and forgotten, and reopening applies it.
	if _, err := s.w.ExecContext(ctx, `DELETE FROM schema_migrations WHERE version = 4`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `DROP TABLE missing`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	cur, latest, err := s.Migrations(ctx)
	if err != nil || cur != latest || latest != ms[len(ms)-1].Version {
		t.Errorf("Migrations = %d, %d, %v; want %d twice", cur, latest, err, ms[len(ms)-1].Version)
	}
	if _, err := s.r.ExecContext(ctx, `SELECT COUNT(*) FROM missing`); err != nil {
		t.Errorf("0004 not applied on reopen: %v", err)
	}
}
