//go:build unix

package postgres_test

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm/postgres"
	"github.com/rollcall-dev/rollcall/crm/postgres/pgtest"
)

// BenchmarkApplyBatch measures Apply of batches of 1,000 new activities
// (texts, two in three replies, 300 actors, 100 evidence pairs, 50 ETags),
// as a backfill writes them, into one store that grows (as crm/sqlite's
// BenchmarkApplyBatch). cpu-ms/op is this process's user and system CPU
// time an op, the server's not included.
func BenchmarkApplyBatch(b *testing.B) {
	s, err := postgres.Open(b.Context(), pgtest.URL(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	gh := func(id int) connectors.AccountRef {
		return connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: fmt.Sprint(id)}
	}
	t0 := time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC)
	n := 0
	cpu0 := cpuTime(b)
	for b.Loop() {
		var batch connectors.Batch
		for i := range 300 {
			batch.Accounts = append(batch.Accounts, connectors.Account{AccountRef: gh(i), Username: fmt.Sprint("user", i)})
		}
		for range 1000 {
			a := connectors.Activity{Key: fmt.Sprint("github/github.com/issue_comment/", n), Platform: "github", Instance: "github.com",
				Type: "issue_comment", OccurredAt: t0.Add(time.Duration(n) * time.Minute), Actor: gh(n % 300),
				Channel: fmt.Sprint("o/", n%7), Title: fmt.Sprint("an issue about ", n%50), Text: fmt.Sprintf("comment %d: thanks, this works", n)}
			if n%3 != 0 {
				a.ParentKey = fmt.Sprint("github/github.com/issue_comment/", n-n%3)
			}
			batch.Activities = append(batch.Activities, a)
			n++
		}
		for i := range 100 {
			batch.Evidence = append(batch.Evidence, connectors.Evidence{Kind: "same_email", A: gh(i), B: gh(n + i)})
		}
		batch.Next.ETags = map[string]string{}
		for i := range 50 {
			batch.Next.ETags[fmt.Sprint("https://api.github.com/repos/o/r/issues?page=", i)] = fmt.Sprint(`W/"`, n+i, `"`)
		}
		if _, err := s.Apply(b.Context(), "gh", batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime(b)-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "activities/s")
}

// cpuTime is the user and system CPU time the process used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
