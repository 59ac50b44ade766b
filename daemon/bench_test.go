package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/community"
	"github.com/rollcall-dev/rollcall/connectors/github"
	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
)

// benchWorld loads a generated community of size people into a fake GitHub.
func benchWorld(b *testing.B, size int) (*githubtest.Server, *config.Config) {
	b.Helper()
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	srv := githubtest.New(githubtest.WithNow(func() time.Time { return now }), githubtest.WithRateLimit(1<<30))
	c := community.Generate(1, size, now)
	if err := c.LoadGitHub(srv); err != nil {
		b.Fatal(err)
	}
	yaml := fmt.Sprintf("sources:\n  - name: gh\n    type: github\n    token: t\n    base_url: http://fake.test/\n    orgs: [%s]\n", c.Org)
	cfg, err := config.Parse("bench.yaml", []byte(yaml), config.Env{Getenv: func(string) (string, bool) { return "", false }})
	if err != nil {
		b.Fatal(err)
	}
	return srv, cfg
}

func benchDaemon(b *testing.B, srv *githubtest.Server, cfg *config.Config, st *sqlite.Store) *Daemon {
	b.Helper()
	// As rollcall run does: the store is the connectors' per-object state.
	srcs, err := BuildSources(cfg, []connectors.Kind{github.Kind}, connectors.Options{HTTP: srv.Transport(), Profiles: st, Objects: st, Logger: slog.New(slog.DiscardHandler)}, nil)
	if err != nil {
		b.Fatal(err)
	}
	return New(Options{Store: st, Sources: srcs})
}

// BenchmarkBackfill measures a first sync of a 500-person community (fake
// GitHub in-process, real SQLite file, resolver included), reporting
// activities per second.
func BenchmarkBackfill(b *testing.B) {
	srv, cfg := benchWorld(b, 500)
	var acts int
	for b.Loop() {
		b.StopTimer()
		st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		d := benchDaemon(b, srv, cfg, st)
		b.StartTimer()
		sum := d.SyncOnce(context.Background())[0]
		b.StopTimer()
		if sum.Err != nil {
			b.Fatal(sum.Err)
		}
		acts = sum.NewActivities
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(acts), "activities/op")
	b.ReportMetric(float64(acts)*float64(b.N)/b.Elapsed().Seconds(), "activities/s")
}

// BenchmarkIdleResync measures a pass over an unchanged community: every
// request is a conditional GET answered 304.
func BenchmarkIdleResync(b *testing.B) {
	srv, cfg := benchWorld(b, 500)
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	d := benchDaemon(b, srv, cfg, st)
	if sum := d.SyncOnce(context.Background())[0]; sum.Err != nil {
		b.Fatal(sum.Err)
	}
	var reqs, notModified int
	for b.Loop() {
		sum := d.SyncOnce(context.Background())[0]
		if sum.Err != nil || sum.NewActivities != 0 {
			b.Fatalf("idle pass: %+v", sum)
		}
		reqs, notModified = sum.Requests, sum.NotModified
	}
	b.ReportMetric(float64(reqs), "requests/op")
	b.ReportMetric(float64(notModified), "not-modified/op")
}

// BenchmarkBackfillRateLimit measures what the first sync of the
// 500-person community spends of GitHub's rate limits, with profiles read
// through GraphQL batches ("graphql", the default) and through the REST
// fallback ("rest", the endpoint refused as on a GitHub Enterprise Server
// without GraphQL): requests, rate-limit units (a counted REST request is
// one core unit, a GraphQL query its cost in graphql points) and the REST
// profile reads (/users/{login} and its social_accounts), from the fake's
// request log.
func BenchmarkBackfillRateLimit(b *testing.B) {
	for _, mode := range []string{"graphql", "rest"} {
		b.Run(mode, func(b *testing.B) {
			srv, cfg := benchWorld(b, 500)
			if mode == "rest" {
				srv.RefuseGraphQL(404)
			}
			var c backfillCost
			for b.Loop() {
				b.StopTimer()
				c = measureBackfill(b, srv, cfg)
				b.StartTimer()
			}
			b.ReportMetric(float64(c.requests), "requests/op")
			b.ReportMetric(float64(c.points["core"]+c.points["graphql"]), "rate-limit-units/op")
			b.ReportMetric(float64(c.points["core"]), "core-units/op")
			b.ReportMetric(float64(c.points["graphql"]), "graphql-points/op")
			b.ReportMetric(float64(c.gqlQueries), "graphql-queries/op")
			b.ReportMetric(float64(c.profiles), "rest-profile-requests/op")
		})
	}
}

// backfillCost is what one backfill asked of the fake GitHub.
type backfillCost struct {
	requests, profiles, gqlQueries int
	points                         map[string]int
}

// measureBackfill runs one backfill into a fresh store and reads its cost
// from the fake's request log.
func measureBackfill(b *testing.B, srv *githubtest.Server, cfg *config.Config) backfillCost {
	b.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	d := benchDaemon(b, srv, cfg, st)
	srv.ResetLog()
	if sum := d.SyncOnce(context.Background())[0]; sum.Err != nil {
		b.Fatal(sum.Err)
	}
	c := backfillCost{requests: srv.Count(), points: srv.Points()}
	for _, r := range srv.Requests() {
		switch {
		case r.Resource == "graphql":
			c.gqlQueries++
		case strings.HasPrefix(r.Path, "/api/v3/users/"):
			c.profiles++
		}
	}
	return c
}
