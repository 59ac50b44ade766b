package pgtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rollcall-dev/rollcall/crm/postgres/pgtest"
)

// TestClusterRestartsOnItsPortWithItsData stops a private cluster (cleanly,
// then by a crash), checks that it refuses connections while down, and
// that it comes back on the same URL with the committed rows.
func TestClusterRestartsOnItsPortWithItsData(t *testing.T) {
	c := pgtest.Cluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	exec := func(sql string) error {
		conn, err := pgx.Connect(ctx, c.URL())
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	count := func() int {
		t.Helper()
		conn, err := pgx.Connect(ctx, c.URL())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM kept`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := exec(`CREATE TABLE kept (n int); INSERT INTO kept VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	for i, stop := range []func(){c.Stop, c.Crash} {
		stop()
		if err := exec(`SELECT 1`); err == nil {
			t.Fatalf("stop %d: the cluster still answers", i)
		}
		c.Stop() // stopping a stopped cluster does nothing
		c.Start()
		c.Start() // nor does starting a running one
		if n := count(); n != i+1 {
			t.Fatalf("after restart %d: %d rows, want %d", i, n, i+1)
		}
		if err := exec(`INSERT INTO kept VALUES (2)`); err != nil {
			t.Fatal(err)
		}
	}
}
