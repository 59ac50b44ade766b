package github

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shurcooL/githubv4"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
)

// requestsByKind counts the fake's requests: GraphQL queries, REST profile
// reads (/users/{login} and its social accounts) and the rest.
func requestsByKind(srv *githubtest.Server) (graphql, profiles, other int) {
	for _, r := range srv.Requests() {
		switch {
		case r.Resource == "graphql":
			graphql++
		case strings.HasPrefix(r.Path, "/api/v3/users/"):
			profiles++
		default:
			other++
		}
	}
	return graphql, profiles, other
}

// syncKeepingStaff syncs like env.sync and returns the accounts seen with
// Staff set in any batch: the store keeps that mark as evidence that a
// later batch without it does not clear, which the test store does not
// model (it keeps a profile over a later reference).
func syncKeepingStaff(t *testing.T, e *env) map[string]bool {
	t.Helper()
	staff := map[string]bool{}
	c := e.conn()
	for i := 0; ; i++ {
		b, err := c.Fetch(context.Background(), e.store.cursor)
		if err != nil {
			t.Fatalf("sync: %v", err)
		}
		for _, a := range b.Accounts {
			if a.Staff {
				staff[a.String()] = true
			}
		}
		e.store.apply(b)
		if b.Done {
			return staff
		}
		if i > 100000 {
			t.Fatal("sync does not finish")
		}
	}
}

// withoutStaff returns accounts with Staff cleared (compared apart).
func withoutStaff(m map[string]connectors.Account) map[string]connectors.Account {
	out := make(map[string]connectors.Account, len(m))
	for k, a := range m {
		a.Staff = false
		out[k] = a
	}
	return out
}

// TestGraphQLProfilesMatchREST syncs the same community through GraphQL
// (profile batches, reviews of many pull requests per query) and through
// the REST fallback: the stores are equal, and GraphQL spends far fewer
// rate-limit units.
func TestGraphQLProfilesMatchREST(t *testing.T) {
	staff := map[*env]map[string]bool{}
	run := func(opts ...githubtest.Option) *env {
		e := newEnv(t, opts...)
		com := e.loadCommunity(120)
		// A deleted account: GraphQL gives a null node, REST a 404.
		for _, u := range com.Users[len(com.Users)/2:] {
			if u.Type == githubtest.TypeUser {
				if err := e.srv.DeleteUser(u.Login); err != nil {
					t.Fatal(err)
				}
				break
			}
		}
		staff[e] = syncKeepingStaff(t, e)
		return e
	}
	gql := run()
	rest := run(githubtest.WithoutGraphQL(404))

	if diff := cmp.Diff(staff[rest], staff[gql]); diff != "" || len(staff[gql]) == 0 {
		t.Errorf("staff accounts differ (-REST +GraphQL):\n%s", diff)
	}
	if diff := cmp.Diff(withoutStaff(rest.store.accounts), withoutStaff(gql.store.accounts)); diff != "" {
		t.Errorf("accounts differ (-REST +GraphQL):\n%s", diff)
	}
	if diff := cmp.Diff(rest.store.acts, gql.store.acts); diff != "" {
		t.Errorf("activities differ (-REST +GraphQL):\n%s", diff)
	}
	if diff := cmp.Diff(rest.store.evidence, gql.store.evidence); diff != "" {
		t.Errorf("evidence differs (-REST +GraphQL):\n%s", diff)
	}
	if diff := cmp.Diff(rest.store.cursor.Missing, gql.store.cursor.Missing); diff != "" {
		t.Errorf("remembered missing objects differ (-REST +GraphQL):\n%s", diff)
	}
	profiles := 0
	for _, a := range gql.store.accounts {
		if !a.ProfileFetchedAt.IsZero() {
			profiles++
		}
	}
	gq, gp, go_ := requestsByKind(gql.srv)
	rq, rp, ro := requestsByKind(rest.srv)
	t.Logf("GraphQL: %d queries, %d REST profile reads, %d other, units %v; REST: %d refused, %d profile reads, %d other, units %v; %d profiles",
		gq, gp, go_, gql.srv.Points(), rq, rp, ro, rest.srv.Points(), profiles)
	if profiles < 50 {
		t.Fatalf("only %d profiles read; make the community bigger", profiles)
	}
	if rq != 1 {
		t.Errorf("the refused endpoint was asked %d times, want once", rq)
	}
	// Profiles in full batches, reviews one query per repository (none
	// has 100 pull requests to read).
	if repos := strings.Count(gql.yaml, "/"); gq == 0 || gq > (profiles+graphQLBatch-1)/graphQLBatch+repos {
		t.Errorf("%d GraphQL queries for %d profiles and %d repositories", gq, profiles, repos)
	}
	// REST reads are left for what GraphQL cannot give: the deleted user
	// (one 404) and the organization that owns the repositories.
	if gp > 4 {
		t.Errorf("%d REST profile requests beside GraphQL, want at most 4", gp)
	}
	// The per-pull-request review listings are the REST requests GraphQL
	// saves beside profiles.
	reviews := 0
	for _, r := range rest.srv.Requests() {
		if strings.HasSuffix(r.Path, "/reviews") {
			reviews++
		}
	}
	if reviews == 0 || go_ != ro-reviews {
		t.Errorf("other REST requests: %d with GraphQL, %d without, of them %d review listings", go_, ro, reviews)
	}
	// Profiles cost a few GraphQL points where REST spends two requests
	// each (the whole backfill's units are measured by
	// daemon.BenchmarkBackfill on the demo community).
	if g, r := gql.srv.Points()["graphql"]+gp, rp; 4*g > r {
		t.Errorf("rate-limit units of profile reads: GraphQL %d, REST %d; want at least 4x fewer", g, r)
	}
	if g, r := gql.srv.Points()["core"]+gql.srv.Points()["graphql"], rest.srv.Points()["core"]; 4*g > r {
		t.Errorf("rate-limit units of the backfill: GraphQL %d, REST %d", g, r)
	}
}

// TestGraphQLRefusedFallsBackToREST: a server without GraphQL, or a token
// GraphQL refuses, gets the REST reads, and the endpoint is asked once.
func TestGraphQLRefusedFallsBackToREST(t *testing.T) {
	for _, status := range []int{401, 403, 404} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			e := newEnv(t, githubtest.WithoutGraphQL(status))
			e.loadCommunity(30)
			e.steps = 2 // several batches: the refusal is remembered between them
			c := e.conn()
			if done, err := e.sync(c, 0); err != nil || !done {
				t.Fatalf("sync: done %v, %v", done, err)
			}
			gq, gp, _ := requestsByKind(e.srv)
			if gq != 1 {
				t.Errorf("GraphQL asked %d times, want once", gq)
			}
			if gp == 0 {
				t.Error("no REST profile reads")
			}
			for _, a := range e.store.accounts {
				if a.Platform == connectors.PlatformGitHub && a.Username != "" && a.ProfileFetchedAt.IsZero() {
					t.Errorf("%s has no profile", a.Username)
				}
			}
			if !strings.Contains(e.logs.String(), "GraphQL refused") {
				t.Errorf("the refusal is not logged: %s", e.logs.String())
			}
		})
	}
	t.Run("no token: GraphQL is not asked", func(t *testing.T) {
		e := newEnv(t, githubtest.WithUnauthenticatedLimit(100000))
		e.loadCommunity(10)
		e.yaml = strings.Replace(e.yaml, "token: tok-SENTINEL\n", "", 1)
		e.mustSync()
		if gq, gp, _ := requestsByKind(e.srv); gq != 0 || gp == 0 {
			t.Errorf("GraphQL %d, REST profile reads %d; want none and some", gq, gp)
		}
	})
}

// TestGraphQLBudgetExhausted: a spent graphql budget pauses GraphQL only.
// The REST streams are read, the pass completes with the profiles still
// queued, and they are read through GraphQL after the reset.
func TestGraphQLBudgetExhausted(t *testing.T) {
	e := newEnv(t)
	com := e.loadCommunity(30)
	reset := testNow.Add(40 * time.Minute).Truncate(time.Second)
	e.srv.SetGraphQLRateLimit(0, reset)
	e.steps = 2
	c := e.conn()
	if done, err := e.sync(c, 0); err != nil || !done {
		t.Fatalf("sync: done %v, %v", done, err)
	}
	gq, gp, other := requestsByKind(e.srv)
	if gq != 1 || gp != 0 || other == 0 {
		t.Errorf("requests: %d GraphQL (want 1: it said RATE_LIMIT), %d REST profiles (want 0), %d REST streams", gq, gp, other)
	}
	if diff := cmp.Diff(expectedTypes(com), countTypes(e.store.acts)); diff != "" {
		t.Errorf("activities while GraphQL waits (-want +got):\n%s", diff)
	}
	var gqlState, core connectors.ResourceState
	for _, r := range c.Client().Resources() {
		switch r.Resource {
		case "graphql":
			gqlState = r
		case "core":
			core = r
		}
	}
	if !gqlState.Paused || !gqlState.Until.Equal(reset) || core.Paused || core.Remaining == 0 {
		t.Errorf("graphql %+v, core %+v; want graphql paused until %v, core going on", gqlState, core, reset)
	}
	if c.RateLimit().Paused {
		t.Error("RateLimit() (core) reports a pause")
	}
	var st state
	if err := json.Unmarshal(e.store.cursor.State, &st); err != nil {
		t.Fatal(err)
	}
	// The queue is in the per-object memory (here the cursor's, as the
	// test store keeps none).
	queued := 0
	for k := range st.Objects {
		if strings.HasPrefix(k, profilePrefix) {
			queued++
		}
	}
	if queued == 0 {
		t.Fatal("no profiles carried into the next pass")
	}
	for _, a := range e.store.accounts {
		if !a.ProfileFetchedAt.IsZero() {
			t.Errorf("%s has a profile while GraphQL waits", a.Username)
		}
	}

	// A Fetch before the reset asks GraphQL nothing.
	e.srv.ResetLog()
	if _, err := e.sync(c, 1); err != nil {
		t.Fatal(err)
	}
	if gq, _, _ := requestsByKind(e.srv); gq != 0 {
		t.Errorf("%d GraphQL requests before the reset", gq)
	}

	// After the reset the queue is read through GraphQL.
	e.clk.Advance(41 * time.Minute)
	e.srv.ResetLog()
	if done, err := e.sync(c, 0); err != nil || !done {
		t.Fatalf("after the reset: done %v, %v", done, err)
	}
	profiles := 0
	for _, a := range e.store.accounts {
		if !a.ProfileFetchedAt.IsZero() {
			profiles++
		}
	}
	if gq, gp, _ := requestsByKind(e.srv); gq == 0 || profiles < queued-gp {
		t.Errorf("after the reset: %d GraphQL queries, %d REST profile reads, %d profiles of %d queued", gq, gp, profiles, queued)
	}
}

// TestGraphQLHeadersPause: GraphQL answers whose headers show the graphql
// budget at its reserve pause GraphQL (not REST) until the reset, as
// core's do for REST.
func TestGraphQLHeadersPause(t *testing.T) {
	e := newEnv(t)
	e.loadCommunity(30)
	reset := testNow.Add(10 * time.Minute).Truncate(time.Second)
	e.srv.SetGraphQLRateLimit(connectors.DefaultReserve+1, reset) // one query leaves the reserve
	c := e.conn()
	if done, err := e.sync(c, 0); err != nil || !done {
		t.Fatalf("sync: %v %v", done, err)
	}
	gq, gp, _ := requestsByKind(e.srv)
	if gq != 1 || gp != 0 {
		t.Errorf("%d GraphQL queries, %d REST profile reads; want one query, then the pause", gq, gp)
	}
	for _, r := range c.Client().Resources() {
		if r.Resource == "graphql" && (!r.Paused || r.Remaining != connectors.DefaultReserve) {
			t.Errorf("graphql budget %+v, want paused at the reserve", r)
		}
	}
	if c.RateLimit().Paused {
		t.Error("the core budget is paused by the graphql one")
	}
	// (A spent core budget pausing REST and not GraphQL:
	// connectors.TestClientResourceBudgets.)
}

// TestGraphQLReviewsBeyondOnePage: a pull request with more than 100
// reviews is read through REST (every page); the others of the query come
// from GraphQL.
func TestGraphQLReviewsBeyondOnePage(t *testing.T) {
	e := newEnv(t)
	at := testNow.Add(-5 * time.Hour)
	for _, l := range []string{"ann", "bob"} {
		e.srv.AddUser(githubtest.User{Login: l, Name: l})
	}
	if _, err := e.srv.AddRepo(githubtest.Repo{Owner: "rollcall-demo", Name: "alpha"}); err != nil {
		t.Fatal(err)
	}
	want := 0
	for i, n := range []int{120, 3} {
		pr, err := e.srv.AddPull("rollcall-demo", "alpha", githubtest.Issue{User: "ann", Title: fmt.Sprint("pr ", i), CreatedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		for k := range n {
			if _, err := e.srv.AddReview("rollcall-demo", "alpha", githubtest.Review{Pull: pr.Number, User: "bob", Body: "ok", SubmittedAt: at.Add(time.Duration(k+1) * time.Second)}); err != nil {
				t.Fatal(err)
			}
		}
		want += n
	}
	e.mustSync()
	if got := countTypes(e.store.acts)[TypePRReview]; got != want {
		t.Errorf("%d reviews stored, want %d", got, want)
	}
	restPages := 0
	for _, r := range e.srv.Requests() {
		if strings.HasSuffix(r.Path, "/reviews") {
			restPages++
		}
	}
	if gq, _, _ := requestsByKind(e.srv); gq == 0 || restPages != 2 {
		t.Errorf("%d GraphQL queries, %d REST review pages; want GraphQL and the two REST pages of the long pull request", gq, restPages)
	}
}

// TestReviewsQueryTypeBounded: the reviews query's Go type depends only on
// how many pull requests it asks, not on their numbers (they are
// variables), so the types reflect keeps for the life of the daemon are
// at most graphQLBatch, however many batches it asks.
func TestReviewsQueryTypeBounded(t *testing.T) {
	batch := func(first, n int) []prRef {
		out := make([]prRef, n)
		for i := range out {
			out[i] = prRef{Number: first + i}
		}
		return out
	}
	types := map[any]bool{}
	for first := 1; first <= 1000; first += 7 {
		for _, n := range []int{1, 2, graphQLBatch} {
			q, vars := reviewsQuery("acme", "widget", batch(first, n))
			types[q.Type()] = true
			if got, want := len(vars), n+2; got != want {
				t.Fatalf("batch of %d: %d variables, want %d", n, got, want)
			}
			if got := vars["n0"]; got != githubv4.Int(first) {
				t.Fatalf("batch from %d: $n0 = %v", first, got)
			}
			if got := vars[fmt.Sprintf("n%d", n-1)]; got != githubv4.Int(first+n-1) {
				t.Fatalf("batch from %d: last number = %v", first, got)
			}
		}
	}
	if len(types) != 3 {
		t.Errorf("%d query types for 3 batch sizes, want 3", len(types))
	}
}
