package githubtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// fixture builds a server with one repo and n issues (every third a PR,
// every sixth merged), one comment on issue 1, a review and review comment.
func fixture(t *testing.T, n int, opts ...Option) (*Server, *clock) {
	t.Helper()
	clk := &clock{t: t0}
	s := New(append([]Option{WithNow(clk.Now)}, opts...)...)
	s.AddUser(User{Login: "alice", Name: "Alice Ã", CreatedAt: t0.Add(-1000 * time.Hour)})
	s.AddUser(User{Login: "dependabot[bot]", Type: TypeBot})
	if _, err := s.AddRepo(Repo{Owner: "acme", Name: "widget", CreatedAt: t0.Add(-2000 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		is := Issue{User: "alice", Title: fmt.Sprintf("issue %d", i), Pull: i%3 == 0, CreatedAt: t0.Add(time.Duration(i-n-1) * time.Hour)}
		got, err := s.AddIssue("acme", "widget", is)
		if err != nil || got.Number != i {
			t.Fatalf("AddIssue %d: %v %+v", i, err, got)
		}
		if i%6 == 0 {
			if err := s.MergePull("acme", "widget", i, is.CreatedAt.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return s, clk
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func get(t *testing.T, c *http.Client, url string, hdr ...string) result {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return result{resp.StatusCode, resp.Header, b}
}

func inproc(s *Server) *http.Client { return &http.Client{Transport: s.Transport()} }

const base = "http://fake.test/api/v3"

var nextRE = regexp.MustCompile(`<([^>]+)>; rel="next"`)

func TestPaginationFollowAllPages(t *testing.T) {
	s, _ := fixture(t, 25)
	url := s.Start(t) + "api/v3/repos/acme/widget/issues?state=all&per_page=7&direction=asc"
	c := http.DefaultClient
	var numbers []int
	pages := 0
	for url != "" {
		r := get(t, c, url, "Authorization", "Bearer x")
		if r.status != 200 {
			t.Fatalf("GET %s: %d %s", url, r.status, r.body)
		}
		pages++
		var items []struct {
			Number      int             `json:"number"`
			PullRequest json.RawMessage `json:"pull_request"`
		}
		if err := json.Unmarshal(r.body, &items); err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			numbers = append(numbers, it.Number)
			if (it.Number%3 == 0) != (it.PullRequest != nil) {
				t.Errorf("issue %d: pull_request = %s", it.Number, it.PullRequest)
			}
		}
		link := r.header.Get("Link")
		if pages == 1 && link != fmt.Sprintf(`<%s>; rel="next", <%s>; rel="last"`, replacePage(url, 2), replacePage(url, 4)) {
			t.Errorf("page 1 Link = %q", link)
		}
		if pages == 2 {
			for _, rel := range []string{"prev", "next", "last", "first"} {
				if !regexp.MustCompile(`rel="` + rel + `"`).MatchString(link) {
					t.Errorf("page 2 Link lacks %s: %q", rel, link)
				}
			}
		}
		url = ""
		if m := nextRE.FindStringSubmatch(link); m != nil {
			url = m[1]
		}
	}
	if pages != 4 || len(numbers) != 25 {
		t.Fatalf("pages=%d items=%d", pages, len(numbers))
	}
	for i, n := range numbers {
		if n != i+1 {
			t.Fatalf("order: %v", numbers)
		}
	}
	// A single page has no Link header.
	r := get(t, c, s.Start(t)+"api/v3/repos/acme/widget/issues?state=all&per_page=100")
	if r.header.Get("Link") != "" {
		t.Errorf("single page Link = %q", r.header.Get("Link"))
	}
}

// replacePage is the URL the fake links to for page p (query parameters
// are encoded sorted by name).
func replacePage(u string, p int) string {
	return regexp.MustCompile(`\?.*$`).ReplaceAllString(u, "") + "?direction=asc&page=" + strconv.Itoa(p) + "&per_page=7&state=all"
}

func TestStateSortDefaults(t *testing.T) {
	s, _ := fixture(t, 12)
	c := inproc(s)
	var items []struct {
		Number int    `json:"number"`
		State  string `json:"state"`
	}
	r := get(t, c, base+"/repos/acme/widget/issues")
	if err := json.Unmarshal(r.body, &items); err != nil {
		t.Fatal(err)
	}
	// Default: open only, newest first. 6 and 12 are merged (closed).
	if len(items) != 10 || items[0].Number != 11 || items[len(items)-1].Number != 1 {
		t.Errorf("default list: %+v", items)
	}
	r = get(t, c, base+"/repos/acme/widget/issues?state=closed")
	json.Unmarshal(r.body, &items)
	if len(items) != 2 || items[0].Number != 12 {
		t.Errorf("closed: %+v", items)
	}
	var pr []struct {
		PullRequest struct {
			MergedAt *string `json:"merged_at"`
		} `json:"pull_request"`
	}
	json.Unmarshal(r.body, &pr)
	if pr[0].PullRequest.MergedAt == nil {
		t.Errorf("merged PR lacks merged_at: %s", r.body)
	}
}

func TestSinceFilters(t *testing.T) {
	s, _ := fixture(t, 10)
	// A new comment on issue 2 bumps its updated_at past everything else.
	if _, err := s.AddComment("acme", "widget", Comment{Issue: 2, User: "alice", Body: "hi", CreatedAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	c := inproc(s)
	since := t0.Add(30 * time.Minute).Format(time.RFC3339)
	var items []struct {
		Number    int    `json:"number"`
		Comments  int    `json:"comments"`
		UpdatedAt string `json:"updated_at"`
	}
	r := get(t, c, base+"/repos/acme/widget/issues?state=all&since="+since)
	if err := json.Unmarshal(r.body, &items); err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Number != 2 || items[0].Comments != 1 || items[0].UpdatedAt != "2025-06-01T13:00:00Z" {
		t.Errorf("since: %s", r.body)
	}
	var comments []struct {
		IssueURL string `json:"issue_url"`
		HTMLURL  string `json:"html_url"`
	}
	r = get(t, c, base+"/repos/acme/widget/issues/comments?since="+since)
	json.Unmarshal(r.body, &comments)
	if len(comments) != 1 || comments[0].IssueURL != base+"/repos/acme/widget/issues/2" {
		t.Errorf("comments since: %s", r.body)
	}
	r = get(t, c, base+"/repos/acme/widget/issues/comments?since="+t0.Add(2*time.Hour).Format(time.RFC3339))
	if string(r.body) != "[]" {
		t.Errorf("comments after: %s", r.body)
	}
	r = get(t, c, base+"/repos/acme/widget/issues?since=yesterday")
	if r.status != 422 {
		t.Errorf("bad since: %d", r.status)
	}
}

func TestETagNotModifiedIsFree(t *testing.T) {
	s, _ := fixture(t, 3)
	c := inproc(s)
	url := base + "/repos/acme/widget/issues"
	r := get(t, c, url, "Authorization", "token x")
	etag := r.header.Get("ETag")
	if r.status != 200 || !regexp.MustCompile(`^"[0-9a-f]{64}"$`).MatchString(etag) {
		t.Fatalf("status %d etag %q", r.status, etag)
	}
	for _, inm := range []string{etag, "W/" + etag} {
		r2 := get(t, c, url, "Authorization", "token x", "If-None-Match", inm)
		if r2.status != 304 || len(r2.body) != 0 {
			t.Fatalf("If-None-Match %s: %d %q", inm, r2.status, r2.body)
		}
		if r2.header.Get("X-RateLimit-Remaining") != "4999" {
			t.Errorf("304 remaining = %q", r2.header.Get("X-RateLimit-Remaining"))
		}
	}
	if s.Counted() != 1 || s.CountStatus(304) != 2 || s.Count() != 3 {
		t.Errorf("counted=%d 304s=%d count=%d", s.Counted(), s.CountStatus(304), s.Count())
	}
	if reqs := s.Requests(); reqs[1].IfNoneMatch != etag || reqs[1].Status != 304 || reqs[1].Counted {
		t.Errorf("log: %+v", reqs[1])
	}
	// A change produces a new ETag and a 200.
	s.AddComment("acme", "widget", Comment{Issue: 1, User: "alice"})
	if r3 := get(t, c, url, "Authorization", "token x", "If-None-Match", etag); r3.status != 200 {
		t.Errorf("after change: %d", r3.status)
	}
}

func TestRateLimitExhaustionAndReset(t *testing.T) {
	s, clk := fixture(t, 1, WithRateLimit(3))
	c := inproc(s)
	url := base + "/repos/acme/widget"
	var reset string
	for i := 0; i < 3; i++ {
		r := get(t, c, url, "Authorization", "Bearer x")
		if r.status != 200 || r.header.Get("X-RateLimit-Remaining") != strconv.Itoa(2-i) || r.header.Get("X-RateLimit-Used") != strconv.Itoa(i+1) {
			t.Fatalf("request %d: %d %v", i, r.status, r.header)
		}
		reset = r.header.Get("X-RateLimit-Reset")
		if r.header.Get("X-RateLimit-Resource") != "core" || r.header.Get("X-RateLimit-Limit") != "3" {
			t.Fatalf("headers %v", r.header)
		}
	}
	if want := strconv.FormatInt(t0.Add(time.Hour).Unix(), 10); reset != want {
		t.Errorf("reset = %s, want %s", reset, want)
	}
	r := get(t, c, url, "Authorization", "Bearer x")
	var e apiError
	json.Unmarshal(r.body, &e)
	if r.status != 403 || r.header.Get("X-RateLimit-Remaining") != "0" || e.Message != "API rate limit exceeded for user ID 1." {
		t.Fatalf("exhausted: %d %v %s", r.status, r.header, r.body)
	}
	// rate_limit is free and still answers.
	r = get(t, c, base+"/rate_limit", "Authorization", "Bearer x")
	var rl struct {
		Resources struct {
			Core struct{ Limit, Remaining, Used int } `json:"core"`
		} `json:"resources"`
	}
	json.Unmarshal(r.body, &rl)
	if r.status != 200 || rl.Resources.Core.Remaining != 0 || rl.Resources.Core.Used != 3 {
		t.Errorf("rate_limit: %d %s", r.status, r.body)
	}
	clk.Add(time.Hour)
	r = get(t, c, url, "Authorization", "Bearer x")
	if r.status != 200 || r.header.Get("X-RateLimit-Remaining") != "2" {
		t.Errorf("after reset: %d %v", r.status, r.header)
	}
	s.SetRateLimit(0, clk.Now().Add(time.Minute))
	if r := get(t, c, url, "Authorization", "Bearer x"); r.status != 403 {
		t.Errorf("SetRateLimit(0): %d", r.status)
	}
}

func TestAuth(t *testing.T) {
	s, _ := fixture(t, 1, WithToken("s3cret"), WithUnauthenticatedLimit(1))
	c := inproc(s)
	url := base + "/users/alice"
	if r := get(t, c, url, "Authorization", "Bearer wrong"); r.status != 401 || !regexp.MustCompile(`"Bad credentials"`).Match(r.body) {
		t.Errorf("bad token: %d %s", r.status, r.body)
	}
	for _, a := range []string{"Bearer s3cret", "token s3cret"} {
		if r := get(t, c, url, "Authorization", a); r.status != 200 || r.header.Get("X-RateLimit-Limit") != "5000" {
			t.Errorf("%s: %d", a, r.status)
		}
	}
	r := get(t, c, url)
	if r.status != 200 || r.header.Get("X-RateLimit-Limit") != "1" {
		t.Errorf("anonymous: %d %v", r.status, r.header)
	}
	if r := get(t, c, url); r.status != 403 {
		t.Errorf("anonymous over budget: %d", r.status)
	}
}

func TestSecondaryAndFaults(t *testing.T) {
	s, clk := fixture(t, 2)
	c := inproc(s)
	url := base + "/repos/acme/widget/issues"
	s.SecondaryLimitNext(60)
	r := get(t, c, url)
	if r.status != 403 || r.header.Get("Retry-After") != "60" || !regexp.MustCompile(`secondary rate limit`).Match(r.body) {
		t.Errorf("secondary: %d %v %s", r.status, r.header, r.body)
	}
	s.FailNext(502, 2)
	for i := 0; i < 2; i++ {
		if r := get(t, c, url); r.status != 502 || !json.Valid(r.body) {
			t.Errorf("fail %d: %d %s", i, r.status, r.body)
		}
	}
	if r := get(t, c, url); r.status != 200 {
		t.Errorf("after FailNext: %d", r.status)
	}
	s.MalformedNext(1)
	if r := get(t, c, url); r.status != 200 || json.Valid(r.body) {
		t.Errorf("malformed: %d %s", r.status, r.body)
	}
	s.TruncateNext(1)
	r = get(t, c, url)
	if cl, _ := strconv.Atoi(r.header.Get("Content-Length")); r.status != 200 || json.Valid(r.body) || len(r.body) >= cl {
		t.Errorf("truncated: %d len %d content-length %d", r.status, len(r.body), cl)
	}
	if r := get(t, c, url); r.status != 200 || !json.Valid(r.body) {
		t.Errorf("after faults: %d", r.status)
	}
	// SlowNext: the request waits; the fake clock is unaffected.
	s.SlowNext(20 * time.Millisecond)
	start := time.Now()
	get(t, c, url)
	if time.Since(start) < 20*time.Millisecond {
		t.Errorf("SlowNext did not delay")
	}
	_ = clk
	if s.CountStatus(502) != 2 || s.CountStatus(403) != 1 {
		t.Errorf("counts: 502=%d 403=%d", s.CountStatus(502), s.CountStatus(403))
	}
	s.ResetLog()
	if s.Count() != 0 || len(s.Requests()) != 0 {
		t.Error("ResetLog")
	}
}

func TestNotFound(t *testing.T) {
	s, _ := fixture(t, 1)
	c := inproc(s)
	for _, p := range []string{"/repos/acme/nope/issues", "/users/nobody", "/repos/acme/widget/pulls/1/reviews", "/nothing"} {
		r := get(t, c, base+p)
		if r.status != 404 || string(r.body) != `{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}` {
			t.Errorf("%s: %d %s", p, r.status, r.body)
		}
	}
}

func TestStargazersMediaType(t *testing.T) {
	s, _ := fixture(t, 1)
	s.AddUser(User{Login: "bob"})
	s.AddStar("acme", "widget", "bob", t0.Add(-2*time.Hour))
	s.AddStar("acme", "widget", "alice", t0.Add(-time.Hour))
	c := inproc(s)
	url := base + "/repos/acme/widget/stargazers"
	r := get(t, c, url, "Accept", "application/vnd.github.star+json")
	var stars []struct {
		StarredAt string `json:"starred_at"`
		User      struct {
			Login string `json:"login"`
		} `json:"user"`
	}
	json.Unmarshal(r.body, &stars)
	if r.header.Get("X-GitHub-Media-Type") != "github.v3; param=star; format=json" || len(stars) != 2 || stars[0].User.Login != "bob" || stars[0].StarredAt != "2025-06-01T10:00:00Z" {
		t.Errorf("star+json: %v %s", r.header.Get("X-GitHub-Media-Type"), r.body)
	}
	// go-github's spelling of the media type.
	if r := get(t, c, url, "Accept", "application/vnd.github.v3.star+json"); !strings.Contains(string(r.body), `"starred_at"`) {
		t.Errorf("v3.star+json: %s", r.body)
	}
	r = get(t, c, url)
	var users []struct{ Login string }
	json.Unmarshal(r.body, &users)
	if len(users) != 2 || users[0].Login != "bob" || r.header.Get("X-GitHub-Media-Type") != "github.v3; format=json" {
		t.Errorf("plain: %s", r.body)
	}
}

func TestOtherEndpoints(t *testing.T) {
	s, _ := fixture(t, 3)
	s.AddUser(User{Login: "bob", Email: "bob@example.com", Social: []Social{{"mastodon", "https://fosstodon.org/@bob"}}})
	if _, err := s.AddFork("acme", "widget", "bob", t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	rv, _ := s.AddReview("acme", "widget", Review{Pull: 3, User: "bob", State: ReviewApproved, SubmittedAt: t0})
	s.AddReviewComment("acme", "widget", ReviewComment{Pull: 3, ReviewID: rv.ID, User: "bob", CreatedAt: t0})
	s.AddRelease("acme", "widget", Release{TagName: "v1", Author: "alice", CreatedAt: t0.Add(-48 * time.Hour)})
	s.AddRelease("acme", "widget", Release{TagName: "v2", Author: "alice", CreatedAt: t0.Add(-24 * time.Hour)})
	s.AddCommit("acme", "widget", Commit{Message: "a", AuthorEmail: "a@work.example", AuthorDate: t0.Add(-3 * time.Hour)})
	s.AddCommit("acme", "widget", Commit{Message: "b", AuthorEmail: "alice@x", Author: "alice", AuthorDate: t0.Add(-time.Hour)})
	if _, err := s.AddReview("acme", "widget", Review{Pull: 1, User: "bob"}); err == nil {
		t.Error("review on an issue accepted")
	}
	c := inproc(s)
	check := func(path, re string) {
		t.Helper()
		r := get(t, c, base+path)
		if r.status != 200 || !regexp.MustCompile(re).Match(r.body) {
			t.Errorf("%s: %d %s", path, r.status, r.body)
		}
	}
	check("/repos/acme/widget/forks", `^\[\{"id":\d+,.*"full_name":"bob/widget".*"fork":true`)
	check("/repos/acme/widget/pulls/3/reviews", `"state":"APPROVED".*"pull_request_url":"`+base+`/repos/acme/widget/pulls/3"`)
	check("/repos/acme/widget/pulls/comments", fmt.Sprintf(`"pull_request_review_id":%d`, rv.ID))
	check("/repos/acme/widget/releases", `^\[\{.*"tag_name":"v2".*"tag_name":"v1"`)
	check("/repos/acme/widget/commits", `^\[\{"sha":"[0-9a-f]{40}".*"message":"b".*"author":\{"login":"alice".*"message":"a".*"author":null,"committer":null`)
	check("/repos/acme/widget/commits?since="+t0.Add(-2*time.Hour).Format(time.RFC3339), `^\[\{"sha":"[0-9a-f]{40}"[^\n]*"message":"b"`)
	if r := get(t, c, base+"/repos/acme/widget/commits?since="+t0.Add(-2*time.Hour).Format(time.RFC3339)); regexp.MustCompile(`"message":"a"`).Match(r.body) {
		t.Errorf("since did not filter commits: %s", r.body)
	}
	check("/users/bob", `"email":"bob@example.com".*"public_repos":1`)
	check("/users/dependabot%5Bbot%5D", `"type":"Bot"`)
	check("/users/bob/social_accounts", `^\[\{"provider":"mastodon","url":"https://fosstodon.org/@bob"\}\]$`)
	check("/orgs/acme/repos", `^\[\{.*"full_name":"acme/widget".*"stargazers_count":0,.*"forks_count":1`)
	check("/rate_limit", `"resources":\{"core":\{"limit":60,`)
}

func TestConcurrentUse(t *testing.T) {
	s, _ := fixture(t, 5)
	c := inproc(s)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				s.AddComment("acme", "widget", Comment{Issue: 1 + j%5, User: "alice"})
			}
		}()
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				req, _ := http.NewRequest("GET", base+"/repos/acme/widget/issues/comments", nil)
				resp, err := c.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				s.FailNext(500, 0)
			}
		}()
	}
	wg.Wait()
	if s.Count() != 160 {
		t.Errorf("count = %d", s.Count())
	}
}

// TestShapeMatchesRecording checks that the keys the fake emits for an issue
// are a subset of those in a real recorded GitHub response.
func TestShapeMatchesRecording(t *testing.T) {
	path := filepath.Join("..", "..", "..", "..", "shared", "fixtures", "github", "octokit-fixtures", "paginate-issues", "raw-fixture.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("recordings not available (%v)", err)
	}
	var rec []struct {
		Method   string          `json:"method"`
		Path     string          `json:"path"`
		Response json.RawMessage `json:"response"`
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	var real []map[string]json.RawMessage
	for _, r := range rec {
		if r.Method == "get" && json.Unmarshal(r.Response, &real) == nil && len(real) > 0 {
			break
		}
	}
	if len(real) == 0 {
		t.Fatal("no issue list in recording")
	}
	var realUser map[string]json.RawMessage
	json.Unmarshal(real[0]["user"], &realUser)

	s, _ := fixture(t, 1)
	r := get(t, inproc(s), base+"/repos/acme/widget/issues")
	var fake []map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &fake); err != nil || len(fake) != 1 {
		t.Fatalf("fake: %v %s", err, r.body)
	}
	for k := range fake[0] {
		if _, ok := real[0][k]; !ok {
			t.Errorf("fake issue key %q not in recording", k)
		}
	}
	var fakeUser map[string]json.RawMessage
	json.Unmarshal(fake[0]["user"], &fakeUser)
	for k := range fakeUser {
		if _, ok := realUser[k]; !ok {
			t.Errorf("fake user key %q not in recording", k)
		}
	}
	// The reactions summary: exactly the recorded keys, numbers where the
	// recording has numbers, and a url under the issue's own.
	var realR, fakeR map[string]json.RawMessage
	if err := json.Unmarshal(real[0]["reactions"], &realR); err != nil || len(realR) == 0 {
		t.Fatalf("recording has no reactions summary: %v", err)
	}
	if err := json.Unmarshal(fake[0]["reactions"], &fakeR); err != nil {
		t.Fatalf("fake reactions: %v (%s)", err, fake[0]["reactions"])
	}
	if len(fakeR) != len(realR) {
		t.Errorf("fake reactions have %d keys, recording %d: %s vs %s", len(fakeR), len(realR), fake[0]["reactions"], real[0]["reactions"])
	}
	for k, rv := range realR {
		fv, ok := fakeR[k]
		if !ok {
			t.Errorf("fake reactions lack %q", k)
			continue
		}
		if (rv[0] == '"') != (fv[0] == '"') {
			t.Errorf("reactions %q: fake %s, recording %s (type differs)", k, fv, rv)
		}
	}
	var issueURL, reactionsURL string
	json.Unmarshal(fake[0]["url"], &issueURL)
	json.Unmarshal(fakeR["url"], &reactionsURL)
	if reactionsURL != issueURL+"/reactions" {
		t.Errorf("reactions url %q, want %q", reactionsURL, issueURL+"/reactions")
	}
	for _, k := range []string{"id", "number", "title", "user", "state", "created_at", "updated_at", "closed_at", "html_url", "comments", "body"} {
		if _, ok := fake[0][k]; !ok {
			t.Errorf("fake issue lacks %q", k)
		}
	}
	// Timestamps in the recorded format.
	var ts string
	json.Unmarshal(fake[0]["created_at"], &ts)
	if _, err := time.Parse("2006-01-02T15:04:05Z", ts); err != nil {
		t.Errorf("created_at %q: %v", ts, err)
	}
}

func TestTransportInSynctestBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New()
		s.AddRepo(Repo{Owner: "acme", Name: "widget"})
		s.SlowNext(time.Hour)
		start := time.Now()
		if r := get(t, inproc(s), base+"/repos/acme/widget"); r.status != 200 {
			t.Fatalf("status %d", r.status)
		}
		if d := time.Since(start); d != time.Hour {
			t.Errorf("slow request took %v of bubble time", d)
		}
	})
}

func TestListen(t *testing.T) {
	s, _ := fixture(t, 1)
	u, shutdown, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(t.Context())
	if r := get(t, http.DefaultClient, u+"api/v3/repos/acme/widget"); r.status != 200 {
		t.Errorf("listen: %d", r.status)
	}
}

// TestGoneObjects: a deleted issue answers 410 and leaves the listing while
// its comments stay; a legacy comment's issue_url names the issue id, which
// answers 404; a deleted user's profile answers 404 while references stay.
func TestGoneObjects(t *testing.T) {
	s, _ := fixture(t, 3)
	s.AddUser(User{Login: "bob"})
	if _, err := s.AddComment("acme", "widget", Comment{Issue: 1, User: "bob"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddComment("acme", "widget", Comment{Issue: 2, User: "alice", LegacyIssueURL: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteIssue("acme", "widget", 1); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser("bob"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteIssue("acme", "widget", 9); err == nil {
		t.Error("DeleteIssue of an unknown number succeeded")
	}
	c := &http.Client{Transport: s.Transport()}
	is2 := s.Issues("acme", "widget")[1]
	tests := []struct {
		path   string
		status int
		body   string
	}{
		{"/repos/acme/widget/issues/1", 410, `{"message":"This issue was deleted","documentation_url":"https://docs.github.com/rest/issues/issues#get-an-issue","status":"410"}`},
		{"/repos/acme/widget/issues/2", 200, `"number":2`},
		{fmt.Sprintf("/repos/acme/widget/issues/%d", is2.ID), 404, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}`},
		{"/repos/acme/widget/issues/x", 404, `"Not Found"`},
		{"/users/bob", 404, `"Not Found"`},
		{"/users/bob/social_accounts", 404, `"Not Found"`},
		{"/users/alice", 200, `"login":"alice"`},
		{"/repos/acme/widget/issues?state=all", 200, `"number":2`},
		{"/repos/acme/widget/issues/comments", 200, fmt.Sprintf(`"issue_url":"%s/repos/acme/widget/issues/%d"`, base, is2.ID)},
		{"/repos/acme/widget/issues/comments", 200, `"issue_url":"` + base + `/repos/acme/widget/issues/1"`},
		{"/repos/acme/widget/issues/comments", 200, `"login":"bob"`},
	}
	for _, tt := range tests {
		r := get(t, c, base+tt.path)
		if r.status != tt.status || !strings.Contains(string(r.body), tt.body) {
			t.Errorf("GET %s = %d %s; want %d with %s", tt.path, r.status, r.body, tt.status, tt.body)
		}
	}
	r := get(t, c, base+"/repos/acme/widget/issues?state=all")
	if strings.Contains(string(r.body), `"number":1,`) {
		t.Errorf("the deleted issue is still listed: %s", r.body)
	}
}

// Authenticated responses tell the token's scopes and expiry only when the
// token has them, as GitHub does; anonymous ones never.
func TestScopeAndExpiryHeaders(t *testing.T) {
	exp := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	s, _ := fixture(t, 1, WithToken("s3cret"), WithScopes("repo", "read:org"), WithTokenExpiration(exp))
	c := &http.Client{Transport: s.Transport()}
	url := base + "/rate_limit"
	r := get(t, c, url, "Authorization", "Bearer s3cret")
	if got := r.header.Get("X-OAuth-Scopes"); got != "repo, read:org" {
		t.Errorf("X-OAuth-Scopes = %q", got)
	}
	if got := r.header.Get("GitHub-Authentication-Token-Expiration"); got != "2026-01-02 15:04:05 UTC" {
		t.Errorf("GitHub-Authentication-Token-Expiration = %q", got)
	}
	anon := get(t, c, url)
	if _, ok := anon.header["X-Oauth-Scopes"]; ok || anon.header.Get("GitHub-Authentication-Token-Expiration") != "" {
		t.Errorf("anonymous response has token headers: %v", anon.header)
	}
	s.SetToken("rotated")
	if r := get(t, c, url, "Authorization", "Bearer s3cret"); r.status != 401 {
		t.Errorf("old token after SetToken: %d", r.status)
	}
	if r := get(t, c, url, "Authorization", "Bearer rotated"); r.status != 200 {
		t.Errorf("new token after SetToken: %d", r.status)
	}
}
