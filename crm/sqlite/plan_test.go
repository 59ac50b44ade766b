package sqlite

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestScoreQueriesUseIndexes: the lookups Apply makes for a batch's
// activities and their interactions use an index (a full scan per stored activity would make a
// batch cost the size of the store).
func TestScoreQueriesUseIndexes(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "rollcall.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, q := range []struct {
		sql   string
		args  []any
		index string
	}{
		{repliesSQL, []any{`["k"]`, interactionTypesJSON}, "activities_parent"},
		{parentAuthorsSQL, []any{`["k"]`}, "sqlite_autoindex_activities_1"},
		{storedActivitiesSQL, []any{`["k"]`}, "sqlite_autoindex_activities_1"},
		{storedIdentitiesSQL, []any{`[["github","github.com","1"]]`}, "sqlite_autoindex_identities_1"},
		{`SELECT a.key FROM activities a WHERE a.occurred_at >= ? AND a.occurred_at < ?`, []any{"a", "b"}, "activities_time"},
	} {
		rows, err := s.w.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q.sql, q.args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if p := strings.Join(plan, "; "); !strings.Contains(p, q.index) {
			t.Errorf("%s:\nplan %q does not use %s", q.sql, p, q.index)
		}
	}
}
