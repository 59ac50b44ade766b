package postgres_test

import (
	"fmt"
	"math"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rollcall-dev/rollcall/crm/internal/benchkit"
	"github.com/rollcall-dev/rollcall/crm/postgres"
)

// benchURLVar names a database that holds a copy of crm/sqlite's bench
// store, made with rollcall migrate.
const benchURLVar = "ROLLCALL_BENCH_POSTGRES_URL"

// The scaling benchmark on PostgreSQL (docs/scaling.md): the operations of
// crm/sqlite's BenchmarkScaling (benchkit.Scaling, one list for both
// stores) on a copy of its bench store. Make the copy once with
//
//	rollcall migrate --from sqlite:/tmp/rollcall-bench-readmodel-v6.db --to postgres://.../bench1m
//
// (the 10,000,000-activity store is rollcall-bench-readmodel-v6-x10.db),
// then run
//
//	ROLLCALL_BENCH_POSTGRES_URL=postgres://.../bench1m go test -run '^$' -bench Scaling -benchtime 20x -timeout 2h ./crm/postgres
//
// The size comes from the data: the activities are counted (the name of
// the run is that count in thousands, rounded to millions) and the bulk
// accounts (b1, b2, ...) the ingest and the syncing goroutine draw from.
// Unlike the SQLite run, which works on a fresh copy each time, this one
// writes into the database for good: every run ingests new activities
// (its keys carry the run's start time), and the level evaluation that
// starts it replays every member's history only the first time.
func BenchmarkScaling(b *testing.B) {
	u := os.Getenv(benchURLVar)
	if u == "" {
		b.Skipf("%s not set: it names a database holding a copy of crm/sqlite's bench store (rollcall migrate)", benchURLVar)
	}
	ctx := b.Context()
	where := u
	if pu, err := url.Parse(u); err == nil {
		where = pu.Redacted()
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		b.Fatalf("connect to %s: %v", where, err)
	}
	var activities, accounts int64
	err = conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM activities), (SELECT count(*) FROM identities WHERE external_id ~ '^b[0-9]+$')`).Scan(&activities, &accounts)
	conn.Close(ctx)
	if err != nil {
		b.Fatalf("%s: count activities and bulk accounts: %v", where, err)
	}
	if accounts == 0 {
		b.Fatalf("%s holds no bench store accounts (b1, b2, ...): copy crm/sqlite's bench store there with rollcall migrate", where)
	}
	s, err := postgres.Open(ctx, u)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	star, err := benchkit.Star(ctx, s)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: %d activities, %d bulk accounts, star member %d", where, activities, accounts, star)
	size := int64(math.Round(float64(activities)/1e6)) * 1000
	tag := strconv.FormatInt(time.Now().UnixNano(), 36) + "-"
	b.Run(fmt.Sprintf("postgres/%dk", size), func(b *testing.B) {
		benchkit.Scaling(b, s, star, int(accounts), tag)
	})
}
