package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
	"go.yaml.in/yaml/v3"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/community"
	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
)

// ---- recorded fixtures ----

// fixtureDir finds /work/shared/fixtures/github/octokit-fixtures relative to
// this package (../../../shared from the module root's sibling).
func fixtureDir(t *testing.T) string {
	t.Helper()
	for _, rel := range []string{"../../../shared/fixtures/github/octokit-fixtures", "../../../../shared/fixtures/github/octokit-fixtures"} {
		if st, err := os.Stat(rel); err == nil && st.IsDir() {
			return rel
		}
	}
	t.Skip("recorded fixtures (shared/fixtures/github/octokit-fixtures) missing; skipping")
	return ""
}

type recording struct {
	Method   string          `json:"method"`
	Path     string          `json:"path"`
	Status   int             `json:"status"`
	Response json.RawMessage `json:"response"`
}

func loadRecordings(t *testing.T, scenario string) []recording {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir(t), scenario, "raw-fixture.json"))
	if err != nil {
		t.Skipf("fixture %s missing: %v", scenario, err)
	}
	var recs []recording
	if err := json.Unmarshal(b, &recs); err != nil {
		t.Fatalf("decode %s: %v", scenario, err)
	}
	return recs
}

// rawReactions is the reactions summary of a recorded object as the model
// must carry it: total_count, and every non-zero content by name.
func rawReactions(t *testing.T, obj map[string]any) *connectors.Reactions {
	t.Helper()
	r, ok := obj["reactions"].(map[string]any)
	if !ok {
		t.Fatalf("recorded object %v has no reactions summary", obj["url"])
	}
	want := &connectors.Reactions{Total: int(r["total_count"].(float64))}
	for _, k := range []string{"+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"} {
		if n := int(r[k].(float64)); n != 0 {
			if want.ByKind == nil {
				want.ByKind = map[string]int{}
			}
			want.ByKind[k] = n
		}
	}
	return want
}

func TestTranslateIssuesFixture(t *testing.T) {
	recs := loadRecordings(t, "paginate-issues")
	tr := translator{instance: "github.com"}
	var issues []*github.Issue
	var raw []map[string]any
	for _, r := range recs {
		if r.Method != "get" || !strings.Contains(r.Path, "/issues") {
			continue
		}
		var page []*github.Issue
		if err := json.Unmarshal(r.Response, &page); err != nil {
			t.Fatalf("decode %s: %v", r.Path, err)
		}
		var rawPage []map[string]any
		if err := json.Unmarshal(r.Response, &rawPage); err != nil {
			t.Fatal(err)
		}
		issues = append(issues, page...)
		raw = append(raw, rawPage...)
	}
	if len(issues) != 13 {
		t.Fatalf("fixture has %d issues, want 13", len(issues))
	}
	keys := map[string]bool{}
	for i, is := range issues {
		acts := tr.issue("octokit-fixture-org/x", is)
		if len(acts) != 1 {
			t.Fatalf("issue %d: %d activities, want 1 (no PRs in fixture)", i, len(acts))
		}
		a := acts[0]
		rw := raw[i]
		user := rw["user"].(map[string]any)
		created, _ := time.Parse(time.RFC3339, rw["created_at"].(string))
		want := connectors.Activity{
			Key:        fmt.Sprintf("github/github.com/issue_opened/%.0f", rw["id"].(float64)),
			Platform:   "github",
			Instance:   "github.com",
			Type:       "issue_opened",
			OccurredAt: created,
			Actor:      connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: fmt.Sprintf("%.0f", user["id"].(float64))},
			URL:        rw["html_url"].(string),
			Title:      rw["title"].(string),
			Channel:    "octokit-fixture-org/x",
			Reactions:  rawReactions(t, rw),
		}
		if diff := cmp.Diff(want, a); diff != "" {
			t.Errorf("issue %d (-want +got):\n%s", i, diff)
		}
		keys[a.Key] = true
		acc, ok := tr.account(is.GetUser())
		if !ok || acc.Username != user["login"] || acc.AvatarURL != user["avatar_url"] || acc.URL != user["html_url"] {
			t.Errorf("issue %d: account %+v does not match %v", i, acc, user)
		}
	}
	if len(keys) != 13 {
		t.Errorf("%d distinct keys, want 13", len(keys))
	}
}

func TestTranslateReleaseFixture(t *testing.T) {
	recs := loadRecordings(t, "release-assets")
	tr := translator{instance: "github.com"}
	n := 0
	for _, r := range recs {
		if r.Method != "get" || !strings.Contains(r.Path, "/releases/tags/") {
			continue
		}
		n++
		var rel github.RepositoryRelease
		if err := json.Unmarshal(r.Response, &rel); err != nil {
			t.Fatal(err)
		}
		var rw map[string]any
		_ = json.Unmarshal(r.Response, &rw)
		a, ok := tr.release("o/r", &rel)
		if !ok {
			t.Fatal("release skipped")
		}
		published, _ := time.Parse(time.RFC3339, rw["published_at"].(string))
		author := rw["author"].(map[string]any)
		title := rw["name"].(string)
		if title == "" {
			title = rw["tag_name"].(string)
		}
		want := connectors.Activity{
			Key:      fmt.Sprintf("github/github.com/release/%.0f", rw["id"].(float64)),
			Platform: "github", Instance: "github.com", Type: "release",
			OccurredAt: published,
			Actor:      connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: fmt.Sprintf("%.0f", author["id"].(float64))},
			URL:        rw["html_url"].(string),
			Title:      title,
			Channel:    "o/r",
		}
		if diff := cmp.Diff(want, a); diff != "" {
			t.Errorf("release (-want +got):\n%s", diff)
		}
	}
	if n == 0 {
		t.Fatal("no release in fixture")
	}
}

func TestTranslateCommitAndProfile(t *testing.T) {
	tr := translator{instance: "ghe.example"}
	when := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	linked := &github.RepositoryCommit{
		SHA: github.String("abc"), HTMLURL: github.String("https://x/c/abc"),
		Commit: &github.Commit{
			Message: github.String("Fix the thing\n\nLong text"),
			Author:  &github.CommitAuthor{Name: github.String("Ada L"), Email: github.String("Ada@Example.org"), Date: &github.Timestamp{Time: when}},
		},
		Author: &github.User{ID: github.Int64(7), Login: github.String("ada")},
	}
	res := tr.commit("o/r", linked)
	git := connectors.AccountRef{Platform: "git", ExternalID: "ada@example.org"}
	gh := connectors.AccountRef{Platform: "github", Instance: "ghe.example", ExternalID: "7"}
	want := commitResult{
		activity: connectors.Activity{Key: "github/ghe.example/commit/o/r@abc", Platform: "github", Instance: "ghe.example", Type: "commit",
			OccurredAt: when, Actor: gh, URL: "https://x/c/abc", Title: "Fix the thing", Channel: "o/r"},
		accounts: []connectors.Account{
			{AccountRef: gh, Username: "ada"},
			{AccountRef: git, Username: "Ada@Example.org", Name: "Ada L", Emails: []string{"Ada@Example.org"}},
		},
		evidence: []connectors.Evidence{{Kind: connectors.EvidenceCommitAuthorLogin, A: git, B: gh}},
	}
	if diff := cmp.Diff(want, res, cmp.AllowUnexported(commitResult{})); diff != "" {
		t.Errorf("linked commit (-want +got):\n%s", diff)
	}
	linked.Author = nil
	res = tr.commit("o/r", linked)
	if res.activity.Actor != git || len(res.evidence) != 0 || len(res.accounts) != 1 {
		t.Errorf("unlinked commit: %+v", res)
	}

	u := &github.User{ID: github.Int64(7), Login: github.String("ada"), Name: github.String("Ada"), Email: github.String("ada@x.org"),
		Blog: github.String("ada.dev"), TwitterUsername: github.String("adal"), Followers: github.Int(12), Type: github.String("Bot"),
		HTMLURL: github.String("https://github.com/ada"), AvatarURL: github.String("https://a/7")}
	p := tr.profile(u, []socialAccount{{"mastodon", "https://m.example/@ada"}, {"twitter", "https://twitter.com/adal"}}, when)
	wantP := connectors.Account{AccountRef: gh, Username: "ada", Name: "Ada", URL: "https://github.com/ada", AvatarURL: "https://a/7",
		Emails: []string{"ada@x.org"}, Links: []string{"https://ada.dev", "https://twitter.com/adal", "https://m.example/@ada"},
		Followers: 12, Bot: true, ProfileFetchedAt: when}
	if diff := cmp.Diff(wantP, p); diff != "" {
		t.Errorf("profile (-want +got):\n%s", diff)
	}
}

// ---- against githubtest ----

// clock is a fake clock; sleeping advances it.
type clock struct {
	mu    sync.Mutex
	t     time.Time
	slept time.Duration
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.slept += d
	c.mu.Unlock()
	return ctx.Err()
}

var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

const fakeBase = "http://github.test/"

func source(t *testing.T, settings string) config.Source {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(settings), &n); err != nil {
		t.Fatal(err)
	}
	return config.Source{Name: "gh", Type: "github", File: "test.yaml", Line: 1, Settings: *n.Content[0]}
}

// store simulates the CRM store: it commits a batch and its cursor together.
type store struct {
	mu       sync.Mutex
	acts     map[string]connectors.Activity
	accounts map[string]connectors.Account
	evidence map[connectors.Evidence]bool
	cursor   connectors.Cursor
	batches  int
	// emitted counts, by type, the activities handed over in batches.
	emitted map[string]int
}

func newStore() *store {
	return &store{acts: map[string]connectors.Activity{}, accounts: map[string]connectors.Account{}, evidence: map[connectors.Evidence]bool{}, emitted: map[string]int{}}
}

func (s *store) ProfileFetchedAt(_ context.Context, ref connectors.AccountRef) (time.Time, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[ref.String()]
	if !ok || a.ProfileFetchedAt.IsZero() {
		return time.Time{}, false, nil
	}
	return a.ProfileFetchedAt, true, nil
}

func (s *store) apply(b connectors.Batch) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range b.Activities {
		s.acts[a.Key] = a
		s.emitted[a.Type]++
	}
	for _, a := range b.Accounts {
		if old, ok := s.accounts[a.String()]; ok && a.ProfileFetchedAt.IsZero() && !old.ProfileFetchedAt.IsZero() {
			continue
		}
		s.accounts[a.String()] = a
	}
	for _, e := range b.Evidence {
		s.evidence[e] = true
	}
	s.cursor = b.Next
	s.batches++
}

func (s *store) keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.acts {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

type env struct {
	t     *testing.T
	srv   *githubtest.Server
	clk   *clock
	store *store
	logs  *bytes.Buffer
	steps int
	yaml  string
}

func newEnv(t *testing.T, opts ...githubtest.Option) *env {
	clk := &clock{t: testNow}
	srv := githubtest.New(append([]githubtest.Option{githubtest.WithNow(clk.Now), githubtest.WithToken("tok-SENTINEL")}, opts...)...)
	return &env{t: t, srv: srv, clk: clk, store: newStore(), logs: &bytes.Buffer{},
		yaml: "token: tok-SENTINEL\nbase_url: " + fakeBase + "\nrepos: [rollcall-demo/alpha]\n"}
}

// conn returns a fresh connector, as after a restart.
func (e *env) conn() *Connector {
	e.t.Helper()
	c, err := newConnector(connectors.Options{
		Source:   source(e.t, e.yaml),
		Logger:   slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:      e.clk.Now,
		HTTP:     e.srv.Transport(),
		Profiles: e.store,
		Version:  "test",
	}, e.clk.Sleep)
	if err != nil {
		e.t.Fatal(err)
	}
	if e.steps > 0 {
		c.stepsPerBatch = e.steps
	}
	return c
}

// sync runs Fetch until Done (or limit batches), applying each batch.
func (e *env) sync(c *Connector, limit int) (done bool, err error) {
	e.t.Helper()
	for i := 0; limit <= 0 || i < limit; i++ {
		b, err := c.Fetch(context.Background(), e.store.cursor)
		if err != nil {
			return false, err
		}
		e.store.apply(b)
		if b.Done {
			return true, nil
		}
		if i > 100000 {
			e.t.Fatal("sync does not finish")
		}
	}
	return false, nil
}

func (e *env) mustSync() {
	e.t.Helper()
	if _, err := e.sync(e.conn(), 0); err != nil {
		e.t.Fatalf("sync: %v", err)
	}
	if strings.Contains(e.logs.String(), "tok-SENTINEL") {
		e.t.Fatal("the token appears in the logs")
	}
}

// loadCommunity loads a generated community and points the source at all
// its repositories.
func (e *env) loadCommunity(size int) *community.Community {
	e.t.Helper()
	com := community.Generate(7, size, testNow.Add(-time.Hour))
	if err := com.LoadGitHub(e.srv); err != nil {
		e.t.Fatal(err)
	}
	var repos []string
	for _, r := range com.Repos {
		repos = append(repos, r.Repo.FullName())
	}
	e.yaml = "token: tok-SENTINEL\nbase_url: " + fakeBase + "\nrepos: [" + strings.Join(repos, ", ") + "]\n"
	return com
}

func countTypes(acts map[string]connectors.Activity) map[string]int {
	out := map[string]int{}
	for _, a := range acts {
		out[a.Type]++
	}
	return out
}

func expectedTypes(com *community.Community) map[string]int {
	want := map[string]int{}
	for _, rd := range com.Repos {
		for _, is := range rd.Issues {
			if is.Pull {
				want[TypePROpened]++
				if !is.MergedAt.IsZero() {
					want[TypePRMerged]++
				}
			} else {
				want[TypeIssueOpened]++
			}
		}
		want[TypeIssueComment] += len(rd.Comments)
		want[TypePRReviewComment] += len(rd.ReviewComments)
		want[TypePRReview] += len(rd.Reviews)
		want[TypeStar] += len(rd.Stars)
		want[TypeFork] += len(rd.Forks)
		want[TypeRelease] += len(rd.Releases)
		want[TypeCommit] += len(rd.Commits)
	}
	for k, v := range want {
		if v == 0 {
			delete(want, k)
		}
	}
	return want
}

func TestBackfillIncrementalIdle(t *testing.T) {
	e := newEnv(t)
	com := e.loadCommunity(60)
	e.mustSync()

	if diff := cmp.Diff(expectedTypes(com), countTypes(e.store.acts)); diff != "" {
		t.Errorf("activities by type after backfill (-want +got):\n%s", diff)
	}
	// Multi-page: at least one stream needed a second page.
	paged := false
	for _, r := range e.srv.Requests() {
		if strings.Contains(r.RawQuery, "page=2") {
			paged = true
		}
	}
	if !paged {
		t.Error("backfill never read a second page; make the community bigger")
	}
	// Every activity has an actor, comments and reviews have parents that exist.
	for k, a := range e.store.acts {
		if a.Actor.IsZero() && a.Type != TypeCommit {
			t.Errorf("%s: no actor", k)
		}
		switch a.Type {
		case TypeIssueComment, TypePRReview, TypePRReviewComment, TypePRMerged:
			if _, ok := e.store.acts[a.ParentKey]; !ok {
				t.Errorf("%s: parent %q not synced", k, a.ParentKey)
			}
		}
	}
	// Profiles were read for GitHub accounts, and commit evidence reported.
	profiles := 0
	for _, a := range e.store.accounts {
		if !a.ProfileFetchedAt.IsZero() {
			profiles++
		}
	}
	if profiles == 0 || len(e.store.evidence) == 0 {
		t.Errorf("profiles = %d, evidence = %d; want some of each", profiles, len(e.store.evidence))
	}

	// Idle: every request is a 304 and the budget does not move.
	_, remBefore, _ := e.srv.RateLimit()
	e.srv.ResetLog()
	e.mustSync()
	for _, r := range e.srv.Requests() {
		if r.Status != 304 {
			t.Errorf("idle re-sync: %s?%s answered %d, want 304", r.Path, r.RawQuery, r.Status)
		}
	}
	if e.srv.Count() == 0 || e.srv.Counted() != 0 {
		t.Errorf("idle re-sync: %d requests, %d counted; want some, none counted", e.srv.Count(), e.srv.Counted())
	}
	if _, rem, _ := e.srv.RateLimit(); rem != remBefore {
		t.Errorf("idle re-sync: remaining %d, was %d", rem, remBefore)
	}

	// Incremental: add one of everything to one repository.
	before := map[string]bool{}
	for _, k := range e.store.keys() {
		before[k] = true
	}
	repo := com.Repos[0].Repo
	o, n := repo.Owner, repo.Name
	login := com.Users[len(com.Users)-1].Login
	e.clk.Advance(time.Hour)
	at := e.clk.Now()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	is, err := e.srv.AddIssue(o, n, githubtest.Issue{User: login, Title: "new issue", CreatedAt: at})
	must(err)
	pr, err := e.srv.AddPull(o, n, githubtest.Issue{User: login, Title: "new PR", CreatedAt: at})
	must(err)
	_, err = e.srv.AddComment(o, n, githubtest.Comment{Issue: is.Number, User: login, Body: "hi", CreatedAt: at})
	must(err)
	_, err = e.srv.AddReview(o, n, githubtest.Review{Pull: pr.Number, User: login, State: githubtest.ReviewApproved, SubmittedAt: at})
	must(err)
	_, err = e.srv.AddReviewComment(o, n, githubtest.ReviewComment{Pull: pr.Number, User: login, Body: "nit", Path: "a.go", CreatedAt: at})
	must(err)
	must(e.srv.MergePull(o, n, pr.Number, at))
	must(e.srv.AddStar(o, n, com.Users[1].Login, at))
	_, err = e.srv.AddRelease(o, n, githubtest.Release{TagName: "v9.9.9", Author: login, CreatedAt: at, PublishedAt: at})
	must(err)
	_, err = e.srv.AddCommit(o, n, githubtest.Commit{Message: "new commit", AuthorName: "N", AuthorEmail: "n@example.org", AuthorDate: at, Author: login})
	must(err)
	forker := githubtest.User{Login: "new-forker"}
	e.srv.AddUser(forker)
	_, err = e.srv.AddFork(o, n, "new-forker", at)
	must(err)

	e.srv.ResetLog()
	e.mustSync()
	var added []string
	for _, k := range e.store.keys() {
		if !before[k] {
			added = append(added, e.store.acts[k].Type)
		}
	}
	sort.Strings(added)
	wantAdded := []string{TypeCommit, TypeFork, TypeIssueComment, TypeIssueOpened, TypePRMerged, TypePROpened, TypePRReview, TypePRReviewComment, TypeRelease, TypeStar}
	if diff := cmp.Diff(wantAdded, added); diff != "" {
		t.Errorf("incremental: new activity types (-want +got):\n%s", diff)
	}
	// Only what changed costs budget: a few pages per stream of the changed
	// repository plus the new profiles, not a re-read.
	if got, max := e.srv.Counted(), 40; got > max {
		t.Errorf("incremental re-sync counted %d requests, want at most %d", got, max)
		for _, r := range e.srv.Requests() {
			if r.Counted {
				t.Logf("%d %s?%s", r.Status, r.Path, r.RawQuery)
			}
		}
	}
}

func TestCrashResume(t *testing.T) {
	build := func() *env {
		e := newEnv(t)
		e.loadCommunity(12)
		e.steps = 1
		return e
	}
	ref := build()
	ref.mustSync()
	want := ref.store.keys()
	total := ref.store.batches
	if total < 5 {
		t.Fatalf("only %d batches; the test needs more", total)
	}
	for k := 1; k < total; k++ {
		e := build()
		if done, err := e.sync(e.conn(), k); err != nil || done {
			t.Fatalf("k=%d: first run: done=%v err=%v", k, done, err)
		}
		// Crash: the connector is lost; a new one resumes from the
		// committed cursor.
		e.mustSync()
		if diff := cmp.Diff(want, e.store.keys()); diff != "" {
			t.Fatalf("crash after batch %d: keys differ (-want +got):\n%s", k, diff)
		}
	}
}

func TestRateLimitExhausted(t *testing.T) {
	e := newEnv(t)
	e.loadCommunity(10)
	reset := testNow.Add(30 * time.Minute).Truncate(time.Second)
	e.srv.SetRateLimit(0, reset)
	c := e.conn()
	_, err := c.Fetch(context.Background(), connectors.Cursor{})
	var rl *connectors.ErrRateLimited
	if !errors.As(err, &rl) || !rl.Until.Equal(reset) {
		t.Fatalf("err = %v, want ErrRateLimited until %v", err, reset)
	}
	if got := e.srv.Count(); got != 1 {
		t.Errorf("requests = %d, want 1", got)
	}
	// The client is paused: no request until the reset.
	_, err = c.Fetch(context.Background(), connectors.Cursor{})
	if !errors.As(err, &rl) || e.srv.Count() != 1 {
		t.Errorf("second fetch: err = %v, requests = %d; want ErrRateLimited and no request", err, e.srv.Count())
	}
	e.clk.Advance(31 * time.Minute)
	if _, err := c.Fetch(context.Background(), connectors.Cursor{}); err != nil {
		t.Errorf("after reset: %v", err)
	}
}

func TestTransientFailures(t *testing.T) {
	tests := []struct {
		name      string
		fault     func(*githubtest.Server)
		wantSleep time.Duration // exact when > 0
		wantErr   func(error) bool
	}{
		{name: "secondary limit with Retry-After", fault: func(s *githubtest.Server) { s.SecondaryLimitNext(42) }, wantSleep: 42 * time.Second},
		{name: "5xx then success", fault: func(s *githubtest.Server) { s.FailNext(502, 2) }},
		{name: "malformed JSON", fault: func(s *githubtest.Server) { s.MalformedNext(1) }, wantErr: func(err error) bool {
			var m *connectors.ErrMalformed
			return errors.As(err, &m) && m.Status == 200 && strings.Contains(m.URL, "/api/v3/")
		}},
		{name: "truncated body", fault: func(s *githubtest.Server) { s.TruncateNext(1) }, wantErr: func(err error) bool {
			var m *connectors.ErrMalformed
			return errors.As(err, &m)
		}},
		{name: "unauthorized", fault: func(s *githubtest.Server) {}, wantErr: func(err error) bool {
			var u *connectors.ErrUnauthorized
			return errors.As(err, &u)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.loadCommunity(10)
			if tt.name == "unauthorized" {
				e.yaml = strings.Replace(e.yaml, "tok-SENTINEL", "wrong", 1)
			}
			tt.fault(e.srv)
			c := e.conn()
			b, err := c.Fetch(context.Background(), connectors.Cursor{})
			if tt.wantErr != nil {
				if err == nil || !tt.wantErr(err) {
					t.Fatalf("err = %v, want a matching error", err)
				}
				if b.Next.State != nil || len(b.Activities) != 0 {
					t.Errorf("batch returned with the error: %+v", b)
				}
				if strings.Contains(err.Error(), "tok-SENTINEL") {
					t.Errorf("error leaks the token: %v", err)
				}
				if tt.name == "unauthorized" {
					return
				}
				// Not advanced: the same cursor works once the fault is gone.
				if _, err := c.Fetch(context.Background(), connectors.Cursor{}); err != nil {
					t.Fatalf("retry: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if len(b.Activities) == 0 {
				t.Error("no activities")
			}
			if tt.wantSleep > 0 && e.clk.slept != tt.wantSleep {
				t.Errorf("slept %v, want %v", e.clk.slept, tt.wantSleep)
			}
		})
	}
}

func TestOrgsListsEveryRepo(t *testing.T) {
	byRepo := newEnv(t)
	com := byRepo.loadCommunity(10)
	byRepo.mustSync()

	byOrg := newEnv(t)
	byOrg.loadCommunity(10)
	byOrg.yaml = "token: tok-SENTINEL\nbase_url: " + fakeBase + "\norgs: [" + com.Org + "]\n"
	byOrg.mustSync()
	if diff := cmp.Diff(byRepo.store.keys(), byOrg.store.keys()); diff != "" {
		t.Errorf("orgs vs repos (-repos +orgs):\n%s", diff)
	}

	// Idle with orgs, the listing due again: it is conditional too, so
	// nothing counts.
	byOrg.clk.Advance(reposEvery)
	byOrg.srv.ResetLog()
	byOrg.mustSync()
	if byOrg.srv.Count() == 0 || byOrg.srv.Counted() != 0 {
		for _, r := range byOrg.srv.Requests() {
			t.Logf("%d %s?%s counted=%v", r.Status, r.Path, r.RawQuery, r.Counted)
		}
		t.Errorf("idle re-sync with orgs: %d requests, %d counted; want some, none counted", byOrg.srv.Count(), byOrg.srv.Counted())
	}
	if diff := cmp.Diff(byRepo.store.keys(), byOrg.store.keys()); diff != "" {
		t.Errorf("after idle re-sync with orgs (-repos +orgs):\n%s", diff)
	}
}

// TestOrgListedHourly: an organization's repository listing is asked at
// most once every reposEvery; a repository created in between is read
// from the first pass after that.
func TestOrgListedHourly(t *testing.T) {
	e := newEnv(t)
	com := e.loadCommunity(10)
	e.yaml = "token: tok-SENTINEL\nbase_url: " + fakeBase + "\norgs: [" + com.Org + "]\n"
	e.mustSync()
	listings := func() int {
		n := 0
		for _, r := range e.srv.Requests() {
			if strings.HasPrefix(r.Path, "/api/v3/orgs/") {
				n++
			}
		}
		return n
	}
	if _, err := e.srv.AddRepo(githubtest.Repo{Owner: com.Org, Name: "newcomer"}); err != nil {
		t.Fatal(err)
	}
	e.srv.AddUser(githubtest.User{Login: "nora"})
	if _, err := e.srv.AddIssue(com.Org, "newcomer", githubtest.Issue{User: "nora", Title: "first", CreatedAt: e.clk.Now()}); err != nil {
		t.Fatal(err)
	}
	hasNewcomer := func() bool {
		for _, a := range e.store.acts {
			if strings.EqualFold(a.Channel, com.Org+"/newcomer") {
				return true
			}
		}
		return false
	}
	for i, tt := range []struct {
		advance time.Duration
		asked   int
		found   bool
	}{
		{10 * time.Minute, 0, false},
		{40 * time.Minute, 0, false},
		{10 * time.Minute, 1, true}, // an hour after the listing
		{10 * time.Minute, 0, true},
	} {
		e.clk.Advance(tt.advance)
		e.srv.ResetLog()
		e.mustSync()
		if got := listings(); got != tt.asked {
			t.Errorf("pass %d: the organization listing asked %d times, want %d", i, got, tt.asked)
		}
		if got := hasNewcomer(); got != tt.found {
			t.Errorf("pass %d: the new repository's issue stored %v, want %v", i, got, tt.found)
		}
	}
}

func TestSinceLimitsBackfill(t *testing.T) {
	e := newEnv(t)
	com := e.loadCommunity(10)
	since := com.Now.Add(-60 * 24 * time.Hour).UTC().Truncate(24 * time.Hour)
	e.yaml += "since: " + since.Format(time.DateOnly) + "\n"
	e.mustSync()
	if len(e.store.acts) == 0 {
		t.Fatal("nothing synced")
	}
	for k, a := range e.store.acts {
		if a.OccurredAt.Before(since) {
			t.Errorf("%s at %v is before since %v", k, a.OccurredAt, since)
		}
	}
}

func TestNewValidates(t *testing.T) {
	for _, tt := range []struct{ name, yaml, want string }{
		{"no repos", "token: x\n", "at least one of repos or orgs"},
		{"bad repo", "repos: [nope]\n", `"nope" is not owner/name`},
		{"bad base", "repos: [a/b]\nbase_url: ftp://x\n", "base_url"},
		{"unknown field", "repos: [a/b]\nrepoz: [c/d]\n", "repoz"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(connectors.Options{Source: source(t, tt.yaml)})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	var logs bytes.Buffer
	c, err := New(connectors.Options{Source: source(t, "repos: [a/b]\n"), Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil || c == nil {
		t.Fatalf("New: %v", err)
	}
	if !strings.Contains(logs.String(), "no token: GitHub allows 60 requests/hour") {
		t.Errorf("no warning about the missing token: %s", logs.String())
	}
	if got := c.(*Connector).tr.instance; got != "github.com" {
		t.Errorf("instance = %q", got)
	}
	if !slices.Contains([]string{Kind.Name}, "github") || !strings.Contains(Kind.Sample, "type: github") {
		t.Error("Kind is not registered with its sample")
	}
}

// TestIsDecodeError: decode failures are told by their types, not by the
// text of an error (which only says the same thing in words).
func TestIsDecodeError(t *testing.T) {
	var syntax error
	if err := json.Unmarshal([]byte("{"), new(any)); err != nil {
		syntax = err
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"syntax error, wrapped", fmt.Errorf("decode: %w", syntax), true},
		{"type error", &json.UnmarshalTypeError{Value: "string"}, true},
		{"unexpected EOF", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"words alone", errors.New("invalid character 'x' looking for beginning of value"), false},
		{"other", errors.New("connection reset"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isDecodeError(tt.err); got != tt.want {
				t.Errorf("isDecodeError(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
