package postgres_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/postgres"
	"github.com/rollcall-dev/rollcall/crm/postgres/pgtest"
)

func openURL(t *testing.T, u string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Opening a database migrates it once, however many processes open it at
// the same time; opening it again changes nothing.
func TestOpenMigratesOnceConcurrently(t *testing.T) {
	u := pgtest.URL(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			s, err := postgres.Open(context.Background(), u)
			if err == nil {
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Open: %v", err)
		}
	}
	s := openURL(t, u)
	cur, latest, err := s.Migrations(t.Context())
	if err != nil || cur != latest || cur == 0 {
		t.Fatalf("Migrations() = %d, %d, %v", cur, latest, err)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// A wrong password or a bad URL is an error that names the database but
// never shows the password.
func TestOpenErrorsHidePasswordOfURL(t *testing.T) {
	u, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	const secret = "s3cret-Pa55word"
	// The test server trusts local users whatever the password, so a
	// wrong password is shown by a user that does not exist.
	u.User = url.UserPassword("no_such_user", secret)
	withPassword := u.String()
	q := u.Query()
	q.Set("password", secret)
	u.User = url.User("no_such_user")
	u.RawQuery = q.Encode()
	for _, raw := range []string{
		withPassword,
		u.String(),
		"postgres://user:" + secret + "@127.0.0.1:1/db?connect_timeout=2", // nothing listens
		"postgres://user:" + secret + "@[::1/db",                          // does not parse
		"postgres://user:" + secret + "@127.0.0.1/db?sslmode=bogus",       // bad parameter
	} {
		_, err := postgres.Open(t.Context(), raw)
		if err == nil {
			t.Errorf("Open(%s) succeeded", postgres.Redact(raw))
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("Open error shows the password: %v", err)
		}
		if !strings.Contains(err.Error(), "postgres") {
			t.Errorf("Open error does not say what failed: %v", err)
		}
	}
	if got := postgres.Redact("postgres://u:" + secret + "@h/db?password=" + secret); strings.Contains(got, secret) {
		t.Errorf("Redact left the password: %s", got)
	}
}

// Every table of the schema is copied whole by `rollcall migrate`, or
// left out on purpose, with the columns and keys SQLite has.
func TestCopyTablesCoverTheSchema(t *testing.T) {
	u := pgtest.URL(t)
	openURL(t, u)
	conn, err := pgx.Connect(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	left := map[string]bool{"schema_migrations": true, "leases": true, "member_search": true, "resolver_lock": true, "levels_lock": true, "forget_lock": true, "copy_progress": true}
	rows, err := conn.Query(t.Context(), `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`)
	if err != nil {
		t.Fatal(err)
	}
	cols := map[string][]string{}
	for rows.Next() {
		var tb, c string
		if err := rows.Scan(&tb, &c); err != nil {
			t.Fatal(err)
		}
		if !left[tb] {
			cols[tb] = append(cols[tb], c)
		}
	}
	rows.Close()
	for _, ct := range crm.CopyTables {
		got, ok := cols[ct.Name]
		if !ok {
			t.Errorf("crm.CopyTables names %s, which the schema does not have", ct.Name)
			continue
		}
		delete(cols, ct.Name)
		want := slices.Clone(ct.Columns)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("table %s has columns %v, crm.CopyTables copies %v", ct.Name, got, want)
		}
		var key []string
		kr, err := conn.Query(t.Context(), `SELECT a.attname FROM pg_index i
			JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
			WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`, ct.Name)
		if err != nil {
			t.Fatal(err)
		}
		for kr.Next() {
			var c string
			if err := kr.Scan(&c); err != nil {
				t.Fatal(err)
			}
			key = append(key, c)
		}
		kr.Close()
		if !slices.Equal(key, ct.KeyColumns()) {
			t.Errorf("table %s has primary key %v, crm.CopyTables orders by %v", ct.Name, key, ct.KeyColumns())
		}
	}
	for tb := range cols {
		t.Errorf("table %s is not in crm.CopyTables: rollcall migrate would not copy it", tb)
	}
}
