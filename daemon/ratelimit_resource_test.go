package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/community"
	"github.com/rollcall-dev/rollcall/connectors/github"
	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
)

// TestMetricsRateLimitPerResource: after a GitHub backfill (REST streams,
// GraphQL profiles) the budget left in each resource is exported as the
// service last told it.
func TestMetricsRateLimitPerResource(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	srv := githubtest.New(githubtest.WithNow(func() time.Time { return now }), githubtest.WithRateLimit(100000))
	c := community.Generate(1, 60, now)
	if err := c.LoadGitHub(srv); err != nil {
		t.Fatal(err)
	}
	yaml := fmt.Sprintf("sources:\n  - name: gh\n    type: github\n    token: t\n    base_url: http://fake.test/\n    orgs: [%s]\n", c.Org)
	cfg, err := config.Parse("test.yaml", []byte(yaml), config.Env{Getenv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srcs, err := BuildSources(cfg, []connectors.Kind{github.Kind}, connectors.Options{HTTP: srv.Transport(), Profiles: st, Logger: slog.New(slog.DiscardHandler)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMetrics(nil)
	d := New(Options{Store: st, Sources: srcs, Metrics: m})
	if sum := d.SyncOnce(context.Background())[0]; sum.Err != nil {
		t.Fatal(sum.Err)
	}
	_, core, _ := srv.RateLimit()
	_, gql, _ := srv.GraphQLRateLimit()
	if gql == githubtest.DefaultLimit {
		t.Fatal("the backfill spent no GraphQL points")
	}
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "rollcall_ratelimit_resource_remaining" {
			continue
		}
		for _, mt := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range mt.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["source"] == "gh" {
				got[labels["resource"]] = mt.GetGauge().GetValue()
			}
		}
	}
	for res, want := range map[string]int{"core": core, "graphql": gql} {
		if v, ok := got[res]; !ok || v != float64(want) {
			t.Errorf(`rollcall_ratelimit_resource_remaining{source="gh",resource=%q} = %v (%v), want %d`, res, v, ok, want)
		}
	}
}
