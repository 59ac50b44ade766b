package sqlite

import (
	"fmt"
	"testing"

	"github.com/rollcall-dev/rollcall/crm/internal/benchkit"
)

// The scaling benchmark (docs/scaling.md): the same operations, in crm's
// terms only (benchkit.Scaling), on each store at the read model
// benchmark's sizes. Run it with
//
//	go test -run '^$' -bench Scaling -benchtime 20x -timeout 2h ./crm/sqlite
//	ROLLCALL_BENCH_SCALE=10 go test -run '^$' -bench Scaling -benchtime 20x -timeout 4h ./crm/sqlite
//
// Each run works on a fresh copy of the cached bench store. The
// PostgreSQL run of the same operations is crm/postgres's
// BenchmarkScaling, on a copy of the bench store made with rollcall
// migrate (ROLLCALL_BENCH_POSTGRES_URL).
func BenchmarkScaling(b *testing.B) {
	s, star := benchStore(b)
	b.Run(fmt.Sprintf("sqlite/%dk", benchActivities/1000), func(b *testing.B) {
		benchkit.Scaling(b, s, star, benchMembers+benchExtraIDs, "")
	})
}
