package sqlite

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestLeanPeriodReadUsesCoveringIndex: the lean read of a period's
// activities (health and rising for any period) is answered from the time
// index alone, without a table lookup per activity.
func TestLeanPeriodReadUsesCoveringIndex(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "rollcall.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+leanPeriodQuery, "a", "b", "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if p := strings.Join(plan, "; "); !strings.Contains(p, "USING COVERING INDEX activities_time") {
		t.Errorf("plan %q does not read activities from the covering index activities_time", p)
	}
}
