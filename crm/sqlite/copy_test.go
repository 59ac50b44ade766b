package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rollcall-dev/rollcall/crm"
)

// Every table of the schema is copied whole by `rollcall migrate`, or
// left out on purpose: a migration that adds a column or a table without
// adding it to crm.CopyTables fails here instead of being lost by a copy.
func TestCopyTablesCoverTheSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	open(t, path)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	left := map[string]bool{"schema_migrations": true, "leases": true}
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		if !left[n] && !strings.HasPrefix(n, "member_search") {
			tables = append(tables, n)
		}
	}
	rows.Close()
	copied := map[string]crm.CopyTable{}
	for _, ct := range crm.CopyTables {
		copied[ct.Name] = ct
	}
	for _, n := range tables {
		ct, ok := copied[n]
		if !ok {
			t.Errorf("table %s is not in crm.CopyTables: rollcall migrate would not copy it", n)
			continue
		}
		delete(copied, n)
		var cols []string
		rs, err := db.Query(`SELECT name, pk FROM pragma_table_info(?) ORDER BY cid`, n)
		if err != nil {
			t.Fatal(err)
		}
		var key []string
		for rs.Next() {
			var c string
			var pk int
			if err := rs.Scan(&c, &pk); err != nil {
				t.Fatal(err)
			}
			cols = append(cols, c)
			if pk > 0 {
				key = append(key, c)
			}
		}
		rs.Close()
		want := slices.Clone(ct.Columns)
		if n == "evidence" { // its id is the rowid
			want = want[1:]
			key = []string{"id"}
		}
		slices.Sort(cols)
		slices.Sort(want)
		if !slices.Equal(cols, want) {
			t.Errorf("table %s has columns %v, crm.CopyTables copies %v", n, cols, want)
		}
		if !slices.Equal(key, ct.KeyColumns()) {
			t.Errorf("table %s has primary key %v, crm.CopyTables orders by %v", n, key, ct.KeyColumns())
		}
	}
	for n := range copied {
		t.Errorf("crm.CopyTables names %s, which the schema does not have", n)
	}
}
