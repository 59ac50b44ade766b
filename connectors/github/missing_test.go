package github

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
)

// pass runs Fetch until Done, applying each batch, and returns the summed
// stats.
func (e *env) pass(t *testing.T, c *Connector) connectors.Stats {
	t.Helper()
	var sum connectors.Stats
	for i := 0; ; i++ {
		b, err := c.Fetch(context.Background(), e.store.cursor)
		if err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		e.store.apply(b)
		sum.Requests += b.Stats.Requests
		sum.KnownMissing += b.Stats.KnownMissing
		if b.Done {
			return sum
		}
		if i > 1000 {
			t.Fatal("pass does not finish")
		}
	}
}

// TestMissingObjectsAskedOncePerTTL seeds issues and pull requests that
// cannot be read (two deleted issues answering 410, a deleted pull request,
// and comments whose old id-style issue_url answers 404), each referenced by
// five comments, and two deleted users who commented. A pass asks for each
// missing object once; a pass within the expiry asks for none and counts
// the skips; after the expiry each is asked once again. The comments are
// stored with their author, time and a parent key from their issue_url.
func TestMissingObjectsAskedOncePerTTL(t *testing.T) {
	const owner, name = "rollcall-demo", "alpha"
	e := newEnv(t)
	for _, l := range []string{"alice", "bob", "dave", "erin"} {
		e.srv.AddUser(githubtest.User{Login: l, Name: strings.ToUpper(l)})
	}
	if _, err := e.srv.AddRepo(githubtest.Repo{Owner: owner, Name: name}); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	at := testNow.Add(-10 * time.Hour)
	issue := func(pull bool) githubtest.Issue {
		is, err := e.srv.AddIssue(owner, name, githubtest.Issue{User: "alice", Title: "t", Pull: pull, CreatedAt: at})
		must(err)
		return is
	}
	gone1, gone2, legacy, gonePR, kept := issue(false), issue(false), issue(false), issue(true), issue(false)
	var missingComments []int64
	for i := range 5 {
		when := at.Add(time.Duration(i+1) * time.Minute)
		for _, is := range []githubtest.Issue{gone1, gone2, legacy} {
			c, err := e.srv.AddComment(owner, name, githubtest.Comment{Issue: is.Number, User: "bob", CreatedAt: when, LegacyIssueURL: is.Number == legacy.Number})
			must(err)
			missingComments = append(missingComments, c.ID)
		}
		rc, err := e.srv.AddReviewComment(owner, name, githubtest.ReviewComment{Pull: gonePR.Number, User: "bob", CreatedAt: when})
		must(err)
		missingComments = append(missingComments, rc.ID)
	}
	for _, l := range []string{"dave", "erin"} {
		_, err := e.srv.AddComment(owner, name, githubtest.Comment{Issue: kept.Number, User: l, CreatedAt: at.Add(time.Hour)})
		must(err)
		must(e.srv.DeleteUser(l))
	}
	for _, n := range []int{gone1.Number, gone2.Number, gonePR.Number} {
		must(e.srv.DeleteIssue(owner, name, n))
	}
	// The lookups of missing objects, by path.
	api := "/api/v3/repos/" + owner + "/" + name + "/issues/"
	missingPaths := map[string]bool{
		api + fmt.Sprint(gone1.Number): true, api + fmt.Sprint(gone2.Number): true,
		api + fmt.Sprint(gonePR.Number): true, api + fmt.Sprint(legacy.ID): true, // id-style issue_url
		"/api/v3/users/dave": true, "/api/v3/users/erin": true,
		"/api/v3/users/dave/social_accounts": true, "/api/v3/users/erin/social_accounts": true,
	}
	const distinct = 6 // four parents, two users
	// Each missing parent is referenced by five comments. (Each listing
	// here fits in one page that is not full, so it keeps its watermark and
	// is not asked again from the newest item: see advanceSince.)
	const references = 4 * 5

	tests := []struct {
		name    string
		advance time.Duration
		// wantAsked is the number of requests for missing objects.
		wantAsked int
		// wantSkipped is Stats.KnownMissing: every reference to a missing
		// parent not asked for, and one skipped profile per missing user.
		wantSkipped int
	}{
		{"first pass asks each missing object once", 0, distinct, references - 4},
		{"a pass within the expiry asks none", time.Hour, 0, references + 2},
		{"after the expiry each is asked once again", connectors.DefaultMissingTTL, distinct, references - 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.clk.Advance(tt.advance)
			// Each pass reads every comment again from the start (as a new
			// backfill would), keeping only the remembered missing objects.
			e.store.cursor = connectors.Cursor{Missing: e.store.cursor.Missing}
			e.srv.ResetLog()
			stats := e.pass(t, e.conn())
			asked := map[string]int{}
			n := 0
			for _, r := range e.srv.Requests() {
				if missingPaths[r.Path] {
					asked[r.Path]++
					n++
				}
			}
			if n != tt.wantAsked {
				t.Errorf("requests for missing objects = %d %v, want %d", n, asked, tt.wantAsked)
			}
			for p, k := range asked {
				if k > 1 || strings.HasSuffix(p, "/social_accounts") {
					t.Errorf("%s asked %d times", p, k)
				}
			}
			if stats.KnownMissing != tt.wantSkipped {
				t.Errorf("Stats.KnownMissing = %d, want %d", stats.KnownMissing, tt.wantSkipped)
			}
			if got := len(e.store.cursor.Missing); got != distinct {
				t.Errorf("cursor remembers %d missing objects, want %d: %v", got, distinct, e.store.cursor.Missing)
			}
		})
	}

	// The comments on missing parents are stored with what is known.
	for _, id := range missingComments {
		var a connectors.Activity
		for _, typ := range []string{TypeIssueComment, TypePRReviewComment} {
			if x, ok := e.store.acts[e.conn().tr.key(typ, fmt.Sprint(id))]; ok {
				a = x
			}
		}
		if a.Key == "" {
			t.Errorf("comment %d not stored", id)
			continue
		}
		if a.Actor.IsZero() || a.OccurredAt.IsZero() {
			t.Errorf("%s: actor %v, time %v", a.Key, a.Actor, a.OccurredAt)
		}
		prefix := e.conn().tr.key(TypeIssueNumber, owner+"/"+name+"#")
		if !strings.HasPrefix(a.ParentKey, prefix) {
			t.Errorf("%s: parent key %q, want %s<n> from its issue_url", a.Key, a.ParentKey, prefix)
		}
	}
	if k := e.conn().tr.key(TypeIssueNumber, owner+"/"+name+"#"+fmt.Sprint(legacy.ID)); !hasParent(e.store.acts, k) {
		t.Errorf("no comment has the parent key %s of its id-style issue_url", k)
	}
	// The deleted users' comments are kept, with the account as referenced.
	for _, l := range []string{"dave", "erin"} {
		u, _ := e.srv.User(l)
		a, ok := e.store.accounts[e.conn().tr.ref(&github.User{ID: github.Int64(u.ID)}).String()]
		if !ok || a.Username != l || !a.ProfileFetchedAt.IsZero() {
			t.Errorf("account of deleted user %s = %+v, %v; want the reference, no profile", l, a, ok)
		}
	}
}

func hasParent(acts map[string]connectors.Activity, key string) bool {
	for _, a := range acts {
		if a.ParentKey == key {
			return true
		}
	}
	return false
}

// TestDeletedPullAskedOnce deletes a pull request after the issues listing
// queued its reviews: the reviews lookup answers 404, is remembered, and the
// pull request costs one request in all; the next pass asks nothing of it.
func TestDeletedPullAskedOnce(t *testing.T) {
	const owner, name = "rollcall-demo", "alpha"
	e := newEnv(t)
	e.steps = 1
	e.srv.AddUser(githubtest.User{Login: "alice"})
	if _, err := e.srv.AddRepo(githubtest.Repo{Owner: owner, Name: name}); err != nil {
		t.Fatal(err)
	}
	at := testNow.Add(-time.Hour)
	pr, err := e.srv.AddPull(owner, name, githubtest.Issue{User: "alice", Title: "p", CreatedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := e.srv.AddReviewComment(owner, name, githubtest.ReviewComment{Pull: pr.Number, User: "alice", CreatedAt: at.Add(time.Duration(i) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.srv.AddReview(owner, name, githubtest.Review{Pull: pr.Number, User: "alice", SubmittedAt: at}); err != nil {
		t.Fatal(err)
	}
	c := e.conn()
	prPaths := map[string]bool{
		fmt.Sprintf("/api/v3/repos/%s/%s/issues/%d", owner, name, pr.Number):        true,
		fmt.Sprintf("/api/v3/repos/%s/%s/pulls/%d/reviews", owner, name, pr.Number): true,
	}
	asked := func() int {
		n := 0
		for _, r := range e.srv.Requests() {
			if prPaths[r.Path] {
				n++
			}
		}
		return n
	}
	// Read the issues listing (which queues the pull request's reviews),
	// then delete the pull request.
	for i := 0; ; i++ {
		b, err := c.Fetch(context.Background(), e.store.cursor)
		if err != nil {
			t.Fatal(err)
		}
		e.store.apply(b)
		if i == 1 {
			if err := e.srv.DeleteIssue(owner, name, pr.Number); err != nil {
				t.Fatal(err)
			}
		}
		if b.Done {
			break
		}
	}
	if n := asked(); n != 1 {
		t.Errorf("first pass: %d requests for the deleted pull request, want 1", n)
	}
	if _, ok := e.store.cursor.Missing[issueKey(owner, name, pr.Number)]; !ok {
		t.Errorf("cursor does not remember the deleted pull request: %v", e.store.cursor.Missing)
	}
	e.srv.ResetLog()
	e.pass(t, c)
	if n := asked(); n != 0 {
		t.Errorf("second pass: %d requests for the deleted pull request, want 0", n)
	}
}

// TestMissingRepoAndOrg: a configured repository and organization that
// answer 404 cost one request a pass (not one per stream), none within the
// expiry, and one again after it.
func TestMissingRepoAndOrg(t *testing.T) {
	e := newEnv(t)
	e.srv.AddUser(githubtest.User{Login: "alice"})
	if _, err := e.srv.AddRepo(githubtest.Repo{Owner: "rollcall-demo", Name: "alpha"}); err != nil {
		t.Fatal(err)
	}
	e.yaml = "token: tok-SENTINEL\nbase_url: " + fakeBase + "\nrepos: [rollcall-demo/alpha, ghost/nothing]\norgs: [ghostorg]\n"
	tests := []struct {
		name        string
		advance     time.Duration
		wantAsked   int
		wantSkipped int
	}{
		{"first pass asks each once", 0, 2, 0},
		{"a pass within the expiry asks none", time.Hour, 0, 2},
		{"after the expiry each is asked once again", connectors.DefaultMissingTTL, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.clk.Advance(tt.advance)
			e.srv.ResetLog()
			stats := e.pass(t, e.conn())
			n := 0
			for _, r := range e.srv.Requests() {
				if strings.HasPrefix(r.Path, "/api/v3/repos/ghost/nothing/") || strings.HasPrefix(r.Path, "/api/v3/orgs/ghostorg/") {
					n++
				}
			}
			if n != tt.wantAsked || stats.KnownMissing != tt.wantSkipped {
				t.Errorf("requests for them = %d, KnownMissing = %d; want %d, %d", n, stats.KnownMissing, tt.wantAsked, tt.wantSkipped)
			}
		})
	}
}
